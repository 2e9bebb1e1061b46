"""Metrics as functions of whole arrays (one number per data set), with scikit-learn's names,
arguments, defaults and numbers.

    from scratchnn.metrics import accuracy_score, f1_score, roc_auc_score, r2_score
    accuracy_score(y_test, model.predict(x_test))            # probability rows are argmax-ed
    f1_score(y_test, y_pred, average="macro")
    roc_auc_score(y_test, probabilities, multi_class="ovr")
    r2_score(y_test, model.predict(x_test))

These answer "how good is the model on this data set?" after training.  The metric classes
(``Precision``, ``AUC``, ``MeanSquaredError``, ...) answer the same question *during* training,
by accumulating counts batch after batch; a function of whole arrays averaged over batches would
not give the epoch's value (the F1 of an epoch is not the mean of the batches' F1).

Classification (``y_true``, ``y_pred``: class ids of shape ``(n,)``, or one-hot / probability rows
``(n, classes)`` that are reduced with ``argmax``; rows of 0/1 with several 1s, i.e. multi-label
indicators, are refused).  For a class ``c``, with weights ``w_i`` (1 without ``sample_weight``)::

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

Ranking (``y_score``: a score per sample, larger meaning "more likely positive"): ``roc_curve``,
``precision_recall_curve``, ``roc_auc_score`` and ``average_precision_score`` sort the scores once
and read every threshold's counts from cumulative sums.

Regression (``y_true``, ``y_pred`` of shape ``(n,)`` or ``(n, outputs)``): ``mean_absolute_error``,
``mean_squared_error``, ``root_mean_squared_error``, ``mean_absolute_percentage_error`` (a
fraction, not a percentage, as scikit-learn), ``r2_score``.  ``multioutput``: ``'uniform_average'``
(mean over the outputs), ``'raw_values'`` (one value per output) or a weight per output.

Everything is computed in float64 and returned as Python floats (per-class or per-output results as
float64 arrays).  Arguments after ``y_true`` and ``y_pred`` are keyword-only, as in scikit-learn.
"""
import warnings
from itertools import combinations

import numpy as np

from ...autograd import Tensor
from ..report import as_labels


class UndefinedMetricWarning(UserWarning):
    """A score was undefined (a division by zero, one class only, ...) and was replaced by a
    conventional value (``zero_division``, ``nan``); scikit-learn's warning of the same name."""


def _np(x):
    """``x`` as an ndarray (the data of a Tensor)."""
    return np.asarray(x.data if isinstance(x, Tensor) else x)


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


