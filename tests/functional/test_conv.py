"""Convolution and pooling functions, channels last (``scratchnn/functional/conv.py``):
F.conv2d / F.max_pool2d / F.avg_pool2d (gradcheck, PyTorch forward and backward,
TensorFlow-generated fixtures for 'same' padding, a NumPy loop reference, error messages,
float32 end to end) and ``F.conv2d_max_pool`` (convolution, max pooling, then the ReLU on the
pooled array), by gradcheck in float64 and against PyTorch. The kernels' own layouts and
threads are tested in ``tests/kernels/test_conv.py``; the layers in
``tests/layers/test_convolutional.py``.
"""
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnn as snn
import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.gradcheck import gradcheck
from scratchnn.kernels.conv import FastConv2D
from scratchnn.kernels.conv_pool import FastConv2DMaxPool

from tests.helpers import assert_close, requires_torch, torch


# ======================================================================= helpers
def _leaf(a, dtype=np.float64):
    return Tensor(np.array(a, dtype=dtype), requires_grad=True, dtype=dtype)


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def tf_same_pads(n, k, s, d=1):
    """TensorFlow's 'same' padding of one axis, written out here independently of scratchnn:
    the output has ceil(n / s) entries; the total padding is split floor/ceil (extra after)."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _torch_pads(hw, kernel, strides, dilation=(1, 1)):
    """(left, right, top, bottom), the order torch.nn.functional.pad wants for NCHW."""
    (top, bottom), (left, right) = (tf_same_pads(n, k, s, d)
                                    for n, k, s, d in zip(hw, kernel, strides, dilation))
    return (left, right, top, bottom)


def distinct(rng, shape):
    """Values without ties (a shuffled grid 0.1 apart, plus a little noise): the maximum of a
    window then has a well-defined derivative, so finite differences work for max pooling."""
    n = math.prod(shape)
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape) - 0.05 * n


def _conv_case_id(x_shape, kernel_hw, strides, padding, dilation):
    return (f"x{'x'.join(map(str, x_shape[1:]))}-k{kernel_hw[0]}x{kernel_hw[1]}-s{strides}-{padding}"
            f"-d{dilation}")


# ======================================================================= gradcheck
_CONV_GRAD_CASES = []
for _padding in ("valid", "same"):
    for _strides in (1, 2):
        for _k in [(1, 1), (2, 2), (3, 3), (4, 4), (2, 3), (4, 1)]:
            for _x_shape in [(2, 5, 6, 1), (1, 6, 5, 3)]:
                _CONV_GRAD_CASES.append((_x_shape, _k, _strides, _padding, 1))
for _padding in ("valid", "same"):
    for _k in [(2, 2), (3, 3), (2, 3)]:
        _CONV_GRAD_CASES.append(((2, 5, 6, 3), _k, 1, _padding, 2))        # dilation 2, stride 1
_CONV_GRAD_CASES += [((1, 7, 4, 2), (3, 2), (2, 1), "same", 1), ((1, 7, 6, 2), (2, 2), (1, 3), "valid", 1),
                     ((1, 6, 7, 2), (3, 2), 1, "same", (1, 2))]


@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation",
                         [pytest.param(*c, id=_conv_case_id(*c)) for c in _CONV_GRAD_CASES])
def test_conv2d_gradcheck(rng, x_shape, kernel_hw, strides, padding, dilation):
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=kernel_hw + (x_shape[3], 2))
    bias = rng.normal(size=2)

    def fn(a, k, b):
        return F.conv2d(a, k, b, strides=strides, padding=padding, dilation_rate=dilation)

    assert gradcheck(fn, x, kernel, bias)
    assert gradcheck(lambda a, k: F.conv2d(a, k, strides=strides, padding=padding, dilation_rate=dilation),
                     x, kernel)


_POOL_GRAD_CASES = [(pool, strides, padding, x_shape)
                    for padding in ("valid", "same")
                    for pool, strides in [(2, None), (2, 1), (3, 1), (3, 2), ((2, 3), (1, 2)), (1, 2), (4, 4),
                                          (2, 3)]
                    for x_shape in [(2, 5, 6, 1), (1, 6, 7, 3)]]


@pytest.mark.parametrize("pool, strides, padding, x_shape",
                         [pytest.param(*c, id=f"p{c[0]}-s{c[1]}-{c[2]}-x{'x'.join(map(str, c[3][1:]))}")
                          for c in _POOL_GRAD_CASES])
@pytest.mark.parametrize("name", ["max", "avg"])
def test_pooling_gradcheck(rng, name, pool, strides, padding, x_shape):
    fn = F.max_pool2d if name == "max" else F.avg_pool2d
    x = distinct(rng, x_shape)
    assert gradcheck(lambda a: fn(a, pool, strides, padding), x)


# ======================================================================= PyTorch
def torch_conv2d(x, kernel, bias, strides, padding, dilation, r):
    """PyTorch's conv2d (NCHW input, OIHW kernel) with TF's 'same' padding applied explicitly.
    Returns the output and the gradients of sum(out * r), in scratchnn's layouts (NHWC, HWIO)."""
    s, d = _two(strides), _two(dilation)
    xt, kt = torch.tensor(x, requires_grad=True), torch.tensor(kernel, requires_grad=True)
    bt = None if bias is None else torch.tensor(bias, requires_grad=True)
    inp = xt.permute(0, 3, 1, 2).contiguous()                        # NHWC -> NCHW
    if padding == "same":
        inp = torch.nn.functional.pad(inp, _torch_pads(x.shape[1:3], kernel.shape[:2], s, d))
    weight = kt.permute(3, 2, 0, 1).contiguous()                     # HWIO -> OIHW
    out = torch.nn.functional.conv2d(inp, weight, bt, stride=s, dilation=d)
    out = out.permute(0, 2, 3, 1)                                    # NCHW -> NHWC
    (out * torch.tensor(r)).sum().backward()
    return (out.detach().numpy(), xt.grad.numpy(), kt.grad.numpy(),
            None if bt is None else bt.grad.numpy())


