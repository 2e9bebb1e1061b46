"""Convolution + batch normalization (+ ReLU) (+ max pooling), in training, as one op.

A ``Conv2D -> BatchNormalization -> Activation('relu') -> MaxPooling2D`` block computes, per
output channel (z the convolution's output, m its number of values per channel, over the
batch and the pixels):

    mu = mean(z),  v = mean((z - mu)^2),  s = 1 / sqrt(v + eps),  x_hat = (z - mu) s
    y = gamma x_hat + beta,   p = relu(max_pool(y)).

Run layer by layer, that is a convolution, a normalization, a ReLU and a pooling, each with its
own full-size output array, and the same again backwards. ``FastConvBatchNorm`` computes the
same numbers with fewer full-size passes:

* the normalization's statistics and x_hat are the batch normalization kernel's
  (``normalization.channel_sum``, on ``layout.channel_rows``'s wide rows), with x_hat made from
  z in place (no second full-size array);
* the ReLU comes after the pooling (it commutes with the maximum, see ``kernels/conv.py``): it
  and its gradient mask touch the pooled array only;
* with every gamma > 0 (the usual case: gamma starts at 1) y grows with x_hat, and so does its
  float rounding, so the pooling runs on x_hat itself and only the pooled maxima are scaled and
  shifted: p = relu(gamma max(x_hat) + beta), the same numbers as max(y), and the full-size y
  is never made. (Ties: the gradient goes to the first maximum of x_hat; where rounding makes
  two different x_hat give the same y, that may be another of y's equal maxima than its first.)
  A gamma <= 0 (a zero gamma makes every y of the channel equal): the pooling of y itself;
* backward, the gradient that reaches y is the pooled gradient g (masked by p > 0) at each
  window's maximum, 0 elsewhere. So the sums batch normalization's backward pass needs are sums
  over the pooled array only:

      dbeta = sum(g),   dgamma = sum(g * x_hat at the maxima),

  and the gradient of z (``functional/normalization.py`` derives it), with a = gamma s,

      dz = a (dy - dbeta / m - x_hat dgamma / m)
         = -(a dgamma / m) x_hat - a dbeta / m   everywhere,   + a g at the maxima:

  two passes over the full-size array and one strided addition per pooling tap, instead of the
  pooling's, the ReLU's and the normalization's full-size gradients one after the other;
* the full-size elementwise passes split the batch over threads (``threads.parallel_batches``;
  bit for bit the one-thread result);
* from dz on, it is the convolution's backward pass (``conv.input_grad``, ``conv.weight_grads``).

The batch's mean and variance (of z, the bias included) are appended to ``stats`` for the
moving averages, as ``functional.normalization.batch_norm_train`` does.
"""
import numpy as np

from ..autograd import Function
from ..windows import pad_hw
from .conv import add_bias, im2col_product, input_grad, weight_grads
from .layout import channel_rows
from .normalization import channel_sum
from .pooling import max_pool
from .threads import parallel_batches


def per_channel(n, x, op, v):
    """``x = op(x, v)`` in place for a per-channel vector v and the channels-last x, on
    ``channel_rows``'s wide view of each range of the batch (``threads.parallel_batches``)."""
    def work(lo, hi):
        wide, r = channel_rows(x[lo:hi], x.shape[-1])
        op(wide, np.tile(v.reshape(-1), r), out=wide)
    parallel_batches(work, n, x.size)


def affine(x, scale, shift=None):
    """x * scale (+ shift) for per-channel vectors scale and shift, on ``channel_rows``'s wide
    view of the channels-last x (a new array of x's shape)."""
    wide, r = channel_rows(x, x.shape[-1])
    out = wide * np.tile(scale.reshape(-1), r)
    if shift is not None:
        out += np.tile(shift.reshape(-1), r)
    return out.reshape(x.shape)


