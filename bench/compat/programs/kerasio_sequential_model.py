"""Corpus program: keras.io guide "The Sequential model".

Source: https://keras.io/guides/sequential_model/
        (keras-team/keras-io, guides/sequential_model.py)
What it exercises: Sequential from a list and with add(), naming layers, model.layers, pop(),
layers created without an input shape (weights appear at the first call), len(weights),
keras.Input inside Sequential, summary, model.layers after an Input, feature extraction with
keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers]) and with
get_layer(name).output, freezing layers for transfer learning (layer.trainable = False).
Written for this corpus in scratchnn's own words, following the guide's API calls and
settings one for one. Adaptations: none. Nothing is trained; the compared number is the
count of the extracted features' values.
"""
# compat-metric: feature_values = feature_values
import keras
from keras import layers
from keras import ops

model = keras.Sequential([
    layers.Dense(2, activation="relu", name="layer1"),
    layers.Dense(3, activation="relu", name="layer2"),
    layers.Dense(4, name="layer3"),
])
x = ops.ones((3, 3))
y = model(x)
print(y.shape)

model = keras.Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
print(len(model.layers))
model.pop()
print(len(model.layers))

layer = layers.Dense(3)
print(layer.weights)
x = ops.ones((1, 4))
y = layer(x)
print(len(layer.weights))

model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
model.summary()
print(model.layers)

model = keras.Sequential()
model.add(keras.Input(shape=(250, 250, 3)))
model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.summary()

initial_model = keras.Sequential([
    keras.Input(shape=(250, 250, 3)),
    layers.Conv2D(32, 5, strides=2, activation="relu"),
    layers.Conv2D(32, 3, activation="relu"),
    layers.Conv2D(32, 3, activation="relu"),
])
feature_extractor = keras.Model(inputs=initial_model.inputs,
                                outputs=[layer.output for layer in initial_model.layers])
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)
feature_values = sum(int(ops.size(f)) for f in features)

initial_model = keras.Sequential([
    keras.Input(shape=(250, 250, 3)),
    layers.Conv2D(32, 5, strides=2, activation="relu"),
    layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
    layers.Conv2D(32, 3, activation="relu"),
])
feature_extractor = keras.Model(inputs=initial_model.inputs,
                                outputs=initial_model.get_layer(name="my_intermediate_layer").output)
features = feature_extractor(x)
print(features.shape)

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(10),
])
for layer in model.layers[:-1]:
    layer.trainable = False
print(len(model.trainable_weights))
