"""The ``tf`` tensor functions (``tf.constant``, ``tf.Variable``, ``tf.reshape``, ``tf.reduce_sum``,
``tf.one_hot``, ...) on scratchnn Tensors, with TensorFlow's argument names and defaults (they
differ from NumPy's here and there: ``tf.argmax``'s axis is 0, ``tf.cumsum``'s too,
``tf.split`` takes sizes, ``tf.range`` gives int32). Most are ``keras.ops`` under TensorFlow's
name; every one accepts (and ignores) ``name=``.
"""
import builtins
import numbers

import weakref

import numpy as np

from ..autograd import Tensor
from ..keras import ops
from ..layers.base import Variable as LayerVariable
from ..ops import lift
from .tf_strings import StringDType, is_text, string_tensor

__all__ = [
    "Tensor", "Variable", "constant", "convert_to_tensor", "is_tensor", "identity", "stop_gradient",
    "ones", "zeros", "ones_like", "zeros_like", "fill", "eye", "range", "linspace", "cast", "shape",
    "rank", "size", "reshape", "expand_dims", "squeeze", "transpose", "concat", "stack", "unstack",
    "split", "tile", "gather", "boolean_mask", "where", "one_hot", "argmax", "argmin", "sort",
    "argsort", "cumsum", "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
    "reduce_std", "reduce_variance", "reduce_any", "reduce_all", "reduce_logsumexp", "add_n",
    "clip_by_value", "matmul", "add", "subtract", "multiply", "divide", "truediv", "pow", "negative",
    "square", "sqrt", "exp", "abs", "sign", "maximum", "minimum", "equal", "not_equal", "greater",
    "greater_equal", "less", "less_equal", "logical_and", "logical_or", "logical_not", "norm",
    "broadcast_to", "pad", "einsum", "clip_by_norm", "clip_by_global_norm",
]

Tensor = Tensor                          # isinstance(x, tf.Tensor) for scratchnn's tensors
_range = builtins.range


class Variable(LayerVariable):
    """``tf.Variable(initial_value, trainable=True, name=None, dtype=None)``: a Tensor whose values
    change in place (``assign``, ``assign_add``, ``assign_sub``). A trainable floating-point
    variable records the operations on it, so ``tf.GradientTape`` differentiates with respect
    to it; an integer variable (a counter) holds values only.

    As in Keras 3, a layer or model does not track a ``tf.Variable`` set as its attribute
    (``self.w = tf.Variable(5.0)`` in a ``keras.Model``): it is not among its ``weights``, and
    ``fit`` does not train it (Keras tracks its own ``keras.Variable`` and ``add_weight``'s only).
    A ``tf.Module`` finds it."""
    __slots__ = ()
    tracked_by_layers = False

    def __init__(self, initial_value, trainable=True, name=None, dtype=None, **ignored):
        if callable(initial_value):
            initial_value = initial_value()
        if isinstance(dtype, StringDType) or is_text(initial_value):
            raise TypeError("tf.Variable: a variable of text (tf.string) is not part of scratchnn; "
                            "use tf.constant for a string tensor")
        value = np.array(ops.convert_to_numpy(initial_value), dtype=ops.standardize_dtype(dtype))
        if dtype is None and value.dtype.kind == "f" and not isinstance(initial_value, (Tensor, np.ndarray)):
            value = value.astype(np.float32)                  # Python floats: float32, as TF
        elif dtype is None and value.dtype == np.int64 and not isinstance(initial_value, (Tensor,
                                                                                         np.ndarray)):
            value = value.astype(np.int32)                    # Python ints: int32, as TF
        trainable = bool(trainable) and value.dtype.kind == "f"
        super().__init__(value, name or "Variable", trainable=trainable)

    def __getitem__(self, index):
        """``v[0, 0]``: a tensor of those values (differentiable, as any slice) that can also be
        assigned to: ``v[0, 0].assign(3.0)`` writes into the variable (TensorFlow's sliced assign)."""
        out = super().__getitem__(index)
        out.__class__ = VariableSlice
        SLICE_OF[out] = (self, index)
        return out

    def value(self):
        """The current values as a constant Tensor (no graph)."""
        return Tensor.wrap(self.data.copy())

    read_value = value

    def __repr__(self):
        body = np.array2string(np.asarray(self.data), separator=", ")
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, numpy={body}>"


