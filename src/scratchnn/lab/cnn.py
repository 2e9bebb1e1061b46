"""A convolutional network: what its filters learn, what its feature maps show, what pooling keeps.

A convolution layer slides each of its small filters (here 3x3) over the image and writes, at every
position, the weighted sum of the pixels under it (plus a bias, through ReLU):

    out[i, j, c] = relu( b[c] + sum_{u, v, k} W[u, v, k, c] * x[i + u, j + v, k] )

so one filter is one feature detector (an edge, a stroke at some angle) applied everywhere in the
image, with 9 weights instead of a dense layer's 784 per unit. Max-pooling with a 2x2 window then
keeps the largest value of each window,

    pooled[i, j, c] = max( out[2i, 2j, c], out[2i, 2j+1, c], out[2i+1, 2j, c], out[2i+1, 2j+1, c] )

so it keeps 1/4 of the positions: the strongest response in each neighbourhood, wherever in the
window it was (a small shift of the digit barely changes it).

The network (Conv2D 16 -> MaxPooling2D -> Conv2D 32 -> MaxPooling2D -> Dense 10) is trained on
MNIST with Adam. Look at the first-layer filters before and after training (each tile scaled to its
own range: light = larger weight, dark = smaller), the 16 feature maps of one digit (where each
filter fires), and one feature map before and after pooling: the pooled map is a coarser copy that
still shows where the strokes are.

What training does to a 3x3 filter ``W``, in numbers: write it in 9 patterns that are orthonormal
(unit length, at right angles to each other), products of a row pattern and a column pattern from
``flat = (1, 1, 1)/sqrt(3)``, ``slope = (-1, 0, 1)/sqrt(2)`` and ``bend = (1, -2, 1)/sqrt(6)``::

    W = sum_{a, b} c[a, b] * outer(p_a, p_b),   c[a, b] = p_a . W . p_b,   sum c^2 = sum W^2

``flat x flat`` is an average (a blob detector), ``flat x slope`` and ``slope x flat`` are a slope
from one side to the other (an *edge detector*: light on one side, dark on the other), and the 6
others bend or alternate from pixel to pixel (fine detail, what noise mostly is). The *smooth
share* of a filter is the part of its energy sum W^2 in the first three; a filter of independent
random weights has 3/9 of it on average. Training on digits, whose strokes are smooth, raises it
(``filter_shares``); how many filters become clear edge detectors (a slope holding at least half the
energy) depends on the run: the lab counts them rather than promising them.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import layers, plot
from ..autograd import Tensor, no_grad
from ..models import Sequential
from ..plot.figure import ERROR_COLOR, clean_tile, grid_shape, new_figure, tile_axes

from ._core import experiment
from ._data import mnist


def build():
    """Conv2D(16, 3x3) -> MaxPooling2D(2) -> Conv2D(32, 3x3) -> MaxPooling2D(2) -> Dense(10)."""
    model = Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu", name="conv1"),      # 26 x 26 x 16
        layers.MaxPooling2D(2, name="pool1"),                       # 13 x 13 x 16
        layers.Conv2D(32, 3, activation="relu", name="conv2"),      # 11 x 11 x 32
        layers.MaxPooling2D(2, name="pool2"),                       # 5 x 5 x 32
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _patterns(k):
    """The flat and slope patterns of length ``k``, orthonormal: (k, 2)."""
    t = np.arange(k) - (k - 1) / 2
    flat, slope = np.ones(k) / np.sqrt(k), t / np.linalg.norm(t)
    return np.stack([flat, slope], axis=1)


def filter_shares(kernel):
    """``(smooth, slope)``, each of shape ``(filters,)``, for a Conv2D kernel ``(kh, kw, in, filters)``
    (input channel 0) or a stack of filters ``(kh, kw, filters)``:

    * ``smooth``: the share of each filter's energy ``sum W^2`` in its flat part and its two slopes
      (``c00^2 + c01^2 + c10^2``, module docstring); 3/9 on average for random 3x3 weights;
    * ``slope``: the share in the two slopes alone (an edge detector has most of it there); 2/9."""
    w = np.asarray(kernel, dtype=np.float64)
    if w.ndim == 4:
        w = w[:, :, 0, :]
    rows, cols = _patterns(w.shape[0]), _patterns(w.shape[1])
    c = np.einsum("ua,uvf,vb->abf", rows, w, cols)          # c[a, b] = p_a . W . p_b, per filter
    energy = np.maximum((w ** 2).sum(axis=(0, 1)), 1e-300)
    slope = (c[0, 1] ** 2 + c[1, 0] ** 2) / energy
    return (c[0, 0] ** 2) / energy + slope, slope


@experiment("cnn", "A CNN on MNIST: filters, feature maps and max-pooling",
            "train a small CNN, show its first-layer filters, the feature maps of a digit and what "
            "2x2 max-pooling keeps", order=9)
def cnn(lab):
    n_train, epochs = lab.pick(20000, 3000), 2
    (x, y), (x_test, y_test) = mnist(n_train=n_train, n_test=lab.pick(10000, 2000), seed=lab.seed,
                                     flatten=False)
    model = build()
    lab.say(f"{n_train} training images (28x28x1), {epochs} epochs of Adam, batch 32; "
            f"{model.count_params()} weights")
    initial = model.get_layer("conv1").kernel.data.copy()
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    lab.number("test_accuracy", float(test_acc))
    lab.number("train_accuracy", float(history.history["accuracy"][-1]))
    lab.say(f"test accuracy {test_acc:.4f} on {len(x_test)} test images (test loss {test_loss:.3f})")

    # One digit through the trained network: conv1's feature maps, then pool1's.
    digit = x_test[0]
    with no_grad():
        conv_out = model.get_layer("conv1")(Tensor(digit[None]), training=False).data[0]
        pooled = model.get_layer("pool1")(Tensor(conv_out[None]), training=False).data[0]
    kept = lab.number("pool_fraction_kept", pooled.size / conv_out.size)
    # The same maximum computed by hand: cut the 26x26 map into 13x13 windows of 2x2.
    h, w, c = conv_out.shape
    windows = conv_out[:h // 2 * 2, :w // 2 * 2].reshape(h // 2, 2, w // 2, 2, c)
    by_hand = windows.max(axis=(1, 3))
    lab.number("pool_equals_window_max", bool(np.array_equal(pooled, by_hand)))
    lab.number("conv1_shape", list(conv_out.shape))
    lab.number("pool1_shape", list(pooled.shape))
    lab.say(f"max-pooling 2x2: conv1 output {h}x{w}x{c} -> pool1 output {'x'.join(map(str, pooled.shape))}, "
            f"it keeps {kept:.2f} of the positions; each kept value is the maximum of its 2x2 window: "
            f"{lab.numbers['pool_equals_window_max']}")
    channel = int(np.argmax(conv_out.reshape(-1, c).std(axis=0)))      # the most varied map
    lab.number("shown_channel", channel)

    learned = model.get_layer("conv1").kernel.data.copy()
    (smooth0, slope0), (smooth1, slope1) = filter_shares(initial), filter_shares(learned)
    edges0, edges1 = int(np.sum(slope0 >= 0.5)), int(np.sum(slope1 >= 0.5))
    lab.number("smooth_share_initial", float(smooth0.mean()))
    lab.number("smooth_share_learned", float(smooth1.mean()))
    lab.number("edge_detectors_initial", edges0)
    lab.number("edge_detectors_learned", edges1)
    lab.number("filter_smooth_shares", {"initial": smooth0, "learned": smooth1})
    lab.number("filter_slope_shares", {"initial": slope0, "learned": slope1})
    smoother = "smoother" if smooth1.mean() > smooth0.mean() else "NOT smoother"
    lab.say(f"conv1's {c} filters: on average {smooth0.mean():.0%} of a filter's energy is in its smooth "
            f"part (flat + slope) at initialisation (random weights: 33% expected), {smooth1.mean():.0%} "
            f"after training: the filters became {smoother}; {edges1} of {c} are now mostly a slope, edge "
            f"detectors ({edges0} at initialisation)")
    lab.figure("filters", _filters_figure(initial, learned, (smooth0, slope0), (smooth1, slope1)))
    lab.figure("feature_maps", plot.feature_maps(model, digit, "conv1",
                                                 title=f"conv1's 16 feature maps of a test digit "
                                                       f"(a {y_test[0]}): where each filter fires"))
    lab.figure("pooling", _pooling_figure(digit, conv_out, pooled, channel))


def _filters_figure(initial, learned, shares_initial, shares_learned):
    """conv1's filters at initialisation (left) and after training (right), each tile scaled to its own
    range and captioned with its smooth share; edge detectors (slope share >= 0.5) framed in red."""
    count = initial.shape[-1]
    rows, cols = grid_shape(count)
    fig = new_figure(2 * (1.15 * cols) + 0.6, 1.35 * rows + 1.3)
    panels = fig.subfigures(1, 2, wspace=0.04)
    for panel, kernel, (smooth, slope), when in ((panels[0], initial, shares_initial, "at initialisation"),
                                                 (panels[1], learned, shares_learned, "after training")):
        edges = int(np.sum(slope >= 0.5))
        panel.suptitle(f"{when}: smooth share {smooth.mean():.2f} on average,\n"
                       f"{edges} edge detector{'s' if edges != 1 else ''} (framed)", fontsize="medium")
        for i, ax in enumerate(tile_axes(panel, count, rows, cols)):
            w = kernel[:, :, 0, i]
            span = w.max() - w.min()
            ax.imshow((w - w.min()) / span if span > 0 else np.full_like(w, 0.5), cmap="gray", vmin=0, vmax=1,
                      interpolation="nearest")
            clean_tile(ax)
            ax.set_title(f"{i}: {smooth[i]:.2f}", fontsize="small", pad=2)
            if slope[i] >= 0.5:
                for spine in ax.spines.values():
                    spine.set_edgecolor(ERROR_COLOR)
                    spine.set_linewidth(2.5)
    fig.suptitle(f"the {count} 3x3 filters of conv1, before and after training (light = larger weight; "
                 "caption: smooth share)", fontweight="bold")
    return fig


def _pooling_figure(digit, conv_out, pooled, channel):
    """The digit, one conv1 feature map and the same map after 2x2 max-pooling, shapes in the titles."""
    fig = new_figure(11.0, 4.0)
    fig.suptitle(f"What 2x2 max-pooling keeps (conv1 channel {channel}): the largest value of each window",
                 fontweight="bold")
    axes = fig.subplots(1, 3)
    vmax = float(conv_out[:, :, channel].max()) or 1.0
    panels = [(digit[:, :, 0], f"input digit {digit.shape[0]}x{digit.shape[1]}", "gray_r", 0, 1),
              (conv_out[:, :, channel], f"conv1 feature map {conv_out.shape[0]}x{conv_out.shape[1]}",
               "viridis", 0, vmax),
              (pooled[:, :, channel], f"after MaxPooling2D {pooled.shape[0]}x{pooled.shape[1]}",
               "viridis", 0, vmax)]
    for ax, (image, title, cmap, low, high) in zip(axes, panels):
        shown = ax.imshow(image, cmap=cmap, vmin=low, vmax=high)
        ax.set(title=title, xlabel="column (pixels)", ylabel="row (pixels)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.colorbar(shown, ax=axes[1:], shrink=0.85, label="activation (ReLU output)")
    return fig
