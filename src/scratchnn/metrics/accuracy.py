"""Accuracy metrics: the running-mean classes built on the per-sample functions of ``per_sample.py``.

Every function there (``accuracy``, ``binary_accuracy``, ``categorical_accuracy``, ...) takes
``(y_true, y_pred)`` (NumPy arrays, lists or Tensors) and returns one float32 value per sample
(1.0 for a hit, 0.0 for a miss); the classes here average those values over every sample of the
epoch (``MeanMetricWrapper``).  The functions stay importable from this module.

Inputs of shape ``(N,)`` hold one value per sample; for ``(N, D)`` (elementwise
metrics) each sample's value is the mean over its ``D`` entries.  A trailing axis of
length 1 on one side only is ignored (``(N,)`` labels match ``(N, 1)`` predictions).
"""
import numpy as np

from .base import MeanMetricWrapper
from .per_sample import (accuracy, binary_accuracy, categorical_accuracy, in_top_k,
                         sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
                         top_k_categorical_accuracy)


# ----------------------------------------------------------------------- classes
class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly: the weighted mean of ``accuracy``.

    For class predictions already decoded to labels; for scores use ``BinaryAccuracy``,
    ``CategoricalAccuracy`` or ``SparseCategoricalAccuracy`` (or ``'accuracy'`` in
    ``compile``, which picks one of those from the shapes).
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """The weighted mean of ``[y_true == (y_pred > threshold)]`` over all predictions.

    ``threshold`` must lie in (0, 1) (Keras's rule); for logits use
    ``MeanMetricWrapper(binary_accuracy, threshold=0.0)``.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is None or not 0 < threshold < 1:
            raise ValueError(f"BinaryAccuracy: threshold must lie in (0, 1), got {threshold!r}")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """The weighted mean of ``[argmax(y_true) == argmax(y_pred)]`` (one-hot ``y_true``)."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """The weighted mean of ``[y_true == argmax(y_pred)]`` (integer labels)."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """The weighted mean of ``top_k_categorical_accuracy(y_true, y_pred, k)`` (one-hot labels)."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        in_top_k(np.zeros(0), np.zeros((0, 1)), k, "TopKCategoricalAccuracy")      # validates k
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """The weighted mean of ``sparse_top_k_categorical_accuracy(y_true, y_pred, k)``."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        in_top_k(np.zeros(0), np.zeros((0, 1)), k, "SparseTopKCategoricalAccuracy")
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}
