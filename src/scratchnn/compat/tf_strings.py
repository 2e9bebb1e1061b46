"""String tensors: ``tf.constant("Tennis")``, ``tf.constant(["Tennis", "Basketball"], tf.string)``,
and the dtype ``tf.string``.

A string tensor holds text, as TensorFlow's does: each element is a ``bytes`` value (text is
encoded as UTF-8), ``numpy()`` gives ``b'Tennis'`` for a scalar and an object array of bytes
otherwise. It has a shape, a rank (``tf.rank``, ``tf.shape``, ``tf.size`` work on it), it can be
indexed, iterated and compared with ``==`` / ``!=`` (element by element, a boolean tensor). It is
not a number: arithmetic on it, a reduction, a cast to a number, or asking for its gradient
raises a ``TypeError`` that says so in one line: the tensor's own operators refuse, and so do
the top-level ``tf.*`` tensor functions (``refusing_text`` wraps them; ``tf.math`` and ``tf.nn``
are left as they are, so that ``tf.nn.relu`` stays the activation ``keras`` knows by name).
TensorFlow's ``tf.strings`` functions are not part of scratchnn.
"""
import functools

import numpy as np

from ..autograd import Tensor


class StringDType:
    """``tf.string``: the dtype of string tensors (its NumPy form is ``object``, as TensorFlow's
    ``tf.string.as_numpy_dtype``)."""
    name = "string"
    as_numpy_dtype = object
    is_floating = is_integer = is_bool = is_complex = False

    def __eq__(self, other):
        return isinstance(other, StringDType) or (isinstance(other, str) and other == "string")

    def __hash__(self):
        return hash("tf.string")

    def __repr__(self):
        return "tf.string"


string = StringDType()


def is_text(values):
    """True for a str/bytes value or a (nested) list or array of them."""
    if isinstance(values, (str, bytes)):
        return True
    if isinstance(values, Tensor):
        return isinstance(values, StringTensor)
    try:
        kind = np.asarray(values).dtype.kind
    except ValueError:                                   # ragged lists: not a tensor at all
        return False
    return kind in "US" or (kind == "O" and _all_text(values))


def _all_text(values):
    flat = np.asarray(values, dtype=object).reshape(-1)
    return flat.size > 0 and all(isinstance(v, (str, bytes)) for v in flat)


def string_tensor(value, shape=None):
    """A ``StringTensor`` of ``value`` (str, bytes, nested lists or arrays of them)."""
    if isinstance(value, StringTensor):
        data = value.data.copy()
    else:
        raw = np.asarray(value, dtype=object)
        flat = raw.reshape(-1)
        bad = next((v for v in flat if not isinstance(v, (str, bytes, np.str_, np.bytes_))), None)
        if bad is not None:
            raise TypeError(f"tf.constant(..., dtype=tf.string): every element must be text (str or "
                            f"bytes), got {type(bad).__name__} {bad!r}")
        data = np.empty(raw.shape, dtype=object)
        data.reshape(-1)[:] = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in flat]
    if shape is not None:
        shape = tuple(int(n) for n in shape)
        data = np.full(shape, data.reshape(-1)[0], dtype=object) if data.size == 1 else data.reshape(shape)
    return StringTensor.wrap(data)


def _no_math(operation):
    def refuse(self, *args, **kwargs):
        raise TypeError(f"a tf.string tensor holds text, not numbers: {operation} is not defined on it "
                        f"(shape {self.shape}); convert the text to numbers first")
    refuse.__name__ = operation
    return refuse


class StringTensor(Tensor):
    """A tensor of text (dtype ``tf.string``): shape, rank, indexing, iteration, ``==``; no
    arithmetic and no gradient."""
    __slots__ = ()

    dtype = property(lambda self: string, doc="``tf.string``.")

    def numpy(self):
        """``b'Tennis'`` for a scalar (as TensorFlow), else an object array of bytes (a copy)."""
        return self.data.reshape(-1)[0] if self.data.ndim == 0 else self.data.copy()

    def requires_grad_(self, requires_grad=True):
        if requires_grad:
            raise TypeError("a tf.string tensor holds text: it has no gradient")
        return self

    def __getitem__(self, index):
        index = index.data if isinstance(index, Tensor) else index
        return StringTensor.wrap(np.asarray(self.data[index], dtype=object))

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iterating over a 0-d tf.string tensor is not possible")
        return (self[i] for i in range(self.data.shape[0]))

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tf.string tensor is not defined")
        return self.data.shape[0]

    def __eq__(self, other):
        return Tensor.wrap(np.asarray(self.data == _as_bytes(other), dtype=bool))

    def __ne__(self, other):
        return Tensor.wrap(np.asarray(self.data != _as_bytes(other), dtype=bool))

    __hash__ = Tensor.__hash__

    def __repr__(self):
        body = repr(self.numpy()) if self.data.ndim == 0 else np.array2string(self.data, separator=", ")
        return f"tf.Tensor({body}, shape={self.shape}, dtype=string)"

    __str__ = __repr__


#: What a string tensor refuses (operator or method, as the error names it).
REFUSED = {"__add__": "+", "__radd__": "+", "__sub__": "-", "__rsub__": "-", "__mul__": "*",
           "__rmul__": "*", "__truediv__": "/", "__rtruediv__": "/", "__floordiv__": "//",
           "__rfloordiv__": "//", "__mod__": "%", "__rmod__": "%", "__pow__": "**", "__rpow__": "**",
           "__matmul__": "@", "__rmatmul__": "@", "__neg__": "unary -", "__abs__": "abs()",
           "__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__float__": "float()",
           "__int__": "int()", "sum": "sum", "mean": "mean", "max": "max", "min": "min", "exp": "exp",
           "log": "log", "backward": "backward (a gradient)", "astype": "a cast to a number"}
for _name, _what in REFUSED.items():
    setattr(StringTensor, _name, _no_math(_what))


def _as_bytes(other):
    if isinstance(other, StringTensor):
        return other.data
    if isinstance(other, str):
        return other.encode("utf-8")
    if isinstance(other, (list, tuple, np.ndarray)):
        return string_tensor(other).data
    return other


#: The ``tf.*`` functions that take a string tensor: they look at its shape, or compare, or pass
#: it on; every other ``tf.*`` function refuses one.
TEXT_FUNCTIONS = frozenset({"constant", "convert_to_tensor", "is_tensor", "identity", "shape", "rank",
                            "size", "equal", "not_equal", "Tensor", "Variable"})


def refusing_text(function, qualified_name):
    """``function`` that raises one clear ``TypeError`` when an argument is a string tensor."""
    @functools.wraps(function)
    def checked(*args, **kwargs):
        for value in (*args, *kwargs.values()):
            if isinstance(value, StringTensor) or (isinstance(value, (list, tuple)) and
                                                    any(isinstance(v, StringTensor) for v in value)):
                raise TypeError(f"{qualified_name}: a tf.string tensor holds text, not numbers "
                                f"(shape {_shape_of(value)}); scratchnn's {qualified_name} takes numbers")
        return function(*args, **kwargs)
    return checked


def _shape_of(value):
    return value.shape if isinstance(value, StringTensor) else next(
        v.shape for v in value if isinstance(v, StringTensor))