def _conv_both(rng, x, kernel, bias, strides, padding, dilation):
    xs, ks = _leaf(x), _leaf(kernel)
    bs = None if bias is None else _leaf(bias)
    out = F.conv2d(xs, ks, bs, strides=strides, padding=padding, dilation_rate=dilation)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    ref = torch_conv2d(x, kernel, bias, strides, padding, dilation, r)
    assert_close(out, ref[0], rtol=1e-5, what="forward")
    assert_close(xs.grad, ref[1], rtol=1e-5, what="dx")
    assert_close(ks.grad, ref[2], rtol=1e-5, what="dkernel")
    if bias is not None:
        assert_close(bs.grad, ref[3], rtol=1e-5, what="dbias")


_CONV_TORCH_CASES = [
    ((2, 7, 9, 3), (3, 3), 1, "valid", 1), ((2, 7, 9, 3), (3, 3), 1, "same", 1),
    ((2, 8, 6, 2), (2, 2), 2, "same", 1), ((2, 8, 6, 2), (4, 3), 2, "same", 1),
    ((2, 9, 8, 1), (3, 3), 3, "same", 1), ((2, 9, 8, 4), (5, 2), (2, 3), "valid", 1),
    ((1, 10, 9, 2), (3, 3), 1, "same", 2), ((1, 10, 9, 2), (2, 3), 1, "valid", (2, 3)),
    ((1, 6, 6, 2), (4, 4), 1, "same", 2), ((3, 4, 5, 2), (1, 1), 2, "valid", 1),
    ((1, 3, 2, 2), (5, 4), 1, "same", 1),                              # kernel larger than the input
]


@requires_torch
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation",
                         [pytest.param(*c, id=_conv_case_id(*c)) for c in _CONV_TORCH_CASES])
def test_conv2d_matches_torch(rng, x_shape, kernel_hw, strides, padding, dilation, with_bias):
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=kernel_hw + (x_shape[3], 4))
    bias = rng.normal(size=4) if with_bias else None
    _conv_both(rng, x, kernel, bias, strides, padding, dilation)


@st.composite
def _conv_configs(draw):
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if max(strides) > 1 else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return dict(n=draw(st.integers(1, 2)), hw=(h, w), kernel_hw=(kh, kw), cin=draw(st.integers(1, 3)),
                cout=draw(st.integers(1, 3)), strides=strides, dilation=dilation,
                padding=draw(st.sampled_from(["valid", "same"])), seed=draw(st.integers(0, 2 ** 32 - 1)))


