"""Keras's per-sample metric functions, and the table of them by name.

Every function takes ``(y_true, y_pred)`` (NumPy arrays, lists or Tensors) and returns one value
per sample; the running-mean classes of ``accuracy.py`` and ``regression.py`` average those values
over every sample of the epoch (``MeanMetricWrapper``).

* Accuracy: ``accuracy``, ``binary_accuracy``, ``categorical_accuracy``,
  ``sparse_categorical_accuracy``, ``top_k_categorical_accuracy``,
  ``sparse_top_k_categorical_accuracy``: one float32 value per sample (1.0 for a hit, 0.0 for a miss).
* Regression: ``mean_squared_error``, ``mean_absolute_error``, ``mean_absolute_percentage_error``,
  ``root_mean_squared_error``: the error of each sample (these are Keras's per-sample functions,
  exported by ``scratchnn.keras.metrics``; ``scratchnn.metrics.mean_squared_error`` is
  scikit-learn's whole-array function).

Inputs of shape ``(N,)`` hold one value per sample; for ``(N, D)`` (elementwise metrics) each
sample's value is the mean over its ``D`` entries.  A trailing axis of length 1 on one side only is
ignored (``(N,)`` labels match ``(N, 1)`` predictions); otherwise ``y_true`` and ``y_pred`` must have
the same shape (no silent broadcasting of ``(N, 1)`` against ``(N, D)``).

``PER_SAMPLE_FUNCTIONS`` maps each function's name to it: ``MeanMetricWrapper.from_config`` finds
its ``"fn"`` there, so saved configs naming ``"mean_squared_error"`` keep meaning Keras's
per-sample function.
"""
import numpy as np

from ..registry import Registry
from .arrays import as_array, match_ranks

_FLOATX = np.float32


def _same_shape(y_true, y_pred, who):
    yt, yp = match_ranks(as_array(y_true), as_array(y_pred))
    if yt.shape != yp.shape:
        raise ValueError(f"{who}: y_true has shape {np.shape(y_true)} but y_pred has shape "
                         f"{np.shape(y_pred)}; they must match (up to a trailing axis of 1)")
    return yt, yp


def _hits_per_sample(hits):
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


def in_top_k(labels, y_pred, k, who):
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
    return _hits_per_sample(yt == yp)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean_j [y_true_ij == (y_pred_ij > threshold)]`` per sample (labels 0/1 or booleans)."""
    yt, yp = _same_shape(y_true, y_pred, "binary_accuracy")
    if yp.dtype.kind == "f":
        threshold = yp.dtype.type(threshold)       # compare in y_pred's precision, as Keras
    return _hits_per_sample(yt == (yp > threshold).astype(yt.dtype))


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
    return in_top_k(labels, yp, k, "top_k_categorical_accuracy").astype(_FLOATX)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """``top_k_categorical_accuracy`` for integer labels of shape ``(N,)`` or ``(N, 1)``."""
    yt, yp = _sparse_labels(y_true, y_pred, "sparse_top_k_categorical_accuracy")
    return in_top_k(yt, yp, k, "sparse_top_k_categorical_accuracy").astype(_FLOATX)


# --------------------------------------------------------------- regression
EPSILON = 1e-7      # Keras's backend.epsilon(), the floor of |y_true| in MAPE


def _errors(y_true, y_pred, who):
    """Both arrays in y_pred's float type (float32 for integer predictions), shapes checked."""
    yt, yp = _same_shape(y_true, y_pred, who)
    dtype = yp.dtype if yp.dtype.kind == "f" else np.dtype(np.float32)
    return yt.astype(dtype, copy=False), yp.astype(dtype, copy=False)


def _mean_per_sample(x):
    return x.mean(axis=-1) if x.ndim >= 2 else x


def mean_squared_error(y_true, y_pred):
    """``mean_j (y_true_ij - y_pred_ij)^2`` per sample."""
    yt, yp = _errors(y_true, y_pred, "mean_squared_error")
    return _mean_per_sample(np.square(yt - yp))


def mean_absolute_error(y_true, y_pred):
    """``mean_j |y_true_ij - y_pred_ij|`` per sample."""
    yt, yp = _errors(y_true, y_pred, "mean_absolute_error")
    return _mean_per_sample(np.abs(yt - yp))


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean_j |y_true_ij - y_pred_ij| / max(|y_true_ij|, 1e-7)`` per sample
    (a zero target gives a huge but finite value, as in Keras)."""
    yt, yp = _errors(y_true, y_pred, "mean_absolute_percentage_error")
    floor = yp.dtype.type(EPSILON)
    return yp.dtype.type(100.0) * _mean_per_sample(np.abs((yt - yp) / np.maximum(np.abs(yt), floor)))


def root_mean_squared_error(y_true, y_pred):
    """``sqrt(mean_j (y_true_ij - y_pred_ij)^2)`` per sample.

    Averaging these values is *not* the RMSE of an epoch; ``RootMeanSquaredError``
    (and ``'rmse'`` in ``compile``) takes the root of the epoch's mean squared error.
    """
    return np.sqrt(mean_squared_error(y_true, y_pred))


# The built-in per-sample functions by name (MeanMetricWrapper.from_config looks "fn" up here).
PER_SAMPLE_FUNCTIONS = Registry("metric function", accepts=callable)
for _fn in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
            top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
            mean_absolute_error, mean_absolute_percentage_error, root_mean_squared_error):
    PER_SAMPLE_FUNCTIONS.add(_fn)
del _fn
