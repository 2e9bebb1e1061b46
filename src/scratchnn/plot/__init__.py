"""Figures for learning: training curves, confusion matrices, images, decision boundaries, filters.

    import scratchnn.plot as splt
    history = model.fit(x, y, validation_split=0.1, epochs=20)
    splt.learning_curves(history)                       # in Jupyter: the figure shows below the cell
    splt.confusion_matrix(y_test, model.predict(x_test), path="runs/confusion.png")

Every function builds a new figure with matplotlib's object-oriented API and returns it; nothing
goes through ``matplotlib.pyplot``: no global "current figure", nothing shown or kept alive
behind your back, no display (GUI backend) needed. With ``path=...`` the figure is also saved
there (the extension picks PNG, SVG or PDF; missing folders are created; the file is written
under a temporary name and renamed, so a crash never leaves a half-written image).

Showing the figures
-------------------
In Jupyter, write the call as the **last line of a cell**: the figure appears once, below the
cell. (A plain ``matplotlib.figure.Figure`` would not: in a fresh kernel it prints only
``<Figure size 640x480 with 1 Axes>``, because IPython learns to draw figures only once pyplot
has activated its inline backend, by drawing a figure or by ``%matplotlib inline``; a figure
made with ``pyplot.figure()`` instead appears *twice*, once as the cell's value and once more
when pyplot flushes its open figures at the end of the cell. So the functions return a
:class:`PlotFigure`, a ``Figure`` that renders itself as PNG for IPython.) To keep a figure
and show it later, assign it and put the name alone on a line, or call ``display(fig)``.
In a script, save it (``path=...`` or ``fig.savefig(...)``) and open the file.

Colours are the same everywhere: training in blue, validation in orange; misclassified examples
in red.
"""
import inspect
import io
import math
import os
import uuid
from numbers import Integral

import matplotlib
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["PlotFigure", "learning_curves", "confusion_counts", "confusion_matrix", "image_grid",
           "decision_boundary", "filters", "feature_maps",
           "gradient_norms", "weight_histograms", "dead_units", "activation_histograms", "update_ratios",
           "explanation",
           "grid_heatmap", "roc_curve", "precision_recall_curve"]

TRAIN_COLOR = "#1f77b4"      # matplotlib's tab:blue
VAL_COLOR = "#ff7f0e"        # tab:orange
ERROR_COLOR = "#d62728"      # tab:red
SCHEDULE_COLOR = "#555555"
DPI = 130                    # resolution of saved PNG files (Jupyter shows the figure at 100 dpi)
_SAVE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


class PlotFigure(Figure):
    """A matplotlib ``Figure`` that Jupyter/IPython displays as an image.

    ``_repr_png_`` is the hook IPython calls for the value of a cell. When pyplot's inline
    backend is active, IPython's own Figure formatter takes precedence over it (same picture);
    either way the figure is shown exactly once.
    """

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi, bbox_inches="tight")
        return buffer.getvalue()


def _new_figure(width, height):
    return PlotFigure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig, path):
    """Save ``fig`` to ``path`` atomically (temporary file in the same folder, then ``os.replace``)."""
    if path is None:
        return
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _SAVE_FORMATS:
        raise ValueError(f"cannot save a figure to {path!r}: the file name must end in .png, .svg or .pdf")
    fmt = _SAVE_FORMATS[ext]
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Our own unique name opened with "xb": exclusive like mkstemp, but the permissions follow
    # the umask (mkstemp would leave the final image readable by its owner only).
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    # No creation date in SVG/PDF: the same figure gives the same bytes.
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    try:
        with open(tmp, "xb") as f:
            fig.savefig(f, format=fmt, dpi=DPI, bbox_inches="tight", metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _grid_shape(n, max_cols=None):
    """(rows, cols) of a nearly square grid holding ``n`` tiles."""
    cols = max(1, math.ceil(math.sqrt(n)))
    if max_cols is not None:
        cols = min(cols, max_cols)
    return math.ceil(n / cols), cols


def _array(x, name):
    """``x`` as a NumPy array (accepts scratchnn Tensors and anything array-like)."""
    try:
        return np.asarray(x)
    except Exception as exc:     # ragged lists and other oddities
        raise ValueError(f"{name} must be array-like, got {type(x).__name__}: {exc}") from None


def _class_ids(y, name):
    """``(labels, confidence, width)`` for ``y`` given as labels, one-hot or probability rows.

    * ``(N,)`` or ``(N, 1)`` integers (or integer-valued floats): the labels themselves;
    * ``(N,)`` or ``(N, 1)`` other floats in [0, 1]: probability of class 1 (a sigmoid output),
      label ``p > 0.5`` (Keras's binary threshold), confidence ``max(p, 1 - p)``, width 2;
    * ``(N, K)`` with K > 1: one-hot rows, probabilities or scores; label = argmax, width K;
      the confidence is the largest probability when the rows are probabilities (in [0, 1],
      summing to 1, not one-hot), else None.
    """
    a = _array(y, name)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim == 2:
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{name}: expected numbers, got dtype {a.dtype}")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or inf")
        labels = np.argmax(a, axis=1).astype(np.int64)
        confidence = None      # only for probabilities: one-hot rows or scores carry no confidence
        if a.size and a.min() >= 0 and a.max() <= 1 and np.allclose(a.sum(axis=1), 1, atol=1e-3) \
                and not np.all((a == 0) | (a == 1)):
            confidence = a.max(axis=1).astype(np.float64)
        return labels, confidence, a.shape[1]
    if a.ndim != 1:
        raise ValueError(f"{name} must be labels of shape (N,) or rows of shape (N, K) (one-hot or "
                         f"probabilities), got shape {a.shape}")
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    if a.dtype.kind in "iu":
        labels = a.astype(np.int64)
        confidence, width = None, None
    elif a.dtype.kind == "f":
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or inf")
        if np.all(a == np.round(a)):
            labels, confidence, width = a.astype(np.int64), None, None
        elif a.min() >= 0 and a.max() <= 1:
            labels = (a > 0.5).astype(np.int64)
            confidence, width = np.where(labels == 1, a, 1 - a).astype(np.float64), 2
        else:
            raise ValueError(f"{name}: labels must be integers (or probabilities of class 1 in [0, 1]); "
                             f"got non-integer values such as {a[a != np.round(a)][0]!r}")
    else:
        raise ValueError(f"{name}: expected integer class labels, got dtype {a.dtype}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name}: class labels must be >= 0, got {int(labels.min())}")
    return labels, confidence, width


