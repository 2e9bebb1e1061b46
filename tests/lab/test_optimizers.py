"""The optimizers lesson (``scratchnn/lab/optimizers.py``): Adam below SGD on MNIST, paths on
landscapes, gradient descent, Rosenbrock paths against PyTorch.
"""
import numpy as np
import pytest

from scratchnn.lab import optimizers as opt_lab

from tests.helpers import requires_torch, torch


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