@requires_torch
@settings(max_examples=40)
@given(cfg=_conv_configs())
def test_conv2d_matches_torch_random_configs(cfg):
    """Random shapes: same values and gradients as PyTorch, and an error exactly when the
    (unpadded, 'valid') input is smaller than the dilated kernel."""
    rng = np.random.default_rng(cfg["seed"])
    x = rng.normal(size=(cfg["n"],) + cfg["hw"] + (cfg["cin"],))
    kernel = rng.normal(size=cfg["kernel_hw"] + (cfg["cin"], cfg["cout"]))
    bias = rng.normal(size=cfg["cout"])
    spans = [(k - 1) * d + 1 for k, d in zip(cfg["kernel_hw"], cfg["dilation"])]
    if cfg["padding"] == "valid" and any(n < s for n, s in zip(cfg["hw"], spans)):
        with pytest.raises(ValueError, match="larger than"):
            F.conv2d(x, kernel, bias, cfg["strides"], cfg["padding"], cfg["dilation"])
        return
    _conv_both(rng, x, kernel, bias, cfg["strides"], cfg["padding"], cfg["dilation"])


def torch_max_pool(x, pool, strides, padding, r):
    """PyTorch's max_pool2d, 'same' as explicit -inf padding; output and d sum(out * r)/dx, NHWC."""
    pool, strides = _two(pool), _two(strides)
    xt = torch.tensor(x, requires_grad=True)
    inp = xt.permute(0, 3, 1, 2).contiguous()
    if padding == "same":
        inp = torch.nn.functional.pad(inp, _torch_pads(x.shape[1:3], pool, strides), value=-math.inf)
    out = torch.nn.functional.max_pool2d(inp, pool, strides).permute(0, 2, 3, 1)
    (out * torch.tensor(r)).sum().backward()
    return out.detach().numpy(), xt.grad.numpy()


def torch_avg_pool(x, pool, strides, padding, r):
    """PyTorch's avg_pool2d; for 'same', explicit zero padding and a divisor that counts only
    the real pixels of each window (a second pooling of ones)."""
    pool, strides = _two(pool), _two(strides)
    xt = torch.tensor(x, requires_grad=True)
    inp = xt.permute(0, 3, 1, 2)
    if padding == "same":
        pads = _torch_pads(x.shape[1:3], pool, strides)
        sums = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(inp, pads), pool, strides,
                                              divisor_override=1)
        ones = torch.nn.functional.pad(torch.ones((1, 1) + x.shape[1:3]), pads)
        out = sums / torch.nn.functional.avg_pool2d(ones, pool, strides, divisor_override=1)
    else:
        out = torch.nn.functional.avg_pool2d(inp, pool, strides)
    out = out.permute(0, 2, 3, 1)
    (out * torch.tensor(r)).sum().backward()
    return out.detach().numpy(), xt.grad.numpy()


def _pool_both(rng, name, x, pool, strides, padding, rtol=1e-5):
    fn, ref_fn = (F.max_pool2d, torch_max_pool) if name == "max" else (F.avg_pool2d, torch_avg_pool)
    xs = _leaf(x)
    out = fn(xs, pool, strides, padding)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    ref_out, ref_dx = ref_fn(x, pool, pool if strides is None else strides, padding, r)
    assert_close(out, ref_out, rtol=rtol, atol=1e-12, what="forward")
    assert_close(xs.grad, ref_dx, rtol=rtol, atol=1e-12, what="dx")


_POOL_TORCH_CASES = [(2, None), (2, 1), (3, 1), (3, 2), ((2, 3), (1, 2)), ((3, 2), (2, 3)), (2, 3), (4, 4)]


@requires_torch
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool, strides", _POOL_TORCH_CASES, ids=[f"p{p}-s{s}" for p, s in _POOL_TORCH_CASES])
@pytest.mark.parametrize("name", ["max", "avg"])
def test_pooling_matches_torch(rng, name, pool, strides, padding):
    _pool_both(rng, name, distinct(rng, (2, 7, 8, 3)), pool, strides, padding)


def _tie_param(pool, strides):
    return pytest.param(pool, strides, id=f"p{pool}-s{strides}")


_TIE_INPUTS = {
    "rounded-integers": lambda rng: rng.integers(0, 3, size=(2, 7, 8, 2)).astype(np.float64),
    "relu-zeros": lambda rng: np.maximum(rng.normal(size=(2, 7, 8, 2)) - 1.0, 0.0),     # ~84% zeros
    "all-zeros": lambda rng: np.zeros((1, 6, 7, 2)),
}


