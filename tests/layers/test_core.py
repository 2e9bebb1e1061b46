"""The core layers (``scratchnn/layers/core.py``): Dense (lazy build, initializers,
activations, regularizers, configs, PyTorch's ``Linear``), Flatten, Reshape, Activation and
Dropout.
"""
import json
import math

import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn import constraints as C
from scratchnn import initializers as I
from scratchnn import layers as L
from scratchnn import regularizers as R
from scratchnn.autograd import Tensor
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, requires_torch, torch


def _leaf(x, dtype=np.float64):
    return Tensor(np.array(x, dtype=dtype), requires_grad=True, dtype=dtype)


def _np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _built_dense(n_in=4, units=3, **kwargs):
    layer = L.Dense(units, **kwargs)
    layer(np.zeros((1, n_in)))
    return layer


# ========================================================================= Dense
def test_dense_lazy_build_and_weights():
    layer = L.Dense(3)
    assert not layer.built and layer.weights == [] and layer.count_params() == 0
    out = layer(np.ones((2, 5)))
    assert layer.built and out.shape == (2, 3)
    assert layer.kernel.shape == (5, 3) and layer.bias.shape == (3,)
    assert layer.weights[0] is layer.kernel and layer.weights[1] is layer.bias
    assert layer.trainable_weights == [layer.kernel, layer.bias]
    assert layer.non_trainable_weights == []
    assert layer.count_params() == 5 * 3 + 3
    assert layer.kernel.dtype == np.float32 and out.dtype == np.float32
    np.testing.assert_array_equal(layer.bias.data, 0)
    assert layer.kernel.name.endswith("kernel") and layer.name in layer.kernel.name


def test_dense_glorot_uniform_default_range():
    set_random_seed(0)
    n_in, units = 200, 300
    layer = _built_dense(n_in, units)
    assert isinstance(layer.kernel_initializer, I.GlorotUniform)
    limit = math.sqrt(6 / (n_in + units))
    w = layer.kernel.data
    assert np.all(np.abs(w) <= limit)
    assert np.abs(w).max() > 0.98 * limit
    assert abs(w.mean()) < 0.01 * limit
    assert w.var() == pytest.approx(limit ** 2 / 3, rel=0.03)


def test_dense_activations(rng):
    x = rng.normal(size=(6, 4))
    for activation, fn in [("relu", lambda z: np.maximum(z, 0)), ("softmax", _np_softmax),
                           (None, lambda z: z), ("linear", lambda z: z), ("tanh", np.tanh)]:
        layer = L.Dense(5, activation=activation, dtype="float64")
        out = layer(x)
        z = x @ layer.kernel.data + layer.bias.data
        assert_close(out, fn(z), what=str(activation))
    probs = L.Dense(5, activation="softmax")(x).data
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    with pytest.raises(ValueError):
        L.Dense(3, activation="no_such_activation")


def test_dense_without_bias(rng):
    layer = L.Dense(4, use_bias=False, dtype="float64")
    x = rng.normal(size=(3, 6))
    out = layer(x)
    assert layer.bias is None and len(layer.weights) == 1
    assert layer.count_params() == 6 * 4
    assert_close(out, x @ layer.kernel.data)


def test_dense_string_identifiers_resolved():
    layer = _built_dense(kernel_initializer="ones", bias_initializer="ones",
                         kernel_regularizer="l2", bias_regularizer="l1",
                         kernel_constraint="non_neg", bias_constraint="max_norm")
    assert isinstance(layer.kernel_initializer, I.Ones)
    assert isinstance(layer.kernel_regularizer, R.L2) and layer.kernel_regularizer.l2 == 0.01
    assert isinstance(layer.bias_regularizer, R.L1)
    assert isinstance(layer.kernel_constraint, C.NonNeg)
    assert isinstance(layer.bias_constraint, C.MaxNorm)
    np.testing.assert_array_equal(layer.kernel.data, 1)
    np.testing.assert_array_equal(layer.bias.data, 1)
    assert layer.kernel.regularizer is layer.kernel_regularizer
    assert layer.kernel.constraint is layer.kernel_constraint


