"""Batch size: full-batch gradient descent, mini-batch SGD and one example at a time.

Each update of stochastic gradient descent moves the weights against the gradient of the loss on
a batch of ``B`` training examples:

    w <- w - lr * (1/B) * sum_{i in batch} dL_i/dw

* ``B = N`` (the whole training set, *full-batch gradient descent*): the exact gradient, but one
  update costs a pass over all the data, so an epoch is a single step;
* ``B = 1`` (*online* SGD): N updates per epoch, each with a very noisy gradient, and each paying
  the fixed cost of a step (Python, a small matrix product) for one example;
* ``B = 32`` (*mini-batch* SGD): N/32 updates per epoch, a gradient already close to the full
  one (its noise falls like 1/sqrt(B)), and matrix products large enough to run efficiently.

The same network (784-100-10, ReLU, softmax), the same learning rate and the same initial weights
are trained with ``model.train_on_batch`` for the same time budget each, and the loss on the whole
training set is measured along the way (outside the timed training). Look at the two panels:
per *update*, the full batch and batch 32 make about the same progress and batch 1 lags behind;
per *second* of computing, batch 32 is far ahead of both.
"""
import math
import time

import numpy as np
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

from .. import layers, losses, optimizers
from ..models import Sequential
from ..plot.figure import new_figure
from ..utils import set_random_seed

from ._core import experiment
from ._data import mnist

COLORS = {"full batch": "#1f77b4", "batch 32": "#2ca02c", "batch 1": "#d62728"}