@requires_torch
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool, strides", [_tie_param(2, None), _tie_param(3, 3), _tie_param(3, 1),
                                           _tie_param(3, 2), _tie_param(2, 1), _tie_param((2, 3), (1, 2)),
                                           _tie_param(2, 3)])
@pytest.mark.parametrize("inputs", sorted(_TIE_INPUTS))
def test_max_pool_ties_route_gradient_exactly_like_torch(rng, inputs, pool, strides, padding):
    """Windows with several equal maxima (overlapping windows included): the whole gradient of
    each window goes to its first maximum in row-major order, exactly as in PyTorch."""
    _pool_both(rng, "max", _TIE_INPUTS[inputs](rng), pool, strides, padding, rtol=1e-10)


def test_max_pool_tie_by_hand_tiling_windows():
    x = _leaf(np.zeros((1, 4, 4, 1)))
    F.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0                       # the top-left of each 2x2 block
    np.testing.assert_array_equal(x.grad[0, :, :, 0], expected)


def test_max_pool_tie_by_hand_overlapping_windows():
    # zeros, 2x2 windows with stride 1: each window's first maximum is its top-left cell
    # (PyTorch and TensorFlow give exactly this).
    x = _leaf(np.zeros((1, 3, 3, 1)))
    F.max_pool2d(x, 2, strides=1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool_large_window_gradient():
    x = distinct(np.random.default_rng(0), (1, 16, 17, 2))
    xs = _leaf(x)
    out = F.max_pool2d(xs, (16, 17))
    out.sum().backward()
    assert_close(out, x.max(axis=(1, 2), keepdims=True))
    expected = (x == x.max(axis=(1, 2), keepdims=True)).astype(float)
    np.testing.assert_array_equal(xs.grad, expected)


# ======================================================================= references without torch
def _np_avg_pool_same(x, pool, strides):
    """Average pooling with TF 'same' padding, one window at a time (padded cells not counted)."""
    (kh, kw), (sh, sw) = pool, strides
    n, h, w, c = x.shape
    (top, _), (left, _) = tf_same_pads(h, kh, sh), tf_same_pads(w, kw, sw)
    ho, wo = -(-h // sh), -(-w // sw)
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            r0, c0 = i * sh - top, j * sw - left
            win = x[:, max(r0, 0):min(r0 + kh, h), max(c0, 0):min(c0 + kw, w), :]
            out[:, i, j, :] = win.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("pool, strides", [((2, 2), (2, 2)), ((3, 3), (1, 1)), ((3, 2), (2, 3)),
                                           ((4, 4), (3, 3)), ((5, 5), (1, 1))])
def test_avg_pool_same_matches_numpy_reference(rng, pool, strides):
    x = rng.normal(size=(2, 5, 6, 2))
    assert_close(F.avg_pool2d(Tensor(x, dtype=np.float64), pool, strides, "same"),
                 _np_avg_pool_same(x, pool, strides), rtol=1e-12)


def test_avg_pool_same_by_hand():
    # 2x2 windows, stride 2 on 3x3: the right column and bottom row windows hang over the
    # edge; the divisor counts only the real pixels (2, 2 and 1).
    x = Tensor(np.arange(1.0, 10.0).reshape(1, 3, 3, 1), dtype=np.float64)
    out = F.avg_pool2d(x, 2, padding="same")
    np.testing.assert_allclose(out.data[0, :, :, 0], [[3.0, 4.5], [7.5, 9.0]], rtol=1e-12)


def test_conv2d_forward_by_hand():
    # 3x3 input, 2x2 kernel of ones: 'valid' sums each 2x2 block; 'same' pads one row/column
    # at the bottom/right only (TensorFlow's asymmetric split).
    x = Tensor(np.arange(1.0, 10.0).reshape(1, 3, 3, 1), dtype=np.float64)
    k = np.ones((2, 2, 1, 1))
    np.testing.assert_array_equal(F.conv2d(x, k).data[0, :, :, 0], [[12, 16], [24, 28]])
    np.testing.assert_array_equal(F.conv2d(x, k, padding="same").data[0, :, :, 0],
                                  [[12, 16, 9], [24, 28, 15], [15, 17, 9]])


def test_conv2d_non_contiguous_input(rng):
    base = rng.normal(size=(2, 7, 6, 3))
    view = base.transpose(0, 2, 1, 3)[:, ::-1]             # a strided, reversed view
    kernel = rng.normal(size=(3, 2, 3, 2))
    for padding in ("valid", "same"):
        assert_close(F.conv2d(Tensor(view, dtype=np.float64), kernel, padding=padding, strides=2),
                     F.conv2d(Tensor(np.ascontiguousarray(view), dtype=np.float64), kernel, padding=padding,
                              strides=2).data, rtol=1e-12)


# ======================================================================= TensorFlow fixtures
# Generated once with TensorFlow 2.21 (tf.nn.conv2d / max_pool2d / avg_pool2d, padding='SAME',
# float64) on the input below; never edited by hand. Entries: kernel/pool size, strides,
# (dilation,) expected output[0, :, :, 0].
TF_X = (np.arange(30) * 7 % 11 - 5).astype(np.float64).reshape(1, 5, 6, 1)


def tf_kernel(kh, kw):
    return (np.arange(kh * kw) % 5 - 2).astype(np.float64).reshape(kh, kw, 1, 1)


TF_CONV_SAME = [
    ((2, 2), (1, 1), (1, 1), [[8, -6, 2, -12, -4, 6], [-10, 9, 6, -8, 11, 10], [-6, 2, -12, -4, 4, -8],
                              [9, 6, -8, 11, 8, -4], [-1, -11, 1, 2, -8, 0]]),
    ((3, 4), (2, 2), (1, 1), [[20, -10, 22], [-5, -3, -16], [2, 11, -7]]),
    ((4, 3), (3, 2), (1, 1), [[-2, 20, -18], [-13, 3, -3]]),
    ((2, 3), (1, 1), (2, 2), [[16, -6, -2, 16, -6, -7], [-1, -8, 30, -17, 2, 2], [-10, -6, 12, -13, 2, 2],
                              [-8, 18, -17, 2, 2, -9], [0, 4, -3, 9, -1, 0]]),
]
TF_MAX_POOL_SAME = [
    ((2, 2), (2, 2), [[4, 5, 1], [2, 5, 4], [5, 1, 4]]),
    ((3, 3), (2, 2), [[4, 5, 1], [5, 5, 4], [5, 4, 4]]),
    ((2, 3), (1, 1), [[4, 4, 5, 5, 5, 1], [4, 5, 5, 5, 4, 4], [2, 5, 5, 5, 4, 4], [5, 5, 5, 4, 4, 4],
                      [5, 5, 5, 4, 4, 4]]),
    ((3, 2), (3, 1), [[4, 5, 5, 5, 4, 4], [5, 5, 3, 4, 4, 2]]),
]
TF_AVG_POOL_SAME = [
    ((2, 2), (2, 2), [[0.25, 0.5, -2.0], [-1.0, 2.0, -0.5], [1.5, -1.0, 2.0]]),
    ((3, 3), (2, 2), [[-0.8333333333333334, 0.3333333333333333, -2.0],
                      [0.4444444444444444, -0.2222222222222222, -1.3333333333333333],
                      [0.5, -0.16666666666666666, 0.25]]),
    ((2, 3), (1, 1), [[0.25, -0.8333333333333334, 0.6666666666666666, 0.3333333333333333, 0.0, -2.0],
                      [1.0, 0.8333333333333334, 0.5, 0.16666666666666666, -0.16666666666666666, -1.25],
                      [-1.0, 0.6666666666666666, 0.3333333333333333, 0.0, -0.3333333333333333, -0.5],
                      [-0.25, 0.5, 0.16666666666666666, -0.16666666666666666, -0.5, 0.25],
                      [1.5, 1.3333333333333333, 1.0, 0.6666666666666666, 0.3333333333333333, 2.0]]),
    ((3, 2), (3, 1), [[0.16666666666666666, -0.16666666666666666, 1.3333333333333333, 1.0,
                       -1.1666666666666667, -1.3333333333333333],
                      [-0.25, 1.25, 0.0, -1.25, 0.25, 1.0]]),
]


@pytest.mark.parametrize("kernel_hw, strides, dilation, expected", TF_CONV_SAME,
                         ids=[f"k{c[0]}-s{c[1]}-d{c[2]}" for c in TF_CONV_SAME])
def test_conv2d_same_matches_tensorflow(kernel_hw, strides, dilation, expected):
    out = F.conv2d(Tensor(TF_X, dtype=np.float64), tf_kernel(*kernel_hw), strides=strides, padding="same",
                   dilation_rate=dilation)
    assert_close(out, np.array(expected, dtype=np.float64)[None, :, :, None], rtol=1e-12)


@pytest.mark.parametrize("name, pool, strides, expected",
                         [pytest.param("max", *c, id=f"max-p{c[0]}-s{c[1]}") for c in TF_MAX_POOL_SAME]
                         + [pytest.param("avg", *c, id=f"avg-p{c[0]}-s{c[1]}") for c in TF_AVG_POOL_SAME])
def test_pooling_same_matches_tensorflow(name, pool, strides, expected):
    fn = F.max_pool2d if name == "max" else F.avg_pool2d
    out = fn(Tensor(TF_X, dtype=np.float64), pool, strides, "same")
    assert_close(out, np.array(expected, dtype=np.float64)[None, :, :, None], rtol=1e-12)


def test_functional_rejects_wrong_rank():
    for fn in (lambda x: F.conv2d(x, np.ones((1, 1, 8, 1))), F.max_pool2d, F.avg_pool2d):
        with pytest.raises(ValueError, match=r"\(N, H, W, C\).*\(1, 8, 8\)"):
            fn(np.zeros((1, 8, 8)))


def test_functional_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"3x3.*larger than the input \(2x4\) along height"):
        F.conv2d(np.zeros((1, 2, 4, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"larger than the input \(4x4\) along width"):
        F.conv2d(np.zeros((1, 4, 4, 1)), np.ones((1, 3, 1, 1)), dilation_rate=2)


def test_functional_non_positive_sizes_rejected():
    x = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match="strides must be positive"):
        F.conv2d(x, np.ones((2, 2, 1, 1)), strides=0)
    with pytest.raises(ValueError, match="pool_size must be positive"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="strides must be positive"):
        F.avg_pool2d(x, 2, strides=(1, 0))


def test_functional_padding_full_rejected():
    x = np.zeros((1, 4, 4, 1))
    for call in (lambda: F.conv2d(x, np.ones((2, 2, 1, 1)), padding="full"),
                 lambda: F.max_pool2d(x, 2, padding="full"), lambda: F.avg_pool2d(x, 2, padding="full")):
        with pytest.raises(ValueError, match="'valid' or 'same', got 'full'"):
            call()


# ======================================================================= float32, vectorized
def test_float32_conv_stays_float32_end_to_end(rng):
    x = _leaf(rng.normal(size=(8, 28, 28, 1)), dtype=np.float32)
    kernel = _leaf(rng.normal(size=(3, 3, 1, 32)) * 0.3, dtype=np.float32)
    bias = _leaf(np.zeros(32), dtype=np.float32)
    out = F.conv2d(x, kernel, bias, padding="same")
    pooled = F.max_pool2d(out, 2)
    averaged = F.avg_pool2d(out, 3, strides=1, padding="same")
    strided = F.conv2d(pooled, _leaf(rng.normal(size=(2, 2, 32, 4)), dtype=np.float32), strides=2)
    loss = (pooled * pooled).mean() + averaged.mean() + strided.sum()
    loss.backward()
    for t in (out, pooled, averaged, strided, loss):
        assert t.dtype == np.float32, t.dtype
    for t in (x, kernel, bias):
        assert t.grad.dtype == np.float32 and t.grad.shape == t.shape
        assert np.isfinite(t.grad).all() and np.abs(t.grad).sum() > 0


def test_conv_and_pool_are_vectorized(rng, monkeypatch):
    """A per-pixel Python loop would make Python calls in proportion to the pixels; im2col plus
    per-tap slices make the same few calls whatever the image size (counted, not timed)."""
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "1")     # one thread: every call is counted here

    def python_calls(size):
        x = _leaf(rng.normal(size=(8, size, size, 3)), dtype=np.float32)
        kernel = _leaf(rng.normal(size=(3, 3, 3, 32)), dtype=np.float32)
        calls = 0

        def count(frame, event, arg):
            nonlocal calls
            calls += event in ("call", "c_call")
        sys.setprofile(count)
        try:
            out = F.conv2d(x, kernel, padding="same")
            (F.max_pool2d(out, 3, strides=1).sum() + F.avg_pool2d(out, 2).sum()).backward()
        finally:
            sys.setprofile(None)
        assert x.grad.shape == x.shape and kernel.grad.shape == kernel.shape
        return calls

    small, large = python_calls(14), python_calls(112)         # 64 times the pixels, 8 times the rows
    assert large <= small + 50, f"{small} Python calls on 14x14 images, {large} on 112x112"


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_fused_relu_equals_conv_then_relu(rng, padding):
    x = rng.normal(size=(2, 7, 6, 3))
    w, b = rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=padding, relu=True), x, w, b)
    outs, grads = [], []
    for fused in (True, False):
        xs, ws, bs = (Tensor(a, requires_grad=True, dtype=np.float64) for a in (x, w, b))
        y = F.conv2d(xs, ws, bs, padding=padding, relu=True) if fused else \
            F.relu(F.conv2d(xs, ws, bs, padding=padding))
        (y * Tensor(np.arange(y.size).reshape(y.shape) % 5, dtype=np.float64)).sum().backward()
        outs.append(y.data)
        grads.append((xs.grad, ws.grad, bs.grad))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)
    for a, c in zip(*grads):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    assert (outs[0] == 0).any() and (outs[0] > 0).any()          # the ReLU did cut something


