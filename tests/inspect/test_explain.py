"""``explain()`` (``scratchnn/inspect/explain.py``): probabilities as the softmax of the tempered
logits (PyTorch), sigmoid and regression outputs, the compiled loss, bad input.
"""
import math

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import inspect, layers

from tests.helpers import requires_torch, torch
from tests.inspect.helpers import axes_by_gid, blobs, mlp, numpy_forward


# ------------------------------------------------------------------ explain
@requires_torch
@pytest.mark.parametrize("temperature", [0.25, 1.0, 3.0])
def test_explain_probabilities_are_the_softmax_of_the_tempered_logits(temperature):
    x, _ = blobs(5)
    model = mlp()
    e = inspect.explain(model, x[2], temperature=temperature)
    last = model.layers[-1]
    hidden = numpy_forward(model, x[2:3])[-2]
    logits = hidden @ last.kernel.data.astype(np.float64) + last.bias.data  # the pre-activation x W + b
    np.testing.assert_allclose(e.logits, logits[0], rtol=1e-5, atol=1e-6)
    want = torch.softmax(torch.tensor(logits[0]) / temperature, dim=0).numpy()
    np.testing.assert_allclose(e.probabilities, want, rtol=1e-5, atol=1e-7)
    assert e.probabilities.sum() == pytest.approx(1.0)


def test_explain_temperature_limits_and_predict():
    x, _ = blobs(5)
    model = mlp()
    e = inspect.explain(model, x[0])
    np.testing.assert_allclose(e.probabilities, model.predict(x[:1], verbose=0)[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(inspect.explain(model, x[:1]).probabilities, e.probabilities)  # batch of one
    hot = inspect.explain(model, x[0], temperature=1e-4).probabilities
    flat = inspect.explain(model, x[0], temperature=1e4).probabilities
    assert hot.max() == pytest.approx(1.0) and np.argmax(hot) == np.argmax(e.probabilities)
    np.testing.assert_allclose(flat, 1 / 3, atol=1e-3)
    for p in (hot, flat):
        assert p.sum() == pytest.approx(1.0)
    assert [lo.name for lo in e.layers] == [layer.name for layer in model.layers]
    assert [lo.shape for lo in e.layers] == [(16,), (8,), (3,)]
    assert e.layers[0].class_name == "Dense" and e.layers[0].output.shape == (16,)
    text = repr(e)
    assert all(layer.name in text for layer in model.layers) and "top classes (temperature 1)" in text
    assert e.top(1) == [(e.predicted_class, pytest.approx(e.probabilities.max()))]


def test_explain_sigmoid_and_regression_outputs():
    x, _ = blobs(4)
    snn.utils.set_random_seed(0)
    binary = snn.Sequential([layers.Input((10,)), layers.Dense(4, activation="tanh"),
                             layers.Dense(1, activation="sigmoid")])
    e = inspect.explain(binary, x[1], class_names=["no", "yes"])
    p = binary.predict(x[1:2], verbose=0)[0, 0]
    np.testing.assert_allclose(e.probabilities, [1 - p, p], rtol=1e-5)
    assert e.output_kind == "sigmoid" and e.class_name(1) == "yes"
    regression = snn.Sequential([layers.Input((10,)), layers.Dense(1)])
    r = inspect.explain(regression, x[0])
    assert r.output_kind == "regression" and r.probabilities is None and r.predicted_class is None


def test_explain_reads_a_linear_output_by_the_compiled_loss():
    """A linear output is logits or regression values depending on the loss it was trained with."""
    x, _ = blobs(4)
    snn.utils.set_random_seed(0)
    binary = snn.Sequential([layers.Input((10,)), layers.Dense(1)])
    binary.compile(optimizer="adam", loss=snn.losses.BinaryCrossentropy(from_logits=True))
    z = float(binary.predict(x[1:2], verbose=0)[0, 0])
    for temperature in (1.0, 2.0):
        e = inspect.explain(binary, x[1], temperature=temperature)
        p = 1 / (1 + math.exp(-z / temperature))
        assert e.output_kind == "sigmoid"
        np.testing.assert_allclose(e.probabilities, [1 - p, p], rtol=1e-6)
    assert "sigmoid(logit / T)" in axes_by_gid(e.plot())["probabilities"].get_title()
    multi_output = snn.Sequential([layers.Input((10,)), layers.Dense(3)])
    multi_output.compile(optimizer="adam", loss="mse")                 # three regression targets
    r = inspect.explain(multi_output, x[0])
    assert r.output_kind == "regression" and r.probabilities is None and r.top() == []
    np.testing.assert_allclose(r.output, multi_output.predict(x[:1], verbose=0)[0], rtol=1e-6)
    logits = snn.Sequential([layers.Input((10,)), layers.Dense(3)])
    logits.compile(optimizer="adam", loss=snn.losses.SparseCategoricalCrossentropy(from_logits=True))
    s = inspect.explain(logits, x[0])
    want = np.exp(s.logits - s.logits.max())
    assert s.output_kind == "logits"
    np.testing.assert_allclose(s.probabilities, want / want.sum(), rtol=1e-6)


def test_explain_rejects_bad_input():
    x, _ = blobs(4)
    model = mlp()
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got 0"):
        inspect.explain(model, x[0], temperature=0)
    with pytest.raises(ValueError, match="one sample or a batch of one, got a batch of 3"):
        inspect.explain(model, x[:3])
