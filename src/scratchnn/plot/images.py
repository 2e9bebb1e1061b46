"""Image grids: a batch of images captioned with their labels and predictions, mistakes in red.

    plot.image_grid(x_test, y_test, model.predict(x_test))                    # the first 25
    plot.image_grid(x_test, y_test, model.predict(x_test), only_errors=True)  # the misclassified ones
"""
import math
from numbers import Integral

import numpy as np

from ..utils import format_percent
from ._inputs import check_lengths, class_ids, class_names, to_array
from .figure import ERROR_COLOR, grid_shape, message_figure, new_figure, save_figure, tile_axes

__all__ = ["image_grid"]


_SHAPES_HELP = ("(N, H*W) flattened square images, (N, H, W), (N, H, W, 1), (N, H, W, 3) "
                "or (N, 1, H, W), (N, 3, H, W)")


def _as_images(x, name="x"):
    """``(N, H, W)`` grey or ``(N, H, W, 3)`` colour images from the accepted layouts."""
    a = to_array(x, name)
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
    prediction, with the confidence, never rounded up to 100%: 0.996 reads ``99.6%``) or, for a
    mistake, ``pred: 1 (62%)`` over ``true: 7``, in red, with a red frame. A confident mistake
    (high %) is worth a close look: is the label wrong, or is the digit ambiguous? With
    ``only_errors=True`` only the misclassified examples are shown (needs ``y`` and ``y_pred``);
    when there are none the figure says so.

    Returns the figure; ``path`` also saves it.
    """
    images = _as_images(x)
    if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (the number of images shown), got {n!r}")
    true = conf = pred = None
    if y is not None:
        true, _, _ = class_ids(y, "y")
    if y_pred is not None:
        pred, conf, _ = class_ids(y_pred, "y_pred")
    check_lengths(x=images, y=true, y_pred=pred)
    top = max(int(a.max(initial=-1)) for a in (true, pred, np.zeros(0, np.int64)) if a is not None) + 1
    names = class_names(labels, top, "image_grid")
    wrong = (true != pred) if (true is not None and pred is not None) else np.zeros(len(images), bool)

    if only_errors:
        if true is None or pred is None:
            raise ValueError("only_errors=True needs both y (true labels) and y_pred (predictions)")
        indices = np.flatnonzero(wrong)
        if indices.size == 0:
            fig = message_figure(f"No misclassified examples: all {len(images)} predictions are correct.",
                                 title)
            save_figure(fig, path)
            return fig
    else:
        indices = np.arange(len(images))
    if indices.size == 0:
        raise ValueError("image_grid: x holds no images")
    shown = indices[:n]

    rows, cols = grid_shape(len(shown))
    tile = 1.55 if cols <= 8 else max(0.9, 12.5 / cols)
    caption_lines = 2 if wrong[shown].any() else 1
    fig = new_figure(tile * cols, (tile + 0.16 * caption_lines) * rows + 0.5)
    vmin, vmax = _display_range(images[shown])
    axes = tile_axes(fig, len(shown), rows, cols)
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
    save_figure(fig, path)
    return fig


def _caption(i, true, pred, conf, names):
    """(caption, colour) of image ``i``."""
    if pred is None:
        return (f"true: {names[true[i]]}", "black") if true is not None else (f"#{i}", "0.3")
    text = f"pred: {names[pred[i]]}"
    if conf is not None:
        text += f" ({format_percent(conf[i])})"
    if true is not None and true[i] != pred[i]:
        return f"{text}\ntrue: {names[true[i]]}", ERROR_COLOR
    return text, "black"
