"""The batch-size lesson (``scratchnn/lab/batch_size.py``): full batch, mini-batch and one example
at a time, compared per update and per epoch.

The experiment trains every batch size for a fixed amount of work (updates and epochs), so its
claims (the losses after the same number of updates, and of examples) are the same on any
machine; the time each run took is a measurement it reports, never a claim the tests check.
"""
import math
import types

import numpy as np

from scratchnn import lab
from scratchnn.lab import batch_size
from scratchnn.lab._data import mnist
from scratchnn.utils import set_random_seed

from tests.lab.helpers import assert_saved, legend_texts, plot_axes, suptitle

MEASURED = ("measured_ms_per_update", "measured_s_per_epoch")


# ------------------------------------------------------------------------------------ batch size
def test_batch_size_claims(results):
    result, folder = results("batch-size")
    n = result.numbers
    assert_saved(result, folder)
    assert n["updates_per_epoch"] == {"full batch": 1, "batch 32": math.ceil(1000 / 32), "batch 1": 1000}
    assert n["compared_updates"] == 40 and n["compared_epochs"] == 2
    # Per epoch (the same examples seen): more updates, more progress.
    for key in ("loss_after_one_epoch", "loss_after_epochs"):
        loss = n[key]
        assert loss["batch 1"] < loss["batch 32"] < loss["full batch"], key
        assert loss["full batch"] > 2.0, key                   # one or two small steps from ln(10) = 2.30
    assert n["loss_after_epochs"]["batch 1"] < 0.5 * n["loss_after_epochs"]["batch 32"]
    # Per update: the full gradient beats one example's; batch 32 is close to the full batch.
    loss = n["loss_after_updates"]
    assert loss["full batch"] < loss["batch 1"] and loss["batch 32"] < loss["batch 1"]
    assert loss["batch 32"] < 1.1 * loss["full batch"]
    assert loss["batch 1"] > 1.3 * loss["full batch"]
    # The report's sentences are the numbers, ranked (nothing in them is written in advance) ...
    assert ("per update (after 40 updates, lowest loss first): full batch "
            f"{loss['full batch']:.3f}, batch 32 {loss['batch 32']:.3f}, batch 1 {loss['batch 1']:.3f}"
            in result.report)
    assert f"lowest first): {batch_size.ranked(n['loss_after_epochs'])};" in result.report
    # ... and time is reported as measured, fastest first, whichever that was on this machine.
    seconds = n["measured_s_per_epoch"]
    assert all(t > 0 for t in seconds.values()) and all(t > 0 for t in n["measured_ms_per_update"].values())
    assert f"measured on this machine (fastest first): {batch_size.ranked(seconds, ' s')};" in result.report


def test_the_losses_are_those_of_a_run_with_the_same_number_of_updates(results, mnist_mirror,
                                                                       restore_global_rng):
    n = results("batch-size")[0].numbers
    (x, y), _ = mnist(n_train=1000, n_test=1, seed=0)
    set_random_seed(0)
    rows = batch_size.train_for(batch_size.build(0.05), x, y, 32, np.random.default_rng(0), updates=40)
    assert rows[-1, 0] == 40 and batch_size.loss_at(rows, 0, 40) == n["loss_after_updates"]["batch 32"]


def test_the_claims_do_not_depend_on_the_machine_speed(results, mnist_mirror, restore_global_rng,
                                                       monkeypatch):
    # A very busy machine: every update seems to take a second. The claims (losses after the same
    # updates and epochs) and their sentences are unchanged; only the measured times differ.
    normal = results("batch-size")[0]
    clock = iter(range(10 ** 9))
    monkeypatch.setattr(batch_size, "time", types.SimpleNamespace(perf_counter=lambda: float(next(clock))))
    slow = lab.run("batch-size", quick=True, seed=0, verbose=False)
    claims = {k: v for k, v in normal.numbers.items() if k not in MEASURED}
    assert {k: v for k, v in slow.numbers.items() if k not in MEASURED} == claims
    assert slow.numbers["measured_ms_per_update"]["batch 1"] == 1000.0
    assert [line for line in slow.lines if line.startswith("per ")] == \
        [line for line in normal.lines if line.startswith("per ")]


def test_batch_size_figure(results):
    result, _ = results("batch-size")
    fig = result.figures["loss_vs_updates_and_time"]
    assert "Batch size" in suptitle(fig)
    updates_ax, epochs_ax, time_ax = plot_axes(fig)
    assert "updates" in updates_ax.get_xlabel() and updates_ax.get_xscale() == "log"
    assert "epochs" in epochs_ax.get_xlabel()
    assert "seconds" in time_ax.get_xlabel() and "loss" in updates_ax.get_ylabel()
    assert "measured" in time_ax.get_title()
    for ax in (updates_ax, epochs_ax, time_ax):
        assert ax.get_title()
        texts = legend_texts(ax)
        assert len(texts) == 3 and texts[0].startswith("full batch") and texts[2].startswith("batch 1")
    # the same colour for a batch size in every panel
    colors = [[line.get_color() for line in ax.get_lines() if line.get_label()[0] != "_"]
              for ax in (updates_ax, epochs_ax, time_ax)]
    assert colors[0] == colors[1] == colors[2] and len(set(colors[0])) == 3
    # the dotted lines mark where the claims compare the runs
    assert 40 in [line.get_xdata()[0] for line in updates_ax.get_lines()]
    assert 2 in [line.get_xdata()[0] for line in epochs_ax.get_lines()]
