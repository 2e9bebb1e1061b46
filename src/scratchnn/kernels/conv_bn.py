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
        y = x_hat * tiled(gamma)
        y += tiled(beta)
        if stats is not None:
            stats.extend((mean.reshape(-1), var.reshape(-1)))
        y = y.reshape(n, ho, wo, cout)
        index = taps = None
        if pool is not None:                   # the pooling first, then the ReLU on its output
            out, index, taps = max_pool(y, pool[0], pool[1], with_index=bool(self.needs_grad))
            del y
        else:
            out = y
        if relu:
            parallel_batches(lambda lo, hi: np.maximum(out[lo:hi], 0, out=out[lo:hi]), n, out.size)
        if not self.needs_grad:
            return out
        self.out = out if relu else None
        self.x_hat, self.a = x_hat.reshape(n, ho, wo, cout), gamma * inv_std
        self.index, self.taps = index, taps
        self.cols, self.taps_major, self.kernel, self.x_dtype = cols, taps_major, kernel, x.dtype
        self.xp_shape, self.geometry, self.has_bias = xp.shape, (strides, dilation, pads), bias is not None
        return out

    def backward(self, g):
        n, ho, wo, cout = self.x_hat.shape
        m = n * ho * wo
        x_hat = self.x_hat
        if self.out is not None:                                     # the ReLU's mask: g (p > 0)
            g = g * (self.out > 0)
        g = np.ascontiguousarray(g)
        reduce, bshape = tuple(range(g.ndim - 1)), (1, cout)
        dbeta = channel_sum(np, reduce, bshape, g).reshape(-1)
        if self.taps is not None:            # g at each window's maximum: one array per tap
            shares = [g * (self.index == t) for t in range(len(self.taps))]
            dgamma = sum(np.einsum("ijkl,ijkl->l", share, x_hat[where])
                         for share, where in zip(shares, self.taps))
        else:
            dgamma = channel_sum(np, reduce, bshape, g, x_hat).reshape(-1)
        wide, r = channel_rows(x_hat, cout)
        dz = wide * np.tile(-dgamma / m, r)                          # dz = dy - dbeta/m - x_hat dgamma/m
        dz -= np.tile(dbeta / m, r)
        dz4 = dz.reshape(n, ho, wo, cout)
        if self.taps is not None:
            for share, where in zip(shares, self.taps):
                target = dz4[where]
                target += share
        else:
            dz4 += g
        dz *= np.tile(self.a.reshape(-1), r)                         # ... times a = gamma s
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
