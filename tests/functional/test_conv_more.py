"""More convolution-family functions and layers, channels last: F.conv2d_transpose,
F.depthwise_conv2d, F.conv1d, F.max_pool1d, F.upsampling2d, F.zero_padding2d, F.cropping2d,
F.global_avg_pool2d / F.global_max_pool2d (gradcheck; PyTorch forward and backward; values by
hand; the transposed convolution as the exact adjoint of conv2d), and the layers
Conv2DTranspose, DepthwiseConv2D, Conv1D, MaxPooling1D, UpSampling2D, ZeroPadding2D,
Cropping2D, GlobalAveragePooling2D, GlobalMaxPooling2D (shapes, configs, training, saving,
error messages).

Keras's values were checked once by hand against TensorFlow 2.21 / Keras 3 (Conv2DTranspose
and DepthwiseConv2D: outputs, input and kernel gradients to 1e-15); the tests need neither."""
import math
import re

import numpy as np
import pytest
from conftest import assert_config_round_trip, assert_close, requires_torch, torch

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.gradcheck import gradcheck
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

if torch is not None:
    import torch.nn.functional as TF


# ======================================================================= helpers
def _leaf(a, dtype=np.float64):
    return Tensor(np.array(a, dtype=dtype), requires_grad=True, dtype=dtype)


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def tf_same_pads(n, k, s, d=1):
    """TensorFlow's 'same' padding of one axis, written out independently of scratchnn: the
    output has ceil(n / s) entries; the total padding is split floor/ceil (the extra after)."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def keras_transpose_size(n, k, s, padding, output_padding=None, d=1):
    """Keras 3's ``_get_output_shape_given_tf_padding``, transcribed."""
    k = (k - 1) * d + 1
    if padding == "valid":
        op = max(k, s) - k if output_padding is None else output_padding
        return (n - 1) * s + k + op
    return n * s if output_padding is None else (n - 1) * s + k % 2 + output_padding


def keras_pairs(v):
    """Keras's padding/cropping argument as ((top, bottom), (left, right))."""
    if isinstance(v, int):
        return (v, v), (v, v)
    if isinstance(v[0], int):
        return (v[0], v[0]), (v[1], v[1])
    return tuple(map(tuple, v))


def distinct(rng, shape):
    """Values without ties, so every maximum has a well-defined derivative."""
    n = math.prod(shape)
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape) - 0.05 * n


def _nchw(a):
    return torch.tensor(np.ascontiguousarray(a.transpose(0, 3, 1, 2)), requires_grad=True)


def _from_nchw(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def _check_against_torch(ours, theirs, inputs, t_inputs, layouts, out_layout, rng, rtol=1e-5):
    """Forward and backward of ``ours(*inputs)`` (scratchnn) against ``theirs(*t_inputs)``
    (torch), with a random upstream gradient; ``layouts[i]`` maps torch's gradient of input i
    back to our layout, ``out_layout`` torch's output."""
    leaves = [_leaf(a) for a in inputs]
    out = ours(*leaves)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    out_t = theirs(*t_inputs)
    assert_close(out, out_layout(out_t), rtol=rtol, atol=1e-10, what="forward")
    to_torch = {4: (0, 3, 1, 2), 3: (0, 2, 1)}.get(r.ndim)            # NHWC -> NCHW, NLC -> NCL
    r_t = torch.tensor(np.ascontiguousarray(r if to_torch is None else r.transpose(to_torch)))
    (out_t * r_t).sum().backward()
    for i, (leaf, t, back) in enumerate(zip(leaves, t_inputs, layouts)):
        assert_close(leaf.grad, back(t.grad.numpy()), rtol=rtol, atol=1e-10, what=f"gradient of input {i}")


# ======================================================================= conv2d_transpose
_CT_GEOMETRY = {                   # x shape, kernel (kh, kw), filters
    "odd-c1": ((1, 3, 5, 1), (3, 3), 2),
    "even-c3": ((2, 4, 4, 3), (2, 3), 2),
    "kernel<stride": ((1, 3, 2, 3), (1, 2), 3),
}


@pytest.mark.parametrize("geometry", sorted(_CT_GEOMETRY))
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_conv2d_transpose_gradcheck(rng, geometry, padding, strides):
    x_shape, (kh, kw), filters = _CT_GEOMETRY[geometry]
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=(kh, kw, filters, x_shape[3]))
    bias = rng.normal(size=filters)
    assert gradcheck(lambda a, k, b: F.conv2d_transpose(a, k, b, strides=strides, padding=padding),
                     x, kernel, bias)


@pytest.mark.parametrize("cin", [2, 16])
@pytest.mark.parametrize("strides, padding, output_padding, dilation",
                         [(3, "valid", (1, 2), 1), ((2, 3), "same", (1, 1), 1), (1, "valid", None, 2),
                          (1, "same", None, (2, 1))])
def test_conv2d_transpose_gradcheck_output_padding_and_dilation(rng, strides, padding, output_padding,
                                                                dilation, cin):
    x, kernel = rng.normal(size=(1, 3, 4, cin)), rng.normal(size=(3, 2, 2, cin))
    assert gradcheck(lambda a, k: F.conv2d_transpose(a, k, strides=strides, padding=padding,
                                                     output_padding=output_padding, dilation_rate=dilation),
                     x, kernel)


def _torch_conv_transpose(x_t, w_t, b_t, in_hw, kernel_hw, strides, padding, dilation, out_hw):
    """torch's conv_transpose2d with Keras's padding converted: torch crops ``p`` on both sides
    and adds ``output_padding`` at the end, TensorFlow crops tf_same_pads(out)[0] before and
    the rest after; where torch cannot crop less at the start than at the end, crop its
    larger output."""
    pads, extra = [], []
    for n, k, s, d, out in zip(in_hw, kernel_hw, strides, dilation, out_hw):
        top = tf_same_pads(out, k, s, d)[0] if padding == "same" else 0
        torch_op = out - ((n - 1) * s + (k - 1) * d + 1 - 2 * top)
        pads.append(top)
        extra.append(max(torch_op, 0))
    y = TF.conv_transpose2d(x_t, w_t, b_t, stride=strides, padding=tuple(pads), output_padding=tuple(extra),
                            dilation=dilation)
    return y[:, :, :out_hw[0], :out_hw[1]]


