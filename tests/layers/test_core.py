"""Layers: F.dense / F.dropout (gradcheck, PyTorch), every built-in layer (values by hand,
shapes, configs, weights), serialization, a user-written layer, the keras / tf namespaces,
and utils (to_categorical, set_random_seed)."""
import importlib.util
import json
import math
import os
import sys

import numpy as np
import pytest
from conftest import assert_close, requires_torch, torch

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import constraints as C
from scratchnn import initializers as I
from scratchnn import layers as L
from scratchnn import regularizers as R
from scratchnn.autograd import Tensor
from scratchnn.gradcheck import gradcheck
from scratchnn.utils import set_random_seed, to_categorical


def _leaf(x, dtype=np.float64):
    return Tensor(np.array(x, dtype=dtype), requires_grad=True, dtype=dtype)


def _np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _built_dense(n_in=4, units=3, **kwargs):
    layer = L.Dense(units, **kwargs)
    layer(np.zeros((1, n_in)))
    return layer


# ======================================================================= F.dense
@pytest.mark.parametrize("x_shape", [(3, 4), (2, 3, 4)], ids=["2d", "3d"])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "nobias"])
def test_dense_function_gradcheck(rng, x_shape, with_bias):
    x = rng.normal(size=x_shape)
    w = rng.normal(size=(4, 5))
    if with_bias:
        assert snn.gradcheck(F.dense, x, w, rng.normal(size=5))
    else:
        assert snn.gradcheck(lambda a, k: F.dense(a, k), x, w)


def test_dense_function_forward_by_hand(rng):
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    assert_close(F.dense(Tensor(x, dtype=np.float64), w, b), x @ w + b)
    assert_close(F.dense(Tensor(x, dtype=np.float64), w), x @ w)
    x3 = rng.normal(size=(2, 3, 4))
    assert_close(F.dense(Tensor(x3, dtype=np.float64), w, b), np.einsum("btf,fu->btu", x3, w) + b)


@requires_torch
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)], ids=["2d", "3d"])
def test_dense_function_matches_torch_linear(rng, x_shape):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=(4, 3)), rng.normal(size=3)
    r = rng.normal(size=x_shape[:-1] + (3,))
    xs, ws, bs = _leaf(x), _leaf(w), _leaf(b)
    out = F.dense(xs, ws, bs)
    (out * r).sum().backward()

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out_t = torch.nn.functional.linear(xt, wt.T, bt)
    (out_t * torch.tensor(r)).sum().backward()

    assert_close(out, out_t.detach().numpy(), what="forward")
    assert_close(xs.grad, xt.grad.numpy(), what="dx")
    assert_close(ws.grad, wt.grad.numpy(), what="dW")
    assert_close(bs.grad, bt.grad.numpy(), what="db")


def test_dense_function_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as err:
        F.dense(np.ones((2, 5)), np.ones((4, 3)))
    assert "(2, 5)" in str(err.value) and "(4, 3)" in str(err.value)
    with pytest.raises(ValueError):
        F.dense(np.float32(1.0), np.ones((4, 3)))


# ===================================================================== F.dropout
def test_dropout_function_identity_outside_training(rng):
    x = Tensor(rng.normal(size=(20, 7)))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0, training=True) is x
    np.testing.assert_array_equal(F.dropout(x.data, 0.9, training=False).data, x.data)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.7])
