"""Convolution and pooling, channels last: F.conv2d / F.max_pool2d / F.avg_pool2d (gradcheck,
PyTorch forward and backward, TensorFlow-generated fixtures for 'same' padding, a NumPy loop
reference), and the Conv2D / MaxPooling2D / AveragePooling2D layers (shapes, parameter counts,
configs, training, saving, error messages, float32 end to end)."""
import math
import re
import time

import numpy as np
import pytest
from conftest import assert_config_round_trip, assert_close, requires_torch, torch
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.gradcheck import gradcheck
from scratchnn.kernels import threads as threads_module
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed


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


# ======================================================================= layers
_LAYER_SHAPE_CASES = [
    (lambda: L.Conv2D(4, 3), (2, 9, 7, 3)),
    (lambda: L.Conv2D(5, (2, 4), strides=2, padding="same"), (2, 9, 7, 3)),
    (lambda: L.Conv2D(2, (3, 2), strides=(3, 1)), (1, 10, 5, 1)),
    (lambda: L.Conv2D(3, 3, dilation_rate=2, padding="same"), (2, 8, 6, 2)),
    (lambda: L.Conv2D(3, (2, 3), dilation_rate=(2, 1)), (2, 8, 6, 2)),
    (lambda: L.MaxPooling2D(), (2, 9, 7, 3)),
    (lambda: L.MaxPooling2D(3, strides=2, padding="same"), (2, 9, 8, 3)),
    (lambda: L.MaxPooling2D((2, 3), strides=1), (1, 5, 6, 2)),
    (lambda: L.AveragePooling2D(), (2, 9, 7, 3)),
    (lambda: L.AveragePooling2D((3, 2), strides=(1, 2), padding="same"), (2, 7, 5, 1)),
]


@pytest.mark.parametrize("make, x_shape", _LAYER_SHAPE_CASES,
                         ids=[str(i) for i in range(len(_LAYER_SHAPE_CASES))])
def test_layer_compute_output_shape_equals_forward_shape(rng, make, x_shape):
    layer = make()
    out = layer(rng.normal(size=x_shape).astype(np.float32))
    assert layer.compute_output_shape((None,) + x_shape[1:]) == (None,) + out.shape[1:]
    assert layer.compute_output_shape(x_shape) == out.shape
    assert out.dtype == np.float32


@pytest.mark.parametrize("kernel_size, cin, filters", [(3, 1, 4), ((2, 5), 3, 7), (1, 6, 2)])
def test_conv2d_parameter_count_and_kernel_layout(kernel_size, cin, filters):
    layer = L.Conv2D(filters, kernel_size)
    layer(np.zeros((1, 6, 6, cin), dtype=np.float32))
    kh, kw = _two(kernel_size)
    assert layer.kernel.shape == (kh, kw, cin, filters)
    assert layer.bias.shape == (filters,)
    assert layer.count_params() == kh * kw * cin * filters + filters
    no_bias = L.Conv2D(filters, kernel_size, use_bias=False)
    no_bias(np.zeros((1, 6, 6, cin), dtype=np.float32))
    assert no_bias.bias is None and len(no_bias.weights) == 1
    assert no_bias.count_params() == kh * kw * cin * filters


def test_pooling_layers_have_no_weights():
    for layer in (L.MaxPooling2D(), L.AveragePooling2D()):
        layer(np.zeros((1, 4, 4, 2), dtype=np.float32))
        assert layer.weights == [] and layer.count_params() == 0


def test_conv2d_layer_computes_activation_of_conv(rng):
    x = rng.normal(size=(2, 6, 5, 3))
    layer = L.Conv2D(4, (3, 2), strides=(1, 2), padding="same", activation="relu",
                     bias_initializer="glorot_uniform", dtype="float64")
    out = layer(x).data
    pre = F.conv2d(Tensor(x, dtype=np.float64), layer.kernel.data, layer.bias.data, strides=(1, 2),
                   padding="same").data
    assert (pre < 0).any() and (pre > 0).any()
    np.testing.assert_allclose(out, np.maximum(pre, 0.0), rtol=1e-12, atol=0)

    plain = L.Conv2D(4, (3, 2), use_bias=False, dtype="float64")
    out = plain(x).data
    np.testing.assert_allclose(out, F.conv2d(Tensor(x, dtype=np.float64), plain.kernel.data).data,
                               rtol=1e-12, atol=0)