_CT_TORCH_CASES = [   # x shape, kernel (kh, kw, filters), strides, padding, output_padding, dilation
    ((2, 5, 6, 3), (3, 3, 4), 2, "same", None, 1),
    ((2, 5, 6, 3), (3, 3, 4), 2, "valid", None, 1),
    ((1, 4, 5, 2), (2, 3, 3), (2, 3), "valid", None, 1),
    ((1, 4, 4, 2), (4, 4, 3), 2, "same", 1, 1),
    ((2, 4, 6, 1), (2, 2, 2), 2, "same", None, 1),
    ((1, 3, 5, 2), (1, 1, 2), 3, "same", None, 1),
    ((1, 3, 5, 2), (1, 2, 2), 3, "valid", None, 1),
    ((2, 4, 4, 3), (3, 3, 2), 3, "valid", (1, 2), 1),
    ((2, 4, 4, 3), (3, 3, 2), 3, "same", (2, 0), 1),
    ((1, 5, 5, 2), (3, 2, 3), 1, "valid", None, 2),
    ((1, 5, 4, 2), (3, 3, 1), 1, "same", None, (2, 1)),
    ((3, 7, 2, 4), (5, 2, 3), (1, 2), "same", None, 1),
    ((2, 3, 4, 16), (3, 3, 5), 2, "same", None, 1),            # >= 16 input channels: one product
    ((1, 4, 3, 20), (2, 3, 2), (3, 2), "valid", (2, 1), 1),
    ((1, 4, 5, 16), (3, 2, 3), 1, "same", None, (1, 2)),
]


@requires_torch
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("x_shape, kernel_shape, strides, padding, output_padding, dilation", _CT_TORCH_CASES,
                         ids=[f"case{i}" for i in range(len(_CT_TORCH_CASES))])
def test_conv2d_transpose_matches_torch(rng, x_shape, kernel_shape, strides, padding, output_padding,
                                        dilation, with_bias):
    kh, kw, filters = kernel_shape
    strides, dilation = _two(strides), _two(dilation)
    op = (None, None) if output_padding is None else _two(output_padding)
    x, kernel, bias = (rng.normal(size=x_shape), rng.normal(size=(kh, kw, filters, x_shape[3])),
                       rng.normal(size=filters))
    out_hw = tuple(keras_transpose_size(n, k, s, padding, p, d)
                   for n, k, s, p, d in zip(x_shape[1:3], (kh, kw), strides, op, dilation))
    x_t = _nchw(x)
    w_t = torch.tensor(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)), requires_grad=True)
    b_t = torch.tensor(bias, requires_grad=True)
    inputs, t_inputs = [x, kernel], [x_t, w_t]
    layouts = [lambda g: g.transpose(0, 2, 3, 1), lambda g: g.transpose(2, 3, 1, 0)]
    if with_bias:
        inputs, t_inputs, layouts = inputs + [bias], t_inputs + [b_t], layouts + [lambda g: g]
    _check_against_torch(
        lambda *a: F.conv2d_transpose(*a, strides=strides, padding=padding, output_padding=output_padding,
                                      dilation_rate=dilation),
        lambda a, w, b=None: _torch_conv_transpose(a, w, b, x_shape[1:3], (kh, kw), strides, padding,
                                                   dilation, out_hw),
        inputs, t_inputs, layouts, _from_nchw, rng)
    assert F.conv2d_transpose(x, kernel, strides=strides, padding=padding, output_padding=output_padding,
                              dilation_rate=dilation).shape == (x_shape[0],) + out_hw + (filters,)


def test_conv2d_transpose_single_pixel_stamps_the_kernel(rng):
    kernel = rng.normal(size=(2, 3, 2, 1))
    y = F.conv2d_transpose(Tensor(np.full((1, 1, 1, 1), 2.0), dtype=np.float64), kernel)
    assert_close(y, 2 * kernel[None, :, :, :, 0], rtol=1e-15)


def test_conv2d_transpose_kernel_smaller_than_stride_by_hand():
    # 'valid', a 1x1 kernel 3 and stride 3: each input value lands every third row; Keras's
    # output keeps the last window's zero rows ((2 - 1)*3 + max(1, 3) = 6 rows).
    y = F.conv2d_transpose(Tensor(np.array([1.0, 2.0]).reshape(1, 2, 1, 1), dtype=np.float64),
                           np.full((1, 1, 1, 1), 3.0), strides=(3, 1))
    np.testing.assert_array_equal(y.data.ravel(), [3, 0, 0, 6, 0, 0])
    # 'same', a 4x4 kernel of ones, stride 2, one input pixel of 1: TensorFlow crops 1 row on top
    y = F.conv2d_transpose(Tensor(np.ones((1, 1, 1, 1)), dtype=np.float64), np.ones((4, 4, 1, 1)),
                           strides=2, padding="same")
    np.testing.assert_array_equal(y.data[0, :, :, 0], np.ones((2, 2)))


@pytest.mark.parametrize("hw, kernel_hw, strides, padding",
                         [((7, 6), (3, 3), 2, "same"), ((7, 6), (3, 2), 2, "valid"),
                          ((8, 8), (4, 4), 2, "same"), ((6, 9), (2, 3), 3, "same"),
                          ((5, 5), (3, 3), 1, "same"), ((9, 7), (1, 1), 2, "valid")])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(rng, hw, kernel_hw, strides, padding):
    """<conv2d(u, W), v> == <u, conv2d_transpose(v, W)> for the same kernel array (Keras's
    layouts make Conv2D's (kh, kw, C_in, C_out) the transposed layer's (kh, kw, filters, C_in))."""
    u = rng.normal(size=(2,) + hw + (3,))
    w = rng.normal(size=kernel_hw + (3, 4))
    y = F.conv2d(Tensor(u, dtype=np.float64), w, strides=strides, padding=padding).data
    v = rng.normal(size=y.shape)
    sizes = list(zip(hw, y.shape[1:3], kernel_hw))
    if all(keras_transpose_size(o, k, strides, padding) == n for n, o, k in sizes):
        output_padding = None                    # the default output size is the input's
    else:                                        # the output_padding that gives back n
        output_padding = tuple(n - keras_transpose_size(o, k, strides, padding, 0) for n, o, k in sizes)
    back = F.conv2d_transpose(Tensor(v, dtype=np.float64), w, strides=strides, padding=padding,
                              output_padding=output_padding).data
    assert back.shape == u.shape
    assert math.isclose(np.sum(y * v), np.sum(u * back), rel_tol=1e-12)


