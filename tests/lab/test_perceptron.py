"""The first lessons of the learning lab: perceptron, activations, optimizers, learning rate, losses.

Each experiment runs once in its quick form (a module-scoped cache; the perceptron is also saved to
a temporary folder). The tests assert the claims the reports make, from ``result.numbers``, with
the lesson's real thresholds; compare what the experiments compute (derivatives, gradients,
optimizer paths, softmax) with PyTorch where it is installed; and check that every figure has a
title, labelled axes and a legend wherever it draws several series.
"""
import json
import math

import numpy as np
import pytest

from scratchnn import lab
from scratchnn.lab import learning_rate as lr_lab
from scratchnn.lab import loss_functions as loss_lab
from scratchnn.lab import optimizers as opt_lab
from scratchnn.lab.perceptron import Perceptron, train_perceptron

from conftest import requires_torch, torch

NAMES = ("perceptron", "activations", "optimizers", "learning-rate", "loss-functions")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """``get(name)``: the quick run of experiment ``name`` (run once; the perceptron also saved)."""
    cache = {}

    def get(name):
        if name not in cache:
            out = tmp_path_factory.mktemp(name) if name == "perceptron" else None
            cache[name] = (lab.run(name, quick=True, verbose=False, out=out), out)
        return cache[name]
    return get


def _data_axes(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]


def _labelled(ax):
    """Artists of ``ax`` that carry a legend label."""
    artists = ax.lines + ax.collections + ax.patches
    return [a for a in artists if a.get_label() and not a.get_label().startswith("_")]


def assert_readable(fig, stem):
    """A figure title; on every plot a title and both axis labels; wherever several labelled
    series are drawn, each one is named in a legend of the figure (panels of a row may share one)."""
    assert fig.get_suptitle().strip(), f"{stem}: no figure title"
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    named = {text.get_text() for legend in legends for text in legend.get_texts()}
    for ax in _data_axes(fig):
        what = f"{stem} / {ax.get_title()!r}"
        assert ax.get_title().strip(), f"{stem}: a panel without a title"
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), f"{what}: an axis without a label"
        series = {artist.get_label() for artist in _labelled(ax)}
        if len(series) > 1:
            assert series <= named, f"{what}: series {sorted(series - named)} are in no legend"


@pytest.mark.parametrize("name", NAMES)
def test_registered_and_figures_readable(results, name):
    assert name in lab.names()
    result, _ = results(name)
    assert result.figures and result.lines
    for stem, fig in result.figures.items():
        assert_readable(fig, stem)


def test_course_order():
    order = {name: lab.EXPERIMENTS[name].order for name in NAMES}
    assert order == {"perceptron": 1, "activations": 2, "optimizers": 4, "learning-rate": 5,
                     "loss-functions": 7}


# ------------------------------------------------------------------------------------- perceptron
def test_perceptron_learns_and_or_nand_but_not_xor(results):
    result, _ = results("perceptron")
    n = result.numbers
    for gate in ("and", "or", "nand"):
        assert n[f"{gate}_accuracy"] == 1.0
        assert 1 <= n[f"{gate}_epochs"] <= 30
    # XOR: some mistake in every epoch, and no line ever gets more than 3 of the 4 points right.
    assert n["xor_mistakes_last_epoch"] > 0
    assert n["xor_epochs_run"] == 30
    assert n["xor_best_accuracy"] == 0.75
    assert n["xor_accuracy"] < 1.0
    assert "no line separates XOR" in result.report


def test_mlp_solves_xor(results):
    n = results("perceptron")[0].numbers
    assert n["mlp_accuracy"] == 1.0
    assert 1 <= n["mlp_solved"] <= n["mlp_restarts"]
    assert n["mlp_final_loss"] < 0.05


