"""Decision boundaries: the plane coloured by the class a model predicts there, the data on top.

    plot.decision_boundary(model, x, y)         # x of shape (N, 2)
"""
import inspect
from numbers import Integral

import matplotlib
import numpy as np
from matplotlib import colors as mcolors

from ._inputs import check_lengths, class_ids, class_names, to_array
from .figure import ERROR_COLOR, new_figure, save_figure

__all__ = ["decision_boundary"]


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
    out = to_array(out, "the model's output")
    if out.ndim == 0 or out.shape[0] != len(points):
        raise ValueError(f"the model returned shape {out.shape} for {len(points)} points of shape "
                         f"{points.shape}; expected one label or one row of probabilities per point")
    labels, _, _ = class_ids(out, "the model's output")
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
    pts = to_array(x, "x")
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
        raise ValueError(f"decision_boundary draws 2-D inputs: x must have shape (N, 2), got {pts.shape}")
    if pts.dtype.kind not in "biuf" or not np.all(np.isfinite(pts)):
        raise ValueError("x must hold finite numbers")
    true, _, width = class_ids(y, "y")
    check_lengths(x=pts, y=true)
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
    names = class_names(labels, k, "decision_boundary")
    if k <= 9:      # tab10 without its red, which marks the mistakes
        class_colors = [matplotlib.colormaps["tab10"](c) for c in (0, 1, 2, 4, 5, 6, 7, 8, 9)][:k]
    else:
        class_colors = [matplotlib.colormaps["tab20"](c % 20) for c in range(k)]
    cmap = mcolors.ListedColormap(class_colors)
    norm = mcolors.BoundaryNorm(np.arange(k + 1) - 0.5, k)

    fig = new_figure(6.4, 5.6)
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
    save_figure(fig, path)
    return fig
