"""Figures of model selection: the heat map of a grid search, ROC and precision-recall curves.

    search = model_selection.GridSearch(build, {"learning_rate": [1e-3, 1e-2], "units": [16, 32, 64]})
    search.fit(x_train, y_train, epochs=20)
    plot.grid_heatmap(search, path="grid.png")             # mean CV score per (units, learning rate)
    p = model.predict(x_test)
    plot.roc_curve(y_test, p, path="roc.png")               # with the AUC in the legend
    plot.precision_recall_curve(y_test, p, path="pr.png")   # with the average precision

(``scratchnn.plot.roc_curve`` draws; ``scratchnn.metrics.roc_curve`` computes the points.)
Each function returns a ``PlotFigure``; ``path`` also saves it, as everywhere in ``scratchnn.plot``.
"""
import matplotlib
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.patches import Rectangle

from ..metrics import scores
from ..model_selection import format_value
from ._inputs import check_lengths, class_names, to_array
from .figure import TRAIN_COLOR, cell_text_color, new_figure, save_figure

__all__ = ["grid_heatmap", "roc_curve", "precision_recall_curve"]

CHANCE_COLOR = "0.55"
BEST_COLOR = "#d62728"        # the frame of the best cell


# ============================================================================ grid heat map
def _value_key(value):
    """A hashable identity for a hyper-parameter value (lists and arrays included)."""
    try:
        hash(value)
        return (type(value).__name__, value)
    except TypeError:
        return (type(value).__name__, repr(value))


def _label(value):
    return format_value(value)          # 0.001, 64, relu, 64x32: as in the tables


def _axis_values(rows, name):
    """The distinct values of ``name`` in the results, sorted when they are all numbers."""
    seen = {}
    for row in rows:
        if name in row["params"]:
            seen.setdefault(_value_key(row["params"][name]), row["params"][name])
    values = list(seen.values())
    if values and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                      for v in values):
        values.sort()
    return values


def _varying(rows):
    names = []
    for row in rows:
        for name in row["params"]:
            if name not in names:
                names.append(name)
    return [n for n in names if len({_value_key(r["params"].get(n, "<absent>")) for r in rows}) > 1]


