"""Figures of what happens inside a network while it trains, from ``scratchnn.inspect``.

    monitor = scratchnn.inspect.TrainingMonitor(every=20)
    model.fit(x, y, epochs=5, callbacks=[monitor])
    plot.gradient_norms(monitor)          # gradient strength per layer over the steps
    plot.weight_histograms(monitor)       # each layer's weights now vs at initialization
    plot.dead_units(monitor)              # % of ReLU units that output 0 for every probe input
    plot.update_ratios(monitor)           # ||update|| / ||weights|| per step, vs the 1e-3 rule of thumb
    plot.activation_histograms(scratchnn.inspect.layer_activations(model, x[:500]))
    plot.explanation(scratchnn.inspect.explain(model, x[0]))

Every function returns a ``PlotFigure`` (shown by Jupyter when it is the cell's last line) and
saves it when ``path`` is given, like the other figures of ``scratchnn.plot``. A monitor read
back from disk (``TrainingMonitor.load(folder)``) works as well as a live one.

Layers are coloured by depth, from dark purple (the first layer) to yellow-green (the last),
the same in every figure.
"""
import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from .figure import (TRAIN_COLOR, VAL_COLOR, figure_title, grid_shape, layer_colors, message_figure,
                     new_figure, save_figure)

__all__ = ["gradient_norms", "weight_histograms", "dead_units", "activation_histograms", "update_ratios",
           "explanation"]

INIT_COLOR = "0.55"          # a layer's state at initialization: grey
RULE_OF_THUMB = 1e-3         # a healthy update changes the weights by about a thousandth per step


def _check_monitor(monitor, who):
    if not (hasattr(monitor, "series") and hasattr(monitor, "records") and hasattr(monitor, "layer_names")):
        raise TypeError(f"{who} expects a scratchnn.inspect.TrainingMonitor (after fit, or "
                        f"TrainingMonitor.load(folder)), got {type(monitor).__name__}")
    if not monitor.records:
        raise ValueError(f"{who}: the monitor has no records yet; train with "
                         "model.fit(..., callbacks=[monitor]) first")


def _chosen(monitor, layers):
    """The monitored layer names to draw (all of them, or those asked for), in depth order."""
    if layers is None:
        return list(monitor.layer_names)
    if isinstance(layers, str) or not hasattr(layers, "__iter__"):
        layers = [layers]
    names = [monitor.layer_name(layer) for layer in layers]
    return [name for name in monitor.layer_names if name in names]


def _having(monitor, layers, metric):
    """The chosen layers that have at least one value of ``metric``."""
    return [n for n in _chosen(monitor, layers) if len(monitor.series(metric, n)[0])]


