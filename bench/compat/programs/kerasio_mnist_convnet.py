"""Corpus program: keras.io example "Simple MNIST convnet".

Source: https://keras.io/examples/vision/mnist_convnet/
        (keras-team/keras-io, examples/vision/mnist_convnet.py)
What it exercises: `import keras` with `from keras import layers`, np.expand_dims on the images,
keras.utils.to_categorical, Sequential starting with keras.Input(shape=...), Conv2D,
MaxPooling2D, Flatten, Dropout, summary, categorical cross-entropy, fit with validation_split,
evaluate.
Written for this corpus in scratchnn's own words, following the example's API calls,
architecture and settings one for one.
Adaptations: 3 epochs instead of 15 (time).
"""
import keras
import numpy as np
from keras import layers

num_classes = 10
input_shape = (28, 28, 1)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape, x_train.shape[0], "train samples", x_test.shape[0], "test samples")

y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential([
    keras.Input(shape=input_shape),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(num_classes, activation="softmax"),
])
model.summary()

batch_size = 128
epochs = 3  # ADAPTED: 15 in the source
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