# ======================================================================= depthwise_conv2d
_DW_GEOMETRY = {                  # x shape, kernel (kh, kw), depth multiplier, dilation
    "odd-c1-m2": ((1, 5, 5, 1), (3, 3), 2, 1),
    "even-c3-m1": ((2, 4, 6, 3), (2, 3), 1, 1),
    "dilated-c3-m2": ((1, 7, 6, 3), (2, 2), 2, 2),
}


@pytest.mark.parametrize("geometry", sorted(_DW_GEOMETRY))
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_depthwise_conv2d_gradcheck(rng, geometry, padding, strides):
    x_shape, (kh, kw), m, d = _DW_GEOMETRY[geometry]
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=(kh, kw, x_shape[3], m))
    bias = rng.normal(size=x_shape[3] * m)
    assert gradcheck(lambda a, k, b: F.depthwise_conv2d(a, k, b, strides=strides, padding=padding,
                                                        dilation_rate=d), x, kernel, bias)


_DW_TORCH_CASES = [   # x shape, kernel (kh, kw), multiplier, strides, padding, dilation
    ((2, 7, 6, 3), (3, 2), 2, 1, "valid", 1),
    ((2, 7, 6, 3), (3, 3), 1, 2, "same", 1),
    ((1, 9, 8, 2), (3, 3), 3, 2, "same", 2),
    ((1, 6, 6, 2), (2, 2), 1, 1, "same", 2),
    ((2, 5, 8, 4), (1, 4), 2, (1, 3), "valid", 1),
    ((1, 6, 7, 1), (4, 3), 3, (2, 1), "same", 1),
]


@requires_torch
@pytest.mark.parametrize("x_shape, kernel_hw, m, strides, padding, dilation", _DW_TORCH_CASES,
                         ids=[f"case{i}" for i in range(len(_DW_TORCH_CASES))])
def test_depthwise_conv2d_matches_torch_grouped_conv(rng, x_shape, kernel_hw, m, strides, padding, dilation):
    """PyTorch: conv2d with groups=C and weight (C*M, 1, kh, kw), output channel c*M + m from
    input channel c, the same order as TensorFlow's depthwise_conv2d."""
    c = x_shape[3]
    strides, dilation = _two(strides), _two(dilation)
    x, kernel, bias = rng.normal(size=x_shape), rng.normal(size=kernel_hw + (c, m)), rng.normal(size=c * m)
    x_t = _nchw(x)
    w_t = torch.tensor(np.ascontiguousarray(kernel.transpose(2, 3, 0, 1).reshape(c * m, 1, *kernel_hw)),
                       requires_grad=True)
    b_t = torch.tensor(bias, requires_grad=True)

    def theirs(a, w, b):
        if padding == "same":
            (top, bottom), (left, right) = (tf_same_pads(n, k, s, d) for n, k, s, d in
                                            zip(x_shape[1:3], kernel_hw, strides, dilation))
            a = TF.pad(a, (left, right, top, bottom))
        return TF.conv2d(a, w, b, stride=strides, dilation=dilation, groups=c)

    _check_against_torch(lambda *a: F.depthwise_conv2d(*a, strides=strides, padding=padding,
                                                       dilation_rate=dilation),
                         theirs, [x, kernel, bias], [x_t, w_t, b_t],
                         [lambda g: g.transpose(0, 2, 3, 1),
                          lambda g: g.reshape(c, m, *kernel_hw).transpose(2, 3, 0, 1), lambda g: g],
                         _from_nchw, rng)


def test_depthwise_conv2d_channel_order_by_hand():
    # channel c, filter m -> output channel c*M + m; 1x1 kernels make it a per-channel scaling
    x = np.array([1.0, 10.0]).reshape(1, 1, 1, 2)
    kernel = np.array([[2.0, 3.0, 4.0], [5.0, 6.0, 7.0]]).reshape(1, 1, 2, 3)
    y = F.depthwise_conv2d(Tensor(x, dtype=np.float64), kernel, bias=np.arange(6.0))
    np.testing.assert_array_equal(y.data.ravel(), [2, 4, 6, 53, 64, 75])


# ======================================================================= conv1d, max_pool1d
_C1_GEOMETRY = {"c1-k3": ((2, 7, 1), 3, 2, 1), "c3-k2": ((1, 6, 3), 2, 3, 1), "dilated": ((1, 9, 2), 3, 2, 2)}


def _c1_cases(strides):
    """(geometry, strides): strides > 1 with dilation > 1 is rejected (as in Keras), so not here."""
    return [(g, s) for g in sorted(_C1_GEOMETRY) for s in strides if s == 1 or _C1_GEOMETRY[g][3] == 1]


def _c1_data(rng, geometry):
    x_shape, k, filters, d = _C1_GEOMETRY[geometry]
    return (rng.normal(size=x_shape), rng.normal(size=(k, x_shape[2], filters)), rng.normal(size=filters),
            k, d)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("geometry, strides", _c1_cases([1, 2]))
def test_conv1d_gradcheck(rng, geometry, padding, strides):
    x, kernel, bias, k, d = _c1_data(rng, geometry)
    assert gradcheck(lambda a, w, b: F.conv1d(a, w, b, strides=strides, padding=padding, dilation_rate=d),
                     x, kernel, bias)