def test_dropout_function_statistics(p):
    x = np.ones(200_000, dtype=np.float32)
    y = F.dropout(x, p, rng=np.random.default_rng(0)).data
    zero_frac = np.mean(y == 0)
    assert abs(zero_frac - p) < 0.01, zero_frac
    survivors = y[y != 0]
    np.testing.assert_allclose(survivors, 1.0 / (1.0 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.03                 # expected value preserved


def test_dropout_function_gradient_is_scaled_mask(rng):
    p = 0.4
    x = _leaf(rng.uniform(0.5, 1.5, size=(30, 20)))   # no zeros: y == 0 iff dropped
    r = rng.normal(size=(30, 20))
    y = F.dropout(x, p, rng=np.random.default_rng(3))
    (y * r).sum().backward()
    mask = (y.data != 0).astype(np.float64)
    assert 0 < mask.mean() < 1
    assert_close(y, x.data * mask / (1 - p))
    assert_close(x.grad, r * mask / (1 - p), rtol=1e-12)
    assert np.all(x.grad[mask == 0] == 0)


def test_dropout_function_keeps_dtype():
    x32 = Tensor(np.ones((50, 50), dtype=np.float32))
    assert F.dropout(x32, 0.5).dtype == np.float32
    x64 = Tensor(np.ones((50, 50)), dtype=np.float64)
    assert F.dropout(x64, 0.5).dtype == np.float64


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_function_bad_rate_raises(rate):
    with pytest.raises(ValueError, match="rate"):
        F.dropout(np.ones(5), rate)


def test_dropout_function_reproducible():
    x = np.ones((40, 40), dtype=np.float32)
    a = F.dropout(x, 0.5, rng=np.random.default_rng(7)).data
    b = F.dropout(x, 0.5, rng=np.random.default_rng(7)).data
    np.testing.assert_array_equal(a, b)
    snn.random.set_seed(5)
    c = F.dropout(x, 0.5).data
    snn.random.set_seed(5)
    d = F.dropout(x, 0.5).data
    snn.random.set_seed(6)
    e = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(c, e)


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


def test_unknown_keyword_argument_raises_type_error():
    with pytest.raises(TypeError, match="unitz"):
        L.Dense(3, unitz=4)
    with pytest.raises(TypeError, match="foo"):
        L.Flatten(foo=1)


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


# ================================================================ serialization
_BUILTIN_LAYERS = {
    "InputLayer": lambda: L.Input(shape=(4, 2)),
    "Dense": lambda: L.Dense(4, activation="relu", bias_regularizer=R.L2(0.5),
                             kernel_constraint=C.UnitNorm()),
    "Flatten": lambda: L.Flatten(),
    "Activation": lambda: L.Activation("softmax"),
    "Dropout": lambda: L.Dropout(0.3, noise_shape=(None, 1), seed=1),
    "Reshape": lambda: L.Reshape((2, -1)),
    "ReLU": lambda: L.ReLU(max_value=3.0),
    "LeakyReLU": lambda: L.LeakyReLU(0.01),
    "ELU": lambda: L.ELU(0.2),
    "Softmax": lambda: L.Softmax(axis=-2),
    "Maxout": lambda: L.Maxout(3),
    "Rescaling": lambda: L.Rescaling(1 / 255, offset=-0.5),
    "Normalization": lambda: L.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25]),
    "Conv2D": lambda: L.Conv2D(4, (3, 2), strides=2, padding="same", activation="relu",
                               kernel_regularizer=R.L2(0.1)),
    "MaxPooling2D": lambda: L.MaxPooling2D(3, strides=2, padding="same"),
    "AveragePooling2D": lambda: L.AveragePooling2D((2, 1)),
    "BatchNormalization": lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False,
                                                       gamma_regularizer=R.L2(0.01),
                                                       gamma_constraint=C.NonNeg()),
    "LayerNormalization": lambda: L.LayerNormalization(axis=[1, 2], scale=False,
                                                       beta_initializer="ones"),
    "SpatialDropout2D": lambda: L.SpatialDropout2D(0.25, seed=3),
    "Conv2DTranspose": lambda: L.Conv2DTranspose(3, (3, 2), strides=2, padding="same", output_padding=(1, 1),
                                                 activation="relu", kernel_regularizer=R.L2(0.1)),
    "DepthwiseConv2D": lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                                 depthwise_constraint=C.NonNeg(), use_bias=False),
    "Conv1D": lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"),
    "MaxPooling1D": lambda: L.MaxPooling1D(3, strides=2, padding="same"),
    "UpSampling2D": lambda: L.UpSampling2D((2, 3)),
    "ZeroPadding2D": lambda: L.ZeroPadding2D(((1, 2), (0, 3))),
    "Cropping2D": lambda: L.Cropping2D((1, 2)),
    "GlobalAveragePooling2D": lambda: L.GlobalAveragePooling2D(keepdims=True),
    "GlobalMaxPooling2D": lambda: L.GlobalMaxPooling2D(),
}


def test_every_builtin_layer_is_covered():
    builtin = {name for name, cls in L.LAYERS.items() if cls.__module__.startswith("scratchnn.layers.")}
    assert builtin == set(_BUILTIN_LAYERS)