def test_perceptron_files_written(results):
    result, folder = results("perceptron")
    names = {p.name for p in folder.iterdir()}
    assert names >= {"report.txt", "numbers.json", "perceptron.png", "mlp_xor.png"}
    assert (folder / "perceptron.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((folder / "numbers.json").read_text()) == json.loads(json.dumps(result.numbers))
    assert (folder / "report.txt").read_text() == result.report


def test_perceptron_rule_one_update():
    p = Perceptron(n_inputs=2, learning_rate=0.5)
    # w = 0, b = 0: step(0) = 0, so label 1 is a mistake: w += 0.5 * (1 - 0) * x, b += 0.5.
    assert p.update(np.array([1.0, 2.0]), 1) == 1.0
    np.testing.assert_array_equal(p.w, [0.5, 1.0])
    assert p.b == 0.5
    # Now w.x + b = 0.5 * 3 + 1 + 0.5 > 0: predicted 1, so label 0 is a mistake the other way.
    assert p.update(np.array([3.0, 1.0]), 0) == -1.0
    np.testing.assert_array_equal(p.w, [-1.0, 0.5])
    assert p.b == 0.0
    assert p.update(np.array([3.0, 1.0]), 0) == 0.0          # right now: nothing changes
    np.testing.assert_array_equal(p.w, [-1.0, 0.5])


def test_perceptron_converges_on_separable_data():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(60, 2))
    score = x @ np.array([1.5, -2.0]) + 0.3
    x, score = x[np.abs(score) > 0.2], score[np.abs(score) > 0.2]     # a margin: the theorem's condition
    y = (score > 0).astype(np.float64)
    p, mistakes, accuracy, _ = train_perceptron(x, y, 200, rng)
    assert mistakes[-1] == 0 and len(mistakes) < 200
    np.testing.assert_array_equal(p.predict(x), y)
    assert accuracy[-1] == 1.0


def test_perceptron_rejects_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate"):
        Perceptron(learning_rate=0)
    with pytest.raises(ValueError, match="n_inputs"):
        Perceptron(n_inputs=0)
    p = Perceptron(n_inputs=2)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        p.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="y has 3"):
        p.train_epoch(np.ones((4, 2)), np.ones(3))
    np.testing.assert_array_equal(p.w, [0.0, 0.0])                # nothing changed


# ------------------------------------------------------------------------------------ activations
def test_activation_derivative_maxima(results):
    result, _ = results("activations")
    n = result.numbers
    assert n["max_sigmoid_derivative"] == pytest.approx(0.25, abs=1e-12)
    assert n["argmax_sigmoid_derivative"] == 0.0
    assert n["max_tanh_derivative"] == pytest.approx(1.0, abs=1e-12)
    assert n["sigmoid_derivative_at_5"] == pytest.approx(math.exp(-5) / (1 + math.exp(-5)) ** 2, rel=1e-9)
    assert n["relu_derivative_positive"] == 1.0 and n["relu_derivative_negative"] == 0.0
    assert n["derivative_range"]["Leaky ReLU"] == pytest.approx([0.3, 1.0])
    assert n["derivative_range"]["GELU"][0] < 0 < n["derivative_range"]["ELU"][0]      # GELU dips below 0
    assert "max f'(x) = 0.2500" in result.report


@requires_torch
def test_activation_derivatives_match_pytorch(results):
    n = results("activations")[0].numbers
    at = n["derivatives_at"]
    reference = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "ReLU": torch.relu,
                 "Leaky ReLU": lambda t: torch.nn.functional.leaky_relu(t, 0.3),
                 "ELU": torch.nn.functional.elu, "SELU": torch.selu, "GELU": torch.nn.functional.gelu,
                 "softplus": torch.nn.functional.softplus}
    for name, fn in reference.items():
        t = torch.tensor(at["x"], dtype=torch.float64, requires_grad=True)
        fn(t).sum().backward()
        np.testing.assert_allclose(at[name], t.grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=name)


def test_softmax_claims(results):
    n = results("activations")[0].numbers
    from scratchnn.lab.activations import SCORES
    assert n["softmax_sum"] == pytest.approx(1.0, abs=1e-12)
    expected = np.exp(SCORES - SCORES.max()) / np.exp(SCORES - SCORES.max()).sum()
    np.testing.assert_allclose(n["softmax_probabilities"], expected, rtol=1e-12)
    assert n["softmax_shift_change"] < 1e-12
    top = n["softmax_max_probability"]
    assert top["T=0.5"] > top["T=1"] > top["T=5"] > 1 / len(SCORES)


# ------------------------------------------------------------------------------------- optimizers
def test_adam_ends_below_sgd_on_mnist(results):
    result, _ = results("optimizers")
    n = result.numbers
    final = n["final_loss"]
    assert set(final) == set(opt_lab.MNIST_LRS)
    assert final["Adam"] < final["SGD"]
    assert final["Adam"] < 0.6 * final["SGD"]
    assert n["ranking"] == sorted(final, key=final.get)
    # Every optimizer learned something from the same start (ln 10 = 2.30 is guessing) ...
    assert all(loss < 0.8 * n["initial_loss"] for loss in final.values())
    # ... except AdaDelta with Keras's default learning rate, which barely moves.
    assert n["adadelta_keras_default_loss"] > 0.9 * n["initial_loss"]
    assert n["adadelta_keras_default_loss"] > 3 * final["AdaDelta"]
    assert "Adam ends below plain SGD" in result.report


