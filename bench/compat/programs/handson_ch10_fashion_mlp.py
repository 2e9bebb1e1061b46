"""Corpus program: Hands-On Machine Learning (3rd edition), chapter 10: an image classifier
with the Sequential API on Fashion-MNIST.

Source: https://github.com/ageron/handson-ml3 (10_neural_nets_with_keras.ipynb)
What it exercises: tf.keras.datasets.fashion_mnist.load_data() as one tuple, a validation
split by slicing, tf.random.set_seed, Sequential with add(tf.keras.layers.Input(shape=[28,
28])), Flatten, Dense layers, summary, model.layers, automatic layer names
(get_layer('dense') is the first Dense), get_weights shapes, 'sgd' by name, fit with
validation_data, history.params and history.epoch, evaluate, predict, argmax(axis=-1).
Written for this corpus in scratchnn's own words, following the notebook's API calls,
architecture and settings one for one.
Adaptations: 10 epochs instead of 30 (time); the learning curves are not drawn.
"""
import numpy as np
import tensorflow as tf

fashion_mnist = tf.keras.datasets.fashion_mnist.load_data()
(X_train_full, y_train_full), (X_test, y_test) = fashion_mnist
X_train, y_train = X_train_full[:-5000], y_train_full[:-5000]
X_valid, y_valid = X_train_full[-5000:], y_train_full[-5000:]
X_train, X_valid, X_test = X_train / 255., X_valid / 255., X_test / 255.
class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

tf.random.set_seed(42)
model = tf.keras.Sequential()
model.add(tf.keras.layers.Input(shape=[28, 28]))
model.add(tf.keras.layers.Flatten())
model.add(tf.keras.layers.Dense(300, activation="relu"))
model.add(tf.keras.layers.Dense(100, activation="relu"))
model.add(tf.keras.layers.Dense(10, activation="softmax"))
model.summary()

print(model.layers)
hidden1 = model.layers[1]
print(hidden1.name)
assert model.get_layer("dense") is hidden1
weights, biases = hidden1.get_weights()
print(weights.shape, biases.shape)

model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
history = model.fit(X_train, y_train, epochs=10,  # ADAPTED: 30 in the source
                    validation_data=(X_valid, y_valid))
print(history.params, history.epoch)
model.evaluate(X_test, y_test)

X_new = X_test[:3]
y_proba = model.predict(X_new)
print(y_proba.round(2))
y_pred = y_proba.argmax(axis=-1)
print(np.array(class_names)[y_pred], y_test[:3])