@pytest.mark.parametrize("class_name", sorted(_BUILTIN_LAYERS))
def test_serialize_deserialize_round_trip(class_name):
    layer = _BUILTIN_LAYERS[class_name]()
    data = L.serialize(layer)
    assert data["class_name"] == class_name
    clone = L.deserialize(data)
    assert type(clone) is type(layer) and clone is not layer
    assert L.serialize(clone) == data
    via_json = L.deserialize(json.loads(json.dumps(data)))
    assert json.loads(json.dumps(L.serialize(via_json))) == json.loads(json.dumps(data))
    assert L.get(data).get_config() == layer.get_config()
    assert L.get(layer) is layer


def test_deserialize_unknown_class_lists_known_and_mentions_register():
    with pytest.raises(ValueError) as err:
        L.deserialize({"class_name": "NoSuchLayer", "config": {}})
    msg = str(err.value)
    assert "NoSuchLayer" in msg and "Dense" in msg and "Maxout" in msg and "register" in msg
    with pytest.raises(ValueError):
        L.get("dense")


class _Scale(L.Layer):
    """y = x * alpha (elementwise, one weight per feature), with a config."""

    def __init__(self, init_value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.alpha = self.add_weight("alpha", (input_shape[-1],), I.Constant(self.init_value))

    def call(self, inputs, training=False):
        return inputs * self.alpha

    def get_config(self):
        return {**super().get_config(), "init_value": self.init_value}


def test_register_custom_layer_then_deserialize(rng):
    data = L.serialize(_Scale(2.5, name="scale_me"))
    assert data["class_name"] == "_Scale"
    assert L.register(_Scale) is _Scale
    clone = L.deserialize(data)
    assert isinstance(clone, _Scale) and clone.init_value == 2.5 and clone.name == "scale_me"
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(clone(x).data, 2.5 * x.astype(np.float32), rtol=1e-6)
    with pytest.raises(TypeError):
        L.register(int)


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


# ======================================================= keras / tf namespaces
def test_keras_namespace_objects():
    from scratchnn import keras
    assert keras.layers.Dense is L.Dense
    assert keras.layers.Flatten is L.Flatten and keras.layers.Input is L.Input
    assert keras.models.Sequential is snn.Sequential and keras.Sequential is snn.Sequential
    assert keras.optimizers.Adam is snn.optimizers.Adam
    assert keras.optimizers.schedules.ExponentialDecay is snn.optimizers.schedules.ExponentialDecay
    assert keras.losses.SparseCategoricalCrossentropy is snn.losses.SparseCategoricalCrossentropy
    assert keras.callbacks.EarlyStopping is snn.callbacks.EarlyStopping
    assert keras.utils.to_categorical is to_categorical
    assert keras.utils.set_random_seed is set_random_seed
    assert callable(keras.datasets.mnist.load_data)
    assert keras.regularizers.L2 is R.L2 and keras.constraints.MaxNorm is C.MaxNorm
    assert keras.initializers.GlorotUniform is I.GlorotUniform


def test_keras_string_identifiers_resolve():
    from scratchnn import keras
    assert keras.activations.get("relu") is F.relu
    assert keras.activations.get(None) is F.linear
    assert isinstance(keras.initializers.get("glorot_uniform"), I.GlorotUniform)
    loss = keras.losses.get("sparse_categorical_crossentropy")
    assert isinstance(loss, snn.losses.SparseCategoricalCrossentropy)
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    assert loss(np.array([0, 1]), p).item() == pytest.approx(-np.mean(np.log([0.7, 0.8])), rel=1e-5)
    metric = keras.metrics.get("accuracy")
    assert isinstance(metric, snn.metrics.Accuracy)
    assert isinstance(keras.optimizers.get("adam"), snn.optimizers.Adam)
    assert keras.optimizers.get("adam").learning_rate == pytest.approx(0.001)


def test_tensorflow_compat_module():
    import scratchnn.compat.tensorflow as tf
    from scratchnn import keras
    assert tf.keras is keras
    assert tf.random.set_seed is set_random_seed
    with pytest.raises(AttributeError) as err:
        tf.nn                                   # noqa: B018
    msg = str(err.value)
    assert "tf.nn" in msg and "scratchnn" in msg and "tf.keras" in msg
    tf.random.set_seed(3)
    a = L.Dense(4)(np.ones((1, 3)))
    tf.random.set_seed(3)
    b = L.Dense(4)(np.ones((1, 3)))
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("name", ["tensorflow", "keras"])
def test_no_fake_tensorflow_or_keras_module_becomes_importable(name):
    import scratchnn.compat.tensorflow  # noqa: F401
    spec = importlib.util.find_spec(name)
    pkg_dir = os.path.dirname(snn.__file__)
    if spec is not None and not (spec.origin or "").startswith(pkg_dir):
        pytest.skip(f"a real {name} is installed")
    assert spec is None
    assert name not in sys.modules


# ======================================================================== utils
def test_to_categorical_values():
    out = to_categorical([0, 2, 1, 2])
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.float32
    assert to_categorical([1, 0], num_classes=4).shape == (2, 4)
    np.testing.assert_array_equal(to_categorical([1, 0], num_classes=4), np.eye(4)[[1, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([[2], [0]])), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 3.0])), np.eye(4)[[1, 3]])
    assert to_categorical([1, 2], dtype="int32").dtype == np.int32
    assert to_categorical(np.array([[0, 1], [2, 1]])).shape == (2, 2, 3)


