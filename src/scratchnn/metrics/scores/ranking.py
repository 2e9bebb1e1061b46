"""Ranking metrics of whole arrays (scikit-learn's names, arguments and numbers): the curves
``roc_curve`` and ``precision_recall_curve``, and the areas ``roc_auc_score`` and
``average_precision_score``.

``y_score`` holds a score per sample, larger meaning "more likely positive".  All four functions
sort the scores once and read every threshold's counts from cumulative sums (``_sorted_counts``).

Everything is computed in float64 and returned as Python floats (curves and per-class results as
float64 arrays).  Arguments after ``y_true`` and ``y_score`` are keyword-only, as in scikit-learn.
"""
import warnings
from itertools import combinations

import numpy as np

from ..arrays import as_array
from .targets import UndefinedMetricWarning, as_labels, check_sample_weight


def _scores_1d(y_score, n, who):
    """One finite float64 score per sample (shape ``(n,)`` or ``(n, 1)``)."""
    s = np.asarray(as_array(y_score), dtype=np.float64)
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
    yt = as_labels(as_array(y_true), "y_true")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true is empty; at least one sample is needed")
    s = _scores_1d(y_score, len(yt), who)
    pos_label = _resolve_pos_label(yt, pos_label, who)
    return yt == pos_label, s, check_sample_weight(sample_weight, len(yt), who)


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
    S = np.asarray(as_array(y_score), dtype=np.float64)
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
    yt_raw = as_array(y_true)
    if max_fpr is not None and not (isinstance(max_fpr, (int, float, np.integer, np.floating))
                                    and 0 < max_fpr <= 1):
        raise ValueError(f"{who}: max_fpr must be None or a number in (0, 1], got {max_fpr!r}")
    if yt_raw.ndim == 2 and yt_raw.shape[1] > 1:
        _check_ranking_average(average, who)
        Y = _indicator(yt_raw, who)
        S = _scores_2d(y_score, Y.shape, who)
        w = check_sample_weight(sample_weight, len(Y), who)
        return _average_columns(lambda p, s, w_: _binary_roc_auc(p, s, w_, max_fpr), Y, S, average, w)
    yt = as_labels(yt_raw, "y_true")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true is empty; at least one sample is needed")
    s_raw = as_array(y_score)
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
    w = check_sample_weight(sample_weight, len(yt), who)
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
        classes = np.asarray(as_array(labels))
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
    w = check_sample_weight(sample_weight, len(yt), who)
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
    yt_raw = as_array(y_true)
    if yt_raw.ndim == 2 and yt_raw.shape[1] > 1:
        if pos_label != 1:
            raise ValueError(f"{who}: pos_label is fixed to 1 for an indicator-matrix y_true, "
                             f"got {pos_label!r}")
        Y = _indicator(yt_raw, who)
        S = _scores_2d(y_score, Y.shape, who)
        return _average_columns(_binary_average_precision, Y, S, average,
                                check_sample_weight(sample_weight, len(Y), who))
    yt = as_labels(yt_raw, "y_true")
    if len(yt) == 0:
        raise ValueError(f"{who}: y_true is empty; at least one sample is needed")
    classes = np.unique(yt)
    s_raw = as_array(y_score)
    w = check_sample_weight(sample_weight, len(yt), who)
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
