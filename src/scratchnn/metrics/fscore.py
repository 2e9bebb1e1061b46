"""F-scores over the epoch, per class, for one-hot or multi-label ``y_true`` of shape ``(N, C)``."""
import numpy as np

from .arrays import as_array
from .base import Metric

EPSILON = 1e-7      # Keras's backend.epsilon(), kept in every division as Keras does
AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """F-beta score from the true/false positives and false negatives of the epoch.

    Predictions: with ``threshold=None`` the row's maximum score is the predicted class
    (every tied maximum counts, and an all-zero row predicts nothing), otherwise each
    entry with ``y_pred > threshold`` is predicted positive (multi-label).  Per class ``c``
    (``w_i`` = sample weight): ``TP_c = sum_i w_i pred_ic y_ic``,
    ``FP_c = sum_i w_i pred_ic (1 - y_ic)``, ``FN_c = sum_i w_i (1 - pred_ic) y_ic``, and

        P = TP / (TP + FP + eps),   R = TP / (TP + FN + eps)   (eps = 1e-7)
        F = (1 + beta^2) * P * R / (beta^2 * P + R + eps)

    so a class never predicted or never present scores 0 (scikit-learn's
    ``zero_division=0``).  ``average``: ``None`` -> one score per class (an ndarray);
    ``'micro'`` -> the counts summed over classes first; ``'macro'`` -> the mean of the
    class scores; ``'weighted'`` -> their mean weighted by each class's support
    ``sum_i w_i y_ic``.  Keras 3 requires ``beta`` and ``threshold`` to be Python floats;
    here any real number is accepted.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if average not in AVERAGES:
            raise ValueError(f"{who}: average must be one of {AVERAGES}, got {average!r}")
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)) or not beta > 0:
            raise ValueError(f"{who}: beta must be a number > 0, got {beta!r}")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(
                threshold, (int, float, np.number)) or not 0 < threshold <= 1):
            raise ValueError(f"{who}: threshold must be None or a number in (0, 1], got {threshold!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self._num_classes = None
        self.reset_state()

    def reset_state(self):
        shape = None
        if self._num_classes is not None:
            shape = () if self.average == "micro" else (self._num_classes,)
        zeros = (lambda: None) if shape is None else (lambda: np.zeros(shape))
        self.true_positives, self.false_positives = zeros(), zeros()
        self.false_negatives, self.intermediate_weights = zeros(), zeros()

    def update_state(self, y_true, y_pred, sample_weight=None):
        who = f"metric {self.name!r}"
        yt, yp = as_array(y_true, self._dtype), as_array(y_pred, self._dtype)
        if yt.ndim != 2 or yp.ndim != 2 or yt.shape != yp.shape:
            hint = ""
            if yp.ndim == 2 and yt.shape in ((yp.shape[0],), (yp.shape[0], 1)) and yp.shape[1] > 1:
                hint = "; y_true looks like integer labels: one-hot encode them (utils.to_categorical)"
            raise ValueError(f"{who}: expects y_true and y_pred of the same shape (batch_size, num_classes), "
                             f"got y_true {np.shape(y_true)} and y_pred {np.shape(y_pred)}{hint}")
        if self.threshold is None:
            pred = (yp >= yp.max(axis=-1, keepdims=True)) & (np.abs(yp) > 1e-9)
        else:
            pred = yp > yp.dtype.type(self.threshold)
        pred, yt = pred.astype(np.float64), yt.astype(np.float64)
        if sample_weight is not None:
            w = as_array(sample_weight, np.float64)
            if w.ndim == 2 and w.shape[1] == 1:
                w = w[:, 0]
            if w.ndim > 1 or w.ndim == 1 and w.shape[0] != yp.shape[0]:
                raise ValueError(f"{who}: sample_weight of shape {np.shape(sample_weight)} does not match "
                                 f"the batch of {yp.shape[0]} samples (y_pred shape {yp.shape})")
            w = w.reshape(-1, 1) if w.ndim == 1 else w
            pred_w, true_w = pred * w, yt * w
        else:
            pred_w, true_w = pred, yt
        if self._num_classes is None:          # built on the first batch, as Keras
            self._num_classes = yp.shape[1]
            self.reset_state()
        elif yp.shape[1] != self._num_classes:
            raise ValueError(f"{who}: y_pred has {yp.shape[1]} classes but earlier batches had "
                             f"{self._num_classes}")
        axis = None if self.average == "micro" else 0
        self.true_positives += (pred_w * yt).sum(axis=axis)
        self.false_positives += (pred_w * (1 - yt)).sum(axis=axis)
        self.false_negatives += ((1 - pred) * true_w).sum(axis=axis)
        self.intermediate_weights += true_w.sum(axis=axis)

    def result(self):
        if self.true_positives is None:
            return 0.0
        # In the metric's dtype and in Keras's order of operations, as Keras computes it.
        dt = self._dtype.type
        eps, b2 = dt(EPSILON), dt(self.beta ** 2)
        tp, fp, fn = (np.asarray(a, dtype=self._dtype) for a in
                      (self.true_positives, self.false_positives, self.false_negatives))
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        f = (precision * recall) / (b2 * precision + recall + eps) * (dt(1) + b2)
        if self.average == "weighted":
            support = np.asarray(self.intermediate_weights, dtype=self._dtype)
            f = np.sum(f * (support / (support.sum() + eps)))
        elif self.average is not None:
            f = np.mean(f)
        return self._output(f)

    def get_config(self):
        config = super().get_config()
        config.update(average=self.average, beta=self.beta, threshold=self.threshold)
        return config


class F1Score(FBetaScore):
    """The F-beta score with beta = 1: ``F1 = 2 P R / (P + R)`` (with ``FBetaScore``'s epsilons,
    predictions and ``average`` options)."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