def test_optimizer_paths_on_landscapes(results):
    n = results("optimizers")[0].numbers
    # The bowl: GD, momentum and Adam get close to the minimum from f = 6.6 at the start.
    assert max(n["bowl_gap"][name] for name in ("GD", "Momentum", "Nesterov", "Adam")) < 1e-3
    # Rosenbrock: Adam gets closest; plain GD is still far up the valley.
    assert min(n["rosenbrock_gap"], key=n["rosenbrock_gap"].get) == "Adam"
    assert n["rosenbrock_gap"]["GD"] > 100 * n["rosenbrock_gap"]["Adam"]
    # Two wells: momentum rolls over the ridge into the global minimum, GD stops in the local one.
    wells = n["two-wells_minimum"]
    assert wells["Momentum"] == wells["Nesterov"] == "global"
    assert wells["GD"] == wells["AdaGrad"] == "local"
    x_global = n["two-wells_final_point"]["Momentum"][0]
    assert 4 * x_global ** 3 - 4 * x_global + 0.25 == pytest.approx(0, abs=1e-2)    # f'(x) = 0 there
    # AdaDelta's first steps are tiny.
    assert n["bowl_adadelta_moved"] < 1.0


def test_descend_is_gradient_descent():
    # GD on the bowl has the closed form x_t = (1 - lr/10)^t x_0, y_t = (1 - 2 lr)^t y_0.
    path = opt_lab.descend(opt_lab.bowl, (-9.0, 1.6), opt_lab.make_optimizer("GD", 0.3), 20)
    t = np.arange(21)
    np.testing.assert_allclose(path[:, 0], -9.0 * (1 - 0.03) ** t, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 1.6 * (1 - 0.6) ** t, rtol=1e-12)