def test_layers_compute_what_the_functions_compute(rng):
    x = rng.normal(size=(2, 7, 6, 3))
    pool = L.MaxPooling2D(3, strides=2, padding="same", dtype="float64")
    assert_close(pool(x), F.max_pool2d(Tensor(x, dtype=np.float64), 3, 2, "same").data, rtol=1e-12)
    avg = L.AveragePooling2D((2, 3), dtype="float64")
    assert_close(avg(x), F.avg_pool2d(Tensor(x, dtype=np.float64), (2, 3), None).data, rtol=1e-12)


_CONFIG_LAYERS = [
    lambda: L.Conv2D(6, (3, 2), strides=(2, 1), padding="same", activation="tanh", use_bias=False,
                     kernel_initializer="he_normal", name="conv_cfg"),
    lambda: L.Conv2D(3, 2, dilation_rate=(2, 1), activation="relu", bias_initializer="ones"),
    lambda: L.MaxPooling2D((3, 2), strides=(1, 2), padding="same"),
    lambda: L.AveragePooling2D(3, strides=1),
]


@pytest.mark.parametrize("make", _CONFIG_LAYERS, ids=["conv-a", "conv-b", "maxpool", "avgpool"])
def test_get_config_from_config_round_trip(rng, make):
    layer = make()
    x = rng.normal(size=(2, 8, 7, 3)).astype(np.float32)
    assert_config_round_trip(layer, x)


def _cnn(input_shape=None):
    first = {} if input_shape is None else {"input_shape": input_shape}
    return snn.Sequential([L.Conv2D(4, 3, activation="relu", **first), L.MaxPooling2D(2),
                           L.Conv2D(6, (2, 3), padding="same", activation="relu"), L.Flatten(),
                           L.Dense(3, activation="softmax")])


def _cnn_data(rng, n=24, hw=(10, 9)):
    return rng.normal(size=(n,) + hw + (2,)).astype(np.float32), rng.integers(0, 3, n)


def test_sequential_cnn_trains_and_loss_decreases(rng):
    set_random_seed(0)
    model = _cnn()
    model.compile(optimizer=snn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    x, y = _cnn_data(rng)
    history = model.fit(x, y, epochs=6, batch_size=24, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses))
    assert losses[-1] < losses[0] - 0.05, losses
    assert model.layers[0].kernel.shape == (3, 3, 2, 4)
    # output shapes: (10, 9) -conv3-> (8, 7) -pool2-> (4, 3) -same-> (4, 3) x 6 = 72 -> 3
    assert model.count_params() == (3 * 3 * 2 * 4 + 4) + (2 * 3 * 4 * 6 + 6) + (72 * 3 + 3)
    assert model.predict(x, verbose=0).shape == (24, 3)


def test_cnn_save_load_predicts_bit_identically(rng, tmp_path):
    set_random_seed(1)
    model = _cnn(input_shape=(10, 9, 2))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _cnn_data(rng)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "cnn.scratchnn"
    model.save(path)
    loaded = load_model(path)
    assert [type(a).__name__ for a in loaded.layers] == [type(b).__name__ for b in model.layers]
    expected = model.predict(x, verbose=0)
    got = loaded.predict(x, verbose=0)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_default_layer_names_follow_keras():
    for layer, base in [(L.Conv2D(2, 3), "conv2d"), (L.MaxPooling2D(), "max_pooling2d"),
                        (L.AveragePooling2D(), "average_pooling2d")]:
        assert re.fullmatch(rf"{base}(_\d+)?", layer.name), layer.name


