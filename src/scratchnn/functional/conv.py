"""Convolution and pooling over images, channels last: inputs are (N, H, W, C), as in Keras.

How a convolution becomes one matrix product (im2col)
-----------------------------------------------------
A 2-D convolution slides a (kh, kw) window over the (padded) image with a stride s; at each
output position (i, j) it multiplies the window's kh*kw*C values by the kernel's and sums:

    y[n, i, j, f] = b[f] + sum_{a, c, ch} x[n, i*s + a*d, j*s + c*d, ch] * W[a, c, ch, f]

(d is the dilation: the gap between kernel taps). ``sliding_windows`` views every window at
once without copying: an array of shape (N, Ho, Wo, kh, kw, C) whose entries alias x. Copying
that view into a matrix "cols" of shape (N*Ho*Wo, kh*kw*C) (the im2col step) turns the whole
convolution into ``cols @ W.reshape(kh*kw*C, F)``, a single large product that BLAS runs fast.

The backward pass, with g = dL/dy of shape (N, Ho, Wo, F):

    dW = cols^T @ g          (every window times the gradient of the output it produced)
    db = sum of g over N, Ho, Wo
    dx: each window's gradient ``g @ W^T`` is added back where the window came from (col2im).
        Windows overlap when the stride is smaller than the kernel, so this is a sum: we do it
        as kh*kw strided slice additions, one per kernel tap (never one per pixel).

A convolution followed by max pooling can run as one op, ``conv2d_max_pool``: the ReLU moves
after the pooling (it commutes with the maximum), so it works on the smaller pooled array.

The memory-bound passes (the im2col copy, bias and ReLU, the col2im additions, pooling) run
over ranges of the batch in parallel threads when the arrays are large (``parallel_batches``
in ``backend.py``): NumPy does one elementwise pass on one core; BLAS already uses them all.

Padding follows Keras/TensorFlow: ``'valid'`` uses no padding; ``'same'`` pads so that
Ho = ceil(H / s), with the total padding max((Ho - 1)*s + (kh - 1)*d + 1 - H, 0) split as
floor(total / 2) before and the rest after (so an even kernel pads more at the bottom/right).
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import Function
from ..kernels import channel_rows, parallel_batches
from ..ops import lift


def _pair(value, name, who=None):
    """``3`` -> ``(3, 3)``; checks a pair of positive ints (``who`` prefixes the error)."""
    prefix = f"{who}: " if who else ""
    original = value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    try:
        value = tuple(value)
    except TypeError:
        value = ()
    is_int = [isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value]
    if len(value) != 2 or not all(is_int):
        raise ValueError(f"{prefix}{name} must be an int or a pair of ints, got {original!r}")
    if any(v < 1 for v in value):
        raise ValueError(f"{prefix}{name} must be positive, got {original!r}")
    return tuple(int(v) for v in value)


def same_padding(size, kernel, stride, dilation=1):
    """(before, after) padding of one axis for Keras's 'same': the output has ceil(size / stride)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def output_size(size, kernel, stride, padding, dilation=1):
    """Output length of one axis: floor((size + pads - effective kernel) / stride) + 1."""
    if padding == "same":
        return math.ceil(size / stride)
    span = (kernel - 1) * dilation + 1
    return (size - span) // stride + 1 if size >= span else 0


def _pads(shape_hw, kernel, strides, padding, dilation):
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple(same_padding(n, k, s, d) for n, k, s, d in zip(shape_hw, kernel, strides, dilation))
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def sliding_windows(x, kernel, strides, dilation=(1, 1)):
    """A read-only view of shape (N, Ho, Wo, kh, kw, C): every window of the (already padded)
    x, without copying anything (the strides of the view step through x's memory)."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, strides, dilation
    ho = (h - (kh - 1) * dh - 1) // sh + 1
    wo = (w - (kw - 1) * dw - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    return as_strided(x, shape=(n, ho, wo, kh, kw, c), strides=(s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3),
                      writeable=False)


def _pad_hw(x, pads, value=0.0):
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def tap(a, c, out_hw, strides, dilation=(1, 1)):
    """The index of the input pixels that kernel tap (a, c) reads for every output position:
    rows a*d, a*d + s, ..., a*d + s*(Ho - 1) (and likewise for the columns), as slices."""
    (ho, wo), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return (slice(None), slice(a * dh, a * dh + sh * (ho - 1) + 1, sh),
            slice(c * dw, c * dw + sw * (wo - 1) + 1, sw), slice(None))


def _scatter_windows(dwin, padded_shape, strides, dilation, out_dtype):
    """col2im: add each window's gradient (N, Ho, Wo, kh, kw, C) back into an array of the
    padded input's shape; one strided addition per kernel tap (a, c)."""
    n, ho, wo, kh, kw, _ = dwin.shape
    dxp = np.zeros(padded_shape, dtype=out_dtype)
    for a in range(kh):
        for c in range(kw):
            dxp[tap(a, c, (ho, wo), strides, dilation)] += dwin[:, :, :, a, c, :]
    return dxp


