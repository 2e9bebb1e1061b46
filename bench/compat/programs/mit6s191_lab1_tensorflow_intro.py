"""Corpus program: MIT 6.S191 "Introduction to Deep Learning", software lab 1 part 1:
TensorFlow tensors, computations, custom layers and models, GradientTape.

Source: https://github.com/aamini/introtodeeplearning
        (lab1/TF_Part1_Intro.ipynb; earlier years: lab1/Part1_TensorFlow.ipynb)
What it exercises: tf.constant with tf.string/tf.float64, tf.rank, tf.shape, tf.zeros of an
image batch, slicing, tf.add/subtract/multiply, a layer with build/add_weight("weight",
shape=...)/call using tf.sigmoid, tf.keras.utils.set_random_seed, layer.build then
layer.call, Sequential with Dense(activation='sigmoid'), a keras.Model subclass whose call
takes an extra keyword (isidentity), tf.Variable with GradientTape, gradient descent on
(x - x_f)^2 with assign.
Written for this corpus in scratchnn's own words, following the lab's API calls and values
one for one. Adaptations: the plot of x over the iterations is left out; add_weight's name is passed by
keyword (TensorFlow 2.16+ with Keras 3 refuses it first). The compared number
is the final x.
"""
# compat-metric: x_final = history[-1]
import numpy as np
import tensorflow as tf

sport = tf.constant("Tennis", tf.string)
number = tf.constant(1.41421356237, tf.float64)
print("`sport` is a {}-d Tensor".format(tf.rank(sport).numpy()))
print("`number` is a {}-d Tensor".format(tf.rank(number).numpy()))

sports = tf.constant(["Tennis", "Basketball"], tf.string)
numbers = tf.constant([3.141592, 1.414213, 2.71821], tf.float64)
print("`numbers` is a {}-d Tensor with shape: {}".format(tf.rank(numbers).numpy(), tf.shape(numbers)))

matrix = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
assert isinstance(matrix, tf.Tensor) and tf.rank(matrix).numpy() == 2
images = tf.zeros([10, 256, 256, 3])
assert tf.rank(images).numpy() == 4
assert tf.shape(images).numpy().tolist() == [10, 256, 256, 3]
row_vector = matrix[1]
column_vector = matrix[:, 1]
scalar = matrix[0, 1]
print(row_vector.numpy(), column_vector.numpy(), scalar.numpy())

a = tf.constant(15)
b = tf.constant(61)
c1 = tf.add(a, b)
c2 = a + b
print(c1, c2)


def func(a, b):
    c = tf.add(a, b)
    d = tf.subtract(b, 1)
    return tf.multiply(c, d)


print(func(1.5, 2.5))


class OurDenseLayer(tf.keras.layers.Layer):
    def __init__(self, n_output_nodes):
        super(OurDenseLayer, self).__init__()
        self.n_output_nodes = n_output_nodes

    def build(self, input_shape):
        d = int(input_shape[-1])
        # ADAPTED: name= by keyword (Keras 3 refuses the lab's add_weight("weight", shape=...))
        self.W = self.add_weight(name="weight", shape=[d, self.n_output_nodes])
        self.b = self.add_weight(name="bias", shape=[1, self.n_output_nodes])

    def call(self, x):
        z = tf.matmul(x, self.W) + self.b
        return tf.sigmoid(z)


tf.keras.utils.set_random_seed(1)
layer = OurDenseLayer(3)
layer.build((1, 2))
x_input = tf.constant([[1, 2.]], shape=(1, 2))
y = layer.call(x_input)
print(y.numpy())

model = tf.keras.Sequential([tf.keras.layers.Dense(3, activation="sigmoid")])
x_input = tf.constant([[1, 2.]], shape=(1, 2))
print(model(x_input).numpy())


class IdentityModel(tf.keras.Model):
    def __init__(self, n_output_nodes):
        super(IdentityModel, self).__init__()
        self.dense_layer = tf.keras.layers.Dense(n_output_nodes, activation="sigmoid")

    def call(self, inputs, isidentity=False):
        x = self.dense_layer(inputs)
        if isidentity:
            return inputs
        return x


model = IdentityModel(3)
out_activate = model.call(x_input)
out_identity = model.call(x_input, isidentity=True)
print(out_activate.numpy(), out_identity.numpy())

x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x * x
dy_dx = tape.gradient(y, x)
assert dy_dx.numpy() == 6.0

x = tf.Variable([tf.random.normal([1])])
print("Initializing x={}".format(x.numpy()))
learning_rate = 1e-2
history = []
x_f = 4
for i in range(500):
    with tf.GradientTape() as tape:
        loss = (x - x_f) ** 2
    grad = tape.gradient(loss, x)
    new_x = x - learning_rate * grad
    x.assign(new_x)
    history.append(x.numpy()[0])
print(np.asarray(history[-1]))