# ======================================================================= bad input
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 8, 8, 1, 1)], ids=["rank3", "rank5"])
@pytest.mark.parametrize("make", [lambda: L.Conv2D(2, 3, name="bad_rank"),
                                  lambda: L.MaxPooling2D(name="bad_rank"),
                                  lambda: L.AveragePooling2D(name="bad_rank")], ids=["conv", "max", "avg"])
def test_layer_rejects_wrong_rank(make, shape):
    layer = make()
    with pytest.raises(ValueError) as err:
        layer(np.zeros(shape, dtype=np.float32))
    msg = str(err.value)
    assert "'bad_rank'" in msg and type(layer).__name__ in msg
    assert "(batch, height, width, channels)" in msg                # expected
    assert ", ".join(map(str, shape[1:])) + ")" in msg               # received
    assert not layer.built


def test_functional_rejects_wrong_rank():
    for fn in (lambda x: F.conv2d(x, np.ones((1, 1, 8, 1))), F.max_pool2d, F.avg_pool2d):
        with pytest.raises(ValueError, match=r"\(N, H, W, C\).*\(1, 8, 8\)"):
            fn(np.zeros((1, 8, 8)))


def test_conv2d_wrong_channel_count_after_build():
    layer = L.Conv2D(2, 3, name="chan")
    layer(np.zeros((1, 8, 8, 1), dtype=np.float32))
    with pytest.raises(ValueError) as err:
        layer(np.zeros((1, 8, 8, 3), dtype=np.float32))
    msg = str(err.value)
    assert "'chan'" in msg and "1 input channels" in msg and "(1, 8, 8, 3)" in msg
    with pytest.raises(ValueError, match=r"kernel of shape \(3, 3, 1, 2\).*\(1, 8, 8, 3\)"):
        F.conv2d(np.zeros((1, 8, 8, 3)), layer.kernel.data)
    assert layer(np.zeros((2, 5, 4, 1), dtype=np.float32)).shape == (2, 3, 2, 2)   # still usable


@pytest.mark.parametrize("layer_args, shape", [((2, 5), (1, 4, 8, 1)), ((2, (3, 9)), (1, 4, 8, 1)),
                                                ((2, 3, 1, "valid", None, 3), (1, 6, 8, 1))],
                         ids=["5x5-on-4x8", "3x9-on-4x8", "dilated-3x3-on-6x8"])
def test_conv2d_kernel_larger_than_input(layer_args, shape):
    layer = L.Conv2D(*layer_args, name="too_big")
    with pytest.raises(ValueError) as err:
        layer(np.zeros(shape, dtype=np.float32))
    msg = str(err.value)
    assert "'too_big'" in msg and format(layer.kernel_size[0]) + "x" in msg
    assert str((None,) + shape[1:]) in msg
    assert not layer.built and layer.weights == []
    same = L.Conv2D(*layer_args[:2], padding="same", dilation_rate=layer.dilation_rate)   # 'same' fits
    assert same(np.zeros(shape, dtype=np.float32)).shape == shape[:3] + (2,)


