"""Corpus program: Deep Learning with Python (2nd edition), chapter 8: the first convnet, on
MNIST.

Source: https://github.com/fchollet/deep-learning-with-python-notebooks
        (chapter08_intro-to-dl-for-computer-vision.ipynb)
What it exercises: keras.Input(shape=(28, 28, 1)) and the functional API with
Conv2D(filters=, kernel_size=), MaxPooling2D(pool_size=), a third Conv2D then Flatten,
summary, rmsprop, fit with batch_size=64, evaluate; the same model without max pooling
(summary only).
Written for this corpus in scratchnn's own words, following the notebook's API calls,
architecture and settings one for one.
Adaptations: 2 epochs instead of 5 (time).
"""
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.datasets import mnist

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.summary()

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
train_images = train_images.reshape((60000, 28, 28, 1)).astype("float32") / 255
test_images = test_images.reshape((10000, 28, 28, 1)).astype("float32") / 255
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_images, train_labels, epochs=2, batch_size=64)  # ADAPTED: 5 epochs in the source
test_loss, test_acc = model.evaluate(test_images, test_labels)
print(f"Test accuracy: {test_acc:.3f}")

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
x = layers.Conv2D(filters=64, kernel_size=3, activation="relu")(x)
x = layers.Conv2D(filters=128, kernel_size=3, activation="relu")(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model_no_max_pool = keras.Model(inputs=inputs, outputs=outputs)
model_no_max_pool.summary()