def _check_sample_weight(sample_weight, n, who):
    """``None`` or a float64 array of shape ``(n,)`` (a scalar weighs every sample the same)."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(_np(sample_weight), dtype=np.float64)
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


def _check_some_weight(w, who):
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


def _class_targets(y_true, y_pred, sample_weight, who):
    """Class ids of both arrays, the weights, and the classes present.

    The classes present are those of either array, plus ``0 .. C-1`` when an array is given
    as rows of ``C`` columns (a one-hot or probability row names every class of the model)."""
    raws = (_np(y_true), _np(y_pred))
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
    w = _check_sample_weight(sample_weight, len(yt), who)
    _check_some_weight(w, who)
    present = np.union1d(yt, yp)
    if present.dtype.kind in "biuf":
        for raw in raws:
            if raw.ndim == 2 and raw.shape[1] > 1:
                present = np.union1d(present, np.arange(raw.shape[1]))
    return yt, yp, w, present


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
    yt_raw, yp_raw = _np(y_true), _np(y_pred)
    if (yt_raw.ndim == 2 and yt_raw.shape == yp_raw.shape and yt_raw.shape[1] > 1
            and yt_raw.dtype.kind in "biuf" and yp_raw.dtype.kind in "biuf"
            and np.all((yt_raw == 0) | (yt_raw == 1)) and np.all((yp_raw == 0) | (yp_raw == 1))):
        correct = np.all(yt_raw == yp_raw, axis=1)
        if len(correct) == 0:
            raise ValueError(f"{who}: y_true and y_pred are empty; at least one sample is needed")
        w = _check_sample_weight(sample_weight, len(correct), who)
        _check_some_weight(w, who)
    else:
        yt, yp, w, _ = _class_targets(y_true, y_pred, sample_weight, who)
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
    yt, yp, w, present = _class_targets(y_true, y_pred, sample_weight, who)
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
        labels = present if labels is None else np.asarray(_np(labels))
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


# ============================================================== ranking: curves and areas
def _scores_1d(y_score, n, who):
    """One finite float64 score per sample (shape ``(n,)`` or ``(n, 1)``)."""
    s = np.asarray(_np(y_score), dtype=np.float64)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim != 1:
        raise ValueError(f"{who}: y_score must hold one score per sample, shape ({n},), got shape {s.shape} "
                         "(for two-class probability rows pass the positive class's column, y_score[:, 1])")
    if len(s) != n:
        raise ValueError(f"{who}: y_true and y_score have different lengths: {n} and {len(s)}")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{who}: y_score contains NaN or infinity")
    return s


def _resolve_pos_label(yt, pos_label, who):
    """``pos_label``, or 1 when it is None and ``y_true`` takes values in {0, 1} or {-1, 1}."""
    if pos_label is not None:
        return pos_label
    classes = np.unique(yt)
    if classes.dtype.kind in "OUS" or set(classes.tolist()) not in ({0, 1}, {-1, 1}, {0}, {-1}, {1}):
        raise ValueError(f"{who}: y_true takes the values {classes.tolist()[:20]} and pos_label is not "
                         "given: make y_true take values in {0, 1} or {-1, 1}, or pass pos_label")
    return 1


def _sorted_counts(positive, score, w):
    """The counts behind every ranking metric, from one sort and two cumulative sums.

    Sort the samples by decreasing score; each distinct score ``t`` is a threshold ("predict
    positive when score >= t"), and at that threshold::

        tps(t) = sum_{i: s_i >= t} w_i [y_i positive]      fps(t) = sum_{i: s_i >= t} w_i [y_i negative]

    which are the cumulative sums read at the last sample of each group of tied scores.
    Returns ``(fps, tps, thresholds)``, thresholds decreasing; samples of weight 0 are dropped.
    """
    if w is not None:
        keep = w != 0
        positive, score, w = positive[keep], score[keep], w[keep]
    if len(score) == 0:
        raise ValueError("no sample has a nonzero sample_weight")
    order = np.argsort(-score, kind="stable")
    score, positive = score[order], positive[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]     # end of each group of equal scores
    if w is None:
        tps = np.cumsum(positive)[last]
        fps = 1 + last - tps
    else:
        w = w[order]
        tps = np.cumsum(positive * w)[last]
        fps = np.cumsum((1 - positive) * w)[last]
    return fps, tps, score[last]


def _binary_inputs(y_true, y_score, pos_label, sample_weight, who):
    """``(positive mask, scores, weights)`` of a binary ranking problem, checked."""
    yt = as_labels(_np(y_true), "y_true")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true is empty; at least one sample is needed")
    s = _scores_1d(y_score, len(yt), who)
    pos_label = _resolve_pos_label(yt, pos_label, who)
    return yt == pos_label, s, _check_sample_weight(sample_weight, len(yt), who)


def _roc_points(fps, tps):
    """``(fpr, tpr)`` from the counts, with the (0, 0) corner first; NaN (and a warning) when
    ``y_true`` has no negative (no positive) sample."""
    def rate(counts, samples, name):              # counts / their total, the (0, 0) corner first
        counts = np.r_[0.0, counts]
        if counts[-1] > 0:
            return counts / counts[-1]
        warnings.warn(f"No {samples} samples in y_true: the {name} rate is undefined (nan)",
                      UndefinedMetricWarning, stacklevel=4)
        return np.full(counts.shape, np.nan)
    return rate(fps, "negative", "false positive"), rate(tps, "positive", "true positive")


def roc_curve(y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=True):
    """The ROC curve: for each threshold ``t`` (each distinct score, decreasing), predicting
    "positive" when ``score >= t`` gives::

        TPR(t) = TP(t) / P  (recall)            FPR(t) = FP(t) / N  (false alarms among the negatives)

    with ``P`` and ``N`` the (weighted) numbers of positive and negative samples.  Returns
    ``(fpr, tpr, thresholds)``; ``thresholds[0]`` is ``inf`` (predict nothing positive: the
    point (0, 0)).  ``pos_label``: the positive class (default 1, with ``y_true`` in {0, 1} or
    {-1, 1}).  ``drop_intermediate``: leave out the thresholds whose point lies on the straight
    line between its neighbours (same curve, same area, fewer points).
    """
    who = "roc_curve"
    positive, s, w = _binary_inputs(y_true, y_score, pos_label, sample_weight, who)
    fps, tps, thresholds = _sorted_counts(positive, s, w)
    if drop_intermediate and len(fps) > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]
    fpr, tpr = _roc_points(fps, tps)
    return fpr, tpr, np.r_[np.inf, thresholds]


def precision_recall_curve(y_true, y_score, *, pos_label=None, sample_weight=None, drop_intermediate=False):
    """Precision and recall at every threshold ``t`` (each distinct score), predicting
    "positive" when ``score >= t``::

        precision(t) = TP(t) / (TP(t) + FP(t))        recall(t) = TP(t) / P

    Returns ``(precision, recall, thresholds)``: thresholds increasing; precision and recall have
    one more entry, the point (recall 0, precision 1) of "predict nothing positive".  A threshold
    that predicts nothing has precision 0; with no positive sample, recall is 1 everywhere (and
    a warning).  ``drop_intermediate``: leave out thresholds where the true positives do not change
    on either side (points the plotted step curve does not need).
    """
    who = "precision_recall_curve"
    positive, s, w = _binary_inputs(y_true, y_score, pos_label, sample_weight, who)
    return _pr_curve(positive, s, w, drop_intermediate)


def _pr_curve(positive, s, w, drop_intermediate=False):
    """``precision_recall_curve`` from a boolean mask of the positive samples."""
    fps, tps, thresholds = _sorted_counts(positive, s, w)
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted != 0)
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true: recall is set to 1 for all thresholds",
                      UserWarning, stacklevel=3)
        recall = np.ones_like(tps)
    else:
        recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def _binary_average_precision(positive, s, w):
    """``AP = sum_k (R_k - R_{k-1}) P_k``: precision at each threshold weighted by the recall it
    adds (the area under the precision-recall step curve, without interpolation)."""
    precision, recall, _ = _pr_curve(positive, s, w)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def _binary_roc_auc(positive, s, w, max_fpr=None):
    """Area under the ROC curve by the trapezoidal rule (ties make diagonal segments, so a tie
    counts 1/2): the probability that a random positive scores above a random negative.

    ``max_fpr``: the area over ``FPR <= max_fpr`` only, standardised (McClish) so that a random
    ranking gives 0.5 and a perfect one 1:  ``(1 + (A - max_fpr^2/2) / (max_fpr - max_fpr^2/2)) / 2``.
    """
    if len(np.unique(positive)) != 2:
        warnings.warn("Only one class is present in y_true: ROC AUC is not defined (nan)",
                      UndefinedMetricWarning, stacklevel=3)
        return np.nan
    fps, tps, _ = _sorted_counts(positive, s, w)
    fpr, tpr = _roc_points(fps, tps)
    if max_fpr is None or max_fpr == 1:
        return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
    stop = np.searchsorted(fpr, max_fpr, "right")
    tpr_cut = np.interp(max_fpr, fpr[stop - 1:stop + 1], tpr[stop - 1:stop + 1])
    fpr, tpr = np.r_[fpr[:stop], max_fpr], np.r_[tpr[:stop], tpr_cut]
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
    min_area, max_area = 0.5 * max_fpr ** 2, max_fpr
    return 0.5 * (1 + (area - min_area) / (max_area - min_area))


def _average_columns(binary_metric, Y, S, average, w):
    """A binary metric of each column of the 0/1 matrix ``Y`` against the scores ``S``, then:
    ``None`` (the per-column values), ``'macro'`` (their mean), ``'weighted'`` (their mean
    weighted by each column's weighted count of positives; columns without positives count 0) or
    ``'micro'`` (one binary metric of all the entries together)."""
    if average == "micro":
        return binary_metric(Y.ravel() == 1, S.ravel(), None if w is None else np.repeat(w, Y.shape[1]))
    weights = None
    if average == "weighted":
        weights = Y.sum(axis=0) if w is None else (Y * w[:, None]).sum(axis=0)
        if np.isclose(weights.sum(), 0):
            return 0.0
    values = np.array([binary_metric(Y[:, c] == 1, S[:, c], w) for c in range(Y.shape[1])])
    if average is None:
        return values
    if weights is not None:
        values[weights == 0] = 0
    return float(np.average(values, weights=weights))


def _indicator(raw, who):
    """A 0/1 indicator matrix ``(n, classes)`` as float64 (one-hot or multi-label rows)."""
    Y = np.asarray(raw)
    if Y.dtype.kind not in "biuf" or not np.all((Y == 0) | (Y == 1)):
        raise ValueError(f"{who}: a 2-D y_true must be an indicator matrix of 0s and 1s (one-hot rows), "
                         f"got values {np.unique(Y).tolist()[:10]}")
    return Y.astype(np.float64)


def _scores_2d(y_score, shape, who):
    """A finite float64 score matrix of exactly ``shape`` (one column per class)."""
    S = np.asarray(_np(y_score), dtype=np.float64)
    if S.shape != shape:
        raise ValueError(f"{who}: y_score must have shape {shape} (a score per sample and class), "
                         f"got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError(f"{who}: y_score contains NaN or infinity")
    return S


def _check_ranking_average(average, who, allowed=(None, "micro", "macro", "weighted")):
    """Raise unless ``average`` is one of ``allowed``."""
    if average not in allowed:
        raise ValueError(f"{who}: average must be one of {list(allowed)}, got {average!r}")


def roc_auc_score(y_true, y_score, *, average="macro", sample_weight=None, max_fpr=None, multi_class="raise",
                  labels=None):
    """Area under the ROC curve (see ``roc_curve``): 1 for a perfect ranking, 0.5 for a random one.

    * binary ``y_true`` (two classes; the greater label is the positive class): ``y_score`` the
      score of that class, shape ``(n,)`` (or ``(n, 2)`` probability rows: column 1 is used).
      With one class only the area is undefined: ``nan`` and an ``UndefinedMetricWarning``, as
      scikit-learn (so one fold of a cross-validation does not stop the others).
      ``max_fpr``: the standardised partial area over ``FPR <= max_fpr``;
    * multiclass ``y_true`` (class ids) with ``y_score`` probability rows ``(n, classes)`` (rows
      summing to 1; columns in the order of ``labels``, default the sorted classes of ``y_true``)
      and ``multi_class``: ``'ovr'`` (each class against the rest; ``average`` ``'macro'``,
      ``'weighted'`` by class frequency, ``'micro'`` or None) or ``'ovo'`` (the mean over pairs of
      classes ``(a, b)`` of ``(AUC(a vs b) + AUC(b vs a)) / 2`` on the samples of ``a`` and ``b``;
      ``'weighted'`` weights a pair by its share of the samples);
    * ``y_true`` as an indicator matrix ``(n, classes)`` (one-hot rows): one binary area per column,
      averaged by ``average`` (scikit-learn's multi-label case; ``multi_class`` is not needed).
    """
    who = "roc_auc_score"
    yt_raw = _np(y_true)
    if max_fpr is not None and not (isinstance(max_fpr, (int, float, np.integer, np.floating))
                                    and 0 < max_fpr <= 1):
        raise ValueError(f"{who}: max_fpr must be None or a number in (0, 1], got {max_fpr!r}")
    if yt_raw.ndim == 2 and yt_raw.shape[1] > 1:
        _check_ranking_average(average, who)
        Y = _indicator(yt_raw, who)
        S = _scores_2d(y_score, Y.shape, who)
        w = _check_sample_weight(sample_weight, len(Y), who)
        return _average_columns(lambda p, s, w_: _binary_roc_auc(p, s, w_, max_fpr), Y, S, average, w)
    yt = as_labels(yt_raw, "y_true")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true is empty; at least one sample is needed")
    s_raw = _np(y_score)
    classes = np.unique(yt)
    if len(classes) > 2 or (s_raw.ndim == 2 and s_raw.shape[1] > 2):
        if max_fpr is not None and max_fpr != 1:
            raise ValueError(f"{who}: max_fpr (a partial area) is only defined for binary y_true, "
                             f"got max_fpr={max_fpr!r} with {len(classes)} classes")
        return _multiclass_roc_auc(yt, s_raw, labels, multi_class, average, sample_weight, who)
    _check_ranking_average(average, who)
    if s_raw.ndim == 2 and s_raw.shape[1] == 2:
        s_raw = s_raw[:, 1]
    s = _scores_1d(s_raw, len(yt), who)
    w = _check_sample_weight(sample_weight, len(yt), who)
    positive = yt == classes[-1] if len(classes) == 2 else np.zeros(len(yt), bool)
    return _binary_roc_auc(positive, s, w, max_fpr)


def _multiclass_roc_auc(yt, s_raw, labels, multi_class, average, sample_weight, who):
    """``roc_auc_score`` of class ids against probability rows: one-vs-rest or one-vs-one."""
    if multi_class not in ("ovr", "ovo"):
        raise ValueError(f"{who}: y_true has more than two classes, so multi_class must be 'ovr' "
                         f"(one-vs-rest) or 'ovo' (one-vs-one), got {multi_class!r}")
    allowed = (None, "micro", "macro", "weighted") if multi_class == "ovr" else ("macro", "weighted")
    _check_ranking_average(average, who, allowed)
    S = np.asarray(s_raw, dtype=np.float64)
    if S.ndim != 2 or len(S) != len(yt):
        raise ValueError(f"{who}: y_score must have shape ({len(yt)}, classes) for multiclass y_true, "
                         f"got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError(f"{who}: y_score contains NaN or infinity")
    if not np.allclose(1, S.sum(axis=1)):
        raise ValueError(f"{who}: multiclass y_score must be probabilities: each row must sum to 1 "
                         "(apply softmax to logits first)")
    if labels is not None:
        classes = np.asarray(_np(labels))
        if classes.ndim != 1 or len(np.unique(classes)) != len(classes):
            raise ValueError(f"{who}: labels must be unique, got {classes.tolist()!r:.100}")
        if not np.array_equal(np.sort(classes), classes):
            raise ValueError(f"{who}: labels must be sorted, got {classes.tolist()!r:.100}")
        if len(classes) != S.shape[1]:
            raise ValueError(f"{who}: {len(classes)} labels for {S.shape[1]} columns of y_score")
        if len(np.setdiff1d(yt, classes)):
            raise ValueError(f"{who}: y_true contains classes {np.setdiff1d(yt, classes).tolist()[:10]} "
                             "that are not in labels")
    else:
        classes = np.unique(yt)
        if len(classes) != S.shape[1]:
            raise ValueError(f"{who}: y_true has {len(classes)} classes but y_score has {S.shape[1]} "
                             "columns; pass labels= to say which class each column scores")
    w = _check_sample_weight(sample_weight, len(yt), who)
    code = np.searchsorted(classes, yt)
    if multi_class == "ovr":
        Y = (code[:, None] == np.arange(len(classes))).astype(np.float64)
        return _average_columns(_binary_roc_auc, Y, S, average, w)
    if w is not None:
        raise ValueError(f"{who}: sample_weight is not supported with multi_class='ovo'")
    pairs, prevalence = [], []
    for a, b in combinations(np.unique(code), 2):          # a loop over pairs of classes, not samples
        in_ab = (code == a) | (code == b)
        auc_a = _binary_roc_auc(code[in_ab] == a, S[in_ab, a], None)
        auc_b = _binary_roc_auc(code[in_ab] == b, S[in_ab, b], None)
        pairs.append((auc_a + auc_b) / 2)
        prevalence.append(np.mean(in_ab))
    return float(np.average(pairs, weights=prevalence if average == "weighted" else None))


def average_precision_score(y_true, y_score, *, average="macro", pos_label=1, sample_weight=None):
    """Average precision: ``AP = sum_k (R_k - R_{k-1}) P_k`` over the thresholds of
    ``precision_recall_curve`` (the precision at each threshold, weighted by the recall it adds;
    no interpolation between points).  1 for a perfect ranking; the share of positives for a
    random one.

    Binary ``y_true``: ``y_score`` the score of ``pos_label`` (or ``(n, 2)`` probability rows, the
    column of ``pos_label``).  Multiclass ``y_true`` (class ids) with ``y_score`` of shape
    ``(n, classes)``, or an indicator matrix ``y_true``: one AP per class (one-vs-rest), averaged by
    ``average`` (``'macro'``, ``'weighted'``, ``'micro'`` or None); ``pos_label`` must then be 1.
    """
    who = "average_precision_score"
    _check_ranking_average(average, who)
    yt_raw = _np(y_true)
    if yt_raw.ndim == 2 and yt_raw.shape[1] > 1:
        if pos_label != 1:
            raise ValueError(f"{who}: pos_label is fixed to 1 for an indicator-matrix y_true, "
                             f"got {pos_label!r}")
        Y = _indicator(yt_raw, who)
        S = _scores_2d(y_score, Y.shape, who)
        return _average_columns(_binary_average_precision, Y, S, average,
                                _check_sample_weight(sample_weight, len(Y), who))
    yt = as_labels(yt_raw, "y_true")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true is empty; at least one sample is needed")
    classes = np.unique(yt)
    s_raw = _np(y_score)
    w = _check_sample_weight(sample_weight, len(yt), who)
    if len(classes) > 2 or (s_raw.ndim == 2 and s_raw.shape[1] > 2):
        if pos_label != 1:
            raise ValueError(f"{who}: pos_label is fixed to 1 for multiclass y_true, got {pos_label!r}")
        Y = (yt[:, None] == classes).astype(np.float64)
        S = _scores_2d(s_raw, Y.shape, who)
        return _average_columns(_binary_average_precision, Y, S, average, w)
    if len(classes) == 2 and not np.any(classes == pos_label):
        raise ValueError(f"{who}: pos_label={pos_label!r} is not a valid label: it should be one of "
                         f"{classes.tolist()}")
    if s_raw.ndim == 2 and s_raw.shape[1] == 2:
        s_raw = s_raw[:, 0 if len(classes) == 2 and pos_label == classes[0] else 1]
    s = _scores_1d(s_raw, len(yt), who)
    return _binary_average_precision(yt == pos_label, s, w)


# ============================================================== regression
def _regression_targets(y_true, y_pred, sample_weight, multioutput, who,
                        allowed=("raw_values", "uniform_average")):
    """``(y_true, y_pred, w, multioutput)`` as float64, targets of shape ``(n, outputs)``."""
    arrays = []
    for y, what in ((y_true, "y_true"), (y_pred, "y_pred")):
        try:
            a = np.asarray(_np(y), dtype=np.float64)
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
    w = _check_sample_weight(sample_weight, len(yt), who)
    if w is not None and np.sum(w) == 0:
        raise ValueError(f"{who}: sample_weight sums to 0; the weighted mean is undefined")
    if isinstance(multioutput, str):
        if multioutput not in allowed:
            raise ValueError(f"{who}: multioutput must be one of {list(allowed)} or a weight per output, "
                             f"got {multioutput!r}")
    else:
        try:
            m = np.asarray(_np(multioutput), dtype=np.float64)
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


__all__ = ["UndefinedMetricWarning", "accuracy_score", "precision_recall_fscore_support", "precision_score",
           "recall_score", "fbeta_score", "f1_score", "roc_curve", "precision_recall_curve", "roc_auc_score",
           "average_precision_score", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
           "mean_absolute_percentage_error", "r2_score"]
