"""Neural-network building blocks as functions: the fully connected layer and dropout."""
import numpy as np

from ..autograd import Function, Tensor
from ..backend import fast_kernels_enabled
from ..kernels import linear as fast
from ..ops import lift, mul
from ..random import generator


class Dense(Function):
    """y = x W + b (the fully connected layer, one op instead of a matmul and an add).

    x: (..., n_in), W: (n_in, n_out), b: (n_out,).  With g = dL/dy:
        dx = g W^T,   dW = x^T g (summed over all leading axes),   db = sum of g over leading axes.

    (``kernels/linear.py`` computes the same with the leading axes merged into one: one matrix
    product per step instead of one per sample.)
    """
    def forward(self, x, kernel, bias=None):
        self.x, self.kernel = x, kernel
        if x.ndim > 2 and fast_kernels_enabled():
            return fast.dense_forward(x, kernel, bias)
        y = x @ kernel
        if bias is not None:
            y += bias
        return y

    def backward(self, g):
        x, kernel = self.x, self.kernel
        if x.ndim > 2 and fast_kernels_enabled():
            return fast.dense_backward(g, x, kernel, self.needs_grad)
        return self.grads(g, x, kernel)

    def backward_graph(self, g):
        """The same formulas on Tensors (second derivatives: a gradient penalty through Dense)."""
        return self.grads(g, *self.inputs[:2])

    def grads(self, g, x, kernel):
        """dx, dW (and db): the formulas above, for arrays or Tensors."""
        dx = g @ kernel.T if self.needs_grad[0] else None
        g2 = g.reshape(-1, g.shape[-1])
        dkernel = x.reshape(-1, x.shape[-1]).T @ g2 if self.needs_grad[1] else None
        if len(self.needs_grad) == 2:
            return dx, dkernel
        dbias = g2.sum(axis=0) if self.needs_grad[2] else None
        return dx, dkernel, dbias


def dense(x, kernel, bias=None):
    """Fully connected layer: ``x @ kernel + bias`` (kernel is (n_in, n_out), as in Keras)."""
    x = lift(x)
    kernel = lift(kernel, x)
    n_in = kernel.shape[0]
    if x.ndim == 0 or x.shape[-1] != n_in:
        raise ValueError(f"dense: input of shape {x.shape} does not match a kernel of shape "
                         f"{kernel.shape}: the input's last axis must be {n_in}")
    if bias is None:
        return Dense.apply(x, kernel)
    return Dense.apply(x, kernel, lift(bias, x))


def dropout(x, rate, training=True, rng=None, noise_shape=None):
    """Inverted dropout: in training, each value is zeroed with probability ``rate`` and the
    survivors are scaled by 1 / (1 - rate), so the expected value is unchanged and nothing
    needs rescaling at inference.  y = x * m / (1 - rate), m ~ Bernoulli(1 - rate);
    dx = g * m / (1 - rate).  Outside training (or with rate 0) it returns x unchanged.
    ``noise_shape`` (Keras): the mask's shape, broadcast over x; an axis of size 1 shares
    one mask value along it (None entries take x's size).
    """
    x = lift(x)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    if not training or rate == 0:
        return x
    shape = x.shape
    if noise_shape is not None:
        if len(noise_shape) != x.ndim:
            raise ValueError(f"dropout: noise_shape {tuple(noise_shape)} must have one entry per axis "
                             f"of the input, whose shape is {x.shape}")
        shape = tuple(n if d is None else int(d) for n, d in zip(x.shape, noise_shape))
    dtype = x.dtype if x.dtype.kind == "f" else np.float32
    return mul(x, Tensor.wrap(dropout_mask(shape, rate, dtype, rng)))


def dropout_mask(shape, rate, dtype, rng=None):
    """Inverted dropout's multiplier m / (1 - rate), m ~ Bernoulli(1 - rate), of ``shape``: what
    ``dropout`` multiplies by (ops that drop out inside, such as attention, draw it the same way)."""
    rng = rng if rng is not None else generator()
    dtype = np.dtype(dtype)
    keep = rng.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= rate
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - rate))
