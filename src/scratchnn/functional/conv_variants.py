"""Variants of convolution and pooling, channels last as in Keras: transposed and depthwise
2-D convolution, 1-D convolution and max pooling, global pooling. Built on
``scratchnn.functional.conv`` (read its docstring first) and ``scratchnn.windows`` (the window
view ``sliding_windows``, the per-tap slices ``tap`` and Keras's 'same' padding).

Transposed convolution (``conv2d_transpose``)
---------------------------------------------
The adjoint of a convolution: where conv2d *gathers* a (kh, kw) window of inputs into one
output, the transposed convolution *scatters* each input pixel, weighted by the kernel, into
a (kh, kw) window of the output (windows s apart):

    y[n, i*s + a*d - top, j*s + c*d - left, f] += x[n, i, j, ch] * W[a, c, f, ch]

with W of shape (kh, kw, filters, C_in) (Keras's layout: the kernel of the conv2d whose
input gradient this is). Forward: one strided slice addition per kernel tap (a, c) of
``x @ W[a, c]^T`` into a zero buffer (with 16 or more input channels the kh*kw products are
one matrix product), then the crop (top, left) that the matching forward convolution's
padding implies. Backward, with g = dL/dy: pad g back to the buffer's size
and *gather* it with conv2d's im2col, ``cols`` of shape (N*H*W, kh*kw*filters):

    dx = cols @ W.reshape(kh*kw*filters, C_in),   dW = cols^T @ x,   db = sum of g.

Output size per axis, as Keras/TensorFlow compute it (span = (k - 1)*d + 1):

    'valid': (H - 1)*s + max(span, s)            ((H - 1)*s + span + output_padding if given)
    'same':  H*s                                 ((H - 1)*s + span % 2 + output_padding if given)

(so a kernel smaller than the stride leaves zero rows/columns between windows, and at the
end). The crop is TensorFlow's: the 'same' padding that a conv2d of the output size would
use, total // 2 before and the rest after.

Depthwise convolution (``depthwise_conv2d``)
--------------------------------------------
Each input channel is convolved with its own ``depth_multiplier`` filters, channels never
mix: with kernel (kh, kw, C, M),

    y[n, i, j, ch*M + m] = b[ch*M + m] + sum_{a, c} x[n, i*s + a*d, j*s + c*d, ch] * W[a, c, ch, m]

(output channel ch*M + m, the order of TensorFlow and Keras). One pass per kernel tap, each
a broadcast product (N, Ho, Wo, C, 1) * (C, M); the backward does the same per tap.
"""
import numpy as np

from .. import ops
from ..autograd import Function
from ..ops import lift
from ..windows import (check_rank, is_int, output_size, pad_hw, paddings, pair, same_padding, sliding_windows,
                       tap)
from .conv import avg_pool2d, conv2d, max_pool2d

__all__ = ["conv2d_transpose", "conv_transpose_output_size", "transpose_geometry", "check_output_padding",
           "depthwise_conv2d", "conv1d", "max_pool1d", "global_avg_pool2d", "global_max_pool2d"]


# --------------------------------------------------------------------------- helpers
def _check_padding(padding, who, allowed=("valid", "same")):
    if padding not in allowed:
        raise ValueError(f"{who}: padding must be one of {', '.join(map(repr, allowed))}, got {padding!r}")
    return padding


def single_int(value, name, who):
    """An int or a 1-element sequence of ints (Keras's 1-D arguments), >= 1."""
    if not is_int(value):
        seq = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        if len(seq) != 1 or not is_int(seq[0]):
            raise ValueError(f"{who}: {name} must be an int or a 1-tuple of ints, got {value!r}")
        value = seq[0]
    if value < 1:
        raise ValueError(f"{who}: {name} must be positive, got {value!r}")
    return int(value)


