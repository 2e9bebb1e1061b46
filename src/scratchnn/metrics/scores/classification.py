"""Classification scores of whole arrays (scikit-learn's names, arguments and numbers):
``accuracy_score``, ``precision_recall_fscore_support``, ``precision_score``, ``recall_score``,
``fbeta_score``, ``f1_score``.

The targets (``y_true``, ``y_pred``) are class ids of shape ``(n,)``, or one-hot / probability rows
``(n, classes)`` that are reduced with ``argmax``; rows of 0/1 with several 1s, i.e. multi-label
indicators, are refused.  For a class ``c``, with weights ``w_i`` (1 without ``sample_weight``)::

    TP_c = sum_i w_i [y_i = c and p_i = c]     predicted_c = sum_i w_i [p_i = c]
    support_c = sum_i w_i [y_i = c]

    precision_c = TP_c / predicted_c          recall_c = TP_c / support_c
    F_beta,c = (1 + beta^2) TP_c / (beta^2 support_c + predicted_c)
             = (1 + beta^2) precision_c recall_c / (beta^2 precision_c + recall_c)

A ratio whose denominator is 0 is ``zero_division`` (``'warn'``: 0.0 and an
``UndefinedMetricWarning``; or 0, 1, ``np.nan``).  ``average``:

* ``'binary'`` (default): the scores of class ``pos_label`` only (two classes at most);
* ``'micro'``: the ratios of the counts summed over the classes (for single-label data,
  micro precision = micro recall = micro F1 = accuracy, when every class is listed);
* ``'macro'``: the plain mean of the per-class scores (every class counts the same);
* ``'weighted'``: their mean weighted by ``support_c`` (frequent classes count more);
* ``None``: the per-class scores, in the order of ``labels``.

``np.nan`` scores (``zero_division=np.nan``) are left out of the macro and weighted means.

Everything is computed in float64 and returned as Python floats (per-class results as float64
arrays).  Arguments after ``y_true`` and ``y_pred`` are keyword-only, as in scikit-learn.
"""
import warnings

import numpy as np

from ..arrays import as_array
from .targets import UndefinedMetricWarning, check_sample_weight, check_some_weight, class_targets


# ============================================================== argument checks
def _check_zero_division(zero_division):
    """``(value, warn)``: the number that replaces an undefined ratio, and whether to warn."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0, True
    elif isinstance(zero_division, (int, float, np.integer, np.floating)):
        if zero_division in (0, 1):
            return float(zero_division), False
        if np.isnan(zero_division):
            return np.nan, False
    raise ValueError(f"zero_division must be 'warn', 0, 1 or np.nan, got {zero_division!r}")


def _label_counts(yt, yp, labels, w):
    """``(tp, predicted, support)`` for each entry of ``labels``: weighted counts of the samples
    of that class predicted as it, predicted as it, and of that class (samples whose other
    label is not listed still count).  One ``bincount`` each, no loop over samples."""
    uniq, inverse = np.unique(labels, return_inverse=True)
    k = len(uniq)

    def index(y):
        """Each label's position in ``uniq``, and whether it is listed at all."""
        pos = np.minimum(np.searchsorted(uniq, y), k - 1)
        return pos, uniq[pos] == y

    ti, t_listed = index(yt)
    pi, p_listed = index(yp)
    w = np.ones(len(yt)) if w is None else w
    hit = t_listed & (yt == yp)
    tp = np.bincount(ti[hit], weights=w[hit], minlength=k)
    predicted = np.bincount(pi[p_listed], weights=w[p_listed], minlength=k)
    support = np.bincount(ti[t_listed], weights=w[t_listed], minlength=k)
    return tp[inverse], predicted[inverse], support[inverse]


