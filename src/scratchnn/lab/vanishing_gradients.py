"""Vanishing gradients: in a deep sigmoid network the first layers get almost no gradient; with ReLU they do.

Backpropagation computes the gradient of layer l from the one of layer l + 1 by the chain rule:

    delta_l = (delta_{l+1} W_{l+1}^T) * f'(z_l),        dL/dW_l = a_{l-1}^T delta_l

so from the output back to layer 1 the gradient is multiplied, once per layer, by a weight
matrix and by the activation's derivative f'(z). The sigmoid's derivative
f'(z) = f(z) (1 - f(z)) is at most 0.25: with weights of about unit gain (Glorot), each sigmoid
layer shrinks the gradient about 4 times, and ten of them about 4^10 ~ 1e6 times. The first
layers then barely move, however long you train. ReLU's derivative is exactly 1 wherever the
unit is on, so the gradient reaches the first layer at about the same size.

The experiment builds two networks that differ only in the activation: 784 inputs, 10 hidden
``Dense(64)`` layers (sigmoid, or ReLU) and a ``Dense(10, softmax)`` output, with Keras's
default Glorot-uniform weights (the same initial weights for both) and zero biases, trained
with plain SGD (learning rate 0.1, batches of 64) on the same MNIST images in the same order.
Plain SGD, because the step of each weight is proportional to its gradient, so a vanished
gradient means a weight that does not move; Adam divides each step by the gradient's own size
and hides part of the problem (but not the lost signal).

What to look at (``gradients.png``):

* left: ``||dL/dW_l||`` of every layer at initialization (``scratchnn.inspect.gradient_norms``
  on a batch of 256 images), log scale: the sigmoid line falls by a factor of about 4 per layer
  from the output back to the input; the ReLU line is flat;
* middle and right: the same during training (``scratchnn.inspect.TrainingMonitor``), one line
  per layer, first layer dark, last layer light: the sigmoid lines stay fanned out over six
  orders of magnitude; the ReLU lines stay together;

and ``training.png``: the ReLU network's loss falls while the sigmoid network's stays near
ln 10 = 2.30, the loss of guessing among 10 classes. ``scratchnn.inspect.Diagnostics`` watches
both runs and names the problem in plain words.
"""
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.cm import ScalarMappable

from .. import inspect, layers, optimizers
from ..models import Sequential
from ..plot.figure import ERROR_COLOR, TRAIN_COLOR, layer_colors, new_figure
from ..utils import set_random_seed
from ._core import experiment
from ._data import mnist

DEPTH, WIDTH = 10, 64                  # hidden layers, units per hidden layer
LEARNING_RATE, BATCH_SIZE = 0.1, 64
ACTIVATIONS = ("sigmoid", "relu")
LABELS = {"sigmoid": "sigmoid", "relu": "ReLU"}
COLORS = {"sigmoid": ERROR_COLOR, "relu": TRAIN_COLOR}


