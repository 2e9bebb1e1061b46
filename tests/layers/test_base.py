"""What every layer promises (``scratchnn/layers/base.py``): ``compute_output_shape`` equals the
shape of the output, ``get_config``/``from_config`` round trips, ``get_weights``/``set_weights``
copy and check, ``Variable.assign``, unknown keyword arguments; and a student's own layer (a
``Layer`` subclass) that trains through backward and passes gradcheck.
"""
import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.utils import set_random_seed


def _built_dense(n_in=4, units=3, **kwargs):
    layer = L.Dense(units, **kwargs)
    layer(np.zeros((1, n_in)))
    return layer


def test_unknown_keyword_argument_raises_type_error():
    with pytest.raises(TypeError, match="unitz"):
        L.Dense(3, unitz=4)
    with pytest.raises(TypeError, match="foo"):
        L.Flatten(foo=1)


_SHAPE_CASES = [
    (lambda: L.Dense(7), (3, 4)),
    (lambda: L.Dense(2), (3, 5, 4)),
    (lambda: L.Flatten(), (3, 2, 5)),
    (lambda: L.Reshape((-1, 3)), (2, 12)),
    (lambda: L.Reshape((2, 2, 3)), (2, 12)),
    (lambda: L.Activation("relu"), (3, 4)),
    (lambda: L.Dropout(0.5), (3, 4)),
    (lambda: L.ReLU(max_value=6.0), (3, 4)),
    (lambda: L.LeakyReLU(), (3, 4)),
    (lambda: L.ELU(), (3, 4)),
    (lambda: L.Softmax(axis=1), (3, 4, 2)),
    (lambda: L.Maxout(2), (3, 6)),
    (lambda: L.Input(shape=(4,)), (3, 4)),
]


@pytest.mark.parametrize("make, in_shape", _SHAPE_CASES)
def test_compute_output_shape_matches_actual_output(rng, make, in_shape):
    layer = make()
    predicted = layer.compute_output_shape((None,) + in_shape[1:])
    out = layer(rng.normal(size=in_shape), training=True)
    assert predicted == (None,) + out.shape[1:]
    assert make().compute_output_shape(in_shape) == out.shape


_CONFIG_CASES = [
    lambda: L.Dense(3, activation="softmax", use_bias=False, kernel_regularizer="l1"),
    lambda: L.Flatten(name="my_flatten"),
    lambda: L.Reshape((-1, 2)),
    lambda: L.Activation("sigmoid"),
    lambda: L.Dropout(0.2, seed=4),
    lambda: L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
    lambda: L.LeakyReLU(alpha=0.2),
    lambda: L.ELU(alpha=0.5),
    lambda: L.Softmax(axis=1),
    lambda: L.Maxout(4),
    lambda: L.Input(shape=(28, 28), batch_size=16),
]


@pytest.mark.parametrize("make", _CONFIG_CASES)
def test_get_config_from_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert type(clone) is type(layer)
    assert clone.get_config() == config
    assert clone.name == layer.name and clone.dtype == layer.dtype


# ========================================================= get/set weights, Variable
def test_get_weights_returns_copies(rng):
    layer = _built_dense(4, 3)
    before = [w.data.copy() for w in layer.weights]
    got = layer.get_weights()
    got[0][...] = 99
    got[1][...] = 99
    for var, ref in zip(layer.weights, before):
        np.testing.assert_array_equal(var.data, ref)
    assert not np.shares_memory(got[0], layer.kernel.data)


def test_set_weights_copies_and_keeps_arrays(rng):
    layer = _built_dense(4, 3)
    kernel_array = layer.kernel.data
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    layer.set_weights([w, b])
    assert layer.kernel.data is kernel_array             # in place
    np.testing.assert_allclose(layer.kernel.data, w.astype(np.float32))
    w[...] = 0                                          # the layer does not alias the input
    assert np.any(layer.kernel.data != 0)
    layer.set_weights([Tensor(np.ones((4, 3))), np.zeros(3)])
    np.testing.assert_array_equal(layer.kernel.data, 1)


@pytest.mark.parametrize("bad", ["count_short", "count_long", "second_shape", "first_shape"])
def test_set_weights_bad_input_raises_and_changes_nothing(rng, bad):
    layer = _built_dense(4, 3)
    before = layer.get_weights()
    good_w = rng.normal(size=(4, 3)) + 5
    good_b = rng.normal(size=3) + 5
    arrays = {"count_short": [good_w],
              "count_long": [good_w, good_b, good_b],
              "second_shape": [good_w, np.ones(4)],          # first array fine, second wrong
              "first_shape": [np.ones((3, 4)), good_b]}[bad]
    with pytest.raises(ValueError) as err:
        layer.set_weights(arrays)
    assert layer.name in str(err.value)
    for var, ref in zip(layer.weights, before):
        np.testing.assert_array_equal(var.data, ref)


def test_variable_assign_in_place():
    v = L.Variable(np.zeros((2, 3), dtype=np.float32), name="v")
    arr = v.data
    v.assign(np.arange(6.0).reshape(2, 3))
    assert v.data is arr
    np.testing.assert_array_equal(arr, np.arange(6.0).reshape(2, 3))
    v.assign(Tensor(np.ones((2, 3))))
    assert v.data is arr and np.all(arr == 1)
    with pytest.raises(ValueError, match="'v'"):
        v.assign(np.ones((3, 2)))
    np.testing.assert_array_equal(arr, 1)
    assert v.trainable and v.requires_grad and v.dtype == np.float32


# ============================================================ a student's layer
class _MyDense(L.Layer):
    """What a student writes: y = tanh(x W + b) with add_weight and ops."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight("b", (self.units,), initializer="zeros")

    def call(self, inputs, training=False):
        return F.tanh(F.matmul(inputs, self.w) + self.b)


def test_custom_layer_trains_through_backward(rng):
    set_random_seed(1)
    layer = _MyDense(2, dtype="float64")
    x = rng.normal(size=(64, 3))
    true_w = np.array([[0.8, -0.5], [0.3, 0.9], [-0.6, 0.2]])
    y = np.tanh(x @ true_w + np.array([0.1, -0.2]))
    layer(x)
    assert [w.name.split("/")[-1] for w in layer.trainable_weights] == ["w", "b"]
    assert layer.count_params() == 3 * 2 + 2

    def loss_value():
        return ((layer(x) - y) ** 2).mean()

    first = loss_value().item()
    for _ in range(300):
        for w in layer.trainable_weights:
            w.zero_grad()
        loss = loss_value()
        loss.backward()
        for w in layer.trainable_weights:
            assert w.grad is not None and w.grad.shape == w.shape
            w.data -= 0.5 * w.grad
    last = loss_value().item()
    assert last < 0.01 * first, (first, last)
    np.testing.assert_allclose(layer.w.data, true_w, atol=0.05)


def test_custom_layer_gradcheck(rng):
    layer = _MyDense(3, dtype="float64")
    x = rng.normal(size=(4, 5))
    layer(x)
    assert snn.gradcheck(layer, x)                  # gradient with respect to the input

    def with_weights(inputs, w, b):                 # gradient with respect to the weights
        saved = layer.w, layer.b
        layer.w, layer.b = w, b
        try:
            return layer(inputs)
        finally:
            layer.w, layer.b = saved

    assert snn.gradcheck(with_weights, x, layer.w.data, rng.normal(size=3))
