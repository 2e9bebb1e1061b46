"""Reductions over axes (sum, mean, var, max, min): the gradient is spread back over the reduced axes."""
import builtins

from ..autograd import Function
from .constants import axis_tuple, expand_reduced, lift


class Sum(Function):
    """out = sum of x over ``axis``;  dx = g copied back to every summed element."""
    def forward(self, x, axis, keepdims):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(self, g):
        return expand_reduced(g, self.shape, self.axis, self.keepdims)


class Mean(Function):
    """out = mean of x over ``axis`` (N elements each);  dx = g / N for every element."""
    def forward(self, x, axis, keepdims):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        out = x.mean(axis=axis, keepdims=keepdims)
        self.n = x.size // builtins.max(out.size, 1) if x.size else 1
        return out

    def backward(self, g):
        return expand_reduced(g / self.n, self.shape, self.axis, self.keepdims)


class Var(Function):
    """out = mean((x - mean(x))^2) over ``axis`` (population variance, as NumPy's ddof=0);
    dx = g * 2 (x - mean(x)) / N."""
    def forward(self, x, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims
        self.centered = x - x.mean(axis=axis, keepdims=True)
        out = (self.centered * self.centered).mean(axis=axis, keepdims=keepdims)
        self.n = x.size // builtins.max(out.size, 1) if x.size else 1
        return out

    def backward(self, g):
        g = expand_reduced(g, self.centered.shape, self.axis, self.keepdims)
        return g * self.centered * (2.0 / self.n)


class Max(Function):
    """out = max of x over ``axis``;  dx = g at the maximum (shared equally between ties,
    as PyTorch's amax), 0 elsewhere."""
    reduce = "max"

    def forward(self, x, axis, keepdims):
        if x.size == 0:
            raise ValueError(f"{self.reduce}() of an empty tensor")
        self.x, self.axis = x, axis
        self.out = getattr(x, self.reduce)(axis=axis, keepdims=True)
        if keepdims:
            return self.out
        return self.out.reshape(()) if axis is None else self.out.squeeze(axis)

    def backward(self, g):
        hit = self.x == self.out
        count = hit.sum(axis=self.axis, keepdims=True)
        return self.xp.where(hit, g.reshape(self.out.shape) / count, 0)


class Min(Max):
    """out = min of x over ``axis``;  dx = g at the minimum (shared equally between ties)."""
    reduce = "min"




def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (int, tuple or None for all)."""
    return Sum.apply(lift(x), axis=axis_tuple(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    return Mean.apply(lift(x), axis=axis_tuple(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance over ``axis`` (divides by N, as ``numpy.var``)."""
    return Var.apply(lift(x), axis=axis_tuple(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis``."""
    return Max.apply(lift(x), axis=axis_tuple(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    return Min.apply(lift(x), axis=axis_tuple(axis), keepdims=keepdims)
