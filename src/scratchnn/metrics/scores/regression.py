"""Regression scores of whole arrays (scikit-learn's names, arguments and numbers).

``y_true`` and ``y_pred`` have shape ``(n,)`` or ``(n, outputs)``: ``mean_absolute_error``,
``mean_squared_error``, ``root_mean_squared_error``, ``mean_absolute_percentage_error`` (a
fraction, not a percentage, as scikit-learn), ``r2_score``.  ``multioutput``: ``'uniform_average'``
(mean over the outputs), ``'raw_values'`` (one value per output) or a weight per output.

Everything is computed in float64 and returned as Python floats (per-output results as float64
arrays).  Arguments after ``y_true`` and ``y_pred`` are keyword-only, as in scikit-learn.
The per-sample functions of the same names that Keras logs batch by batch are in
``scratchnn.metrics.per_sample`` (``scratchnn.keras.metrics``).
"""
import warnings

import numpy as np

from ..arrays import as_array
from .targets import UndefinedMetricWarning, check_sample_weight


def _regression_targets(y_true, y_pred, sample_weight, multioutput, who,
                        allowed=("raw_values", "uniform_average")):
    """``(y_true, y_pred, w, multioutput)`` as float64, targets of shape ``(n, outputs)``."""
    arrays = []
    for y, what in ((y_true, "y_true"), (y_pred, "y_pred")):
        try:
            a = np.asarray(as_array(y), dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{who}: {what} must be numbers, got {y!r:.100}") from None
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"{who}: {what} must have shape (n,) or (n, outputs), got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{who}: {what} contains NaN or infinity")
        arrays.append(a)
    yt, yp = arrays
    if len(yt) != len(yp):
        raise ValueError(f"{who}: y_true and y_pred have different lengths: {len(yt)} and {len(yp)}")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true and y_pred are empty; at least one sample is needed")
    if yt.shape[1] != yp.shape[1]:
        raise ValueError(f"{who}: y_true and y_pred have different numbers of outputs: "
                         f"{yt.shape[1]} and {yp.shape[1]}")
    w = check_sample_weight(sample_weight, len(yt), who)
    if w is not None and np.sum(w) == 0:
        raise ValueError(f"{who}: sample_weight sums to 0; the weighted mean is undefined")
    if isinstance(multioutput, str):
        if multioutput not in allowed:
            raise ValueError(f"{who}: multioutput must be one of {list(allowed)} or a weight per output, "
                             f"got {multioutput!r}")
    else:
        try:
            m = np.asarray(as_array(multioutput), dtype=np.float64)
        except (TypeError, ValueError):
            m = None
        if m is None or m.ndim != 1:
            raise ValueError(f"{who}: multioutput must be one of {list(allowed)} or a 1-D array of weights, "
                             f"got {multioutput!r:.100}")
        if yt.shape[1] == 1:
            raise ValueError(f"{who}: multioutput weights are only meaningful with several outputs; "
                             "y_true has one")
        if len(m) != yt.shape[1]:
            raise ValueError(f"{who}: multioutput has {len(m)} weights for {yt.shape[1]} outputs")
        multioutput = m
    return yt, yp, w, multioutput


def _combine_outputs(per_output, multioutput):
    """One value per output (``'raw_values'``), their mean, or their weighted mean."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return per_output
        return float(np.mean(per_output))
    return float(np.average(per_output, weights=multioutput))


def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """``MAE_j = sum_i w_i |y_ij - p_ij| / sum_i w_i`` for each output ``j``, combined by
    ``multioutput``."""
    yt, yp, w, multioutput = _regression_targets(y_true, y_pred, sample_weight, multioutput,
                                                 "mean_absolute_error")
    return _combine_outputs(np.average(np.abs(yp - yt), axis=0, weights=w), multioutput)


def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """``MSE_j = sum_i w_i (y_ij - p_ij)^2 / sum_i w_i`` for each output ``j``, combined by
    ``multioutput``.  (The per-sample Keras function is ``scratchnn.keras.metrics.mean_squared_error``.)"""
    yt, yp, w, multioutput = _regression_targets(y_true, y_pred, sample_weight, multioutput,
                                                 "mean_squared_error")
    return _combine_outputs(np.average((yt - yp) ** 2, axis=0, weights=w), multioutput)


def root_mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """``RMSE_j = sqrt(MSE_j)`` for each output ``j``, combined by ``multioutput`` (the mean of
    the outputs' roots, not the root of the mean MSE)."""
    yt, yp, w, multioutput = _regression_targets(y_true, y_pred, sample_weight, multioutput,
                                                 "root_mean_squared_error")
    return _combine_outputs(np.sqrt(np.average((yt - yp) ** 2, axis=0, weights=w)), multioutput)


def mean_absolute_percentage_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """``MAPE_j = sum_i w_i |y_ij - p_ij| / max(|y_ij|, eps) / sum_i w_i`` for each output ``j``,
    with ``eps`` = 2.2e-16 (float64's machine epsilon), combined by ``multioutput``.

    A fraction (0.05 means 5%), as scikit-learn; Keras's ``MeanAbsolutePercentageError`` reports
    percents.  A zero target gives a huge value: MAPE suits targets far from 0.
    """
    yt, yp, w, multioutput = _regression_targets(y_true, y_pred, sample_weight, multioutput,
                                                 "mean_absolute_percentage_error")
    ratio = np.abs(yp - yt) / np.maximum(np.abs(yt), np.finfo(np.float64).eps)
    return _combine_outputs(np.average(ratio, axis=0, weights=w), multioutput)


def r2_score(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", force_finite=True):
    """The coefficient of determination, for each output ``j``::

        R^2_j = 1 - sum_i w_i (y_ij - p_ij)^2 / sum_i w_i (y_ij - ybar_j)^2,   ybar_j = weighted mean of y_:j

    1 for perfect predictions, 0 for always predicting the mean, negative for worse.  A constant
    target (denominator 0) gives 1.0 for perfect predictions and 0.0 otherwise when
    ``force_finite`` (else ``nan`` / ``-inf``).  ``multioutput`` may also be
    ``'variance_weighted'`` (outputs weighted by their denominators).  Fewer than two samples:
    ``nan`` and an ``UndefinedMetricWarning``.
    """
    yt, yp, w, multioutput = _regression_targets(
        y_true, y_pred, sample_weight, multioutput, "r2_score",
        allowed=("raw_values", "uniform_average", "variance_weighted"))
    if len(yt) < 2:
        warnings.warn("R^2 is not well-defined with fewer than two samples (nan)", UndefinedMetricWarning,
                      stacklevel=2)
        return float("nan")
    weight = 1.0 if w is None else w[:, None]
    numerator = np.sum(weight * (yt - yp) ** 2, axis=0)
    denominator = np.sum(weight * (yt - np.average(yt, axis=0, weights=w)) ** 2, axis=0)
    nonzero_den, nonzero_num = denominator != 0, numerator != 0
    if force_finite:
        scores = np.ones(yt.shape[1])
        valid = nonzero_den & nonzero_num
        scores[valid] = 1 - numerator[valid] / denominator[valid]
        scores[nonzero_num & ~nonzero_den] = 0.0
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1 - numerator / denominator
    if isinstance(multioutput, str) and multioutput == "variance_weighted":
        return float(np.average(scores, weights=denominator if np.any(nonzero_den) else None))
    return _combine_outputs(scores, multioutput)
