"""Corpus program: Deep Learning with Python (2nd edition), chapter 3: first steps with
TensorFlow tensors, GradientTape and a linear classifier, then the same with Keras.

Source: https://github.com/fchollet/deep-learning-with-python-notebooks
        (chapter03_introduction-to-keras-and-tf.ipynb)
What it exercises: tf.ones/zeros/random.normal/random.uniform, tf.Variable with assign,
item assignment v[0, 0].assign, assign_add, tf.square/sqrt/matmul, tf.GradientTape on a
Variable and on a watched constant, nested tapes (a second derivative), a linear classifier
trained with tf.Variable and a hand-written step, a custom keras.layers.Layer (SimpleDense)
with add_weight in build, Sequential with compile(RMSprop, MeanSquaredError,
BinaryAccuracy), fit with validation_data, evaluate.
Written for this corpus in scratchnn's own words, following the notebook's API calls and
settings one for one. Adaptations: none.
"""
# compat-reruns: 9
# Why reruns: the two point clouds, the shuffling and the initial weights are unseeded, and
# RMSprop at learning rate 0.1 makes the final accuracy depend on the draw: 30 scratchnn runs
# gave evaluate accuracies from 0.735 to 1.0 (losses 0.027 to 0.294), around TensorFlow's single
# recorded 0.9533.
import numpy as np
import tensorflow as tf
from tensorflow import keras

x = tf.ones(shape=(2, 1))
x = tf.zeros(shape=(2, 1))
x = tf.random.normal(shape=(3, 1), mean=0., stddev=1.)
x = tf.random.uniform(shape=(3, 1), minval=0., maxval=1.)

v = tf.Variable(initial_value=tf.random.normal(shape=(3, 1)))
v.assign(tf.ones((3, 1)))
v[0, 0].assign(3.)
v.assign_add(tf.ones((3, 1)))
print(v)

a = tf.ones((2, 2))
b = tf.square(a)
c = tf.sqrt(a)
d = b + c
e = tf.matmul(a, b)
e *= d

input_var = tf.Variable(initial_value=3.)
with tf.GradientTape() as tape:
    result = tf.square(input_var)
gradient = tape.gradient(result, input_var)
print("d(x^2)/dx at 3:", gradient)

input_const = tf.constant(3.)
with tf.GradientTape() as tape:
    tape.watch(input_const)
    result = tf.square(input_const)
gradient = tape.gradient(result, input_const)

time = tf.Variable(0.)
with tf.GradientTape() as outer_tape:
    with tf.GradientTape() as inner_tape:
        position = 4.9 * time ** 2
    speed = inner_tape.gradient(position, time)
acceleration = outer_tape.gradient(speed, time)
print("acceleration:", acceleration)

num_samples_per_class = 1000
negative_samples = np.random.multivariate_normal(mean=[0, 3], cov=[[1, 0.5], [0.5, 1]],
                                                 size=num_samples_per_class)
positive_samples = np.random.multivariate_normal(mean=[3, 0], cov=[[1, 0.5], [0.5, 1]],
                                                 size=num_samples_per_class)
inputs = np.vstack((negative_samples, positive_samples)).astype(np.float32)
targets = np.vstack((np.zeros((num_samples_per_class, 1), dtype="float32"),
                     np.ones((num_samples_per_class, 1), dtype="float32")))

input_dim, output_dim = 2, 1
W = tf.Variable(initial_value=tf.random.uniform(shape=(input_dim, output_dim)))
b = tf.Variable(initial_value=tf.zeros(shape=(output_dim,)))


def model(inputs):
    return tf.matmul(inputs, W) + b


def square_loss(targets, predictions):
    return tf.reduce_mean(tf.square(targets - predictions))


learning_rate = 0.1


def training_step(inputs, targets):
    with tf.GradientTape() as tape:
        predictions = model(inputs)
        loss = square_loss(targets, predictions)
    grad_loss_wrt_W, grad_loss_wrt_b = tape.gradient(loss, [W, b])
    W.assign_sub(grad_loss_wrt_W * learning_rate)
    b.assign_sub(grad_loss_wrt_b * learning_rate)
    return loss


for step in range(40):
    loss = training_step(inputs, targets)
    print(f"Loss at step {step}: {loss:.4f}")


class SimpleDense(keras.layers.Layer):
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        y = tf.matmul(inputs, self.W) + self.b
        if self.activation is not None:
            y = self.activation(y)
        return y


my_dense = SimpleDense(units=32, activation=tf.nn.relu)
print(my_dense(tf.ones(shape=(2, 784))).shape)

model = keras.Sequential([keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss=keras.losses.MeanSquaredError(),
              metrics=[keras.metrics.BinaryAccuracy()])
indices_permutation = np.random.permutation(len(inputs))
shuffled_inputs = inputs[indices_permutation]
shuffled_targets = targets[indices_permutation]
num_validation_samples = int(0.3 * len(inputs))
val_inputs = shuffled_inputs[:num_validation_samples]
val_targets = shuffled_targets[:num_validation_samples]
training_inputs = shuffled_inputs[num_validation_samples:]
training_targets = shuffled_targets[num_validation_samples:]
model.fit(training_inputs, training_targets, epochs=5, batch_size=16,
          validation_data=(val_inputs, val_targets))
loss_and_metrics = model.evaluate(val_inputs, val_targets, batch_size=128)