def grid_heatmap(search, x_param=None, y_param=None, score=None, path=None, title=None, cmap="viridis"):
    """The mean cross-validated score of a grid search over two hyper-parameters, as a heat map.

    ``search``: a fitted ``GridSearch``/``RandomSearch`` (or its ``results_`` list). ``x_param`` and
    ``y_param``: the hyper-parameters along the columns and the rows; by default the two that vary
    (the first one along x); with one varying hyper-parameter the map has one row. ``score``: which
    scorer (its key in ``results_``, or its name), default the one that ranked the candidates.

    Each cell shows the mean score over the folds and its standard deviation (``0.9692 ± 0.012``);
    the brighter the cell, the better (scores follow "greater is better": errors are negated). The
    best cell is framed. When other hyper-parameters vary too, each cell shows the best candidate
    with that pair of values (the subtitle says so); a pair that was never tried stays blank.

    How to read it: a ridge of good cells tells which combinations work; a best cell on the edge of
    the grid says the search should extend in that direction (say, larger learning rates); a std as
    large as the differences between cells means those differences are mostly noise.
    Returns the figure; ``path`` also saves it.
    """
    rows = getattr(search, "results_", search)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and "params" in r for r in rows):
        raise ValueError("grid_heatmap needs a fitted GridSearch or RandomSearch (call fit first), or its "
                         f"results_ list; got {type(search).__name__}")
    key = _score_key(search, rows, score)
    names = getattr(search, "scorer_names_", {})
    score_name = names.get(key, key)
    varying = _varying(rows)
    if x_param is None and y_param is None:
        if len(varying) > 2:
            raise ValueError(f"{len(varying)} hyper-parameters vary ({', '.join(varying)}): choose the two "
                             "to draw with x_param= and y_param= (each cell then shows the best over the "
                             "others)")
        if not varying:
            raise ValueError("no hyper-parameter varies between the candidates: there is nothing to map")
        x_param = varying[0]
        y_param = varying[1] if len(varying) > 1 else None
    every = {n for r in rows for n in r["params"]}
    for arg, name in (("x_param", x_param), ("y_param", y_param)):
        if name is not None and name not in every:
            raise ValueError(f"{arg}={name!r} is not a hyper-parameter of the search; they are "
                             f"{', '.join(sorted(every))}")
    if x_param is None:
        raise ValueError("give x_param (the hyper-parameter along the columns)")
    if y_param == x_param:
        raise ValueError(f"x_param and y_param are both {x_param!r}: choose two different hyper-parameters")

    xs = _axis_values(rows, x_param)
    ys = _axis_values(rows, y_param) if y_param is not None else [None]
    mean = np.full((len(ys), len(xs)), np.nan)
    std = np.full_like(mean, np.nan)
    which = np.full(mean.shape, -1)
    x_index = {_value_key(v): j for j, v in enumerate(xs)}
    y_index = {_value_key(v): i for i, v in enumerate(ys)}
    for n, row in enumerate(rows):
        if x_param not in row["params"] or (y_param is not None and y_param not in row["params"]):
            continue
        j = x_index[_value_key(row["params"][x_param])]
        i = y_index[_value_key(row["params"][y_param])] if y_param is not None else 0
        m = row[f"mean_test_{key}"]
        if which[i, j] < 0 or (np.isfinite(m) and not m <= mean[i, j]):      # the best over the others
            mean[i, j], std[i, j], which[i, j] = m, row[f"std_test_{key}"], n

    fig = new_figure(max(4.8, 1.25 * len(xs) + 2.6), max(2.6, 0.8 * len(ys) + 1.9))
    ax = fig.add_subplot()
    colormap = (cmap if isinstance(cmap, mcolors.Colormap) else matplotlib.colormaps[cmap]).with_extremes(
        bad="white")
    finite = mean[np.isfinite(mean)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    norm = mcolors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1e-12)
    image = ax.imshow(np.ma.masked_invalid(mean), cmap=colormap, norm=norm, aspect="auto",
                      interpolation="nearest")
    folds = getattr(search, "n_splits_", None) or len(rows[0].get(f"test_{key}", [])) or None
    fig.colorbar(image, ax=ax, label=f"mean {score_name}" + (f" ({folds}-fold CV)" if folds else ""))
    digits = _digits(finite)
    for i in range(len(ys)):
        for j in range(len(xs)):
            if np.isfinite(mean[i, j]):
                text = f"{mean[i, j]:.{digits}f}\n± {std[i, j]:.{digits}f}"
            else:
                text = "–" if which[i, j] < 0 else "nan"
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color=cell_text_color(colormap, norm, mean[i, j]), gid=f"cell-{i}-{j}")
    if np.isfinite(mean).any():
        bi, bj = np.unravel_index(np.nanargmax(mean), mean.shape)
        ax.add_patch(Rectangle((bj - 0.45, bi - 0.45), 0.9, 0.9, fill=False, edgecolor=BEST_COLOR,
                               linewidth=3, zorder=4, gid="best-cell", label="best"))
    ax.set_xticks(np.arange(len(xs)), [_label(v) for v in xs])
    ax.set_xlabel(x_param)
    if y_param is not None:
        ax.set_yticks(np.arange(len(ys)), [_label(v) for v in ys])
        ax.set_ylabel(y_param)
    else:
        ax.set_yticks([])
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(len(xs) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(ys) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    others = [n for n in _varying(rows) if n not in (x_param, y_param)]
    if others:
        ax.set_title(f"each cell: the best over {', '.join(others)}", fontsize="small")
    if title is None:
        title = f"Grid search: mean {score_name}" + (f" over {folds} folds" if folds else "")
    fig.suptitle(title, fontsize="large", fontweight="bold")
    save_figure(fig, path)
    return fig


def _digits(values):
    """Decimals that tell the cells apart: 4 for scores in [-1, 1], fewer for large errors."""
    if not values.size:
        return 4
    top = float(np.max(np.abs(values)))
    return 4 if top < 10 else (2 if top < 1000 else 0)


def _score_key(search, rows, score):
    keys = [k[len("mean_test_"):] for k in rows[0] if k.startswith("mean_test_")]
    if score is None:
        default = getattr(search, "ranking_key", None)
        return default if default in keys else keys[0]
    if score in keys:
        return score
    for key, name in getattr(search, "scorer_names_", {}).items():
        if name == score and key in keys:
            return key
    raise ValueError(f"score={score!r} is not a scorer of the search; its scores are {', '.join(keys)}")


# ============================================================================ ROC and PR curves
def _one_vs_rest(y_true, y_score, pos_label, who):
    """``[(name, true labels, scores, pos_label)]``: one binary problem, or one per class.

    ``y_score``: ``(N,)``/``(N, 1)`` scores of the positive class, ``(N, 2)`` probability rows
    (the second column), or ``(N, K)`` rows for K > 2 classes (one curve per class, one-vs-rest).
    ``y_true``: labels, or one-hot rows (their argmax).
    """
    t = to_array(y_true, "y_true")
    s = to_array(y_score, "y_score")
    if t.ndim == 2 and t.shape[1] > 1:
        t = t.argmax(axis=1)
    elif t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1:
        raise ValueError(f"{who}: y_true must hold one label per sample, got shape {t.shape}")
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim not in (1, 2) or s.dtype.kind not in "biuf":
        raise ValueError(f"{who}: y_score must be numbers of shape (N,), (N, 1) or (N, classes), "
                         f"got {s.shape}")
    check_lengths(y_true=t, y_score=s)
    if s.ndim == 2 and s.shape[1] == 2:
        s = s[:, 1]
    if s.ndim == 1:
        return [(None, t, s, pos_label)]
    if pos_label is not None:
        raise ValueError(f"{who}: pos_label applies to binary problems; y_score has {s.shape[1]} columns "
                         "(one curve per class)")
    return [(k, (t == k).astype(np.int64), s[:, k], 1) for k in range(s.shape[1])]


def _class_colors(n):
    if n <= 10:
        return [matplotlib.colormaps["tab10"](c) for c in range(n)]
    return [matplotlib.colormaps["tab20"](c % 20) for c in range(n)]


def _curve_axes(fig, xlabel, ylabel):
    ax = fig.add_subplot()
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    return ax


def roc_curve(y_true, y_score, path=None, title=None, labels=None, pos_label=None):
    """The ROC curve of a classifier's scores, with the area under it (AUC) in the legend.

    ``y_true``: the true labels (or one-hot rows). ``y_score``: the model's scores or probabilities
    (``model.predict(x)``): ``(N,)`` or ``(N, 1)`` for a binary problem (the probability of class
    ``pos_label``, default 1), ``(N, 2)`` softmax rows, or ``(N, K)`` for K classes: then one curve
    per class, that class against the rest. ``labels``: class names for the legend.

    Each point is one threshold ``t``: predicting "positive" when ``score >= t`` gives a true
    positive rate ``TPR = TP / P`` (the share of positives found: recall) and a false positive
    rate ``FPR = FP / N`` (the share of negatives raising a false alarm). Lowering ``t`` moves
    from (0, 0) (nothing predicted positive) to (1, 1) (everything). A perfect ranking hugs the
    top-left corner (AUC 1); the dashed diagonal is guessing (AUC 0.5). The AUC is the
    probability that a random positive scores higher than a random negative. For probabilities
    the dot marks the usual threshold 0.5. Returns the figure; ``path`` also saves it.
    """
    problems = _one_vs_rest(y_true, y_score, pos_label, "roc_curve")
    fig = new_figure(5.6, 5.4)
    ax = _curve_axes(fig, "false positive rate (1 - specificity)", "true positive rate (recall)")
    ax.plot([0, 1], [0, 1], linestyle="--", color=CHANCE_COLOR, linewidth=1.2, label="chance (AUC = 0.5)",
            gid="chance")
    multi = len(problems) > 1
    colors = _class_colors(len(problems)) if multi else [TRAIN_COLOR]
    names = class_names(labels, len(problems), "roc_curve") if multi else None
    aucs = []
    for (k, t, s, pos), color in zip(problems, colors):
        pos = pos if pos is not None else _default_pos(t)
        positive = t == pos
        fpr, tpr, _ = scores.roc_curve(t, s, pos_label=pos)
        auc = scores.roc_auc_score(positive.astype(np.int64), s)
        aucs.append(auc)
        label = f"{names[k]} vs rest (AUC = {auc:.3f})" if multi else f"AUC = {auc:.3f}"
        ax.plot(fpr, tpr, color=color, linewidth=2, label=label, gid=f"roc-{k}" if multi else "roc")
        if not multi and s.min() >= 0 and s.max() <= 1:
            predicted = s >= 0.5
            point = (np.mean(predicted[~positive]) if (~positive).any() else 0.0,
                     np.mean(predicted[positive]) if positive.any() else 0.0)
            ax.plot(*point, marker="o", markersize=8, color=color, markeredgecolor="black", linestyle="none",
                    label=f"threshold 0.5 (FPR {point[0]:.2f}, TPR {point[1]:.2f})", gid="threshold-0.5")
    ax.legend(loc="lower right", fontsize="small", framealpha=0.9)
    if title is None:
        title = "ROC curve" if not multi else f"ROC curves, one vs rest (macro AUC {np.mean(aucs):.3f})"
    fig.suptitle(title, fontsize="large", fontweight="bold")
    save_figure(fig, path)
    return fig


def _default_pos(t):
    """The positive class when none is given: 1 for labels in {0, 1} or {-1, 1}, as scikit-learn."""
    values = np.unique(t)
    if values.size > 2:
        raise ValueError(f"y_true has {values.size} classes but y_score one column of scores: give "
                         "(N, classes) scores for one curve per class, or binary labels")
    if values.size == 2 and not (set(values.tolist()) <= {0, 1} or set(values.tolist()) <= {-1, 1}):
        raise ValueError(f"y_true's labels are {values.tolist()}: say which one is positive with pos_label=")
    return 1


def precision_recall_curve(y_true, y_score, path=None, title=None, labels=None, pos_label=None):
    """The precision-recall curve of a classifier's scores, with the average precision (AP).

    Arguments as in :func:`roc_curve`. Each point is one threshold ``t``: predicting "positive"
    when ``score >= t`` finds a share ``recall = TP / P`` of the positives, and a share
    ``precision = TP / (TP + FP)`` of what it calls positive is right. Lowering ``t`` raises the
    recall and (usually) lowers the precision. ``AP = sum_k (R_k - R_(k-1)) P_k``, the area under
    the step curve drawn here; a perfect ranking has AP 1; guessing has AP equal to the share of
    positives (the dashed line). When positives are rare, this curve shows what the ROC curve
    hides: how many false alarms come with each found positive. Returns the figure; ``path``
    also saves it.
    """
    problems = _one_vs_rest(y_true, y_score, pos_label, "precision_recall_curve")
    fig = new_figure(5.6, 5.4)
    ax = _curve_axes(fig, "recall (true positive rate)", "precision")
    multi = len(problems) > 1
    colors = _class_colors(len(problems)) if multi else [TRAIN_COLOR]
    names = class_names(labels, len(problems), "precision_recall_curve") if multi else None
    aps = []
    for (k, t, s, pos), color in zip(problems, colors):
        pos = pos if pos is not None else _default_pos(t)
        precision, recall, _ = scores.precision_recall_curve(t, s, pos_label=pos)
        ap = scores.average_precision_score((t == pos).astype(np.int64), s)
        aps.append(ap)
        label = f"{names[k]} vs rest (AP = {ap:.3f})" if multi else f"AP = {ap:.3f}"
        ax.plot(recall, precision, drawstyle="steps-post", color=color, linewidth=2, label=label,
                gid=f"pr-{k}" if multi else "pr")
        if not multi:
            prevalence = float(np.mean(t == pos))
            ax.axhline(prevalence, linestyle="--", color=CHANCE_COLOR, linewidth=1.2,
                       label=f"chance (AP = {prevalence:.3f}, the share of positives)", gid="chance")
    ax.legend(loc="lower left", fontsize="small", framealpha=0.9)
    if title is None:
        title = ("Precision-recall curve" if not multi
                 else f"Precision-recall, one vs rest (mean AP {np.mean(aps):.3f})")
    fig.suptitle(title, fontsize="large", fontweight="bold")
    save_figure(fig, path)
    return fig

