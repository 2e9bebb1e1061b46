"""Metrics as plain functions of whole label arrays: the confusion matrix and the
classification report (scikit-learn's names, arguments and numbers).

Labels may be integer class ids, or one-hot / probability rows (reduced with ``argmax``).

For class ``k``, with ``TP`` = samples of class k predicted k, ``FP`` = predicted k but of
another class, ``FN`` = of class k predicted as another (each sample counted with its weight
``w_i`` when ``sample_weight`` is given):

    precision_k = TP / (TP + FP)      recall_k = TP / (TP + FN)
    F1_k = 2 * precision_k * recall_k / (precision_k + recall_k)     support_k = TP + FN

A ratio whose denominator is 0 is reported as ``zero_division`` (0.0 by default: the numbers of
scikit-learn's default ``'warn'``, without the warning).  The averages: ``macro`` (plain mean over
classes), ``weighted`` (mean weighted by support) and ``micro`` (computed from the summed counts;
for single-label data it equals accuracy when every class occurring is listed, and the report
then prints it as "accuracy").  The scores themselves live in ``scores/classification.py``
(``precision_recall_fscore_support``, ``f1_score``, ...); ``as_labels`` in ``scores/targets.py``.
"""
import numpy as np

from ..autograd import Tensor
from .scores.classification import precision_recall_fscore_support
from .scores.targets import as_labels, class_targets


def confusion_matrix(y_true, y_pred, labels=None, normalize=None, *, sample_weight=None):
    """``C[i, j]`` = number of samples of true class ``labels[i]`` predicted as ``labels[j]``
    (the sum of their ``sample_weight`` when given: then a float matrix).

    ``labels`` defaults to every class present in either array, sorted; samples whose true or
    predicted class is not listed are left out.  ``normalize``: ``None`` (counts), ``'true'``
    (rows sum to 1: recall on the diagonal), ``'pred'`` (columns sum to 1: precision on the
    diagonal) or ``'all'`` (everything sums to 1); an empty row or column stays 0.
    """
    y_true, y_pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight,
                       dtype=np.float64)
        if w.shape != y_true.shape:
            raise ValueError(f"sample_weight must have shape ({len(y_true)},), one weight per sample, "
                             f"got shape {w.shape}")
        if len(w) and not np.any(w):
            raise ValueError("confusion_matrix: sample_weight is 0 for every sample; at least one sample "
                             "needs a nonzero weight")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError(f"labels must be a non-empty list of classes, got {labels.tolist()!r:.100}")
        if len(y_true) and not len(np.intersect1d(y_true, labels)):
            raise ValueError(f"at least one of labels {labels.tolist()[:20]} must occur in y_true")
    labels = _label_set(y_true, y_pred, labels)
    k = len(labels)
    # Map each label to its row/column index; samples whose labels are not listed are dropped.
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    def index(y):
        """Each label's row/column, and whether it is listed."""
        if k == 0:
            return np.zeros(len(y), np.int64), np.zeros(len(y), bool)
        pos = np.minimum(np.searchsorted(sorted_labels, y), k - 1)
        return order[pos], sorted_labels[pos] == y

    ti, tk = index(y_true)
    pi, pk = index(y_pred)
    keep = tk & pk
    counts = np.bincount(ti[keep] * k + pi[keep], weights=None if w is None else w[keep],
                         minlength=k * k).reshape(k, k)
    if normalize is None:
        return counts
    with np.errstate(divide="ignore", invalid="ignore"):
        if normalize == "true":
            out = counts / counts.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            out = counts / counts.sum(axis=0, keepdims=True)
        else:
            out = counts / counts.sum()
    return np.nan_to_num(out)


def _label_set(y_true, y_pred, labels):
    """``labels`` as an array, or every class of either array, sorted."""
    if labels is not None:
        return np.asarray(labels)
    return np.union1d(y_true, y_pred)


def precision_recall_f1(y_true, y_pred, labels=None, zero_division=0.0, *, sample_weight=None):
    """Per-class precision, recall, F1 and support (arrays in the order of ``labels``): the
    ``average=None`` case of ``scores.precision_recall_fscore_support``."""
    return precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None,
                                           sample_weight=sample_weight, zero_division=zero_division)


def classification_report(y_true, y_pred, labels=None, target_names=None, digits=2, output_dict=False,
                          zero_division=0.0, *, sample_weight=None):
    """Precision, recall, F1 and support per class, and their accuracy, macro and weighted
    averages, as scikit-learn prints them (``output_dict=True``: the same numbers as a dict).

    When ``labels`` leaves out classes that occur, the "accuracy" line becomes a "micro avg"
    line (computed from the listed classes' summed counts), as in scikit-learn."""
    yt, yp, _, classes = class_targets(y_true, y_pred, sample_weight, "classification_report")
    present = np.union1d(yt, yp)                   # the classes that actually occur
    labels = classes if labels is None else np.asarray(labels)
    if target_names is None:
        target_names = [str(label) for label in labels]
    elif len(target_names) != len(labels):
        raise ValueError(f"target_names has {len(target_names)} names for {len(labels)} classes")

    def scores(average):
        """``precision_recall_fscore_support`` of the listed classes with this ``average``."""
        return precision_recall_fscore_support(y_true, y_pred, labels=labels, average=average,
                                               sample_weight=sample_weight, zero_division=zero_division)

    precision, recall, f1, support = scores(None)
    support = support.tolist()
    report = {str(name): {"precision": float(precision[i]), "recall": float(recall[i]),
                          "f1-score": float(f1[i]), "support": support[i]}
              for i, name in enumerate(target_names)}
    total = sum(support)
    micro_is_accuracy = set(present.tolist()) <= set(labels.tolist())
    for average in ("micro", "macro", "weighted"):
        p, r, f, _ = scores(average)
        if average == "micro" and micro_is_accuracy:
            report["accuracy"] = p
        else:
            report[f"{average} avg"] = {"precision": p, "recall": r, "f1-score": f, "support": total}
    if output_dict:
        return report
    return _format_report(report, digits)


def _format_report(report, digits):
    """The table as scikit-learn prints it (same widths, so the two can be diffed)."""
    averages = ("micro avg", "macro avg", "weighted avg")
    classes = [k for k in report if k != "accuracy" and k not in averages]
    width = max([len("weighted avg"), digits] + [len(n) for n in classes])
    lines = [f"{'':>{width}} " + "".join(f" {h:>9}" for h in ("precision", "recall", "f1-score", "support")),
             ""]

    def row(name, r):
        """One line: the name, then precision, recall and F1 with ``digits`` decimals, then support."""
        values = "".join(f" {r[m]:>9.{digits}f}" for m in ("precision", "recall", "f1-score"))
        return f"{name:>{width}} {values} {r['support']:>9}"

    lines += [row(n, report[n]) for n in classes]
    lines.append("")
    if "accuracy" in report:
        total = report["macro avg"]["support"]
        lines.append(f"{'accuracy':>{width}}  {'':>9} {'':>9} {report['accuracy']:>9.{digits}f} {total:>9}")
    lines += [row(avg, report[avg]) for avg in averages if avg in report]
    return "\n".join(lines) + "\n"