def _unpad(dxp, pads):
    (top, bottom), (left, right) = pads
    h, w = dxp.shape[1], dxp.shape[2]
    return dxp[:, top:h - bottom, left:w - right, :]


#: Inputs with fewer channels than this get the transposed ("taps-major") im2col layout (Conv2D).
TAPS_MAJOR_BELOW = 4


def _add_bias(rows, bias):
    """``rows += bias`` in place for rows of shape (M, F), on ``channel_rows``'s wide view (r rows
    side by side, the bias repeated r times): the same additions in fewer, longer NumPy loops."""
    if not rows.flags.c_contiguous:             # (a reshape would copy, and the sum be lost)
        rows += bias
        return
    wide, r = channel_rows(rows, rows.shape[1])
    wide += np.tile(bias, r)


class Conv2D(Function):
    """y = im2col(x) @ W + b; see the module docstring for the forward and backward formulas.

    ``relu=True`` fuses the ReLU that usually follows: y = max(im2col(x) @ W + b, 0) in place,
    and the backward first masks g with (y > 0), so no separate activation array is made.
    ``pool=(size, strides, pads)`` appends max pooling, with the ReLU after it (``conv2d_max_pool``).

    Two layouts of the im2col matrix, the same products:

    * many input channels: ``cols`` is (windows, kh*kw*C): each row one window, copied from x in
      runs of C contiguous numbers; y = cols @ W, dW = cols^T @ g.
    * few input channels (C < ``TAPS_MAJOR_BELOW`` = 4, e.g. a grey or colour image): runs of C
      numbers are too short to copy fast, so ``cols`` is stored transposed, (kh*kw*C, windows):
      row (a, c, ch) is the whole batch's image shifted by the tap (a, c), one long copy per row.
      Its last row is all ones, so the bias is one more row of the weight matrix:
      y = cols^T @ [W; b], and cols @ g = [dW; db] gives the bias gradient (the column sums of g)
      in the same product.
    """

    def forward(self, x, kernel, bias=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1),
                relu=False, pool=None):
        kh, kw, cin, cout = kernel.shape
        xp = _pad_hw(x, pads)
        windows = sliding_windows(xp, (kh, kw), strides, dilation)
        n, ho, wo = windows.shape[:3]
        depth, rows = kh * kw * cin, ho * wo
        weights = kernel.reshape(depth, cout)
        self.taps_major = cin < TAPS_MAJOR_BELOW
        if self.taps_major:                      # cols: (depth [+ 1 row of ones], windows)
            cols = np.empty((depth + (bias is not None), n * rows), dtype=xp.dtype)
            cols6 = cols[:depth].reshape(kh, kw, cin, n, ho, wo)
            by_tap = windows.transpose(3, 4, 5, 0, 1, 2)
            parallel_batches(lambda lo, hi: np.copyto(cols6[:, :, :, lo:hi], by_tap[:, :, :, lo:hi]),
                             n, cols.size)       # im2col
            if bias is not None:                 # [W; b] in the dtype of cols @ W, as y += b keeps it
                cols[depth] = 1
                weights = np.concatenate([weights, bias[None, :]], dtype=np.result_type(xp, weights))
            y = cols.T @ weights
        else:                                    # cols: (windows, depth)
            cols = np.empty((n * rows, depth), dtype=xp.dtype)
            cols6 = cols.reshape(windows.shape)
            parallel_batches(lambda lo, hi: np.copyto(cols6[lo:hi], windows[lo:hi]), n, cols.size)
            y = cols @ weights
        add_bias = bias is not None and not self.taps_major
        relu_here = relu and pool is None        # with a pool after, the ReLU acts on its output
        if add_bias or relu_here:
            def finish(lo, hi):
                part = y[lo * rows:hi * rows]
                if add_bias:
                    _add_bias(part, bias)
                if relu_here:
                    np.maximum(part, 0, out=part)
            parallel_batches(finish, n, y.size)
        out = y.reshape(n, ho, wo, cout)
        if pool is not None:                     # max pooling, then the ReLU on the pooled array
            size, pool_strides, pool_pads = pool
            zp = _pad_hw(out, pool_pads, value=-np.inf)
            out, index, taps = _max_pool(zp, size, pool_strides, with_index=bool(self.needs_grad))
            if relu:
                parallel_batches(lambda lo, hi: np.maximum(out[lo:hi], 0, out=out[lo:hi]), n, out.size)
            if self.needs_grad:
                self.pooling = (index, taps, zp.shape, pool)
        if not self.needs_grad:                  # inference: keep nothing for a backward pass
            return out
        self.y = out.reshape(-1, cout) if relu else None
        self.cols, self.kernel, self.xp_shape, self.x_dtype = cols, kernel, xp.shape, x.dtype
        self.strides, self.pads, self.dilation, self.out_hw = strides, pads, dilation, (ho, wo)
        self.pool = pool
        return out

    def backward(self, g):
        kh, kw, cin, cout = self.kernel.shape
        n = g.shape[0]
        rows = g.shape[1] * g.shape[2]
        g2 = g.reshape(-1, cout)
        if self.y is not None:                   # through the fused ReLU: dy = g * (y > 0)
            masked, y, g_in = np.empty(g2.shape, dtype=g2.dtype), self.y, g2

            def mask(lo, hi):
                part = slice(lo * rows, hi * rows)
                np.multiply(g_in[part], y[part] > 0, out=masked[part])
            parallel_batches(mask, n, g2.size)
            g2 = masked
        if self.pool is not None:                # through the max pooling, back to the conv output
            index, taps, zp_shape, (size, pool_strides, pool_pads) = self.pooling
            dz = _max_pool_grad(g2.reshape(g.shape), index, taps, zp_shape, size, pool_strides)
            g2 = np.ascontiguousarray(_unpad(dz, pool_pads)).reshape(-1, cout)
        rows = self.out_hw[0] * self.out_hw[1]
        dx = dkernel = dbias = None
        if self.needs_grad[0]:
            # col2im, one kernel tap at a time: the tap's share of every window's gradient,
            # g @ W[a, c]^T, goes back to the input pixels that tap read (a strided slice).
            ho, wo = self.out_hw
            dxp = np.zeros(self.xp_shape, dtype=self.x_dtype)
            share = np.empty((g2.shape[0], cin), dtype=np.result_type(g2, self.kernel))   # reused per tap
            windows = share.reshape(n, ho, wo, cin)
            for a in range(kh):
                for c in range(kw):
                    np.matmul(g2, self.kernel[a, c].T, out=share)
                    where = tap(a, c, self.out_hw, self.strides, self.dilation)
                    target = dxp[where]

                    def add(lo, hi, target=target):
                        target[lo:hi] += windows[lo:hi]
                    parallel_batches(add, n, share.size)
            dx = _unpad(dxp, self.pads)
        has_bias = len(self.needs_grad) > 2
        depth = kh * kw * cin
        if self.taps_major:                      # [dW; db] = cols @ g in one product
            if self.needs_grad[1] or (has_bias and self.needs_grad[2]):
                both = self.cols @ g2
                dkernel = both[:depth].reshape(self.kernel.shape) if self.needs_grad[1] else None
                dbias = both[depth] if has_bias and self.needs_grad[2] else None
        else:
            if self.needs_grad[1]:
                dkernel = (self.cols.T @ g2).reshape(self.kernel.shape)
            if has_bias and self.needs_grad[2]:
                dbias = np.ones(g2.shape[0], dtype=g2.dtype) @ g2    # column sums, as one BLAS product
        return (dx, dkernel, dbias) if has_bias else (dx, dkernel)


