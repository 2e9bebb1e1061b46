"""Convolution + max pooling when the pooling windows tile the convolution's output: pool
strides equal to the pool size and 'valid' pooling, Keras's default ``MaxPooling2D()``.

``FastConv2D(pool=...)`` computes the whole convolution output z, then pools it with strided
slices. Here the convolution outputs are computed *in the order the pooling reads them*, so the
pooling becomes a few passes over contiguous blocks. Number the positions inside a ph x pw
pooling window t = p*pw + q (row-major, t = 0..T-1). Pooled output (i, j) is the maximum of the
convolution outputs at (ph*i + p, pw*j + q) over t. So the im2col rows are grouped by t:

    cols = [cols_0; cols_1; ...; cols_{T-1}]   cols_t: the windows at (ph*i + p, pw*j + q)
    z = cols @ W                               T blocks z_t, each (N*Hp*Wp, C_out)
    y = relu(max_t z_t + b)                    the bias and ReLU after the maximum

* The bias and the ReLU commute with the maximum (max_t (z_t + b) = max_t z_t + b; relu keeps
  the order of numbers), so they touch T times fewer numbers.
* Convolution outputs that no pooling window reads (the last row / column when the size is odd)
  are not computed at all: with 'valid' pooling they change nothing, forward or backward.
* Backward: g, masked by (y > 0), goes to the first block that held the maximum,
  dz_t = g * [index == t] (as PyTorch and TensorFlow pick the first maximum on ties); then
  dW = cols^T dz, db = the column sums of g, and dx = col2im(dz W^T) with the blocks put back in
  the convolution's order first.

The two im2col layouts of ``FastConv2D`` (windows x taps for many input channels, taps x
windows for few) are kept; the bias is never folded into the product here (it is added to the
pooled array). Same values and gradients as ``max_pool2d(conv2d(...))`` to float rounding (the
weight gradient sums over the windows in another order; tested).
"""
import numpy as np

from ..autograd import Function
from ..windows import pad_hw, sliding_windows
from . import conv as conv_kernels
from .conv import add_bias, input_grad
from .pooling import first_max, route_to_first_max
from .threads import parallel_batches


def pool_tiles(pool):
    """True when ``pool = (size, strides, pads)`` tiles its input: strides == size, no padding."""
    size, strides, pads = pool
    return tuple(size) == tuple(strides) and not any(p for pair in pads for p in pair)


def pooled_windows(xp, kernel_hw, strides, dilation, pool):
    """For each pooling tap t = (p, q): the convolution windows (N, Hp, Wp, kh, kw, C) at the
    outputs (ph*i + p, pw*j + q), as read-only views of the padded input xp."""
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = kernel_hw, strides, dilation, pool
    ho = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    wo = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    hp, wp = ho // ph, wo // pw
    return [sliding_windows(xp[:, sh * p:, sw * q:], (kh, kw), (ph * sh, pw * sw), (dh, dw))[:, :hp, :wp]
            for p in range(ph) for q in range(pw)]


