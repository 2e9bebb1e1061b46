"""Corpus program: Deep Learning with Python (2nd edition), chapter 2: the first MNIST network,
then the same network re-implemented from scratch with TensorFlow tensors.

Source: https://github.com/fchollet/deep-learning-with-python-notebooks
        (chapter02_mathematical-building-blocks.ipynb)
What it exercises: tensorflow.keras.datasets, a Sequential of Dense layers without an input
shape, rmsprop, fit/predict/evaluate; then tf.random.uniform, tf.zeros, tf.Variable,
tf.matmul, tf.nn.relu/tf.nn.softmax called directly, tf.keras.losses.
sparse_categorical_crossentropy as a function, tf.reduce_mean, tf.GradientTape,
Variable.assign_sub, optimizers.SGD().apply_gradients, .numpy() on a model's output.
Written for this corpus in scratchnn's own words, following the notebook's API calls,
architecture and settings one for one. Adaptations: none.
"""
# compat-metric: accuracy = from_scratch_accuracy
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, optimizers
from tensorflow.keras.datasets import mnist

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
model = keras.Sequential([layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
model.fit(train_images, train_labels, epochs=5, batch_size=128)
predictions = model.predict(test_images[0:10])
print(predictions[0].argmax(), predictions[0][7], test_labels[0])
test_loss, test_acc = model.evaluate(test_images, test_labels)
print(f"test_acc: {test_acc}")


class NaiveDense:
    def __init__(self, input_size, output_size, activation):
        self.activation = activation
        self.W = tf.Variable(tf.random.uniform((input_size, output_size), minval=0, maxval=1e-1))
        self.b = tf.Variable(tf.zeros((output_size,)))

    def __call__(self, inputs):
        return self.activation(tf.matmul(inputs, self.W) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]


class NaiveSequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, inputs):
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def weights(self):
        weights = []
        for layer in self.layers:
            weights += layer.weights
        return weights


model = NaiveSequential([
    NaiveDense(input_size=28 * 28, output_size=512, activation=tf.nn.relu),
    NaiveDense(input_size=512, output_size=10, activation=tf.nn.softmax),
])
assert len(model.weights) == 4


class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index = 0
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        images = self.images[self.index:self.index + self.batch_size]
        labels = self.labels[self.index:self.index + self.batch_size]
        self.index += self.batch_size
        return images, labels


learning_rate = 1e-3


def update_weights(gradients, weights):
    for g, w in zip(gradients, weights):
        w.assign_sub(g * learning_rate)


def one_training_step(model, images_batch, labels_batch):
    with tf.GradientTape() as tape:
        predictions = model(images_batch)
        per_sample_losses = tf.keras.losses.sparse_categorical_crossentropy(labels_batch, predictions)
        average_loss = tf.reduce_mean(per_sample_losses)
    gradients = tape.gradient(average_loss, model.weights)
    update_weights(gradients, model.weights)
    return average_loss


optimizer = optimizers.SGD(learning_rate=1e-3)


def one_training_step_with_optimizer(model, images_batch, labels_batch):
    with tf.GradientTape() as tape:
        predictions = model(images_batch)
        average_loss = tf.reduce_mean(
            tf.keras.losses.sparse_categorical_crossentropy(labels_batch, predictions))
    gradients = tape.gradient(average_loss, model.weights)
    optimizer.apply_gradients(zip(gradients, model.weights))
    return average_loss


def fit(model, images, labels, epochs, batch_size=128):
    for epoch_counter in range(epochs):
        print(f"Epoch {epoch_counter}")
        batch_generator = BatchGenerator(images, labels)
        for batch_counter in range(batch_generator.num_batches):
            images_batch, labels_batch = batch_generator.next()
            loss = one_training_step(model, images_batch, labels_batch)
            if batch_counter % 100 == 0:
                print(f"loss at batch {batch_counter}: {loss:.2f}")


fit(model, train_images, train_labels, epochs=10, batch_size=128)
one_training_step_with_optimizer(model, train_images[:128], train_labels[:128])

predictions = model(test_images)
predictions = predictions.numpy()
predicted_labels = np.argmax(predictions, axis=1)
matches = predicted_labels == test_labels
from_scratch_accuracy = matches.mean()
print(f"accuracy: {from_scratch_accuracy:.2f}")
