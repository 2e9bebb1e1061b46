"""Convolution and pooling over images, channels last: inputs are (N, H, W, C), as in Keras.

How a convolution becomes one matrix product (im2col)
-----------------------------------------------------
A 2-D convolution slides a (kh, kw) window over the (padded) image with a stride s; at each
output position (i, j) it multiplies the window's kh*kw*C values by the kernel's and sums:

    y[n, i, j, f] = b[f] + sum_{a, c, ch} x[n, i*s + a*d, j*s + c*d, ch] * W[a, c, ch, f]

(d is the dilation: the gap between kernel taps). ``sliding_windows`` (``scratchnn/windows.py``)
views every window at once without copying: an array of shape (N, Ho, Wo, kh, kw, C) whose
entries alias x. Copying that view into a matrix "cols" of shape (N*Ho*Wo, kh*kw*C) (the im2col
step) turns the whole convolution into ``cols @ W.reshape(kh*kw*C, F)``, a single large
product that BLAS runs fast.

The backward pass, with g = dL/dy of shape (N, Ho, Wo, F):

    dW = cols^T @ g          (every window times the gradient of the output it produced)
    db = sum of g over N, Ho, Wo
    dx: each window's gradient ``g @ W^T`` is added back where the window came from (col2im).
        Windows overlap when the stride is smaller than the kernel, so this is a sum: we do it
        as kh*kw strided slice additions, one per kernel tap (never one per pixel).

Max pooling takes each window's maximum; its gradient goes to the position of that maximum
(the first one, on ties, as PyTorch and TensorFlow). Average pooling takes the mean; its
gradient is shared equally by the window's pixels.

Padding follows Keras/TensorFlow: ``'valid'`` uses no padding; ``'same'`` pads so that
Ho = ceil(H / s), with the total padding max((Ho - 1)*s + (kh - 1)*d + 1 - H, 0) split as
floor(total / 2) before and the rest after (so an even kernel pads more at the bottom/right).

The classes here are the readable reference. While fast kernels are on (the default,
``scratchnn.backend.set_fast_kernels``), ``conv2d``, ``max_pool2d`` and ``conv2d_max_pool`` run
the same computations from ``scratchnn.kernels.conv`` and ``kernels.pooling`` (two im2col
layouts, threads, conv + pooling in one op), which are tested to give the same numbers.
"""
import numpy as np

from ..autograd import Function, Tensor
from ..backend import fast_kernels_enabled
from ..kernels.conv import FastConv2D
from ..kernels.conv_pool import FastConv2DMaxPool, pool_tiles
from ..kernels.pooling import FastMaxPool2D
from ..ops import arrays_backward_graph, backward_by_recomputing, lift, pad, stack
from ..windows import (check_rank, output_size, pad_hw, paddings, pair, scatter_windows, sliding_windows, tap,
                       unpad)
from .activations import relu as relu_op

_IMAGES = "a batch of images of shape (N, H, W, C)"


class Conv2D(Function):
    """y = relu?(im2col(x) @ W + b); see the module docstring for the forward and backward formulas.

    ``relu=True`` applies the ReLU that usually follows in the same op, y = max(z, 0), and its
    derivative in the backward pass: g is first multiplied by (y > 0).
    """

    def forward(self, x, kernel, bias=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1),
                relu=False):
        kh, kw, cin, cout = kernel.shape
        xp = pad_hw(x, pads)
        windows = sliding_windows(xp, (kh, kw), strides, dilation)         # (N, Ho, Wo, kh, kw, C)
        n, ho, wo = windows.shape[:3]
        cols = windows.reshape(n * ho * wo, kh * kw * cin)                 # im2col: one row per window
        y = cols @ kernel.reshape(kh * kw * cin, cout)
        if bias is not None:
            y = y + bias
        if relu:
            y = np.maximum(y, 0)
        self.cols, self.kernel, self.y = cols, kernel, (y if relu else None)
        self.xp_shape, self.x_dtype, self.out_hw = xp.shape, x.dtype, (ho, wo)
        self.strides, self.pads, self.dilation = strides, pads, dilation
        return y.reshape(n, ho, wo, cout)

    def backward(self, g):
        kh, kw, cin, cout = self.kernel.shape
        g = g.reshape(-1, cout)                                            # one row per window
        if self.y is not None:
            g = g * (self.y > 0)                                           # through the ReLU
        dx = dkernel = dbias = None
        if self.needs_grad[0]:                                             # col2im of g @ W^T
            dcols = g @ self.kernel.reshape(kh * kw * cin, cout).T
            n = dcols.shape[0] // (self.out_hw[0] * self.out_hw[1])
            dwin = dcols.reshape(n, *self.out_hw, kh, kw, cin)
            dx = unpad(scatter_windows(dwin, self.xp_shape, self.strides, self.dilation, self.x_dtype),
                       self.pads)
        if self.needs_grad[1]:
            dkernel = (self.cols.T @ g).reshape(self.kernel.shape)            # dW = cols^T @ g
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            dbias = g.sum(axis=0)                                          # db = sum of g
        return (dx, dkernel, dbias) if len(self.needs_grad) > 2 else (dx, dkernel)


