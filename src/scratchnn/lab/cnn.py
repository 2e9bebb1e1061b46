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
MNIST with Adam. Look at the first-layer filters (each tile scaled to its own range: light = larger
weight, dark = smaller), the 16 feature maps of one digit (where each filter fires), and one feature
map before and after pooling: the pooled map is a coarser copy that still shows where the strokes are.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import layers, plot
from ..autograd import Tensor, no_grad
from ..models import Sequential
from ..plot.figure import new_figure

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

    lab.figure("filters", plot.filters(model.get_layer("conv1"),
                                       title="the 16 learned 3x3 filters of conv1 (light = larger weight)"))
    lab.figure("feature_maps", plot.feature_maps(model, digit, "conv1",
                                                 title=f"conv1's 16 feature maps of a test digit "
                                                       f"(a {y_test[0]}): where each filter fires"))
    lab.figure("pooling", _pooling_figure(digit, conv_out, pooled, channel))


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
