"""The ``Diagnostics`` callback (``scratchnn/inspect/diagnostics.py``): each hint provoked by a
real, small training run, and silence on a healthy one.
"""
import math

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import initializers, inspect, layers, optimizers
from scratchnn.datasets import toy

from tests.inspect.helpers import blobs, compiled, mlp, quiet_fit


# ------------------------------------------------------------------ Diagnostics
def diagnose(model, x, y, epochs, optimizer="adam", **fit_kwargs):
    compiled(model, optimizer)
    printed = []
    diagnostics = inspect.Diagnostics(print_fn=printed.append)
    quiet_fit(model, x, y, epochs=epochs, callbacks=[diagnostics], **fit_kwargs)
    assert printed == [f"Diagnostics: {h.message}" for h in diagnostics.hints]   # each printed once
    return diagnostics


def kinds(diagnostics):
    return [h.kind for h in diagnostics.hints]


def test_diagnostics_learning_rate_too_high():
    x, y = blobs()
    d = diagnose(mlp(hidden=(32,)), x, y, 4, optimizers.SGD(learning_rate=10.0))
    hint = next(h for h in d.hints if h.kind == "learning_rate_too_high")
    assert hint.epoch == 1 and "10x smaller learning rate" in hint.message


def test_diagnostics_non_finite_loss_names_the_batch():
    snn.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(200, 5)).astype(np.float32) * 100   # unscaled inputs
    model = snn.Sequential([layers.Input((5,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss="mse")
    d = inspect.Diagnostics(print_fn=None)
    quiet_fit(model, x, x.sum(axis=1, keepdims=True), epochs=1, callbacks=[d])
    assert kinds(d)[0] == "learning_rate_too_high"
    assert "the loss became inf at epoch 1, batch 5" in d.hints[0].message


def test_diagnostics_rising_loss_rule():
    d = inspect.Diagnostics(print_fn=None)
    for epoch, loss in enumerate([1.0, 0.8, 0.9, 0.7, 0.85, 0.95]):      # 3 rises in the last 5 epochs
        d.on_epoch_end(epoch, {"loss": loss})
        assert kinds(d) == ([] if epoch < 5 else ["learning_rate_too_high"])
    assert "rose in 3 of the last 5 epochs" in d.hints[0].message


def test_diagnostics_vanishing_gradients():
    x, y = blobs()
    deep = mlp(hidden=(32,) * 9, activation="sigmoid")
    d = diagnose(deep, x, y, 1)
    assert kinds(d) == ["vanishing_gradients"]
    norms = inspect.gradient_norms(deep, x[:32], y[:32])
    ratio = norms[deep.layers[0].name] / norms[deep.layers[-1].name]
    assert ratio < 1e-3                                            # orders of magnitude apart


def test_diagnostics_dead_relu():
    x, y = blobs()
    d = diagnose(mlp(hidden=(32,), bias_initializer=initializers.Constant(-20.0)), x, y, 1)
    assert kinds(d) == ["dead_relu"]
    assert "100% of the units" in d.hints[0].message


def test_diagnostics_dead_relu_in_the_last_epoch():
    """Units killed during the only epoch (a too large step) are reported when training ends."""
    x, y = blobs()
    d = diagnose(mlp(hidden=(32,)), np.abs(x), y, 1, optimizers.SGD(learning_rate=1.0), batch_size=20)
    dead = [r["dead_fraction"] for r in d.monitor.records if r["layer"] == d.monitor.layer_names[0]]
    assert dead[0] < 0.5 and dead[-1] == 1.0                        # alive at the start, dead at the end
    hint = next(h for h in d.hints if h.kind == "dead_relu")
    assert hint.epoch == 1 and "100% of the units" in hint.message


def test_diagnostics_no_dead_relu_hint_from_a_one_sample_probe():
    """batch_size=1 gives a probe of one input, on which about half of a healthy ReLU layer is 0:
    no dead-ReLU hint from it; with a real probe (x_probe) dead units are still found."""
    x, y = blobs(40)
    for seed in range(4):
        model = compiled(mlp(hidden=(32,), seed=seed), optimizers.SGD(learning_rate=0.01))
        d = inspect.Diagnostics(print_fn=None)
        quiet_fit(model, x, y, epochs=1, batch_size=1, callbacks=[d])
        assert len(d.monitor.x_probe) == 1 and "dead_relu" not in kinds(d)
    dead = compiled(mlp(hidden=(32,), bias_initializer=initializers.Constant(-20.0)))
    d = inspect.Diagnostics(print_fn=None, x_probe=x)
    quiet_fit(dead, x, y, epochs=1, batch_size=1, callbacks=[d])
    assert "dead_relu" in kinds(d)


def test_diagnostics_overfitting_names_the_turning_epoch():
    x, y = blobs(300, d=20, k=2, seed=1, noise=6.0)                 # overlapping classes, 100 to learn
    snn.utils.set_random_seed(0)
    model = snn.Sequential([layers.Input((20,)), layers.Dense(256, activation="relu"),
                            layers.Dense(256, activation="relu"), layers.Dense(2, activation="softmax")])
    d = diagnose(model, x[:100], y[:100], 12, optimizers.Adam(learning_rate=1e-3),
                 validation_data=(x[100:], y[100:]), batch_size=20)
    assert "overfitting" in kinds(d)
    hint = next(h for h in d.hints if h.kind == "overfitting")
    val = model.history.history["val_loss"]
    best = int(np.argmin(val[:hint.epoch + 2]))                     # 0-based epoch of the lowest val loss
    assert best >= 1                                                # it did improve first
    assert hint.epoch == best + 2                                   # the first 1-based epoch after it
    assert val[hint.epoch - 1] > val[best]
    assert f"lowest at epoch {best + 1}" in hint.message


def test_diagnostics_overfitting_rule():
    d = inspect.Diagnostics(patience=2, print_fn=None)
    train = [1.0, 0.8, 0.6, 0.5, 0.4, 0.3]
    val = [1.0, 0.9, 0.85, 0.9, 0.95, 1.0]
    for epoch, (t, v) in enumerate(zip(train, val)):
        d.on_epoch_end(epoch, {"loss": t, "val_loss": v})
        if epoch < 4:
            assert d.hints == []
    assert kinds(d) == ["overfitting"] and d.hints[0].epoch == 4


def test_diagnostics_underfitting():
    x, y = blobs()
    snn.utils.set_random_seed(0)
    model = snn.Sequential([layers.Input((10,)), layers.Dense(3, activation="softmax")])
    d = diagnose(model, x, y, 5, optimizers.SGD(learning_rate=1e-6))
    assert kinds(d) == ["underfitting"]
    assert d.hints[0].epoch == 4                                    # patience 3: flat over epochs 1-4


def test_diagnostics_exploding_weights():
    x, y = blobs()
    model = mlp(hidden=(32,), kernel_initializer=initializers.RandomNormal(stddev=50.0))
    d = diagnose(model, x, y, 2)
    assert "exploding_weights" in kinds(d)
    assert all(math.isfinite(v) for v in model.history.history["loss"])   # without any NaN


def test_diagnostics_silent_on_a_healthy_run():
    x, y = toy.moons(400, noise=0.1, random_state=0)
    snn.utils.set_random_seed(0)
    model = snn.Sequential([layers.Input((2,)), layers.Dense(32, activation="relu"),
                            layers.Dense(32, activation="relu"), layers.Dense(2, activation="softmax")])
    d = diagnose(model, x, y, 15, validation_split=0.2)
    assert d.hints == []
    assert model.history.history["val_loss"][-1] < 0.5 * model.history.history["val_loss"][0]


@pytest.mark.parametrize("kwargs, match", [
    ({"patience": 0}, "patience must be a positive integer"),
    ({"rise_count": 6}, r"rise_count \(6\) cannot exceed rise_window \(5\)"),
    ({"dead_fraction": 1.5}, r"dead_fraction must be a number in \(0, 1\]"),
    ({"vanishing_ratio": -1}, "vanishing_ratio must be a finite number > 0"),
])
def test_diagnostics_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        inspect.Diagnostics(**kwargs)
    with pytest.raises(TypeError, match="print_fn must be callable"):
        inspect.Diagnostics(print_fn="print")
