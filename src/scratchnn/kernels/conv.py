"""Convolution as fast as NumPy allows: im2col in two layouts, the bias and ReLU fused in,
threaded memory-bound passes, and convolution + max pooling as one op.

The readable convolution (``scratchnn.functional.conv.Conv2D``) is the textbook im2col: copy
every window into a row of ``cols``, ``y = cols @ W + b``, and in the backward pass
``dW = cols^T g``, ``dx = col2im(g W^T)``. ``FastConv2D`` computes the same numbers (tested)
with less time spent outside the matrix products:

* few input channels (a grey or colour image): ``cols`` is stored transposed, taps x windows,
  so each row is one long copy of the shifted batch, and a last row of ones folds the bias into
  the product (``y = cols^T [W; b]``, ``cols g = [dW; db]``);
* the ReLU is applied in place (and its mask in the backward pass), no separate array;
* ``pool=``: max pooling right after, with the ReLU moved after the pooling (it commutes with
  the maximum), so the ReLU and its gradient touch 4x fewer numbers and the full-size output is
  not kept for the backward pass (``Conv2D.fuse_with`` runs a Conv2D + MaxPooling2D pair so);
* the im2col copy, bias + ReLU, the ReLU mask and the col2im additions split the batch over
  threads (``threads.parallel_batches``); the bias is added on wide rows (``layout.channel_rows``).
"""
import numpy as np

from ..autograd import Function
from ..windows import pad_hw, sliding_windows, tap, unpad
from .layout import channel_rows
from .pooling import max_pool, max_pool_grad
from .threads import parallel_batches


#: Inputs with fewer channels than this get the transposed ("taps-major") im2col layout (Conv2D).
TAPS_MAJOR_BELOW = 4


def add_bias(rows, bias):
    """``rows += bias`` in place for rows of shape (M, F), on ``channel_rows``'s wide view (r rows
    side by side, the bias repeated r times): the same additions in fewer, longer NumPy loops."""
    if not rows.flags.c_contiguous:             # (a reshape would copy, and the sum be lost)
        rows += bias
        return
    wide, r = channel_rows(rows, rows.shape[1])
    wide += np.tile(bias, r)


def im2col_product(xp, kernel, bias, strides, dilation):
    """The convolution of the (already padded) xp as one matrix product, in the layout that suits
    its channels (see ``FastConv2D``). Returns ``(y, cols, taps_major)``: y of shape
    (n*ho*wo, cout), with the bias in it only when ``taps_major`` (folded into the product as a
    row of ones); ``cols`` is what ``weight_grads`` needs."""
    kh, kw, cin, cout = kernel.shape
    windows = sliding_windows(xp, (kh, kw), strides, dilation)
    n = windows.shape[0]
    depth = kh * kw * cin
    weights = kernel.reshape(depth, cout)
    taps_major = cin < TAPS_MAJOR_BELOW
    if taps_major:                               # cols: (depth [+ 1 row of ones], windows)
        ho, wo = windows.shape[1:3]
        cols = np.empty((depth + (bias is not None), n * ho * wo), dtype=xp.dtype)
        cols6 = cols[:depth].reshape(kh, kw, cin, n, ho, wo)
        by_tap = windows.transpose(3, 4, 5, 0, 1, 2)
        parallel_batches(lambda lo, hi: np.copyto(cols6[:, :, :, lo:hi], by_tap[:, :, :, lo:hi]),
                         n, cols.size)           # im2col
        if bias is not None:                     # [W; b] in the dtype of cols @ W, as y += b keeps it
            cols[depth] = 1
            weights = np.concatenate([weights, bias[None, :]], dtype=np.result_type(xp, weights))
        return cols.T @ weights, cols, True
    cols = np.empty((windows.shape[0] * windows.shape[1] * windows.shape[2], depth), dtype=xp.dtype)
    cols6 = cols.reshape(windows.shape)          # cols: (windows, depth)
    parallel_batches(lambda lo, hi: np.copyto(cols6[lo:hi], windows[lo:hi]), n, cols.size)
    return cols @ weights, cols, False


