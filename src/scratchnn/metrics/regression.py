"""Regression metrics: per-sample errors and their epoch means.

The functions return one value per sample: for ``(N, D)`` inputs the mean over the
``D`` outputs, for ``(N,)`` inputs the value of each entry.  ``y_true`` and ``y_pred``
must have the same shape up to a trailing axis of length 1 (no silent broadcasting
of ``(N, 1)`` against ``(N, D)``).
"""
import numpy as np

from .accuracy import _same_shape
from .base import Mean, MeanMetricWrapper, match_ranks, as_array

EPSILON = 1e-7      # Keras's backend.epsilon(), the floor of |y_true| in MAPE


def _errors(y_true, y_pred, who):
    yt, yp = _same_shape(y_true, y_pred, who)
    dtype = yp.dtype if yp.dtype.kind == "f" else np.dtype(np.float32)
    return yt.astype(dtype, copy=False), yp.astype(dtype, copy=False)


def _per_sample(x):
    return x.mean(axis=-1) if x.ndim >= 2 else x


def mean_squared_error(y_true, y_pred):
    """``mean_j (y_true_ij - y_pred_ij)^2`` per sample."""
    yt, yp = _errors(y_true, y_pred, "mean_squared_error")
    return _per_sample(np.square(yt - yp))


def mean_absolute_error(y_true, y_pred):
    """``mean_j |y_true_ij - y_pred_ij|`` per sample."""
    yt, yp = _errors(y_true, y_pred, "mean_absolute_error")
    return _per_sample(np.abs(yt - yp))


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean_j |y_true_ij - y_pred_ij| / max(|y_true_ij|, 1e-7)`` per sample
    (a zero target gives a huge but finite value, as in Keras)."""
    yt, yp = _errors(y_true, y_pred, "mean_absolute_percentage_error")
    floor = yp.dtype.type(EPSILON)
    return yp.dtype.type(100.0) * _per_sample(np.abs((yt - yp) / np.maximum(np.abs(yt), floor)))


def root_mean_squared_error(y_true, y_pred):
    """``sqrt(mean_j (y_true_ij - y_pred_ij)^2)`` per sample.

    Averaging these values is *not* the RMSE of an epoch; ``RootMeanSquaredError``
    (and ``'rmse'`` in ``compile``) takes the root of the epoch's mean squared error.
    """
    return np.sqrt(mean_squared_error(y_true, y_pred))


class MeanSquaredError(MeanMetricWrapper):
    """The weighted mean of ``mean_squared_error`` over all samples."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The weighted mean of ``mean_absolute_error`` over all samples."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The weighted mean of ``mean_absolute_percentage_error`` over all samples."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """``sqrt(sum_i w_i e_i / sum_i w_i)`` with ``e_i`` the squared errors of the epoch:
    the root of the epoch's (weighted) mean squared error, not a mean of batch roots.

    ``sample_weight`` may weight samples ``(N,)`` or single outputs ``(N, D)``.
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        yt, yp = match_ranks(as_array(y_true, self._dtype), as_array(y_pred, self._dtype))
        if yt.shape != yp.shape:
            raise ValueError(f"metric {self.name!r}: y_true has shape {np.shape(y_true)} but y_pred has "
                             f"shape {np.shape(y_pred)}; they must match (up to a trailing axis of 1)")
        super().update_state(np.square(yp - yt), sample_weight=sample_weight)

    def result(self):
        return self._output(np.sqrt(self.total / self.count) if self.count > 0 else 0.0)
