"""Metrics as plain functions of whole label arrays: the confusion matrix and the
classification report (scikit-learn's names, arguments and numbers).

Labels may be integer class ids, or one-hot / probability rows (reduced with ``argmax``).

For class ``k``, with ``TP`` = samples of class k predicted k, ``FP`` = predicted k but of
another class, ``FN`` = of class k predicted as another:

    precision_k = TP / (TP + FP)      recall_k = TP / (TP + FN)
    F1_k = 2 * precision_k * recall_k / (precision_k + recall_k)     support_k = TP + FN

A ratio whose denominator is 0 is reported as ``zero_division`` (0.0 by default).  The
averages: ``macro`` (plain mean over classes), ``weighted`` (mean weighted by support) and
``micro`` (computed from the summed counts; for single-label data it equals accuracy).
"""
import numpy as np


def as_labels(y, what="y"):
    """Integer class ids from ids, one-hot rows or probability rows (argmax of the last axis)."""
    y = np.asarray(getattr(y, "data", y))
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{what}: expected class ids of shape (n,) or rows of shape (n, classes), "
                         f"got shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{what}: expected integer class ids, got non-integer values")
        y = y.astype(np.int64)
    return y


def _label_set(y_true, y_pred, labels):
    if labels is not None:
        return np.asarray(labels)
    return np.union1d(y_true, y_pred)


def confusion_matrix(y_true, y_pred, labels=None, normalize=None):
    """``C[i, j]`` = number of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    ``labels`` defaults to every class present in either array, sorted. ``normalize``:
    ``None`` (counts), ``'true'`` (rows sum to 1: recall on the diagonal), ``'pred'``
    (columns sum to 1: precision on the diagonal) or ``'all'`` (everything sums to 1).
    """
    y_true, y_pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    labels = _label_set(y_true, y_pred, labels)
    k = len(labels)
    # Map each label to its row/column index; samples whose labels are not listed are dropped.
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    def index(y):
        pos = np.searchsorted(sorted_labels, y)
        pos = np.clip(pos, 0, max(k - 1, 0))
        known = (k > 0) & (sorted_labels[pos] == y) if k else np.zeros(len(y), bool)
        return order[pos], known

    ti, tk = index(y_true)
    pi, pk = index(y_pred)
    keep = tk & pk
    counts = np.bincount(ti[keep] * k + pi[keep], minlength=k * k).reshape(k, k)
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


def _ratio(num, den, zero_division):
    out = np.full(np.shape(num), float(zero_division))
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


def _counts_per_label(y_true, y_pred, labels):
    """``tp``, ``predicted`` (samples predicted as the label) and ``support`` (samples of the
    label) for each label, counting every sample, also those whose other label is not listed."""
    labels = np.asarray(labels)
    tp = np.array([np.count_nonzero((y_true == c) & (y_pred == c)) for c in labels], dtype=np.float64)
    predicted = np.array([np.count_nonzero(y_pred == c) for c in labels], dtype=np.float64)
    support = np.array([np.count_nonzero(y_true == c) for c in labels], dtype=np.float64)
    return tp, predicted, support


def precision_recall_f1(y_true, y_pred, labels=None, zero_division=0.0):
    """Per-class precision, recall, F1 and support (arrays in the order of ``labels``)."""
    y_true, y_pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    labels = _label_set(y_true, y_pred, labels)
    tp, predicted, support = _counts_per_label(y_true, y_pred, labels)
    precision = _ratio(tp, predicted, zero_division)
    recall = _ratio(tp, support, zero_division)
    f1 = _ratio(2 * tp, predicted + support, zero_division)     # = 2PR / (P + R), no 0/0
    return precision, recall, f1, support.astype(np.int64)


def classification_report(y_true, y_pred, labels=None, target_names=None, digits=2, output_dict=False,
                          zero_division=0.0):
    """Precision, recall, F1 and support per class, and their accuracy, macro and weighted
    averages, as scikit-learn prints them (``output_dict=True``: the same numbers as a dict).

    When ``labels`` leaves out classes that occur, the "accuracy" line becomes a "micro avg"
    line (computed from the listed classes' summed counts), as in scikit-learn."""
    y_true, y_pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}")
    present = np.union1d(y_true, y_pred)
    labels = _label_set(y_true, y_pred, labels)
    if target_names is None:
        target_names = [str(label) for label in labels]
    elif len(target_names) != len(labels):
        raise ValueError(f"target_names has {len(target_names)} names for {len(labels)} classes")
    precision, recall, f1, support = precision_recall_f1(y_true, y_pred, labels, zero_division)
    report = {str(name): {"precision": float(precision[i]), "recall": float(recall[i]),
                          "f1-score": float(f1[i]), "support": int(support[i])}
              for i, name in enumerate(target_names)}
    total = int(support.sum())
    if set(present.tolist()) <= set(np.asarray(labels).tolist()):
        report["accuracy"] = float(np.mean(y_true == y_pred)) if len(y_true) else 0.0
    else:
        tp, predicted, sup = (c.sum() for c in _counts_per_label(y_true, y_pred, labels))
        p, r = _ratio(tp, predicted, zero_division), _ratio(tp, sup, zero_division)
        f = _ratio(2 * tp, predicted + sup, zero_division)
        report["micro avg"] = {"precision": float(p), "recall": float(r), "f1-score": float(f),
                               "support": total}
    weights = support / total if total else np.zeros(len(support))
    report["macro avg"] = {"precision": float(precision.mean()), "recall": float(recall.mean()),
                           "f1-score": float(f1.mean()), "support": total}
    report["weighted avg"] = {"precision": float(precision @ weights), "recall": float(recall @ weights),
                              "f1-score": float(f1 @ weights), "support": total}
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
        values = "".join(f" {r[m]:>9.{digits}f}" for m in ("precision", "recall", "f1-score"))
        return f"{name:>{width}} {values} {r['support']:>9}"

    lines += [row(n, report[n]) for n in classes]
    lines.append("")
    if "accuracy" in report:
        total = report["macro avg"]["support"]
        lines.append(f"{'accuracy':>{width}}  {'':>9} {'':>9} {report['accuracy']:>9.{digits}f} {total:>9}")
    lines += [row(avg, report[avg]) for avg in averages if avg in report]
    return "\n".join(lines) + "\n"
