"""Inputs of the metrics as NumPy arrays: ``as_array`` (a Tensor or array-like to an ndarray) and
``match_ranks`` (line up ``(N,)`` labels with ``(N, 1)`` predictions, as Keras does).

The lowest module of ``scratchnn.metrics``: the base class, the per-sample functions and the
whole-array scores all read their inputs through these two.
"""
import numpy as np

from ..autograd import Tensor


def as_array(x, dtype=None):
    """``x`` (array-like or scratchnn Tensor) as an ndarray, cast to ``dtype`` if given."""
    if isinstance(x, Tensor):
        x = x.data
    return np.asarray(x, dtype=dtype)


def match_ranks(a, b, expand_rank_1=True):
    """Line up the ranks of ``a`` and ``b`` when they differ by one trailing axis of length 1.

    The higher-rank array loses that axis, except that a 1-D partner of a ``(N, 1)``
    array gains one instead (when ``expand_rank_1``).  Arrays whose ranks differ in
    any other way are returned unchanged (Keras's ``squeeze_or_expand_to_same_rank``).
    """
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        if b.ndim == 1 and expand_rank_1:
            b = b[:, None]
        else:
            a = a[..., 0]
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        if a.ndim == 1 and expand_rank_1:
            a = a[:, None]
        else:
            b = b[..., 0]
    return a, b