#: The variable and index each ``VariableSlice`` was taken from (weak keys: slices come and go).
SLICE_OF = weakref.WeakKeyDictionary()


class VariableSlice(Tensor):
    """``v[index]`` of a ``tf.Variable``: a tensor of the values whose ``assign`` writes them back."""
    __slots__ = ()

    def assign(self, value):
        variable, index = SLICE_OF[self]
        variable.data[index] = np.asarray(getattr(value, "data", value), dtype=variable.dtype)
        return variable


def _float32_default(values, dtype):
    values = np.asarray(values)
    if dtype is not None:
        return values.astype(ops.standardize_dtype(dtype), copy=False)
    if values.dtype == np.float64:
        return values.astype(np.float32)
    if values.dtype == np.int64:
        return values.astype(np.int32)
    return values


def constant(value, dtype=None, shape=None, name=None):
    """A constant Tensor: Python floats become float32 and ints int32 (as TensorFlow); a NumPy
    array keeps its dtype; ``shape`` reshapes (or fills, for a single value). Text (``"Tennis"``,
    a list of str, or ``dtype=tf.string``) gives a string tensor (``compat/tf_strings.py``)."""
    if isinstance(dtype, StringDType) or (dtype is None and is_text(value)):
        return string_tensor(value, shape)
    raw = value.data if isinstance(value, Tensor) else value
    keep = dtype is None and isinstance(raw, np.ndarray)          # an array keeps its dtype
    values = np.asarray(raw) if keep else _float32_default(raw, dtype)
    if shape is not None:
        shape = tuple(int(n) for n in shape)
        values = np.full(shape, values) if values.size == 1 else values.reshape(shape)
    return Tensor.wrap(np.array(values))


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """``value`` as a Tensor (a Tensor is returned as it is, with its graph)."""
    if isinstance(value, Tensor):
        return value if dtype is None else ops.cast(value, dtype)
    return constant(value, dtype if dtype is not None else dtype_hint)


def is_tensor(x):
    """True for a scratchnn Tensor (and so a ``tf.Variable``)."""
    return isinstance(x, Tensor)


def identity(input, name=None):
    """The same values, differentiable (a copy in TensorFlow; here the same tensor)."""
    return lift(input)


def stop_gradient(input, name=None):
    """The same values, with no gradient flowing back."""
    return ops.stop_gradient(input)


def ones(shape, dtype=np.float32, name=None):
    """A Tensor of ones (float32 by default)."""
    return ops.ones(_int_shape(shape), dtype)


def zeros(shape, dtype=np.float32, name=None):
    """A Tensor of zeros (float32 by default)."""
    return ops.zeros(_int_shape(shape), dtype)


def ones_like(input, dtype=None, name=None):
    """Ones in the shape (and dtype) of ``input``."""
    return ops.ones_like(input, dtype)


def zeros_like(input, dtype=None, name=None):
    """Zeros in the shape (and dtype) of ``input``."""
    return ops.zeros_like(input, dtype)


def fill(dims, value, name=None):
    """A Tensor of shape ``dims`` filled with ``value``."""
    return Tensor.wrap(_float32_default(np.full(_int_shape(dims), value), None))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=np.float32, name=None):
    """The identity matrix (repeated over ``batch_shape``)."""
    out = np.eye(num_rows, num_columns, dtype=ops.standardize_dtype(dtype))
    if batch_shape is not None:
        out = np.broadcast_to(out, tuple(batch_shape) + out.shape).copy()
    return Tensor.wrap(out)


