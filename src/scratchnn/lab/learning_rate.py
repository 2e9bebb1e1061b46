"""The learning rate: too small barely moves, too large oscillates or diverges; how to find one.

Gradient descent on the parabola ``f(x) = x^2`` (gradient ``2x``) makes each step
``x <- x - lr * 2x = (1 - 2 lr) x``, so after t steps ``x_t = (1 - 2 lr)^t x_0``. Everything
follows from the factor ``1 - 2 lr``:

* ``0 < lr < 0.5``: the factor is in (0, 1), x shrinks without changing sign (slowly when lr
  is small: lr = 0.01 keeps 98% of x per step);
* ``lr = 0.5``: the factor is 0, one step lands on the minimum;
* ``0.5 < lr < 1``: the factor is in (-1, 0): x jumps across the minimum, but converges;
* ``lr = 1``: the factor is -1: x jumps between +x_0 and -x_0 for ever;
* ``lr > 1``: ``|1 - 2 lr| > 1``: every step lands farther away: divergence.

So for f = x^2 the thresholds are exact: lr < 1 converges, lr = 1 oscillates, lr > 1 diverges.
(For any f the bound is 2 / (largest curvature); x^2 has curvature 2.)

On MNIST the same three regimes appear: lr = 0.001 barely moves the loss, 0.1 trains well,
and 10 makes the loss explode in the first steps and then leaves the network dead, worse
than guessing (ln 10 = 2.30). The learning-rate range test (Smith, 2017) finds a good rate in
one short run: grow lr exponentially at every mini-batch and watch the loss; a good rate is
where the loss falls fastest, well before it blows up.
"""
import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import layers
from .. import optimizers as opt
from ..autograd import Tensor
from ..models import Sequential
from ..plot.figure import ERROR_COLOR, TRAIN_COLOR, VAL_COLOR, new_figure
from ..utils import set_random_seed
from ._core import experiment
from ._data import mnist
from ._smooth import moving_average

PARABOLA_LRS = [0.01, 0.1, 0.9, 1.0, 1.1]
PARABOLA_VERDICTS = {0.01: "too small: barely moves", 0.1: "right: converges", 0.9: "oscillates, converges",
                     1.0: "oscillates for ever", 1.1: "too large: diverges"}
PARABOLA_COLORS = dict(zip(PARABOLA_LRS, ["#7f7f7f", TRAIN_COLOR, "#2ca02c", VAL_COLOR, ERROR_COLOR]))
MNIST_LRS = {"too small": 0.001, "right": 0.1, "too large": 10.0}
MNIST_COLORS = {"too small": "#7f7f7f", "right": TRAIN_COLOR, "too large": ERROR_COLOR}


def gradient_descent_on_parabola(lr, x0=1.0, steps=30):
    """Minimise f(x) = x^2 from ``x0`` with the library's SGD; returns x_0, x_1, ..., x_steps."""
    x = Tensor(np.array([x0]), requires_grad=True, dtype=np.float64)
    sgd = opt.SGD(learning_rate=lr)
    xs = [x0]
    for _ in range(steps):
        x.zero_grad()
        (x * x).sum().backward()              # x.grad = 2x
        sgd.step([x])                         # x <- x - lr * x.grad
        xs.append(float(x.data[0]))
    return np.array(xs)


