"""``keras.ops`` core: tensors in and out of scratchnn (``convert_to_tensor``, ``convert_to_numpy``,
``cast``, ``shape``, ``stop_gradient``, ...).

A Keras 3 op takes tensors, NumPy arrays, lists or Python numbers and returns a backend tensor:
here a ``scratchnn.Tensor``. Floating-point inputs become float32 (Keras's default float type)
unless they are tensors already or a ``dtype`` says otherwise; ``convert_to_tensor`` makes Python
ints int32, as Keras does (a NumPy array keeps its dtype).
"""
import numpy as np

from ...autograd import Tensor
from ...ops import astype, lift

__all__ = ["convert_to_tensor", "convert_to_numpy", "cast", "shape", "ndim", "size", "dtype",
           "is_tensor", "stop_gradient", "standardize_dtype", "constant_tensor"]


def values_only(fn):
    """``fn`` (a function of arrays) applied to the values of its arguments: a Tensor without
    gradient (for rounding, comparisons, remainders: no useful derivative)."""
    def op(*args, **kwargs):
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        return constant_tensor(fn(*arrays, **kwargs))
    return op


def along_axis(x, axis, index):
    """``x[..., index, ...]`` with ``index`` (an int, a slice, an index array) on axis ``axis``."""
    return x[(slice(None),) * (axis % max(x.ndim, 1)) + (index,)]


def standardize_dtype(dtype):
    """A dtype argument ('float32', np.float32, tf.float32, None) as a NumPy dtype (None stays None)."""
    if dtype is None:
        return None
    try:
        return np.dtype(getattr(dtype, "as_numpy_dtype", dtype))
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r} (expected a name such as 'float32' or 'int32', or a "
                        "NumPy type)") from None


def convert_to_tensor(x, dtype=None, sparse=None):
    """``x`` (a Tensor, an array, a list, a number) as a Tensor; a Tensor of the right dtype is
    returned as it is (with its graph), another dtype gives a converted copy."""
    if sparse:
        raise ValueError("convert_to_tensor: sparse tensors are not part of scratchnn")
    dtype = standardize_dtype(dtype)
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else cast(x, dtype)
    if dtype is not None:
        return Tensor.wrap(np.asarray(x, dtype=dtype))
    if not isinstance(x, (np.ndarray, np.generic)):
        values = np.asarray(x)
        if values.dtype == np.int64 and np.all(np.abs(values) < 2**31):
            return Tensor.wrap(values.astype(np.int32))           # Python ints: int32, as Keras
    return lift(x)


def convert_to_numpy(x):
    """The values of ``x`` as a NumPy array."""
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def constant_tensor(values):
    """A result without a gradient (an index, a comparison, a count) as a Tensor."""
    return Tensor.wrap(np.asarray(values))


def cast(x, dtype):
    """``x`` converted to ``dtype``; differentiable between floating-point types (a cast to an
    integer or boolean type has no gradient, as in Keras)."""
    x, dtype = convert_to_tensor(x), standardize_dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind == "f" and x.dtype.kind == "f":
        return astype(x, dtype)
    return Tensor.wrap(x.data.astype(dtype))


def shape(x):
    """The shape of ``x``, a tuple of ints."""
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def ndim(x):
    """The number of axes of ``x``."""
    return len(shape(x))


def size(x):
    """The number of elements of ``x``."""
    return int(np.prod(shape(x), dtype=np.int64))


def dtype(x):
    """The dtype of ``x`` as a name ('float32')."""
    return convert_to_tensor(x).dtype.name


def is_tensor(x):
    """True for a scratchnn Tensor."""
    return isinstance(x, Tensor)


def stop_gradient(variable):
    """The same values, cut off from the graph: no gradient flows back through it."""
    return convert_to_tensor(variable).detach()
