"""Filters and feature maps: what a network's layers learned (their weights as images) and
what they respond to (a convolution's output channels for one input).

    plot.filters(model.get_layer("conv1"))                    # one tile per filter
    plot.feature_maps(model, x_test[0], "conv1")              # one tile per output channel
"""
import math

import numpy as np

from ..autograd import Tensor, no_grad
from ._inputs import to_array
from .figure import clean_tile, grid_shape, new_figure, save_figure, tile_axes

__all__ = ["filters", "feature_maps"]


def _unit_range(a):
    """``a`` rescaled to [0, 1] by its own min and max (a constant array becomes 0.5)."""
    a = a.astype(np.float64)
    lo, hi = np.nanmin(a), np.nanmax(a)
    return np.full_like(a, 0.5) if hi <= lo else (a - lo) / (hi - lo)


def _tiles_figure(tiles, captions, title, cmap, tile_size=1.25):
    rows, cols = grid_shape(len(tiles))
    tile = min(tile_size, 13.0 / cols)
    fig = new_figure(tile * cols + 0.3, (tile + 0.2) * rows + 0.55)
    axes = tile_axes(fig, len(tiles), rows, cols)
    for ax, tile_img, caption in zip(axes, tiles, captions):
        if tile_img.ndim == 3:
            ax.imshow(tile_img, interpolation="nearest")
        else:
            ax.imshow(tile_img, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        clean_tile(ax)
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
    w = to_array(getattr(weights, "data", weights), "weights")
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
    save_figure(fig, path)
    return fig


def _activations_at(model, image, layer):
    """The output of ``layer`` (a name, an index or the layer) of a Sequential ``model`` for one
    ``image`` (``(H, W, C)`` or a batch of one), computed in inference mode."""
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
    x = to_array(getattr(image, "data", image), "image")
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
    m = to_array(maps, "maps")
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
    save_figure(fig, path)
    return fig