def _positive(values):
    """Values for a log axis: non-positive and non-finite ones become gaps (NaN)."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def _step_axis(ax):
    ax.set_xlabel("training step (batches seen)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, which="major", alpha=0.3)


def _legend(ax, n, title=None):
    """The layers' legend, outside the panel on its right (so it never hides a line)."""
    ax.legend(fontsize="small", title=title, title_fontsize="small", ncol=1 if n <= 12 else 2,
              framealpha=0.9, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _lines_over_steps(ax, monitor, metric, names, log):
    """One line per layer of ``metric`` over the steps; returns how many were drawn."""
    colors = dict(zip(monitor.layer_names, layer_colors(len(monitor.layer_names))))
    drawn = 0
    for name in names:
        steps, values = monitor.series(metric, name)
        if not len(steps):
            continue
        values = _positive(values) if log else values
        ax.plot(steps, values, color=colors[name], marker="o" if len(steps) <= 30 else None, markersize=3,
                linewidth=1.8, label=name)
        drawn += 1
    if log:
        ax.set_yscale("log")
    _step_axis(ax)
    return drawn


# ============================================================================ gradients
def gradient_norms(monitor, path=None, title=None, layers=None):
    """How strong each layer's gradient is, over training and layer by layer.

    Left: ``||dL/dW||_2`` of each layer's kernel at every recorded step (log scale: a factor 10
    per grid line). Right: the same per layer, by depth, at the first recorded step
    (initialization) and the last. How to read it: in a healthy network the lines lie within a
    factor 10 or so of each other. Lines that fan out, the first layers orders of magnitude
    below the last ones (typical of deep sigmoid or tanh networks), are *vanishing gradients*:
    the first layers barely learn; the right panel's slope shows the shrinking factor per layer.
    Lines that shoot up are *exploding gradients*. ``layers`` picks some layers (names).
    """
    _check_monitor(monitor, "gradient_norms")
    names = _having(monitor, layers, "gradient_norm")
    if not names:
        fig = message_figure("no gradient norm was recorded (no trainable layer was monitored)", title)
        save_figure(fig, path)
        return fig
    fig = new_figure(14, 4.6)
    ax_time, ax_depth = fig.subplots(1, 2, width_ratios=[1.3, 1])
    ax_time.set_gid("gradient-norms-over-steps")
    ax_depth.set_gid("gradient-norms-per-layer")
    _lines_over_steps(ax_time, monitor, "gradient_norm", names, log=True)
    ax_time.set_ylabel("gradient norm (L2),  ||dL/dW||")
    ax_time.set_title("over training", fontweight="bold")
    _legend(ax_time, len(names), title="layer (first to last)")

    first = [monitor.series("gradient_norm", n) for n in names]
    start = np.array([v[0] for _, v in first])
    end = np.array([v[-1] for _, v in first])
    depth = np.arange(1, len(names) + 1)
    first_step, last_step = int(first[0][0][0]), int(max(s[-1] for s, _ in first))
    ax_depth.plot(depth, _positive(start), color=INIT_COLOR, marker="o", linewidth=1.8,
                  label=f"step {first_step} (initialization)" if first_step == 0 else f"step {first_step}")
    if last_step != first_step:
        ax_depth.plot(depth, _positive(end), color=TRAIN_COLOR, marker="s", linewidth=1.8,
                      label=f"step {last_step} (last record)")
    ax_depth.set_yscale("log")
    ax_depth.set_xticks(depth)
    crowded = len(names) > 3
    ax_depth.set_xticklabels(names, rotation=45 if crowded else 0, ha="right" if crowded else "center",
                             fontsize="small")
    ax_depth.set_xlabel("layer (input side to output side)")
    ax_depth.set_ylabel("gradient norm (L2),  ||dL/dW||")
    ratio = start[0] / start[-1] if len(names) > 1 and start[-1] > 0 else math.nan
    note = f": first / last = {ratio:.2g} at the start" if math.isfinite(ratio) else ""
    ax_depth.set_title(f"per layer{note}", fontweight="bold")
    ax_depth.grid(True, which="major", alpha=0.3)
    ax_depth.legend(fontsize="small", loc="best")
    figure_title(fig, title if title is not None else "Gradient strength per layer")
    save_figure(fig, path)
    return fig


# ============================================================================ weights
def _density(entry):
    """Histogram counts as a density (area 1): counts / (total * bin width)."""
    edges = np.asarray(entry["edges"], dtype=np.float64)
    counts = np.asarray(entry["counts"], dtype=np.float64)
    total = counts.sum()
    if not len(counts) or total == 0:
        return edges, counts
    return edges, counts / (total * np.diff(edges))


def _mean_std_of(monitor, name, metric_prefix, step):
    for r in monitor.records:
        if r["layer"] == name and r["step"] == step and f"{metric_prefix}_std" in r:
            return r[f"{metric_prefix}_mean"], r[f"{metric_prefix}_std"]
    return math.nan, math.nan


def weight_histograms(monitor, path=None, title=None, layers=None):
    """Each layer's weight values now (blue) against at initialization (grey), one panel per layer.

    How to read it: the weights start in the shape their initializer gives (uniform for Glorot
    uniform, bell-shaped for He normal); training spreads and reshapes them. A 'now' histogram
    identical to the initial one means the layer did not learn (vanishing gradients, frozen
    layer); one much wider than at the start, with values far beyond 1, means exploding weights.
    The panel title gives the standard deviation at initialization and now.
    """
    _check_monitor(monitor, "weight_histograms")
    names = [n for n in _chosen(monitor, layers) if monitor.weight_histograms.get(n)]
    if not names:
        fig = message_figure("no weight histogram was recorded (no layer with weights, or histograms=False)",
                             title)
        save_figure(fig, path)
        return fig
    rows, cols = grid_shape(len(names), max_cols=4)
    fig = new_figure(3.6 * cols, 2.9 * rows + 0.5)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(names):]:
        ax.remove()
    for i, (ax, name) in enumerate(zip(axes, names)):
        ax.set_gid(f"weights-{name}")
        history = monitor.weight_histograms[name]
        init, now = history[0], history[-1]
        edges, density = _density(init)
        if len(density):
            ax.stairs(density, edges, fill=True, color=INIT_COLOR, alpha=0.45,
                      label=f"initialization (step {init['step']})")
        if now is not init:
            edges, density = _density(now)
            if len(density):
                ax.stairs(density, edges, color=TRAIN_COLOR, linewidth=1.8, label=f"now (step {now['step']})")
        _, std0 = _mean_std_of(monitor, name, "weight", init["step"])
        _, std1 = _mean_std_of(monitor, name, "weight", now["step"])
        ax.set_title(f"{name}\nstd {std0:.3g} \u2192 {std1:.3g}", fontsize="medium")
        ax.set_xlabel("weight value")
        if i % cols == 0:
            ax.set_ylabel("density")
        ax.grid(True, alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize="small")
    figure_title(fig, title if title is not None else "Weights now vs at initialization")
    save_figure(fig, path)
    return fig