def _check_image(x, who):
    if x.ndim != 4:
        raise ValueError(f"{who}: expected a batch of images of shape (N, H, W, C), got shape {x.shape}")


def _conv_inputs(x, kernel, bias, strides, padding, dilation_rate, who):
    """Checks conv2d's arguments; returns the input Tensors and the Function's parameters."""
    x = lift(x)
    kernel = lift(kernel, x)
    _check_image(x, who)
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(f"{who}: kernel of shape {kernel.shape} does not fit input of shape {x.shape}: "
                         f"expected (kh, kw, {x.shape[3]}, filters)")
    strides, dilation = _pair(strides, "strides"), _pair(dilation_rate, "dilation_rate")
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(f"{who}: strides > 1 together with dilation_rate > 1 is not supported (as in Keras)")
    pads = _pads(x.shape[1:3], kernel.shape[:2], strides, padding, dilation)
    for axis, (n, k, d, p) in enumerate(zip(x.shape[1:3], kernel.shape[:2], dilation, pads)):
        if n + sum(p) < (k - 1) * d + 1:
            raise ValueError(f"{who}: the kernel ({kernel.shape[0]}x{kernel.shape[1]}, dilation {dilation}) "
                             f"is larger than the {'padded ' if sum(p) else ''}input "
                             f"({x.shape[1]}x{x.shape[2]}) along {'height' if axis == 0 else 'width'}")
    args = (x, kernel) if bias is None else (x, kernel, lift(bias, x))
    return args, dict(strides=strides, pads=pads, dilation=dilation)


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, relu=False):
    """2-D convolution, channels last. x: (N, H, W, C_in); kernel: (kh, kw, C_in, C_out) (Keras's
    layout); bias: (C_out,). Returns (N, Ho, Wo, C_out). ``padding``: 'valid' or 'same'.
    ``relu=True`` returns relu(conv2d(...)) computed in one step (what ``Conv2D(activation='relu')``
    uses)."""
    args, params = _conv_inputs(x, kernel, bias, strides, padding, dilation_rate, "conv2d")
    return Conv2D.apply(*args, **params, relu=bool(relu))


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
    window's first maximum; from there the convolution's backward pass (module docstring)."""
    args, params = _conv_inputs(x, kernel, bias, strides, padding, dilation_rate, "conv2d_max_pool")
    who = "conv2d_max_pool"
    pool = _pair(pool_size, "pool_size", who)
    pool_strides = pool if pool_strides is None else _pair(pool_strides, "pool_strides", who)
    if pool_padding not in ("valid", "same"):
        raise ValueError(f"{who}: pool_padding must be 'valid' or 'same', got {pool_padding!r}")
    x, kernel = args[0], args[1]
    conv_hw = [output_size(n, k, s, padding, d) for n, k, s, d in
               zip(x.shape[1:3], kernel.shape[:2], params["strides"], params["dilation"])]
    pool_pads = _pads(conv_hw, pool, pool_strides, pool_padding, (1, 1))
    if min(output_size(n, p, s, pool_padding) for n, p, s in zip(conv_hw, pool, pool_strides)) < 1:
        raise ValueError(f"{who}: a {pool[0]}x{pool[1]} pooling window with '{pool_padding}' padding does "
                         f"not fit the convolution's output of {conv_hw[0]}x{conv_hw[1]}: the output "
                         f"would be empty")
    return Conv2D.apply(*args, **params, relu=bool(relu), pool=(pool, pool_strides, pool_pads))


def _max_pool(xp, pool, strides, with_index):
    """Max pooling of the (already padded) xp: returns ``(y, index, taps)``, where ``index`` (or
    None) holds, for every output, the number of the tap that held the window's first maximum
    and ``taps`` are the kh*kw strided slices of xp, one per position inside the window
    (row-major), each holding that position's value for every window."""
    ho = (xp.shape[1] - pool[0]) // strides[0] + 1
    wo = (xp.shape[2] - pool[1]) // strides[1] + 1
    taps = [tap(a, b, (ho, wo), strides) for a in range(pool[0]) for b in range(pool[1])]
    y = np.empty((xp.shape[0], ho, wo, xp.shape[3]), dtype=xp.dtype)
    index = np.empty(y.shape, dtype=np.uint8 if len(taps) < 256 else np.int32) if with_index else None

    def work(lo, hi):
        xs, ys = xp[lo:hi], y[lo:hi]
        np.copyto(ys, xs[taps[0]])
        for where in taps[1:]:
            np.maximum(ys, xs[where], out=ys)
        if index is not None:
            _first_max(xs, ys, taps, out=index[lo:hi])
    parallel_batches(work, xp.shape[0], xp.size)
    return y, index, taps