# ----------------------------------------------------------------- batch-parallel passes
def _leaves(*arrays):
    return [None if a is None else Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]


def _run(fn, x, w, b, r):
    """fn(x, w, b) and the gradients of sum(fn(...) * r)."""
    xs, ws, bs = _leaves(x, w, b)
    y = fn(xs, ws, bs)
    (y * Tensor(r, dtype=np.float64)).sum().backward()
    return [y.data, xs.grad.data, ws.grad.data] + ([] if b is None else [bs.grad.data])



# ======================================================================= conv2d_max_pool
_POOLS = [(2, None, "valid"), (3, 2, "same"), (2, 1, "valid"), (3, 3, "same"), ((2, 3), (1, 2), "same")]


def _pool_id(p):
    return f"p{p[0]}-s{p[1]}-{p[2]}"


@pytest.mark.parametrize("pool", _POOLS, ids=_pool_id)
@pytest.mark.parametrize("cin", [1, 3, 5])
def test_conv2d_max_pool_equals_conv_then_pool(rng, cin, pool):
    """relu(max(z)) = max(relu(z)) exactly, so the fused op gives the numbers (values and
    gradients) of conv2d then max_pool2d, with or without bias and ReLU: bit for bit when the
    pooling windows overlap or leave gaps (the same products, ``FastConv2D(pool=...)``); to float64
    rounding when they tile the output (``FastConv2DMaxPool``: its products run over the windows
    in another order and its bias is added after the maximum)."""
    size, strides, padding = pool
    tiles = (strides is None or strides == size) and padding == "valid"
    x = rng.normal(size=(3, 9, 8, cin))
    w = rng.normal(size=(3, 3, cin, 4))
    for b in (rng.normal(size=4) - 3.0, None):           # a negative bias: some windows pool below 0
        for relu in (True, False):
            r = rng.normal(size=F.max_pool2d(F.conv2d(x, w, padding="same"), size, strides, padding).shape)
            def fused_op(a, k, c, relu=relu):
                return F.conv2d_max_pool(a, k, c, padding="same", relu=relu, pool_size=size,
                                         pool_strides=strides, pool_padding=padding)

            def plain_op(a, k, c, relu=relu):
                return F.max_pool2d(F.conv2d(a, k, c, padding="same", relu=relu), size, strides, padding)
            fused, plain = _run(fused_op, x, w, b, r), _run(plain_op, x, w, b, r)
            op = F.conv2d_max_pool(*_leaves(x, w, b), padding="same", pool_size=size, pool_strides=strides,
                                   pool_padding=padding)._ctx
            assert type(op) is (FastConv2DMaxPool if tiles else FastConv2D)
            for a, c in zip(fused, plain):
                if tiles:
                    np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
                else:
                    np.testing.assert_array_equal(a, c)
            if relu and b is not None:
                assert (fused[0] == 0).any() and (fused[0] > 0).any()        # the ReLU did cut something