class MaxPool2D(Function):
    """y = the maximum of each window; the gradient goes to the (first) position of that maximum.

    Forward: the windows as (N, Ho, Wo, kh*kw, C); ``argmax`` over the window axis finds the first
    maximum, and y takes it. Backward: ``dx[tap t] += g * (argmax == t)`` for each of the kh*kw
    taps (windows that overlap and share a maximum each add their own gradient).
    """

    def forward(self, x, pool=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0))):
        xp = pad_hw(x, pads, value=-np.inf)
        windows = sliding_windows(xp, pool, strides)
        n, ho, wo, kh, kw, c = windows.shape
        flat = windows.reshape(n, ho, wo, kh * kw, c)
        index = flat.argmax(axis=3)                                        # the first maximum's tap
        y = np.take_along_axis(flat, index[:, :, :, None, :], axis=3)[:, :, :, 0, :]
        self.index, self.xp_shape, self.dtype = index, xp.shape, x.dtype
        self.pool, self.strides, self.pads = pool, strides, pads
        return y

    def backward(self, g):
        (kh, kw), out_hw = self.pool, g.shape[1:3]
        dxp = np.zeros(self.xp_shape, dtype=self.dtype)
        for a in range(kh):
            for c in range(kw):
                dxp[tap(a, c, out_hw, self.strides)] += g * (self.index == a * kw + c)
        return unpad(dxp, self.pads)


