"""``keras.ops``: more of NumPy's functions (stacking, differences, weighted means, diagonals,
remainders, grids), differentiable where Keras's are."""
import builtins

import numpy as np

from ... import ops as P
from .core import along_axis, constant_tensor, convert_to_tensor, values_only
from .numpy import moveaxis

__all__ = ["hstack", "vstack", "append", "diff", "average", "trace", "diag", "mod", "floor_divide",
           "isclose", "nonzero", "meshgrid"]


def hstack(xs):
    """The tensors joined along axis 1 (axis 0 for 1-D ones), as ``numpy.hstack``."""
    xs = [convert_to_tensor(x) for x in xs]
    return P.concatenate(xs, 0 if xs[0].ndim == 1 else 1)


def vstack(xs):
    """The tensors joined along axis 0 (1-D ones as rows), as ``numpy.vstack``."""
    xs = [convert_to_tensor(x) for x in xs]
    return P.concatenate([P.reshape(x, (1, -1)) if x.ndim == 1 else x for x in xs], 0)


def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when None)."""
    if axis is None:
        return P.concatenate([P.reshape(x1, -1), P.reshape(x2, -1)], 0)
    return P.concatenate([x1, x2], axis)


def diff(a, n=1, axis=-1):
    """The ``n``-th difference along ``axis``: out[i] = a[i + 1] - a[i], ``n`` times."""
    a = convert_to_tensor(a)
    for _ in builtins.range(n):
        length = a.shape[axis]
        a = along_axis(a, axis, slice(1, length)) - along_axis(a, axis, slice(0, length - 1))
    return a


def average(x, axis=None, weights=None):
    """The mean over ``axis``, weighted by ``weights`` (of x's shape, or 1-D along ``axis``)."""
    x = convert_to_tensor(x)
    if weights is None:
        return P.mean(x, axis)
    w = convert_to_tensor(weights)
    if w.ndim == 1 and x.ndim > 1 and axis is not None:
        w = P.reshape(w, [-1 if a == axis % x.ndim else 1 for a in builtins.range(x.ndim)])
    return P.sum(x * w, axis) / P.sum(P.broadcast_to(w, x.shape), axis)


def diag(x, k=0):
    """A 1-D ``x`` as a square matrix with ``x`` on diagonal ``k``; a 2-D ``x``: its diagonal ``k``."""
    x = convert_to_tensor(x)
    if x.ndim == 1:
        placed = P.reshape(x, (-1, 1)) * np.eye(x.shape[0], dtype=x.dtype)     # x on the main diagonal
        shift = builtins.abs(k)
        return P.pad(placed, ((0, shift), (shift, 0)) if k >= 0 else ((shift, 0), (0, shift)))
    if x.ndim == 2:
        rows = np.arange(builtins.max(0, -k), builtins.min(x.shape[0], x.shape[1] - k))
        return x[rows, rows + k]
    raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of diagonal ``offset`` of ``x`` (over ``axis1``, ``axis2``)."""
    x = moveaxis(convert_to_tensor(x), [axis1, axis2], [-2, -1])
    n, m = x.shape[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return P.sum(x[..., rows, rows + offset], -1)


mod = values_only(np.mod)
floor_divide = values_only(np.floor_divide)
mod.__doc__ = "The remainder of x1 / x2 (the sign of x2, as NumPy); no gradient."
floor_divide.__doc__ = "floor(x1 / x2); no gradient."


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise |x1 - x2| <= atol + rtol |x2|: booleans, no gradient."""
    a, b = convert_to_tensor(x1).data, convert_to_tensor(x2).data
    return constant_tensor(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def nonzero(x):
    """The indices of the non-zero elements, one int32 tensor per axis."""
    return tuple(constant_tensor(i.astype(np.int32)) for i in np.nonzero(convert_to_tensor(x).data))


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors, as ``numpy.meshgrid`` (no gradient)."""
    axes = [convert_to_tensor(v).data for v in x]
    return [constant_tensor(g) for g in np.meshgrid(*axes, indexing=indexing)]