def range(start, limit=None, delta=1, dtype=None, name=None):
    """``tf.range``: start, start + delta, ... below ``limit`` (int32 for ints, float32 for floats)."""
    values = np.arange(start) if limit is None and delta == 1 else (
        np.arange(0, start, delta) if limit is None else np.arange(start, limit, delta))
    return Tensor.wrap(_float32_default(values, dtype))


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (float32)."""
    return ops.linspace(start, stop, int(num), axis=axis)


def cast(x, dtype, name=None):
    """``x`` converted to ``dtype`` (differentiable between float types)."""
    return ops.cast(x, dtype)


def shape(input, out_type=np.int32, name=None):
    """The shape as a 1-D int32 Tensor (``tf.shape(x)[0]`` is the batch size)."""
    return Tensor.wrap(np.asarray(ops.shape(input), dtype=ops.standardize_dtype(out_type)))


def rank(input, name=None):
    """The number of axes, a 0-d int32 Tensor."""
    return Tensor.wrap(np.int32(ops.ndim(input)))


def size(input, out_type=np.int32, name=None):
    """The number of elements, a 0-d Tensor."""
    return Tensor.wrap(np.asarray(ops.size(input), dtype=ops.standardize_dtype(out_type)))


def _int_shape(shape):
    """A shape that may hold 0-d Tensors (``[tf.shape(x)[0], -1]``) as a tuple of ints."""
    shape = getattr(shape, "data", shape)
    if isinstance(shape, (numbers.Integral, np.integer)) or np.ndim(shape) == 0:
        return (int(shape),)
    return tuple(int(getattr(n, "data", n)) for n in shape)


def reshape(tensor, shape, name=None):
    """The same elements in ``shape`` (one entry may be -1)."""
    return ops.reshape(tensor, _int_shape(shape))


def expand_dims(input, axis, name=None):
    """A new axis of length 1 at ``axis``."""
    return ops.expand_dims(input, axis)


def squeeze(input, axis=None, name=None):
    """The axes of length 1 removed (all, or those named)."""
    return ops.squeeze(input, axis)


def transpose(a, perm=None, conjugate=False, name=None):
    """The axes permuted by ``perm`` (reversed when None)."""
    return ops.transpose(a, perm)


def concat(values, axis, name=None):
    """The tensors joined along ``axis``."""
    return ops.concatenate(values, axis)


def stack(values, axis=0, name=None):
    """The tensors stacked along a new axis."""
    return ops.stack(values, axis)


def unstack(value, num=None, axis=0, name=None):
    """The slices along ``axis``, a list."""
    value = lift(value)
    return [ops.take(value, i, axis=axis) for i in _range(value.shape[axis])]


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """``num_or_size_splits`` equal parts, or parts of the listed sizes (TensorFlow's meaning;
    NumPy's split takes cut positions instead)."""
    if isinstance(num_or_size_splits, numbers.Integral):
        return ops.split(value, int(num_or_size_splits), axis)
    sizes = [int(getattr(n, "data", n)) for n in num_or_size_splits]
    return ops.split(value, np.cumsum(sizes)[:-1].tolist(), axis)


def tile(input, multiples, name=None):
    """``input`` repeated ``multiples[i]`` times along axis i."""
    return ops.tile(input, _int_shape(multiples))


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """The slices of ``params`` at ``indices`` along ``axis`` (0 by default)."""
    if batch_dims:
        raise ValueError("tf.gather: batch_dims is not supported by scratchnn")
    return ops.take(params, indices, axis=0 if axis is None else axis)


def boolean_mask(tensor, mask, axis=None, name=None):
    """The elements (or rows) where ``mask`` is True, flattened over the masked axes."""
    mask = np.asarray(getattr(mask, "data", mask), dtype=bool)
    tensor = lift(tensor)
    lead = (slice(None),) * (0 if axis is None else axis)
    return tensor[lead + (mask,)]


def where(condition, x=None, y=None, name=None):
    """``x`` where ``condition`` else ``y``; with neither, the coordinates of the True elements
    (an int64 Tensor of shape (n, rank))."""
    if x is None and y is None:
        cond = np.asarray(getattr(condition, "data", condition))
        return Tensor.wrap(np.argwhere(cond).astype(np.int64))
    return ops.where(condition, x, y)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot vectors of length ``depth`` (float32); an index outside [0, depth) gives zeros."""
    hot = ops.one_hot(indices, depth, axis=-1 if axis is None else axis, dtype=np.bool_).data
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    if dtype is None:       # float32, or the type of on_value (Python numbers as TensorFlow types them)
        dtype = np.float32 if on_value is None else _float32_default(np.asarray(on_value), None).dtype
    return Tensor.wrap(np.where(hot, on, off).astype(ops.standardize_dtype(dtype)))


def argmax(input, axis=None, output_type=np.int64, name=None):
    """The index of the largest value along ``axis`` (0 when None, as TensorFlow), int64."""
    out = ops.argmax(input, axis=0 if axis is None else axis)
    return Tensor.wrap(out.data.astype(ops.standardize_dtype(output_type)))


def argmin(input, axis=None, output_type=np.int64, name=None):
    """The index of the smallest value along ``axis`` (0 when None), int64."""
    out = ops.argmin(input, axis=0 if axis is None else axis)
    return Tensor.wrap(out.data.astype(ops.standardize_dtype(output_type)))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis`` ('ASCENDING' or 'DESCENDING'); differentiable."""
    out = ops.sort(values, axis)
    return ops.flip(out, axis) if _descending(direction) else out


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The indices that sort ``values`` along ``axis`` (int32)."""
    data = np.asarray(getattr(values, "data", values))
    order = np.argsort(-data if _descending(direction) else data, axis=axis, kind="stable")
    return Tensor.wrap(order.astype(np.int32))


def _descending(direction):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    return direction == "DESCENDING"


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """The running sum along ``axis`` (0 by default, as TensorFlow)."""
    x = lift(x)
    if reverse:
        x = ops.flip(x, axis)
    out = ops.cumsum(x, axis)
    if exclusive:
        out = out - x
    return ops.flip(out, axis) if reverse else out


def _reduce(op):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        return op(convert_to_tensor(input_tensor), axis=axis, keepdims=keepdims)
    reduce.__name__ = "reduce_" + op.__name__
    reduce.__doc__ = f"``{op.__name__}`` over ``axis`` (all axes when None)."
    return reduce


reduce_sum, reduce_mean, reduce_max, reduce_min = map(_reduce, (ops.sum, ops.mean, ops.max, ops.min))
reduce_prod, reduce_std, reduce_variance = map(_reduce, (ops.prod, ops.std, ops.var))
reduce_any, reduce_all, reduce_logsumexp = map(_reduce, (ops.any, ops.all, ops.logsumexp))


def add_n(inputs, name=None):
    """The sum of a list of tensors of one shape."""
    inputs = list(inputs)
    total = lift(inputs[0])
    for t in inputs[1:]:
        total = total + t
    return total


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Values limited to [clip_value_min, clip_value_max]."""
    return ops.clip(t, clip_value_min, clip_value_max)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t`` scaled down so that its L2 norm (over ``axes``, all when None) is at most ``clip_norm``."""
    t = lift(t)
    norm = ops.sqrt(ops.sum(t * t, axis=axes, keepdims=True))
    return t * (clip_norm / ops.maximum(norm, clip_norm))


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Every tensor of ``t_list`` scaled by clip_norm / max(global norm, clip_norm), the global norm
    being sqrt(sum of all squared elements); returns (the clipped list, the global norm). None
    entries stay None (a gradient the loss does not depend on)."""
    present = [lift(t) for t in t_list if t is not None]
    if use_norm is None:
        use_norm = ops.sqrt(add_n([ops.sum(t * t) for t in present])) if present else lift(0.0)
    scale = clip_norm / ops.maximum(use_norm, clip_norm)
    return [None if t is None else lift(t) * scale for t in t_list], use_norm


def matmul(a, b, transpose_a=False, transpose_b=False, name=None, **ignored):
    """The matrix product, optionally of the transposes (of the last two axes)."""
    a, b = lift(a), lift(b)
    if transpose_a:
        a = ops.swapaxes(a, -1, -2)
    if transpose_b:
        b = ops.swapaxes(b, -1, -2)
    return ops.matmul(a, b)


def einsum(equation, *inputs, name=None, **ignored):
    """Einstein summation (``tf.einsum("ij,jk->ik", a, b)`` is ``a @ b``), differentiable."""
    return ops.einsum(equation, *inputs)


def _operands(x, y):
    """Both operands as Tensors, with TensorFlow's types: a Python number or list next to a tensor
    takes the tensor's dtype (``tf.multiply(int32_tensor, 2)`` stays int32); alone, Python ints
    are int32 and floats float32."""
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        return convert_to_tensor(x), convert_to_tensor(y)
    tensor = x if isinstance(x, Tensor) else y

    def convert(v):
        if isinstance(v, Tensor):
            return v
        values = np.asarray(v)
        if isinstance(v, np.ndarray) or values.dtype.kind not in "biuf":
            return convert_to_tensor(v)
        if tensor.dtype.kind == "f" or values.dtype.kind in "biu" and tensor.dtype.kind in "iu":
            return Tensor.wrap(values.astype(tensor.dtype))
        return convert_to_tensor(v)
    return convert(x), convert(y)


def _binary(op, doc):
    def binary(x, y, name=None):
        return op(*_operands(x, y))
    binary.__name__, binary.__doc__ = op.__name__, doc
    return binary


add, subtract = _binary(ops.add, "x + y."), _binary(ops.subtract, "x - y.")
multiply, divide = _binary(ops.multiply, "x * y."), _binary(ops.divide, "x / y.")
truediv, pow = _binary(ops.divide, "x / y."), _binary(ops.power, "x ** y.")
maximum, minimum = _binary(ops.maximum, "max(x, y)."), _binary(ops.minimum, "min(x, y).")
equal, not_equal = _binary(ops.equal, "x == y."), _binary(ops.not_equal, "x != y.")
greater, greater_equal = _binary(ops.greater, "x > y."), _binary(ops.greater_equal, "x >= y.")
less, less_equal = _binary(ops.less, "x < y."), _binary(ops.less_equal, "x <= y.")
logical_and, logical_or = _binary(ops.logical_and, "x and y."), _binary(ops.logical_or, "x or y.")


def _unary(op, doc):
    def unary(x, name=None):
        return op(convert_to_tensor(x))
    unary.__name__, unary.__doc__ = op.__name__, doc
    return unary


negative, square = _unary(ops.negative, "-x."), _unary(ops.square, "x * x.")
sqrt = _unary(ops.sqrt, "sqrt x.")
exp, abs, sign = _unary(ops.exp, "e^x."), _unary(ops.abs, "|x|."), _unary(ops.sign, "-1, 0 or 1.")
logical_not = _unary(ops.logical_not, "not x.")


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):
    """The norm of ``tensor`` ('euclidean' = 2 for vectors, Frobenius for matrices; 1, inf, ...)."""
    ord = None if ord == "euclidean" else ord
    if axis is None and ord is not None:
        tensor, axis = ops.reshape(tensor, -1), 0
    return ops.norm(tensor, ord=ord, axis=axis, keepdims=bool(keepdims))


def broadcast_to(input, shape, name=None):
    """``input`` repeated along broadcast axes to ``shape``."""
    return ops.broadcast_to(input, _int_shape(shape))


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """``tensor`` padded with ``constant_values`` (mode 'CONSTANT' only)."""
    if str(mode).upper() != "CONSTANT":
        raise ValueError(f"tf.pad: mode {mode!r} is not available in scratchnn; only 'CONSTANT'")
    return ops.pad(tensor, np.asarray(getattr(paddings, "data", paddings)), constant_values=constant_values)
