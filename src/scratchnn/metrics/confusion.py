"""Confusion-matrix metrics: counts, precision, recall and AUC, accumulated over the epoch.

All of them count, for every threshold ``t``, the (weighted) predictions with

* ``y_pred > t`` (strictly) as predicted positive, the others as predicted negative;
* ``y_true != 0`` as actually positive (labels are read as booleans, as Keras does);

over every entry of the batch: for ``(N, C)`` inputs each of the ``N * C`` entries is
one binary decision (multi-label), unless ``class_id`` selects one column.  The counts
of the epoch are summed first and divided only in ``result()``, so precision over
batches is the precision of the concatenated data.

``sample_weight``: shape ``(N,)`` weighs a sample's entries, ``(N, C)`` each entry, a
scalar everything.
"""
import numpy as np

from .arrays import as_array, match_ranks
from .base import Metric, divide_no_nan

NEG_INF = -1e10     # the threshold used with top_k alone: every kept score is above it
EPSILON = 1e-7      # AUC's end thresholds are -EPSILON and 1 + EPSILON


def _thresholds(thresholds, default, who):
    if thresholds is None:
        return [float(default)]
    values = list(np.ravel(thresholds)) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if not isinstance(t, (int, float, np.number)) or not 0 <= t <= 1]
    if bad or not values:
        raise ValueError(f"{who}: thresholds must be numbers in [0, 1], got {thresholds!r}")
    return [float(t) for t in values]


def _evenly_spaced(thresholds):
    """True for ``[0, 1/(n-1), ..., 1]`` (n >= 3): counting can then use buckets (O(N + T))."""
    n = len(thresholds)
    return n >= 3 and bool(np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=EPSILON))


def _check_int(value, who, what, low):
    if value is not None and (not isinstance(value, (int, np.integer)) or isinstance(value, bool)
                              or value < low):
        raise ValueError(f"{who}: {what} must be None or an integer >= {low}, got {value!r}")
    return value


def _keep_top_k(scores, k):
    """Scores outside the ``k`` largest of the last axis set to NEG_INF (ties: lower index first)."""
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, scores, scores.dtype.type(NEG_INF))


def confusion_counts(y_true, y_pred, thresholds, who, dtype, sample_weight=None, top_k=None,
                     class_id=None, evenly=False, multi_label=False, label_weights=None):
    """``(tp, fp, tn, fn)``: float64 arrays of shape ``(T,)``, or ``(T, C)`` when ``multi_label``.

    ``evenly``: ``thresholds`` are evenly spaced over [0, 1] (possibly with the end points
    moved out by an epsilon); predictions are then clipped to [0, 1] and binned, instead of
    compared with every threshold (Keras's fast path, with its exact arithmetic).
    """
    yp, yt = match_ranks(as_array(y_pred, dtype), as_array(y_true))
    if yt.shape != yp.shape:
        raise ValueError(f"{who}: y_true has shape {np.shape(y_true)} but y_pred has shape "
                         f"{np.shape(y_pred)}; they must match (up to a trailing axis of 1)")
    positive = yt.astype(bool)
    weights = None
    if sample_weight is not None:
        w = as_array(sample_weight, np.float64)
        _, w = match_ranks(positive, w[..., None], expand_rank_1=False)
        try:
            weights = np.broadcast_to(w, yp.shape)
        except ValueError:
            raise ValueError(f"{who}: sample_weight of shape {np.shape(sample_weight)} does not match "
                             f"y_pred of shape {np.shape(y_pred)}") from None
    if label_weights is not None:
        lw = np.broadcast_to(np.asarray(label_weights, dtype=np.float64), yp.shape)
        weights = lw if weights is None else weights * lw
    if top_k is not None:
        yp = _keep_top_k(yp, top_k)
    if class_id is not None:
        if yp.ndim < 2:
            raise ValueError(f"{who}: with class_id, y_pred must have shape (num_samples, num_classes); "
                             f"got shape {yp.shape}")
        if class_id >= yp.shape[-1]:
            raise ValueError(f"{who}: class_id={class_id} but y_pred has only {yp.shape[-1]} classes")
        yp, positive = yp[..., class_id, None], positive[..., class_id, None]
        weights = None if weights is None else weights[..., class_id, None]
    if multi_label:
        if yp.ndim != 2:
            raise ValueError(f"{who}: multi_label needs y_pred of shape (num_samples, num_labels); "
                             f"got shape {yp.shape}")
    else:
        yp, positive = yp.reshape(-1, 1), positive.reshape(-1, 1)
        weights = None if weights is None else weights.reshape(-1, 1)
    w = np.ones(yp.shape) if weights is None else weights
    pos_w, neg_w = np.where(positive, w, 0.0), np.where(positive, 0.0, w)
    n_t, n_labels = len(thresholds), yp.shape[1]

    if evenly:
        # bucket b holds the predictions p with b/(T-1) < p <= (b+1)/(T-1); p counts as positive
        # at thresholds 0..b, so the counts are reverse cumulative sums over the buckets.
        p = np.clip(yp, 0, 1)
        bucket = np.ceil(p * p.dtype.type(n_t - 1)) - 1
        if thresholds[0] < 0 or thresholds[-1] > 1:
            bucket = np.maximum(bucket, 0)          # the end thresholds sit outside [0, 1]
        bucket = np.where(np.isnan(p), -1, bucket).astype(np.int64)
        valid = bucket >= 0
        index = (bucket * n_labels + np.arange(n_labels))[valid]
        size = n_t * n_labels
        tp = np.bincount(index, weights=pos_w[valid], minlength=size).reshape(n_t, n_labels)
        fp = np.bincount(index, weights=neg_w[valid], minlength=size).reshape(n_t, n_labels)
        tp, fp = np.cumsum(tp[::-1], axis=0)[::-1], np.cumsum(fp[::-1], axis=0)[::-1]
    else:
        t = np.asarray(thresholds, dtype=yp.dtype).reshape(-1, 1, 1)
        above = (yp[None] > t)                                         # (T, N, L)
        tp = np.einsum("tnl,nl->tl", above, pos_w)
        fp = np.einsum("tnl,nl->tl", above, neg_w)
    fn = pos_w.sum(axis=0) - tp
    tn = neg_w.sum(axis=0) - fp
    if not multi_label:
        tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
    return tp, fp, tn, fn


