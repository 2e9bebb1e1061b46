"""``F.dense`` and ``F.dropout`` (``scratchnn/functional/nn.py``): gradcheck, values by hand,
PyTorch's ``linear``, dropout's statistics, mask and seeding.
"""
import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn.autograd import Tensor

from tests.helpers import assert_close, requires_torch, torch


def _leaf(x, dtype=np.float64):
    return Tensor(np.array(x, dtype=dtype), requires_grad=True, dtype=dtype)


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
