"""The activations lesson (``scratchnn/lab/activations.py``): derivative maxima (against
PyTorch) and softmax claims.
"""
import math

import numpy as np
import pytest

from tests.helpers import requires_torch, torch


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
