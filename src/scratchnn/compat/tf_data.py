"""``tf.data`` for ``scratchnn.compat.tensorflow``: ``tf.data.Dataset`` (scratchnn's
``preprocessing.Dataset``, on NumPy arrays), ``tf.data.AUTOTUNE`` and ``tf.data.experimental``'s
``AUTOTUNE`` and ``cardinality``. Readers of files (``TFRecordDataset``, ``TextLineDataset``) are
not provided, and asking for one says so: this is scratchnn, not TensorFlow.
"""
import types

from ..preprocessing.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, TensorSpec


class Namespace(types.SimpleNamespace):
    """A ``tf.data``-like namespace whose missing names fail with one clear line."""

    def __init__(self, path, **names):
        super().__init__(**names)
        object.__setattr__(self, "path", path)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"{self.path}.{name} is not available: scratchnn's tf.data provides Dataset "
                             "(from arrays, tensors, range and generators), AUTOTUNE and cardinality; "
                             "this is scratchnn, not TensorFlow")


def cardinality(dataset):
    """``tf.data.experimental.cardinality(ds)``: ``ds.cardinality()``."""
    return dataset.cardinality()


experimental = Namespace("tf.data.experimental", AUTOTUNE=AUTOTUNE, cardinality=cardinality,
                         INFINITE_CARDINALITY=INFINITE_CARDINALITY, UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY)

data = Namespace("tf.data", Dataset=Dataset, AUTOTUNE=AUTOTUNE, TensorSpec=TensorSpec,
                 INFINITE_CARDINALITY=INFINITE_CARDINALITY, UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY,
                 experimental=experimental)

__all__ = ["data"]
