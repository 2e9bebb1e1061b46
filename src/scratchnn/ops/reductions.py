"""Reductions over axes (sum, mean, var, max, min, prod) and the running sum (cumsum): the gradient
is spread back over the reduced axes. Each ``backward_graph`` (second derivatives) does it with
Tensor operations (``expand_reduced_graph``); ``prod`` has none."""
import builtins

import numpy as np

from ..autograd import Function
from .constants import axis_tuple, expand_reduced, lift
from .elementwise import where
from .shapes import broadcast_to, reshape


def expand_reduced_graph(g, shape, axis, keepdims):
    """``expand_reduced`` for a Tensor ``g``: re-insert the reduced axes, broadcast to ``shape``."""
    if not keepdims and axis is not None:
        g = reshape(g, np.expand_dims(g.data, axis).shape)
    return broadcast_to(g, shape)


class Sum(Function):
    """out = sum of x over ``axis``;  dx = g copied back to every summed element."""
    def forward(self, x, axis, keepdims):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(self, g):
        return expand_reduced(g, self.shape, self.axis, self.keepdims)

    def backward_graph(self, g):
        return expand_reduced_graph(g, self.shape, self.axis, self.keepdims)


class Mean(Function):
    """out = mean of x over ``axis`` (N elements each);  dx = g / N for every element."""
    def forward(self, x, axis, keepdims):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        out = x.mean(axis=axis, keepdims=keepdims)
        self.n = x.size // builtins.max(out.size, 1) if x.size else 1
        return out

    def backward(self, g):
        return expand_reduced(g / self.n, self.shape, self.axis, self.keepdims)

    def backward_graph(self, g):
        return expand_reduced_graph(g / self.n, self.shape, self.axis, self.keepdims)


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

    def backward_graph(self, g):
        x = self.inputs[0]
        g = expand_reduced_graph(g, x.shape, self.axis, self.keepdims)
        return g * (x - mean(x, self.axis, keepdims=True)) * (2.0 / self.n)


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

    def backward_graph(self, g):
        hit = self.x == self.out          # where the extreme is: a constant mask
        count = hit.sum(axis=self.axis, keepdims=True).astype(self.x.dtype)
        return where(hit, g.reshape(self.out.shape) / count, 0.0)


class Min(Max):
    """out = min of x over ``axis``;  dx = g at the minimum (shared equally between ties)."""
    reduce = "min"


class Prod(Function):
    """out = product of x over ``axis``;  dx_i = g * (product of the other elements).

    The product of the others is (product of those before i) * (product of those after i), two
    running products: no division by x_i, so a zero in x is no problem (as PyTorch's prod).
    """
    def forward(self, x, axis, keepdims):
        self.x, self.axis, self.keepdims = x, axis, keepdims
        return x.prod(axis=axis, keepdims=keepdims)

    def backward(self, g):
        xp, x = self.xp, self.x
        axes = range(x.ndim) if self.axis is None else np.atleast_1d(self.axis) % builtins.max(x.ndim, 1)
        reduced = sorted(set(int(a) for a in axes))
        order = [a for a in range(x.ndim) if a not in reduced] + reduced
        moved = x.transpose(order)                        # the reduced axes last, then as one axis
        flat = moved.reshape(moved.shape[:x.ndim - len(reduced)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (before * after).reshape(moved.shape).transpose(np.argsort(order))
        return expand_reduced(g, x.shape, self.axis, self.keepdims) * others


class CumSum(Function):
    """out_i = x_0 + ... + x_i along ``axis``;  dx_i = g_i + ... + g_last (a running sum of g from
    the end: each x_i appears in every out_j with j >= i)."""
    def forward(self, x, axis):
        self.axis = axis
        return x.cumsum(axis=axis)

    def backward(self, g):
        xp, axis = self.xp, self.axis
        return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)

    def backward_graph(self, g):
        flip = (slice(None),) * (self.axis % g.ndim) + (slice(None, None, -1),)
        return cumsum(g[flip], self.axis)[flip]


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


def prod(x, axis=None, keepdims=False):
    """Product over ``axis`` (int, tuple or None for all)."""
    return Prod.apply(lift(x), axis=axis_tuple(axis), keepdims=keepdims)


def cumsum(x, axis=None):
    """Running sum along ``axis``; ``axis=None`` runs over the flattened tensor (as NumPy)."""
    x = lift(x)
    if axis is None:
        return CumSum.apply(x.reshape(-1), axis=0)
    if not -x.ndim <= axis < builtins.max(x.ndim, 1):
        raise ValueError(f"cumsum: axis {axis} is out of range for a tensor of shape {x.shape}")
    return CumSum.apply(x, axis=int(axis))