class _ThresholdMetric(Metric):
    """Shared by the count metrics, Precision and Recall: thresholds, top_k, class_id."""

    _default_threshold = 0.5

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.top_k = _check_int(top_k, type(self).__name__, "top_k", 1)
        self.class_id = _check_int(class_id, type(self).__name__, "class_id", 0)
        self.init_thresholds = thresholds
        default = self._default_threshold if top_k is None else NEG_INF
        self.thresholds = _thresholds(thresholds, default, type(self).__name__)
        self._evenly = _evenly_spaced(self.thresholds)
        self.reset_state()

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, f"metric {self.name!r}",
                                          self._dtype, sample_weight=sample_weight, top_k=self.top_k,
                                          class_id=self.class_id, evenly=self._evenly)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _per_threshold(self, values):
        return self._output(values[0] if len(self.thresholds) == 1 else values)

    def get_config(self):
        config = super().get_config()
        config.update(thresholds=self.init_thresholds, top_k=self.top_k, class_id=self.class_id)
        return config


class TruePositives(_ThresholdMetric):
    """The (weighted) number of entries with ``y_true != 0`` and ``y_pred > threshold``
    (one count per threshold; default threshold 0.5)."""

    def result(self):
        return self._per_threshold(self.true_positives)


class FalsePositives(_ThresholdMetric):
    """The (weighted) number of entries with ``y_true == 0`` and ``y_pred > threshold``."""

    def result(self):
        return self._per_threshold(self.false_positives)


class TrueNegatives(_ThresholdMetric):
    """The (weighted) number of entries with ``y_true == 0`` and ``y_pred <= threshold``."""

    def result(self):
        return self._per_threshold(self.true_negatives)


class FalseNegatives(_ThresholdMetric):
    """The (weighted) number of entries with ``y_true != 0`` and ``y_pred <= threshold``."""

    def result(self):
        return self._per_threshold(self.false_negatives)


class Precision(_ThresholdMetric):
    """``TP / (TP + FP)`` over the epoch (0 when nothing was predicted positive).

    * ``thresholds``: a float or a list in [0, 1] (one result per threshold, an ndarray);
      default 0.5; with logits use 0.
    * ``top_k``: only the ``k`` highest scores of each row may count as positive (with no
      ``thresholds``, all of them do).
    * ``class_id``: one-vs-rest precision of that column of ``(N, C)`` inputs.
    """

    def result(self):
        return self._per_threshold(divide_no_nan(self.true_positives,
                                                 self.true_positives + self.false_positives))


