"""Numbers, lists and arrays as constant tensors, so that every op also takes them.

A constant meets a tensor with the tensor's floating-point dtype (``x32 * 0.5`` stays float32);
alone, a float becomes float32 (``DEFAULT_FLOAT``).
"""
import numpy as np

from ..autograd import Tensor
from ..backend import DEFAULT_FLOAT, array_module


def lift(value, like=None):
    """A constant (number, list, ndarray) as a tensor; floats follow ``like``'s float dtype."""
    if isinstance(value, Tensor):
        return value
    xp = array_module(like.data) if like is not None else np
    arr = xp.asarray(value)
    if like is not None and like.data.dtype.kind == "f":
        if arr.dtype != like.data.dtype and arr.dtype.kind in "biuf":
            arr = arr.astype(like.data.dtype)
    elif arr.dtype.kind == "f" and arr.dtype != DEFAULT_FLOAT:
        arr = arr.astype(DEFAULT_FLOAT)
    return Tensor.wrap(arr)


def operands(a, b):
    """Both operands of a binary op as tensors (numbers, lists and arrays lifted next to the other)."""
    if not isinstance(a, Tensor):
        a = lift(a, b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = lift(b, a)
    return a, b


def expand_reduced(g, shape, axis, keepdims):
    """Undo a reduction's shape change: re-insert reduced axes, broadcast to ``shape``."""
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def axis_tuple(axis):
    """An ``axis`` argument as NumPy takes it (a list of axes becomes a tuple)."""
    return tuple(axis) if isinstance(axis, list) else axis
