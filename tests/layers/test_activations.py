"""The activation layers (``scratchnn/layers/activations.py``): ReLU (with its max_value,
negative_slope and threshold), LeakyReLU, ELU, Softmax over an axis, Maxout.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L

from tests.helpers import assert_close


def _np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_relu_layer_formulas(rng):
    x = np.array([-3.0, -1.0, -0.25, 0.25, 0.75, 1.5, 4.0, 7.0])
    assert_close(L.ReLU(dtype="float64")(x), np.maximum(x, 0))
    assert_close(L.ReLU(max_value=2.0, dtype="float64")(x), np.clip(x, 0, 2.0))
    assert_close(L.ReLU(negative_slope=0.1, dtype="float64")(x), np.where(x >= 0, x, 0.1 * x))
    assert_close(L.ReLU(threshold=0.5, dtype="float64")(x), np.where(x >= 0.5, x, 0.0))
    full = L.ReLU(max_value=5.0, negative_slope=0.2, threshold=1.0, dtype="float64")(x)
    assert_close(full, np.where(x >= 1.0, np.minimum(x, 5.0), 0.2 * (x - 1.0)))
    with pytest.raises(ValueError):
        L.ReLU(max_value=-1)
    with pytest.raises(ValueError):
        L.ReLU(negative_slope=-0.1)


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 1.0}, {"negative_slope": 0.2, "threshold": 0.3},
                                    {"max_value": 1.2, "negative_slope": 0.1, "threshold": -0.4}])
def test_relu_layer_gradcheck(kwargs):
    x = np.array([[-1.7, -0.9, -0.15, 0.1], [0.45, 0.8, 1.45, 2.3]])    # away from every kink
    assert snn.gradcheck(L.ReLU(**kwargs), x)


def test_leaky_relu_layer():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    assert L.LeakyReLU().negative_slope == 0.3
    assert_close(L.LeakyReLU(dtype="float64")(x), np.where(x > 0, x, 0.3 * x))
    assert L.LeakyReLU(alpha=0.1).negative_slope == 0.1
    assert_close(L.LeakyReLU(alpha=0.1, dtype="float64")(x), np.where(x > 0, x, 0.1 * x))
    assert_close(L.LeakyReLU(negative_slope=0.05, dtype="float64")(x), np.where(x > 0, x, 0.05 * x))
    assert snn.gradcheck(L.LeakyReLU(), np.array([-1.3, -0.2, 0.4, 2.0]))


def test_elu_layer():
    x = np.array([-3.0, -0.5, 0.5, 2.0])
    assert_close(L.ELU(dtype="float64")(x), np.where(x > 0, x, np.exp(x) - 1))
    assert_close(L.ELU(alpha=0.5, dtype="float64")(x), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)))
    assert snn.gradcheck(L.ELU(alpha=0.7), x)


def test_softmax_layer_axis(rng):
    x = rng.normal(size=(2, 3, 4))
    assert_close(L.Softmax(dtype="float64")(x), _np_softmax(x, -1))
    out1 = L.Softmax(axis=1, dtype="float64")(x)
    assert_close(out1, _np_softmax(x, 1))
    np.testing.assert_allclose(out1.data.sum(axis=1), 1)


def test_maxout_layer():
    x = np.array([[1.0, 5.0, 2.0, -1.0, 0.5, 3.0],
                  [-2.0, -3.0, 4.0, 4.5, 9.0, -9.0]])
    out = L.Maxout(3, dtype="float64")(x)               # groups of 2 consecutive values
    assert_close(out, [[5.0, 2.0, 3.0], [-2.0, 4.5, 9.0]])
    out2 = L.Maxout(2, dtype="float64")(x)              # groups of 3
    assert_close(out2, [[5.0, 3.0], [4.0, 9.0]])
    layer = L.Maxout(4)
    with pytest.raises(ValueError) as err:
        layer(x)
    assert layer.name in str(err.value)
    for bad in (0, -1):
        with pytest.raises(ValueError):
            L.Maxout(bad)