def test_dense_weight_regularization_losses(rng):
    layer = _built_dense(4, 3, kernel_regularizer=R.L2(0.1), bias_regularizer=R.L1(0.2))
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    layer.set_weights([w, b])
    losses = [float(t.item()) for t in layer.losses]
    assert len(losses) == 2
    assert losses[0] == pytest.approx(0.1 * np.sum(w.astype(np.float32) ** 2), rel=1e-5)
    assert losses[1] == pytest.approx(0.2 * np.sum(np.abs(b.astype(np.float32))), rel=1e-5)
    assert _built_dense().losses == []


def test_dense_activity_regularizer_not_divided_by_batch(rng):
    layer = L.Dense(3, activation="relu", activity_regularizer=R.L2(0.05), dtype="float64")
    x = rng.normal(size=(8, 4))
    out = layer(x)
    expected = 0.05 * np.sum(np.maximum(x @ layer.kernel.data + layer.bias.data, 0) ** 2)
    assert len(layer.losses) == 1
    assert layer.losses[0].item() == pytest.approx(expected, rel=1e-10)
    assert np.sum(out.data ** 2) * 0.05 == pytest.approx(expected, rel=1e-10)
    layer(x[:2])                                   # replaced, not accumulated
    assert len(layer.losses) == 1
    assert layer.losses[0].item() == pytest.approx(0.05 * np.sum(layer(x[:2]).data ** 2), rel=1e-10)


def test_dense_trainable_false():
    layer = _built_dense(4, 3, trainable=False)
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == [layer.kernel, layer.bias]
    assert layer.count_params() == 15 and len(layer.weights) == 2
    layer2 = _built_dense(4, 3)
    layer2.trainable = False
    assert layer2.trainable_weights == [] and len(layer2.non_trainable_weights) == 2


def test_dense_second_call_with_other_last_dimension_raises():
    layer = L.Dense(3)
    layer(np.ones((2, 4)))
    with pytest.raises(ValueError) as err:
        layer(np.ones((2, 5)))
    msg = str(err.value)
    assert layer.name in msg and "(None, 4)" in msg and "(2, 5)" in msg
    assert layer(np.ones((7, 4))).shape == (7, 3)     # another batch size is fine


@pytest.mark.parametrize("units", [0, -2, 2.5, True, "3"])
def test_dense_bad_units_raise(units):
    with pytest.raises(ValueError, match="units"):
        L.Dense(units)


def test_dense_config_round_trip(rng):
    layer = L.Dense(5, activation="relu", kernel_initializer=I.RandomNormal(stddev=0.2, seed=3),
                    bias_initializer="ones", kernel_regularizer=R.L2(1e-3),
                    activity_regularizer=R.L1(1e-4), kernel_constraint=C.MaxNorm(2.0),
                    input_shape=(4,), dtype="float64")
    config = layer.get_config()
    assert config["units"] == 5 and config["activation"] == "relu"
    assert config["input_shape"] == [4]
    json.dumps(config)                                  # JSON-friendly
    clone = L.Dense.from_config(config)
    assert clone.get_config() == config
    assert L.Dense.from_config(json.loads(json.dumps(config))).get_config() == config
    x = rng.normal(size=(3, 4))
    out = layer(x)
    clone(x[:1])
    clone.set_weights(layer.get_weights())
    assert_close(clone(x), out.data, rtol=0, atol=0)


def test_dense_on_3d_input(rng):
    layer = L.Dense(6, dtype="float64")
    x = rng.normal(size=(2, 5, 4))
    out = layer(x)
    assert out.shape == (2, 5, 6) and layer.kernel.shape == (4, 6)
    expected = np.einsum("btf,fu->btu", x, layer.kernel.data) + layer.bias.data
    assert_close(out, expected)
    assert layer.compute_output_shape((None, 5, 4)) == (None, 5, 6)


@requires_torch
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)], ids=["2d", "3d"])
def test_dense_layer_matches_torch_linear(rng, x_shape):
    layer = L.Dense(3, dtype="float64")
    layer(np.zeros((1,) + x_shape[1:]))
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    layer.set_weights([w, b])
    assert layer.kernel.dtype == np.float64

    lin = torch.nn.Linear(4, 3)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(w.T))
        lin.bias.copy_(torch.tensor(b))

    x = rng.normal(size=x_shape)
    r = rng.normal(size=x_shape[:-1] + (3,))
    xs = _leaf(x)
    out = layer(xs)
    (out * r).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    out_t = lin(xt)
    (out_t * torch.tensor(r)).sum().backward()

    assert out.dtype == np.float64
    assert_close(out, out_t.detach().numpy(), what="forward")
    assert_close(xs.grad, xt.grad.numpy(), what="dx")
    assert_close(layer.kernel.grad, lin.weight.grad.numpy().T, what="dW")
    assert_close(layer.bias.grad, lin.bias.grad.numpy(), what="db")


