"""Activation functions (``scratchnn/functional/activations.py``): gradients (finite
differences), agreement with PyTorch, stability, dtypes, lookup.

Every activation in ``F.ACTIVATIONS`` (and ``maxout``) is listed once in ``CASES``
with its PyTorch equivalent and the points where it is not differentiable
(kinks), which random inputs for the gradient check keep away from.
"""
import math
import warnings

import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn import Tensor, gradcheck

from tests.helpers import assert_close, requires_torch, torch

tF = torch.nn.functional if torch is not None else None


def _maxout_torch(pieces):
    def ref(t):
        return t.reshape(t.shape[:-1] + (t.shape[-1] // pieces, pieces)).amax(dim=-1)
    return ref


# id -> (scratchnn function, PyTorch reference (called lazily), kinks, shapes)
ELEMENTWISE = [(5,), (3, 4)]
CASES = {
    "linear": (F.linear, lambda t: t * 1, (), ELEMENTWISE),
    "sigmoid": (F.sigmoid, lambda t: torch.sigmoid(t), (), ELEMENTWISE),
    "tanh": (F.tanh, lambda t: torch.tanh(t), (), ELEMENTWISE),
    "relu": (F.relu, lambda t: tF.relu(t), (0.0,), ELEMENTWISE),
    "leaky_relu": (F.leaky_relu, lambda t: tF.leaky_relu(t, negative_slope=0.3), (0.0,), ELEMENTWISE),
    "leaky_relu_alpha0.1": (lambda x: F.leaky_relu(x, alpha=0.1),
                            lambda t: tF.leaky_relu(t, negative_slope=0.1), (0.0,), ELEMENTWISE),
    "elu": (F.elu, lambda t: tF.elu(t, alpha=1.0), (0.0,), ELEMENTWISE),
    "elu_alpha0.5": (lambda x: F.elu(x, alpha=0.5), lambda t: tF.elu(t, alpha=0.5), (0.0,), ELEMENTWISE),
    "selu": (F.selu, lambda t: tF.selu(t), (0.0,), ELEMENTWISE),
    "gelu": (F.gelu, lambda t: tF.gelu(t), (), ELEMENTWISE),
    "gelu_tanh": (lambda x: F.gelu(x, approximate=True), lambda t: tF.gelu(t, approximate="tanh"),
                  (), ELEMENTWISE),
    "softplus": (F.softplus, lambda t: tF.softplus(t), (), ELEMENTWISE),
    "silu": (F.silu, lambda t: tF.silu(t), (), ELEMENTWISE),
    "swish": (F.swish, lambda t: tF.silu(t), (), ELEMENTWISE),
    "softsign": (F.softsign, lambda t: tF.softsign(t), (0.0,), ELEMENTWISE),
    "hard_sigmoid": (F.hard_sigmoid, lambda t: tF.hardsigmoid(t), (-3.0, 3.0), ELEMENTWISE),
    "relu6": (F.relu6, lambda t: tF.relu6(t), (0.0, 6.0), ELEMENTWISE),
    "exponential": (F.exponential, lambda t: torch.exp(t), (), ELEMENTWISE),
    "mish": (F.mish, lambda t: tF.mish(t), (), ELEMENTWISE),
    "softmax": (F.softmax, lambda t: torch.softmax(t, dim=-1), (), [(3, 4), (2, 3, 4)]),
    "softmax_axis0": (lambda x: F.softmax(x, axis=0), lambda t: torch.softmax(t, dim=0), (),
                      [(3, 4), (2, 3, 4)]),
    "softmax_T0.5": (lambda x: F.softmax(x, temperature=0.5), lambda t: torch.softmax(t / 0.5, dim=-1), (),
                     [(3, 4), (2, 3, 4)]),
    "softmax_T3_axis0": (lambda x: F.softmax(x, axis=0, temperature=3), lambda t: torch.softmax(t / 3, dim=0),
                         (), [(3, 4)]),
    "log_softmax": (F.log_softmax, lambda t: torch.log_softmax(t, dim=-1), (), [(3, 4), (2, 3, 4)]),
    "log_softmax_axis0": (lambda x: F.log_softmax(x, axis=0), lambda t: torch.log_softmax(t, dim=0),
                          (), [(3, 4), (2, 3, 4)]),
    "maxout2": (lambda x: F.maxout(x, 2), _maxout_torch(2), (), [(6,), (3, 8)]),
    "maxout3": (lambda x: F.maxout(x, 3), _maxout_torch(3), (), [(2, 6), (2, 2, 9)]),
}
NAMES = list(CASES)
CASE_SHAPES = [(name, shape) for name in NAMES for shape in CASES[name][3]]
SHAPE_IDS = [f"{name}-{'x'.join(map(str, shape))}" for name, shape in CASE_SHAPES]


def _inputs(rng, shape, kinks=(), low=-8.0, high=8.0, margin=0.05):
    """Random float64 values in [low, high] kept at least ``margin`` away from every kink."""
    x = rng.uniform(low, high, size=shape)
    for k in kinks:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, margin, -margin) * 2
    return x


def test_cases_cover_every_activation():
    """A new entry in F.ACTIVATIONS must get a row in CASES (step is tested on its own)."""
    missing = set(F.ACTIVATIONS) - set(CASES) - {"step"}
    assert not missing, f"activations without tests: {sorted(missing)}"


# ------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("name,shape", CASE_SHAPES, ids=SHAPE_IDS)
def test_gradcheck(name, shape, rng):
    fn, _, kinks, _ = CASES[name]
    x = _inputs(rng, shape, kinks)
    assert gradcheck(fn, x)


def test_gradcheck_hard_sigmoid_and_relu6_on_every_piece():
    """Inputs on each linear piece (below, inside, above), away from the kinks."""
    x = np.array([-5.0, -3.5, -2.5, -0.5, 0.5, 2.5, 3.5, 5.5, 6.5, 9.0])
    assert gradcheck(F.hard_sigmoid, x)
    assert gradcheck(F.relu6, x)


# ------------------------------------------------------------------- PyTorch
@requires_torch
@pytest.mark.parametrize("name,shape", CASE_SHAPES, ids=SHAPE_IDS)
def test_matches_torch(name, shape, rng):
    fn, ref, kinks, _ = CASES[name]
    x = _inputs(rng, shape, kinks)
    xs = Tensor(x, requires_grad=True, dtype=np.float64)
    out = fn(xs)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out_t = ref(xt)
    assert_close(out, out_t.detach().numpy(), what=f"{name} forward")

    g = rng.standard_normal(out_t.shape)
    out.backward(g)
    out_t.backward(torch.tensor(g))
    assert_close(xs.grad, xt.grad.numpy(), what=f"{name} gradient")


@requires_torch
def test_maxout_tie_shares_gradient_like_torch_amax():
    x = np.array([[1.0, 1.0, 0.0, 2.0, 3.0, 3.0]])
    xs = Tensor(x, requires_grad=True, dtype=np.float64)
    F.maxout(xs, 2).backward(np.ones((1, 3)))
    xt = torch.tensor(x, requires_grad=True)
    _maxout_torch(2)(xt).backward(torch.ones(1, 3))
    assert_close(xs.grad, xt.grad.numpy())
    assert_close(xs.grad, [[0.5, 0.5, 0.0, 1.0, 0.5, 0.5]])


def test_maxout_rejects_pieces_that_do_not_divide_the_last_axis():
    with pytest.raises(ValueError, match="pieces=4"):
        F.maxout(Tensor(np.zeros((2, 6))), 4)
    with pytest.raises(ValueError):
        F.maxout(Tensor(np.zeros((2, 6))), 0)


# ---------------------------------------------------------------------- step
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_step_is_heaviside(dtype):
    x = np.array([-3.0, -1e-9, -0.0, 0.0, 1e-9, 0.5, 7.0], dtype=dtype)
    y = F.step(Tensor(x, dtype=dtype))
    np.testing.assert_array_equal(y.data, [0, 0, 0, 0, 1, 1, 1])
    assert y.dtype == dtype


def test_step_result_does_not_require_grad():
    x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True, dtype=np.float64)
    y = F.step(x)
    assert not y.requires_grad