def _conv_inputs(x, kernel, bias, strides, padding, dilation_rate, who):
    """Checks conv2d's arguments; returns the input Tensors and the Function's parameters."""
    x = lift(x)
    kernel = lift(kernel, x)
    check_rank(x, 4, who, _IMAGES)
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(f"{who}: kernel of shape {kernel.shape} does not fit input of shape {x.shape}: "
                         f"expected (kh, kw, {x.shape[3]}, filters)")
    strides, dilation = pair(strides, "strides"), pair(dilation_rate, "dilation_rate")
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not supported (as in Keras)")
    pads = paddings(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    for axis, (n, k, d, p) in enumerate(zip(x.shape[1:3], kernel.shape[:2], dilation, pads)):
        if n + sum(p) < (k - 1) * d + 1:
            raise ValueError(f"{who}: the kernel ({kernel.shape[0]}x{kernel.shape[1]}, dilation {dilation}) "
                             f"is larger than the {'padded ' if sum(p) else ''}input "
                             f"({x.shape[1]}x{x.shape[2]}) along {'height' if axis == 0 else 'width'}")
    args = (x, kernel) if bias is None else (x, kernel, lift(bias, x))
    return args, dict(strides=strides, pads=pads, dilation=dilation)


def conv2d_graph(x, kernel, bias, strides, pads, dilation, relu):
    """The convolution written with primitive ops: pad, one strided slice of the padded image per
    kernel tap (a, c), stacked into the im2col matrix, one matrix product. Slower than the op, but
    each piece has a ``backward_graph``: this is how a convolution's gradient gets a graph of its
    own under ``grad(..., create_graph=True)`` (a gradient penalty through a convolutional critic)."""
    kh, kw, cin, cout = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    xp = pad(x, ((0, 0), tuple(pads[0]), tuple(pads[1]), (0, 0)))
    n, height, width = xp.shape[:3]
    ho, wo = (height - (kh - 1) * dh - 1) // sh + 1, (width - (kw - 1) * dw - 1) // sw + 1
    taps = [xp[:, a * dh:a * dh + (ho - 1) * sh + 1:sh, c * dw:c * dw + (wo - 1) * sw + 1:sw, :]
            for a in range(kh) for c in range(kw)]
    y = stack(taps, axis=3).reshape(n, ho, wo, kh * kw * cin) @ kernel.reshape(kh * kw * cin, cout)
    if bias is not None:
        y = y + bias
    return relu_op(y) if relu else y


def conv_backward_graph(fn, g):
    """``Conv2D``'s and ``FastConv2D``'s ``backward_graph``: by ``conv2d_graph`` (a convolution fused
    with max pooling has none: differentiating its gradient again raises, naming it)."""
    if getattr(fn, "pool", None) is not None:
        return arrays_backward_graph(fn, g)

    def compute(x, kernel, bias=None):
        return conv2d_graph(x, kernel, bias, fn.strides, fn.pads, fn.dilation, fn.y is not None)
    return backward_by_recomputing(fn, g, compute)


Conv2D.backward_graph = FastConv2D.backward_graph = conv_backward_graph


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, relu=False):
    """2-D convolution, channels last. x: (N, H, W, C_in); kernel: (kh, kw, C_in, C_out) (Keras's
    layout); bias: (C_out,). Returns (N, Ho, Wo, C_out). ``padding``: 'valid' or 'same'.
    ``relu=True`` returns relu(conv2d(...)) computed in one step (what ``Conv2D(activation='relu')``
    uses)."""
    args, params = _conv_inputs(x, kernel, bias, strides, padding, dilation_rate, "conv2d")
    op = FastConv2D if fast_kernels_enabled() else Conv2D
    return op.apply(*args, **params, relu=bool(relu))


def conv2d_max_pool(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, relu=False,
                    pool_size=2, pool_strides=None, pool_padding="valid"):
    """``max_pool2d(conv2d(x, kernel, bias, ..., relu), pool_size, pool_strides, pool_padding)`` as
    one op: the same values and gradients, with less work (what a ``Sequential`` model runs for a
    ``Conv2D`` followed by a ``MaxPooling2D``).

    The ReLU is applied *after* the pooling: max(relu(z_1), ..., relu(z_k)) = relu(max(z_1, ...,
    z_k)) because relu never changes the order of two numbers. So the ReLU, and its gradient mask
    in the backward pass, run on the pooled array (4x smaller for 2x2 windows), and the
    convolution's full-size output is not kept for the backward pass, only which tap of each
    window was the maximum. Gradients: the pooled gradient, masked by (y > 0), goes to each
    window's first maximum; from there the convolution's backward pass (module docstring).

    That one op is a fast kernel (``scratchnn.kernels.conv``); with fast kernels off this is
    exactly its definition, ``max_pool2d(conv2d(...), ...)``."""
    args, params = _conv_inputs(x, kernel, bias, strides, padding, dilation_rate, "conv2d_max_pool")
    who = "conv2d_max_pool"
    pool = pair(pool_size, "pool_size", who)
    pool_strides = pool if pool_strides is None else pair(pool_strides, "pool_strides", who)
    if pool_padding not in ("valid", "same"):
        raise ValueError(f"{who}: pool_padding must be 'valid' or 'same', got {pool_padding!r}")
    x, kernel = args[0], args[1]
    conv_hw = [output_size(n, k, s, padding, d) for n, k, s, d in
               zip(x.shape[1:3], kernel.shape[:2], params["strides"], params["dilation"])]
    pool_pads = paddings(conv_hw, pool, pool_strides, pool_padding, (1, 1))
    if min(output_size(n, p, s, pool_padding) for n, p, s in zip(conv_hw, pool, pool_strides)) < 1:
        raise ValueError(f"{who}: a {pool[0]}x{pool[1]} pooling window with '{pool_padding}' padding does "
                         f"not fit the convolution's output of {conv_hw[0]}x{conv_hw[1]}: the output "
                         f"would be empty")
    if not fast_kernels_enabled():
        return max_pool2d(conv2d(x, kernel, args[2] if len(args) > 2 else None, strides, padding,
                                 dilation_rate, relu), pool, pool_strides, pool_padding)
    if pool_tiles((pool, pool_strides, pool_pads)):    # Keras's default MaxPooling2D: windows tile
        return FastConv2DMaxPool.apply(*args, **params, relu=bool(relu), pool=pool)
    return FastConv2D.apply(*args, **params, relu=bool(relu), pool=(pool, pool_strides, pool_pads))