class FastConv2DMaxPool(Function):
    """y = relu(max_t (cols_t @ W) + b), the pooled convolution; see the module docstring.

    ``pool=(ph, pw)``: the pooling window and strides (they are equal; the pooling is 'valid').
    """

    def forward(self, x, kernel, bias=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1),
                relu=False, pool=(2, 2)):
        kh, kw, cin, cout = kernel.shape
        xp = pad_hw(x, pads)
        windows = pooled_windows(xp, (kh, kw), strides, dilation, pool)
        T = len(windows)
        n, hp, wp = windows[0].shape[:3]
        m = n * hp * wp                               # pooled outputs (rows) per block
        depth = kh * kw * cin
        taps_major = cin < conv_kernels.TAPS_MAJOR_BELOW   # FastConv2D's rule (one setting for both)
        if taps_major:                                # cols: (depth, T*m), one row per kernel tap
            cols = np.empty((depth, T * m), dtype=xp.dtype)
            grid = cols.reshape(kh, kw, cin, T, n, hp, wp)

            def im2col(lo, hi):
                for t, win in enumerate(windows):
                    np.copyto(grid[:, :, :, t, lo:hi], win[lo:hi].transpose(3, 4, 5, 0, 1, 2))
        else:                                         # cols: (T*m, depth), one row per window
            cols = np.empty((T * m, depth), dtype=xp.dtype)
            grid = cols.reshape(T, n, hp, wp, kh, kw, cin)

            def im2col(lo, hi):
                for t, win in enumerate(windows):
                    np.copyto(grid[t, lo:hi], win[lo:hi])
        parallel_batches(im2col, n, cols.size)
        weights = kernel.reshape(depth, cout)
        z = (cols.T if taps_major else cols) @ weights          # (T*m, cout): block t is z_t
        blocks = z.reshape(T, n, hp * wp * cout)
        y = np.empty((n, hp, wp, cout), dtype=z.dtype)
        index = np.empty(y.shape, dtype=np.uint8 if T < 256 else np.int32) if self.needs_grad else None
        flat_y = y.reshape(n, -1)
        flat_index = None if index is None else index.reshape(n, -1)

        def pool_rows(lo, hi):
            out = flat_y[lo:hi]
            np.copyto(out, blocks[0, lo:hi])
            for t in range(1, T):
                np.maximum(out, blocks[t, lo:hi], out=out)
            if flat_index is not None:                # the first block that holds the maximum
                first_max(blocks[:, lo:hi], out, range(T), out=flat_index[lo:hi])
            if bias is not None:
                add_bias(out.reshape(-1, cout), bias)
            if relu:
                np.maximum(out, 0, out=out)
        parallel_batches(pool_rows, n, z.size)
        if not self.needs_grad:
            return y
        self.cols, self.taps_major, self.index, self.kernel = cols, taps_major, index, kernel
        self.y = y if relu else None
        self.xp_shape, self.x_dtype, self.pads = xp.shape, x.dtype, pads
        self.strides, self.dilation, self.pool = strides, dilation, pool
        return y

    def backward(self, g):
        kernel, index = self.kernel, self.index
        cout, n = kernel.shape[3], g.shape[0]
        T = self.pool[0] * self.pool[1]
        g = np.ascontiguousarray(g)
        if self.y is not None:                        # through the ReLU: g * (y > 0)
            g = g * (self.y > 0)
        flat_g, flat_index = g.reshape(n, -1), index.reshape(n, -1)
        dz = np.empty((T,) + flat_g.shape, dtype=g.dtype)

        def route(lo, hi):                            # dz_t = g * [index == t]
            route_to_first_max(flat_g[lo:hi], flat_index[lo:hi], [dz[t, lo:hi] for t in range(T)])
        parallel_batches(route, n, dz.size)
        dz2 = dz.reshape(-1, cout)
        dx = dkernel = dbias = None
        if self.needs_grad[0]:
            dx = self.input_grad(dz)
        if self.needs_grad[1]:
            cols = self.cols                          # dW = cols^T dz, as (dz^T cols)^T for windows x taps
            dW = cols @ dz2 if self.taps_major else (dz2.T @ cols).T
            dkernel = np.ascontiguousarray(dW).reshape(kernel.shape)
        has_bias = len(self.needs_grad) > 2
        if has_bias and self.needs_grad[2]:
            g2 = g.reshape(-1, cout)
            dbias = np.ones(g2.shape[0], dtype=g2.dtype) @ g2   # column sums, as one BLAS product
        return (dx, dkernel, dbias) if has_bias else (dx, dkernel)

    def input_grad(self, dz):
        """dx = col2im(dz W^T) on the convolution outputs in their natural order: the blocks dz_t
        go back to their places (ph*i + p, pw*j + q) of a (N, ph*Hp, pw*Wp, C_out) gradient, and
        ``conv.input_grad`` does the rest (one product and one addition per kernel tap; adding
        block by block would make T times more, shorter passes)."""
        (ph, pw), cout = self.pool, self.kernel.shape[3]
        n, hp, wp = self.index.shape[:3]
        blocks = dz.reshape(ph, pw, n, hp, wp, cout)
        full = np.empty((n, ph * hp, pw * wp, cout), dtype=dz.dtype)

        def unpool(lo, hi):
            for p in range(ph):
                for q in range(pw):
                    full[lo:hi, p::ph, q::pw] = blocks[p, q, lo:hi]
        parallel_batches(unpool, n, full.size)
        return input_grad(full.reshape(-1, cout), self.kernel, self.xp_shape, self.x_dtype,
                          (ph * hp, pw * wp), self.strides, self.dilation, self.pads)
