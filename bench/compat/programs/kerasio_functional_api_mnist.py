"""Corpus program: keras.io guide "The Functional API", its first model.

Source: https://keras.io/guides/functional_api/
        (keras-team/keras-io, guides/functional_api.py)
What it exercises: keras.Input(shape=(784,)), .shape/.dtype of a symbolic input, calling
layers on it, keras.Model(inputs=..., outputs=..., name=...), summary, compile with a loss
object from_logits and RMSprop, fit with validation_split, evaluate returning [loss, acc],
model.save to a .keras file and keras.models.load_model, evaluating the reloaded model.
Written for this corpus in scratchnn's own words, following the guide's API calls,
architecture and settings one for one. Adaptations: none (plot_model is left out: it needs
pydot and graphviz, which the guide installs separately).
"""
import keras
from keras import layers

inputs = keras.Input(shape=(784,))
print(inputs.shape, inputs.dtype)

x = layers.Dense(64, activation="relu")(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
model.summary()

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(60000, 784).astype("float32") / 255
x_test = x_test.reshape(10000, 784).astype("float32") / 255

model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2)

test_scores = model.evaluate(x_test, y_test, verbose=2)
print("Test loss:", test_scores[0])
print("Test accuracy:", test_scores[1])

model.save("functional_api_mnist.keras")
del model
model = keras.models.load_model("functional_api_mnist.keras")
model.evaluate(x_test, y_test, verbose=2)
