"""The batch-size lesson (``scratchnn/lab/batch_size.py``): full batch, mini-batch and one example
at a time, compared per update and per epoch.

No test depends on the machine's speed: the experiment trains for a time budget, so its counts
of updates vary; the tests check what is fixed (updates per epoch, losses at a given number of
updates, which are deterministic with the seed) and that the report states its timing-based
winner consistently with the numbers it measured, never which one wins.
"""
import math

import numpy as np
import pytest

from scratchnn.lab import batch_size
from scratchnn.lab._data import mnist
from scratchnn.utils import set_random_seed

from tests.lab.helpers import assert_saved, legend_texts, plot_axes, suptitle


# ------------------------------------------------------------------------------------ batch size
def test_batch_size_claims(results, mnist_mirror, restore_global_rng):
    result, folder = results("batch-size")
    n = result.numbers
    assert_saved(result, folder)
    assert n["updates_per_epoch"] == {"full batch": 1, "batch 32": math.ceil(1000 / 32), "batch 1": 1000}
    # The experiment trains each batch size for the same time, so how many updates each one makes
    # depends on the machine's speed: its claims per epoch and per update are checked on runs of
    # its own training loop stopped after a fixed number of updates (deterministic with the seed).
    (x, y), _ = mnist(n_train=1000, n_test=1, seed=0)

    def loss_after(size, updates):
        set_random_seed(0)
        rows = batch_size.train_for(batch_size.build(0.05), x, y, size, math.inf, np.random.default_rng(0),
                                    max_updates=updates)
        assert rows[-1, 0] == updates
        return batch_size.loss_after(rows, updates)

    sizes = {"full batch": 1000, "batch 32": 32, "batch 1": 1}
    # Per epoch: more updates, more progress.
    epoch = {name: loss_after(size, n["updates_per_epoch"][name]) for name, size in sizes.items()}
    assert epoch["batch 1"] < epoch["batch 32"] < epoch["full batch"]
    assert epoch["full batch"] > 2.0                      # one small step from ln(10) = 2.30
    # Per update: the full gradient beats one example's; batch 32 is close to the full batch.
    common = {name: loss_after(size, 30) for name, size in sizes.items()}
    assert common["full batch"] < common["batch 1"] and common["batch 32"] < common["batch 1"]
    assert common["batch 32"] < 1.5 * common["full batch"]
    # The experiment's losses are those of the same runs: the full batch (an epoch per update) is
    # where the fixed-count run is after as many updates.
    assert n["common_updates"] == min(n["updates_in_budget"].values()) >= 1
    assert n["loss_after_one_epoch"]["full batch"] == pytest.approx(epoch["full batch"], rel=1e-6)
    assert n["loss_after_common_updates"]["full batch"] == pytest.approx(
        loss_after(1000, n["common_updates"]), rel=1e-6)
    # Per second: which batch size reaches the lowest loss in the time budget depends on the
    # machine (not asserted); the report names the one it measured, with the loss it measured.
    budget, best = n["loss_after_budget"], n["best_in_budget"]
    assert best == min(budget, key=budget.get)
    assert f"{best} reaches the lowest loss ({budget[best]:.3f};" in result.report


def test_batch_size_figure(results):
    result, _ = results("batch-size")
    fig = result.figures["loss_vs_updates_and_time"]
    assert "Batch size" in suptitle(fig)
    updates_ax, time_ax = plot_axes(fig)
    assert "updates" in updates_ax.get_xlabel() and updates_ax.get_xscale() == "log"
    assert "seconds" in time_ax.get_xlabel() and "loss" in updates_ax.get_ylabel()
    for ax in (updates_ax, time_ax):
        assert ax.get_title()
        texts = legend_texts(ax)
        assert len(texts) == 3 and texts[0].startswith("full batch") and texts[2].startswith("batch 1")
    # the same colour for a batch size in both panels
    colors = [[line.get_color() for line in ax.get_lines()] for ax in (updates_ax, time_ax)]
    assert colors[0] == colors[1] and len(set(colors[0])) == 3
