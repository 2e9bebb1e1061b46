"""Figures of language models: where attention looks, and what a temperature does to the
next-token probabilities.

    plot.attention_maps(scores, tokens, tokens)             # scores: (layers, heads, Tq, Tk)
    plot.temperature_probabilities(logits, [0.5, 1.0, 2.0], tokens=tok.vocabulary_)

Tokens are shown as they are, except whitespace, which would be invisible: a space is shown as
``␣``, a newline as ``\\n``, a tab as ``\\t``.
"""
import numbers

import matplotlib
import numpy as np
from matplotlib import colors as mcolors

from ..autograd import Tensor
from ..generation.samplers import check_temperature, softmax
from ._inputs import to_array
from .figure import figure_title, new_figure, save_figure

__all__ = ["attention_maps", "temperature_probabilities", "display_token"]

_WHITESPACE = {" ": "␣", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def display_token(token):
    """How a token is written on an axis: itself, with whitespace made visible (``" "`` -> ``␣``,
    ``"\\n"`` -> ``\\n``); the empty token (padding) is ``''``."""
    token = str(token)
    if token == "":
        return "''"
    return "".join(_WHITESPACE.get(c, c) for c in token)


def _layers(scores):
    """The score arrays, one (heads, Tq, Tk) float array per layer."""
    if isinstance(scores, (list, tuple)) and scores and not np.isscalar(scores[0]):
        layers = [to_array(s.data if isinstance(s, Tensor) else s, "scores").astype(np.float64)
                  for s in scores]
        for i, layer in enumerate(layers):
            if layer.ndim == 2:
                layers[i] = layer[None]
            elif layer.ndim != 3:
                raise ValueError(f"attention_maps: scores[{i}] must be (heads, Tq, Tk), got shape "
                                 f"{layer.shape}")
        return layers
    array = to_array(scores.data if isinstance(scores, Tensor) else scores, "scores")
    if array.ndim not in (2, 3, 4) or array.dtype.kind not in "biuf":
        raise ValueError(f"attention_maps: scores must be an array (layers, heads, Tq, Tk) (or (heads, Tq, "
                         f"Tk), (Tq, Tk)) of numbers, or a list of (heads, Tq, Tk) arrays; got shape "
                         f"{array.shape}, dtype {array.dtype}")
    array = array.astype(np.float64).reshape((1,) * (4 - array.ndim) + array.shape)
    return list(array)


def _tokens(tokens, n, name):
    if tokens is None:
        return [str(i) for i in range(n)]
    if isinstance(tokens, str):
        tokens = list(tokens)                 # a string: its characters
    tokens = [display_token(t) for t in (tokens.tolist() if isinstance(tokens, np.ndarray) else tokens)]
    if len(tokens) != n:
        raise ValueError(f"attention_maps: {name} has {len(tokens)} tokens, but the scores have {n} "
                         f"{'rows' if name == 'tokens_q' else 'columns'}")
    return tokens


def _label_axis(ax, tokens_q, tokens_k, first_column, last_row):
    long_tokens = max(len(t) for t in tokens_k) > 2          # "\\n" and the like stay upright
    ax.set_xticks(np.arange(len(tokens_k)), tokens_k if last_row else [""] * len(tokens_k),
                  rotation=90 if long_tokens else 0, fontsize="small" if len(tokens_k) <= 24 else "x-small")
    ax.set_yticks(np.arange(len(tokens_q)), tokens_q if first_column else [""] * len(tokens_q),
                  fontsize="small" if len(tokens_q) <= 24 else "x-small")
    ax.tick_params(length=0)


def attention_maps(scores, tokens_q, tokens_k=None, layer_names=None, path=None, title=None, cmap="viridis"):
    """A grid of heatmaps, one row per layer and one column per head: cell (i, j) of a panel is
    how much query token ``tokens_q[i]`` attends to key token ``tokens_k[j]``.

    ``scores``: an array (layers, heads, Tq, Tk), or a list with one (heads, Tq, Tk) array per
    layer (layers may have different numbers of heads), usually the softmax weights (each row
    sums to 1; a causal model's upper triangle is 0). (heads, Tq, Tk) and (Tq, Tk) arrays are
    one layer. ``tokens_q`` / ``tokens_k``: the tokens (str) along the rows / columns (a str is
    read as its characters; ``tokens_k`` defaults to ``tokens_q``: self-attention).
    ``layer_names``: one per layer (default ``"layer 1"``, ...). Non-finite scores (a masked
    ``-inf``) are left white.

    Colours: one scale for every panel, 0 to 1 when all scores are in [0, 1] (weights), else
    from the smallest to the largest score. How to read it: a bright diagonal is a head looking
    at the token itself; a bright column, a token every query looks at (often the first one);
    a bright sub-diagonal, a head looking at the previous token.
    Returns the figure; ``path`` also saves it.
    """
    layers = _layers(scores)
    tq, tk = layers[0].shape[1:]
    for i, layer in enumerate(layers):
        if layer.shape[1:] != (tq, tk):
            raise ValueError(f"attention_maps: every layer must have the same (Tq, Tk); layer 0 has "
                             f"{(tq, tk)}, layer {i} has {layer.shape[1:]}")
    tokens_q = _tokens(tokens_q, tq, "tokens_q")
    tokens_k = tokens_q if tokens_k is None and tq == tk else _tokens(tokens_k, tk, "tokens_k")
    if layer_names is None:
        layer_names = [f"layer {i + 1}" for i in range(len(layers))]
    elif isinstance(layer_names, str) or len(layer_names) != len(layers):
        raise ValueError(f"attention_maps: layer_names must name each of the {len(layers)} layers, "
                         f"got {layer_names!r}")
    finite = np.concatenate([layer[np.isfinite(layer)] for layer in layers])
    if finite.size == 0:
        raise ValueError("attention_maps: the scores hold no finite value")
    lo, hi = float(finite.min()), float(finite.max())
    weights = lo >= 0.0 and hi <= 1.0
    norm = mcolors.Normalize(0.0, 1.0) if weights else mcolors.Normalize(lo, max(hi, lo + 1e-12))
    cmap = cmap if isinstance(cmap, mcolors.Colormap) else matplotlib.colormaps[cmap]
    cmap = cmap.with_extremes(bad="white")

    rows, cols = len(layers), max(layer.shape[0] for layer in layers)
    side = min(max(2.0, 0.22 * max(tq, tk) + 0.9), 6.0)
    fig = new_figure(side * cols + 1.2, side * rows + 0.6)
    grid = fig.subplots(rows, cols, squeeze=False)
    image, used = None, []
    for r, (layer, name) in enumerate(zip(layers, layer_names)):
        for h in range(cols):
            ax = grid[r, h]
            if h >= layer.shape[0]:
                ax.remove()
                continue
            image = ax.imshow(np.ma.masked_invalid(layer[h]), cmap=cmap, norm=norm, interpolation="nearest",
                              aspect="auto")
            ax.set_gid(f"attention-{r}-{h}")
            used.append(ax)
            lowest = r == rows - 1 or layers[r + 1].shape[0] <= h        # no panel below this one
            _label_axis(ax, tokens_q, tokens_k, first_column=h == 0, last_row=lowest)
            ax.set_title(f"{name}, head {h + 1}", fontsize="medium")
            if h == 0:
                ax.set_ylabel("query")
            if lowest:
                ax.set_xlabel("key")
    fig.colorbar(image, ax=used, shrink=0.8, label="attention weight" if weights else "score")
    figure_title(fig, title if title is not None else "Attention maps")
    save_figure(fig, path)
    return fig


def temperature_probabilities(logits, temperatures, tokens=None, top=20, path=None, title=None):
    """The next-token probabilities ``softmax(logits / T)`` for each temperature ``T``, one bar
    chart per temperature (stacked, the same tokens in the same order on each).

    ``logits``: the next-token logits (vocab,). ``temperatures``: numbers >= 0 (0 = greedy: all
    the mass on the largest logit). ``tokens``: the token of each id (a str is read as its
    characters; default the ids). ``top``: how many tokens are shown, the most likely ones, in
    decreasing order of logit (None: all); each panel says how much probability the others hold.
    Every panel has the same vertical scale, so the bars can be compared across temperatures.

    How to read it: a low temperature piles the probability onto the few most likely tokens
    (safe, repetitive text), a high one spreads it over many (varied, then incoherent text). The
    entropy in each title (in nats; ``log(vocab)`` is uniform) measures that spread.
    Returns the figure; ``path`` also saves it.
    """
    z = to_array(logits.data if isinstance(logits, Tensor) else logits, "logits")
    if z.ndim != 1 or z.size == 0 or z.dtype.kind not in "biuf" or not np.isfinite(z).all():
        raise ValueError(f"temperature_probabilities: logits must be a 1-D array of finite numbers (the "
                         f"next-token logits), got shape {z.shape}, dtype {z.dtype}")
    z = z.astype(np.float64)
    if isinstance(temperatures, numbers.Real):
        temperatures = [temperatures]
    temperatures = [check_temperature(t, "temperature_probabilities: temperature") for t in temperatures]
    if not temperatures:
        raise ValueError("temperature_probabilities: give at least one temperature")
    if top is not None and (not isinstance(top, numbers.Integral) or isinstance(top, bool) or top < 1):
        raise ValueError(f"temperature_probabilities: top must be None or an integer >= 1, got {top!r}")
    names = [str(i) for i in range(z.size)] if tokens is None else [display_token(t) for t in (
        list(tokens) if isinstance(tokens, str) else list(np.asarray(tokens, dtype=object).tolist()))]
    if len(names) != z.size:
        raise ValueError(f"temperature_probabilities: tokens has {len(names)} entries, logits has {z.size}")
    order = np.argsort(-z, kind="stable")[:top]
    shown = [names[i] for i in order]

    fig = new_figure(min(max(4.0, 0.32 * len(order) + 1.5), 14.0), 1.9 * len(temperatures) + 0.7)
    axes = fig.subplots(len(temperatures), 1, squeeze=False, sharex=True)[:, 0]
    colors = matplotlib.colormaps["plasma"](np.linspace(0.1, 0.8, len(temperatures)))
    probabilities = [softmax(z, t) for t in temperatures]
    ceiling = min(1.0, 1.1 * max(float(p[order].max()) for p in probabilities))   # one scale for all
    for ax, temperature, p, color in zip(axes, temperatures, probabilities, colors):
        nonzero = p[p > 0]
        entropy = float(-(nonzero * np.log(nonzero)).sum()) + 0.0     # + 0.0: no "-0.00"
        ax.bar(np.arange(len(order)), p[order], color=color, gid="probabilities")
        rest = 1.0 - float(p[order].sum())
        other = f"; other tokens {rest:.1%}" if len(order) < z.size else ""
        ax.set_title(f"T = {temperature:g}: entropy {entropy:.2f} nats{other}", fontsize="medium")
        ax.set_ylim(0, ceiling)
        ax.set_ylabel("probability")
        ax.grid(axis="y", alpha=0.3)
        ax.set_gid(f"temperature-{temperature:g}")
    axes[-1].set_xticks(np.arange(len(order)), shown, fontsize="small" if len(order) <= 30 else "x-small")
    axes[-1].set_xlabel("next token (most likely first)")
    figure_title(fig, title if title is not None else "Next-token probabilities and temperature")
    save_figure(fig, path)
    return fig
