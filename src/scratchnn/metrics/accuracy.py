"""Accuracy metrics: per-sample functions and the running-mean classes built on them.

Every function takes ``(y_true, y_pred)`` (NumPy arrays, lists or Tensors) and returns
one float32 value per sample (1.0 for a hit, 0.0 for a miss); the classes average those
values over every sample of the epoch (``MeanMetricWrapper``).

Inputs of shape ``(N,)`` hold one value per sample; for ``(N, D)`` (elementwise
metrics) each sample's value is the mean over its ``D`` entries.  A trailing axis of
length 1 on one side only is ignored (``(N,)`` labels match ``(N, 1)`` predictions).
"""
import numpy as np

from .base import MeanMetricWrapper, as_array, match_ranks

_FLOATX = np.float32


def _same_shape(y_true, y_pred, who):
    yt, yp = match_ranks(as_array(y_true), as_array(y_pred))
    if yt.shape != yp.shape:
        raise ValueError(f"{who}: y_true has shape {np.shape(y_true)} but y_pred has shape "
                         f"{np.shape(y_pred)}; they must match (up to a trailing axis of 1)")
    return yt, yp


def _per_sample(hits):
    hits = hits.astype(_FLOATX)
    return hits.mean(axis=-1) if hits.ndim >= 2 else hits


def _sparse_labels(y_true, y_pred, who):
    """Integer-class labels of shape ``y_pred.shape[:-1]`` (a trailing axis of 1 is dropped)."""
    yt, yp = as_array(y_true), as_array(y_pred)
    if yp.ndim == 0:
        raise ValueError(f"{who}: y_pred must have a class axis, got a scalar")
    if yt.shape == yp.shape[:-1] + (1,) and yt.ndim == yp.ndim:
        yt = yt[..., 0]
    if yt.shape != yp.shape[:-1]:
        hint = ""
        if yt.shape == yp.shape:
            hint = " (y_true looks one-hot: use the categorical version of this metric)"
        raise ValueError(f"{who}: y_true has shape {np.shape(y_true)} but y_pred has shape "
                         f"{np.shape(y_pred)}; integer labels need shape {yp.shape[:-1]} or "
                         f"{yp.shape[:-1] + (1,)}{hint}")
    return yt, yp


def _one_hot_labels(y_true, y_pred, who):
    yt, yp = as_array(y_true), as_array(y_pred)
    if yt.shape != yp.shape or yp.ndim == 0:
        hint = ""
        if yp.ndim >= 1 and yt.shape in (yp.shape[:-1], yp.shape[:-1] + (1,)):
            hint = " (y_true looks like integer labels: use the sparse version of this metric)"
        raise ValueError(f"{who}: y_true has shape {yt.shape} but y_pred has shape {yp.shape}; "
                         f"one-hot labels must have the shape of y_pred{hint}")
    return yt.argmax(axis=-1), yp


def _in_top_k(labels, y_pred, k, who):
    """True where the label's score is among the ``k`` largest (ties with the k-th count as in)."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{who}: k must be an integer >= 1, got {k!r}")
    n_classes = y_pred.shape[-1]
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{who}: labels must lie in [0, {n_classes}), got values from "
                         f"{labels.min()} to {labels.max()}")
    target = np.take_along_axis(y_pred, labels[..., None], axis=-1)
    target = np.where(np.isnan(target), -np.inf, target)     # a NaN score is never in the top k
    return (y_pred > target).sum(axis=-1) < k


# --------------------------------------------------------------------- functions
def accuracy(y_true, y_pred):
    """Exact equality: ``mean_j [y_true_ij == y_pred_ij]`` per sample."""
    yt, yp = _same_shape(y_true, y_pred, "accuracy")
    return _per_sample(yt == yp)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean_j [y_true_ij == (y_pred_ij > threshold)]`` per sample (labels 0/1 or booleans)."""
    yt, yp = _same_shape(y_true, y_pred, "binary_accuracy")
    if yp.dtype.kind == "f":
        threshold = yp.dtype.type(threshold)       # compare in y_pred's precision, as Keras
    return _per_sample(yt == (yp > threshold).astype(yt.dtype))


def categorical_accuracy(y_true, y_pred):
    """``[argmax(y_true_i) == argmax(y_pred_i)]`` per sample, for one-hot ``y_true`` of y_pred's
    shape ``(N, C)`` (ties go to the first maximum)."""
    labels, yp = _one_hot_labels(y_true, y_pred, "categorical_accuracy")
    return (labels == yp.argmax(axis=-1)).astype(_FLOATX)


def sparse_categorical_accuracy(y_true, y_pred):
    """``[y_true_i == argmax(y_pred_i)]`` per sample, for integer labels of shape ``(N,)`` or
    ``(N, 1)`` (ints or floats) and scores ``(N, C)`` (probabilities or logits)."""
    yt, yp = _sparse_labels(y_true, y_pred, "sparse_categorical_accuracy")
    return (yt == yp.argmax(axis=-1)).astype(_FLOATX)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 when the one-hot label's class is among the ``k`` highest scores:
    ``#{j : y_pred_ij > y_pred_i,label} < k`` (ties with the k-th score count as hits)."""
    labels, yp = _one_hot_labels(y_true, y_pred, "top_k_categorical_accuracy")
    return _in_top_k(labels, yp, k, "top_k_categorical_accuracy").astype(_FLOATX)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """``top_k_categorical_accuracy`` for integer labels of shape ``(N,)`` or ``(N, 1)``."""
    yt, yp = _sparse_labels(y_true, y_pred, "sparse_top_k_categorical_accuracy")
    return _in_top_k(yt, yp, k, "sparse_top_k_categorical_accuracy").astype(_FLOATX)


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
        _in_top_k(np.zeros(0), np.zeros((0, 1)), k, "TopKCategoricalAccuracy")      # validates k
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """The weighted mean of ``sparse_top_k_categorical_accuracy(y_true, y_pred, k)``."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        _in_top_k(np.zeros(0), np.zeros((0, 1)), k, "SparseTopKCategoricalAccuracy")
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}