def build(activation):
    """784 -> 10 x Dense(64, activation) -> Dense(10, softmax), Glorot-uniform kernels and zero
    biases (Keras's defaults), compiled with SGD(learning_rate=0.1) and cross-entropy."""
    stack = [layers.Input((784,))]
    stack += [layers.Dense(WIDTH, activation=activation, name=f"hidden_{i}") for i in range(1, DEPTH + 1)]
    stack.append(layers.Dense(10, activation="softmax", name="output"))
    model = Sequential(stack)
    model.compile(optimizer=optimizers.SGD(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@experiment("vanishing-gradients", "Vanishing gradients: a 10-layer sigmoid network vs ReLU",
            "gradient norm per layer at the start and during training, and the training loss, of two "
            "10-layer MLPs on MNIST that differ only in the activation", order=3)
def vanishing_gradients(lab):
    n_train, epochs = lab.pick(10000, 2000), lab.pick(20, 10)
    (x, y), _ = mnist(n_train, 100, seed=lab.seed)        # (the test images are not used here)
    x_probe, y_probe = x[:256], y[:256]
    steps_per_epoch = -(-n_train // BATCH_SIZE)
    steps = epochs * steps_per_epoch
    lab.say(f"MLP 784-{'-'.join([str(WIDTH)] * DEPTH)}-10 (Glorot-uniform weights, the same for both), "
            f"SGD(lr={LEARNING_RATE}), batch {BATCH_SIZE}, {epochs} epochs of {n_train} MNIST images = "
            f"{steps} steps")

    at_start, monitors, histories, final, hints = {}, {}, {}, {}, {}
    for act in ACTIVATIONS:
        set_random_seed(lab.seed)        # the same initial weights and the same batches for both
        model = build(act)
        at_start[act] = inspect.gradient_norms(model, x_probe, y_probe)     # {layer: ||dL/dW||}
        monitors[act] = inspect.TrainingMonitor(every=max(1, steps // 40), x_probe=x_probe,
                                                histograms=False)
        diagnostics = inspect.Diagnostics(print_fn=None)
        histories[act] = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, verbose=0,
                                   callbacks=[monitors[act], diagnostics]).history
        final[act] = model.evaluate(x, y, batch_size=1000, verbose=0)      # [loss, accuracy]
        hints[act] = [h.kind for h in diagnostics.hints]

    lab.say("")
    lab.say("Gradient norm ||dL/dW|| per layer at initialization (a batch of 256 images):")
    ratios = {}
    for act in ACTIVATIONS:
        norms = list(at_start[act].values())
        first, last, out = norms[0], norms[DEPTH - 1], norms[DEPTH]
        ratios[act] = first / last
        per_layer = ratios[act] ** (1 / (DEPTH - 1))    # geometric mean factor from one layer to the next
        lab.say(f"  {LABELS[act]}: first hidden layer {first:.2g}, last hidden layer {last:.2g}, "
                f"output layer {out:.2g}; first/last = {ratios[act]:.2g} "
                f"(x{per_layer:.2f} per layer going back)")
        lab.number(f"{act}_first_last_ratio", ratios[act])
        lab.number(f"{act}_first_output_ratio", first / out)
        lab.number(f"{act}_factor_per_layer", per_layer)
        lab.number(f"{act}_gradient_norms_at_start", at_start[act])
    relu_factor = max(ratios["relu"], 1 / ratios["relu"])
    lab.say(f"  with sigmoid the first layer's gradient is {1 / ratios['sigmoid']:.1e} times smaller than "
            f"the last one's; with ReLU the two are within a factor {relu_factor:.1f} (the first layer has "
            f"more weights, 784x64 vs 64x64, hence a somewhat larger norm)")

    lab.say("During training (TrainingMonitor, every recorded step), first/last hidden-layer ratio:")
    for act in ACTIVATIONS:
        series = monitors[act].series("gradient_norm")
        during = series["hidden_1"][1] / series[f"hidden_{DEPTH}"][1]
        lab.say(f"  {LABELS[act]}: between {during.min():.2g} and {during.max():.2g} "
                f"({len(during)} records over {steps} steps)")
        lab.number(f"{act}_ratio_during_training", [during.min(), during.max()])

    lab.say(f"Training-set loss after {steps} steps: sigmoid {final['sigmoid'][0]:.3f} "
            f"(accuracy {final['sigmoid'][1]:.1%}), ReLU {final['relu'][0]:.3f} "
            f"(accuracy {final['relu'][1]:.1%}); guessing gives ln 10 = {np.log(10):.3f}")
    lab.number("final_loss", {act: final[act][0] for act in ACTIVATIONS})
    lab.number("final_accuracy", {act: final[act][1] for act in ACTIVATIONS})
    lab.number("steps", steps)
    lab.number("learning_rate", LEARNING_RATE)
    for act in ACTIVATIONS:
        lab.say(f"Diagnostics on the {LABELS[act]} run: {', '.join(hints[act]) or 'no hint'}")
    lab.number("diagnostics", hints)

    lab.figure("gradients", _gradients_figure(at_start, monitors, ratios))
    lab.figure("training", _training_figure(histories, steps_per_epoch, final))


# ---------------------------------------------------------------------------------- figures
def _gradients_figure(at_start, monitors, ratios):
    fig = new_figure(15, 4.8)
    ax_start, *ax_steps = fig.subplots(1, 3, width_ratios=[1, 1.15, 1.15])
    names = list(at_start["sigmoid"])
    depth = np.arange(1, len(names) + 1)
    for act in ACTIVATIONS:
        ax_start.plot(depth, list(at_start[act].values()), "o-", color=COLORS[act], linewidth=2,
                      label=f"{LABELS[act]}: first / last hidden = {ratios[act]:.1e}")
    ax_start.set_yscale("log")
    ax_start.set_xticks(depth, [str(i) for i in depth[:-1]] + ["out"])
    ax_start.set_xlabel("layer (1 = first hidden, out = softmax output)")
    ax_start.set_ylabel("gradient norm  ||dL/dW||  (L2)")
    ax_start.set_title("At initialization (256 images)")
    ax_start.grid(True, which="major", alpha=0.3)
    ax_start.legend(loc="lower right", fontsize="small")

    colors = layer_colors(len(names))
    low = min(np.nanmin(v) for m in monitors.values() for _, v in m.series("gradient_norm").values())
    high = max(np.nanmax(v) for m in monitors.values() for _, v in m.series("gradient_norm").values())
    for ax, act in zip(ax_steps, ACTIVATIONS):
        for name, color in zip(names, colors):
            steps, values = monitors[act].series("gradient_norm", name)
            ax.plot(steps, values, color=color, linewidth=1.6)
        ax.set_yscale("log")
        ax.set_ylim(low / 2, high * 2)
        ax.set_xlabel("training step (batches of 64 images)")
        ax.set_ylabel("gradient norm  ||dL/dW||  (L2)")
        ax.set_title(f"During training: {LABELS[act]} (one line per layer)")
        ax.grid(True, which="major", alpha=0.3)
    cmap = ListedColormap(colors)
    bar = fig.colorbar(ScalarMappable(BoundaryNorm(np.arange(0.5, len(names) + 1), cmap.N), cmap),
                       ax=ax_steps, ticks=depth, aspect=30, pad=0.01)
    bar.ax.set_yticklabels([str(i) for i in depth[:-1]] + ["out"])
    bar.set_label("layer (1 = first hidden)")
    fig.suptitle(f"Gradient strength per layer: {DEPTH} sigmoid layers vs {DEPTH} ReLU layers",
                 fontsize="x-large", fontweight="bold")
    return fig


def _training_figure(histories, steps_per_epoch, final):
    fig = new_figure(13, 5)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for act in ACTIVATIONS:
        history = histories[act]
        steps = steps_per_epoch * np.arange(1, len(history["loss"]) + 1)
        ax_loss.plot(steps, history["loss"], "o-", color=COLORS[act], markersize=3, linewidth=2,
                     label=LABELS[act])
        ax_acc.plot(steps, 100 * np.asarray(history["accuracy"]), "o-", color=COLORS[act], markersize=3,
                    linewidth=2)
    ax_loss.axhline(np.log(10), color="0.4", linestyle="--", linewidth=1,
                    label="guessing among 10 classes (loss ln 10 = 2.30, accuracy 10%)")
    ax_acc.axhline(10, color="0.4", linestyle="--", linewidth=1)
    ax_loss.set_ylabel("training loss (cross-entropy, mean over the epoch)")
    ax_loss.set_ylim(0, None)
    ax_acc.set_ylabel("training accuracy (%, mean over the epoch)")
    ax_acc.set_ylim(0, 100)
    ends = {act: final[act] for act in ACTIVATIONS}
    ax_loss.set_title("Training loss\n(whole training set at the end: " +
                      ", ".join(f"{LABELS[a]} {ends[a][0]:.3f}" for a in ACTIVATIONS) + ")")
    ax_acc.set_title("Training accuracy\n(whole training set at the end: " +
                     ", ".join(f"{LABELS[a]} {ends[a][1]:.1%}" for a in ACTIVATIONS) + ")")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("training step (batches of 64 images)")
        ax.grid(True, alpha=0.3)
    fig.legend(*ax_loss.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    fig.suptitle(f"The same network and data, sigmoid vs ReLU, plain SGD (lr {LEARNING_RATE})",
                 fontsize="x-large", fontweight="bold")
    return fig