def build(lr):
    """The network all three runs train: 784 -> 100 (ReLU) -> 10 (softmax), plain SGD."""
    model = Sequential([layers.Input((784,)), layers.Dense(100, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="sparse_categorical_crossentropy")
    return model


def train_for(model, x, y, batch_size, seconds, rng, max_updates=None):
    """Train on shuffled batches of ``batch_size`` until ``seconds`` of training time are spent
    (and at most ``max_updates`` updates: with ``seconds=math.inf``, a run of a fixed number of
    updates, the same on any machine).

    Returns an array of rows ``(updates, training seconds, loss on all of x)``, measured at the
    start, after updates 1, 2, 3, ... spaced about 10% apart and at the end of every epoch (the
    loss evaluations are not timed)."""
    cross_entropy = losses.SparseCategoricalCrossentropy()

    def full_loss():
        return float(cross_entropy(y, model.predict(x, batch_size=len(x), verbose=0)).item())

    rows = [(0, 0.0, full_loss())]
    updates, spent, next_log = 0, 0.0, 1
    order, start = rng.permutation(len(x)), 0
    while spent < seconds and (max_updates is None or updates < max_updates):
        if start >= len(x):                          # a new epoch: reshuffle
            order, start = rng.permutation(len(x)), 0
        batch = order[start:start + batch_size]
        start += batch_size
        tic = time.perf_counter()
        model.train_on_batch(x[batch], y[batch])
        spent += time.perf_counter() - tic
        updates += 1
        if updates >= next_log or start >= len(x):
            rows.append((updates, spent, full_loss()))
            next_log = max(updates + 1, int(updates * 1.1))
    if rows[-1][0] != updates:
        rows.append((updates, spent, full_loss()))
    return np.array(rows)


def loss_after(rows, updates):
    """The measured loss after the last logged update count <= ``updates``."""
    return float(rows[rows[:, 0] <= updates][-1, 2])


@experiment("batch-size", "Batch size: full batch vs mini-batch vs one example",
            "the loss per update and per second of full-batch GD, mini-batch SGD (32) and batch size 1",
            order=10)
def batch_size(lab):
    n = lab.pick(2000, 1000)
    budget = lab.pick(6.0, 0.8)
    lr = 0.05
    (x, y), _ = mnist(n_train=n, n_test=1, seed=lab.seed)
    lab.say(f"{n} MNIST images, MLP 784-100-10, SGD(lr={lr}), same initial weights, "
            f"{budget:g} s of training for each batch size")

    runs = {}
    for name, size in (("full batch", n), ("batch 32", 32), ("batch 1", 1)):
        set_random_seed(lab.seed)
        runs[name] = (size, train_for(build(lr), x, y, size, budget, np.random.default_rng(lab.seed)))

    per_epoch, after_epoch, after_budget, ms_per_update, total = {}, {}, {}, {}, {}
    for name, (size, rows) in runs.items():
        per_epoch[name] = math.ceil(n / size)
        after_epoch[name] = loss_after(rows, per_epoch[name])
        after_budget[name] = float(rows[-1, 2])
        total[name] = int(rows[-1, 0])
        ms_per_update[name] = 1000 * float(rows[-1, 1]) / total[name]
    # Progress per update: every run compared after the same number of updates (what the full
    # batch managed in the budget).
    common = min(total.values())
    after_common = {name: loss_after(rows, common) for name, (_, rows) in runs.items()}

    lab.number("updates_per_epoch", per_epoch)
    lab.number("ms_per_update", ms_per_update)
    lab.number("updates_in_budget", total)
    lab.number("loss_after_one_epoch", after_epoch)
    lab.number("loss_after_budget", after_budget)
    lab.number("common_updates", common)
    lab.number("loss_after_common_updates", after_common)
    lab.number("budget_seconds", budget)
    lab.say("")
    lab.say(f"{'':<11} {'updates/epoch':>13} {'ms/update':>10} {'loss after 1 epoch':>19} "
            f"{f'after {common} updates':>19} {f'after {budget:g} s':>11} {'updates in it':>14}")
    for name in runs:
        lab.say(f"{name:<11} {per_epoch[name]:>13} {ms_per_update[name]:>10.3f} {after_epoch[name]:>19.3f} "
                f"{after_common[name]:>19.3f} {after_budget[name]:>11.3f} {total[name]:>14}")
    lab.say("")
    best_time = min(after_budget, key=after_budget.get)
    lab.number("best_in_budget", best_time)
    lab.say(f"per update: after {common} updates the full batch is at {after_common['full batch']:.3f}, "
            f"batch 32 at {after_common['batch 32']:.3f}, batch 1 at {after_common['batch 1']:.3f} "
            f"(a bigger batch gives a better gradient, but batch 32 is nearly as good as all {n})")
    lab.say(f"per epoch: batch 1 makes {per_epoch['batch 1']} updates and ends the first epoch at "
            f"{after_epoch['batch 1']:.3f}, the full batch makes 1 ({after_epoch['full batch']:.3f})")
    lab.say(f"per second: in {budget:g} s, {best_time} reaches the lowest loss "
            f"({after_budget[best_time]:.3f}; full batch {after_budget['full batch']:.3f}, "
            f"batch 1 {after_budget['batch 1']:.3f})")

    lab.figure("loss_vs_updates_and_time", _figure(runs, n, lr))


def _figure(runs, n, lr):
    """Loss against updates (log scale) and against training time, one colour per batch size."""
    fig = new_figure(11.0, 4.2)
    fig.suptitle(f"Batch size: SGD(lr={lr}) on {n} MNIST images, training loss on all {n}", fontweight="bold")
    ax_updates, ax_time = fig.subplots(1, 2, sharey=True)
    for name, (size, rows) in runs.items():
        label = f"{name} ({math.ceil(n / size)} update{'s' if size < n else ''}/epoch)"
        # Per update, batch 32 follows the full batch closely: the full batch is drawn wide underneath.
        style = dict(linewidth=5, alpha=0.5, zorder=1) if size == n else dict(linewidth=1.5, zorder=2)
        ax_updates.plot(rows[1:, 0], rows[1:, 2], color=COLORS[name], label=label, **style)
        ax_time.plot(rows[:, 1], rows[:, 2], color=COLORS[name], label=label, **style)
    ax_updates.set_xscale("log")
    ax_updates.set(title="per update", xlabel="number of updates (log scale)",
                   ylabel="training loss (nats per image, log scale)")
    ax_time.set(title="per second of training", xlabel="training time (seconds)")
    ax_time.set_yscale("log")
    ax_time.yaxis.set_major_locator(FixedLocator([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]))
    ax_time.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax_time.yaxis.set_minor_formatter(NullFormatter())
    ax_updates.legend(loc="lower left", fontsize="small")
    ax_time.legend(loc="upper right", fontsize="small")
    return fig
