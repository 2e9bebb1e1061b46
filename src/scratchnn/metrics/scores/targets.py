"""Targets and arguments of the whole-array metric functions: what the classification, ranking
and regression scores (and ``report.py``) share.

* ``as_labels``: class ids of shape ``(n,)`` from ids, one-hot rows or probability rows (argmax);
* ``class_targets``: both arrays of a classification score as class ids, checked against each
  other, with their weights and the classes present;
* ``check_sample_weight`` / ``check_some_weight``: one finite weight per sample, not all 0;
* ``UndefinedMetricWarning``: a score was undefined (a division by zero, one class only, ...) and
  was replaced by a conventional value.
"""
import numpy as np

from ..arrays import as_array


class UndefinedMetricWarning(UserWarning):
    """A score was undefined (a division by zero, one class only, ...) and was replaced by a
    conventional value (``zero_division``, ``nan``); scikit-learn's warning of the same name."""


def as_labels(y, what="y"):
    """Class ids of shape ``(n,)`` from ids, one-hot rows or probability rows (argmax of the last axis).

    ``(n, 1)`` columns are flattened; float ids must be whole numbers (``[0., 2.]`` -> ``[0, 2]``);
    string labels are kept as they are."""
    y = as_array(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{what}: expected class ids of shape (n,) or rows of shape (n, classes), "
                         f"got shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{what}: expected integer class ids, got non-integer values (probabilities of "
                             "one sigmoid output? threshold them first, e.g. (y > 0.5).astype(int))")
        y = y.astype(np.int64)
    return y


# ============================================================== argument checks
def check_sample_weight(sample_weight, n, who):
    """``None`` or a float64 array of shape ``(n,)`` (a scalar weighs every sample the same)."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(as_array(sample_weight), dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: sample_weight must be numbers, got {sample_weight!r:.100}") from None
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"{who}: sample_weight must have shape ({n},), one weight per sample, "
                         f"got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{who}: sample_weight contains NaN or infinity")
    return w


def check_some_weight(w, who):
    """A count-based score weighs its counts by ``w``: with every weight 0 there is nothing to count
    (scikit-learn raises too, rather than report the ``zero_division`` value)."""
    if w is not None and not np.any(w):
        raise ValueError(f"{who}: sample_weight is 0 for every sample; at least one sample needs a nonzero "
                         "weight")


def _reject_multilabel(raw, what, who):
    """Rows of 0/1 with several 1s are multi-label indicators, not one-hot rows: argmax would
    silently drop labels, so they are refused."""
    if raw.ndim == 2 and raw.shape[1] > 1 and raw.dtype.kind in "biuf" and raw.size:
        if np.all((raw == 0) | (raw == 1)) and np.any(raw.sum(axis=1) > 1):
            raise ValueError(f"{who}: {what} has rows of 0/1 with several 1s (multi-label indicators); "
                             "expected class ids of shape (n,), one-hot rows or probability rows")


def class_targets(y_true, y_pred, sample_weight, who):
    """Class ids of both arrays, the weights, and the classes present.

    The classes present are those of either array, plus ``0 .. C-1`` when an array is given
    as rows of ``C`` columns (a one-hot or probability row names every class of the model)."""
    raws = (as_array(y_true), as_array(y_pred))
    for raw, what in zip(raws, ("y_true", "y_pred")):
        _reject_multilabel(raw, what, who)
    yt, yp = as_labels(raws[0], "y_true"), as_labels(raws[1], "y_pred")
    if len(yt) != len(yp):
        raise ValueError(f"{who}: y_true and y_pred have different lengths: {len(yt)} and {len(yp)}")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true and y_pred are empty; at least one sample is needed")
    if (yt.dtype.kind in "OUS") != (yp.dtype.kind in "OUS"):
        raise ValueError(f"{who}: y_true and y_pred mix string and numeric labels "
                         f"({yt.dtype} and {yp.dtype})")
    w = check_sample_weight(sample_weight, len(yt), who)
    check_some_weight(w, who)
    present = np.union1d(yt, yp)
    if present.dtype.kind in "biuf":
        for raw in raws:
            if raw.ndim == 2 and raw.shape[1] > 1:
                present = np.union1d(present, np.arange(raw.shape[1]))
    return yt, yp, w, present
