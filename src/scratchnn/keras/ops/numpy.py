"""``keras.ops`` NumPy-like functions, mapped onto ``scratchnn.ops`` (Keras 3's names, argument
names and defaults: ``sum(x, axis=None, keepdims=False)``, ``clip(x, x_min, x_max)``, ...).

The arithmetic, reductions, shape changes and indexing are differentiable; what has no
derivative (comparisons, ``argmax``, ``arange``, ``sign``, counts) returns a Tensor without a
graph, as Keras's do.
"""
import builtins
import numbers

import numpy as np

from ... import ops as P
from ...autograd import Tensor
from .core import along_axis, cast, constant_tensor, convert_to_tensor, standardize_dtype, values_only

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "power", "square", "sqrt",
    "reciprocal", "abs", "absolute", "sign", "exp", "expm1", "log", "log1p", "log2", "log10", "sin",
    "cos", "tan", "maximum", "minimum", "clip", "round", "floor", "ceil", "matmul", "dot", "outer", "einsum",
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "prod", "cumsum", "argmax", "argmin",
    "argsort", "sort", "all", "any", "count_nonzero", "equal", "not_equal", "greater", "greater_equal",
    "less", "less_equal", "logical_and", "logical_or", "logical_not", "logical_xor", "isnan",
    "isfinite", "isinf", "where", "arange", "linspace", "ones", "zeros", "full", "ones_like",
    "zeros_like", "full_like", "eye", "identity", "tril", "triu", "reshape", "ravel", "transpose",
    "swapaxes", "moveaxis", "expand_dims", "squeeze", "concatenate", "stack", "split", "broadcast_to",
    "flip", "repeat", "tile", "take", "take_along_axis", "pad",
]


def _t(x):
    return convert_to_tensor(x)


# ------------------------------------------------------------------ arithmetic
def add(x1, x2):
    """x1 + x2 (broadcasting)."""
    return P.add(x1, x2)


def subtract(x1, x2):
    """x1 - x2."""
    return P.sub(x1, x2)


def multiply(x1, x2):
    """x1 * x2."""
    return P.mul(x1, x2)


def divide(x1, x2):
    """x1 / x2 (true division)."""
    return P.div(x1, x2)


true_divide = divide


def negative(x):
    """-x."""
    return P.neg(x)


def power(x1, x2):
    """x1 ** x2."""
    return P.power(_t(x1) if not isinstance(x1, Tensor) and isinstance(x2, numbers.Real) else x1, x2)


def square(x):
    """x * x."""
    x = _t(x)
    return x * x


def sqrt(x):
    """The square root."""
    return P.sqrt(x)


def reciprocal(x):
    """1 / x."""
    return P.div(1.0, _t(x))


def abs(x):
    """|x|."""
    return P.abs(x)


absolute = abs


def sign(x):
    """-1, 0 or 1 (no gradient: the derivative is 0 almost everywhere)."""
    return constant_tensor(np.sign(_t(x).data))


def exp(x):
    """e^x."""
    return P.exp(x)


def expm1(x):
    """e^x - 1."""
    return P.exp(x) - 1


def log(x):
    """The natural logarithm."""
    return P.log(x)


def log1p(x):
    """ln(1 + x), accurate for tiny x."""
    return P.log1p(x)


def log2(x):
    """The base-2 logarithm."""
    return P.log(x) * (1 / np.log(2.0))


def log10(x):
    """The base-10 logarithm."""
    return P.log(x) * (1 / np.log(10.0))


def sin(x):
    """Sine (radians)."""
    return P.sin(x)


def cos(x):
    """Cosine (radians)."""
    return P.cos(x)


def tan(x):
    """Tangent: sin / cos."""
    return P.sin(x) / P.cos(x)


def maximum(x1, x2):
    """The elementwise maximum (a tie splits the gradient)."""
    return P.maximum(x1, x2)


def minimum(x1, x2):
    """The elementwise minimum."""
    return P.minimum(x1, x2)


