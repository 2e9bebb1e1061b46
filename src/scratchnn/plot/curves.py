"""Learning curves: the loss and each metric of a ``History``, epoch by epoch, training against validation.

    history = model.fit(x, y, validation_split=0.1, epochs=20)
    plot.learning_curves(history)       # one panel per quantity, the best val_loss starred
    plot.learning_curves(history, monitor="val_accuracy")     # the star on what you monitored

The best-epoch note and the legend of each panel are placed where they hide no curve.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from .figure import SCHEDULE_COLOR, TRAIN_COLOR, VAL_COLOR, figure_title, grid_shape, new_figure, save_figure

__all__ = ["learning_curves"]


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


def _monitored(series, monitor):
    """The key of ``series`` whose best epoch is starred (see ``learning_curves``)."""
    if monitor is not None:
        if monitor not in series:
            raise ValueError(f"learning_curves: monitor={monitor!r} is not in the history; it holds "
                             f"{', '.join(series)}")
        return monitor
    for key in ("val_loss", "loss"):
        if key in series:
            return key
    measured = [k for k in series if (k[4:] if k.startswith("val_") else k) not in _SCHEDULE_KEYS]
    first = measured[0] if measured else None
    if first is not None and not first.startswith("val_") and "val_" + first in series:
        return "val_" + first
    return first


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


def learning_curves(history, path=None, title=None, monitor=None):
    """Plot how the loss and each metric evolved during training, one panel per quantity.

    ``history``: what ``model.fit`` returns (a ``History``; its ``.history`` dict is read) or a
    plain dict such as ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``.

    ``monitor``: the quantity whose best epoch is starred, the one an ``EarlyStopping`` or
    ``ModelCheckpoint`` of the run watched (``"val_loss"``, ``"val_accuracy"``, ``"loss"``
    ...). One epoch is starred, in that quantity's panel: the loss and the accuracy usually
    peak at different epochs, and only the monitored one chose the weights that were kept.
    By default (``None``) it is what those callbacks watch by default: ``"val_loss"``, or
    ``"loss"`` when there is no validation, or else the first quantity (its validation curve
    when there is one). A name the history does not hold raises ``ValueError``.

    How to read it: each panel shows one quantity per epoch (x axis, 1-based), measured on the
    training data (blue) and, when ``fit`` had validation data, on the validation data
    (orange). The star marks the monitored quantity's best epoch (the lowest for a loss or an
    error, the highest for an accuracy, an AUC ...). Training and validation curves that go
    apart -- training still improving while validation gets worse after the star -- are the
    signature of overfitting: the weights of the starred epoch generalise best
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
    monitor = _monitored(series, monitor)
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

    rows, cols = grid_shape(len(panels), max_cols=3)
    if len(panels) <= 3:
        rows, cols = 1, len(panels)
    fig = new_figure(4.6 * cols, 3.5 * rows + 0.4)
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

        for key, label, epochs, values, finite in drawn:
            if key != monitor or not finite.any():
                continue
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
    figure_title(fig, title if title is not None else f"Learning curves ({length} epoch"
                 f"{'s' if length != 1 else ''})")
    save_figure(fig, path)
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