def test_to_categorical_matches_numpy_and_sklearn(rng):
    y = rng.integers(0, 10, size=500)
    np.testing.assert_array_equal(to_categorical(y, 10), np.eye(10, dtype=np.float32)[y])
    sk = pytest.importorskip("sklearn.preprocessing")
    enc = sk.OneHotEncoder(categories=[list(range(10))], sparse_output=False)
    np.testing.assert_array_equal(to_categorical(y.reshape(-1, 1), 10), enc.fit_transform(y.reshape(-1, 1)))


@pytest.mark.parametrize("labels, kwargs", [([0, -1, 2], {}), ([0, 3], {"num_classes": 3}),
                                            ([0.5, 1.0], {}), (["a", "b"], {})])
def test_to_categorical_bad_labels_raise(labels, kwargs):
    with pytest.raises(ValueError):
        to_categorical(np.array(labels), **kwargs)


def test_set_random_seed_makes_dense_weights_repeatable():
    def weights(seed):
        set_random_seed(seed)
        model = snn.Sequential([L.Dense(5, activation="relu"), L.Dense(2)])
        model(np.zeros((1, 3)))
        return [w.data.copy() for w in model.weights]

    first, second, other = weights(0), weights(0), weights(1)
    assert len(first) == 4
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    with pytest.raises(ValueError):
        set_random_seed(-1)


# ================================================================ preprocessing layers
def test_rescaling_maps_pixels_and_passes_gradients():
    layer = L.Rescaling(1 / 255, offset=-0.5)
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_allclose(layer(x).data, x / 255 - 0.5, rtol=1e-6)
    assert gradcheck(lambda t: L.Rescaling(2.5, offset=1.0, dtype="float64")(t),
                     np.random.default_rng(0).normal(size=(3, 4)))


def test_normalization_adapt_matches_standard_scaling(rng):
    x = rng.normal(loc=[3.0, -2.0, 100.0], scale=[2.0, 0.1, 30.0], size=(200, 3)).astype(np.float32)
    layer = L.Normalization()
    layer.adapt(x)
    expected = (x.astype(np.float64) - x.mean(0)) / x.std(0)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-4, atol=1e-5)
    assert layer.weights and not layer.trainable_weights         # mean/variance are saved, not trained
    np.testing.assert_allclose(layer.variance.data, x.astype(np.float64).var(0), rtol=1e-5)
    back = L.Normalization(mean=layer.mean.data, variance=layer.variance.data, invert=True)
    np.testing.assert_allclose(back(layer(x)).data, x, rtol=1e-4, atol=1e-3)


def test_normalization_constant_feature_and_axis_none(rng):
    x = np.c_[np.full(10, 7.0), rng.normal(size=10)]
    out = L.Normalization(dtype="float64")
    out.adapt(x)
    np.testing.assert_array_equal(out(x).data[:, 0], 0.0)        # std 0 -> divided by 1e-7, x - mean = 0
    scalar = L.Normalization(axis=None, dtype="float64")
    scalar.adapt(x)
    np.testing.assert_allclose(scalar(x).data, (x - x.mean()) / x.std())


def test_normalization_gradient_and_errors(rng):
    layer = L.Normalization(mean=[1.0, -1.0], variance=[4.0, 0.25], dtype="float64")
    assert gradcheck(lambda t: layer(t), rng.normal(size=(5, 2)))
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=[0.0])
    with pytest.raises(ValueError, match="variance must be >= 0"):
        L.Normalization(mean=[0.0], variance=[-1.0])
    built = L.Normalization()
    built.adapt(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="built for 3 features, adapt got 2"):
        built.adapt(rng.normal(size=(4, 2)))