def _first_max(xp, y, taps, out):
    """For every output, the number of the first tap whose value equals the maximum ``y``
    (written into ``out``): the count of leading taps that are not the maximum."""
    index = out
    index[...] = 0
    not_yet = np.empty(y.shape, dtype=bool)        # no tap so far held the maximum
    differs = np.empty(y.shape, dtype=bool)
    for t, where in enumerate(taps[:-1]):
        if t == 0:
            np.not_equal(xp[where], y, out=not_yet)
        else:
            np.not_equal(xp[where], y, out=differs)
            np.logical_and(not_yet, differs, out=not_yet)
        index += not_yet                              # one more leading tap that was not the max
    return index


def _max_pool_grad(g, index, taps, xp_shape, pool, strides):
    """The gradient of max pooling for the padded input: each output's g goes to its window's
    first maximum (tap ``index``); windows that overlap and share a maximum each add theirs."""
    (ph, pw), (sh, sw) = pool, strides
    ho, wo = g.shape[1:3]
    if (sh, sw) == (ph, pw):
        # Windows tile the input without overlap or gaps: the taps write every cell they
        # cover exactly once, so only the uncovered bottom rows / right columns need zeros.
        dxp = np.empty(xp_shape, dtype=g.dtype)
        dxp[:, ho * ph:] = 0
        dxp[:, :, wo * pw:] = 0
    else:
        dxp = np.zeros(xp_shape, dtype=g.dtype)
    if sh < ph or sw < pw:                           # windows share cells: add, tap by tap
        hit = np.empty(g.shape, dtype=bool)
        for t, where in enumerate(taps):
            np.equal(index, t, out=hit)
            dxp[where] += g * hit
    else:                                            # each input cell is in one window at most
        def work(lo, hi):
            hit = np.empty(g[lo:hi].shape, dtype=bool)
            for t, where in enumerate(taps):
                np.equal(index[lo:hi], t, out=hit)
                np.multiply(g[lo:hi], hit, out=dxp[lo:hi][where])
        parallel_batches(work, g.shape[0], dxp.size)
    return dxp