@requires_torch
@pytest.mark.parametrize("name", ["Nesterov", "RMSprop", "Adam"])
def test_rosenbrock_paths_match_pytorch(name):
    lr = {"Nesterov": 2e-4, "RMSprop": 0.01, "Adam": 0.05}[name]
    path = opt_lab.descend(opt_lab.rosenbrock, (-1.5, 2.0), opt_lab.make_optimizer(name, lr), 50)
    w = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    ref = {"Nesterov": lambda: torch.optim.SGD([w], lr=lr, momentum=0.9, nesterov=True),
           # (epsilon sits inside the root here, outside in PyTorch: negligible at these gradients)
           "RMSprop": lambda: torch.optim.RMSprop([w], lr=lr, alpha=0.9, eps=1e-7),
           "Adam": lambda: torch.optim.Adam([w], lr=lr, eps=1e-7)}[name]()
    expected = [w.detach().numpy().copy()]
    for _ in range(50):
        ref.zero_grad()
        ((1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2).backward()
        ref.step()
        expected.append(w.detach().numpy().copy())
    np.testing.assert_allclose(path, np.array(expected), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------------- learning rate
def test_parabola_thresholds(results):
    result, _ = results("learning-rate")
    n = result.numbers
    final, steps = n["parabola_final_abs_x"], n["parabola_steps"]
    for lr in lr_lab.PARABOLA_LRS:
        assert final[f"{lr:g}"] == pytest.approx(abs(1 - 2 * lr) ** steps, rel=1e-9)
    assert final["0.01"] > 0.5                      # too small: barely moved
    assert final["0.1"] < 0.01 and final["0.9"] < 0.01
    assert final["1"] == 1.0                        # oscillates for ever
    assert final["1.1"] > 100                       # diverges: |x| grew from 1
    assert n["diverged_lr"] == 1.1 and final[f"{n['diverged_lr']:g}"] > 1.0
    assert "lr < 1 converges, lr = 1 oscillates" in result.report


def test_mnist_three_learning_rates(results):
    n = results("learning-rate")[0].numbers
    first, final, peak = n["mnist_first_loss"], n["mnist_final_loss"], n["mnist_peak_loss"]
    assert final["right"] < 0.5 * final["too small"]
    assert final["too small"] < first                 # it moves, slowly
    assert first - final["too small"] < 0.5 * (first - final["right"])
    # Too large: the loss explodes, then the network is dead and no better than guessing.
    assert peak["too large"] > 10 * first
    assert final["too large"] > 0.9 * math.log(10)
    assert n["mnist_dead_relu_fraction"]["too large"] > 0.5
    assert n["mnist_dead_relu_fraction"]["right"] < 0.5


def test_range_test_suggestion(results):
    n = results("learning-rate")[0].numbers
    assert 1e-3 < n["range_test_suggested_lr"] < 1.0
    assert n["range_test_suggested_lr"] <= n["range_test_lowest_loss_lr"] < 10.0
    assert n["range_test_batches"] < 120              # it stopped once the loss blew up


def test_suggest_learning_rate_finds_the_steepest_fall():
    rates = np.geomspace(1e-5, 10, 200)
    # Loss falls as a logistic curve of log10(lr), steepest at lr = 1e-2, then explodes past lr = 1.
    loss = 2.3 - 2.0 / (1 + np.exp(-3 * (np.log10(rates) + 2))) + np.where(rates > 1, 5 * (rates - 1), 0)
    suggested, lowest, smooth = lr_lab.suggest_learning_rate(rates, loss)
    # The moving average lags by about 1 / (1 - beta) = 10 steps (0.6 decade here).
    assert 1e-2 <= suggested < 10 ** -1.2
    assert 0.1 < lowest <= 1.5
    np.testing.assert_allclose(lr_lab.ema(np.full(7, 3.0)), 3.0, rtol=1e-12)    # bias-corrected


# ---------------------------------------------------------------------------------- loss functions
def test_cross_entropy_gradient_large_when_wrong(results):
    result, _ = results("loss-functions")
    n = result.numbers
    p = 0.01
    assert n["grad_at_p001"]["cross_entropy"] == pytest.approx(1 - p, rel=1e-9)
    assert n["grad_at_p001"]["mse"] == pytest.approx(2 * (1 - p) ** 2 * p, rel=1e-9)
    assert n["grad_at_p001"]["cross_entropy"] > 40 * n["grad_at_p001"]["mse"]
    assert n["grad_at_p05"] == pytest.approx({"cross_entropy": 0.5, "mse": 0.25})
    steps = n["steps_to_p05"]
    assert steps["cross-entropy"] < 10 and (steps["MSE"] is None or steps["MSE"] > 3 * steps["cross-entropy"])


@requires_torch
def test_sigmoid_output_gradients_match_pytorch():
    from scratchnn import losses
    p = np.array([0.001, 0.01, 0.3, 0.5, 0.9, 0.999])
    for loss, ref in ((losses.BinaryCrossentropy(reduction="none"), lambda q: -torch.log(q)),
                      (losses.MeanSquaredError(reduction="none"), lambda q: (1 - q) ** 2)):
        values, grad = loss_lab.sigmoid_output_gradients(p, loss)
        z = torch.tensor(np.log(p / (1 - p)), requires_grad=True)
        out = ref(torch.sigmoid(z))
        out.sum().backward()
        np.testing.assert_allclose(values, out.detach().numpy(), rtol=1e-7)
        np.testing.assert_allclose(grad, z.grad.numpy(), rtol=1e-7)


def test_mae_resists_outliers(results):
    n = results("loss-functions")[0].numbers
    assert abs(n["mae_slope"] - n["true_slope"]) < 0.15
    assert n["mse_slope"] < n["true_slope"] - 0.4             # pulled down by the outliers
    assert n["mse_slope"] == pytest.approx(n["least_squares_slope"], abs=0.02)   # the fit converged


def test_convex_and_non_convex_surfaces(results):
    n = results("loss-functions")[0].numbers
    assert n["linear_minima"] == 1 and n["linear_midpoint_violations"] == 0.0
    assert n["network_minima"] == 2 and n["network_midpoint_violations"] > 0.05
    assert n["network_loss_halfway"] > 1.0


def test_loss_surface_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, 30), rng.normal(size=30)
    w1, w2 = np.linspace(-1, 1, 5), np.linspace(-2, 2, 4)
    surface = loss_lab.loss_surface(loss_lab.tiny_network, x, y, w1, w2)
    expected = np.array([[np.mean((b * np.tanh(a * x) - y) ** 2) for a in w1] for b in w2])
    np.testing.assert_allclose(surface, expected, rtol=1e-10)
    bowl = (np.arange(7)[:, None] - 3.0) ** 2 + (np.arange(9)[None, :] - 5.0) ** 2
    assert loss_lab.local_minima(bowl) == [(3, 5)]
    assert loss_lab.midpoint_violations(bowl, rng) == 0.0
    assert loss_lab.midpoint_violations(-bowl, rng) > 0.5            # concave: midpoints are higher
