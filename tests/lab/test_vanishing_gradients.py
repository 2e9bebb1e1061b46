"""The lab's inspection experiments: vanishing gradients and weight initialization.

Each experiment runs once in quick mode (saved to a temporary folder); the tests check the
claims its report makes (the numbers in ``result.numbers``), recompute some of those numbers
independently (PyTorch for the gradient norms, plain NumPy for the activations), and check the
figures' titles, axis labels and legends.
"""
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import requires_torch, torch

SHARED = Path(os.environ.get("SCRATCHNN_DATASET_MIRRORS", "/work/shared/datasets"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both experiments, quick, seed 0, saved: ``{name: (result, folder)}``."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    from scratchnn import lab
    out = {}
    try:
        for name in ("vanishing-gradients", "weight-init"):
            folder = tmp_path_factory.mktemp(name)
            out[name] = (lab.run(name, out=folder, quick=True, seed=0, verbose=False), folder)
    finally:
        mp.undo()
    return out


def _data_axes(fig):
    """The figure's plotting axes (colorbars left out)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def _check_axes(ax, legend):
    assert ax.get_title() or ax.get_title(loc="left"), "panel without a title"
    assert ax.get_xlabel(), f"panel {ax.get_title()!r} has no x label"
    assert ax.get_ylabel(), f"panel {ax.get_title()!r} has no y label"
    if legend:
        assert ax.get_legend() is not None, f"panel {ax.get_title()!r} has no legend"


# ================================================================ registry and files
def test_registered_in_course_order():
    from scratchnn import lab
    assert lab.EXPERIMENTS["vanishing-gradients"].order == 3
    assert lab.EXPERIMENTS["weight-init"].order == 8
    names = lab.names()
    assert names.index("vanishing-gradients") < names.index("weight-init")


@pytest.mark.parametrize("name, figures", [
    ("vanishing-gradients", {"gradients", "training"}),
    ("weight-init", {"activation_std", "activation_histograms", "mnist"}),
])
def test_files_written(runs, name, figures):
    result, folder = runs[name]
    assert set(result.figures) == figures
    written = {p.name for p in Path(folder).iterdir()}
    assert written == {f"{stem}.png" for stem in figures} | {"report.txt", "numbers.json"}
    for stem in figures:
        assert (Path(folder) / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((Path(folder) / "numbers.json").read_text())
    assert set(saved) == set(result.numbers)
    assert (Path(folder) / "report.txt").read_text() == result.report
    assert result.quick and result.seed == 0


# ================================================================ vanishing gradients
def test_sigmoid_gradients_vanish_relu_do_not(runs):
    n = runs["vanishing-gradients"][0].numbers
    assert n["sigmoid_first_last_ratio"] < 1e-3              # orders of magnitude smaller
    assert 0.1 < n["relu_first_last_ratio"] < 10             # about the same size
    assert n["sigmoid_first_output_ratio"] < 1e-3
    # each sigmoid layer shrinks the gradient by about its maximal slope, 0.25
    assert 0.1 < n["sigmoid_factor_per_layer"] < 0.4
    assert 0.7 < n["relu_factor_per_layer"] < 1.4
    norms = list(n["sigmoid_gradient_norms_at_start"].values())
    assert len(norms) == 11 and all(a < b for a, b in zip(norms, norms[1:]))   # rising towards the output
    # during training too (TrainingMonitor records)
    assert n["sigmoid_ratio_during_training"][1] < 1e-3
    assert n["relu_ratio_during_training"][0] > 0.1


def test_relu_trains_sigmoid_stalls(runs):
    n = runs["vanishing-gradients"][0].numbers
    loss, acc = n["final_loss"], n["final_accuracy"]
    assert loss["relu"] < loss["sigmoid"]
    assert loss["relu"] < 1.5 and acc["relu"] > 0.5
    assert loss["sigmoid"] > 2.2 and acc["sigmoid"] < 0.2   # still guessing: ln 10 = 2.30
    assert "vanishing_gradients" in n["diagnostics"]["sigmoid"]
    assert "vanishing_gradients" not in n["diagnostics"]["relu"]


def test_vanishing_report_states_the_numbers(runs):
    result = runs["vanishing-gradients"][0]
    n = result.numbers
    assert f"first/last = {n['sigmoid_first_last_ratio']:.2g}" in result.report
    assert f"first/last = {n['relu_first_last_ratio']:.2g}" in result.report
    assert f"sigmoid {n['final_loss']['sigmoid']:.3f}" in result.report
    assert f"ReLU {n['final_loss']['relu']:.3f}" in result.report


@requires_torch
def test_gradient_norms_at_start_match_pytorch(runs):
    """The experiment's per-layer gradient norms, recomputed with PyTorch from the same weights."""
    from scratchnn.lab._data import mnist
    from scratchnn.lab.vanishing_gradients import build
    from scratchnn.utils import set_random_seed
    n = runs["vanishing-gradients"][0].numbers
    mp = pytest.MonkeyPatch()
    mp.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    try:
        (x, y), _ = mnist(2000, 100, seed=0)
    finally:
        mp.undo()
    x, y = torch.tensor(x[:256], dtype=torch.float64), torch.tensor(y[:256])
    for act in ("sigmoid", "relu"):
        set_random_seed(0)
        weights = build(act).get_weights()           # kernel, bias, kernel, bias, ...
        params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
        h = x
        for i in range(0, len(params) - 2, 2):
            z = h @ params[i] + params[i + 1]
            h = torch.sigmoid(z) if act == "sigmoid" else torch.relu(z)
        logits = h @ params[-2] + params[-1]
        torch.nn.functional.cross_entropy(logits, y).backward()
        expected = [float(p.grad.norm()) for p in params[::2]]
        got = list(n[f"{act}_gradient_norms_at_start"].values())
        np.testing.assert_allclose(got, expected, rtol=2e-3, err_msg=act)


def test_vanishing_figures(runs):
    figures = runs["vanishing-gradients"][0].figures
    assert figures["gradients"]._suptitle.get_text()
    axes = _data_axes(figures["gradients"])
    assert len(axes) == 3
    _check_axes(axes[0], legend=True)                        # sigmoid vs ReLU per layer
    for ax in axes[1:]:                                       # layers by colour: a colorbar
        _check_axes(ax, legend=False)
        assert ax.get_yscale() == "log" and len(ax.lines) == 11
    assert axes[0].get_yscale() == "log"
    bars = [ax for ax in figures["gradients"].axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and bars[0].get_ylabel()
    assert figures["training"]._suptitle.get_text()
    for ax in figures["training"].axes:
        _check_axes(ax, legend=False)
    (legend,) = figures["training"].legends                  # one legend for both panels
    assert [t.get_text() for t in legend.get_texts()][:2] == ["sigmoid", "ReLU"]


# ================================================================ weight initialization
def test_activations_collapse_saturate_or_keep_their_spread(runs):
    n = runs["weight-init"][0].numbers
    std, sat = n["last_layer_std"], n["saturated_fraction"]
    # std 0.01: the signal collapses to 0 (tanh, ReLU) or to 0.5 (sigmoid)
    assert std["tanh"]["std 0.01"] < 1e-4 and std["relu"]["std 0.01"] < 1e-4
    assert abs(n["sigmoid_std_001_last_mean"] - 0.5) < 0.01 and std["sigmoid"]["std 0.01"] < 0.05
    # std 1: tanh and sigmoid saturate, ReLU explodes
    assert sat["tanh"]["std 1"] > 0.5 and sat["sigmoid"]["std 1"] > 0.5
    assert std["relu"]["std 1"] > 1e6
    # Xavier keeps tanh alive, He keeps ReLU's spread from the first layer to the last
    assert sat["tanh"]["Xavier"] < 0.01 and sat["sigmoid"]["Xavier"] < 0.01
    assert 0.1 < std["tanh"]["Xavier"] < 1
    he = n["layer_std"]["relu"]["He"]
    assert 0.5 < he[-1] / he[0] < 2
    xavier = n["layer_std"]["relu"]["Xavier"]
    assert xavier[-1] / xavier[0] < 0.2                       # halved variance per layer
    assert n["xavier_input_spread"]["sigmoid"] < 1e-3 < n["xavier_input_spread"]["tanh"]


def test_layer_std_matches_a_numpy_forward_pass(runs):
    """The reported per-layer std, recomputed in float64 NumPy from the same weights and inputs."""
    from scratchnn.lab.weight_init import deep_net
    from scratchnn.utils import set_random_seed
    n = runs["weight-init"][0].numbers
    x = np.random.default_rng(0).standard_normal((500, 256)).astype(np.float32).astype(np.float64)
    fns = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}
    for act in ("tanh", "relu", "sigmoid"):
        for init in ("std 0.01", "Xavier", "He"):
            set_random_seed(0)
            weights = deep_net(act, init).get_weights()
            h, stds = x, []
            for kernel, bias in zip(weights[::2], weights[1::2]):
                h = fns[act](h @ kernel.astype(np.float64) + bias)
                stds.append(h.std())
            np.testing.assert_allclose(n["layer_std"][act][init], stds, rtol=1e-3, err_msg=f"{act} {init}")


def test_std_001_stalls_he_learns(runs):
    n = runs["weight-init"][0].numbers
    final = n["final_loss"]
    assert final["std 0.01"] > 2.2                          # stuck near ln 10 = 2.30
    assert final["He"] < 1.0 and final["Xavier"] < 1.0
    assert final["He"] < final["std 0.01"] - 1.0
    # std 1: a huge first loss, then no finite loss any more (training diverged)
    assert n["first_loss"]["std 1"] > 100
    assert not math.isfinite(final["std 1"])
    assert n["steps_run"]["std 1"] < n["steps"] == n["steps_run"]["He"]


def test_weight_init_report_states_the_numbers(runs):
    result = runs["weight-init"][0]
    n = result.numbers
    assert f"final {n['final_loss']['std 0.01']:.3f}" in result.report
    assert f"final {n['final_loss']['He']:.3f}" in result.report
    assert f"{n['saturated_fraction']['tanh']['std 1']:.0%} of the last tanh layer's units" in result.report
    for init in ("std 0.01", "std 1", "Xavier", "He"):
        row = f"  {init:<9}" + "".join(f"{n['last_layer_std'][act][init]:>11.2g}"
                                       for act in ("sigmoid", "tanh", "relu"))
        assert row in result.report


def test_weight_init_figures(runs):
    figures = runs["weight-init"][0].figures
    for fig in figures.values():
        assert fig._suptitle.get_text()
    std_axes = figures["activation_std"].axes
    assert len(std_axes) == 3 and all(ax.get_yscale() == "log" for ax in std_axes)
    assert std_axes[0].get_legend() is not None and std_axes[0].get_ylabel()
    for ax in std_axes:
        assert ax.get_title() and ax.get_xlabel()
    hist_axes = figures["activation_histograms"].axes
    assert len(hist_axes) == 12                               # 4 initializations x 3 activations
    for ax in hist_axes:
        assert ax.get_title() and ax.get_ylabel()
    assert all(ax.get_xlabel() for ax in hist_axes[-3:])       # the bottom row
    main, diverged = figures["mnist"].axes
    _check_axes(main, legend=True)
    _check_axes(diverged, legend=True)                        # std 1's exploding loss
    assert len(main.get_legend().get_texts()) == 4            # std 0.01, Xavier, He, ln 10


def test_seeded_runs_repeat(runs, monkeypatch):
    """The same seed gives the same numbers (weights, batches and probes are all seeded)."""
    from scratchnn import lab
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    again = lab.run("vanishing-gradients", quick=True, seed=0, verbose=False)
    assert again.numbers == runs["vanishing-gradients"][0].numbers
