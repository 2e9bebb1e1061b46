"""The vanishing-gradients lesson (``scratchnn/lab/vanishing_gradients.py``): sigmoid gradients
vanish and ReLU's do not (against PyTorch), ReLU trains where sigmoid stalls, the report, the
figures, seeded runs repeat.
"""
import numpy as np

from tests.helpers import requires_torch, torch
from tests.lab.helpers import check_axes, figure_axes


# ================================================================ vanishing gradients
def test_sigmoid_gradients_vanish_relu_do_not(results):
    n = results("vanishing-gradients")[0].numbers
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


def test_relu_trains_sigmoid_stalls(results):
    n = results("vanishing-gradients")[0].numbers
    loss, acc = n["final_loss"], n["final_accuracy"]
    assert loss["relu"] < loss["sigmoid"]
    assert loss["relu"] < 1.5 and acc["relu"] > 0.5
    assert loss["sigmoid"] > 2.2 and acc["sigmoid"] < 0.2   # still guessing: ln 10 = 2.30
    assert "vanishing_gradients" in n["diagnostics"]["sigmoid"]
    assert "vanishing_gradients" not in n["diagnostics"]["relu"]


def test_vanishing_report_states_the_numbers(results):
    result = results("vanishing-gradients")[0]
    n = result.numbers
    assert f"first/last = {n['sigmoid_first_last_ratio']:.2g}" in result.report
    assert f"first/last = {n['relu_first_last_ratio']:.2g}" in result.report
    assert f"sigmoid {n['final_loss']['sigmoid']:.3f}" in result.report
    assert f"ReLU {n['final_loss']['relu']:.3f}" in result.report


@requires_torch
def test_gradient_norms_at_start_match_pytorch(results, mnist_mirror):
    """The experiment's per-layer gradient norms, recomputed with PyTorch from the same weights."""
    from scratchnn.lab._data import mnist
    from scratchnn.lab.vanishing_gradients import build
    from scratchnn.utils import set_random_seed
    n = results("vanishing-gradients")[0].numbers
    (x, y), _ = mnist(2000, 100, seed=0)
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


def test_vanishing_figures(results):
    figures = results("vanishing-gradients")[0].figures
    assert figures["gradients"]._suptitle.get_text()
    axes = figure_axes(figures["gradients"])
    assert len(axes) == 3
    check_axes(axes[0], legend=True)                        # sigmoid vs ReLU per layer
    for ax in axes[1:]:                                       # layers by colour: a colorbar
        check_axes(ax, legend=False)
        assert ax.get_yscale() == "log" and len(ax.lines) == 11
    assert axes[0].get_yscale() == "log"
    bars = [ax for ax in figures["gradients"].axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and bars[0].get_ylabel()
    assert figures["training"]._suptitle.get_text()
    for ax in figures["training"].axes:
        check_axes(ax, legend=False)
    (legend,) = figures["training"].legends                  # one legend for both panels
    assert [t.get_text() for t in legend.get_texts()][:2] == ["sigmoid", "ReLU"]


def test_seeded_runs_repeat(results, mnist_mirror):
    """The same seed gives the same numbers (weights, batches and probes are all seeded)."""
    from scratchnn import lab
    again = lab.run("vanishing-gradients", quick=True, seed=0, verbose=False)
    assert again.numbers == results("vanishing-gradients")[0].numbers
