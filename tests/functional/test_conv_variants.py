"""Convolution and pooling variants, channels last (``scratchnn/functional/conv_variants.py``):
F.conv2d_transpose, F.depthwise_conv2d, F.conv1d, F.max_pool1d, F.avg_pool1d, F.global_avg_pool1d,
F.global_max_pool1d, F.global_avg_pool2d / F.global_max_pool2d, and the resizing functions
(``functional/resizing.py``) F.upsampling2d, F.zero_padding2d, F.cropping2d (gradcheck; PyTorch forward
and backward; values by hand; the transposed convolution as the exact adjoint of conv2d; float32 kept;
bad input). Their layers
are tested in ``tests/layers/test_images.py``.

Keras's values were checked once by hand against TensorFlow 2.21 / Keras 3 (Conv2DTranspose
and DepthwiseConv2D: outputs, input and kernel gradients to 1e-15); the tests need neither.
"""
import math

import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.gradcheck import gradcheck

from tests.helpers import assert_close, requires_torch, torch

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


# ======================================================================= avg_pool1d, global 1-D pooling
@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 2, "same"), (3, 1, "valid"),
                                                    (4, None, "same")])
def test_avg_pool1d_gradcheck(rng, pool, strides, padding):
    assert gradcheck(lambda a: F.avg_pool1d(a, pool, strides, padding), rng.normal(size=(2, 9, 3)))


@requires_torch
@pytest.mark.parametrize("pool, strides", [(2, None), (3, 2), (3, 1), (5, 2)])
def test_avg_pool1d_matches_torch(rng, pool, strides):
    x = rng.normal(size=(2, 11, 3))
    s = pool if strides is None else strides
    x_t = torch.tensor(np.ascontiguousarray(x.transpose(0, 2, 1)), requires_grad=True)
    _check_against_torch(lambda a: F.avg_pool1d(a, pool, strides), lambda a: TF.avg_pool1d(a, pool, s),
                         [x], [x_t],
                         [lambda g: g.transpose(0, 2, 1)], lambda t: t.detach().numpy().transpose(0, 2, 1),
                         rng)


def test_avg_pool1d_same_padding_counts_only_real_steps():
    x = Tensor(np.arange(5.0).reshape(1, 5, 1), dtype=np.float64)
    np.testing.assert_allclose(F.avg_pool1d(x, 2, padding="same").data.ravel(), [0.5, 2.5, 4.0])


def test_global_avg_pool1d_with_a_mask_averages_the_real_steps_only(rng):
    x = rng.normal(size=(3, 4, 2))
    mask = np.array([[True, True, False, False], [True, True, True, True], [False] * 4])
    out = F.global_avg_pool1d(Tensor(x, dtype=np.float64), mask).data
    np.testing.assert_allclose(out[0], x[0, :2].mean(0))
    np.testing.assert_allclose(out[1], x[1].mean(0))
    np.testing.assert_array_equal(out[2], 0.0)                       # no real step: zeros, not NaN
    assert F.global_avg_pool1d(x, mask, keepdims=True).shape == (3, 1, 2)
    assert gradcheck(lambda a: F.global_avg_pool1d(a, mask), x)
    np.testing.assert_allclose(F.global_avg_pool1d(Tensor(x, dtype=np.float64)).data, x.mean(1))
    with pytest.raises(ValueError, match="a mask of shape \\(3, 3\\) does not fit sequences of shape"):
        F.global_avg_pool1d(x, mask[:, :3])


def test_global_max_pool1d_values_and_gradcheck(rng):
    x = distinct(rng, (2, 5, 3))
    np.testing.assert_array_equal(F.global_max_pool1d(Tensor(x, dtype=np.float64)).data, x.max(1))
    assert gradcheck(lambda a: F.global_max_pool1d(a, keepdims=True), x)


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
