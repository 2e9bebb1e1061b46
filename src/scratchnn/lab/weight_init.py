"""Weight initialization: too small and the signal dies, too large and it saturates or explodes.

A dense layer computes ``z = a W`` (zero biases at the start) and then ``a' = f(z)``. With
``n`` inputs of variance ``Var(a)`` and weights of variance ``Var(W)``, each output is a sum of
``n`` products, so

    Var(z) = n * Var(W) * Var(a)

and the spread of the activations is multiplied, layer after layer, by about
``sqrt(n Var(W))`` (and by what ``f`` does to it). In a network of 10 layers of 256 units:

* ``std 0.01`` (``RandomNormal(stddev=0.01)``): ``sqrt(256) * 0.01 = 0.16`` per layer, so after
  10 layers tanh and ReLU outputs are ~1e-8 and smaller: every input gives the same (zero)
  output, and the gradients, which are multiplied by the same weights, vanish too. (Sigmoid
  outputs collapse to sigmoid(0) = 0.5 instead of 0.)
* ``std 1`` (``RandomNormal(stddev=1.0)``): ``sqrt(256) * 1 = 16`` per layer: tanh and sigmoid
  units are pushed to their flat ends (-1/1, 0/1), where f'(z) ~ 0, i.e. *saturated*; ReLU
  outputs grow about 11 times per layer (to ~1e10).
* Xavier/Glorot (``GlorotUniform``, Keras's default): ``Var(W) = 2 / (n_in + n_out) = 1 / n``,
  so ``n Var(W) = 1``: the spread is kept for tanh (its slope is 1 near 0). ReLU zeroes half of
  its inputs and halves the variance at each layer: the outputs shrink slowly.
* He/Kaiming (``HeNormal``): ``Var(W) = 2 / n_in`` makes up for ReLU's factor 1/2: the spread
  of ReLU outputs stays the same from the first layer to the last.

What to look at: ``activation_std.png`` (the standard deviation of each layer's outputs, log
scale, for a batch of 1000 standard-normal inputs), ``activation_histograms.png`` (rows:
initialization; columns: sigmoid, tanh, ReLU; in each panel the distribution of every layer's
outputs, computed by ``scratchnn.inspect.layer_activations``, drawn sideways: one flat bar at 0 (or
0.5) is a collapsed layer, bars at -1/1 or 0/1 a saturated one), and ``mnist.png``: a 5-layer ReLU
network trained on MNIST with plain SGD from each initialization. With std 0.01 the loss stays at
ln 10 = 2.30 (guessing among 10 classes): the network cannot start learning. With std 1 the
first loss is huge and training diverges. Xavier and He learn. (Plain SGD, whose step is
proportional to the gradient: Adam divides each step by the gradient's own size and would hide
part of the std 0.01 problem.)

The sigmoid's histograms are jagged: its outputs are centred on 0.5, not 0, so each layer adds
a large input-independent part to the next one's sums, and deep in the network each unit gives
almost the same value for every input (one spike per unit); the report measures it.

A unit counts as *saturated* when its slope f'(z) is below 1% of the activation's largest
slope (sigmoid: f' = a (1 - a) < 0.0025; tanh: f' = 1 - a^2 < 0.01).
"""
import warnings

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import inspect, layers, optimizers
from ..initializers import GlorotUniform, HeNormal, RandomNormal
from ..models import Sequential
from ..plot.figure import ERROR_COLOR, TRAIN_COLOR, new_figure
from ..utils import set_random_seed
from ._core import experiment
from ._data import mnist
from ._smooth import moving_average

#: name -> a function returning a new initializer (each layer gets its own, with its own draws).
INITIALIZERS = {
    "std 0.01": lambda: RandomNormal(stddev=0.01),
    "std 1": lambda: RandomNormal(stddev=1.0),
    "Xavier": GlorotUniform,
    "He": HeNormal,
}
COLORS = {"std 0.01": "#7f7f7f", "std 1": ERROR_COLOR, "Xavier": TRAIN_COLOR, "He": "#2ca02c"}
ACTIVATIONS = ("sigmoid", "tanh", "relu")
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}
DEPTH, WIDTH = 10, 256                  # the deep network of the histograms
#: The histograms' value range per activation (ReLU: values above 5 are counted in the last bin).
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 5.0)}
LEARNING_RATE, BATCH_SIZE = 0.1, 64