class FastConvBatchNorm(Function):
    """p = [max_pool](relu?(gamma * x_hat + beta)), x_hat = batch-normalized conv2d(x, kernel) + bias.

    forward(x, kernel, [bias,] gamma, beta, strides, pads, dilation, epsilon, relu, pool, stats):
    ``pool`` is None or ((ph, pw), (sh, sw)), 'valid' max pooling. See the module docstring for
    the forward and backward formulas.
    """

    def forward(self, x, kernel, *params, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1),
                epsilon=1e-3, relu=True, pool=None, stats=None):
        bias, gamma, beta = params if len(params) == 3 else (None,) + params
        cout = kernel.shape[3]
        xp = pad_hw(x, pads)
        z, cols, taps_major = im2col_product(xp, kernel, bias, strides, dilation)
        n = x.shape[0]
        ho = (xp.shape[1] - (kernel.shape[0] - 1) * dilation[0] - 1) // strides[0] + 1
        wo = (xp.shape[2] - (kernel.shape[1] - 1) * dilation[1] - 1) // strides[1] + 1
        if bias is not None and not taps_major:
            parallel_batches(lambda lo, hi: add_bias(z[lo * ho * wo:hi * ho * wo], bias), n, z.size)
        m = z.shape[0]
        bshape = (1, cout)
        x_hat = z.reshape(n, ho, wo, cout)          # z itself, centered and scaled in place
        mean = channel_sum(np, (0,), bshape, z) / m
        per_channel(n, x_hat, np.subtract, mean)
        var = channel_sum(np, (0,), bshape, z, z) / m
        inv_std = 1.0 / np.sqrt(var + z.dtype.type(epsilon))
        per_channel(n, x_hat, np.multiply, inv_std)
        if stats is not None:
            stats.extend((mean.reshape(-1), var.reshape(-1)))
        index = taps = x_max = None
        if pool is not None and np.all(gamma > 0):
            # y = gamma x_hat + beta grows with x_hat (and so does its rounding): the pooling
            # of x_hat gives the pooled y's windows' maxima, and x_hat there (for dgamma)
            x_max, index, taps = max_pool(x_hat, pool[0], pool[1], with_index=bool(self.needs_grad))
            out = affine(x_max, gamma, beta)
        elif pool is not None:                 # a gamma <= 0: the maxima of y itself
            out, index, taps = max_pool(affine(x_hat, gamma, beta), pool[0], pool[1],
                                        with_index=bool(self.needs_grad))
        else:
            out = affine(x_hat, gamma, beta)
        if relu:                               # after the pooling (it commutes with the maximum)
            parallel_batches(lambda lo, hi: np.maximum(out[lo:hi], 0, out=out[lo:hi]), n, out.size)
        if not self.needs_grad:
            return out
        self.out = out if relu else None
        self.x_hat, self.x_max, self.a = x_hat, x_max, gamma * inv_std
        self.index, self.taps = index, taps
        self.cols, self.taps_major, self.kernel, self.x_dtype = cols, taps_major, kernel, x.dtype
        self.xp_shape, self.geometry, self.has_bias = xp.shape, (strides, dilation, pads), bias is not None
        return out

    def backward(self, g):
        n, ho, wo, cout = self.x_hat.shape
        m = n * ho * wo
        x_hat, a = self.x_hat, self.a.reshape(-1)
        if self.out is not None:                                     # the ReLU's mask: g (p > 0)
            g = g * (self.out > 0)
        g = np.ascontiguousarray(g)
        reduce, bshape = tuple(range(g.ndim - 1)), (1, cout)
        dbeta = channel_sum(np, reduce, bshape, g).reshape(-1)
        if self.taps is None:
            dgamma = channel_sum(np, reduce, bshape, g, x_hat).reshape(-1)
        elif self.x_max is not None:                                 # x_hat at the maxima, kept
            dgamma = channel_sum(np, reduce, bshape, g, self.x_max).reshape(-1)
        else:                                # g times x_hat at each window's maximum, tap by tap
            hit = np.empty(g.shape, dtype=bool)
            dgamma = 0
            for t, where in enumerate(self.taps):
                np.equal(self.index, t, out=hit)
                dgamma = dgamma + np.einsum("ijkl,ijkl->l", g * hit, x_hat[where])
        ag = affine(g, a)                                            # a dy = a g at the maxima
        dz = np.empty(x_hat.shape, dtype=x_hat.dtype)
        slope, shift = -a * (dgamma / m), a * (dbeta / m)
        taps, index = self.taps, self.index

        def gradient(lo, hi):                # dz = a (dy - dbeta/m - x_hat dgamma/m), samples lo:hi
            wide, r = channel_rows(x_hat[lo:hi], cout)
            part = dz[lo:hi].reshape(wide.shape)
            np.multiply(wide, np.tile(slope, r), out=part)
            part -= np.tile(shift, r)
            if taps is None:
                dz[lo:hi] += ag[lo:hi]
                return
            hit, share = np.empty(ag[lo:hi].shape, dtype=bool), np.empty(ag[lo:hi].shape, dtype=ag.dtype)
            for t, where in enumerate(taps):
                np.equal(index[lo:hi], t, out=hit)
                np.multiply(ag[lo:hi], hit, out=share)
                target = dz[lo:hi][where]
                target += share
        parallel_batches(gradient, n, dz.size)
        g2 = dz.reshape(m, cout)
        strides, dilation, pads = self.geometry
        need = self.needs_grad
        dx = None
        if need[0]:
            dx = input_grad(g2, self.kernel, self.xp_shape, self.x_dtype, (ho, wo), strides, dilation, pads)
        dkernel, dbias = weight_grads(g2, self.cols, self.kernel.shape, self.taps_major, need[1],
                                      self.has_bias and need[2])
        dgamma = dgamma if need[-2] else None
        dbeta = dbeta if need[-1] else None
        if self.has_bias:
            return dx, dkernel, dbias, dgamma, dbeta
        return dx, dkernel, dgamma, dbeta
