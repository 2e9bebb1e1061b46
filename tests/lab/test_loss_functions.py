"""The loss-functions lesson (``scratchnn/lab/loss_functions.py``): cross-entropy's gradient
(against PyTorch), MAE and outliers, loss surfaces.
"""
import numpy as np
import pytest

from scratchnn.lab import loss_functions as loss_lab

from tests.helpers import requires_torch, torch


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