def test_conv2d_max_pool_relu_zero_windows_get_no_gradient(rng):
    """Windows whose values are all negative pool to relu(max) = 0: no gradient reaches them (as
    after conv -> relu -> pool, where the tie of zeros sends it to a ReLU that passes nothing)."""
    x = rng.normal(size=(2, 6, 6, 1))
    w = rng.normal(size=(3, 3, 1, 2))
    b = np.array([-100.0, 100.0])                          # channel 0 all negative, channel 1 all positive
    xs, ws, bs = _leaves(x, w, b)
    y = F.conv2d_max_pool(xs, ws, bs, relu=True)
    y.sum().backward()
    assert (y.data[..., 0] == 0).all() and (y.data[..., 1] > 0).all()
    assert bs.grad.data[0] == 0 and bs.grad.data[1] == y.data[..., 1].size


@pytest.mark.parametrize("pool", _POOLS[:3], ids=_pool_id)
def test_conv2d_max_pool_gradcheck(rng, pool):
    size, strides, padding = pool
    x = rng.normal(size=(2, 7, 8, 2))
    w, b = rng.normal(size=(2, 3, 2, 3)), rng.normal(size=3)
    assert gradcheck(lambda a, k, c: F.conv2d_max_pool(a, k, c, strides=1, padding="same", relu=True,
                                                       pool_size=size, pool_strides=strides,
                                                       pool_padding=padding), x, w, b)