def deep_net(activation, init, depth=DEPTH, width=WIDTH):
    """``depth`` layers ``Dense(width, activation)`` on ``width`` inputs, kernels from ``init``."""
    return Sequential([layers.Input((width,))] +
                      [layers.Dense(width, activation=activation, kernel_initializer=INITIALIZERS[init](),
                                    name=f"layer_{i}") for i in range(1, depth + 1)])


def saturated_fraction(activation, a):
    """The share of units whose slope f'(z) is below 1% of the activation's largest slope: for the
    sigmoid f' = a (1 - a) <= 0.25, for tanh f' = 1 - a^2 <= 1 (None for ReLU, which has no flat
    end on the positive side). A saturated unit passes almost no gradient back."""
    if activation == "sigmoid":
        return float(np.mean(a * (1 - a) < 0.01 * 0.25))
    if activation == "tanh":
        return float(np.mean(1 - a * a < 0.01))
    return None


def mnist_net(init):
    """The 5-layer ReLU network 784-256-256-256-256-10, every kernel drawn by ``init``."""
    stack = [layers.Input((784,))]
    stack += [layers.Dense(256, activation="relu", kernel_initializer=INITIALIZERS[init]()) for _ in range(4)]
    stack.append(layers.Dense(10, activation="softmax", kernel_initializer=INITIALIZERS[init]()))
    model = Sequential(stack)
    model.compile(optimizer=optimizers.SGD(learning_rate=LEARNING_RATE),
                  loss="sparse_categorical_crossentropy")
    return model