@requires_torch
@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("geometry, strides", _c1_cases([1, 2, 3]))
def test_conv1d_matches_torch(rng, geometry, padding, strides):
    x, kernel, bias, k, d = _c1_data(rng, geometry)
    x_t = torch.tensor(np.ascontiguousarray(x.transpose(0, 2, 1)), requires_grad=True)
    w_t = torch.tensor(np.ascontiguousarray(kernel.transpose(2, 1, 0)), requires_grad=True)
    b_t = torch.tensor(bias, requires_grad=True)

    def theirs(a, w, b):
        if padding == "same":
            a = TF.pad(a, tf_same_pads(x.shape[1], k, strides, d))
        elif padding == "causal":
            a = TF.pad(a, ((k - 1) * d, 0))
        return TF.conv1d(a, w, b, stride=strides, dilation=d)

    _check_against_torch(lambda *a: F.conv1d(*a, strides=strides, padding=padding, dilation_rate=d), theirs,
                         [x, kernel, bias], [x_t, w_t, b_t],
                         [lambda g: g.transpose(0, 2, 1), lambda g: g.transpose(2, 1, 0), lambda g: g],
                         lambda t: t.detach().numpy().transpose(0, 2, 1), rng)


def test_conv1d_causal_never_sees_the_future(rng):
    x = _leaf(rng.normal(size=(1, 10, 2)))
    y = F.conv1d(x, rng.normal(size=(3, 2, 4)), padding="causal", dilation_rate=2)
    assert y.shape == (1, 10, 4)
    y[:, 5].sum().backward()
    assert np.all(x.grad[:, 6:] == 0) and np.all(x.grad[:, [1, 3, 5]] != 0)
    assert np.all(x.grad[:, [0, 2, 4]] == 0)                    # dilation 2: taps at t-4, t-2, t


@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 2, "same"), (3, 1, "valid"),
                                                    (2, 3, "same"), (4, None, "same")])
def test_max_pool1d_gradcheck(rng, pool, strides, padding):
    x = distinct(rng, (2, 9, 3))
    assert gradcheck(lambda a: F.max_pool1d(a, pool, strides, padding), x)


@requires_torch
@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 2, "same"), (3, 1, "valid"),
                                                    (2, 3, "same"), (4, None, "same"), (5, 2, "valid")])
def test_max_pool1d_matches_torch(rng, pool, strides, padding):
    x = distinct(rng, (2, 11, 3))
    s = pool if strides is None else strides
    x_t = torch.tensor(np.ascontiguousarray(x.transpose(0, 2, 1)), requires_grad=True)

    def theirs(a):
        if padding == "same":
            a = TF.pad(a, tf_same_pads(x.shape[1], pool, s), value=-math.inf)
        return TF.max_pool1d(a, pool, s)

    _check_against_torch(lambda a: F.max_pool1d(a, pool, strides, padding), theirs, [x], [x_t],
                         [lambda g: g.transpose(0, 2, 1)], lambda t: t.detach().numpy().transpose(0, 2, 1),
                         rng)


def test_max_pool1d_ties_go_to_the_first_maximum_tiling():
    x = _leaf(np.zeros((1, 6, 1)))
    F.max_pool1d(x, 3).sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [1, 0, 0, 1, 0, 0])


def test_max_pool1d_ties_go_to_the_first_maximum_overlapping():
    x = _leaf(np.zeros((1, 5, 1)))
    F.max_pool1d(x, 2, strides=1).sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [1, 1, 1, 1, 0])      # PyTorch and TensorFlow


# ======================================================================= upsampling, padding, cropping
@pytest.mark.parametrize("size", [2, (1, 3), (3, 2)])
@pytest.mark.parametrize("channels", [1, 3])
def test_upsampling2d_gradcheck_and_by_hand(rng, size, channels):
    x = rng.normal(size=(2, 3, 4, channels))
    assert gradcheck(lambda a: F.upsampling2d(a, size), x)
    sh, sw = _two(size)
    expected = np.repeat(np.repeat(x, sh, axis=1), sw, axis=2)
    assert_close(F.upsampling2d(Tensor(x, dtype=np.float64), size), expected, rtol=0, atol=0)


@requires_torch
@pytest.mark.parametrize("size", [2, (1, 3), (3, 2)])
def test_upsampling2d_matches_torch_nearest(rng, size):
    x = rng.normal(size=(2, 3, 5, 3))
    _check_against_torch(lambda a: F.upsampling2d(a, size),
                         lambda a: TF.interpolate(a, scale_factor=_two(size), mode="nearest"),
                         [x], [_nchw(x)], [lambda g: g.transpose(0, 2, 3, 1)], _from_nchw, rng)


_PADS = [1, (2, 0), ((0, 2), (3, 1)), ((1, 0), (0, 0))]


@pytest.mark.parametrize("padding", _PADS, ids=[str(p) for p in _PADS])
def test_zero_padding2d_gradcheck(rng, padding):
    assert gradcheck(lambda a: F.zero_padding2d(a, padding), rng.normal(size=(2, 3, 4, 2)))


@requires_torch
@pytest.mark.parametrize("padding", _PADS, ids=[str(p) for p in _PADS])
def test_zero_padding2d_matches_torch_pad(rng, padding):
    x = rng.normal(size=(2, 3, 4, 3))
    (top, bottom), (left, right) = keras_pairs(padding)
    _check_against_torch(lambda a: F.zero_padding2d(a, padding),
                         lambda a: TF.pad(a, (left, right, top, bottom)),
                         [x], [_nchw(x)], [lambda g: g.transpose(0, 2, 3, 1)], _from_nchw, rng)


_CROPS = [1, (2, 0), ((0, 2), (3, 1)), ((1, 0), (0, 0))]


@pytest.mark.parametrize("cropping", _CROPS, ids=[str(c) for c in _CROPS])
def test_cropping2d_gradcheck_and_by_hand(rng, cropping):
    x = rng.normal(size=(2, 5, 6, 2))
    assert gradcheck(lambda a: F.cropping2d(a, cropping), x)
    (top, bottom), (left, right) = keras_pairs(cropping)
    assert_close(F.cropping2d(Tensor(x, dtype=np.float64), cropping), x[:, top:5 - bottom, left:6 - right],
                 rtol=0, atol=0)


