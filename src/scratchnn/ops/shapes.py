"""Moving values around: reshape, transpose, broadcast, indexing, concatenate, stack, split, pad.

None of these computes anything: each backward puts the gradient back where the values came from.
Each ``backward_graph`` (second derivatives) does the same with Tensor operations.
"""
import builtins
import numbers

import numpy as np

from ..autograd import Function, Tensor
from .constants import axis_tuple, lift


class Reshape(Function):
    """out = x with a new shape (same elements in the same order);  dx = g reshaped back."""
    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)

    backward_graph = backward            # Tensor.reshape is this op again


class Transpose(Function):
    """out = x with its axes permuted;  dx = g with the inverse permutation."""
    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, g):
        return g.transpose(None if self.axes is None else np.argsort(self.axes))

    def backward_graph(self, g):
        return transpose(g, None if self.axes is None else tuple(np.argsort(self.axes).tolist()))


class BroadcastTo(Function):
    """out = x repeated along broadcast axes;  dx = g summed over them (done by the engine)."""
    def forward(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def backward(self, g):
        return g

    backward_graph = backward


def _is_basic_index(index):
    """True if ``x[index]`` is basic indexing (slices, ints, None, ...): no element repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral))
               or (isinstance(i, np.ndarray) and i.dtype == bool) for i in items)


class GetItem(Function):
    """out = x[index];  dx = zeros with g scattered back to the indexed positions.

    With integer-array indexing an element may be picked several times
    (``x[[0, 0, 1]]``): its gradients are *added* (``np.add.at``), not overwritten.
    """
    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, g):
        return scatter(self.xp, g, self.shape, self.dtype, self.index)

    def backward_graph(self, g):
        return Scatter.apply(g, shape=self.shape, index=self.index)


def scatter(xp, g, shape, dtype, index):
    """Zeros of ``shape`` with ``g`` added at ``[index]`` (repeated indices add up)."""
    out = xp.zeros(shape, dtype=dtype)
    if _is_basic_index(index):
        out[index] = g
    else:
        xp.add.at(out, index, g)
    return out


class Scatter(Function):
    """out = zeros of ``shape`` with g added at ``[index]``: ``x[index]``'s backward as an op, so
    that it can be differentiated again;  dg = gout[index]."""
    def forward(self, g, shape, index):
        self.index = index
        return scatter(self.xp, g, shape, g.dtype, index)

    def backward(self, g):
        return g[self.index]

    def backward_graph(self, g):
        return GetItem.apply(g, index=self.index)


class Concatenate(Function):
    """out = the inputs joined along ``axis``;  each input gets its slice of g."""
    def forward(self, *arrays, axis):
        self.axis = axis
        self.offsets = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return self.xp.concatenate(arrays, axis=axis)

    def backward(self, g):
        return tuple(self.xp.split(g, self.offsets, axis=self.axis))

    def backward_graph(self, g):
        bounds = [0, *self.offsets.tolist(), g.shape[self.axis]]
        lead = (slice(None),) * (self.axis % g.ndim)
        return tuple(g[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:]))


class Stack(Function):
    """out = the inputs stacked along a new ``axis``;  input i gets g[..., i, ...]."""
    def forward(self, *arrays, axis):
        self.axis = axis
        return self.xp.stack(arrays, axis=axis)

    def backward(self, g):
        n = g.shape[self.axis]
        return tuple(part.squeeze(self.axis) for part in self.xp.split(g, n, axis=self.axis))

    def backward_graph(self, g):
        lead = (slice(None),) * (self.axis % g.ndim)
        return tuple(g[lead + (i,)] for i in range(g.shape[self.axis]))


class Pad(Function):
    """out = x surrounded by a constant;  dx = the centre of g (the pad gets no gradient)."""
    def forward(self, x, pad_width, value):
        self.window = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return self.xp.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, g):
        return g[self.window]

    backward_graph = backward            # Tensor indexing is GetItem


def reshape(x, shape):
    """The same elements in a new shape (one entry may be -1)."""
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    return Reshape.apply(lift(x), shape=shape)


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    x = lift(x)
    if axes is not None:
        axes = tuple(int(a) % builtins.max(x.ndim, 1) for a in axes)   # -1 -> ndim-1: invertible
    return Transpose.apply(x, axes=axes)


permute = transpose


def flatten(x, start_axis=0):
    """Merge the axes from ``start_axis`` on into one (``start_axis=1`` keeps the batch axis)."""
    x = lift(x)
    return reshape(x, x.shape[:start_axis] + (-1,))


def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or those named)."""
    x = lift(x)
    try:
        shape = x.data.squeeze(axis=axis_tuple(axis)).shape
    except ValueError as err:
        raise ValueError(f"squeeze: cannot squeeze axis {axis} of shape {x.shape}: {err}") from None
    return reshape(x, shape)


def expand_dims(x, axis):
    """Insert a new axis of length 1 at ``axis``."""
    x = lift(x)
    return reshape(x, np.expand_dims(x.data, axis_tuple(axis)).shape)


unsqueeze = expand_dims


def broadcast_to(x, shape):
    """Repeat ``x`` along axes of length 1 (and new leading axes) to ``shape``."""
    return BroadcastTo.apply(lift(x), shape=tuple(shape))


def getitem(x, index):
    """``x[index]``: basic slicing, integer-array and boolean-mask indexing."""
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, list):
        index = np.asarray(index)
    return GetItem.apply(x, index=index)


def _tensors(seq, name):
    seq = list(seq)
    if not seq:
        raise ValueError(f"{name}: needs at least one tensor")
    like = next((t for t in seq if isinstance(t, Tensor)), None)
    return [lift(t, like) for t in seq]


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis."""
    return Concatenate.apply(*_tensors(tensors, "concatenate"), axis=axis)


def stack(tensors, axis=0):
    """Join tensors of equal shape along a new axis."""
    return Stack.apply(*_tensors(tensors, "stack"), axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into a list of tensors, like ``numpy.split`` (each part backpropagates)."""
    x = lift(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(f"split: axis {axis} of length {n} cannot be split into "
                             f"{indices_or_sections} equal parts")
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    lead = (slice(None),) * (axis % x.ndim)
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def pad(x, pad_width, constant_values=0):
    """Pad with a constant: ``pad_width`` as in ``numpy.pad`` (int, (before, after) or one pair per axis)."""
    x = lift(x)
    width = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if (width < 0).any():
        raise ValueError(f"pad: pad widths must be >= 0, got {pad_width}")
    return Pad.apply(x, pad_width=tuple(map(tuple, width.tolist())), value=constant_values)
