"""Subclassing as Keras 3 does it (``scratchnn/layers/base.py``): ``call(self, inputs)`` without
``training``, ``add_weight`` with Keras 3's keywords (and the older positional name), ``build()``
called directly leaves the layer built, ``self.built = True`` in ``build``, ``add_loss``.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import keras
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.utils import set_random_seed


class Doubler(L.Layer):
    def call(self, inputs):                        # no training argument, as in Keras's guides
        return inputs * 2


class Linear(L.Layer):
    """The Keras 3 guide's layer: weights made with keywords only, no names."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return inputs @ self.w + self.b


class TwoLayers(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = Linear(8), L.Dense(1)

    def call(self, inputs):
        return self.out(snn.functional.relu(self.hidden(inputs)))


def test_call_without_training_argument_in_a_layer_and_a_model_trains():
    assert np.array_equal(Doubler()(np.ones((2, 3), np.float32)).data, np.full((2, 3), 2.0))
    set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = TwoLayers()
    model.compile(keras.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert len(model.trainable_weights) == 4                 # the Linear's weights train too
    assert model.predict(x, verbose=0).shape == (32, 1)


def test_training_still_reaches_a_call_that_takes_it_or_kwargs():
    seen = []

    class Flag(L.Layer):
        def call(self, inputs, **kwargs):
            seen.append(kwargs.get("training"))
            return inputs

    class Outer(L.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Flag()

        def call(self, inputs):
            return self.inner(inputs)

    Outer()(np.ones((1, 2)), training=True)
    Flag()(np.ones((1, 2)))
    assert seen == [True, False]


def test_a_call_with_a_mask_argument_gets_the_mask_without_training():
    got = []

    class Masked(L.Layer):
        supports_masking = True

        def call(self, inputs, mask=None):
            got.append(None if mask is None else np.asarray(mask).tolist())
            return inputs

    embedding = L.Embedding(5, 2, mask_zero=True)
    Masked()(embedding(np.array([[1, 0, 2]])))
    assert got == [[[True, False, True]]]


def test_add_weight_with_keras_3_keywords_names_them_variable_and_variable_1():
    layer = Linear(3)
    layer(np.ones((2, 4), np.float32))
    assert [w.name for w in layer.weights] == [f"{layer.name}/variable", f"{layer.name}/variable_1"]
    assert layer.w.shape == (4, 3) and np.array_equal(layer.b.data, np.zeros(3))


def test_add_weight_orders_dtype_and_trainable():
    layer = L.Layer(name="holder")
    kernel = layer.add_weight((3, 2), "ones")                         # Keras 3 positional order
    old = layer.add_weight("kernel", (2,), "zeros")                   # name first: the older order
    counter = layer.add_weight(shape=(), initializer="zeros", dtype="float64", trainable=False, name="count",
                               aggregation="sum", autocast=False)
    assert np.array_equal(kernel.data, np.ones((3, 2))) and kernel.dtype == np.float32
    assert old.name == "holder/kernel" and np.array_equal(old.data, np.zeros(2))
    assert counter.dtype == np.float64 and counter.name == "holder/count"
    assert layer.trainable_weights == [kernel, old] and layer.non_trainable_weights == [counter]


@pytest.mark.parametrize("call, pattern", [
    (lambda layer: layer.add_weight(initializer="zeros"), r"add_weight needs a shape"),
    (lambda layer: layer.add_weight((2,), shape=(3,)), r"'shape' both by position and by keyword"),
    (lambda layer: layer.add_weight(shape=(2,), colour="red"), r"unexpected keyword argument\(s\) colour"),
])
def test_add_weight_refuses_what_it_cannot_use(call, pattern):
    layer = L.Layer(name="holder")
    with pytest.raises(TypeError, match=pattern):
        call(layer)
    assert layer.weights == []


@pytest.mark.parametrize("make, shape", [
    (lambda: L.Conv2D(2, 3), (None, 5, 5, 1)),
    (lambda: L.Dense(2), (None, 9)),
    (lambda: Linear(2), (None, 9)),
])
def test_build_called_directly_marks_the_layer_built_so_set_weights_are_used(make, shape):
    layer = make()
    layer.build(shape)
    assert layer.built and layer.input_shape == shape
    ones = [np.ones_like(w) for w in layer.get_weights()]
    layer.set_weights(ones)
    x = np.ones((1,) + shape[1:], np.float32)
    out = layer(x).data
    fan_in = 9                                          # 3 x 3 x 1 for the Conv2D, 9 inputs for the rest
    np.testing.assert_allclose(out, np.full(out.shape, fan_in + 1.0))
    assert len(layer.weights) == len(ones)              # not built a second time


def test_self_built_true_in_build_is_kept():
    class Scaled(L.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight("scale", (), initializer="ones")
            self.built = True

        def call(self, inputs):
            return inputs * self.scale

    layer = Scaled()
    out = layer(np.full((2, 2), 3.0, np.float32))
    assert layer.built and np.array_equal(out.data, np.full((2, 2), 3.0)) and len(layer.weights) == 1


class Penalized(L.Layer):
    """Adds ``rate * mean(inputs ** 2)`` to the losses at each call (Keras's ``add_loss`` example)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * (inputs * inputs).mean())
        return inputs


def test_add_loss_joins_the_losses_of_this_call_and_fit_minimizes_it():
    set_random_seed(0)
    x = np.random.default_rng(1).normal(size=(16, 3)).astype(np.float32)
    y = np.zeros((16, 2), np.float32)
    model = snn.Sequential([L.Dense(2, input_shape=(3,)), Penalized(0.5)])
    model.compile("sgd", "mse")
    out = model(x)
    assert len(model.losses) == 1
    model(x)
    assert len(model.losses) == 1                                # cleared at each call, not piled up
    expected = float(((out.data - y) ** 2).mean() + 0.5 * (out.data ** 2).mean())
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(expected, rel=1e-5)
    plain = snn.Sequential([L.Dense(2, input_shape=(3,))])
    plain.compile("sgd", "mse")
    assert plain.evaluate(x, y, verbose=0) != pytest.approx(expected, rel=1e-3)


def test_add_loss_in_a_subclassed_model_and_a_scalar_check():
    class Regularized(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(1)

        def call(self, inputs):
            out = self.dense(inputs)
            self.add_loss(Tensor(np.float32(0.25)))
            return out

    model = Regularized()
    model(np.ones((2, 3), np.float32))
    assert [float(loss.data) for loss in model.losses] == [0.25]
    with pytest.raises(ValueError, match=r"add_loss needs a scalar.*shape \(2, 2\)"):
        Doubler().add_loss(Tensor(np.ones((2, 2), np.float32)))


def test_tf_variables_assigned_as_attributes_are_not_weights_as_in_keras_3():
    """TensorFlow's "basic training loops" guide: a keras.Model subclass holding ``self.w =
    tf.Variable(5.0)``. Keras 3 tracks its own variables only (``add_weight``, ``keras.Variable``):
    TensorFlow 2.21's Keras lists no weight and ``fit`` leaves w and b as they were (measured:
    the guide's model keeps w = 5.0). scratchnn's own Variable set as an attribute is tracked."""
    import scratchnn.compat.tensorflow as tf
    from scratchnn.layers.variable import Variable

    class Line(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(5.0)
            self.b = tf.Variable(0.0)
            self.k = Variable(np.ones((), np.float32), name="k")

        def call(self, x):
            return self.k * self.w * x + self.b

    model = Line()
    assert [id(v) for v in model.trainable_weights] == [id(model.k)]
    assert [id(v) for v in model.weights] == [id(model.k)]
    x = np.linspace(-2, 2, 201).astype("float32")
    model.compile(optimizer=tf.keras.optimizers.SGD(0.01), loss="mse")
    model.fit(x, 3 * x + 2, epochs=30, batch_size=1000, verbose=0)
    assert float(model.w) == 5.0 and float(model.b) == 0.0       # not trained, as in Keras 3
    assert abs(float(model.k) * 5.0 - 3.0) < 0.05                 # the tracked one is


def test_a_tuple_of_tensors_reaches_call_as_a_tuple_and_each_shape_is_checked():
    """keras.io's VAE: ``self.sampling((z_mean, z_log_var))`` unpacks two tensors in ``call``; the
    layer must not stack them into one array."""
    class Sampling(keras.layers.Layer):
        def build(self, input_shape):
            self.seen_shapes = input_shape

        def call(self, inputs):
            z_mean, z_log_var = inputs
            return z_mean + keras.ops.exp(0.5 * z_log_var)

    layer = Sampling()
    mean, log_var = Tensor(np.ones((4, 3), "float32")), Tensor(np.zeros((4, 3), "float32"))
    out = layer((mean, log_var))
    np.testing.assert_array_equal(out.data, np.full((4, 3), 2.0))
    assert layer.seen_shapes == [(None, 3), (None, 3)]          # one shape per input, batch free
    assert layer((Tensor(np.ones((7, 3), "float32")),) * 2).shape == (7, 3)   # another batch size
    with pytest.raises(ValueError, match=r"expects inputs of shapes \['\(None, 3\)', '\(None, 3\)'\]"):
        layer((Tensor(np.ones((7, 4), "float32")),) * 2)