# ======================================================================= global pooling
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("hw, channels", [((3, 4), 1), ((5, 5), 3)])
def test_global_pooling_gradcheck(rng, keepdims, hw, channels):
    x = distinct(rng, (2,) + hw + (channels,))
    assert gradcheck(lambda a: F.global_avg_pool2d(a, keepdims), x)
    assert gradcheck(lambda a: F.global_max_pool2d(a, keepdims), x)
    assert F.global_max_pool2d(x, keepdims).shape == ((2, 1, 1, channels) if keepdims else (2, channels))


@requires_torch
@pytest.mark.parametrize("name", ["avg", "max"])
def test_global_pooling_matches_torch_adaptive_pooling(rng, name):
    x = distinct(rng, (3, 5, 7, 4))
    ours = F.global_avg_pool2d if name == "avg" else F.global_max_pool2d
    theirs = TF.adaptive_avg_pool2d if name == "avg" else TF.adaptive_max_pool2d
    _check_against_torch(lambda a: ours(a, keepdims=True), lambda a: theirs(a, 1), [x], [_nchw(x)],
                         [lambda g: g.transpose(0, 2, 3, 1)], _from_nchw, rng)


def test_global_max_pool2d_splits_ties_like_keras():
    # tf.reduce_max (Keras's GlobalMaxPooling2D) splits the gradient equally among tied maxima;
    # TensorFlow gives exactly [0, 0.5, 0.5, 0] here.
    x = _leaf(np.array([[1.0, 3.0], [3.0, 0.0]]).reshape(1, 2, 2, 1))
    F.global_max_pool2d(x).sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [0, 0.5, 0.5, 0])


@requires_torch
def test_global_max_pool2d_ties_match_torch_amax(rng):
    x = rng.integers(0, 3, size=(2, 4, 5, 3)).astype(np.float64)
    _check_against_torch(lambda a: F.global_max_pool2d(a), lambda a: torch.amax(a, dim=(2, 3)), [x],
                         [_nchw(x)], [lambda g: g.transpose(0, 2, 3, 1)], lambda t: t.detach().numpy(), rng,
                         rtol=1e-12)


# ======================================================================= float32
def test_functions_keep_float32(rng):
    x = Tensor(rng.normal(size=(2, 5, 6, 3)).astype(np.float32), requires_grad=True)
    seq = Tensor(rng.normal(size=(2, 7, 3)).astype(np.float32), requires_grad=True)
    outs = [F.conv2d_transpose(x, rng.normal(size=(3, 3, 2, 3)), np.zeros(2), strides=2, padding="same"),
            F.depthwise_conv2d(x, rng.normal(size=(3, 3, 3, 2)), np.zeros(6), padding="same"),
            F.upsampling2d(x), F.zero_padding2d(x), F.cropping2d(x, 1), F.global_avg_pool2d(x),
            F.global_max_pool2d(x), F.conv1d(seq, rng.normal(size=(3, 3, 2)), padding="causal"),
            F.max_pool1d(seq)]
    for out in outs:
        assert out.dtype == np.float32
        out.sum().backward()
    assert x.grad.dtype == np.float32 and seq.grad.dtype == np.float32


# ======================================================================= layers: shapes
_LAYER_SHAPE_CASES = [
    (lambda: L.Conv2DTranspose(4, 3), (2, 5, 6, 3)),
    (lambda: L.Conv2DTranspose(2, (2, 3), strides=2, padding="same"), (2, 5, 6, 3)),
    (lambda: L.Conv2DTranspose(2, 1, strides=3), (1, 3, 4, 1)),
    (lambda: L.Conv2DTranspose(3, 4, strides=2, padding="same", output_padding=1), (1, 4, 5, 2)),
    (lambda: L.Conv2DTranspose(3, 3, dilation_rate=2), (1, 4, 5, 2)),
    (lambda: L.DepthwiseConv2D(3), (2, 7, 6, 3)),
    (lambda: L.DepthwiseConv2D((2, 3), strides=2, padding="same", depth_multiplier=3), (2, 7, 6, 2)),
    (lambda: L.DepthwiseConv2D(3, strides=2, dilation_rate=2), (1, 9, 9, 1)),
    (lambda: L.Conv1D(4, 3), (2, 9, 2)),
    (lambda: L.Conv1D(4, 3, strides=2, padding="causal"), (2, 9, 2)),
    (lambda: L.Conv1D(2, 4, strides=3, padding="same"), (2, 10, 1)),
    (lambda: L.Conv1D(2, 3, dilation_rate=3), (2, 10, 1)),
    (lambda: L.MaxPooling1D(), (2, 9, 3)),
    (lambda: L.MaxPooling1D(3, 2, padding="same"), (2, 9, 3)),
    (lambda: L.UpSampling2D((2, 3)), (2, 3, 4, 2)),
    (lambda: L.ZeroPadding2D(((1, 2), (0, 3))), (2, 3, 4, 2)),
    (lambda: L.Cropping2D(((1, 2), (0, 3))), (2, 5, 6, 2)),
    (lambda: L.GlobalAveragePooling2D(), (2, 5, 6, 3)),
    (lambda: L.GlobalMaxPooling2D(keepdims=True), (2, 5, 6, 3)),
]


@pytest.mark.parametrize("make, x_shape", _LAYER_SHAPE_CASES,
                         ids=[str(i) for i in range(len(_LAYER_SHAPE_CASES))])
def test_layer_compute_output_shape_equals_forward_shape(rng, make, x_shape):
    layer = make()
    expected = layer.compute_output_shape((None,) + x_shape[1:])
    out = layer(rng.normal(size=x_shape).astype(np.float32))
    assert (x_shape[0],) + tuple(expected[1:]) == out.shape
    assert out.dtype == np.float32