# ================================================================ other layers
def test_flatten(rng):
    x = rng.normal(size=(3, 2, 4, 5))
    out = L.Flatten()(x)
    assert out.shape == (3, 40)
    np.testing.assert_array_equal(out.data, x.reshape(3, 40).astype(np.float32))
    assert L.Flatten().compute_output_shape((None, 28, 28)) == (None, 784)
    assert L.Flatten()(np.ones((4,))).shape == (4, 1)


def test_reshape(rng):
    x = rng.normal(size=(2, 12))
    out = L.Reshape((3, 4))(x)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.data, x.reshape(2, 3, 4).astype(np.float32))
    assert L.Reshape((-1, 2))(x).shape == (2, 6, 2)
    assert L.Reshape((3, -1))(x).shape == (2, 3, 4)
    assert L.Reshape((-1, 2)).compute_output_shape((None, 12)) == (None, 6, 2)
    assert L.Reshape((-1, 2)).compute_output_shape((None, None)) == (None, None, 2)


@pytest.mark.parametrize("target", [(5,), (-1, 5)])
def test_reshape_invalid_target_raises_at_build(target):
    layer = L.Reshape(target)
    with pytest.raises(ValueError) as err:
        layer(np.ones((2, 12)))
    assert layer.name in str(err.value)
    assert not layer.built


@pytest.mark.parametrize("target", [(-1, -1), (0, 3), (-2, 6)])
def test_reshape_bad_target_shape_raises(target):
    with pytest.raises(ValueError, match="target_shape"):
        L.Reshape(target)


def test_activation_layer(rng):
    x = rng.normal(size=(4, 3))
    assert_close(L.Activation("relu", dtype="float64")(x), np.maximum(x, 0))
    assert_close(L.Activation("sigmoid", dtype="float64")(x), 1 / (1 + np.exp(-x)))
    assert_close(L.Activation(F.tanh, dtype="float64")(x), np.tanh(x))
    assert L.Activation("tanh").get_config()["activation"] == "tanh"


def test_dropout_layer_training_flag(rng):
    x = np.ones((300, 300), dtype=np.float32)
    layer = L.Dropout(0.25)
    np.testing.assert_array_equal(layer(x).data, x)                 # training=False by default
    np.testing.assert_array_equal(layer(x, training=False).data, x)
    y = layer(x, training=True).data
    assert abs(np.mean(y == 0) - 0.25) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    assert y.dtype == np.float32
    a = L.Dropout(0.5, seed=11)(x, training=True).data
    b = L.Dropout(0.5, seed=11)(x, training=True).data
    np.testing.assert_array_equal(a, b)
    for rate in (-0.5, 1.0):
        with pytest.raises(ValueError, match="rate"):
            L.Dropout(rate)


def test_dropout_layer_noise_shape_shares_the_mask():
    # Keras: noise_shape=(batch, 1, features) drops the same features at every timestep.
    x = np.ones((8, 5, 6), dtype=np.float32)
    layer = L.Dropout(0.5, noise_shape=(8, 1, 6), seed=0)
    y = layer(x, training=True).data
    assert 0 < np.mean(y == 0) < 1
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))


def test_masking_masks_the_steps_whose_features_all_equal_mask_value_and_zeroes_them():
    from scratchnn.layers import get_mask
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]],
                  [[0.0, 0.0], [4.0, 0.0], [0.0, 0.0]]], dtype="float32")
    out = L.Masking()(x)
    np.testing.assert_array_equal(get_mask(out), [[True, False, True], [False, True, False]])
    np.testing.assert_array_equal(out.data, x)                      # masked steps were all 0 already
    out = L.Masking(mask_value=3.0)(x + 3.0)
    np.testing.assert_array_equal(get_mask(out), [[True, False, True], [False, True, False]])
    np.testing.assert_array_equal(out.data[0, 1], [0.0, 0.0])       # a masked step is zeroed
    # an LSTM after it keeps its state over the masked steps: as if they were not there
    lstm = L.LSTM(3)
    with_mask = lstm(L.Masking()(x[:1])).data
    np.testing.assert_allclose(with_mask, lstm(x[:1, [0, 2]]).data, rtol=1e-6)
