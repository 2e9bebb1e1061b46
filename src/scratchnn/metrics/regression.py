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