def train(model, x, y, steps, seed):
    """``steps`` mini-batches of SGD (the same batches for every call with the same ``seed``);
    returns the loss of each batch. Stops early when the loss is no longer a finite number."""
    rng, losses, order = np.random.default_rng(seed), [], np.empty(0, dtype=np.int64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # std 1 overflows on purpose
        for _ in range(steps):
            if len(order) < BATCH_SIZE:                     # a new epoch: a new random order
                order = rng.permutation(len(x))
            batch, order = order[:BATCH_SIZE], order[BATCH_SIZE:]
            losses.append(model.train_on_batch(x[batch], y[batch]))
            if not np.isfinite(losses[-1]):
                break
    return np.array(losses)


@experiment("weight-init", "Weight initialization: std 0.01, std 1, Xavier and He",
            "activation histograms of a 10-layer network per initialization and activation, and MNIST "
            "loss curves of a 5-layer ReLU network per initialization", order=8)
def weight_init(lab):
    # 1. The activations of a deep network at initialization, for a batch of standard-normal inputs.
    x = lab.rng.standard_normal((lab.pick(1000, 500), WIDTH)).astype(np.float32)
    acts, stds, saturated = {}, {}, {}
    for act in ACTIVATIONS:
        for init in INITIALIZERS:
            set_random_seed(lab.seed)
            outputs = list(inspect.layer_activations(deep_net(act, init), x).values())
            acts[act, init] = outputs
            stds[act, init] = [float(a.std()) for a in outputs]
            saturated[act, init] = saturated_fraction(act, outputs[-1])
    lab.say(f"{DEPTH} layers Dense({WIDTH}), zero biases, {len(x)} standard-normal inputs: standard "
            f"deviation of the last layer's outputs")
    lab.say(f"  {'init':<9}" + "".join(f"{LABELS[act]:>11}" for act in ACTIVATIONS))
    for init in INITIALIZERS:
        lab.say(f"  {init:<9}" + "".join(f"{stds[act, init][-1]:>11.2g}" for act in ACTIVATIONS))
    lab.number("last_layer_std", {act: {init: stds[act, init][-1] for init in INITIALIZERS}
                                  for act in ACTIVATIONS})
    lab.number("layer_std", {act: {init: stds[act, init] for init in INITIALIZERS} for act in ACTIVATIONS})
    lab.number("saturated_fraction", {act: {init: saturated[act, init] for init in INITIALIZERS}
                                      for act in ("sigmoid", "tanh")})
    lab.number("sigmoid_std_001_last_mean", float(acts["sigmoid", "std 0.01"][-1].mean()))
    # How much does a last-layer unit's output depend on the input? Its std across the inputs,
    # averaged over the units (the std over all values also counts differences between units).
    spread = {act: float(acts[act, "Xavier"][-1].std(axis=0).mean()) for act in ACTIVATIONS}
    lab.number("xavier_input_spread", spread)
    lab.say(f"  std 0.01: tanh and ReLU outputs collapse towards 0 ({stds['tanh', 'std 0.01'][-1]:.1e}, "
            f"{stds['relu', 'std 0.01'][-1]:.1e}); sigmoid outputs all sit near sigmoid(0) = 0.5 "
            f"(mean {acts['sigmoid', 'std 0.01'][-1].mean():.3f}, std {stds['sigmoid', 'std 0.01'][-1]:.3f})")
    lab.say(f"  std 1: {saturated['tanh', 'std 1']:.0%} of the last tanh layer's units and "
            f"{saturated['sigmoid', 'std 1']:.0%} of the sigmoid ones are saturated (slope below 1% of "
            f"its maximum; Xavier: {saturated['tanh', 'Xavier']:.0%} and "
            f"{saturated['sigmoid', 'Xavier']:.0%}); ReLU outputs explode to a std of "
            f"{stds['relu', 'std 1'][-1]:.1e}")
    lab.say(f"  ReLU from layer 1 to layer {DEPTH}: the std goes {stds['relu', 'Xavier'][0]:.2f} -> "
            f"{stds['relu', 'Xavier'][-1]:.3f} with Xavier (halved variance per layer), "
            f"{stds['relu', 'He'][0]:.2f} -> {stds['relu', 'He'][-1]:.2f} with He")
    lab.say(f"  with Xavier, a last-layer unit's output varies from one input to the next by (std across "
            f"inputs) {spread['sigmoid']:.1e} for sigmoid, {spread['tanh']:.2f} for tanh, "
            f"{spread['relu']:.3f} for ReLU: sigmoid outputs are centred on 0.5, not 0, and the input's "
            f"signal fades")
    lab.figure("activation_std", _std_figure(stds, len(x)))
    lab.figure("activation_histograms", _histogram_figure(acts, stds, saturated))

    # 2. Training: a 5-layer ReLU network on MNIST from each initialization, the same batches.
    n_train, steps = lab.pick(20000, 2000), lab.pick(1500, 150)
    (x_train, y_train), _ = mnist(n_train, 100, seed=lab.seed)        # (the test images are not used)
    curves, final = {}, {}
    for init in INITIALIZERS:
        set_random_seed(lab.seed)
        model = mnist_net(init)
        curves[init] = train(model, x_train, y_train, steps, lab.seed)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            final[init] = float(model.evaluate(x_train, y_train, batch_size=1000, verbose=0))
    lab.say("")
    lab.say(f"MNIST, ReLU network 784-256-256-256-256-10, SGD(lr={LEARNING_RATE}), {steps} steps of "
            f"{BATCH_SIZE} images ({n_train} training images); training-set loss (first batch -> end):")
    for init in INITIALIZERS:
        c = curves[init]
        ending = f"{final[init]:.3f}" if np.isfinite(final[init]) else \
            f"{final[init]} (diverged: the loss stopped being a number at step {len(c)})"
        lab.say(f"  {init:<9} {c[0]:.4g} -> {ending}")
    lab.say(f"std 0.01 stalls near ln 10 = {np.log(10):.2f} (final {final['std 0.01']:.3f}); He does not "
            f"(final {final['He']:.3f})")
    lab.number("final_loss", final)
    lab.number("first_loss", {init: float(curves[init][0]) for init in INITIALIZERS})
    lab.number("steps_run", {init: len(curves[init]) for init in INITIALIZERS})
    lab.number("steps", steps)
    lab.number("learning_rate", LEARNING_RATE)
    lab.figure("mnist", _mnist_figure(curves, final, steps))


# ---------------------------------------------------------------------------------- figures
def _std_figure(stds, n):
    fig = new_figure(14, 4.4)
    axes = fig.subplots(1, 3, sharey=True)
    depth = np.arange(1, DEPTH + 1)
    for ax, act in zip(axes, ACTIVATIONS):
        for init in INITIALIZERS:
            ax.plot(depth, stds[act, init], "o-", color=COLORS[init], markersize=4, linewidth=2, label=init)
        ax.set_yscale("log")
        ax.set_xticks(depth)
        ax.set_xlabel("layer")
        ax.set_title(LABELS[act])
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("std of the layer's outputs (log scale)")
    axes[0].legend(title="initialization", fontsize="small", loc="lower left")
    fig.suptitle(f"Spread of the activations, layer by layer ({DEPTH} layers of {WIDTH}, {n} standard-normal "
                 "inputs)", fontsize="x-large", fontweight="bold")
    return fig


def _histogram_figure(acts, stds, saturated):
    """Rows: initializations; columns: activations. In each panel, one histogram per layer, drawn
    sideways and centred on the layer's position (a 'violin'), scaled to its own largest bin."""
    fig = new_figure(14, 11.5)
    axes = fig.subplots(len(INITIALIZERS), len(ACTIVATIONS))
    depth = np.arange(1, DEPTH + 1)
    for r, init in enumerate(INITIALIZERS):
        for c, act in enumerate(ACTIVATIONS):
            ax, (lo, hi) = axes[r, c], RANGES[act]
            for layer, a in zip(depth, acts[act, init]):
                values = a.ravel()
                if act == "relu":                   # the zeros (units off, about half) would dwarf the rest
                    values = values[values > 0]
                counts, edges = np.histogram(np.clip(values, lo, hi), bins=40, range=(lo, hi))
                half = 0.42 * counts / max(counts.max(), 1)          # the largest bin: 0.84 wide
                ax.stairs(layer + half, edges, baseline=layer - half, orientation="horizontal", fill=True,
                          color=COLORS[init], alpha=0.85)
            ax.set_xticks(depth)
            ax.set_xlim(0.4, DEPTH + 0.6)
            ax.set_ylim(lo, hi)
            if act == "relu":
                ax.set_yticks([0, 1, 2, 3, 4, 5], ["0", "1", "2", "3", "4", "\u2265 5"])
            ax.grid(True, axis="y", alpha=0.3)
            note = f"layer {DEPTH}: std {stds[act, init][-1]:.2g}"
            if saturated[act, init] is not None:
                note += f", {saturated[act, init]:.0%} saturated"
            ax.set_title(note, fontsize="medium")
            if r == 0:
                ax.set_title(f"{LABELS[act]}\n", loc="left", fontsize="large", fontweight="bold")
            if r == len(INITIALIZERS) - 1:
                ax.set_xlabel("layer")
            ax.set_ylabel(f"{init}: {LABELS[act]} output" if c == 0 else f"{LABELS[act]} output",
                          fontweight="bold" if c == 0 else "normal")
    fig.suptitle("Distribution of each layer's outputs (one sideways histogram per layer; ReLU: the "
                 "non-zero outputs, values above 5 in the top bin)", fontsize="x-large", fontweight="bold")
    return fig



def _mnist_figure(curves, final, steps):
    fig = new_figure(13, 5)
    ax, ax_big = fig.subplots(1, 2, width_ratios=[3, 1])
    window = max(5, steps // 50)
    for init, losses in curves.items():
        if not np.isfinite(final[init]):           # diverged: drawn in the right panel, on a log scale
            shown = losses[np.isfinite(losses)]
            ax_big.plot(np.arange(1, len(shown) + 1), shown, "o-", color=COLORS[init], linewidth=2,
                        label=f"{init} (NaN from step {len(losses)})")
            continue
        ax.plot(np.arange(1, len(losses) + 1), moving_average(losses, window), color=COLORS[init],
                linewidth=2, label=f"{init} (end: {final[init]:.3f})")
    ax.axhline(np.log(10), color="0.3", linestyle="--", linewidth=1, label="ln 10 = 2.30 (guessing)")
    ax.set_ylim(0, 3)
    ax.set_xlim(0, steps)
    ax.set_xlabel(f"training step (batches of {BATCH_SIZE} images)")
    ax.set_ylabel(f"training loss (cross-entropy, mean of {window} steps)")
    ax.grid(True, alpha=0.3)
    ax.legend(title="initialization (training-set loss at the end)", fontsize="small", loc="center right")
    ax.set_title("Loss per step")
    ax_big.set_yscale("log")
    ax_big.set_xlabel("training step")
    ax_big.set_ylabel("training loss (cross-entropy, log scale)")
    ax_big.grid(True, which="major", alpha=0.3)
    ax_big.xaxis.set_major_locator(MaxNLocator(integer=True))
    if ax_big.lines:
        ax_big.legend(fontsize="small", loc="upper left")
        ax_big.set_title("Diverged: the loss explodes")
    else:
        ax_big.set_title("No run diverged")
    fig.suptitle(f"784-256-256-256-256-10 ReLU network on MNIST, plain SGD (lr {LEARNING_RATE}), "
                 "same batches", fontsize="x-large", fontweight="bold")
    return fig