def test_layer_output_shapes_by_hand_and_with_unknown_sizes():
    assert L.Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, 5, 6, 3)) == (None, 11, 13, 4)
    assert L.Conv2DTranspose(4, 3, strides=2, padding="same").compute_output_shape((8, None, 6, 3)) == (
        8, None, 12, 4)
    assert L.Conv2DTranspose(2, 1, strides=3).compute_output_shape((None, 3, 4, 1)) == (None, 9, 12, 2)
    assert L.DepthwiseConv2D(3, depth_multiplier=2).compute_output_shape((None, None, 6, 3)) == (
        None, None, 4, 6)
    assert L.Conv1D(4, 3, strides=2, padding="causal").compute_output_shape((None, 9, 2)) == (None, 5, 4)
    assert L.Conv1D(4, 3).compute_output_shape((None, None, 2)) == (None, None, 4)
    assert L.UpSampling2D((2, 3)).compute_output_shape((None, None, 4, 2)) == (None, None, 12, 2)
    assert L.Cropping2D(1).compute_output_shape((None, 5, None, 2)) == (None, 3, None, 2)
    assert L.GlobalAveragePooling2D().compute_output_shape((None, None, None, 7)) == (None, 7)


@pytest.mark.parametrize("make, kernel_shape, bias_shape", [
    (lambda: L.Conv2DTranspose(5, (2, 3)), (2, 3, 5, 3), (5,)),
    (lambda: L.DepthwiseConv2D((2, 3), depth_multiplier=4), (2, 3, 3, 4), (12,)),
    (lambda: L.Conv1D(5, 2), (2, 3, 5), (5,)),
], ids=["transpose", "depthwise", "conv1d"])
def test_kernel_layout_and_parameter_count(make, kernel_shape, bias_shape):
    layer = make()
    layer(np.zeros((1, 6, 6, 3) if len(kernel_shape) == 4 else (1, 6, 3), dtype=np.float32))
    assert [w.shape for w in layer.weights] == [kernel_shape, bias_shape]
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel", "bias"]
    assert layer.count_params() == math.prod(kernel_shape) + math.prod(bias_shape)


def test_default_names_follow_keras():
    # the names Keras 3 gives these layers (checked with keras.layers.*().name)
    for cls, base in [(L.Conv2DTranspose, "conv2d_transpose"), (L.DepthwiseConv2D, "depthwise_conv2d"),
                      (L.Conv1D, "conv1d"), (L.MaxPooling1D, "max_pooling1d"),
                      (L.UpSampling2D, "up_sampling2d"), (L.ZeroPadding2D, "zero_padding2d"),
                      (L.Cropping2D, "cropping2d"),
                      (L.GlobalAveragePooling2D, "global_average_pooling2d"),
                      (L.GlobalMaxPooling2D, "global_max_pooling2d")]:
        args = {L.Conv2DTranspose: (1, 1), L.DepthwiseConv2D: (1,), L.Conv1D: (1, 1)}.get(cls, ())
        assert re.fullmatch(rf"{base}(_\d+)?", cls(*args).name)


def test_keras_aliases():
    assert L.MaxPool1D is L.MaxPooling1D and L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    assert L.GlobalMaxPool2D is L.GlobalMaxPooling2D
    import scratchnn.keras.layers as KL
    assert KL.Conv2DTranspose is L.Conv2DTranspose and KL.Cropping2D is L.Cropping2D


def test_layers_compute_activation_of_the_functions(rng):
    x = rng.normal(size=(2, 5, 4, 3))
    layer = L.Conv2DTranspose(2, 3, strides=2, padding="same", activation="relu", dtype="float64")
    out = layer(x)
    expected = F.conv2d_transpose(Tensor(x, dtype=np.float64), layer.kernel, layer.bias, strides=2,
                                  padding="same")
    assert_close(out, np.maximum(expected.data, 0), rtol=1e-12)
    assert (out.data == 0).any() and (out.data > 0).any()
    dw = L.DepthwiseConv2D(3, depth_multiplier=2, activation="tanh", bias_initializer="ones", dtype="float64")
    assert_close(dw(x), np.tanh(F.depthwise_conv2d(Tensor(x, dtype=np.float64), dw.kernel, dw.bias).data),
                 rtol=1e-12)
    seq = rng.normal(size=(2, 8, 3))
    c1 = L.Conv1D(3, 2, padding="causal", activation="sigmoid", dtype="float64")
    assert_close(c1(seq), 1 / (1 + np.exp(-F.conv1d(Tensor(seq, dtype=np.float64), c1.kernel, c1.bias,
                                                     padding="causal").data)), rtol=1e-12)