def clip(x, x_min, x_max):
    """Values limited to [x_min, x_max]."""
    return P.clip(x, x_min, x_max)


round = values_only(np.round)
floor = values_only(np.floor)
ceil = values_only(np.ceil)
round.__doc__ = "Round to the nearest integer (halves to even); no gradient."
floor.__doc__ = "Round down; no gradient."
ceil.__doc__ = "Round up; no gradient."


def matmul(x1, x2):
    """The matrix product (leading axes are batch axes)."""
    return P.matmul(x1, x2)


def dot(x1, x2):
    """NumPy's dot: a product with a scalar, the inner product of vectors, the matrix product
    when the second operand has at most 2 axes."""
    x1, x2 = _t(x1), _t(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x2.ndim > 2:
        raise ValueError(f"dot: a second operand with {x2.ndim} axes (shape {x2.shape}) is not supported; "
                         "use matmul (batched) instead")
    return P.matmul(x1, x2)


def einsum(subscripts, *operands):
    """Einstein summation (``einsum("ij,jk->ik", a, b)`` is ``a @ b``); every axis named by a letter
    (no ``...``)."""
    return P.einsum(subscripts, *operands)


def outer(x1, x2):
    """The outer product of the flattened inputs: out[i, j] = x1[i] * x2[j]."""
    return P.reshape(x1, (-1, 1)) * P.reshape(x2, (1, -1))


# ------------------------------------------------------------------ reductions
def sum(x, axis=None, keepdims=False):
    """The sum over ``axis`` (None: all)."""
    return P.sum(x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean over ``axis``."""
    return P.mean(x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    """The variance (divided by N) over ``axis``."""
    return P.var(x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    """The standard deviation (divided by N) over ``axis``."""
    return P.sqrt(P.var(x, axis, keepdims))


def max(x, axis=None, keepdims=False, initial=None):
    """The maximum over ``axis`` (at least ``initial`` when given)."""
    out = P.max(x, axis, keepdims)
    return out if initial is None else P.maximum(out, initial)


def min(x, axis=None, keepdims=False, initial=None):
    """The minimum over ``axis`` (at most ``initial`` when given)."""
    out = P.min(x, axis, keepdims)
    return out if initial is None else P.minimum(out, initial)


amax, amin = max, min


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over ``axis``."""
    x = _t(x) if dtype is None else cast(x, dtype)
    return P.prod(x, axis, keepdims)


def cumsum(x, axis=None, dtype=None):
    """The running sum along ``axis`` (None: over the flattened tensor)."""
    x = _t(x) if dtype is None else cast(x, dtype)
    return P.cumsum(x, axis)


def _index_result(values, keepdims, axis):
    values = np.asarray(values)
    if keepdims and axis is not None:
        values = np.expand_dims(values, axis)
    return constant_tensor(values.astype(np.int32))


def argmax(x, axis=None, keepdims=False):
    """The index of the maximum (of the flattened tensor when ``axis`` is None), int32."""
    return _index_result(np.argmax(_t(x).data, axis=axis), keepdims, axis)


def argmin(x, axis=None, keepdims=False):
    """The index of the minimum, int32."""
    return _index_result(np.argmin(_t(x).data, axis=axis), keepdims, axis)


def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (int32)."""
    return constant_tensor(np.argsort(_t(x).data, axis=axis, kind="stable").astype(np.int32))


def sort(x, axis=-1):
    """``x`` sorted along ``axis``; the gradient goes back to where each value came from."""
    x = _t(x)
    return take_along_axis(x, np.argsort(x.data, axis=axis, kind="stable"), axis)


def all(x, axis=None, keepdims=False):
    """True where every element is non-zero."""
    return constant_tensor(np.all(_t(x).data, axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):
    """True where some element is non-zero."""
    return constant_tensor(np.any(_t(x).data, axis=axis, keepdims=keepdims))


def count_nonzero(x, axis=None):
    """How many elements are non-zero (int32)."""
    return constant_tensor(np.asarray(np.count_nonzero(_t(x).data, axis=axis), dtype=np.int32))


# ------------------------------------------------- comparisons and logic (no gradient)
def _compare(name):
    def op(x1, x2):
        return P.compare(x1 if isinstance(x1, Tensor) else _t(x1), x2, name)
    op.__name__, op.__doc__ = name, f"Elementwise {name.replace('_', ' ')}: booleans, no gradient."
    return op


equal, not_equal = _compare("equal"), _compare("not_equal")
greater, greater_equal = _compare("greater"), _compare("greater_equal")
less, less_equal = _compare("less"), _compare("less_equal")
logical_and, logical_or = values_only(np.logical_and), values_only(np.logical_or)
logical_xor = values_only(np.logical_xor)
logical_not, isnan = values_only(np.logical_not), values_only(np.isnan)
isfinite, isinf = values_only(np.isfinite), values_only(np.isinf)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` is true, else ``x2``; with neither, the indices of the true
    elements (one int tensor per axis)."""
    if x1 is None and x2 is None:
        cond = _t(condition).data
        return tuple(constant_tensor(i.astype(np.int32)) for i in np.nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither")
    return P.where(condition, x1, x2)


# ------------------------------------------------------------------ creation
def _float_default(values, dtype):
    dtype = standardize_dtype(dtype)
    values = np.asarray(values)
    if dtype is None and values.dtype.kind == "f":
        dtype = np.dtype(np.float32)
    return constant_tensor(values if dtype is None else values.astype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop) (``arange(n)``: 0 .. n-1); ints stay int32 as in
    Keras, floats become float32."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start, step=step)
    if dtype is None and values.dtype.kind in "iu":
        dtype = np.int32
    return _float_default(values, dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (float32)."""
    values = np.linspace(np.asarray(getattr(start, "data", start)), np.asarray(getattr(stop, "data", stop)),
                         num, endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        return _float_default(values[0], dtype), float(values[1])
    return _float_default(values, dtype)


def _shape(shape):
    return (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(n) for n in shape)


def ones(shape, dtype=None):
    """A tensor of ones (float32 unless ``dtype``)."""
    return constant_tensor(np.ones(_shape(shape), dtype=standardize_dtype(dtype) or np.float32))


def zeros(shape, dtype=None):
    """A tensor of zeros (float32 unless ``dtype``)."""
    return constant_tensor(np.zeros(_shape(shape), dtype=standardize_dtype(dtype) or np.float32))


def full(shape, fill_value, dtype=None):
    """A tensor filled with ``fill_value``."""
    return _float_default(np.full(_shape(shape), fill_value), dtype)


def ones_like(x, dtype=None):
    """Ones in the shape (and dtype) of ``x``."""
    return constant_tensor(np.ones_like(_t(x).data, dtype=standardize_dtype(dtype)))


def zeros_like(x, dtype=None):
    """Zeros in the shape (and dtype) of ``x``."""
    return constant_tensor(np.zeros_like(_t(x).data, dtype=standardize_dtype(dtype)))


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in the shape (and dtype) of ``x``."""
    return constant_tensor(np.full_like(_t(x).data, fill_value, dtype=standardize_dtype(dtype)))


def eye(N, M=None, k=0, dtype=None):
    """The identity matrix (ones on diagonal ``k``), float32."""
    return constant_tensor(np.eye(N, M, k, dtype=standardize_dtype(dtype) or np.float32))


def identity(n, dtype=None):
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def tril(x, k=0):
    """``x`` with the elements above diagonal ``k`` set to 0."""
    x = _t(x)
    return x * np.tril(np.ones(x.shape[-2:], dtype=x.dtype), k)


def triu(x, k=0):
    """``x`` with the elements below diagonal ``k`` set to 0."""
    x = _t(x)
    return x * np.triu(np.ones(x.shape[-2:], dtype=x.dtype), k)


# ------------------------------------------------------------------ shapes and indexing
def reshape(x, newshape):
    """The same elements in shape ``newshape`` (one entry may be -1)."""
    return P.reshape(x, newshape)


def ravel(x):
    """``x`` flattened to one axis."""
    return P.reshape(x, -1)


def transpose(x, axes=None):
    """The axes permuted (reversed when ``axes`` is None)."""
    return P.transpose(x, axes)


def swapaxes(x, axis1, axis2):
    """Axes ``axis1`` and ``axis2`` exchanged."""
    x = _t(x)
    order = list(range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return P.transpose(x, order)


def moveaxis(x, source, destination):
    """Axis ``source`` (an int or a list) moved to position ``destination``."""
    x = _t(x)
    src = [int(a) % x.ndim for a in np.atleast_1d(source)]
    dst = [int(a) % x.ndim for a in np.atleast_1d(destination)]
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return P.transpose(x, order)


def expand_dims(x, axis):
    """A new axis of length 1 at ``axis``."""
    return P.expand_dims(x, axis)


def squeeze(x, axis=None):
    """The axes of length 1 removed (all, or those named)."""
    return P.squeeze(x, axis)


def concatenate(xs, axis=0):
    """The tensors joined along an existing axis."""
    return P.concatenate(xs, axis)


def stack(x, axis=0):
    """The tensors stacked along a new axis."""
    return P.stack(x, axis)


def split(x, indices_or_sections, axis=0):
    """A list of parts, as ``numpy.split``."""
    return P.split(x, indices_or_sections, axis)


def broadcast_to(x, shape):
    """``x`` repeated along broadcast axes to ``shape``."""
    return P.broadcast_to(x, shape)


def flip(x, axis=None):
    """The order of the elements reversed along ``axis`` (all axes when None)."""
    x = _t(x)
    axes = range(x.ndim) if axis is None else np.atleast_1d(axis) % builtins.max(x.ndim, 1)
    index = [slice(None)] * x.ndim
    for a in axes:
        index[int(a)] = slice(None, None, -1)
    return x[tuple(index)]


def repeat(x, repeats, axis=None):
    """Each element repeated ``repeats`` times along ``axis`` (of the flattened tensor when None)."""
    x = _t(x)
    if axis is None:
        x, axis = P.reshape(x, -1), 0
    return along_axis(x, axis, np.repeat(np.arange(x.shape[axis]), repeats))


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis (as ``numpy.tile``)."""
    x = _t(x)
    reps = (int(repeats),) if isinstance(repeats, numbers.Integral) else tuple(int(r) for r in repeats)
    if len(reps) > x.ndim:
        x = P.reshape(x, (1,) * (len(reps) - x.ndim) + x.shape)
    reps = (1,) * (x.ndim - len(reps)) + reps
    for axis, r in enumerate(reps):
        if r != 1:
            x = along_axis(x, axis, np.tile(np.arange(x.shape[axis]), r))
    return x


def take(x, indices, axis=None):
    """The elements at ``indices`` along ``axis`` (of the flattened tensor when None); the
    gradient of an element taken twice is the sum of both."""
    x = _t(x)
    indices = np.asarray(getattr(indices, "data", indices))
    if axis is None:
        x, axis = P.reshape(x, -1), 0
    return along_axis(x, axis, indices)


def take_along_axis(x, indices, axis=None):
    """``numpy.take_along_axis``: ``indices`` has ``x``'s number of axes and picks, along
    ``axis``, one element per position of the others."""
    x = _t(x)
    indices = np.asarray(getattr(indices, "data", indices))
    if axis is None:
        x, axis = P.reshape(x, -1), 0
    axis = axis % builtins.max(x.ndim, 1)
    if indices.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of shape {indices.shape} need as many axes as x "
                         f"(shape {x.shape})")
    grids = list(np.ix_(*[np.arange(n) for n in indices.shape]))
    grids[axis] = indices
    return x[tuple(grids)]


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` surrounded by ``constant_values`` (0 by default); only mode 'constant' is available."""
    if mode != "constant":
        raise ValueError(f"pad: mode {mode!r} is not available in scratchnn; only 'constant'")
    return P.pad(x, pad_width, 0 if constant_values is None else constant_values)
