"""``scratchnn/kernels/activations.py``: the exact GELU in float32 (value and derivative in one
pass over cache-sized chunks) agrees with the readable op (erf in float64) and with PyTorch;
float64 keeps the reference's full precision."""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.kernels import activations

from tests.helpers import requires_torch, torch


def _gelu(x, fast, dtype=np.float32):
    """(output, gradient of sum(output * r)) of F.gelu with fast kernels on or off."""
    r = np.random.default_rng(4).standard_normal(x.shape)
    with fast_kernels(fast):
        t = Tensor(x, requires_grad=True, dtype=dtype)
        out = F.gelu(t)
        (out * Tensor(r, dtype=dtype)).sum().backward()
    return out.data, t.grad


def _inputs(rng, n):
    """Values where each branch of the formula matters: both signs, 0, tiny, large, beyond exp's range."""
    special = np.array([0.0, -0.0, 1e-30, -1e-30, 1e-4, -1e-4, 0.5, -0.5, 3.0, -3.0, 9.0, -9.0, 30.0, -30.0,
                        1e4, -1e4], dtype=np.float32)
    return np.concatenate([special, (rng.standard_normal(n) * 3).astype(np.float32)])


@pytest.mark.parametrize("n", [10, activations.CHUNK - 16, 3 * activations.CHUNK + 5])
def test_float32_gelu_kernel_matches_the_readable_op(rng, n):
    """Within float32's rounding (the A&S formula's 1.5e-7, evaluated in float32), across chunk
    boundaries; both keep float32."""
    x = _inputs(rng, n)
    (y_fast, g_fast), (y_ref, g_ref) = _gelu(x, True), _gelu(x, False)
    assert y_fast.dtype == g_fast.dtype == np.float32
    np.testing.assert_allclose(y_fast, y_ref, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(g_fast, g_ref, rtol=2e-6, atol=1e-6)
    assert np.isfinite(y_fast).all() and np.isfinite(g_fast).all()
    assert y_fast[x == 1e4][0] == 1e4 and y_fast[x == -1e4][0] == 0.0     # the tails: x and 0


def test_the_kernel_gives_the_value_and_the_derivative_of_any_shape(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    y, d = activations.gelu_forward(x)
    assert y.shape == d.shape == x.shape
    y_only, none = activations.gelu_forward(x, derivative=False)
    assert none is None
    np.testing.assert_array_equal(y_only, y)
    transposed, _ = activations.gelu_forward(x.transpose(2, 0, 1))          # not contiguous
    np.testing.assert_array_equal(transposed, y.transpose(2, 0, 1))


def test_float64_keeps_the_full_precision_erf(rng):
    """The kernel is float32's: in float64 fast kernels on and off give the same bits."""
    x = rng.standard_normal(100) * 3
    for a, b in zip(_gelu(x, True, np.float64), _gelu(x, False, np.float64)):
        np.testing.assert_array_equal(a, b)


@requires_torch
def test_float32_gelu_kernel_matches_torch(rng):
    x = _inputs(rng, 1000)
    r = np.random.default_rng(4).standard_normal(x.shape)
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.gelu(xt)
    (out * torch.tensor(r, dtype=torch.float32)).sum().backward()
    y, g = _gelu(x, True)
    np.testing.assert_allclose(y, out.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(g, xt.grad.numpy(), rtol=2e-6, atol=1e-6)
