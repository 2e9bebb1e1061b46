"""Regression metrics: the epoch means of the per-sample errors.

The per-sample functions (``mean_squared_error``, ``mean_absolute_error``,
``mean_absolute_percentage_error``, ``root_mean_squared_error``, in ``per_sample.py``) return one
value per sample: for ``(N, D)`` inputs the mean over the ``D`` outputs, for ``(N,)`` inputs the
value of each entry.  ``y_true`` and ``y_pred`` must have the same shape up to a trailing axis of
length 1 (no silent broadcasting of ``(N, 1)`` against ``(N, D)``).  The classes here average them
over every sample of the epoch; ``RootMeanSquaredError`` takes the root of the epoch's mean
squared error.
"""
import numpy as np

from .arrays import as_array, match_ranks
from .base import Mean, MeanMetricWrapper
from .per_sample import mean_absolute_error, mean_absolute_percentage_error, mean_squared_error
from .per_sample import root_mean_squared_error  # noqa: F401  (scratchnn.keras.metrics imports it from here)
from .probabilistic import EPSILON, pair


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


# ------------------------------------------------- regression losses as metrics (Keras 3's)
def log_cosh(y_true, y_pred):
    """``mean_j log(cosh(y_j - t_j))`` per sample, computed as ``x + log(1 + e^(-2x)) - log 2``
    (no overflow for large errors): about ``x^2 / 2`` for small errors, ``|x| - log 2`` for large."""
    t, y = pair(y_true, y_pred, "logcosh")
    x = y - t
    values = x + np.logaddexp(0.0, -2.0 * x) - np.log(2.0)
    return values.mean(axis=-1) if values.ndim >= 2 else values


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean_j (log(1 + max(y_j, 1e-7)) - log(1 + max(t_j, 1e-7)))^2`` per sample."""
    t, y = pair(y_true, y_pred, "mean_squared_logarithmic_error")
    values = np.square(np.log1p(np.maximum(y, EPSILON)) - np.log1p(np.maximum(t, EPSILON)))
    return values.mean(axis=-1) if values.ndim >= 2 else values


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum_j t_j y_j / (|t| |y|)`` per sample over ``axis`` (each vector divided by its norm,
    floored at 1e-6 as Keras's ``l2_normalize``): 1 for the same direction, -1 for opposite ones."""
    t, y = pair(y_true, y_pred, "cosine_similarity")

    def unit(v):
        return v / np.sqrt(np.maximum(np.square(v).sum(axis=axis, keepdims=True), 1e-12))

    return (unit(t) * unit(y)).sum(axis=axis)


class LogCoshError(MeanMetricWrapper):
    """The epoch mean of ``log_cosh`` (logged as ``'logcosh'``, Keras's name)."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The epoch mean of ``mean_squared_logarithmic_error``."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class CosineSimilarity(MeanMetricWrapper):
    """The epoch mean of ``cosine_similarity`` (higher is better)."""
    _direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}
