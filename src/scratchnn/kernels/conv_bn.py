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
  (``normalization.channel_sum``, on ``layout.channel_rows``'s wide rows);
* the ReLU comes after the pooling (it commutes with the maximum, see ``kernels/conv.py``): it
  and its gradient mask touch the pooled array only;
* backward, the gradient that reaches y is the pooled gradient g (masked by p > 0) at each
  window's maximum, 0 elsewhere. So the sums batch normalization's backward pass needs are sums
  over the pooled array only:

      dbeta = sum(g),   dgamma = sum(g * x_hat at the maxima),

  and the gradient of z (``functional/normalization.py`` derives it), with a = gamma s,

      dz = a (dy - dbeta / m - x_hat dgamma / m)
         = -(a dgamma / m) x_hat - a dbeta / m   everywhere,   + a g at the maxima:

  two passes over the full-size array and one strided addition per pooling tap, instead of the
  pooling's, the ReLU's and the normalization's full-size gradients one after the other;
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
        wide, r = channel_rows(z, cout)

        def tiled(v):
            return np.tile(v.reshape(-1), r)
        mean = channel_sum(np, (0,), bshape, z) / m
        x_hat = wide - tiled(mean)                                   # centered, then scaled
        centered = x_hat.reshape(m, cout)
        var = channel_sum(np, (0,), bshape, centered, centered) / m
        inv_std = 1.0 / np.sqrt(var + z.dtype.type(epsilon))
        x_hat *= tiled(inv_std)
        if stats is not None:
            stats.extend((mean.reshape(-1), var.reshape(-1)))
        x_hat = x_hat.reshape(n, ho, wo, cout)
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
        wide, r = channel_rows(x_hat, cout)                          # dz = a (dy - dbeta/m - x_hat dgamma/m)
        dz = wide * np.tile(-a * (dgamma / m), r)
        dz -= np.tile(a * (dbeta / m), r)
        dz4 = dz.reshape(n, ho, wo, cout)
        ag = affine(g, a)                                            # + a dy: a g at the maxima
        if self.taps is not None:
            hit, share = np.empty(g.shape, dtype=bool), np.empty(g.shape, dtype=g.dtype)
            for t, where in enumerate(self.taps):
                np.equal(self.index, t, out=hit)
                np.multiply(ag, hit, out=share)
                target = dz4[where]
                target += share
        else:
            dz4 += ag
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