def _divide(num, den, zero, warn, message):
    """``num / den`` elementwise, ``zero`` where ``den == 0`` (warning when ``warn``)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    undefined = den == 0
    out = num / np.where(undefined, 1.0, den)
    out[undefined] = zero
    if warn and np.any(undefined):
        where = "due to" if out.size == 1 else "in labels with"
        warnings.warn(f"{message[0]} is ill-defined and being set to 0.0 {where} no {message[1]} samples. "
                      "Use the zero_division argument to choose the value.", UndefinedMetricWarning,
                      stacklevel=4)
    return out


def _nanaverage(values, weights=None):
    """Weighted mean of the non-NaN ``values`` (NaN if there are none; a plain mean if their
    weights sum to 0)."""
    keep = ~np.isnan(values)
    if not np.any(keep):
        return np.nan
    values = values[keep]
    if weights is not None:
        weights = weights[keep]
        if np.sum(weights) != 0:
            return float(np.average(values, weights=weights))
    return float(np.mean(values))


_AVERAGES = ("binary", "micro", "macro", "weighted", None)


# ============================================================== classification scores
def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """The fraction (``normalize=True``) or the number of correctly classified samples::

        accuracy = sum_i w_i [y_i = p_i] / sum_i w_i

    ``y_true``, ``y_pred``: class ids, one-hot rows or probability rows (argmax); when both are
    0/1 matrices of the same shape, a sample is correct when its whole row matches (subset
    accuracy, as scikit-learn computes it for indicator matrices).
    """
    who = "accuracy_score"
    yt_raw, yp_raw = as_array(y_true), as_array(y_pred)
    if (yt_raw.ndim == 2 and yt_raw.shape == yp_raw.shape and yt_raw.shape[1] > 1
            and yt_raw.dtype.kind in "biuf" and yp_raw.dtype.kind in "biuf"
            and np.all((yt_raw == 0) | (yt_raw == 1)) and np.all((yp_raw == 0) | (yp_raw == 1))):
        correct = np.all(yt_raw == yp_raw, axis=1)
        if len(correct) == 0:
            raise ValueError(f"{who}: y_true and y_pred are empty; at least one sample is needed")
        w = check_sample_weight(sample_weight, len(correct), who)
        check_some_weight(w, who)
    else:
        yt, yp, w, _ = class_targets(y_true, y_pred, sample_weight, who)
        correct = yt == yp
    if not isinstance(normalize, (bool, np.bool_)):
        raise ValueError(f"{who}: normalize must be True or False, got {normalize!r}")
    correct = correct.astype(np.float64)
    if normalize:
        if w is not None and np.sum(w) == 0:
            raise ValueError(f"{who}: sample_weight sums to 0; the weighted fraction is undefined")
        return float(np.average(correct, weights=w))
    return float(correct.sum() if w is None else correct @ w)


def precision_recall_fscore_support(y_true, y_pred, *, beta=1.0, labels=None, pos_label=1, average=None,
                                    warn_for=("precision", "recall", "f-score"), sample_weight=None,
                                    zero_division="warn"):
    """Precision, recall, F-beta and support (see the module docstring for the formulas).

    ``labels``: the classes to score, in this order (default: every class present, sorted; with
    ``labels`` a subset, the micro average counts only those classes).  ``average='binary'``
    scores class ``pos_label`` and needs two classes at most.  Returns ``(precision, recall,
    fbeta, support)``: arrays over ``labels`` when ``average`` is None, else three floats and
    ``None``.

    ``beta``: the weight of recall in F-beta.  ``sample_weight``: one weight per sample (the counts
    become sums of weights).  ``zero_division``: the value of a ratio whose denominator is 0
    (``'warn'``: 0.0 with an ``UndefinedMetricWarning`` for the scores named in ``warn_for``; 0;
    1; ``np.nan``, which the averages leave out).
    """
    who = "precision_recall_fscore_support"
    if average not in _AVERAGES:
        if average == "samples":
            raise ValueError(f"{who}: average='samples' is for multi-label targets, which are not supported; "
                             "average must be one of 'binary', 'micro', 'macro', 'weighted' or None")
        raise ValueError(f"{who}: average must be one of 'binary', 'micro', 'macro', 'weighted' or None, "
                         f"got {average!r}")
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, (int, float, np.integer, np.floating)) \
            or not beta >= 0:
        raise ValueError(f"{who}: beta must be a number >= 0, got {beta!r}")
    zero, warn = _check_zero_division(zero_division)
    yt, yp, w, present = class_targets(y_true, y_pred, sample_weight, who)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"{who}: the targets hold {len(present)} classes {present.tolist()[:20]}, but "
                             "average='binary' needs two at most; choose average='micro', 'macro', "
                             "'weighted' or None")
        if len(present) == 2 and not np.any(present == pos_label):
            raise ValueError(f"{who}: pos_label={pos_label!r} is not a valid label: it should be one of "
                             f"{present.tolist()}")
        labels = np.asarray([pos_label])
    else:
        if pos_label not in (None, 1):
            warnings.warn(f"pos_label={pos_label!r} is ignored when average != 'binary' (got {average!r}); "
                          "use labels=[pos_label] to score a single class", UserWarning, stacklevel=3)
        labels = present if labels is None else np.asarray(as_array(labels))
        if labels.ndim != 1 or len(labels) == 0:
            raise ValueError(f"{who}: labels must be a non-empty list of classes, "
                             f"got {labels.tolist()!r:.100}")
    tp, predicted, support = _label_counts(yt, yp, labels, w)
    if average == "micro":
        tp, predicted, support = (c.sum(keepdims=True) for c in (tp, predicted, support))

    precision = _divide(tp, predicted, zero, warn and "precision" in warn_for, ("Precision", "predicted"))
    recall = _divide(tp, support, zero, warn and "recall" in warn_for, ("Recall", "true"))
    if np.isposinf(beta):
        fbeta = recall
    elif beta == 0:
        fbeta = precision
    else:
        b2 = float(beta) ** 2
        fbeta = _divide((1 + b2) * tp, b2 * support + predicted, zero, warn and "f-score" in warn_for,
                        ("F-score", "true nor predicted"))
    if average is None:
        return precision, recall, fbeta, support.astype(np.int64) if w is None else support
    weights = support if average == "weighted" else None
    return _nanaverage(precision, weights), _nanaverage(recall, weights), _nanaverage(fbeta, weights), None


def precision_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None,
                    zero_division="warn"):
    """Precision ``TP / (TP + FP)``: of the samples predicted as a class, the fraction that are
    of it.  See ``precision_recall_fscore_support`` for the arguments."""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, warn_for=("precision",),
                                           sample_weight=sample_weight, zero_division=zero_division)[0]


def recall_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None,
                 zero_division="warn"):
    """Recall ``TP / (TP + FN)``: of the samples of a class, the fraction predicted as it.
    See ``precision_recall_fscore_support`` for the arguments."""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, pos_label=pos_label,
                                           average=average, warn_for=("recall",), sample_weight=sample_weight,
                                           zero_division=zero_division)[1]


def fbeta_score(y_true, y_pred, *, beta, labels=None, pos_label=1, average="binary", sample_weight=None,
                zero_division="warn"):
    """``F_beta = (1 + beta^2) P R / (beta^2 P + R) = (1 + beta^2) TP / ((1 + beta^2) TP + beta^2 FN + FP)``:
    recall counts ``beta`` times as much as precision (``beta=0``: precision; ``beta=inf``:
    recall).  See ``precision_recall_fscore_support`` for the arguments."""
    return precision_recall_fscore_support(y_true, y_pred, beta=beta, labels=labels, pos_label=pos_label,
                                           average=average, warn_for=("f-score",),
                                           sample_weight=sample_weight, zero_division=zero_division)[2]


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None,
             zero_division="warn"):
    """``F1 = 2 P R / (P + R) = 2 TP / (2 TP + FP + FN)``, the harmonic mean of precision and
    recall (``fbeta_score`` with ``beta=1``).  See ``precision_recall_fscore_support``."""
    return fbeta_score(y_true, y_pred, beta=1.0, labels=labels, pos_label=pos_label, average=average,
                       sample_weight=sample_weight, zero_division=zero_division)