# ============================================================================ dead units
def dead_units(monitor, path=None, title=None, layers=None):
    """The percentage of *dead* units of each ReLU layer over training.

    A unit is dead at a record when it outputs 0 for every probe input: its pre-activation is
    negative everywhere, so ReLU passes no gradient back and the unit can never recover. A few
    percent is normal; a layer with most of its units dead (after too large a learning rate, or
    biases initialized very negative) has lost most of its capacity: try a smaller learning
    rate, He initialization, LeakyReLU or ELU.
    """
    _check_monitor(monitor, "dead_units")
    names = _having(monitor, layers, "dead_fraction")
    if not names:
        fig = message_figure("no ReLU layer was monitored: dead units are counted for ReLU layers only",
                             title)
        save_figure(fig, path)
        return fig
    fig = new_figure(8.5, 4.4)
    ax = fig.subplots()
    ax.set_gid("dead-units")
    colors = dict(zip(monitor.layer_names, layer_colors(len(monitor.layer_names))))
    for name in names:
        steps, values = monitor.series("dead_fraction", name)
        ax.plot(steps, 100 * values, color=colors[name], marker="o" if len(steps) <= 30 else None,
                markersize=3, linewidth=1.8, label=name)
    ax.set_ylim(-3, 103)
    ax.set_ylabel("dead units (% of the layer)")
    _step_axis(ax)
    _legend(ax, len(names), title="ReLU layer")
    figure_title(fig, title if title is not None else "Dead ReLU units (output 0 for every probe input)")
    save_figure(fig, path)
    return fig