def _check_lengths(**arrays):
    sizes = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(sizes.values())) > 1:
        described = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        raise ValueError(f"the inputs must hold the same number of examples: {described}")


def _class_names(labels, num_classes, who):
    """Display names of the classes: ``labels`` (one string per class) or "0", "1", ..."""
    if labels is None:
        return [str(k) for k in range(num_classes)]
    if isinstance(labels, str):
        raise ValueError(f"{who}: labels must be a list of class names, got the string {labels!r}")
    names = [str(name) for name in labels]
    if len(names) < num_classes:
        raise ValueError(f"{who}: {len(names)} class names given in labels, but the data has class "
                         f"{num_classes - 1}: give one name per class (index = class label)")
    return names


def _title_text(fig, title):
    if title:
        fig.suptitle(title, fontsize="x-large", fontweight="bold")


# ============================================================================ learning curves
#: Entries of a History that are not measured on data but set by the training loop: drawn in
#: a panel of their own (last), without a "best epoch".
_SCHEDULE_KEYS = ("learning_rate", "lr")
#: Name fragments of quantities where lower is better (losses and errors); any other metric
#: (accuracy, precision, AUC, ...) is taken as higher-is-better.
_LOWER_IS_BETTER = ("loss", "error", "crossentropy", "hinge", "divergence", "poisson", "logcosh",
                    "mse", "mae", "mape", "msle", "false_")


def _lower_is_better(name):
    return any(part in name.lower() for part in _LOWER_IS_BETTER)