def test_step_passes_no_gradient():
    x = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True, dtype=np.float64)
    (F.step(x) * x).sum().backward()          # only the direct `* x` path carries a gradient
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])


# ---------------------------------------------------------- extreme inputs
def _no_fp_trouble():
    """Overflow, division by zero and invalid operations raise; underflow to 0 is benign."""
    return np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")


EXTREMES = [1e4, -1e4, 1e3, -1e3, 0.0]
# name -> (expected value, expected derivative) at EXTREMES
EXTREME_ELEMENTWISE = {
    "sigmoid": ([1.0, 0.0, 1.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.0, 0.25]),
    "softplus": ([1e4, 0.0, 1e3, 0.0, math.log(2.0)], [1.0, 0.0, 1.0, 0.0, 0.5]),
    "silu": ([1e4, 0.0, 1e3, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0, 0.5]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(EXTREME_ELEMENTWISE))
def test_elementwise_stable_at_extremes(name, dtype):
    value, deriv = EXTREME_ELEMENTWISE[name]
    x = Tensor(np.array(EXTREMES, dtype=dtype), requires_grad=True, dtype=dtype)
    with warnings.catch_warnings(), _no_fp_trouble():
        warnings.simplefilter("error")
        y = getattr(F, name)(x)
        y.backward(np.ones(len(EXTREMES), dtype=dtype))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.data, value, rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad, deriv, rtol=tol, atol=tol)