# ============================================================================ activations
def _activation_entries(source, at, bins, layers, shared):
    """``[(name, edges, counts, mean, std, zeros)]`` from a dict of arrays or a monitor; with
    ``shared`` every histogram has the same edges (over the range of all layers)."""
    entries = []
    if isinstance(source, dict):
        if not source:
            raise ValueError("activation_histograms: the dict of activations is empty")
        names = list(source) if layers is None else [layers] if isinstance(layers, str) else list(layers)
        finite = {}
        for name in names:
            if name not in source:
                raise ValueError(f"activation_histograms: no activations for layer {name!r}; "
                                 f"have {list(source)}")
            values = np.asarray(getattr(source[name], "data", source[name]), dtype=np.float64).ravel()
            finite[name] = values[np.isfinite(values)]
        common = _common_range([(v.min(), v.max()) for v in finite.values() if v.size]) if shared else None
        for name, values in finite.items():
            if values.size == 0:
                entries.append((name, np.array([]), np.array([]), math.nan, math.nan, math.nan))
                continue
            counts, edges = np.histogram(values, bins=bins, range=common or _common_range(
                [(values.min(), values.max())]))
            entries.append((name, edges, counts, values.mean(), values.std(), float(np.mean(values == 0))))
        return entries
    _check_monitor(source, "activation_histograms")
    for name in _chosen(source, layers):
        if not source.activation_histograms.get(name):
            continue
        h = source.histogram(name, "activations", at)
        mean, std = _mean_std_of(source, name, "activation", h["step"])
        entries.append((name, np.asarray(h["edges"], dtype=np.float64), np.asarray(h["counts"]), mean, std,
                        None))
    if not entries:
        raise ValueError("activation_histograms: the monitor recorded no activation histogram "
                         "(histograms=False, or no probe batch)")
    if shared:       # the monitor's histograms have their own bins: spread them over common bins
        common = _common_range([(e[0], e[-1]) for _, e, c, *_ in entries if len(c)])
        edges = np.linspace(common[0], common[1], bins + 1)
        entries = [(name, edges, _rebin(e, c, edges), *rest) if len(c) else (name, e, c, *rest)
                   for name, e, c, *rest in entries]
    return entries


def _rebin(edges, counts, new_edges):
    """The histogram ``(edges, counts)`` moved to the bins ``new_edges``, each count spread evenly
    over its bin: a new bin gets ``sum_i counts_i * overlap(bin_i, new bin) / width(bin_i)`` (the
    cumulative count, linear within each old bin, read at the new edges). No new bin is left empty
    inside an old bin that has values, as it would be by moving each count to one new bin."""
    cumulative = np.concatenate([[0.0], np.cumsum(np.asarray(counts, dtype=np.float64))])
    return np.diff(np.interp(new_edges, np.asarray(edges, dtype=np.float64), cumulative))


def _common_range(ranges):
    """(lo, hi) covering every (lo, hi) in ``ranges`` (widened when empty or a single value)."""
    if not ranges:
        return (-0.5, 0.5)
    lo, hi = float(min(r[0] for r in ranges)), float(max(r[1] for r in ranges))
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


def activation_histograms(activations_or_monitor, path=None, title=None, at="last", bins=50, layers=None,
                          sharex=True):
    """The distribution of each layer's outputs, one panel per layer (input side first).

    ``activations_or_monitor``: ``scratchnn.inspect.layer_activations(model, x)`` (a dict
    ``{layer name: outputs}``) or a ``TrainingMonitor`` (its probe-batch histograms at record
    ``at``: ``'init'``, ``'last'`` or a step). ``sharex=True`` gives every panel the same x
    range and the same ``bins`` bins, so layers compare at a glance (a layer whose outputs have
    collapsed to almost 0 shows as one tall bar); ``sharex=False`` zooms on each layer.

    How to read it (the weight-initialization lesson): with a good initializer (Glorot for tanh
    and sigmoid, He for ReLU) each layer's outputs keep about the same spread. Weights too small
    (std 0.01) shrink the outputs layer after layer until the last layers output almost only 0
    (nothing to learn from); weights too large (std 1) push tanh and sigmoid to saturate at
    their limits (-1/1, 0/1) where their gradient is 0. Each panel states the mean and standard
    deviation (and, from arrays, the share of exact zeros: ReLU units that are off).
    """
    if not isinstance(bins, int) or isinstance(bins, bool) or bins <= 0:
        raise ValueError(f"activation_histograms: bins must be a positive integer, got {bins!r}")
    entries = _activation_entries(activations_or_monitor, at, bins, layers, bool(sharex))
    rows, cols = grid_shape(len(entries), max_cols=5)
    fig = new_figure(3.1 * cols, 2.6 * rows + 0.5)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=bool(sharex)).ravel()
    for ax in axes[len(entries):]:
        ax.remove()
    colors = layer_colors(len(entries))
    for i, (ax, (name, edges, counts, mean, std, zeros)) in enumerate(zip(axes, entries)):
        ax.set_gid(f"activations-{name}")
        if len(counts) and counts.sum():
            ax.stairs(counts / counts.sum(), edges, fill=True, color=colors[i], alpha=0.8)
        else:
            ax.text(0.5, 0.5, "no finite value", ha="center", va="center", transform=ax.transAxes)
        stats = f"mean {mean:.3g}\nstd {std:.3g}"
        if zeros is not None and zeros > 0:
            stats += f"\nzeros {zeros:.0%}"
        ax.text(0.97, 0.95, stats, ha="right", va="top", fontsize="x-small", transform=ax.transAxes,
                bbox=dict(boxstyle="round,pad=0.25", facecolor="white", edgecolor="0.8", alpha=0.85))
        ax.set_title(name, fontsize="medium")
        ax.set_xlabel("activation value")
        if i % cols == 0:
            ax.set_ylabel("share of values")
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelbottom=True)
    if title is None:
        title = "Activations per layer"
        if not isinstance(activations_or_monitor, dict):
            step = activations_or_monitor.histogram(entries[0][0], "activations", at)["step"]
            title += f" (probe batch, step {step})"
    figure_title(fig, title)
    save_figure(fig, path)
    return fig


