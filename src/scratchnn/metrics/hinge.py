"""The hinge losses as metrics (Keras 3's ``hinge_metrics``): the epoch mean of each sample's
hinge, squared hinge or categorical hinge loss.

For ``Hinge`` and ``SquaredHinge`` the targets are -1/+1; 0/1 targets are turned into -1/+1 first
(``2 t - 1``) when every target is 0 or 1, as Keras does. NumPy in, float64 per-sample values out.
"""
import numpy as np

from .base import MeanMetricWrapper
from .probabilistic import pair


def _signed(y_true, y_pred, who):
    t, y = pair(y_true, y_pred, who)
    if t.size and np.all((t == 0) | (t == 1)):
        t = 2.0 * t - 1.0
    return t, y


def _mean_last(x):
    return x.mean(axis=-1) if x.ndim >= 2 else x


def hinge(y_true, y_pred):
    """``mean_j max(1 - t_j y_j, 0)`` per sample (``t`` in {-1, +1})."""
    t, y = _signed(y_true, y_pred, "hinge")
    return _mean_last(np.maximum(1.0 - t * y, 0.0))


def squared_hinge(y_true, y_pred):
    """``mean_j max(1 - t_j y_j, 0)^2`` per sample (``t`` in {-1, +1})."""
    t, y = _signed(y_true, y_pred, "squared_hinge")
    return _mean_last(np.square(np.maximum(1.0 - t * y, 0.0)))


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)`` per sample, with ``pos = sum_k t_k y_k`` (the true class's score,
    ``t`` one-hot) and ``neg = max_k (1 - t_k) y_k`` (the best wrong score)."""
    t, y = pair(y_true, y_pred, "categorical_hinge")
    pos = (t * y).sum(axis=-1)
    neg = ((1.0 - t) * y).max(axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


class _HingeMetric(MeanMetricWrapper):
    fn = None

    def __init__(self, name=None, dtype=None):
        super().__init__(type(self).fn, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class Hinge(_HingeMetric):
    """The epoch mean of ``hinge``."""
    fn = staticmethod(hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_HingeMetric):
    """The epoch mean of ``squared_hinge``."""
    fn = staticmethod(squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_HingeMetric):
    """The epoch mean of ``categorical_hinge``."""
    fn = staticmethod(categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
