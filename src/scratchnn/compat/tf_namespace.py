"""The pieces every module of the ``tf`` surface shares: namespaces that say clearly what is not
there, and the dtypes.

``tf.float32`` and its kin are NumPy dtypes (``np.dtype('float32')``), so ``x.dtype == tf.float32``
holds for a scratchnn Tensor and ``dtype=tf.int32`` works wherever scratchnn takes a dtype.
"""
import numpy as np

from .tf_strings import string

#: Where a reader learns what the surface holds (the module's docstring lists it).
SEE = "see help(scratchnn.compat.tensorflow) for what it provides"


def not_provided(qualified_name):
    """The one-line error for a part of TensorFlow that scratchnn does not provide."""
    return AttributeError(f"{qualified_name} is not part of scratchnn's TensorFlow surface "
                          f"(this is scratchnn, not TensorFlow); {SEE}")


class Namespace:
    """A ``tf.<name>`` namespace (``tf.nn``, ``tf.math``, ...): its functions as attributes; any
    other attribute raises the one clear line of ``not_provided``."""

    def __init__(self, name, members):
        self.__name__ = f"tf.{name}"
        self.__dict__.update(members)

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise not_provided(f"{self.__name__}.{attribute}")

    def __dir__(self):
        return sorted(k for k in self.__dict__ if not k.startswith("_"))

    def __repr__(self):
        return f"<scratchnn's {self.__name__}: {', '.join(self.__dir__())}>"


DTYPES = {name: np.dtype(name) for name in (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "bool", "complex64", "complex128")}
DTYPES.update(half=DTYPES["float16"], float=DTYPES["float32"], double=DTYPES["float64"])


def as_dtype(type_value):
    """A dtype from a name ('float32', 'string'), a NumPy type or a dtype (``tf.as_dtype``)."""
    if type_value == string:
        return string
    try:
        return np.dtype(type_value)
    except TypeError:
        raise TypeError(f"tf.as_dtype: cannot interpret {type_value!r} as a dtype") from None


dtypes = Namespace("dtypes", {**DTYPES, "string": string, "as_dtype": as_dtype, "DType": np.dtype})
