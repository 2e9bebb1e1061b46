"""The optimizers lesson (``scratchnn/lab/optimizers.py``): Adam below SGD on MNIST, paths on
landscapes, gradient descent, Rosenbrock paths against PyTorch.
"""
import numpy as np
import pytest

from scratchnn.lab import optimizers as opt_lab

from tests.helpers import requires_torch, torch
from tests.lab.helpers import plot_axes, suptitle


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
    # The bowl: GD at its best learning rate zig-zags across the valley (its step across turns back at
    # every step) and crawls along it; momentum turns back a few times, its swing dies out, and it ends
    # far closer to the minimum (as do Nesterov and Adam).
    turns, swing, distance = n["bowl_zigzag"], n["bowl_late_swing"], n["bowl_distance"]
    steps = 100
    assert turns["GD"] == steps - 1
    assert turns["Momentum"] < steps / 4 and turns["Nesterov"] < steps / 4
    assert swing["Momentum"] < 0.3 * swing["GD"] and swing["GD"] > 0.2
    for name in ("Momentum", "Nesterov", "Adam"):
        assert distance[name] < 0.1 * distance["GD"], name
        assert n["bowl_gap"][name] < 0.01 * n["bowl_gap"]["GD"], name
    assert distance["GD"] > 1.0                               # still far up the valley (from 9.1)
    assert "Momentum ends closer to the minimum than GD" in results("optimizers")[0].report
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
    # GD on the bowl has the closed form x_t = (1 - lr/50)^t x_0, y_t = (1 - 2 lr)^t y_0.
    path = opt_lab.descend(opt_lab.bowl, (-9.0, 1.6), opt_lab.make_optimizer("GD", 0.3), 20)
    t = np.arange(21)
    np.testing.assert_allclose(path[:, 0], -9.0 * (1 - 0.006) ** t, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 1.6 * (1 - 0.6) ** t, rtol=1e-12)


def test_gd_cannot_go_faster_on_the_bowl():
    # GD's learning rate on the bowl is capped by the steep direction: above 2/2 = 1 the zig-zag grows.
    assert opt_lab.LANDSCAPES["bowl"][7]["GD"] < 1.0
    path = opt_lab.descend(opt_lab.bowl, (-9.0, 1.6), opt_lab.make_optimizer("GD", 1.05), 50)
    assert abs(path[-1, 1]) > 10 * 1.6
    # and below it, a smaller rate crawls along the valley even more slowly than the lab's 0.99
    slow = opt_lab.descend(opt_lab.bowl, (-9.0, 1.6), opt_lab.make_optimizer("GD", 0.5), 100)
    assert np.linalg.norm(slow[-1]) > 1.5 * 1.24


def test_zigzag_counts_the_turns_of_a_coordinate():
    path = np.array([[0, 1.0], [0, -0.5], [0, 0.25], [0, 0.25], [0, 0.5], [0, 0.4]])
    # moves -1.5, +0.75, 0 (left out), +0.25, -0.1: turns at +0.75 and at -0.1
    assert opt_lab.zigzag(path) == 2
    assert opt_lab.zigzag(path, axis=0) == 0


def test_bowl_momentum_figure(results):
    result, _ = results("optimizers")
    fig = result.figures["bowl_momentum"]
    paths_ax, y_ax, distance_ax = plot_axes(fig)
    assert "momentum damps GD's zig-zag" in suptitle(fig)
    assert distance_ax.get_yscale() == "log" and "step" in y_ax.get_xlabel()
    # the middle panel draws each path's y (the steep coordinate) per step, GD's flipping sign every step
    gd, momentum = (line.get_ydata() for line in y_ax.get_lines()[:2])
    assert np.all(np.sign(gd[1:]) != np.sign(gd[:-1]))
    assert np.count_nonzero(np.sign(momentum[1:]) != np.sign(momentum[:-1])) < 25
    assert [t.get_text() for t in paths_ax.get_legend().get_texts()][:2] == [
        "GD (lr 0.99)", "Momentum (lr 0.2, β 0.9)"]


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