# ============================================================================ updates
def update_ratios(monitor, path=None, title=None, layers=None):
    """How much each step changes each layer's weights: ``||W_after - W_before|| / ||W_before||``.

    Log scale. The dashed line is the rule of thumb of about 1e-3 (a step changes the weights by
    a thousandth): lines far below it (1e-5 and less) mean a layer learns very slowly (learning
    rate too small, vanishing gradients); lines far above it (1e-1 and more) mean each step
    rewrites the weights: the learning rate is too high and training is unstable.
    """
    _check_monitor(monitor, "update_ratios")
    names = _having(monitor, layers, "update_ratio")
    if not names:
        fig = message_figure("no update ratio was recorded (no trainable layer was monitored)", title)
        save_figure(fig, path)
        return fig
    fig = new_figure(8.5, 4.4)
    ax = fig.subplots()
    ax.set_gid("update-ratios")
    _lines_over_steps(ax, monitor, "update_ratio", names, log=True)
    ax.axhline(RULE_OF_THUMB, color=VAL_COLOR, linestyle="--", linewidth=1.5,
               label="rule of thumb: about 1e-3", gid="rule-of-thumb")
    ax.set_ylabel("update / weight,  ||\u0394W|| / ||W||")
    _legend(ax, len(names) + 1, title="layer (first to last)")
    figure_title(fig, title if title is not None else "Update-to-weight ratio per step")
    save_figure(fig, path)
    return fig


# ============================================================================ one prediction
def _draw_activation(ax, output):
    """One layer's output for one input: an image (maps, square vectors), bars or a strip."""
    out = np.asarray(output, dtype=np.float64)
    note = ""
    if out.ndim == 3:
        out, note = out.mean(axis=-1), f" (mean of {out.shape[-1]} channels)"
    if out.ndim == 1:
        n = out.size
        side = math.isqrt(n)
        if n <= 40:
            ax.bar(np.arange(n), out, color=TRAIN_COLOR, width=0.8)
            ax.axhline(0, color="0.3", linewidth=0.6)
            ax.set_xticks([])
            ax.set_xlabel("unit", fontsize="x-small", labelpad=1)
            ax.tick_params(labelsize="x-small")
            return note
        if side * side == n and n >= 64:
            out = out.reshape(side, side)
        else:
            width = 32
            padded = np.full(math.ceil(n / width) * width, np.nan)
            padded[:n] = out
            out, note = padded.reshape(-1, width), f" ({width} per row)"
    if out.ndim == 2:
        ax.imshow(out, cmap="viridis", interpolation="nearest",
                  aspect="auto" if out.shape[0] < 4 else "equal")
        ax.set_xticks([])
        ax.set_yticks([])
        return note
    ax.text(0.5, 0.5, f"shape {output.shape}", ha="center", va="center", transform=ax.transAxes)
    ax.axis("off")
    return note


