"""The confusion matrix: which classes a classifier confuses with which, as counts and as rates.

    plot.confusion_matrix(y_test, model.predict(x_test), labels=class_names)
    counts = plot.confusion_counts(y_test, model.predict(x_test))     # the numbers alone
"""
import math
from numbers import Integral

import matplotlib
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.ticker import MaxNLocator

from ._inputs import check_lengths, class_ids, class_names
from .figure import cell_text_color, new_figure, save_figure

__all__ = ["confusion_counts", "confusion_matrix"]


def confusion_counts(y_true, y_pred, num_classes=None):
    """The confusion matrix as counts: ``C[i, j]`` = number of examples of true class ``i``
    predicted as class ``j`` (rows: true class, columns: prediction; sklearn's convention).

    ``y_true`` and ``y_pred`` are integer labels of shape ``(N,)``, or rows of shape ``(N, K)``
    (one-hot, probabilities or scores: their argmax is taken), or ``(N,)``/``(N, 1)``
    probabilities of class 1 (thresholded at 0.5). ``num_classes`` defaults to the largest
    label + 1 (or the number of columns of ``(N, K)`` inputs); a label that does not fit it
    raises ``ValueError``. Returns an ``int64`` array of shape ``(num_classes, num_classes)``.
    """
    t, _, wt = class_ids(y_true, "y_true")
    p, _, wp = class_ids(y_pred, "y_pred")
    check_lengths(y_true=t, y_pred=p)
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = max(top, wt or 0, wp or 0)
    elif not isinstance(num_classes, Integral) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    elif top > num_classes:
        raise ValueError(f"label {top - 1} does not fit num_classes={num_classes} "
                         f"(labels must be 0 .. {num_classes - 1})")
    k = int(num_classes)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)


_NORMALIZE_TITLES = {
    "true": "fraction of each true class\n(rows sum to 1; diagonal = recall)",
    "pred": "fraction of each prediction\n(columns sum to 1; diagonal = precision)",
    "all": "fraction of all examples\n(the matrix sums to 1)",
}


def _normalized(counts, how):
    c = counts.astype(np.float64)
    if how == "true":
        total = c.sum(axis=1, keepdims=True)
    elif how == "pred":
        total = c.sum(axis=0, keepdims=True)
    else:
        total = np.full((1, 1), c.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, c / np.where(total > 0, total, 1), np.nan)


def _rate_text(rate):
    """A rate in a cell: always two decimals ("0.00", "0.25", "1.00"), but a rate that is not
    exactly 0 or 1 is never rounded to them: "<0.01", ">0.99"."""
    text = f"{rate:.2f}"
    if text == "0.00" and rate > 0:
        return "<0.01"
    if text == "1.00" and rate < 1:
        return ">0.99"
    return text


def _draw_matrix(fig, ax, matrix, names, cmap, normalized, panel_title):
    k = matrix.shape[0]
    cmap = (cmap if isinstance(cmap, mcolors.Colormap) else matplotlib.colormaps[cmap]).with_extremes(
        bad="white")                                     # the blank cells of an absent class
    vmax = 1.0 if normalized else max(1.0, float(np.nanmax(matrix)) if matrix.size else 1.0)
    norm = mcolors.Normalize(vmin=0.0, vmax=vmax)
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, norm=norm, interpolation="nearest")
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label="fraction" if normalized else "count")
    if not normalized:
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    if k <= 30:
        size = "medium" if k <= 6 else ("small" if k <= 12 else ("x-small" if k <= 20 else 5))
        for i in range(k):
            for j in range(k):
                v = matrix[i, j]
                if not np.isfinite(v):
                    text = "–"
                elif normalized:
                    text = _rate_text(v)
                else:
                    text = str(int(v))
                ax.text(j, i, text, ha="center", va="center", fontsize=size,
                        color=cell_text_color(cmap, norm, v), gid=f"cell-{i}-{j}")
    ticks = np.arange(k) if k <= 40 else np.arange(0, k, math.ceil(k / 40))
    ax.set_xticks(ticks, [names[t] for t in ticks])
    ax.set_yticks(ticks, [names[t] for t in ticks])
    longest = max((len(names[t]) for t in ticks), default=0)
    if longest > 3 or (k > 15 and longest > 1):
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(panel_title, fontsize="medium")
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(k + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(k + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    return image


def confusion_matrix(y_true, y_pred, labels=None, normalize=None, path=None, title=None, cmap="Blues"):
    """Plot the confusion matrix: which classes the model confuses with which.

    Row ``i``, column ``j`` counts the examples of true class ``i`` that were predicted as class
    ``j``. The diagonal holds the correct predictions; a dark cell off the diagonal is a
    frequent mistake (e.g. true 4 predicted as 9). The overall accuracy is in the title.

    ``y_true``/``y_pred``: integer labels, or one-hot/probability rows (their argmax is taken),
    as in :func:`confusion_counts`. ``labels``: display names of the classes (``labels[k]`` for
    class ``k``), default ``0 .. K-1``.

    ``normalize``:

    * ``None`` (or ``False``, the default): two panels side by side, the counts and the matrix
      normalised by true class, where each row sums to 1 and the diagonal cell is the class's
      recall (the fraction of that class the model gets right: compare classes of different
      sizes here);
    * ``"true"``, ``"pred"`` (each column sums to 1: the diagonal is the precision) or
      ``"all"`` (the whole matrix sums to 1): that normalised panel alone.

    A class absent from the data has no rate: its row (or column) is left blank ("–").
    Every cell shows its value when there are at most 30 classes: counts as integers, rates with
    two decimals ("0.00" only for a rate of exactly 0; "<0.01" and ">0.99" for the rates that
    would round to 0 or 1).
    Returns the figure; ``path`` also saves it.
    """
    if normalize is False:
        normalize = None
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be None (counts and rows normalised), 'true', 'pred' or "
                         f"'all', got {normalize!r}")
    num_classes = None
    if labels is not None:
        if isinstance(labels, str):
            raise ValueError(f"labels must be a list of class names, got the string {labels!r}")
        num_classes = len(labels)
        if num_classes == 0:
            raise ValueError("labels must name at least one class")
    counts = confusion_counts(y_true, y_pred, num_classes=num_classes)
    k = counts.shape[0]
    if k == 0:
        raise ValueError("confusion_matrix: y_true and y_pred are empty")
    names = class_names(labels, k, "confusion_matrix")
    total = int(counts.sum())
    correct = int(np.trace(counts))

    panels = [("counts", counts, False, "counts"),
              ("true", _normalized(counts, "true"), True, _NORMALIZE_TITLES["true"])]
    if normalize is not None:
        panels = [(normalize, _normalized(counts, normalize), True, _NORMALIZE_TITLES[normalize])]
    side = min(max(4.4, 0.36 * k + 1.6), 9.0)           # 5.2 inches for 10 classes
    fig = new_figure(side * 1.2 * len(panels), side + 0.8)
    axes = fig.subplots(1, len(panels), squeeze=False).ravel()
    for ax, (kind, matrix, normalized, panel_title) in zip(axes, panels):
        _draw_matrix(fig, ax, matrix, names, cmap, normalized, panel_title)
        ax.set_gid(f"confusion-{kind}")
    accuracy = f"accuracy {correct / total:.1%} ({correct} of {total})" if total else "no examples"
    fig.suptitle(f"{title or 'Confusion matrix'}: {accuracy}", fontsize="x-large", fontweight="bold")
    save_figure(fig, path)
    return fig
