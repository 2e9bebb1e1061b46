"""The probabilistic losses as metrics (Keras 3's ``probabilistic_metrics``): the epoch mean of
each sample's cross-entropy, Kullback-Leibler divergence or Poisson loss.

``compile(loss="binary_crossentropy")`` trains on the cross-entropy; ``metrics=[BinaryCrossentropy()]``
reports it, e.g. on a model trained with another loss. Each class is a ``MeanMetricWrapper`` of the
per-sample function below (one value per sample, averaged over the last axis where the loss
averages, summed over the classes where the loss sums); the functions follow Keras's numbers:
probabilities are clipped to ``[1e-7, 1 - 1e-7]``, ``from_logits=True`` takes logits instead (the
log-sigmoid / log-softmax, never a log of 0), ``label_smoothing`` moves the targets towards
``1/2`` (binary) or ``1/C`` (categorical). NumPy in, float64 per-sample values out.
"""
import numpy as np

from .arrays import as_array, match_ranks
from .base import MeanMetricWrapper

EPSILON = 1e-7          # Keras's backend.epsilon()


def pair(y_true, y_pred, who):
    """Both as float64 arrays of one shape (a trailing axis of 1 on one side is matched)."""
    yt, yp = match_ranks(as_array(y_true, np.float64), as_array(y_pred, np.float64))
    if yt.shape != yp.shape:
        raise ValueError(f"{who}: y_true has shape {np.shape(y_true)} but y_pred has shape "
                         f"{np.shape(y_pred)}; they must match (up to a trailing axis of 1)")
    return yt, yp


def _mean_last(x):
    return x.mean(axis=-1) if x.ndim >= 2 else x


def _log_softmax(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _log_probabilities(y_pred, from_logits, axis):
    """log p over the class ``axis``: of softmax(logits), or of the probabilities renormalised to
    sum to 1 and clipped (Keras)."""
    if from_logits:
        return _log_softmax(y_pred, axis)
    p = y_pred / y_pred.sum(axis=axis, keepdims=True)
    return np.log(np.clip(p, EPSILON, 1 - EPSILON))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """``-mean_j [t_j log p_j + (1 - t_j) log(1 - p_j)]`` per sample (``t`` smoothed:
    ``t (1 - s) + s / 2``; with logits z, ``log p = -log(1 + e^-z)``, ``log(1 - p) = -log(1 + e^z)``)."""
    t, y = pair(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        log_p, log_q = -np.logaddexp(0.0, -y), -np.logaddexp(0.0, y)
    else:
        p = np.clip(y, EPSILON, 1 - EPSILON)
        log_p, log_q = np.log(p), np.log(1 - p)
    return _mean_last(-(t * log_p + (1 - t) * log_q))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum_k t_k log p_k`` per sample over the class ``axis``, for one-hot (or soft) targets of
    y_pred's shape (``t`` smoothed: ``t (1 - s) + s / C``)."""
    t, y = as_array(y_true, np.float64), as_array(y_pred, np.float64)
    if t.shape != y.shape:
        hint = " (y_true looks like integer labels: use SparseCategoricalCrossentropy)" \
            if y.ndim and t.shape in (y.shape[:-1], y.shape[:-1] + (1,)) else ""
        raise ValueError(f"categorical_crossentropy: y_true has shape {t.shape} but y_pred has shape "
                         f"{y.shape}; one-hot targets must have the shape of y_pred{hint}")
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / y.shape[axis]
    return -(t * _log_probabilities(y, from_logits, axis)).sum(axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """``-log p[label]`` per sample, for integer labels of shape ``y_pred.shape[:-1]`` (or with a
    trailing axis of 1)."""
    y = as_array(y_pred, np.float64)
    if axis not in (-1, y.ndim - 1):
        y = np.moveaxis(y, axis, -1)
    labels = as_array(y_true)
    if labels.shape == y.shape[:-1] + (1,):
        labels = labels[..., 0]
    if labels.shape != y.shape[:-1]:
        raise ValueError(f"sparse_categorical_crossentropy: y_true has shape {np.shape(y_true)} but "
                         f"y_pred has shape {np.shape(y_pred)}; integer labels need shape {y.shape[:-1]}")
    if labels.dtype.kind == "f" and not np.all(np.mod(labels, 1) == 0):
        raise ValueError("sparse_categorical_crossentropy: y_true must hold integer class labels")
    labels = labels.astype(np.int64)
    n = y.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"sparse_categorical_crossentropy: labels must lie in [0, {n}), got values from "
                         f"{labels.min()} to {labels.max()}")
    log_p = _log_probabilities(y, from_logits, -1)
    return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]


def kl_divergence(y_true, y_pred):
    """``sum_j t_j log(t_j / p_j)`` per sample, both clipped to ``[1e-7, 1]``."""
    t, y = pair(y_true, y_pred, "kl_divergence")
    t, y = np.clip(t, EPSILON, 1.0), np.clip(y, EPSILON, 1.0)
    values = t * np.log(t / y)
    return values.sum(axis=-1) if values.ndim >= 2 else values


def poisson(y_true, y_pred):
    """``mean_j (p_j - t_j log(p_j + 1e-7))`` per sample (the negative log-likelihood of counts
    ``t`` under Poisson rates ``p``, without the ``log t!`` term)."""
    t, y = pair(y_true, y_pred, "poisson")
    return _mean_last(y - t * np.log(y + EPSILON))


class BinaryCrossentropy(MeanMetricWrapper):
    """The epoch mean of ``binary_crossentropy`` (Keras's ``metrics.BinaryCrossentropy``)."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class CategoricalCrossentropy(MeanMetricWrapper):
    """The epoch mean of ``categorical_crossentropy`` (one-hot or soft targets)."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0,
                 axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The epoch mean of ``sparse_categorical_crossentropy`` (integer labels)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         axis=axis)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class KLDivergence(MeanMetricWrapper):
    """The epoch mean of ``kl_divergence``."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class Poisson(MeanMetricWrapper):
    """The epoch mean of ``poisson``."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
