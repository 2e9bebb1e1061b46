"""Corpus program: the "hello world" of neural networks from DeepLearning.AI's course
"Introduction to TensorFlow for Artificial Intelligence" (TensorFlow Developer certificate,
course 1, week 1).

Source: https://github.com/https-deeplearning-ai/tensorflow-1-public
        (C1/W1/ungraded_lab/C1_W1_Lab_1_hello_world_nn.ipynb; first published in
        lmoroney/dlaicourse, Course 1 - Part 2 - Lesson 2)
What it exercises: a single Dense(units=1, input_shape=[1]) in Sequential, 'sgd' and
'mean_squared_error' by name, fit on 1-D NumPy arrays of floats (Keras adds the feature
axis), 500 epochs of 6 points, predict on a 1-D array.
Written for this corpus in scratchnn's own words, following the lab's API calls and settings
one for one. Adaptations: none.
"""
# compat-metric: prediction = prediction
import numpy as np
import tensorflow as tf
from tensorflow import keras

model = tf.keras.Sequential([keras.layers.Dense(units=1, input_shape=[1])])
model.compile(optimizer="sgd", loss="mean_squared_error")

xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0], dtype=float)
ys = np.array([-3.0, -1.0, 1.0, 3.0, 5.0, 7.0], dtype=float)
model.fit(xs, ys, epochs=500)

prediction = float(model.predict(np.array([10.0]), verbose=0)[0][0])
print(prediction)