def input_grad(g2, kernel, xp_shape, x_dtype, out_hw, strides, dilation, pads):
    """dx for the output gradient g2 (n*ho*wo, cout): col2im, one kernel tap at a time: the tap's
    share of every window's gradient, g2 @ W[a, c]^T, goes back to the input pixels that tap read
    (a strided slice of the padded input, ``xp_shape``); the padding is cut off at the end."""
    kh, kw, cin, _ = kernel.shape
    n = xp_shape[0]
    ho, wo = out_hw
    dxp = np.zeros(xp_shape, dtype=x_dtype)
    share = np.empty((g2.shape[0], cin), dtype=np.result_type(g2, kernel))   # reused per tap
    windows = share.reshape(n, ho, wo, cin)
    for a in range(kh):
        for c in range(kw):
            np.matmul(g2, kernel[a, c].T, out=share)
            target = dxp[tap(a, c, out_hw, strides, dilation)]

            def add(lo, hi, target=target):
                target[lo:hi] += windows[lo:hi]
            parallel_batches(add, n, share.size)
    return unpad(dxp, pads)


def weight_grads(g2, cols, kernel_shape, taps_major, need_kernel, need_bias):
    """(dkernel, dbias) for the output gradient g2 (n*ho*wo, cout) and ``im2col_product``'s cols
    (None for one not needed): dW = cols^T g, db = the column sums of g; taps-major cols (with
    their row of ones) give both as one product, [dW; db] = cols g."""
    depth = int(np.prod(kernel_shape[:3]))
    dkernel = dbias = None
    if taps_major:
        if need_kernel or need_bias:
            both = cols @ g2
            dkernel = both[:depth].reshape(kernel_shape) if need_kernel else None
            dbias = both[depth] if need_bias else None
        return dkernel, dbias
    if need_kernel:
        dkernel = (cols.T @ g2).reshape(kernel_shape)
    if need_bias:
        dbias = np.ones(g2.shape[0], dtype=g2.dtype) @ g2    # column sums, as one BLAS product
    return dkernel, dbias


class FastConv2D(Function):
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
        xp = pad_hw(x, pads)
        y, cols, self.taps_major = im2col_product(xp, kernel, bias, strides, dilation)
        n = xp.shape[0]
        ho = (xp.shape[1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
        wo = (xp.shape[2] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
        rows = ho * wo
        bias_here = bias is not None and not self.taps_major
        relu_here = relu and pool is None        # with a pool after, the ReLU acts on its output
        if bias_here or relu_here:
            def finish(lo, hi):
                part = y[lo * rows:hi * rows]
                if bias_here:
                    add_bias(part, bias)
                if relu_here:
                    np.maximum(part, 0, out=part)
            parallel_batches(finish, n, y.size)
        out = y.reshape(n, ho, wo, cout)
        if pool is not None:                     # max pooling, then the ReLU on the pooled array
            size, pool_strides, pool_pads = pool
            zp = pad_hw(out, pool_pads, value=-np.inf)
            out, index, taps = max_pool(zp, size, pool_strides, with_index=bool(self.needs_grad))
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
        cout = self.kernel.shape[3]
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
            dz = max_pool_grad(g2.reshape(g.shape), index, taps, zp_shape, size, pool_strides)
            g2 = np.ascontiguousarray(unpad(dz, pool_pads)).reshape(-1, cout)
        dx = None
        if self.needs_grad[0]:
            dx = input_grad(g2, self.kernel, self.xp_shape, self.x_dtype, self.out_hw, self.strides,
                            self.dilation, self.pads)
        has_bias = len(self.needs_grad) > 2
        dkernel, dbias = weight_grads(g2, self.cols, self.kernel.shape, self.taps_major,
                                      self.needs_grad[1], has_bias and self.needs_grad[2])
        return (dx, dkernel, dbias) if has_bias else (dx, dkernel)
