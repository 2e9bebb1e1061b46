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
are trained with ``model.train_on_batch`` for a fixed amount of work (at least ``U`` updates and
``E`` epochs, the same on any machine), and the loss on the whole training set is measured along
the way. The claims are about what does not depend on the machine:

* per *update* (after the same ``U`` updates), the full batch and batch 32 make about the same
  progress and batch 1 lags behind: its gradient is one example's;
* per *epoch* (after the same examples have been seen), batch 1 is far ahead and the full batch
  far behind: N updates per epoch against 1.

How long an update or an epoch takes is *measured* and reported, never claimed: it depends on the
machine and on what else runs on it (on an idle laptop an epoch of batch 1 typically takes tens of
times longer than one of batch 32, which pays a step's fixed cost once per 32 examples; on a loaded
server even that ranking can turn around). The third panel shows the loss against the measured
time: read it as a measurement of your machine, not as a law.
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


def train_for(model, x, y, batch_size, rng, updates=0, epochs=0):
    """Train on shuffled batches of ``batch_size`` until at least ``updates`` updates *and*
    ``epochs`` epochs are done: a fixed amount of work, whatever the machine's speed.

    Returns an array of rows ``(updates, epochs, training seconds, loss on all of x)``: at the
    start, after updates 1, 2, 3, ... spaced about 10% apart, after exactly ``updates`` updates and
    at the end of every epoch (``epochs`` counts the examples seen, divided by ``len(x)``). Only
    ``train_on_batch`` is timed, not the loss evaluations."""
    cross_entropy = losses.SparseCategoricalCrossentropy()
    n = len(x)

    def full_loss():
        return float(cross_entropy(y, model.predict(x, batch_size=n, verbose=0)).item())

    rows = [(0, 0.0, 0.0, full_loss())]
    done, seen, spent, next_log = 0, 0, 0.0, 1
    order, start = rng.permutation(n), 0
    while done < updates or seen < epochs * n:
        if start >= n:                               # a new epoch: reshuffle
            order, start = rng.permutation(n), 0
        batch = order[start:start + batch_size]
        start += batch_size
        tic = time.perf_counter()
        model.train_on_batch(x[batch], y[batch])
        spent += time.perf_counter() - tic
        done, seen = done + 1, seen + len(batch)
        if done >= next_log or done == updates or start >= n:
            rows.append((done, seen / n, spent, full_loss()))
            next_log = max(done + 1, int(done * 1.1))
    return np.array(rows)


def loss_at(rows, column, value):
    """The loss logged when ``rows[:, column]`` (0: updates, 1: epochs) first reached ``value``."""
    reached = rows[rows[:, column] >= value - 1e-9]
    if len(reached) == 0:
        raise ValueError(f"the run stopped before {value} ({['updates', 'epochs'][column]})")
    return float(reached[0, 3])


def ranked(values, unit=""):
    """``"batch 32 0.412, full batch 1.094, ..."``: the names by their value, lowest first."""
    return ", ".join(f"{name} {values[name]:.3f}{unit}" for name in sorted(values, key=values.get))


@experiment("batch-size", "Batch size: full batch vs mini-batch vs one example",
            "the loss per update and per epoch of full-batch GD, mini-batch SGD (32) and batch size 1, and "
            "the time each took on this machine", order=10)