class Recall(_ThresholdMetric):
    """``TP / (TP + FN)`` over the epoch (0 when there was no positive label); arguments as
    ``Precision``."""

    def result(self):
        return self._per_threshold(divide_no_nan(self.true_positives,
                                                 self.true_positives + self.false_negatives))


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class AUC(Metric):
    """Area under the ROC or the precision-recall curve, from counts at fixed thresholds.

    Thresholds: ``t_0 = -1e-7``, ``t_i = i / (num_thresholds - 1)`` for
    ``0 < i < num_thresholds - 1``, ``t_last = 1 + 1e-7`` (or the sorted ``thresholds``
    given, between the same two ends).  With ``TPR_i = TP_i / (TP_i + FN_i)``,
    ``FPR_i = FP_i / (FP_i + TN_i)``, ``P_i = TP_i + FP_i`` (x / 0 taken as 0):

    * ``curve='ROC'``: ``sum_i (FPR_i - FPR_i+1) * h_i`` with ``h_i`` the mean of
      ``TPR_i`` and ``TPR_i+1`` (``summation_method='interpolation'``), their min
      (``'minoring'``) or max (``'majoring'``);
    * ``curve='PR'`` with ``'minoring'``/``'majoring'``: the same sum with x = recall and
      y = precision;
    * ``curve='PR'`` with ``'interpolation'`` (Davis & Goadrich 2006): TP and P vary
      linearly between thresholds, precision = TP / P does not; on each interval
      ``slope = (TP_i - TP_i+1) / max(P_i - P_i+1, 0)``,
      ``c = TP_i+1 - slope * P_i+1`` and the area is
      ``slope * (TP_i - TP_i+1 + c * log(P_i / P_i+1)) / max(TP_i+1 + FN_i+1, 0)``
      (the log term is 0 unless both P are > 0).

    ``multi_label=True`` (inputs ``(N, L)``): one AUC per column, then their mean (or the
    ``label_weights``-weighted mean).  Otherwise every entry is one prediction, each
    weighted by its column's ``label_weights``.  ``from_logits=True`` applies a sigmoid.
    Predictions are binned (clipped to [0, 1]), so the AUC is exact only up to the
    threshold spacing: use a large ``num_thresholds`` for a close value.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curves = {"roc": "ROC", "pr": "PR"}
        methods = ("interpolation", "majoring", "minoring")
        if curve not in ("ROC", "roc", "PR", "pr"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if str(summation_method).lower() not in methods:
            raise ValueError(f"AUC: summation_method must be one of {methods}, got {summation_method!r}")
        self.curve = curves[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_thresholds(thresholds, None, "AUC"))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_spaced([0.0] + inner + [1.0])
        else:
            if not isinstance(num_thresholds, (int, np.integer)) or num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self.multi_label = bool(multi_label)
        if num_labels is not None and not self.multi_label:
            raise ValueError("AUC: num_labels is only used with multi_label=True")
        self.num_labels = _check_int(num_labels, "AUC", "num_labels", 1)
        self._num_labels = self.num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        if self.label_weights is not None and np.any(self.label_weights < 0):
            raise ValueError("AUC: label_weights must be non-negative")
        self.from_logits = bool(from_logits)
        self.reset_state()

    @property
    def thresholds(self):
        """The thresholds, end points included."""
        return list(self._thresholds)

    def reset_state(self):
        shape = (self.num_thresholds,)
        if self.multi_label:
            shape = None if self._num_labels is None else (self.num_thresholds, self._num_labels)
        zeros = (lambda: None) if shape is None else (lambda: np.zeros(shape))
        self.true_positives, self.false_positives = zeros(), zeros()
        self.true_negatives, self.false_negatives = zeros(), zeros()

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred, self._dtype)
        if self.from_logits:
            y_pred = _sigmoid(y_pred)
        counts = confusion_counts(y_true, y_pred, self._thresholds, f"metric {self.name!r}", self._dtype,
                                  sample_weight=sample_weight, evenly=self._evenly,
                                  multi_label=self.multi_label,
                                  label_weights=None if self.multi_label else self.label_weights)
        if self.true_positives is None:
            self._num_labels = counts[0].shape[1]
            self.reset_state()
        if self.multi_label and self.label_weights is not None and self.label_weights.shape != (
                counts[0].shape[1],):
            raise ValueError(f"metric {self.name!r}: label_weights has shape {self.label_weights.shape} "
                             f"but y_pred has {counts[0].shape[1]} labels")
        if counts[0].shape != self.true_positives.shape:
            raise ValueError(f"metric {self.name!r}: y_pred has {counts[0].shape[1]} labels but earlier "
                             f"batches had {self.true_positives.shape[1]}")
        self.true_positives += counts[0]
        self.false_positives += counts[1]
        self.true_negatives += counts[2]
        self.false_negatives += counts[3]

    def _interpolate_pr(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        p = tp + fp
        dtp = tp[:-1] - tp[1:]
        slope = divide_no_nan(dtp, np.maximum(p[:-1] - p[1:], 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return divide_no_nan(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))

    def result(self):
        if self.true_positives is None:
            return 0.0
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = self._interpolate_pr()
        else:
            recall = divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            areas = (x[:-1] - x[1:]) * heights
        by_label = areas.sum(axis=0)
        if self.multi_label:
            if self.label_weights is None:
                return self._output(by_label.mean())
            return self._output(divide_no_nan(np.sum(by_label * self.label_weights),
                                              np.sum(self.label_weights)))
        return self._output(by_label)

    def get_config(self):
        config = super().get_config()
        config.update(num_thresholds=self.num_thresholds, curve=self.curve,
                      summation_method=self.summation_method, multi_label=self.multi_label,
                      num_labels=self.num_labels, from_logits=self.from_logits,
                      label_weights=None if self.label_weights is None else self.label_weights.tolist())
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config