# ======================================================================= layers: config, training, saving
_CONFIG_LAYERS = {
    "transpose": (lambda: L.Conv2DTranspose(3, (3, 2), strides=2, padding="same", output_padding=(1, 1),
                                            activation="relu", kernel_initializer="he_normal", name="ct_cfg"),
                  (2, 4, 5, 3)),
    "depthwise": (lambda: L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                                            depthwise_initializer="he_uniform", use_bias=False),
                  (2, 7, 6, 3)),
    "conv1d": (lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh"), (2, 9, 3)),
    "maxpool1d": (lambda: L.MaxPooling1D(3, 2, padding="same"), (2, 9, 3)),
    "upsampling": (lambda: L.UpSampling2D((1, 2)), (2, 3, 4, 3)),
    "zeropad": (lambda: L.ZeroPadding2D((1, 2)), (2, 3, 4, 3)),
    "crop": (lambda: L.Cropping2D(((0, 1), (2, 0))), (2, 3, 4, 3)),
    "gap": (lambda: L.GlobalAveragePooling2D(keepdims=True), (2, 3, 4, 3)),
    "gmp": (lambda: L.GlobalMaxPooling2D(), (2, 3, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(_CONFIG_LAYERS))
def test_get_config_from_config_round_trip(rng, name):
    make, x_shape = _CONFIG_LAYERS[name]
    layer = make()
    x = rng.normal(size=x_shape).astype(np.float32)
    assert_config_round_trip(layer, x)


def test_configs_use_keras_argument_names():
    config = L.DepthwiseConv2D(3, depthwise_regularizer="l2").get_config()
    assert {"depthwise_initializer", "depthwise_regularizer", "depthwise_constraint",
            "depth_multiplier"} <= set(config)
    assert config["depthwise_regularizer"] is not None
    assert L.Conv2DTranspose(2, 3).get_config()["output_padding"] is None
    assert L.ZeroPadding2D(2).get_config()["padding"] == [[2, 2], [2, 2]]
    assert L.Cropping2D((1, 2)).get_config()["cropping"] == [[1, 1], [2, 2]]
    assert L.MaxPooling1D().get_config()["strides"] == [2]
    assert L.UpSampling2D().get_config()["interpolation"] == "nearest"


def test_encoder_decoder_trains_and_loss_decreases(rng):
    set_random_seed(0)
    model = snn.Sequential([
        L.Conv2D(6, 3, strides=2, padding="same", activation="relu", input_shape=(8, 8, 1)),   # 8x8 -> 4x4
        L.Conv2DTranspose(1, 3, strides=2, padding="same")])                                   # 4x4 -> 8x8
    model.compile(optimizer=snn.optimizers.Adam(0.01), loss="mse")
    x = rng.normal(size=(16, 8, 8, 1)).astype(np.float32)
    history = model.fit(x, x, epochs=8, batch_size=16, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < 0.9 * losses[0], losses
    assert model.predict(x, verbose=0).shape == x.shape


def test_model_with_every_new_layer_saves_and_loads(rng, tmp_path):
    set_random_seed(1)
    model = snn.Sequential([
        L.ZeroPadding2D(1, input_shape=(6, 6, 2)),
        L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"), L.Conv2DTranspose(3, 2, strides=2),
        L.Cropping2D(1), L.UpSampling2D(), L.GlobalMaxPooling2D(keepdims=True), L.Reshape((1, 3)),
        L.Conv1D(4, 1), L.MaxPooling1D(1), L.Reshape((1, 1, 4)), L.GlobalAveragePooling2D()])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(4, 6, 6, 2)).astype(np.float32)
    model.fit(x, np.zeros((4, 4), dtype=np.float32), epochs=1, verbose=0)
    path = tmp_path / "more.scratchnn"
    model.save(path)
    loaded = load_model(path)
    assert [type(a).__name__ for a in loaded.layers] == [type(b).__name__ for b in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ======================================================================= errors
@pytest.mark.parametrize("make, shape, expected", [
    (lambda: L.Conv2DTranspose(2, 3, name="bad"), (1, 8, 8), r"'bad' expects images .*shape \(None, 8, 8\)"),
    (lambda: L.DepthwiseConv2D(3, name="bad"), (1, 8, 8, 1, 1), r"'bad' expects images .*8, 8, 1, 1\)"),
    (lambda: L.Conv1D(2, 3, name="bad"), (1, 8, 8, 1), r"'bad' expects sequences .*\(None, 8, 8, 1\)"),
    (lambda: L.MaxPooling1D(name="bad"), (1, 8), r"'bad' expects sequences .*\(None, 8\)"),
    (lambda: L.UpSampling2D(name="bad"), (1, 8, 8), r"UpSampling2D 'bad' expects images"),
    (lambda: L.ZeroPadding2D(name="bad"), (1, 8, 8), r"ZeroPadding2D 'bad' expects images"),
    (lambda: L.Cropping2D(name="bad"), (1, 8, 8), r"Cropping2D 'bad' expects images"),
    (lambda: L.GlobalAveragePooling2D(name="bad"), (1, 8, 8), r"GlobalAveragePooling2D 'bad' expects images"),
    (lambda: L.GlobalMaxPooling2D(name="bad"), (8, 8), r"GlobalMaxPooling2D 'bad' expects images"),
])
def test_layers_reject_wrong_rank(make, shape, expected):
    with pytest.raises(ValueError, match=expected):
        make()(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("make, first, second", [
    (lambda: L.Conv2DTranspose(2, 3, name="chan"), (1, 5, 5, 3), (1, 5, 5, 2)),
    (lambda: L.DepthwiseConv2D(3, name="chan"), (1, 5, 5, 3), (1, 5, 5, 4)),
    (lambda: L.Conv1D(2, 3, name="chan"), (1, 5, 3), (1, 5, 1)),
])
def test_weighted_layers_reject_other_channel_count_after_build(make, first, second):
    layer = make()
    layer(np.zeros(first, dtype=np.float32))
    with pytest.raises(ValueError) as err:
        layer(np.zeros(second, dtype=np.float32))
    msg = str(err.value)
    assert "'chan'" in msg and f"built for {first[-1]} input channels" in msg and str(second) in msg


@pytest.mark.parametrize("make, shape, expected", [
    (lambda: L.DepthwiseConv2D((3, 5), name="big"), (1, 4, 4, 1),
     r"'big'.*3x5 kernel.*\(None, 4, 4, 1\).*width"),
    (lambda: L.DepthwiseConv2D(3, dilation_rate=2, name="big"), (1, 4, 9, 1), r"'big'.*height"),
    (lambda: L.Conv1D(2, 5, name="big"), (1, 4, 1), r"'big'.*kernel of 5.*\(None, 4, 1\).*longer than the 4"),
    (lambda: L.MaxPooling1D(5, name="big"), (1, 4, 1), r"'big'.*window of 5.*empty"),
    (lambda: L.Cropping2D(((2, 2), (0, 0)), name="big"), (1, 4, 5, 1),
     r"Cropping2D 'big'.*2 \+ 2 along the height must be smaller than the input's 4"),
    (lambda: L.Cropping2D((0, 3), name="big"), (1, 4, 5, 1), r"'big'.*3 \+ 3 along the width.*5"),
])
def test_layers_reject_inputs_too_small(make, shape, expected):
    with pytest.raises(ValueError, match=expected):
        make()(np.zeros(shape, dtype=np.float32))


def test_built_layers_called_on_too_small_input_name_the_layer():
    for layer, good, bad in [(L.DepthwiseConv2D(3, name="late"), (1, 8, 8, 1), (1, 2, 8, 1)),
                             (L.Conv1D(2, 3, name="late"), (1, 8, 1), (1, 2, 1)),
                             (L.MaxPooling1D(3, name="late"), (1, 8, 1), (1, 2, 1)),
                             (L.Cropping2D(2, name="late"), (1, 8, 8, 1), (1, 4, 8, 1))]:
        layer(np.zeros(good, dtype=np.float32))
        with pytest.raises(ValueError, match="'late'"):
            layer(np.zeros(bad, dtype=np.float32))
    same = L.DepthwiseConv2D(5, padding="same")              # 'same' fits any size, as in Keras
    assert same(np.zeros((1, 2, 3, 1), dtype=np.float32)).shape == (1, 2, 3, 1)


@pytest.mark.parametrize("make, expected", [
    (lambda: L.Conv2DTranspose(0, 3), r"filters must be a positive integer, got 0"),
    (lambda: L.Conv2DTranspose(2, (3, 0)), r"kernel_size must be positive"),
    (lambda: L.Conv2DTranspose(2, 3, strides=0), r"strides must be positive"),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, output_padding=2), r"output_padding .* less than the stride"),
    (lambda: L.Conv2DTranspose(2, 3, output_padding=-1, strides=2), r"output_padding .*>= 0"),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, dilation_rate=2), r"strides > 1 with dilation_rate > 1"),
    (lambda: L.Conv2DTranspose(2, 3, padding="causal"), r"padding must be 'valid' or 'same'"),
    (lambda: L.Conv2DTranspose(2, 3, data_format="channels_first"), r"channels_last"),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier must be a positive integer"),
    (lambda: L.DepthwiseConv2D(0), r"kernel_size must be positive"),
    (lambda: L.Conv1D(2, 0), r"kernel_size must be positive"),
    (lambda: L.Conv1D(2, (3, 3)), r"kernel_size must be an int or a 1-tuple"),
    (lambda: L.Conv1D(2, 3, strides=2, dilation_rate=2), r"strides > 1 with dilation_rate > 1"),
    (lambda: L.Conv1D(2, 3, groups=2), r"groups=2 is not supported"),
    (lambda: L.Conv1D(2, 3, padding="full"), r"'valid', 'same' or 'causal', got 'full'"),
    (lambda: L.MaxPooling1D(0), r"pool_size must be positive"),
    (lambda: L.MaxPooling1D(2, padding="causal"), r"padding must be 'valid' or 'same'"),
    (lambda: L.UpSampling2D(0), r"size must be positive"),
    (lambda: L.UpSampling2D(interpolation="bilinear"), r"'bilinear' is not implemented, only 'nearest'"),
    (lambda: L.UpSampling2D(interpolation="cubic"), r"must be one of nearest, bilinear"),
    (lambda: L.ZeroPadding2D(-1), r"padding must be non-negative"),
    (lambda: L.ZeroPadding2D((1, 2, 3)), r"padding must be an int, a pair of ints or a pair of"),
    (lambda: L.Cropping2D(((1, -1), (0, 0))), r"cropping must be non-negative"),
    (lambda: L.GlobalMaxPooling2D(data_format="channels_first"), r"channels_last"),
])
def test_bad_arguments_are_rejected_with_the_layer_name(make, expected):
    with pytest.raises(ValueError, match=expected) as err:
        make()
    assert "'" in str(err.value).split(":")[0]          # "<Class> '<name>': ..."