def test_sigmoid_derivative_is_exactly_zero_when_saturated():
    x = Tensor(np.array([1e4, -1e4]), requires_grad=True, dtype=np.float64)
    F.sigmoid(x).sum().backward()
    assert x.grad[0] == 0.0 and x.grad[1] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_softmax_stable_at_extremes(dtype):
    x = np.array([[1e4, 0.0, -1e4], [1e3, -1e3, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    xs = Tensor(x, requires_grad=True, dtype=dtype)
    g = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0], [1.0, 2.0, 3.0]], dtype=dtype)
    with warnings.catch_warnings(), _no_fp_trouble():
        warnings.simplefilter("error")
        y = F.softmax(xs)
        y.backward(g)
    np.testing.assert_array_equal(y.data[:2], [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(y.data[2], [1 / 3] * 3, rtol=1e-6)
    # a saturated softmax has a zero Jacobian; the uniform row: y * (g - mean(g))
    np.testing.assert_array_equal(xs.grad[:2], 0.0)
    np.testing.assert_allclose(xs.grad[2], (g[2] - g[2].mean()) / 3, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_log_softmax_stable_at_extremes(dtype):
    x = np.array([[1e4, 0.0, -1e4], [1e3, -1e3, 0.0]], dtype=dtype)
    xs = Tensor(x, requires_grad=True, dtype=dtype)
    g = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], dtype=dtype)
    with warnings.catch_warnings(), _no_fp_trouble():
        warnings.simplefilter("error")
        y = F.log_softmax(xs)
        y.backward(g)
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(xs.grad))
    np.testing.assert_allclose(y.data, [[0.0, -1e4, -2e4], [0.0, -2e3, -1e3]], rtol=1e-6)
    # dx = g - softmax(x) * sum(g), softmax = [1, 0, 0] on both rows
    expected = g - np.array([[1.0, 0.0, 0.0]]) * g.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(xs.grad, expected, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------- documented facts
def test_sigmoid_derivative_peaks_at_quarter_at_zero():
    x = np.concatenate([np.linspace(-10, 10, 2001), [0.0]])
    xs = Tensor(x, requires_grad=True, dtype=np.float64)
    F.sigmoid(xs).sum().backward()
    assert xs.grad[-1] == 0.25
    assert xs.grad.max() <= 0.25
    assert np.all(xs.grad[np.abs(x) > 1e-3] < 0.25)


@pytest.mark.parametrize("axis", [-1, 0], ids=["axis-1", "axis0"])
def test_softmax_sums_to_one(axis, rng):
    x = rng.standard_normal((5, 7)) * 30
    y = F.softmax(Tensor(x, dtype=np.float64), axis=axis)
    np.testing.assert_allclose(y.data.sum(axis=axis), 1.0, rtol=1e-12)
    assert np.all(y.data >= 0)


def test_softmax_temperature_sharpens_below_one_and_flattens_above():
    x = Tensor(np.array([[2.0, 1.0, 0.1, -1.0]]), dtype=np.float64)
    plain = F.softmax(x).data
    np.testing.assert_array_equal(F.softmax(x, temperature=1).data, plain)
    probs = {t: F.softmax(x, temperature=t).data for t in (0.1, 0.5, 1.0, 2.0, 10.0)}
    top = [probs[t][0, 0] for t in sorted(probs)]
    assert all(a > b for a, b in zip(top, top[1:]))             # the top class loses mass as T grows
    entropy = [-(probs[t] * np.log(probs[t])).sum() for t in sorted(probs)]
    assert all(a < b for a, b in zip(entropy, entropy[1:])) and entropy[-1] < np.log(4)
    np.testing.assert_allclose(probs[0.5], F.softmax(x * 2.0).data, rtol=1e-12)
    np.testing.assert_array_equal(np.argsort(probs[10.0]), np.argsort(plain))   # the order is kept
    assert F.softmax(Tensor(x.data.astype(np.float32)), temperature=0.5).dtype == np.float32


@pytest.mark.parametrize("temperature", [0, 0.0, -1.0, float("nan"), float("inf"), "2", None, True])
def test_softmax_temperature_must_be_a_positive_number(temperature):
    with pytest.raises(ValueError, match=r"temperature must be a positive finite number.*got"):
        F.softmax(Tensor(np.zeros((2, 3))), temperature=temperature)


# ------------------------------------------------------------------ lookup
def test_get_activation_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        F.get_activation("nope")
    message = str(info.value)
    assert "nope" in message
    for name in ("relu", "softmax", "sigmoid", "linear"):
        assert name in message


def test_get_activation_none_is_linear():
    assert F.get_activation(None) is F.linear
    x = Tensor(np.array([-2.0, 3.0]), dtype=np.float64)
    np.testing.assert_array_equal(F.get_activation(None)(x).data, [-2.0, 3.0])


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
def test_get_activation_by_name(name):
    assert F.get_activation(name) is F.ACTIVATIONS[name]


def test_get_activation_passes_callables_through():
    assert F.get_activation(F.tanh) is F.tanh


# ------------------------------------------------------------------- dtypes
DTYPE_CASES = NAMES + ["step"]


@pytest.mark.parametrize("name", DTYPE_CASES)
def test_float32_in_float32_out(name, rng):
    fn = F.step if name == "step" else CASES[name][0]
    shape = (2, 6)
    x64 = _inputs(rng, shape, () if name == "step" else CASES[name][2], low=-4, high=4)
    x = Tensor(x64.astype(np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32, f"{name}: output dtype {y.dtype}"
    np.testing.assert_allclose(y.data, fn(Tensor(x64, dtype=np.float64)).data, rtol=1e-5, atol=1e-5)
    if name == "step":
        return
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32, f"{name}: gradient dtype {x.grad.dtype}"