@requires_torch
@pytest.mark.parametrize("cin", [1, 4])
def test_conv2d_max_pool_matches_torch(rng, cin):
    """conv2d -> relu -> max_pool2d in PyTorch (NCHW), on a 2x2 and an overlapping 3x3/2 pool."""
    x, w, b = rng.normal(size=(2, 10, 9, cin)), rng.normal(size=(3, 3, cin, 5)), rng.normal(size=5)
    for size, strides in [(2, 2), (3, 2)]:
        y = F.conv2d_max_pool(x, w, b, relu=True, pool_size=size, pool_strides=strides)
        r = rng.normal(size=y.shape)
        ours = _run(lambda a, k, c, size=size, strides=strides: F.conv2d_max_pool(
            a, k, c, relu=True, pool_size=size, pool_strides=strides), x, w, b, r)
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        z = torch.nn.functional.conv2d(xt.permute(0, 3, 1, 2), wt.permute(3, 2, 0, 1), bt)
        out = torch.nn.functional.max_pool2d(torch.relu(z), size, strides).permute(0, 2, 3, 1)
        (out * torch.tensor(r)).sum().backward()
        for a, c, what in zip(ours, [out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()],
                              ["forward", "dx", "dkernel", "dbias"]):
            assert_close(a, c, rtol=1e-5, what=what)