def _history_series(history):
    """``{key: 1-D float array}`` from a History (or anything with a ``.history`` dict) or a dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"learning_curves expects a History (what fit() returns) or a dict of lists, "
                        f"got {type(history).__name__}")
    series = {}
    for key, values in logs.items():
        if not isinstance(key, str):
            continue
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim == 1 and arr.size:
            series[key] = arr
    if not series:
        found = ", ".join(repr(k) for k in logs) or "nothing"
        raise ValueError("learning_curves expects a History or a dict mapping names such as 'loss', "
                         "'val_loss', 'accuracy' to lists of per-epoch numbers; "
                         f"found no such list (keys: {found})")
    return series


def _epoch_axis(history, length):
    """1-based epoch numbers of ``length`` epochs (History.epoch when it matches)."""
    epochs = getattr(history, "epoch", None)
    if epochs is not None and len(epochs) == length:
        try:
            e = np.asarray(epochs, dtype=np.int64)
            if e.ndim == 1:
                return e + 1
        except (TypeError, ValueError):
            pass
    return np.arange(1, length + 1)


def learning_curves(history, path=None, title=None):
    """Plot how the loss and each metric evolved during training, one panel per quantity.

    ``history``: what ``model.fit`` returns (a ``History``; its ``.history`` dict is read) or a
    plain dict such as ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``.

    How to read it: each panel shows one quantity per epoch (x axis, 1-based), measured on the
    training data (blue) and, when ``fit`` had validation data, on the validation data
    (orange). The star marks the best epoch (the lowest validation loss, the highest validation
    accuracy, ...; the training curve's when there is no validation). Training and validation
    curves that go apart -- training still improving while validation gets worse after the
    star -- are the signature of overfitting: the weights of the starred epoch generalise best
    (``EarlyStopping(restore_best_weights=True)`` keeps them).

    Non-finite values (a loss that became NaN or inf) are not drawn; an ``x`` in the curve's
    colour at the top of the panel marks those epochs. Entries set by the training loop rather than measured
    (``learning_rate``, added by ``ReduceLROnPlateau``) get their own last panel (log scale
    when they span a factor 10 or more). Entries that are not lists of numbers are ignored.
    When some entries are shorter than others (a key that appeared only in later epochs),
    they are aligned on the last epochs.

    Returns the figure (a ``PlotFigure``); ``path`` also saves it.
    """
    series = _history_series(history)
    length = max(len(v) for v in series.values())
    all_epochs = _epoch_axis(history, length)

    # Panels: the loss first, then the metrics in the order they first appear, then the schedules.
    panels = []
    for key in series:
        base = key[4:] if key.startswith("val_") else key
        if base not in panels:
            panels.append(base)
    schedules = [p for p in panels if p in _SCHEDULE_KEYS and p in series]
    panels = [p for p in panels if p not in schedules]
    panels.sort(key=lambda p: p != "loss")
    panels += schedules

    rows, cols = _grid_shape(len(panels), max_cols=3)
    if len(panels) <= 3:
        rows, cols = 1, len(panels)
    fig = _new_figure(4.6 * cols, 3.5 * rows + 0.4)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    markersize = 6 if length == 1 else (3.5 if length <= 40 else 0)

    for ax, name in zip(axes, panels):
        is_schedule = name in schedules
        curves = [(name, "training", TRAIN_COLOR), ("val_" + name, "validation", VAL_COLOR)]
        if is_schedule:
            curves = [(name, name.replace("_", " "), SCHEDULE_COLOR)]
        drawn = []
        for key, label, color in curves:
            if key not in series:
                continue
            values = series[key]
            epochs = all_epochs[length - len(values):]
            finite = np.isfinite(values)
            y = np.where(finite, values, np.nan)          # gaps where the value was NaN/inf
            ax.plot(epochs, y, color=color, label=label, marker="o" if markersize else None,
                    markersize=markersize, linewidth=2)
            if not finite.all():      # mark the epochs without a value along the top of the panel
                height = 0.96 if color != VAL_COLOR else 0.90
                ax.plot(epochs[~finite], np.full((~finite).sum(), height), linestyle="none", marker="x",
                        color=color, markersize=8, markeredgewidth=2.5, gid="non-finite",
                        transform=ax.get_xaxis_transform(), label=f"{label}: NaN/inf")
            drawn.append((key, label, epochs, values, finite))

        if drawn and not is_schedule:
            key, label, epochs, values, finite = drawn[-1]       # validation if there is one
            if finite.any():
                masked = np.where(finite, values, np.inf if _lower_is_better(name) else -np.inf)
                best = int(np.argmin(masked) if _lower_is_better(name) else np.argmax(masked))
                color = VAL_COLOR if key.startswith("val_") else TRAIN_COLOR
                which = "lowest" if _lower_is_better(name) else "highest"
                ax.axvline(epochs[best], color="0.6", linestyle=":", linewidth=1.2, zorder=1)
                ax.plot([epochs[best]], [values[best]], linestyle="none", marker="*", markersize=16,
                        markerfacecolor=color, markeredgecolor="black", zorder=5,
                        label=f"best: epoch {epochs[best]}", gid="best-epoch")
                ax.annotate(f"{which} {label}\nepoch {epochs[best]}: {values[best]:.4g}",
                            xy=(epochs[best], values[best]), xytext=(0.5, 0.5), textcoords="axes fraction",
                            ha="center", va="center", fontsize="small", gid="best-epoch-note",
                            bbox=dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor="0.7",
                                      alpha=0.9),
                            arrowprops=dict(arrowstyle="->", color="0.3", shrinkB=8))
        if is_schedule:
            finite_values = np.concatenate([v[f] for _, _, _, v, f in drawn])
            if finite_values.size and finite_values.min() > 0 and \
                    finite_values.max() >= 10 * finite_values.min():
                ax.set_yscale("log")
        ax.set_title(name.replace("_", " "), fontweight="bold")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if length == 1:
            ax.set_xlim(all_epochs[0] - 0.5, all_epochs[0] + 0.5)
            ax.set_xticks([all_epochs[0]])
        ax.grid(True, alpha=0.3)
    for ax in axes[:len(panels)]:
        _arrange_panel(ax)
    _title_text(fig, title if title is not None else f"Learning curves ({length} epoch"
                f"{'s' if length != 1 else ''})")
    _save(fig, path)
    return fig


def _curve_points(ax):
    """The data lines of ``ax`` as points in axes fractions (segments densified), for placing boxes."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    if ax.get_yscale() != "linear" or x1 == x0 or y1 == y0:
        return None
    points = []
    for line in ax.get_lines():
        xd = np.asarray(line.get_xdata(), dtype=np.float64)
        yd = np.asarray(line.get_ydata(), dtype=np.float64)
        if line.get_gid() == "non-finite" and xd.size:       # x in data, y in axes fraction;
            marks = np.column_stack([(xd - x0) / (x1 - x0), yd])  # each weighs like a segment
            points.append(np.repeat(marks, 8, axis=0))
            continue
        if line.get_gid() == "best-epoch" or line.get_transform() is not ax.transData:
            continue
        if xd.size != yd.size or xd.size == 0:
            continue
        if xd.size > 1:          # a long straight segment occupies the space it crosses too
            t = np.linspace(0, 1, 8)[:, None]
            xd = (xd[:-1] + t * (xd[1:] - xd[:-1])).ravel()
            yd = (yd[:-1] + t * (yd[1:] - yd[:-1])).ravel()
        keep = np.isfinite(xd) & np.isfinite(yd)
        points.append(np.column_stack([(xd[keep] - x0) / (x1 - x0), (yd[keep] - y0) / (y1 - y0)]))
    return np.concatenate(points) if points else np.zeros((0, 2))


def _crowding(points, centre, half_width, half_height):
    """How many curve points fall in the box of that half size centred at ``centre``."""
    d = np.abs(points - np.asarray(centre))
    return int(np.sum((d[:, 0] < half_width) & (d[:, 1] < half_height)))


#: Where a legend may go: matplotlib's location code and the centre of the box it takes (axes fraction).
_LEGEND_SPOTS = [("upper right", (0.8, 0.82)), ("upper left", (0.2, 0.82)), ("lower left", (0.2, 0.18)),
                 ("lower right", (0.8, 0.18)), ("center right", (0.8, 0.5)), ("center left", (0.2, 0.5))]


def _arrange_panel(ax):
    """Place the best-epoch note and the legend of a panel where they hide no curve nor each other.

    The note goes to the least crowded of nine spots (nearest the star among equally free
    ones), then the legend to the least crowded corner that does not overlap the note.
    """
    notes = [t for t in ax.texts if t.get_gid() == "best-epoch-note"]
    entries = sum(not line.get_label().startswith("_") for line in ax.get_lines())
    with_legend = entries > 1
    pts = _curve_points(ax)
    if pts is None:            # log scale: leave it to matplotlib
        if with_legend:
            ax.legend(fontsize="small")
        return
    note_at = None
    if notes:
        star = ax.transAxes.inverted().transform(ax.transData.transform(notes[0].xy))
        spots = [(x, y) for y in (0.82, 0.5, 0.2) for x in (0.5, 0.72, 0.3)]
        note_at = min(spots, key=lambda c: (_crowding(pts, c, 0.2, 0.13), float(np.hypot(*(star - c)))))
        for note in notes:
            note.set_position(note_at)
    if with_legend:
        half_height = 0.05 + 0.045 * entries

        def cost(spot):
            centre = spot[1]
            clash = note_at is not None and abs(centre[0] - note_at[0]) < 0.42 and \
                abs(centre[1] - note_at[1]) < 0.13 + half_height
            return (clash, _crowding(pts, centre, 0.2, half_height))
        ax.legend(fontsize="small", loc=min(_LEGEND_SPOTS, key=cost)[0])


# ============================================================================ confusion matrix
def confusion_counts(y_true, y_pred, num_classes=None):
    """The confusion matrix as counts: ``C[i, j]`` = number of examples of true class ``i``
    predicted as class ``j`` (rows: true class, columns: prediction; sklearn's convention).

    ``y_true`` and ``y_pred`` are integer labels of shape ``(N,)``, or rows of shape ``(N, K)``
    (one-hot, probabilities or scores: their argmax is taken), or ``(N,)``/``(N, 1)``
    probabilities of class 1 (thresholded at 0.5). ``num_classes`` defaults to the largest
    label + 1 (or the number of columns of ``(N, K)`` inputs); a label that does not fit it
    raises ``ValueError``. Returns an ``int64`` array of shape ``(num_classes, num_classes)``.
    """
    t, _, wt = _class_ids(y_true, "y_true")
    p, _, wp = _class_ids(y_pred, "y_pred")
    _check_lengths(y_true=t, y_pred=p)
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


def _cell_text_color(cmap, norm, value):
    """Black or white, whichever contrasts more with the cell's colour."""
    if not np.isfinite(value):
        return "0.4"
    r, g, b, _ = cmap(norm(value))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if luminance < 0.5 else "black"


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
                    text = "0" if v == 0 else f"{v:.2f}"
                else:
                    text = str(int(v))
                ax.text(j, i, text, ha="center", va="center", fontsize=size,
                        color=_cell_text_color(cmap, norm, v), gid=f"cell-{i}-{j}")
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
    Every cell shows its value when there are at most 30 classes.
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
    names = _class_names(labels, k, "confusion_matrix")
    total = int(counts.sum())
    correct = int(np.trace(counts))

    panels = [("counts", counts, False, "counts"),
              ("true", _normalized(counts, "true"), True, _NORMALIZE_TITLES["true"])]
    if normalize is not None:
        panels = [(normalize, _normalized(counts, normalize), True, _NORMALIZE_TITLES[normalize])]
    side = min(max(4.4, 0.36 * k + 1.6), 9.0)           # 5.2 inches for 10 classes
    fig = _new_figure(side * 1.2 * len(panels), side + 0.8)
    axes = fig.subplots(1, len(panels), squeeze=False).ravel()
    for ax, (kind, matrix, normalized, panel_title) in zip(axes, panels):
        _draw_matrix(fig, ax, matrix, names, cmap, normalized, panel_title)
        ax.set_gid(f"confusion-{kind}")
    accuracy = f"accuracy {correct / total:.1%} ({correct} of {total})" if total else "no examples"
    fig.suptitle(f"{title or 'Confusion matrix'}: {accuracy}", fontsize="x-large", fontweight="bold")
    _save(fig, path)
    return fig


# ============================================================================ images
_SHAPES_HELP = ("(N, H*W) flattened square images, (N, H, W), (N, H, W, 1), (N, H, W, 3) "
                "or (N, 1, H, W), (N, 3, H, W)")


def _as_images(x, name="x"):
    """``(N, H, W)`` grey or ``(N, H, W, 3)`` colour images from the accepted layouts."""
    a = _array(x, name)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected numeric images, got dtype {a.dtype}")
    if a.dtype.kind == "b":
        a = a.astype(np.float64)
    if a.ndim == 2:
        side = math.isqrt(a.shape[1])
        if side * side != a.shape[1] or side == 0:
            raise ValueError(f"{name} has shape {a.shape}: rows of {a.shape[1]} values are not square "
                             f"images; reshape to (N, H, W) or (N, H, W, C) first. Accepted: {_SHAPES_HELP}. "
                             f"(One image? Pass x[None].)")
        return a.reshape(a.shape[0], side, side)
    if a.ndim == 3:
        return a
    if a.ndim == 4:
        if a.shape[-1] == 1:
            return a[..., 0]
        if a.shape[-1] == 3:
            return a
        if a.shape[1] == 1:
            return a[:, 0]
        if a.shape[1] == 3:
            return np.moveaxis(a, 1, -1)
        raise ValueError(f"{name} has shape {a.shape}: images need 1 or 3 channels (channels last or "
                         f"first). Accepted: {_SHAPES_HELP}")
    raise ValueError(f"{name} has shape {a.shape}: expected a batch of images, one of {_SHAPES_HELP}")


def _display_range(images):
    """(vmin, vmax) for the grey levels: 0..255 for bytes, 0..1 for data already in [0, 1]."""
    if images.dtype.kind in "bu" and images.dtype.itemsize == 1:
        return 0.0, 255.0
    finite = images[np.isfinite(images)] if images.dtype.kind == "f" else images
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if lo >= 0 and hi <= 255 and images.dtype.kind in "iu":
        return 0.0, 255.0
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def _tile_axes(fig, n, rows, cols):
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.remove()
    return axes[:n]


def _clean_tile(ax):
    """No ticks; a thin grey frame, so that a tile's white border stays visible."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("0.75")
        spine.set_linewidth(0.8)


def _message_figure(message, title):
    fig = _new_figure(6, 1.6 if not title else 2.0)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize="large", transform=ax.transAxes)
    _title_text(fig, title)
    return fig


def image_grid(x, y=None, y_pred=None, labels=None, n=25, path=None, title=None, only_errors=False,
               cmap="gray"):
    """Show the first ``n`` images in a grid, captioned with their labels and predictions.

    ``x``: images as ``(N, 784)`` (flattened squares), ``(N, H, W)``, ``(N, H, W, 1)``,
    ``(N, H, W, 3)`` (channels last) or ``(N, 1, H, W)``/``(N, 3, H, W)`` (channels first).
    Grey levels are drawn with ``cmap`` over 0..255 for bytes, 0..1 for data in [0, 1],
    otherwise over the data's min..max.
    ``y``: the true labels (integers or one-hot rows). ``y_pred``: predicted labels, or
    probability rows (``model.predict`` output: the argmax is the prediction and the caption
    adds the model's confidence, its probability for the predicted class).
    ``labels``: class names used in the captions (``labels[k]`` for class ``k``).

    How to read it: each caption reads ``true: 7`` (labels only), ``pred: 7 (99%)`` (a correct
    prediction, with the confidence) or, for a mistake, ``pred: 1 (62%)`` over ``true: 7``, in
    red, with a red frame. A confident mistake (high %) is worth a close look: is the label
    wrong, or is the digit ambiguous? With ``only_errors=True`` only the misclassified examples
    are shown (needs ``y`` and ``y_pred``); when there are none the figure says so.

    Returns the figure; ``path`` also saves it.
    """
    images = _as_images(x)
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (the number of images shown), got {n!r}")
    true = conf = pred = None
    if y is not None:
        true, _, _ = _class_ids(y, "y")
    if y_pred is not None:
        pred, conf, _ = _class_ids(y_pred, "y_pred")
    _check_lengths(x=images, y=true, y_pred=pred)
    top = max(int(a.max(initial=-1)) for a in (true, pred, np.zeros(0, np.int64)) if a is not None) + 1
    names = _class_names(labels, top, "image_grid")
    wrong = (true != pred) if (true is not None and pred is not None) else np.zeros(len(images), bool)

    if only_errors:
        if true is None or pred is None:
            raise ValueError("only_errors=True needs both y (true labels) and y_pred (predictions)")
        indices = np.flatnonzero(wrong)
        if indices.size == 0:
            fig = _message_figure(f"No misclassified examples: all {len(images)} predictions are correct.",
                                  title)
            _save(fig, path)
            return fig
    else:
        indices = np.arange(len(images))
    if indices.size == 0:
        raise ValueError("image_grid: x holds no images")
    shown = indices[:n]

    rows, cols = _grid_shape(len(shown))
    tile = 1.55 if cols <= 8 else max(0.9, 12.5 / cols)
    caption_lines = 2 if wrong[shown].any() else 1
    fig = _new_figure(tile * cols, (tile + 0.16 * caption_lines) * rows + 0.5)
    vmin, vmax = _display_range(images[shown])
    axes = _tile_axes(fig, len(shown), rows, cols)
    for ax, i in zip(axes, shown):
        img = images[i]
        if img.ndim == 3:      # colour: imshow wants floats in [0, 1] or bytes
            if not (img.dtype.kind in "u" and img.dtype.itemsize == 1):
                img = np.clip((img.astype(np.float64) - vmin) / ((vmax - vmin) or 1.0), 0, 1)
            ax.imshow(img, interpolation="nearest")
        else:
            ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        caption, color = _caption(i, true, pred, conf, names)
        ax.set_title(caption, fontsize="small", color=color, pad=3)
        for spine in ax.spines.values():
            if wrong[i]:
                spine.set_edgecolor(ERROR_COLOR)
                spine.set_linewidth(3)
            else:
                spine.set_edgecolor("0.8")
                spine.set_linewidth(0.8)
        ax.set_gid(f"image-{i}" + ("-wrong" if wrong[i] else ""))

    if title is None:
        what = f"first {len(shown)} of {len(indices)}" if len(shown) < len(indices) else f"all {len(shown)}"
        if only_errors:
            title = f"Misclassified examples ({what}; accuracy {1 - wrong.mean():.1%} on {len(images)})"
        elif true is not None and pred is not None:
            n_wrong = int(wrong[shown].sum())
            title = f"Images ({what}): {n_wrong} misclassified, shown in red"
        else:
            title = f"Images ({what})"
    fig.suptitle(title, fontsize="large", fontweight="bold")
    _save(fig, path)
    return fig


def _caption(i, true, pred, conf, names):
    """(caption, colour) of image ``i``."""
    if pred is None:
        return (f"true: {names[true[i]]}", "black") if true is not None else (f"#{i}", "0.3")
    text = f"pred: {names[pred[i]]}"
    if conf is not None:
        text += f" ({conf[i]:.0%})"
    if true is not None and true[i] != pred[i]:
        return f"{text}\ntrue: {names[true[i]]}", ERROR_COLOR
    return text, "black"


# ============================================================================ decision boundary
def _predict_classes(model_or_fn, points):
    """Class labels predicted for ``points`` by a model (``.predict``) or a callable."""
    if hasattr(model_or_fn, "predict") and callable(model_or_fn.predict):
        predict = model_or_fn.predict
        try:
            takes_verbose = "verbose" in inspect.signature(predict).parameters
        except (TypeError, ValueError):
            takes_verbose = False
        out = predict(points, verbose=0) if takes_verbose else predict(points)
    elif callable(model_or_fn):
        out = model_or_fn(points)
    else:
        raise TypeError(f"decision_boundary needs a model with .predict or a function of the inputs, "
                        f"got {type(model_or_fn).__name__}")
    out = _array(out, "the model's output")
    if out.ndim == 0 or out.shape[0] != len(points):
        raise ValueError(f"the model returned shape {out.shape} for {len(points)} points of shape "
                         f"{points.shape}; expected one label or one row of probabilities per point")
    labels, _, _ = _class_ids(out, "the model's output")
    return labels


def decision_boundary(model_or_fn, x, y, path=None, title=None, resolution=200, labels=None):
    """Colour the plane by the class a model predicts there, with the data points on top.

    For 2-D inputs only: ``x`` has shape ``(N, 2)``; ``y`` holds the true labels (integers or
    one-hot rows). ``model_or_fn`` is a model (its ``predict`` is called) or a function
    ``f(points) -> outputs`` taking an ``(M, 2)`` array; the outputs may be labels ``(M,)``,
    probabilities ``(M, K)`` (argmax) or a sigmoid's ``(M, 1)`` probabilities of class 1
    (threshold 0.5). ``resolution``: grid points along each axis. ``labels``: class names.

    How to read it: each shaded region is where the model answers that class; the dark line
    between regions is the decision boundary. Points are coloured by their *true* class: a
    point lying in a region of another colour is misclassified (the title gives the accuracy
    on these points). A straight boundary is all a model without hidden layer can draw; a
    wiggly one hugging individual points hints at overfitting.

    Returns the figure; ``path`` also saves it.
    """
    pts = _array(x, "x")
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
        raise ValueError(f"decision_boundary draws 2-D inputs: x must have shape (N, 2), got {pts.shape}")
    if pts.dtype.kind not in "biuf" or not np.all(np.isfinite(pts)):
        raise ValueError("x must hold finite numbers")
    true, _, width = _class_ids(y, "y")
    _check_lengths(x=pts, y=true)
    if not isinstance(resolution, Integral) or isinstance(resolution, bool) or not 2 <= resolution <= 2000:
        raise ValueError(f"resolution must be an integer in [2, 2000], got {resolution!r}")
    pts = pts.astype(np.float64)

    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 1.0)
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    predicted = _predict_classes(model_or_fn, np.concatenate([grid, pts]))
    region, on_points = predicted[:grid.shape[0]].reshape(gx.shape), predicted[grid.shape[0]:]

    k = max(int(true.max()) + 1, int(predicted.max()) + 1, width or 0, 2)
    names = _class_names(labels, k, "decision_boundary")
    if k <= 9:      # tab10 without its red, which marks the mistakes
        class_colors = [matplotlib.colormaps["tab10"](c) for c in (0, 1, 2, 4, 5, 6, 7, 8, 9)][:k]
    else:
        class_colors = [matplotlib.colormaps["tab20"](c % 20) for c in range(k)]
    cmap = mcolors.ListedColormap(class_colors)
    norm = mcolors.BoundaryNorm(np.arange(k + 1) - 0.5, k)

    fig = _new_figure(6.4, 5.6)
    ax = fig.add_subplot()
    ax.pcolormesh(gx, gy, region, cmap=cmap, norm=norm, alpha=0.28, shading="auto", gid="regions")
    for c in np.unique(region) if np.unique(region).size > 1 else ():
        # the outline of each class's region: between two classes both outlines coincide
        ax.contour(gx, gy, (region == c).astype(np.float64), levels=[0.5], colors="0.15", linewidths=1.3)
    for c in range(k):
        members = true == c
        if members.any():
            ax.scatter(pts[members, 0], pts[members, 1], color=class_colors[c], edgecolor="black",
                       linewidth=0.6, s=30, label=names[c], zorder=3)
    wrong = on_points != true
    if wrong.any():
        ax.scatter(pts[wrong, 0], pts[wrong, 1], facecolor="none", edgecolor=ERROR_COLOR, linewidth=1.6,
                   s=110, label="misclassified", zorder=4)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(title="true class", fontsize="small", framealpha=0.9, loc="best")
    accuracy = 1.0 - wrong.mean()
    fig.suptitle(f"{title or 'Decision boundary'}: accuracy {accuracy:.1%} on {len(pts)} points",
                 fontsize="large", fontweight="bold")
    _save(fig, path)
    return fig


# ============================================================================ filters and maps
def _unit_range(a):
    """``a`` rescaled to [0, 1] by its own min and max (a constant array becomes 0.5)."""
    a = a.astype(np.float64)
    lo, hi = np.nanmin(a), np.nanmax(a)
    return np.full_like(a, 0.5) if hi <= lo else (a - lo) / (hi - lo)


def _tiles_figure(tiles, captions, title, cmap, tile_size=1.25):
    rows, cols = _grid_shape(len(tiles))
    tile = min(tile_size, 13.0 / cols)
    fig = _new_figure(tile * cols + 0.3, (tile + 0.2) * rows + 0.55)
    axes = _tile_axes(fig, len(tiles), rows, cols)
    for ax, tile_img, caption in zip(axes, tiles, captions):
        if tile_img.ndim == 3:
            ax.imshow(tile_img, interpolation="nearest")
        else:
            ax.imshow(tile_img, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        _clean_tile(ax)
        ax.set_title(caption, fontsize="small" if cols <= 10 else "x-small", pad=2)
    fig.suptitle(title, fontsize="large", fontweight="bold")
    return fig


def filters(weights, path=None, title=None, cmap="gray"):
    """Show what each convolution filter (or each hidden unit) responds to, one tile per filter.

    ``weights``: a ``Conv2D`` or ``Dense`` layer (its kernel is shown), or a kernel. A Conv2D
    kernel of shape ``(kh, kw, in_channels, out_channels)`` (Keras's layout; ``layer.kernel``
    or ``layer.get_weights()[0]``) gives one tile per output channel:
    in colour when ``in_channels == 3`` (the first layer of an RGB network), otherwise the
    weights applied to the first input channel. A Dense kernel of shape ``(H*W, units)``
    whose inputs are square images (e.g. ``(784, 128)`` on MNIST) gives one ``H x W`` tile per
    unit: the input pattern that excites that unit most.

    How to read it: each tile is scaled to its own minimum (black) and maximum (white), so
    tiles show the pattern, not the size, of the weights: edges, blobs or strokes at some
    orientation. Noise-like tiles mean the filter learned little (or training is young).

    Returns the figure; ``path`` also saves it.
    """
    if getattr(weights, "kernel", None) is not None:        # a layer: show its kernel
        name = getattr(weights, "name", "layer")
        weights = weights.kernel
        title = title or f"filters of '{name}'"
    w = _array(getattr(weights, "data", weights), "weights")
    if w.dtype.kind not in "biuf":
        raise ValueError(f"weights must be numbers, got dtype {w.dtype}")
    if w.ndim == 4:
        kh, kw, cin, cout = w.shape
        if cin == 3:
            tiles = [_unit_range(w[:, :, :, o]) for o in range(cout)]
            note = "RGB"
        else:
            tiles = [_unit_range(w[:, :, 0, o]) for o in range(cout)]
            note = "input channel 0" + (f" of {cin}" if cin > 1 else "")
        default = f"{cout} filters {kh}x{kw} ({note})"
    elif w.ndim == 2:
        side = math.isqrt(w.shape[0])
        if side * side != w.shape[0] or side == 0:
            raise ValueError(f"a Dense kernel of shape {w.shape} cannot be shown as images: its input size "
                             f"{w.shape[0]} is not a square (H*W)")
        tiles = [_unit_range(w[:, o].reshape(side, side)) for o in range(w.shape[1])]
        default = f"Weights of {w.shape[1]} units, as {side}x{side} images"
    else:
        raise ValueError(f"weights must be a Conv2D kernel (kh, kw, in_channels, out_channels) or a Dense "
                         f"kernel (H*W, units), got shape {w.shape}")
    if not tiles:
        raise ValueError(f"weights of shape {w.shape} hold no filter")
    fig = _tiles_figure(tiles, [str(i) for i in range(len(tiles))], title or default, cmap)
    _save(fig, path)
    return fig


def _activations_at(model, image, layer):
    """The output of ``layer`` (a name, an index or the layer) of a Sequential ``model`` for one
    ``image`` (``(H, W, C)`` or a batch of one), computed in inference mode."""
    from ..autograd import Tensor, no_grad
    layers = list(getattr(model, "layers", []))
    if not layers:
        raise ValueError("feature_maps(model, image, layer) needs a Sequential model with layers")
    if isinstance(layer, int):
        target = layers[layer]
    elif isinstance(layer, str):
        target = model.get_layer(layer)
    else:
        target = layer
    if not any(target is candidate for candidate in layers):
        raise ValueError(f"layer {getattr(target, 'name', target)!r} is not one of the model's layers: "
                         f"{[candidate.name for candidate in layers]}")
    x = _array(getattr(image, "data", image), "image")
    if model.input_shape is not None and x.ndim == len(model.input_shape) - 1:
        x = x[None]                                  # one sample -> a batch of one
    if x.shape[0] != 1:
        raise ValueError(f"feature_maps shows one image: got a batch of {x.shape[0]} (shape {x.shape})")
    out = Tensor(x.astype(model.dtype) if x.dtype != model.dtype else x)
    with no_grad():
        for candidate in layers:
            out = candidate(out, training=False)
            if candidate is target:
                return out.data, target.name
    raise AssertionError("unreachable")


def feature_maps(maps, image=None, layer=None, path=None, title=None, cmap="viridis"):
    """Show the activations of a convolution layer for one input: one tile per channel.

    ``feature_maps(model, image, layer)``: the output of ``layer`` (its name, its index, or the
    layer) of a Sequential ``model`` for one ``image``; or ``feature_maps(maps)`` with the maps
    themselves, ``(H, W, C)`` or ``(1, H, W, C)`` (a batch of one, channels last).

    How to read it: each tile is where in the image that channel fires (bright = strong), scaled
    to its own min..max. A tile marked "(flat)" is constant over the image, e.g. a ReLU
    channel that is zero everywhere ("dead" for this input).

    Returns the figure; ``path`` also saves it.
    """
    if hasattr(maps, "layers") and hasattr(maps, "predict"):     # a model: compute the maps
        if image is None or layer is None:
            raise ValueError("feature_maps(model, image, layer): give the image and the layer to look at")
        maps, name = _activations_at(maps, image, layer)
        title = title or f"feature maps of '{name}'"
    m = _array(maps, "maps")
    if m.ndim == 4:
        if m.shape[0] != 1:
            raise ValueError(f"feature_maps shows the maps of one example: got a batch of {m.shape[0]} "
                             f"(shape {m.shape}); pass maps[:1] or maps[0]")
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (H, W, C) or (1, H, W, C), got {m.shape}")
    if m.dtype.kind not in "biuf":
        raise ValueError(f"maps must be numbers, got dtype {m.dtype}")
    channels = m.shape[-1]
    if channels == 0:
        raise ValueError("maps hold no channel")
    tiles, captions = [], []
    for c in range(channels):
        tile = m[:, :, c]
        flat = not np.nanmax(tile) > np.nanmin(tile)
        tiles.append(np.zeros(tile.shape) if flat else _unit_range(tile))
        captions.append(f"{c} (flat)" if flat else str(c))
    default = f"{channels} feature maps {m.shape[0]}x{m.shape[1]}"
    fig = _tiles_figure(tiles, captions, title or default, cmap)
    _save(fig, path)
    return fig


# Figures of later chapters live in sibling modules and are re-exported here, so that
# ``scratchnn.plot.<name>`` is the one place to look for every figure.
from .training import (activation_histograms, dead_units, explanation, gradient_norms,  # noqa: E402
                       update_ratios, weight_histograms)
from .selection import grid_heatmap, precision_recall_curve, roc_curve  # noqa: E402