class AvgPool2D(Function):
    """y = the mean of each window. With 'same' padding the padded cells are not counted (the
    divisor is the number of real pixels in the window, as in Keras). dx: g / count to every
    pixel of the window."""

    def forward(self, x, pool=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0))):
        xp = pad_hw(x, pads)
        windows = sliding_windows(xp, pool, strides)
        total = windows.sum(axis=(3, 4))
        ones = pad_hw(np.ones((1,) + x.shape[1:3] + (1,), dtype=x.dtype), pads)
        count = sliding_windows(ones, pool, strides).sum(axis=(3, 4))     # (1, Ho, Wo, 1)
        self.count, self.xp_shape, self.dtype = count, xp.shape, x.dtype
        self.pool, self.strides, self.pads = pool, strides, pads
        return total / count

    def backward(self, g):
        kh, kw = self.pool
        share = g / self.count
        n, ho, wo, c = g.shape
        dwin = np.broadcast_to(share[:, :, :, None, None, :], (n, ho, wo, kh, kw, c))
        return unpad(scatter_windows(dwin, self.xp_shape, self.strides, (1, 1), self.dtype), self.pads)


def pool_backward_graph(fn, g):
    """Max and average pooling's ``backward_graph`` (second derivatives): the pooling written as a
    weighted sum of the kh*kw strided slices ("taps") of the zero-padded input, with constant
    weights: 1 at each window's first maximum (the positions max pooling picked), or 1 / count
    for the average. Both are linear in x, so their gradients are linear in g."""
    (kh, kw), out_hw = fn.pool, g.shape[1:3]

    def compute(x):
        xp = pad(x, ((0, 0), tuple(fn.pads[0]), tuple(fn.pads[1]), (0, 0)))
        total = 0
        for a in range(kh):
            for c in range(kw):
                weight = fn.index == a * kw + c if hasattr(fn, "index") else 1 / fn.count
                total = total + xp[tap(a, c, out_hw, fn.strides)] * Tensor.wrap(weight.astype(x.dtype))
        return total
    return backward_by_recomputing(fn, g, compute)


MaxPool2D.backward_graph = FastMaxPool2D.backward_graph = AvgPool2D.backward_graph = pool_backward_graph


def _pool(cls, who, x, pool_size, strides, padding):
    x = lift(x)
    check_rank(x, 4, who, _IMAGES)
    pool = pair(pool_size, "pool_size")
    strides = pool if strides is None else pair(strides, "strides")
    pads = paddings(x.shape[1:3], pool, strides, padding, (1, 1))
    ho = output_size(x.shape[1], pool[0], strides[0], padding)
    wo = output_size(x.shape[2], pool[1], strides[1], padding)
    if ho < 1 or wo < 1:
        raise ValueError(f"{who}: a {pool[0]}x{pool[1]} window with '{padding}' padding does not fit "
                         f"an input of {x.shape[1]}x{x.shape[2]}: the output would be empty")
    return cls.apply(x, pool=pool, strides=strides, pads=pads)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling, channels last: (N, H, W, C) -> (N, Ho, Wo, C). ``strides`` defaults to the
    pool size (non-overlapping windows)."""
    return _pool(FastMaxPool2D if fast_kernels_enabled() else MaxPool2D, "max_pool2d", x, pool_size,
                 strides, padding)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling, channels last; with 'same' padding, padded cells are not counted."""
    return _pool(AvgPool2D, "avg_pool2d", x, pool_size, strides, padding)
