"""``keras.ops`` math and linear algebra: ``top_k``, ``logsumexp``, ``erf``, ``rsqrt``, ``norm``."""
import numpy as np

from ... import functional as F
from .core import constant_tensor, convert_to_tensor
from .numpy import take_along_axis

__all__ = ["top_k", "logsumexp", "erf", "rsqrt", "norm"]

erf = F.erf


def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis and their indices (int32): ``(values,
    indices)``, largest first (``sorted`` is accepted; the values always come sorted). The
    values are differentiable (the gradient goes back to the chosen elements)."""
    x = convert_to_tensor(x)
    if not 0 < k <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [1, {x.shape[-1]}] (the last axis of shape {x.shape}), "
                         f"got {k}")
    indices = np.argsort(-x.data, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, indices, -1), constant_tensor(indices.astype(np.int32))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, computed as m + log(sum(exp(x - m))) with m the maximum
    (no overflow); its gradient is softmax(x)."""
    x = convert_to_tensor(x)
    m = np.max(x.data, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    out = F.log(F.sum(F.exp(x - m), axis, keepdims=True)) + m
    if keepdims:
        return out
    return F.reshape(out, np.squeeze(m, axis=axis).shape if axis is not None else ())


def rsqrt(x):
    """1 / sqrt(x)."""
    return 1.0 / F.sqrt(x)


def norm(x, ord=None, axis=None, keepdims=False):
    """A vector norm (``axis`` an int, or ``x`` 1-D) or a matrix norm (``axis`` a pair, or ``x``
    2-D): ``ord`` None (2 for vectors, Frobenius for matrices), 1, 2, inf, -inf, 0 or any p
    for vectors; None/'fro', 1, inf, -1, -inf for matrices. Differentiable, except at 0."""
    x = convert_to_tensor(x)
    if axis is None:
        if ord is None:
            out = F.sqrt(F.sum(x * x))
            return F.reshape(out, (1,) * x.ndim) if keepdims else out
        axis = tuple(range(x.ndim))
    axes = tuple(np.atleast_1d(axis).tolist())
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must be an int or a pair of axes, got {axis!r}")


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return F.sqrt(F.sum(x * x, axis, keepdims))
    if ord == np.inf:
        return F.max(F.abs(x), axis, keepdims)
    if ord == -np.inf:
        return F.min(F.abs(x), axis, keepdims)
    if ord == 0:
        return constant_tensor(np.sum(x.data != 0, axis=axis, keepdims=keepdims).astype(x.dtype))
    if ord == 1:
        return F.sum(F.abs(x), axis, keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: ord {ord!r} is a matrix norm; give two axes")
    return F.sum(F.abs(x) ** float(ord), axis, keepdims) ** (1.0 / ord)


def _matrix_norm(x, ord, axes, keepdims):
    rows, cols = (a % x.ndim for a in axes)
    if ord in (None, "fro"):
        return F.sqrt(F.sum(x * x, axes, keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        summed_axis, other = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = F.sum(F.abs(x), summed_axis, keepdims=True)
        pick = F.max if ord in (1, np.inf) else F.min
        out = pick(sums, other, keepdims=True)
        return out if keepdims else F.squeeze(out, (rows, cols))
    raise ValueError(f"norm: matrix norm ord={ord!r} is not available in scratchnn (it needs singular "
                     "values); use None/'fro', 1, -1, inf or -inf")
