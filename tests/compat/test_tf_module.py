"""``tf.Module`` (``compat/tf_module.py``) and the program of TensorFlow's "basic training loops"
guide: a linear model of two ``tf.Variable`` attributes trained by hand with ``GradientTape`` and
``assign_sub``."""
import numpy as np

import scratchnn.compat.tensorflow as tf


class Linear(tf.Module):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(5.0)
        self.b = tf.Variable(0.0)

    def __call__(self, x):
        return self.w * x + self.b


def test_variables_are_found_in_attributes_sorted_by_name():
    model = Linear()
    assert model.variables == (model.b, model.w) and model.trainable_variables == (model.b, model.w)
    assert model.name == "linear" and Linear(name="mine").name == "mine"


def test_nested_modules_containers_layers_and_frozen_variables():
    class Outer(tf.Module):
        def __init__(self):
            super().__init__()
            self.parts = [Linear(), {"z": tf.Variable(1.0, trainable=False)}]
            self.dense = tf.keras.layers.Dense(2)
            self.dense(np.ones((1, 3), dtype=np.float32))
            self.shared = self.parts[0]                         # the same module twice: once

    outer = Outer()
    inner = outer.parts[0]
    assert len(outer.variables) == 5 and len(outer.trainable_variables) == 4
    assert outer.non_trainable_variables == (outer.parts[1]["z"],)
    trainable = [id(v) for v in outer.trainable_variables]
    assert id(inner.w) in trainable and id(outer.dense.kernel) in trainable
    assert outer.submodules == (outer.dense, inner)
    with outer.name_scope:
        pass


def test_the_basic_training_loops_guide(restore_global_rng):
    tf.random.set_seed(0)
    true_w, true_b, n = 3.0, 2.0, 201
    x = tf.linspace(-2, 2, n)
    x = tf.cast(x, tf.float32)
    y = x * true_w + true_b + tf.random.normal(shape=[n])
    model = Linear()

    def loss(target_y, predicted_y):
        return tf.reduce_mean(tf.square(target_y - predicted_y))

    def train(model, x, y, learning_rate):
        with tf.GradientTape() as t:
            current_loss = loss(y, model(x))
        dw, db = t.gradient(current_loss, [model.w, model.b])
        model.w.assign_sub(learning_rate * dw)
        model.b.assign_sub(learning_rate * db)

    start = float(loss(y, model(x)))
    for _ in range(60):
        train(model, x, y, learning_rate=0.1)
    assert float(loss(y, model(x))) < start / 4
    assert abs(float(model.w) - true_w) < 0.3 and abs(float(model.b) - true_b) < 0.3
    # the same w and b as the least-squares fit the loop converges to
    w_ls, b_ls = np.polyfit(x.numpy(), y.numpy(), 1)
    assert abs(float(model.w) - w_ls) < 0.05 and abs(float(model.b) - b_ls) < 0.05