class MaxPool2D(Function):
    """y = the maximum of each window; the gradient goes to the (first) position of that maximum.

    Forward: the running maximum over the kh*kw taps of the window, each tap a strided slice
    of x (kh*kw elementwise ``maximum`` passes, no copy of the windows). Then, for every output,
    which tap held the maximum *first* in row-major order: count the leading taps that are not
    equal to it, ``index = [x_0 != y] + [x_0 != y and x_1 != y] + ...`` (the last tap need not be
    looked at). On ties (e.g. a window of ReLU zeros) only the first tap gets the gradient, as in
    PyTorch and TensorFlow. Backward: one pass per tap, ``dx[tap] (+)= g * (index == tap)``;
    windows that overlap and share a maximum each add their own gradient.
    """

    def forward(self, x, pool=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0))):
        xp = _pad_hw(x, pads, value=-np.inf)
        y, index, taps = _max_pool(xp, pool, strides, with_index=bool(self.needs_grad))
        if self.needs_grad:
            self.index, self.taps, self.xp_shape = index, taps, xp.shape
            self.pads, self.pool, self.strides = pads, pool, strides
        return y

    def backward(self, g):
        return _unpad(_max_pool_grad(g, self.index, self.taps, self.xp_shape, self.pool, self.strides),
                      self.pads)


class AvgPool2D(Function):
    """y = the mean of each window. With 'same' padding the padded cells are not counted (the
    divisor is the number of real pixels in the window, as in Keras). dx: g / count to every
    pixel of the window."""

    def forward(self, x, pool=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0))):
        xp = _pad_hw(x, pads)
        windows = sliding_windows(xp, pool, strides)
        total = windows.sum(axis=(3, 4))
        ones = _pad_hw(np.ones((1,) + x.shape[1:3] + (1,), dtype=x.dtype), pads)
        count = sliding_windows(ones, pool, strides).sum(axis=(3, 4))     # (1, Ho, Wo, 1)
        self.count, self.xp_shape, self.dtype = count, xp.shape, x.dtype
        self.pool, self.strides, self.pads = pool, strides, pads
        return total / count

    def backward(self, g):
        kh, kw = self.pool
        share = g / self.count
        n, ho, wo, c = g.shape
        dwin = np.broadcast_to(share[:, :, :, None, None, :], (n, ho, wo, kh, kw, c))
        return _unpad(_scatter_windows(dwin, self.xp_shape, self.strides, (1, 1), self.dtype), self.pads)


def _pool(cls, who, x, pool_size, strides, padding):
    x = lift(x)
    _check_image(x, who)
    pool = _pair(pool_size, "pool_size")
    strides = pool if strides is None else _pair(strides, "strides")
    pads = _pads(x.shape[1:3], pool, strides, padding, (1, 1))
    ho = output_size(x.shape[1], pool[0], strides[0], padding)
    wo = output_size(x.shape[2], pool[1], strides[1], padding)
    if ho < 1 or wo < 1:
        raise ValueError(f"{who}: a {pool[0]}x{pool[1]} window with '{padding}' padding does not fit "
                         f"an input of {x.shape[1]}x{x.shape[2]}: the output would be empty")
    return cls.apply(x, pool=pool, strides=strides, pads=pads)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling, channels last: (N, H, W, C) -> (N, Ho, Wo, C). ``strides`` defaults to the
    pool size (non-overlapping windows)."""
    return _pool(MaxPool2D, "max_pool2d", x, pool_size, strides, padding)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling, channels last; with 'same' padding, padded cells are not counted."""
    return _pool(AvgPool2D, "avg_pool2d", x, pool_size, strides, padding)