# ------------------------------------------------------------------ transposed conv
def conv_transpose_output_size(size, kernel, stride, padding, output_padding=None, dilation=1):
    """Keras's output length of a transposed convolution along one axis (None stays None):
    'valid': (size - 1)*s + max(span, s), 'same': size*s; with ``output_padding`` p,
    (size - 1)*s + span + p ('valid') or (size - 1)*s + span % 2 + p ('same'), where
    span = (kernel - 1)*dilation + 1."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return (size - 1) * stride + span + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + span % 2 + output_padding


def check_output_padding(output_padding, strides, who):
    """None, or a pair of ints each in [0, stride) (an int p means (p, p)), as Keras requires."""
    if output_padding is None:
        return None
    value = (output_padding,) * 2 if is_int(output_padding) else tuple(output_padding)
    if (len(value) != 2 or not all(is_int(p) for p in value)
            or any(not 0 <= p < s for p, s in zip(value, strides))):
        raise ValueError(f"{who}: output_padding must be an int or a pair of ints, each >= 0 and less than "
                         f"the stride {tuple(strides)}, got {output_padding!r}")
    return tuple(int(p) for p in value)


def transpose_geometry(in_hw, kernel_hw, strides, padding, output_padding, dilation, who):
    """Output size (Ho, Wo) and the crop ((top, bottom), (left, right)) of a transposed
    convolution: the crop is the padding TensorFlow's forward convolution of an input of size
    Ho x Wo would use. Raises when that convolution does not map Ho x Wo back to H x W (e.g.
    'same', an even kernel and output_padding=0), as TensorFlow does. Unknown sizes stay None."""
    out_hw, pads = [], []
    for axis in range(2):
        size, k, s, d = in_hw[axis], kernel_hw[axis], strides[axis], dilation[axis]
        if size is None:
            out_hw.append(None)
            pads.append(None)
            continue
        out = conv_transpose_output_size(size, k, s, padding, None if output_padding is None
                                         else output_padding[axis], d)
        before, after = same_padding(out, k, s, d) if padding == "same" else (0, 0)
        if output_size(out + before + after, k, s, "valid", d) != size:
            where = "height" if axis == 0 else "width"
            raise ValueError(f"{who}: with a kernel of {k}, stride {s}, '{padding}' padding and "
                             f"output_padding {output_padding} the {where} would be {out}, which the "
                             f"matching convolution does not map back to the input's {size}; "
                             f"use another output_padding (or None)")
        out_hw.append(out)
        pads.append((before, after))
    return tuple(out_hw), tuple(pads)


class Conv2DTranspose(Function):
    """Scatter forward, im2col-gather backward; see the module docstring for the formulas."""

    def forward(self, x, kernel, bias=None, strides=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0)),
                out_hw=(1, 1)):
        n, h, w, cin = x.shape
        kh, kw, filters, _ = kernel.shape
        (top, bottom), (left, right) = pads
        dtype = np.result_type(x.dtype, kernel.dtype)
        buf = np.zeros((n, out_hw[0] + top + bottom, out_hw[1] + left + right, filters), dtype=dtype)
        x2 = x.reshape(n * h * w, cin)
        if cin >= 16:       # one product for all taps (BLAS-friendly), the size of conv2d's im2col
            parts = (x2 @ kernel.transpose(3, 0, 1, 2).reshape(cin, kh * kw * filters)).reshape(
                n, h, w, kh, kw, filters)
            for a in range(kh):
                for c in range(kw):
                    buf[tap(a, c, (h, w), strides, dilation)] += parts[:, :, :, a, c]
        else:               # few input channels: per-tap products read and write contiguous blocks
            for a in range(kh):
                for c in range(kw):
                    share = (x2 @ kernel[a, c].T).reshape(n, h, w, filters)
                    buf[tap(a, c, (h, w), strides, dilation)] += share
        y = buf[:, top:top + out_hw[0], left:left + out_hw[1]]
        y = y + bias if bias is not None else np.ascontiguousarray(y)
        if self.needs_grad:
            self.x2 = x2 if self.needs_grad[1] else None
            self.kernel, self.x_shape = kernel, x.shape
            self.strides, self.dilation, self.pads = strides, dilation, pads
        return y

    def backward(self, g):
        n, h, w, cin = self.x_shape
        kh, kw, filters, _ = self.kernel.shape
        dx = dkernel = dbias = None
        if self.needs_grad[0] or self.needs_grad[1]:
            gp = pad_hw(g, self.pads)
            windows = sliding_windows(gp, (kh, kw), self.strides, self.dilation)[:, :h, :w]
            cols = windows.reshape(n * h * w, kh * kw * filters)            # the im2col copy
            if self.needs_grad[0]:
                dx = (cols @ self.kernel.reshape(kh * kw * filters, cin)).reshape(self.x_shape)
            if self.needs_grad[1]:
                dkernel = (cols.T @ self.x2).reshape(self.kernel.shape)
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            dbias = g.sum(axis=(0, 1, 2))
        return (dx, dkernel) if len(self.needs_grad) == 2 else (dx, dkernel, dbias)


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """Transposed 2-D convolution ("deconvolution"), channels last: the adjoint of ``conv2d``.

    x: (N, H, W, C_in); kernel: (kh, kw, filters, C_in) (Keras's Conv2DTranspose layout);
    bias: (filters,). Returns (N, Ho, Wo, filters), sizes from ``conv_transpose_output_size``
    ('valid': (H - 1)*s + max(kh, s); 'same': H*s). ``output_padding`` (int or pair, each
    below the stride) picks among the output sizes that the same strided convolution maps
    back to H. ``y[n, i*s + a - top, j*s + c - left, f] += x[n, i, j, ch] * W[a, c, f, ch]``.
    """
    who = "conv2d_transpose"
    x = lift(x)
    kernel = lift(kernel, x)
    check_rank(x, 4, who, "a batch of images of shape (N, H, W, C)")
    if kernel.ndim != 4 or kernel.shape[3] != x.shape[3]:
        raise ValueError(f"{who}: kernel of shape {kernel.shape} does not fit input of shape {x.shape}: "
                         f"expected (kh, kw, filters, {x.shape[3]})")
    strides, dilation = pair(strides, "strides"), pair(dilation_rate, "dilation_rate")
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not supported (as in Keras)")
    _check_padding(padding, who)
    output_padding = check_output_padding(output_padding, strides, who)
    out_hw, pads = transpose_geometry(x.shape[1:3], kernel.shape[:2], strides, padding, output_padding,
                                      dilation, who)
    args = (x, kernel) if bias is None else (x, kernel, lift(bias, x))
    return Conv2DTranspose.apply(*args, strides=strides, dilation=dilation, pads=pads, out_hw=out_hw)


# ------------------------------------------------------------------- depthwise conv
class DepthwiseConv2D(Function):
    """One pass per kernel tap; see the module docstring."""

    def forward(self, x, kernel, bias=None, strides=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0))):
        kh, kw, c, m = kernel.shape
        xp = pad_hw(x, pads)
        span_h, span_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
        ho = (xp.shape[1] - span_h) // strides[0] + 1
        wo = (xp.shape[2] - span_w) // strides[1] + 1
        n = x.shape[0]
        y = np.zeros((n, ho, wo, c, m), dtype=np.result_type(x.dtype, kernel.dtype))
        for a in range(kh):
            for b in range(kw):
                y += xp[tap(a, b, (ho, wo), strides, dilation)][..., None] * kernel[a, b]
        y = y.reshape(n, ho, wo, c * m)
        if bias is not None:
            y += bias
        if self.needs_grad:
            self.padded, self.kernel, self.pads = xp, kernel, pads
            self.strides, self.dilation, self.out_hw = strides, dilation, (ho, wo)
        return y

    def backward(self, g):
        kh, kw, c, m = self.kernel.shape
        n, ho, wo, _ = g.shape
        g5 = g.reshape(n, ho, wo, c, m)
        dx = dkernel = dbias = None
        taps = [(a, b, tap(a, b, self.out_hw, self.strides, self.dilation))
                for a in range(kh) for b in range(kw)]
        if self.needs_grad[0]:
            dxp = np.zeros(self.padded.shape, dtype=g.dtype)
            for a, b, where in taps:
                dxp[where] += np.einsum("nhwcm,cm->nhwc", g5, self.kernel[a, b])
            (top, bottom), (left, right) = self.pads
            dx = dxp[:, top:dxp.shape[1] - bottom, left:dxp.shape[2] - right]
        if self.needs_grad[1]:
            dkernel = np.empty(self.kernel.shape, dtype=g.dtype)
            for a, b, where in taps:
                dkernel[a, b] = np.einsum("nhwc,nhwcm->cm", self.padded[where], g5)
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            dbias = g.sum(axis=(0, 1, 2))
        return (dx, dkernel) if len(self.needs_grad) == 2 else (dx, dkernel, dbias)


def _check_fits(who, in_hw, kernel_hw, strides, padding, dilation, what="kernel"):
    for axis, (size, k, s, d) in enumerate(zip(in_hw, kernel_hw, strides, dilation)):
        if output_size(size, k, s, padding, d) < 1:
            raise ValueError(f"{who}: the {what} ({'x'.join(map(str, kernel_hw))}, dilation "
                             f"{tuple(dilation)}) is larger than the input ({'x'.join(map(str, in_hw))}) "
                             f"along {'height' if axis == 0 else 'width'} with '{padding}' padding")


def depthwise_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 2-D convolution, channels last: each channel convolved with its own filters.

    x: (N, H, W, C); kernel: (kh, kw, C, depth_multiplier); bias: (C*depth_multiplier,).
    Returns (N, Ho, Wo, C*depth_multiplier), output channel ch*M + m being input channel
    ch with its filter m (TensorFlow's order):
    ``y[n, i, j, ch*M + m] = sum_{a,c} x[n, i*s + a*d, j*s + c*d, ch] * W[a, c, ch, m] + b``.
    Sizes and padding as ``conv2d``; strides > 1 with dilation > 1 is allowed (as in Keras).
    """
    who = "depthwise_conv2d"
    x = lift(x)
    kernel = lift(kernel, x)
    check_rank(x, 4, who, "a batch of images of shape (N, H, W, C)")
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(f"{who}: kernel of shape {kernel.shape} does not fit input of shape {x.shape}: "
                         f"expected (kh, kw, {x.shape[3]}, depth_multiplier)")
    strides, dilation = pair(strides, "strides"), pair(dilation_rate, "dilation_rate")
    _check_padding(padding, who)
    _check_fits(who, x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    pads = paddings(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    args = (x, kernel) if bias is None else (x, kernel, lift(bias, x))
    return DepthwiseConv2D.apply(*args, strides=strides, dilation=dilation, pads=pads)


# ---------------------------------------------------------------------------- 1-D
def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """1-D convolution over sequences, channels last: x (N, L, C_in), kernel (k, C_in, C_out)
    (Keras's layout), bias (C_out,) -> (N, Lo, C_out):
    ``y[n, t, f] = b[f] + sum_{a, ch} x[n, t*s + a*d, ch] * W[a, ch, f]``.

    ``padding``: 'valid', 'same' (Lo = ceil(L / s)) or 'causal' ((k - 1)*d zeros on the left
    only, so y[t] sees no input after t; Lo = ceil(L / s)). Runs as ``conv2d`` on (N, 1, L, C).
    """
    who = "conv1d"
    x = lift(x)
    kernel = lift(kernel, x)
    check_rank(x, 3, who, "a batch of sequences of shape (N, L, C)")
    if kernel.ndim != 3 or kernel.shape[1] != x.shape[2]:
        raise ValueError(f"{who}: kernel of shape {kernel.shape} does not fit input of shape {x.shape}: "
                         f"expected (k, {x.shape[2]}, filters)")
    s, d = single_int(strides, "strides", who), single_int(dilation_rate, "dilation_rate", who)
    if s > 1 and d > 1:
        raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not supported (as in Keras)")
    _check_padding(padding, who, ("valid", "same", "causal"))
    k = kernel.shape[0]
    if padding == "causal":
        x = ops.pad(x, ((0, 0), ((k - 1) * d, 0), (0, 0)))
        padding = "valid"
    if output_size(x.shape[1], k, s, padding, d) < 1:
        raise ValueError(f"{who}: the kernel ({k}, dilation {d}) is longer than the input "
                         f"(length {x.shape[1]}) with '{padding}' padding")
    n, length, cin = x.shape
    y = conv2d(ops.reshape(x, (n, 1, length, cin)), ops.reshape(kernel, (1,) + kernel.shape), bias,
               strides=(1, s), padding=padding, dilation_rate=(1, d))
    return ops.reshape(y, (n, y.shape[2], y.shape[3]))


def _pool1d(pool2d, who, x, pool_size, strides, padding):
    """A 1-D pooling as its 2-D pooling on (N, 1, L, C)."""
    x = lift(x)
    check_rank(x, 3, who, "a batch of sequences of shape (N, L, C)")
    p = single_int(pool_size, "pool_size", who)
    s = p if strides is None else single_int(strides, "strides", who)
    _check_padding(padding, who)
    if output_size(x.shape[1], p, s, padding) < 1:
        raise ValueError(f"{who}: a window of {p} with '{padding}' padding does not fit an input of "
                         f"length {x.shape[1]}: the output would be empty")
    n, length, c = x.shape
    y = pool2d(ops.reshape(x, (n, 1, length, c)), (1, p), (1, s), padding)
    return ops.reshape(y, (n, y.shape[2], c))


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling over sequences: (N, L, C) -> (N, Lo, C); ``strides`` defaults to
    ``pool_size``. The gradient goes to the first maximum of each window (as ``max_pool2d``,
    TensorFlow and PyTorch). Runs as ``max_pool2d`` on (N, 1, L, C)."""
    return _pool1d(max_pool2d, "max_pool1d", x, pool_size, strides, padding)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling over sequences: (N, L, C) -> (N, Lo, C), each output the mean of its window
    of ``pool_size`` steps; dx = g / pool_size to each step of the window. With 'same' padding the
    padded steps are not counted (as Keras). Runs as ``avg_pool2d`` on (N, 1, L, C)."""
    return _pool1d(avg_pool2d, "avg_pool1d", x, pool_size, strides, padding)


def global_avg_pool1d(x, mask=None, keepdims=False):
    """Mean over the steps: (N, L, C) -> (N, C) ((N, 1, C) with keepdims). With a ``mask`` (N, L)
    (False = padding), the mean of the real steps only: sum_t m_t x_t / sum_t m_t, so padding
    does not dilute it (Keras's GlobalAveragePooling1D); a sample with no real step gives zeros
    (Keras would divide by zero)."""
    x = lift(x)
    check_rank(x, 3, "global_avg_pool1d", "a batch of sequences of shape (N, L, C)")
    if mask is None:
        return ops.mean(x, axis=1, keepdims=keepdims)
    mask = np.asarray(getattr(mask, "data", mask))
    if mask.shape != x.shape[:2]:
        raise ValueError(f"global_avg_pool1d: a mask of shape {mask.shape} does not fit sequences of shape "
                         f"{x.shape}: expected {x.shape[:2]}")
    weights = mask.astype(x.dtype)[:, :, None]
    counts = np.maximum(weights.sum(axis=1, keepdims=keepdims), 1)
    return ops.sum(x * weights, axis=1, keepdims=keepdims) / counts


def global_max_pool1d(x, keepdims=False):
    """Maximum over the steps: (N, L, C) -> (N, C) ((N, 1, C) with keepdims); steps that tie for
    the maximum share its gradient (as ``global_max_pool2d``)."""
    x = lift(x)
    check_rank(x, 3, "global_max_pool1d", "a batch of sequences of shape (N, L, C)")
    return ops.max(x, axis=1, keepdims=keepdims)


def global_avg_pool2d(x, keepdims=False):
    """Mean over height and width: (N, H, W, C) -> (N, C) ((N, 1, 1, C) with keepdims);
    dx = g / (H*W) to every pixel."""
    x = lift(x)
    check_rank(x, 4, "global_avg_pool2d", "a batch of images of shape (N, H, W, C)")
    return ops.mean(x, axis=(1, 2), keepdims=keepdims)


def global_max_pool2d(x, keepdims=False):
    """Maximum over height and width: (N, H, W, C) -> (N, C) ((N, 1, 1, C) with keepdims).

    The gradient goes to the maximum; pixels that tie for it share it equally. That is
    Keras's GlobalMaxPooling2D (``ops.max`` -> ``tf.reduce_max``, whose gradient splits among
    ties; so do ``jnp.max`` and ``torch.amax``), unlike ``max_pool2d`` and PyTorch's
    ``adaptive_max_pool2d``, which route it to one position.
    """
    x = lift(x)
    check_rank(x, 4, "global_max_pool2d", "a batch of images of shape (N, H, W, C)")
    return ops.max(x, axis=(1, 2), keepdims=keepdims)