def test_conv2d_max_pool_inference_keeps_nothing_and_gives_the_same_output(rng):
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in [(4, 12, 12, 1), (3, 3, 1, 8), (8,)])
    with snn.no_grad():
        y = F.conv2d_max_pool(x, w, b, relu=True)
    assert y._ctx is None and y.dtype == np.float32 and y.shape == (4, 5, 5, 8)
    plain = F.max_pool2d(F.conv2d(x, w, b, relu=True), 2).data
    np.testing.assert_allclose(y.data, plain, rtol=1e-5, atol=1e-6)


def test_conv2d_max_pool_bad_arguments(rng):
    x, w = rng.normal(size=(1, 5, 5, 2)), rng.normal(size=(3, 3, 2, 4))
    with pytest.raises(ValueError, match=r"conv2d_max_pool: a 4x4 pooling window with 'valid' padding does "
                                         r"not fit the convolution's output of 3x3"):
        F.conv2d_max_pool(x, w, pool_size=4)
    with pytest.raises(ValueError, match=r"conv2d_max_pool: kernel of shape \(3, 3, 2, 4\) does not fit "
                                         r"input of shape \(1, 5, 5, 3\)"):
        F.conv2d_max_pool(rng.normal(size=(1, 5, 5, 3)), w)
    with pytest.raises(ValueError, match="pool_strides must be positive"):
        F.conv2d_max_pool(x, w, pool_strides=0)
    with pytest.raises(ValueError, match=r"conv2d_max_pool: pool_padding must be 'valid' or 'same', "
                                         r"got 'full'"):
        F.conv2d_max_pool(x, w, pool_padding="full")
    assert F.conv2d_max_pool(x, w, pool_size=3, pool_padding="same").shape == (1, 1, 1, 4)