def test_functional_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"3x3.*larger than the input \(2x4\) along height"):
        F.conv2d(np.zeros((1, 2, 4, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"larger than the input \(4x4\) along width"):
        F.conv2d(np.zeros((1, 4, 4, 1)), np.ones((1, 3, 1, 1)), dilation_rate=2)


def test_layer_called_on_too_small_image_after_build_names_layer():
    for layer in (L.Conv2D(2, 3, name="late_small"), L.MaxPooling2D(3, name="late_small")):
        layer(np.zeros((1, 8, 8, 1), dtype=np.float32))
        with pytest.raises(ValueError, match="late_small"):
            layer(np.zeros((1, 2, 2, 1), dtype=np.float32))


@pytest.mark.parametrize("cls", [L.MaxPooling2D, L.AveragePooling2D])
@pytest.mark.parametrize("pool, shape", [(5, (1, 4, 8, 1)), ((1, 9), (1, 4, 8, 1))], ids=["5x5", "1x9"])
def test_pooling_window_producing_empty_output(cls, pool, shape):
    layer = cls(pool, name="empty_pool")
    with pytest.raises(ValueError) as err:
        layer(np.zeros(shape, dtype=np.float32))
    msg = str(err.value)
    ph, pw = _two(pool)
    assert "'empty_pool'" in msg and f"{ph}x{pw}" in msg and "(None, 4, 8, 1)" in msg and "empty" in msg
    assert cls(pool, padding="same")(np.zeros(shape, dtype=np.float32)).shape[1:3] == (
        -(-4 // ph), -(-8 // pw))                                     # 'same' never empties
    fn = F.max_pool2d if cls is L.MaxPooling2D else F.avg_pool2d
    with pytest.raises(ValueError, match=rf"{ph}x{pw}.*4x8.*empty"):
        fn(np.zeros(shape), pool)


_NON_POSITIVE = [
    ("kernel_size", lambda: L.Conv2D(2, 0, name="nonpos")),
    ("kernel_size", lambda: L.Conv2D(2, (3, -1), name="nonpos")),
    ("strides", lambda: L.Conv2D(2, 3, strides=0, name="nonpos")),
    ("strides", lambda: L.Conv2D(2, 3, strides=(1, -2), name="nonpos")),
    ("dilation_rate", lambda: L.Conv2D(2, 3, dilation_rate=0, name="nonpos")),
    ("pool_size", lambda: L.MaxPooling2D(0, name="nonpos")),
    ("pool_size", lambda: L.AveragePooling2D((2, 0), name="nonpos")),
    ("strides", lambda: L.MaxPooling2D(2, strides=0, name="nonpos")),
    ("strides", lambda: L.AveragePooling2D(2, strides=(-1, 1), name="nonpos")),
]
_NON_POSITIVE_IDS = [f"{i}-{arg}" for i, (arg, _) in enumerate(_NON_POSITIVE)]


@pytest.mark.parametrize("argument, make", _NON_POSITIVE, ids=_NON_POSITIVE_IDS)
def test_non_positive_sizes_rejected(argument, make):
    with pytest.raises(ValueError, match=rf"'nonpos': {argument} must be positive, got \(?.*(0|-\d)"):
        make()


@pytest.mark.parametrize("argument, make", _NON_POSITIVE, ids=_NON_POSITIVE_IDS)
def test_non_positive_sizes_error_names_layer(argument, make):
    with pytest.raises(ValueError, match="nonpos"):
        make()


def test_strides_with_dilation_rejected():
    with pytest.raises(ValueError, match=r"Conv2D 'strided_dilated'.*strides > 1 with dilation_rate > 1"):
        L.Conv2D(2, 3, strides=2, dilation_rate=2, name="strided_dilated")
    with pytest.raises(ValueError, match="strides > 1 together with dilation_rate > 1"):
        F.conv2d(np.zeros((1, 8, 8, 1)), np.ones((3, 3, 1, 1)), strides=(1, 2), dilation_rate=(2, 1))


def test_float_kernel_size_rejected_with_value_error():
    with pytest.raises(ValueError, match=r"kernel_size.*3\.0"):
        L.Conv2D(2, 3.0)


def test_functional_non_positive_sizes_rejected():
    x = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match="strides must be positive"):
        F.conv2d(x, np.ones((2, 2, 1, 1)), strides=0)
    with pytest.raises(ValueError, match="pool_size must be positive"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="strides must be positive"):
        F.avg_pool2d(x, 2, strides=(1, 0))


@pytest.mark.parametrize("filters", [0, -3, 2.0, True])
def test_conv2d_filters_must_be_positive_int(filters):
    with pytest.raises(ValueError) as err:
        L.Conv2D(filters, 3, name="filt")
    msg = str(err.value)
    assert "'filt'" in msg and "filters must be a positive integer" in msg and repr(filters) in msg


@pytest.mark.parametrize("make", [lambda: L.Conv2D(2, 3, padding="full", name="pad_full"),
                                  lambda: L.MaxPooling2D(padding="full", name="pad_full"),
                                  lambda: L.AveragePooling2D(padding="full", name="pad_full")],
                         ids=["conv", "max", "avg"])
def test_padding_full_rejected(make):
    with pytest.raises(ValueError) as err:
        make()
    msg = str(err.value)
    assert "'pad_full'" in msg and "'valid' or 'same'" in msg and "'full'" in msg


def test_functional_padding_full_rejected():
    x = np.zeros((1, 4, 4, 1))
    for call in (lambda: F.conv2d(x, np.ones((2, 2, 1, 1)), padding="full"),
                 lambda: F.max_pool2d(x, 2, padding="full"), lambda: F.avg_pool2d(x, 2, padding="full")):
        with pytest.raises(ValueError, match="'valid' or 'same', got 'full'"):
            call()


def test_padding_is_case_insensitive_like_keras():
    assert L.Conv2D(2, 3, padding="SAME").padding == "same"
    assert L.MaxPooling2D(padding="Valid").padding == "valid"


@pytest.mark.parametrize("make", [lambda: L.Conv2D(2, 3, data_format="channels_first", name="cf"),
                                  lambda: L.MaxPooling2D(data_format="channels_first", name="cf"),
                                  lambda: L.AveragePooling2D(data_format="channels_first", name="cf")],
                         ids=["conv", "max", "avg"])
def test_channels_first_rejected(make):
    with pytest.raises(ValueError) as err:
        make()
    msg = str(err.value)
    assert "'cf'" in msg and "channels_last" in msg and "'channels_first'" in msg
    assert L.Conv2D(2, 3, data_format="channels_last").get_config()["filters"] == 2


def test_compute_output_shape_wrong_rank_names_layer():
    with pytest.raises(ValueError, match="cos_rank"):
        L.Conv2D(2, 3, name="cos_rank").compute_output_shape((None, 8, 8))


@pytest.mark.parametrize("bad_x, words", [
    (np.zeros((16, 10, 9), dtype=np.float32), "(batch, height, width, channels)"),
    (np.zeros((16, 2, 9, 2), dtype=np.float32), "does not fit"),
    (np.zeros((16, 3, 3, 2), dtype=np.float32), "output would be empty"),     # 1x1 after the conv
], ids=["rank3", "kernel-too-big", "pool-empties"])
def test_failed_first_fit_leaves_sequential_unbuilt_and_usable(rng, bad_x, words):
    set_random_seed(2)
    model = _cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    y = rng.integers(0, 3, 16)
    with pytest.raises(ValueError, match=re.escape(words)):
        model.fit(bad_x, y, epochs=1, verbose=0)
    assert not model.built
    assert all(not layer.built and layer.weights == [] for layer in model.layers)
    x, y = _cnn_data(rng, n=16)
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert model.layers[0].kernel.shape == (3, 3, 2, 4)
    assert model.layers[-1].kernel.shape == (4 * 3 * 6, 3)
    assert model.predict(x, verbose=0).shape == (16, 3)


def test_fit_on_wrong_image_size_names_the_model_input(rng):
    model = snn.Sequential([L.Input((10, 9, 2)), L.Conv2D(4, 3), L.MaxPooling2D(2), L.Flatten(), L.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    weights = model.get_weights()
    with pytest.raises(ValueError) as err:
        model.fit(np.zeros((4, 12, 9, 2), dtype=np.float32), np.zeros((4, 3)), verbose=0)
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "10, 9, 2)" in str(err.value) and "12, 9, 2)" in str(err.value)


def test_sequential_add_of_too_big_conv_changes_nothing():
    model = snn.Sequential([L.Input((4, 4, 1)), L.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="does not fit"):
        model.add(L.Conv2D(2, 3, name="no_room"))                    # 2x2 left: a 3x3 kernel does not fit
    assert [layer.name for layer in model.layers if layer.name == "no_room"] == []
    model.add(L.Flatten())
    assert model.output_shape == (None, 8)


# ======================================================================= float32, speed
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


def test_conv_and_pool_are_vectorized(rng):
    """A per-pixel Python loop would take seconds here; im2col plus per-tap slices take milliseconds."""
    x = _leaf(rng.normal(size=(32, 28, 28, 3)), dtype=np.float32)
    kernel = _leaf(rng.normal(size=(3, 3, 3, 32)), dtype=np.float32)
    start = time.perf_counter()
    out = F.conv2d(x, kernel, padding="same")
    (F.max_pool2d(out, 3, strides=1).sum() + F.avg_pool2d(out, 2).sum()).backward()
    elapsed = time.perf_counter() - start
    assert x.grad.shape == x.shape and kernel.grad.shape == kernel.shape
    assert elapsed < 2.0, f"conv/pool forward+backward took {elapsed:.2f} s"


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
def _conv_pool_grads(x, kernel, bias, padding, strides, pool, pool_strides, pool_padding):
    """Values and gradients of conv2d(relu) -> max_pool2d -> a weighted sum, as float arrays."""
    xt, kt, bt = (Tensor(a, requires_grad=True) for a in (x, kernel, bias))
    y = F.conv2d(xt, kt, bt, strides=strides, padding=padding, relu=True)
    p = F.max_pool2d(y, pool, strides=pool_strides, padding=pool_padding)
    weights = np.linspace(-1, 1, p.data.size).reshape(p.shape).astype(x.dtype)
    (p * Tensor(weights)).sum().backward()
    return [p.data, xt.grad, kt.grad, bt.grad]


@pytest.mark.parametrize("n,threads", [(1, 3), (2, 3), (5, 3), (7, 2), (4, 8)])
@pytest.mark.parametrize("padding,strides,pool,pool_strides,pool_padding", [
    ("valid", 1, 2, None, "valid"), ("same", 2, 3, 2, "same"), ("valid", 1, 3, 1, "valid"),
    ("same", 1, 2, 3, "valid")])
def test_batch_parallel_passes_give_the_serial_result_bit_for_bit(monkeypatch, n, threads, padding, strides,
                                                                   pool, pool_strides, pool_padding):
    """The im2col copy, bias/ReLU, col2im additions and pooling split the batch across threads
    when arrays are large; forced on tiny arrays here, every value and gradient must equal the
    one-thread result exactly (each thread writes only its own rows)."""
    rng = np.random.default_rng(n * 10 + threads)
    x = rng.standard_normal((n, 9, 8, 3)).astype(np.float32)
    x[:, :3, :3] = 0.0                                 # ReLU zeros: pooling ties
    kernel = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    args = (x, kernel, bias, padding, strides, pool, pool_strides, pool_padding)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "1")
    serial = _conv_pool_grads(*args)
    monkeypatch.setattr(threads_module, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", str(threads))
    calls = []
    real = threads_module.parallel_batches
    monkeypatch.setattr("scratchnn.functional.conv.parallel_batches",
                        lambda fn, rows, size: (calls.append(rows), real(fn, rows, size)))
    parallel = _conv_pool_grads(*args)
    assert calls, "the kernels did not go through parallel_batches"
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


def test_parallel_batches_covers_every_row_once_and_reraises(monkeypatch):
    monkeypatch.setattr(threads_module, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "4")
    seen = np.zeros(10, int)

    def mark(lo, hi):
        seen[lo:hi] += 1
    threads_module.parallel_batches(mark, 10, 100)
    assert seen.tolist() == [1] * 10

    def fail(lo, hi):
        if lo > 0:
            raise ValueError(f"rows {lo}:{hi}")
    with pytest.raises(ValueError, match="rows"):
        threads_module.parallel_batches(fail, 10, 100)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="SCRATCHNN_NUM_THREADS must be a positive integer, got 'many'"):
        threads_module.parallel_batches(mark, 10, 100)
