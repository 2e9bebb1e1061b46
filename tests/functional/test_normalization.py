"""Normalization functions (``scratchnn/functional/normalization.py``): F.batch_norm_train /
F.batch_norm / F.layer_norm (gradcheck, values, PyTorch, dtypes, shape errors, the wide-rows
layout). The layers are tested in ``tests/layers/test_normalization.py``.
"""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.autograd import Tensor, no_grad
from scratchnn.gradcheck import gradcheck

from tests.helpers import assert_close, requires_torch, torch


def _leaf(x, dtype=np.float64):
    return Tensor(np.array(x, dtype=dtype), requires_grad=True, dtype=dtype)


def _t64(x):
    return Tensor(np.asarray(x, dtype=np.float64), dtype=np.float64)


def _bn_by_hand(x, gamma, beta, mean, var, eps, axis=-1):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    r = [np.reshape(v, shape) for v in (gamma, beta, mean, var)]
    return r[0] * (x - r[2]) / np.sqrt(r[3] + eps) + r[1]


# ========================================================================= gradcheck
@pytest.mark.parametrize("shape, axis", [((6, 3), -1), ((3, 2, 3, 4), -1), ((3, 2, 3, 4), 1)],
                         ids=["2d", "4d_nhwc", "4d_axis1"])
def test_batch_norm_train_gradcheck(rng, shape, axis):
    c = shape[axis]
    x = rng.normal(size=shape) * 2 + 0.5
    assert gradcheck(lambda a, g, b: F.batch_norm_train(a, g, b, axis=axis)[0],
                     x, rng.normal(size=c), rng.normal(size=c))


def test_batch_norm_train_gradcheck_without_gamma_beta(rng):
    assert gradcheck(lambda a: F.batch_norm_train(a, epsilon=1e-2)[0], rng.normal(size=(5, 3)))


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 2, 3)], ids=["2d", "4d"])
def test_batch_norm_inference_gradcheck_all_inputs(rng, shape):
    c = shape[-1]
    args = (rng.normal(size=shape), rng.normal(size=c), rng.normal(size=c), rng.normal(size=c),
            rng.uniform(0.5, 2.0, size=c))
    assert gradcheck(lambda *a: F.batch_norm(*a, epsilon=1e-3), *args)


@pytest.mark.parametrize("shape, axis", [((4, 5), -1), ((2, 3, 4), (1, 2)), ((2, 3, 4), 1)],
                         ids=["last", "last_two", "middle"])
def test_layer_norm_gradcheck(rng, shape, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    pshape = tuple(shape[a] for a in axes)
    assert gradcheck(lambda a, g, b: F.layer_norm(a, g, b, axis=axis),
                     rng.normal(size=shape), rng.normal(size=pshape), rng.normal(size=pshape))


# ==================================================================== functional values
def test_batch_norm_train_values_and_biased_statistics(rng):
    x = rng.normal(size=(4, 3, 2, 5)) * 3 + 1
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    y, mean, var = F.batch_norm_train(_t64(x), gamma, beta, epsilon=1e-3)
    mu, v = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))           # biased (ddof=0)
    assert_close(mean, mu, what="batch mean")
    assert_close(var, v, what="batch variance")
    assert not np.allclose(var.data, x.var(axis=(0, 1, 2), ddof=1))
    assert_close(y, _bn_by_hand(x, gamma, beta, mu, v, 1e-3), what="y")
    assert not mean.requires_grad and not var.requires_grad


def test_batch_norm_inference_values_and_defaults(rng):
    x = rng.normal(size=(3, 2, 2, 4))
    mean, var = rng.normal(size=4), rng.uniform(0.5, 2, size=4)
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    assert_close(F.batch_norm(_t64(x), gamma, beta, mean, var, 1e-3),
                 _bn_by_hand(x, gamma, beta, mean, var, 1e-3))
    assert_close(F.batch_norm(_t64(x), None, None, mean, var, 1e-2),
                 _bn_by_hand(x, np.ones(4), np.zeros(4), mean, var, 1e-2))
    x1 = np.moveaxis(x, -1, 1)                                            # channels first
    assert_close(F.batch_norm(_t64(x1), gamma, beta, mean, var, axis=1),
                 _bn_by_hand(x1, gamma, beta, mean, var, 1e-3, axis=1))


def test_layer_norm_values_and_defaults(rng):
    x = rng.normal(size=(3, 4, 5)) * 2 + 3
    out = F.layer_norm(_t64(x))                                            # epsilon 1e-3, gamma 1, beta 0
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    assert_close(out, expected)
    g, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    m, v = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    assert_close(F.layer_norm(_t64(x), g, b, axis=(-2, -1), epsilon=1e-5),
                 g * (x - m) / np.sqrt(v + 1e-5) + b)


def test_float32_stays_float32(rng):
    x = _leaf(rng.normal(size=(6, 2, 2, 3)), np.float32)
    gamma, beta = _leaf(np.ones(3), np.float32), _leaf(np.zeros(3), np.float32)
    y, mean, var = F.batch_norm_train(x, gamma, beta)
    (y * y).sum().backward()
    assert {y.dtype, mean.dtype, var.dtype, x.grad.dtype, gamma.grad.dtype} == {np.dtype(np.float32)}
    y2 = F.batch_norm(x, gamma, beta, mean, var)
    y3 = F.layer_norm(x, gamma, beta)
    assert y2.dtype == np.float32 and y3.dtype == np.float32