def test_conv2d_transpose_output_padding_without_a_matching_size():
    # 'same', an even kernel and output_padding=0 gives (H - 1)*s, which the strided convolution
    # maps to H - 1, not H: TensorFlow fails at run time, we say so at once.
    with pytest.raises(ValueError, match=r"height would be 6, .*not map back to the input's 4"):
        F.conv2d_transpose(np.zeros((1, 4, 4, 1)), np.zeros((4, 4, 1, 1)), strides=2, padding="same",
                           output_padding=0)
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'odd'.*output_padding"):
        L.Conv2DTranspose(1, 2, padding="same", output_padding=0, name="odd").compute_output_shape(
            (None, 4, 4, 1))
    assert F.conv2d_transpose(np.zeros((1, 4, 4, 1)), np.zeros((4, 4, 1, 1)), strides=2, padding="same",
                              output_padding=1).shape == (1, 7, 7, 1)


@pytest.mark.parametrize("call, expected", [
    (lambda: F.conv2d_transpose(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3, 2))),
     r"kernel of shape \(3, 3, 3, 2\) does not fit input of shape \(1, 4, 4, 3\): "
     r"expected \(kh, kw, filters, 3\)"),
    (lambda: F.conv2d_transpose(np.zeros((4, 4, 3)), np.zeros((3, 3, 2, 3))),
     r"conv2d_transpose: expected a batch"),
    (lambda: F.depthwise_conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 2, 1))),
     r"expected \(kh, kw, 3, depth_multiplier\)"),
    (lambda: F.depthwise_conv2d(np.zeros((1, 2, 4, 1)), np.zeros((3, 3, 1, 1))),
     r"depthwise_conv2d: the kernel \(3x3.*larger than the input \(2x4\) along height"),
    (lambda: F.conv1d(np.zeros((1, 4, 2)), np.zeros((3, 3, 1))), r"conv1d: .*expected \(k, 2, filters\)"),
    (lambda: F.conv1d(np.zeros((1, 2, 1)), np.zeros((3, 1, 1))),
     r"conv1d: the kernel \(3, dilation 1\) is longer"),
    (lambda: F.conv1d(np.zeros((1, 4, 1, 1)), np.zeros((3, 1, 1))), r"conv1d: expected a batch of sequences"),
    (lambda: F.max_pool1d(np.zeros((1, 2, 1)), 3), r"max_pool1d: a window of 3 .* length 2"),
    (lambda: F.upsampling2d(np.zeros((1, 2, 2, 1)), interpolation="bilinear"),
     r"only interpolation='nearest'"),
    (lambda: F.cropping2d(np.zeros((1, 4, 5, 1)), ((0, 0), (3, 2))), r"cropping 3 \+ 2 along the width.*5"),
    (lambda: F.zero_padding2d(np.zeros((1, 4, 5, 1)), -2), r"zero_padding2d: padding must be non-negative"),
    (lambda: F.global_max_pool2d(np.zeros((4, 5, 1))), r"global_max_pool2d: expected a batch of images"),
])
def test_functions_reject_bad_input(call, expected):
    with pytest.raises(ValueError, match=expected):
        call()