def mlp():
    """The 784-64-10 ReLU/softmax network the MNIST runs train."""
    model = Sequential([layers.Input((784,)), layers.Dense(64, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    return model


def train(model, learning_rate, x, y, steps, batch_size, seed, stop_factor=None):
    """``steps`` mini-batches of plain SGD with ``learning_rate`` (a float or a schedule).

    Returns the loss of every mini-batch and the learning rate each one used. Stops early at a
    non-finite loss (``model.fit`` would warn there; ``callbacks=[TerminateOnNaN()]`` stops) or,
    with ``stop_factor``, once the smoothed loss exceeds ``stop_factor`` times its minimum.
    """
    model.compile(optimizer=opt.SGD(learning_rate=learning_rate), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(seed)         # the same batches for every learning rate
    losses, rates = [], []
    with np.errstate(over="ignore", invalid="ignore"):   # huge weights overflow: we watch the loss instead
        for _ in range(steps):
            rates.append(model.optimizer.learning_rate)
            batch = rng.integers(0, len(x), size=batch_size)
            losses.append(model.train_on_batch(x[batch], y[batch]))
            if not math.isfinite(losses[-1]):
                break
            if stop_factor and len(losses) > 10:
                smooth = ema(losses)
                if smooth[-1] > stop_factor * smooth.min():
                    break
    return np.array(losses), np.array(rates)


def ema(values, beta=0.9):
    """Exponential moving average with bias correction: ``m_t = beta m_(t-1) + (1 - beta) v_t``,
    reported as ``m_t / (1 - beta^t)`` (as Adam corrects its moments)."""
    m, out = 0.0, []
    for t, v in enumerate(values, 1):
        m = beta * m + (1 - beta) * v
        out.append(m / (1 - beta ** t))
    return np.array(out)


def suggest_learning_rate(rates, losses):
    """Where the smoothed loss falls fastest per decade of learning rate, before its minimum
    (the first tenth of the run is skipped: the loss barely moves there and the average settles).
    Returns (suggested lr, lr at the minimum of the smoothed loss, the smoothed losses)."""
    smooth = ema(losses)
    lowest = int(np.argmin(smooth))
    slope = np.gradient(smooth, np.log10(rates))          # d loss / d log10(lr)
    start = len(rates) // 10
    steepest = start + int(np.argmin(slope[start:lowest + 1])) if lowest > start else lowest
    return float(rates[steepest]), float(rates[lowest]), smooth


@experiment("learning-rate", "Learning rate: too small, right, too large; the range test",
            "gradient descent on x² with five learning rates, SGD on MNIST with three, and an LR range test",
            order=5)
def learning_rate(lab):
    """The experiment: x^2 with five learning rates, MNIST with three, and a range test."""
    steps = 30
    paths = {lr: gradient_descent_on_parabola(lr, 1.0, steps) for lr in PARABOLA_LRS}
    lab.say(f"f(x) = x², x0 = 1, {steps} steps of SGD: x_t = (1 - 2 lr)^t exactly")
    for lr, xs in paths.items():
        lab.say(f"  lr {lr:<4g} factor 1 - 2 lr = {1 - 2 * lr:+.2f}: |x| after {steps} steps = "
                f"{abs(xs[-1]):.3g} ({PARABOLA_VERDICTS[lr]})")
    lab.say("  thresholds: lr < 1 converges, lr = 1 oscillates between +1 and -1 for ever, lr > 1 diverges")
    lab.number("parabola_final_abs_x", {f"{lr:g}": abs(xs[-1]) for lr, xs in paths.items()})
    lab.number("parabola_steps", steps)
    lab.number("diverged_lr", 1.1)
    lab.figure("parabola", _parabola_figure(paths))

    n_train, steps, batch_size = lab.pick(20000, 3000), lab.pick(600, 150), 64
    (x, y), _ = mnist(n_train, 100, seed=lab.seed)
    set_random_seed(lab.seed)
    initial = mlp().get_weights()                          # the same start for every rate
    curves, dead = {}, {}
    for label, lr in MNIST_LRS.items():
        model = mlp()
        model.set_weights(initial)
        curves[label] = train(model, lr, x, y, steps, batch_size, lab.seed)[0]
        with np.errstate(over="ignore", invalid="ignore"):
            hidden = model.layers[0](Tensor(x)).data            # the 64 ReLU outputs of every image
        dead[label] = float(np.mean(np.all(hidden <= 0, axis=0)))   # units silent on every image
    first = curves["right"][0]
    tail = max(1, steps // 10)
    final = {label: float(np.mean(losses[-tail:])) for label, losses in curves.items()}
    lab.say(f"MNIST, 784-64-10 network, SGD, {steps} steps of {batch_size} images; first loss {first:.3f}, "
            f"mean of the last {tail} steps:")
    for label, lr in MNIST_LRS.items():
        losses = curves[label]
        extra = (f"; it exploded to {losses.max():.3g} in the first steps; {dead[label]:.0%} of the hidden "
                 f"ReLUs are now dead (0 on every image) and the loss stays near or above guessing "
                 f"(ln 10 = {math.log(10):.2f})" if label == "too large" else "")
        if label == "too small":
            extra = (f"; it fell only {first - final[label]:.2f} (lr {MNIST_LRS['right']:g}: "
                     f"{first - final['right']:.2f})")
        if not np.all(np.isfinite(losses)):
            extra = f"; the loss became {losses[-1]} at step {len(losses)}: stopped there"
        lab.say(f"  lr {lr:<6g} ({label}): {final[label]:.3f}{extra}")
    lab.number("mnist_learning_rates", MNIST_LRS)
    lab.number("mnist_first_loss", first)
    lab.number("mnist_final_loss", final)
    lab.number("mnist_peak_loss", {label: float(np.max(losses)) for label, losses in curves.items()})
    lab.number("mnist_dead_relu_fraction", dead)

    # The range test: one run, lr growing from 1e-5 to 10 by the same factor at every batch.
    test_steps = lab.pick(300, 120)
    low, high = 1e-5, 10.0
    growth = (high / low) ** (1 / (test_steps - 1))
    schedule = opt.schedules.ExponentialDecay(low, decay_steps=1, decay_rate=growth)   # rate > 1: growth
    model = mlp()
    model.set_weights(initial)
    losses, rates = train(model, schedule, x, y, test_steps, batch_size, lab.seed, stop_factor=4)
    suggested, lowest, smooth = suggest_learning_rate(rates, losses)
    lab.say(f"LR range test: lr from {low:g} to {high:g}, x{growth:.3f} per batch; stopped after "
            f"{len(losses)} of {test_steps} batches (smoothed loss > 4x its minimum). Steepest fall at lr "
            f"{suggested:.3g} (suggested); lowest loss at lr {lowest:.3g}")
    lab.number("range_test_suggested_lr", suggested)
    lab.number("range_test_lowest_loss_lr", lowest)
    lab.number("range_test_batches", len(losses))
    lab.figure("mnist", _mnist_figure(curves, batch_size))
    lab.figure("range_test", _range_test_figure(rates, losses, smooth, suggested, lowest))


# ---------------------------------------------------------------------------------- figures
def _parabola_figure(paths):
    """Iterates drawn on the parabola for each learning rate (top) and |x_t| per step (bottom)."""
    fig = new_figure(15, 7.6)
    keys = [f"lr{i}" for i in range(len(PARABOLA_LRS))]
    axes = fig.subplot_mosaic([keys, ["curve"] * len(keys)], height_ratios=[1, 1])
    shown = 8                                            # iterates drawn on each parabola
    for key, lr in zip(keys, PARABOLA_LRS):
        ax, xs, color = axes[key], paths[lr][:shown + 1], PARABOLA_COLORS[lr]
        reach = max(1.2, 1.1 * np.abs(xs).max())
        grid = np.linspace(-reach, reach, 200)
        ax.plot(grid, grid ** 2, color="0.6", linewidth=1.5)
        ax.plot(xs, xs ** 2, "o-", color=color, markersize=4, linewidth=1)
        ax.plot(xs[0], xs[0] ** 2, "s", color="black", markersize=7, label="start x0 = 1")
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-0.05 * reach ** 2, 1.05 * reach ** 2)
        ax.set_title(f"lr = {lr:g}: {PARABOLA_VERDICTS[lr]}", fontsize="medium")
        ax.set_xlabel("x")
        ax.set_ylabel("f(x) = x²")
    axes[keys[0]].legend(loc="upper center", fontsize="small")
    ax = axes["curve"]
    for lr, xs in paths.items():
        ax.plot(np.arange(len(xs)), np.abs(xs), "o--" if lr == 0.9 else "o-", markersize=3,
                color=PARABOLA_COLORS[lr], label=f"lr {lr:g} (factor {1 - 2 * lr:+.2f})")
    ax.set_yscale("log")
    ax.set_xlim(0, len(xs) - 1)
    ax.set_xlabel("step t")
    ax.set_ylabel("|x_t| (distance to the minimum)")
    ax.set_title(r"$|x_t| = |1 - 2\,\mathrm{lr}|^t$: shrinks for lr < 1, stays 1 for lr = 1, grows for "
                 "lr > 1 (lr 0.1 and 0.9 coincide: |factor| = 0.8)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="lower left", ncols=5)
    fig.suptitle(f"Gradient descent on f(x) = x², five learning rates (first {shown} steps drawn on the "
                 f"curve)", fontsize="x-large", fontweight="bold")
    return fig


def _mnist_figure(curves, batch_size):
    """Training loss per mini-batch (thin) and its moving average (thick) for the three rates."""
    fig = new_figure(11, 5.6)
    ax = fig.add_subplot()
    window = 10
    for label, losses in curves.items():
        steps = np.arange(1, len(losses) + 1)
        ax.plot(steps, losses, color=MNIST_COLORS[label], alpha=0.25, linewidth=0.8)
        ax.plot(steps, moving_average(losses, window), color=MNIST_COLORS[label], linewidth=2,
                label=f"lr {MNIST_LRS[label]:g} ({label})")
    ax.axhline(math.log(10), color="black", linestyle=":", linewidth=1)
    middle = len(curves["right"]) // 2
    ax.annotate("ln 10 = 2.30: the loss of guessing uniformly", (middle, math.log(10)), xytext=(middle, 12),
                ha="center", arrowprops=dict(arrowstyle="->", color="black"))
    ax.set_yscale("log")
    ax.set_xlim(1, max(len(c) for c in curves.values()))
    ax.set_xlabel(f"step (mini-batch of {batch_size} images)")
    ax.set_ylabel("training loss (cross-entropy, log scale)")
    ax.set_title(f"Thin: each mini-batch; thick: moving average of {window} steps")
    ax.legend(loc="upper right")
    fig.suptitle("SGD on MNIST with three learning rates, same start and batches", fontsize="x-large",
                 fontweight="bold")
    return fig


def _range_test_figure(rates, losses, smooth, suggested, lowest):
    """Loss against the growing learning rate (log axis) with the suggested and lowest-loss rates."""
    fig = new_figure(10, 5.6)
    ax = fig.add_subplot()
    ax.plot(rates, losses, color=TRAIN_COLOR, alpha=0.3, linewidth=0.8, label="loss of each mini-batch")
    ax.plot(rates, smooth, color=TRAIN_COLOR, linewidth=2, label="smoothed (moving average)")
    for lr, text, color in ((suggested, "suggested: steepest fall", ERROR_COLOR),
                            (lowest, "lowest loss", "black")):
        i = int(np.argmin(np.abs(rates - lr)))
        ax.plot(lr, smooth[i], "o", color=color, markersize=9, zorder=3,
                label=f"{text}, lr = {lr:.2g}")
    ax.set_xscale("log")
    ax.set_ylim(0, min(float(np.max(losses)), 3 * float(smooth[0])) * 1.05)
    ax.set_xlabel("learning rate (log scale; it grows by the same factor every mini-batch)")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title("Pick a rate where the loss falls fastest, well before it blows up")
    ax.legend(loc="upper left")
    fig.suptitle("Learning-rate range test on MNIST (one short run of SGD)", fontsize="x-large",
                 fontweight="bold")
    return fig