def explanation(explained, path=None, title=None, top=10):
    """How one prediction is formed: each layer's output for the input (left, input side first)
    and the probabilities of the ``top`` likeliest classes (right).

    ``explained``: what ``scratchnn.inspect.explain(model, x, temperature)`` returns. Layer
    outputs are drawn as images when they are maps (a convolution's channels, averaged) or
    square vectors (a flattened image), as bars when they are short vectors (up to 40 units:
    one bar per unit), otherwise as a strip of 32 units per row; bright = large. The bar chart
    shows the probabilities, ``softmax(logits / T)`` (``sigmoid(logit / T)`` for a sigmoid output),
    the predicted class in orange; a regression output shows its values instead.
    """
    if not (hasattr(explained, "layers") and hasattr(explained, "probabilities")):
        raise TypeError("explanation expects what scratchnn.inspect.explain returns, "
                        f"got {type(explained).__name__}")
    if not isinstance(top, int) or isinstance(top, bool) or top <= 0:
        raise ValueError(f"explanation: top must be a positive integer, got {top!r}")
    panels = [(layer.name, f"{layer.class_name} ", layer.shape, layer.output) for layer in explained.layers]
    sample = getattr(explained, "input", None)
    if sample is not None:
        sample = np.asarray(sample)
        panels.insert(0, ("input", "", sample.shape, sample[..., 0] if sample.ndim == 3 and
                          sample.shape[-1] == 1 else sample))
    shown = panels[:16]
    rows, cols = grid_shape(max(len(shown), 1), max_cols=3)
    fig = new_figure(2.5 * cols + 4.8, max(2.2 * rows + 0.6, 3.6))
    left, right = fig.subfigures(1, 2, width_ratios=[2.5 * cols, 4.6])
    axes = left.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(shown):]:
        ax.remove()
    for ax, (name, kind, shape, output) in zip(axes, shown):
        ax.set_gid(f"output-{name}")
        note = _draw_activation(ax, output)
        size = "\u00d7".join(map(str, shape)) or "scalar"
        ax.set_title(f"{name}\n{kind}{size}{note}", fontsize="x-small")
    hidden = len(panels) - len(shown)
    left.suptitle("the input and each layer's output" + (f" ({hidden} more not shown)" if hidden else ""),
                  fontsize="medium")

    ax = right.subplots()
    ax.set_gid("probabilities")
    probs = explained.probabilities
    if probs is None:
        ax.axis("off")
        values = np.asarray(explained.output).ravel()
        shown = ", ".join(f"{v:.4g}" for v in values[:4]) + (", ..." if values.size > 4 else "")
        ax.text(0.5, 0.5, f"output (regression):\n{shown}",
                ha="center", va="center", fontsize="large", transform=ax.transAxes)
    else:
        ranked = explained.top(top)
        labels = [explained.class_name(c) for c, _ in ranked][::-1]
        values = [p for _, p in ranked][::-1]
        predicted = explained.predicted_class
        colors = [VAL_COLOR if c == predicted else TRAIN_COLOR for c, _ in ranked][::-1]
        ypos = np.arange(len(values))
        ax.barh(ypos, values, color=colors)
        ax.set_yticks(ypos)
        ax.set_yticklabels(labels)
        for yv, p in zip(ypos, values):
            inside = p > 0.8                         # a long bar: its value inside it, in white
            ax.text(p - 0.02 if inside else p + 0.02, yv, f"{p:.3f}", va="center", fontsize="small",
                    ha="right" if inside else "left", color="white" if inside else "black")
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability")
        ax.set_ylabel("class")
        ax.grid(True, axis="x", alpha=0.3)
        formula = "sigmoid(logit / T)" if getattr(explained, "output_kind", None) == "sigmoid" \
            else "softmax(logits / T)"
        ax.set_title(f"{formula}, T = {explained.temperature:g}", fontsize="medium")
    figure_title(fig, title if title is not None else
                 ("Prediction: class " + explained.class_name(explained.predicted_class)
                  if explained.predicted_class is not None else "Prediction"))
    save_figure(fig, path)
    return fig