def batch_size(lab):
    n = lab.pick(2000, 1000)
    updates, epochs = lab.pick(100, 40), lab.pick(5, 2)
    lr = 0.05
    (x, y), _ = mnist(n_train=n, n_test=1, seed=lab.seed)
    lab.say(f"{n} MNIST images, MLP 784-100-10, SGD(lr={lr}), same initial weights; each batch size trains "
            f"for at least {updates} updates and {epochs} epochs")

    runs = {}
    for name, size in (("full batch", n), ("batch 32", 32), ("batch 1", 1)):
        set_random_seed(lab.seed)
        rng = np.random.default_rng(lab.seed)
        runs[name] = (size, train_for(build(lr), x, y, size, rng, updates, epochs))

    per_epoch = {name: math.ceil(n / size) for name, (size, _) in runs.items()}
    after_updates = {name: loss_at(rows, 0, updates) for name, (_, rows) in runs.items()}
    after_one_epoch = {name: loss_at(rows, 1, 1) for name, (_, rows) in runs.items()}
    after_epochs = {name: loss_at(rows, 1, epochs) for name, (_, rows) in runs.items()}
    # Measurements of this machine, at this moment (no claim is made about them).
    ms_per_update = {name: 1000 * float(rows[-1, 2] / rows[-1, 0]) for name, (_, rows) in runs.items()}
    s_per_epoch = {name: float(rows[rows[:, 1] >= epochs - 1e-9][0, 2] / epochs)
                   for name, (_, rows) in runs.items()}

    lab.number("updates_per_epoch", per_epoch)
    lab.number("compared_updates", updates)
    lab.number("compared_epochs", epochs)
    lab.number("loss_after_updates", after_updates)
    lab.number("loss_after_one_epoch", after_one_epoch)
    lab.number("loss_after_epochs", after_epochs)
    lab.number("measured_ms_per_update", ms_per_update)
    lab.number("measured_s_per_epoch", s_per_epoch)
    lab.say("")
    lab.say(f"{'':<11} {'updates/epoch':>13} {f'loss after {updates} updates':>22} {'after 1 epoch':>14} "
            f"{f'after {epochs} epochs':>15} {'ms/update*':>11} {'s/epoch*':>9}")
    for name in runs:
        lab.say(f"{name:<11} {per_epoch[name]:>13} {after_updates[name]:>22.3f} "
                f"{after_one_epoch[name]:>14.3f} {after_epochs[name]:>15.3f} {ms_per_update[name]:>11.3f} "
                f"{s_per_epoch[name]:>9.3f}")
    lab.say("(* measured on this machine now: they change with the machine and its load)")
    lab.say("")
    lab.say(f"per update (after {updates} updates, lowest loss first): {ranked(after_updates)}")
    lab.say(f"per epoch (after {epochs} epochs: the same {epochs * n} examples seen, lowest first): "
            f"{ranked(after_epochs)}; batch 1 made {per_epoch['batch 1'] * epochs} updates, the full batch "
            f"{epochs}")
    lab.say(f"time per epoch, measured on this machine (fastest first): {ranked(s_per_epoch, ' s')}; "
            f"per update: {ranked(ms_per_update, ' ms')}")

    lab.figure("loss_vs_updates_and_time", _figure(runs, n, lr, updates, epochs))


def _figure(runs, n, lr, updates, epochs):
    """The loss against updates (log scale), against epochs, and against the measured training time,
    one colour per batch size; dotted lines mark where the claims compare the runs."""
    fig = new_figure(15.0, 4.4)
    fig.suptitle(f"Batch size: SGD(lr={lr}) on {n} MNIST images, training loss on all {n}", fontweight="bold")
    ax_updates, ax_epochs, ax_time = fig.subplots(1, 3, sharey=True)
    for name, (size, rows) in runs.items():
        label = f"{name} ({math.ceil(n / size)} update{'s' if size < n else ''}/epoch)"
        # Per update, batch 32 follows the full batch closely: the full batch is drawn wide underneath.
        style = dict(linewidth=5, alpha=0.5, zorder=1) if size == n else dict(linewidth=1.5, zorder=2)
        ax_updates.plot(rows[1:, 0], rows[1:, 3], color=COLORS[name], label=label, **style)
        ax_epochs.plot(rows[:, 1], rows[:, 3], color=COLORS[name], label=label, **style)
        ax_time.plot(rows[1:, 2], rows[1:, 3], color=COLORS[name], label=label, **style)
    ax_updates.axvline(updates, color="0.4", linestyle=":", linewidth=1)
    ax_epochs.axvline(epochs, color="0.4", linestyle=":", linewidth=1)
    ax_updates.set_xscale("log")
    ax_updates.set(title=f"per update (compared after {updates})", xlabel="number of updates (log scale)",
                   ylabel="training loss (nats per image, log scale)")
    ax_epochs.set(title=f"per epoch (compared after {epochs})", xlabel="epochs (examples seen / N)",
                  xlim=(0, epochs * 1.05))
    ax_time.set_xscale("log")
    ax_time.set(title="per second: measured on this machine", xlabel="training time (seconds, log scale)")
    ax_time.set_yscale("log")
    ax_time.yaxis.set_major_locator(FixedLocator([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]))
    ax_time.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax_time.yaxis.set_minor_formatter(NullFormatter())
    for ax in (ax_updates, ax_epochs, ax_time):
        ax.legend(loc="lower left", fontsize="small")
    return fig
