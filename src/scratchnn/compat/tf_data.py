"""``tf.data`` for ``scratchnn.compat.tensorflow``: ``tf.data.Dataset`` (scratchnn's
``preprocessing.Dataset``, on NumPy arrays), ``tf.data.AUTOTUNE`` and ``tf.data.experimental``'s
``AUTOTUNE`` and ``cardinality``. Readers of files (``TFRecordDataset``, ``TextLineDataset``) are
not provided: this is scratchnn, not TensorFlow.
"""
import types

from ..preprocessing.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, TensorSpec


def cardinality(dataset):
    """``tf.data.experimental.cardinality(ds)``: ``ds.cardinality()``."""
    return dataset.cardinality()


experimental = types.SimpleNamespace(AUTOTUNE=AUTOTUNE, cardinality=cardinality,
                                     INFINITE_CARDINALITY=INFINITE_CARDINALITY,
                                     UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY)

data = types.SimpleNamespace(Dataset=Dataset, AUTOTUNE=AUTOTUNE, TensorSpec=TensorSpec,
                             INFINITE_CARDINALITY=INFINITE_CARDINALITY,
                             UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY, experimental=experimental)

__all__ = ["data"]