def test_batch_norm_train_without_graph_keeps_nothing(rng):
    with no_grad():
        y, _, _ = F.batch_norm_train(_leaf(rng.normal(size=(4, 3))), np.ones(3), np.zeros(3))
    assert y._ctx is None and not y.requires_grad


def test_functional_shape_errors_name_expected_and_received(rng):
    x = _t64(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"batch_norm_train: gamma must have shape \(3,\).*got shape \(4,\)"):
        F.batch_norm_train(x, np.ones(4))
    with pytest.raises(ValueError, match=r"batch_norm: variance must have shape \(3,\)"):
        F.batch_norm(x, None, None, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        F.batch_norm_train(x, axis=2)
    with pytest.raises(ValueError, match=r"layer_norm: gamma must have shape \(3,\)"):
        F.layer_norm(x, np.ones((4, 3)))
    with pytest.raises(ValueError, match="repeats an axis"):
        F.layer_norm(x, axis=(1, -1))


# =========================================================================== PyTorch
def _nchw(a):
    return torch.tensor(np.ascontiguousarray(np.moveaxis(a, -1, 1)), requires_grad=True)


@requires_torch
@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 5, 6)], ids=["dense", "conv_nhwc"])
def test_batch_norm_train_matches_torch(rng, shape):
    c = shape[-1]
    x, gamma, beta = rng.normal(size=shape) * 2 + 1, rng.normal(size=c), rng.normal(size=c)
    r = rng.normal(size=shape)
    xs, gs, bs = _leaf(x), _leaf(gamma), _leaf(beta)
    y, _, _ = F.batch_norm_train(xs, gs, bs, epsilon=1e-3)
    (y * r).sum().backward()

    xt = _nchw(x)
    gt, bt = (torch.tensor(a, requires_grad=True) for a in (gamma, beta))
    yt = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-3)
    (yt * _nchw(r).detach()).sum().backward()

    assert_close(y, np.moveaxis(yt.detach().numpy(), 1, -1), rtol=1e-5, what="forward")
    assert_close(xs.grad, np.moveaxis(xt.grad.numpy(), 1, -1), rtol=1e-5, atol=1e-8, what="dx")
    assert_close(gs.grad, gt.grad.numpy(), rtol=1e-5, what="dgamma")
    assert_close(bs.grad, bt.grad.numpy(), rtol=1e-5, what="dbeta")


@requires_torch
def test_batch_norm_inference_matches_torch_eval(rng):
    shape = (3, 4, 4, 5)
    x, gamma, beta = rng.normal(size=shape), rng.normal(size=5), rng.normal(size=5)
    rmean, rvar = rng.normal(size=5), rng.uniform(0.5, 2.0, size=5)
    r = rng.normal(size=shape)
    xs, gs, bs = _leaf(x), _leaf(gamma), _leaf(beta)
    (F.batch_norm(xs, gs, bs, rmean, rvar, epsilon=1e-3) * r).sum().backward()

    xt = _nchw(x)
    gt, bt = (torch.tensor(a, requires_grad=True) for a in (gamma, beta))
    yt = torch.nn.functional.batch_norm(xt, torch.tensor(rmean), torch.tensor(rvar), gt, bt,
                                        training=False, eps=1e-3)
    (yt * _nchw(r).detach()).sum().backward()
    out = F.batch_norm(_t64(x), gamma, beta, rmean, rvar, epsilon=1e-3)
    assert_close(out, np.moveaxis(yt.detach().numpy(), 1, -1), rtol=1e-5, what="forward")
    assert_close(xs.grad, np.moveaxis(xt.grad.numpy(), 1, -1), rtol=1e-5, what="dx")
    assert_close(gs.grad, gt.grad.numpy(), rtol=1e-5, what="dgamma")
    assert_close(bs.grad, bt.grad.numpy(), rtol=1e-5, what="dbeta")


@requires_torch
@pytest.mark.parametrize("shape, axis", [((6, 7), -1), ((2, 3, 4, 5), (-2, -1))], ids=["last", "last_two"])
def test_layer_norm_matches_torch(rng, shape, axis):
    nshape = shape[-1:] if isinstance(axis, int) else shape[-2:]
    x, gamma, beta = rng.normal(size=shape) * 3, rng.normal(size=nshape), rng.normal(size=nshape)
    r = rng.normal(size=shape)
    xs, gs, bs = _leaf(x), _leaf(gamma), _leaf(beta)
    (F.layer_norm(xs, gs, bs, axis=axis, epsilon=1e-3) * r).sum().backward()
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    yt = torch.nn.functional.layer_norm(xt, nshape, gt, bt, eps=1e-3)
    (yt * torch.tensor(r)).sum().backward()
    assert_close(F.layer_norm(_t64(x), gamma, beta, axis=axis), yt.detach().numpy(), rtol=1e-5,
                 what="forward")
    assert_close(xs.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-8, what="dx")
    assert_close(gs.grad, gt.grad.numpy(), rtol=1e-5, what="dgamma")
    assert_close(bs.grad, bt.grad.numpy(), rtol=1e-5, what="dbeta")
