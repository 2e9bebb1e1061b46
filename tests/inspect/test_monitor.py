"""scratchnn.inspect: layer activations, gradient norms, the TrainingMonitor and Diagnostics callbacks,
explain(); and their figures in scratchnn.plot.training.

Values are compared with independent computations (NumPy forward passes, PyTorch gradients and
softmax); the diagnostics are provoked by real, small training runs."""
import csv
import json
import math
import warnings

import numpy as np
import pytest
from conftest import requires_torch, torch

import scratchnn as snn
from scratchnn import initializers, inspect, layers, optimizers
from scratchnn.datasets import toy


# ------------------------------------------------------------------ helpers
def blobs(n=200, d=10, k=3, seed=0, noise=1.0):
    """k Gaussian clusters in d dimensions (float32 inputs, integer labels)."""
    r = np.random.default_rng(seed)
    centres = r.normal(0, 3, (k, d))
    y = r.integers(0, k, n)
    return (centres[y] + noise * r.normal(size=(n, d))).astype(np.float32), y


def mlp(d=10, hidden=(16, 8), k=3, activation="relu", seed=0, **dense_kwargs):
    snn.utils.set_random_seed(seed)
    stack = [layers.Input((d,))] + [layers.Dense(h, activation=activation, **dense_kwargs) for h in hidden]
    return snn.Sequential(stack + [layers.Dense(k, activation="softmax")])


def compiled(model, optimizer="adam"):
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def quiet_fit(model, x, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(x, y, verbose=0, **kwargs)


def numpy_forward(model, x):
    """The MLP's layer outputs computed by hand: relu(x W + b), ..., softmax(x W + b)."""
    outs, a = [], x.astype(np.float64)
    for layer in model.layers:
        z = a @ layer.kernel.data.astype(np.float64) + layer.bias.data
        if layer is model.layers[-1]:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = np.maximum(z, 0)
        outs.append(a)
    return outs


def kernel_sizes(model):
    return [layer.kernel.data.size for layer in model.layers]


# ------------------------------------------------------------------ layer_activations
def test_layer_activations_match_a_numpy_forward_pass():
    x, _ = blobs(20)
    model = mlp()
    acts = inspect.layer_activations(model, x)
    assert list(acts) == [layer.name for layer in model.layers]
    for got, want in zip(acts.values(), numpy_forward(model, x)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_layer_activations_run_in_inference_mode_and_change_nothing():
    x, _ = blobs(30)
    snn.utils.set_random_seed(1)
    inner = snn.Sequential([layers.Dense(12, activation="relu"), layers.Dropout(0.5)])
    model = snn.Sequential([layers.Input((10,)), inner, layers.BatchNormalization(),
                            layers.Dense(3, activation="softmax")])
    before = [w.copy() for w in model.get_weights()]
    state = snn.random.generator().bit_generator.state
    acts = inspect.layer_activations(model, x)
    # nested models are unfolded: every leaf layer, in call order
    assert [name.split("_")[0] for name in acts] == ["dense", "dropout", "batch", "dense"]
    dense_out, dropout_out = list(acts.values())[:2]
    np.testing.assert_array_equal(dropout_out, dense_out)          # dropout off at inference
    np.testing.assert_allclose(list(acts.values())[-1], model.predict(x, verbose=0), rtol=1e-6)
    for w, b in zip(model.get_weights(), before):                  # moving statistics untouched
        np.testing.assert_array_equal(w, b)
    assert snn.random.generator().bit_generator.state == state     # no random draw
    assert not any(layer.observed for layer in model.walk())       # no hook left behind


def test_layer_activations_in_training_mode_change_nothing():
    x, _ = blobs(30)
    snn.utils.set_random_seed(1)
    model = snn.Sequential([layers.Input((10,)), layers.Dense(12, activation="relu"), layers.Dropout(0.5),
                            layers.BatchNormalization(), layers.Dense(3, activation="softmax")])
    before = [w.copy() for w in model.get_weights()]
    state = snn.random.generator().bit_generator.state
    acts = list(inspect.layer_activations(model, x, training=True).values())
    dense_out, dropout_out, normalized = acts[:3]
    assert np.any(dropout_out != dense_out)                         # dropout applied ...
    np.testing.assert_allclose(normalized.mean(axis=0), 0, atol=1e-5)   # ... and the batch's statistics
    for w, b in zip(model.get_weights(), before):                  # moving statistics put back
        np.testing.assert_array_equal(w, b)
    assert snn.random.generator().bit_generator.state == state     # and the generator


def test_layer_activations_reject_bad_input():
    model = mlp()
    with pytest.raises(TypeError, match="model must be a scratchnn Model"):
        inspect.layer_activations("model", np.zeros((2, 10)))
    with pytest.raises(ValueError, match="expects inputs of shape"):
        inspect.layer_activations(model, np.zeros((2, 7), dtype=np.float32))
    with pytest.raises(ValueError, match="x holds no samples"):
        inspect.layer_activations(model, np.zeros((0, 10), dtype=np.float32))


# ------------------------------------------------------------------ gradient_norms
def torch_mlp_gradient_norms(model, x, y):
    params, a = [], torch.tensor(x, dtype=torch.float64)
    for layer in model.layers:
        w = torch.tensor(layer.kernel.data, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(layer.bias.data, dtype=torch.float64, requires_grad=True)
        params.append(w)
        z = a @ w + b
        a = z if layer is model.layers[-1] else torch.relu(z)
    torch.nn.functional.cross_entropy(a, torch.tensor(y)).backward()
    return [float(w.grad.norm()) for w in params]


@requires_torch
def test_gradient_norms_match_pytorch():
    x, y = blobs(40)
    model = compiled(mlp())
    norms = inspect.gradient_norms(model, x, y)
    assert list(norms) == [layer.name for layer in model.layers]
    np.testing.assert_allclose(list(norms.values()), torch_mlp_gradient_norms(model, x, y), rtol=1e-4)


def test_gradient_norms_leave_the_model_as_it_was():
    x, y = blobs(40)
    snn.utils.set_random_seed(2)
    model = compiled(snn.Sequential([layers.Input((10,)), layers.Dense(8), layers.BatchNormalization(),
                                     layers.Activation("relu"), layers.Dense(3, activation="softmax")]))
    sentinel = np.full(model.layers[0].kernel.shape, 7.0, dtype=np.float32)
    model.layers[0].kernel.grad = sentinel
    before = [w.copy() for w in model.get_weights()]
    norms = inspect.gradient_norms(model, x, y)
    assert set(norms) == {model.layers[0].name, model.layers[1].name, model.layers[3].name}
    assert all(v > 0 for v in norms.values())
    for w, b in zip(model.get_weights(), before):        # BatchNormalization's moving stats included
        np.testing.assert_array_equal(w, b)
    assert model.layers[0].kernel.grad is sentinel
    assert all(w.grad is None for w in model.weights[1:])


def test_gradient_norms_do_not_change_a_later_fit():
    """Dropout's masks are drawn in the training-mode pass, then every generator is put back."""
    x, y = blobs(80)

    def train(look_first):
        snn.utils.set_random_seed(3)
        model = compiled(snn.Sequential([layers.Input((10,)), layers.Dense(16, activation="relu"),
                                         layers.Dropout(0.3), layers.Dense(16, activation="relu"),
                                         layers.Dropout(0.2, seed=5), layers.Dense(3, activation="softmax")]))
        if look_first:
            assert len(inspect.gradient_norms(model, x[:20], y[:20])) == 3
        quiet_fit(model, x, y, epochs=1, batch_size=16)
        return model.get_weights()

    for a, b in zip(train(False), train(True)):
        np.testing.assert_array_equal(a, b)


def test_gradient_norms_need_a_loss_and_matching_targets():
    x, y = blobs(10)
    model = mlp()
    with pytest.raises(ValueError, match="has no loss"):
        inspect.gradient_norms(model, x, y)
    assert set(inspect.gradient_norms(model, x, y, loss="sparse_categorical_crossentropy")) == \
        {layer.name for layer in model.layers}
    with pytest.raises(ValueError, match="one target per sample"):
        inspect.gradient_norms(compiled(model), x, y[:5])


# ------------------------------------------------------------------ TrainingMonitor
def test_monitor_statistics_at_initialization_match_direct_computations():
    x, y = blobs(64)
    model = compiled(mlp(), optimizers.SGD(learning_rate=0.1))
    init = compiled(mlp(), optimizers.SGD(learning_rate=0.1))   # same seed: the same initial weights
    monitor = inspect.TrainingMonitor(every=1000)
    quiet_fit(model, x, y, epochs=1, batch_size=16, shuffle=False, callbacks=[monitor])
    assert monitor.steps == [0, 4]                               # initialization, then the end of fit
    first = x[:16]
    acts = inspect.layer_activations(init, first)
    grads = inspect.gradient_norms(init, first, y[:16])
    for layer, ref in zip(model.layers, init.layers):        # twin models: same weights, other names
        name, w0, a0 = layer.name, ref.kernel.data, acts[ref.name]
        row = next(r for r in monitor.records if r["step"] == 0 and r["layer"] == name)
        assert row["activation_mean"] == pytest.approx(a0.mean(), rel=1e-5)
        assert row["activation_std"] == pytest.approx(a0.std(), rel=1e-5)
        assert row["weight_mean"] == pytest.approx(w0.mean(), rel=1e-5, abs=1e-7)
        assert row["weight_std"] == pytest.approx(w0.std(), rel=1e-5)
        assert row["gradient_norm"] == pytest.approx(grads[ref.name], rel=1e-4)
        # plain SGD: W1 - W0 = -lr * dL/dW, so ||W1 - W0|| / ||W0|| = lr * ||dL/dW|| / ||W0||
        assert row["update_ratio"] == pytest.approx(0.1 * grads[ref.name] / np.linalg.norm(w0), rel=1e-3)
        hist = monitor.histogram(name, "weights", "init")
        w64 = w0.astype(np.float64)
        counts, edges = np.histogram(w64, bins=30, range=(w64.min(), w64.max()))
        np.testing.assert_array_equal(hist["counts"], counts)
        np.testing.assert_allclose(hist["edges"], edges, rtol=1e-6)
    dead = [r["dead_fraction"] for r in monitor.records if r["step"] == 0 and "dead_fraction" in r]
    want = [float(np.mean(np.all(acts[ref.name] == 0, axis=0))) for ref in init.layers[:2]]
    assert dead == pytest.approx(want)
    assert not any("dead_fraction" in r for r in monitor.records if r["layer"] == model.layers[-1].name)
    final = [r for r in monitor.records if r["step"] == 4]
    assert all(r["batch"] is None and "gradient_norm" not in r and "update_ratio" not in r for r in final)
    np.testing.assert_allclose(final[0]["weight_std"], model.layers[0].kernel.data.std(), rtol=1e-5)


def test_monitor_schedule_series_and_columns():
    x, y = blobs(100)
    model = compiled(mlp())
    every_5 = inspect.TrainingMonitor(every=5)
    per_epoch = inspect.TrainingMonitor(every="epoch", x_probe=x[:10])
    quiet_fit(model, x, y, epochs=2, batch_size=20, callbacks=[every_5, per_epoch])
    assert every_5.steps == [0, 5, 10]                           # 10 steps in all, + the final record
    assert per_epoch.steps == [0, 5, 10]
    assert [r["epoch"] for r in per_epoch.records[::3]] == [0, 1, 1]
    steps, values = every_5.series("gradient_norm", model.layers[1].name)
    np.testing.assert_array_equal(steps, [0, 5])
    assert values.dtype == np.float64 and np.all(values > 0)
    assert set(every_5.series("dead_fraction")) == {model.layers[0].name, model.layers[1].name}
    cols = every_5.to_columns()
    assert set(cols) == {"step", "epoch", "batch", "layer", *inspect.METRICS}
    assert all(len(v) == 9 for v in cols.values())               # 3 records x 3 layers
    assert np.isnan(cols["gradient_norm"][-1]) and cols["batch"][-1] == -1
    with pytest.raises(ValueError, match="unknown metric 'grad'"):
        every_5.series("grad")
    with pytest.raises(ValueError, match="no monitored layer named 'nope'"):
        every_5.series("gradient_norm", "nope")
    assert not model._gradient_hooks                             # the monitor's hook is gone


def test_monitor_does_not_change_training():
    """Probe passes run without a graph in inference mode: the trained weights are bit-identical."""
    x, y = blobs(80)

    def train(callbacks):
        snn.utils.set_random_seed(3)
        model = compiled(snn.Sequential([layers.Input((10,)), layers.Dense(16, activation="relu"),
                                         layers.Dropout(0.3), layers.BatchNormalization(),
                                         layers.Dense(3, activation="softmax")]))
        quiet_fit(model, x, y, epochs=2, batch_size=16, callbacks=callbacks)
        return model.get_weights()

    plain = train([])
    watched = train([inspect.TrainingMonitor(every=2), inspect.Diagnostics(print_fn=None)])
    for a, b in zip(plain, watched):
        np.testing.assert_array_equal(a, b)


def test_monitor_save_and_load(tmp_path):
    x, y = blobs(60)
    model = compiled(mlp())
    monitor = inspect.TrainingMonitor(every=2, path=tmp_path / "run")
    quiet_fit(model, x, y, epochs=1, batch_size=20, callbacks=[monitor])
    with open(tmp_path / "run" / "monitor.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(monitor.records) == 3 * 3
    assert list(rows[0])[:4] == ["step", "epoch", "batch", "layer"]
    assert float(rows[0]["gradient_norm"]) == pytest.approx(monitor.records[0]["gradient_norm"])
    assert rows[-1]["gradient_norm"] == "" and rows[-1]["batch"] == ""
    json.loads((tmp_path / "run" / "monitor.json").read_text())          # strict JSON: no NaN
    loaded = inspect.TrainingMonitor.load(tmp_path / "run")
    assert loaded.layer_names == monitor.layer_names and loaded.steps == monitor.steps
    for metric in ("gradient_norm", "update_ratio", "weight_std"):
        for name in monitor.layer_names:
            np.testing.assert_allclose(loaded.series(metric, name)[1], monitor.series(metric, name)[1])
    np.testing.assert_array_equal(loaded.histogram(0, "activations", "last")["counts"],
                                  monitor.histogram(0, "activations", "last")["counts"])
    with pytest.raises(ValueError, match="not a file written by TrainingMonitor.save"):
        (tmp_path / "other.json").write_text("{}")
        inspect.TrainingMonitor.load(tmp_path / "other.json")


@pytest.mark.parametrize("kwargs, match", [
    ({"every": 0}, "every must be 'epoch' or a positive integer"),
    ({"every": "batch"}, "every must be 'epoch'"),
    ({"probe_size": -1}, "probe_size must be a positive integer, got -1"),
    ({"bins": 2.5}, "bins must be a positive integer"),
    ({"x_probe": np.zeros((0, 3))}, "x_probe holds no samples"),
])
def test_monitor_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        inspect.TrainingMonitor(**kwargs)


def test_monitor_selected_layers():
    x, y = blobs(40)
    model = compiled(mlp())
    monitor = inspect.TrainingMonitor(layers=[model.layers[2].name, 0])
    quiet_fit(model, x, y, epochs=1, batch_size=20, callbacks=[monitor])
    assert monitor.layer_names == [model.layers[0].name, model.layers[2].name]
    with pytest.raises(ValueError, match="no layer named 'missing'"):
        quiet_fit(model, x, y, epochs=1, callbacks=[inspect.TrainingMonitor(layers=["missing"])])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"x_probe has shape \(4, 7\), but the model expects"):
        quiet_fit(model, x, y, epochs=1, callbacks=[inspect.TrainingMonitor(x_probe=np.zeros((4, 7)))])
    for w, b in zip(model.get_weights(), before):                  # refused before any step
        np.testing.assert_array_equal(w, b)


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


# ------------------------------------------------------------------ figures
@pytest.fixture(scope="module")
def trained_monitor():
    x, y = blobs(120)
    model = compiled(mlp(hidden=(16, 8)))
    monitor = inspect.TrainingMonitor(every=3)
    quiet_fit(model, x, y, epochs=2, batch_size=20, callbacks=[monitor])
    return model, monitor


def axes_by_gid(fig):
    return {ax.get_gid(): ax for ax in fig.axes if ax.get_gid()}


def test_plot_gradient_norms(trained_monitor, tmp_path):
    from scratchnn import plot
    model, monitor = trained_monitor
    fig = plot.gradient_norms(monitor, path=tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    gids = axes_by_gid(fig)
    over, per_layer = gids["gradient-norms-over-steps"], gids["gradient-norms-per-layer"]
    assert over.get_yscale() == "log" and "gradient norm (L2)" in over.get_ylabel()
    lines = {ln.get_label(): ln for ln in over.get_lines()}
    assert list(lines) == monitor.layer_names
    for name, line in lines.items():
        steps, values = monitor.series("gradient_norm", name)
        np.testing.assert_array_equal(line.get_xdata(), steps)
        np.testing.assert_allclose(line.get_ydata(), values)
    start = per_layer.get_lines()[0].get_ydata()
    np.testing.assert_allclose(start, [monitor.series("gradient_norm", n)[1][0] for n in monitor.layer_names])


def test_plot_weight_histograms_dead_units_and_update_ratios(trained_monitor):
    from scratchnn import plot
    model, monitor = trained_monitor
    gids = axes_by_gid(plot.weight_histograms(monitor))
    assert set(gids) == {f"weights-{n}" for n in monitor.layer_names}
    ax = gids[f"weights-{monitor.layer_names[0]}"]
    assert "std" in ax.get_title() and ax.get_xlabel() == "weight value"
    dead = axes_by_gid(plot.dead_units(monitor))["dead-units"]
    assert [ln.get_label() for ln in dead.get_lines()] == monitor.layer_names[:2]      # ReLU layers only
    np.testing.assert_allclose(dead.get_lines()[0].get_ydata(),
                               100 * monitor.series("dead_fraction", monitor.layer_names[0])[1])
    ratios = axes_by_gid(plot.update_ratios(monitor))["update-ratios"]
    rule = [ln for ln in ratios.get_lines() if ln.get_gid() == "rule-of-thumb"]
    assert len(rule) == 1 and tuple(rule[0].get_ydata()) == (1e-3, 1e-3)
    assert ratios.get_yscale() == "log"


def test_plot_activation_histograms_from_arrays_and_monitor(trained_monitor):
    from scratchnn import plot
    model, monitor = trained_monitor
    x, _ = blobs(50)
    acts = inspect.layer_activations(model, x)
    fig = plot.activation_histograms(acts, bins=20)
    gids = axes_by_gid(fig)
    assert list(gids) == [f"activations-{n}" for n in acts]
    lo = min(float(v.min()) for v in acts.values())
    hi = max(float(v.max()) for v in acts.values())
    for name, values in acts.items():                               # shares of values in common bins
        heights, edges, _ = gids[f"activations-{name}"].patches[0].get_data()
        counts, want_edges = np.histogram(values.astype(np.float64), bins=20, range=(lo, hi))
        np.testing.assert_allclose(edges, want_edges, rtol=1e-6)
        np.testing.assert_allclose(heights, counts / values.size, atol=1e-12)
    assert len({gids[g].get_xlim() for g in gids}) == 1             # one shared x range
    assert "mean" in gids[f"activations-{model.layers[0].name}"].texts[0].get_text()
    from_monitor = axes_by_gid(plot.activation_histograms(monitor, at="init"))
    assert list(from_monitor) == [f"activations-{n}" for n in monitor.layer_names]


def test_plot_activation_histograms_of_a_monitor_in_common_bins(trained_monitor):
    """The monitor's own bins (30) are spread over 50 common bins by overlap, leaving no false gaps."""
    from scratchnn import plot
    _, monitor = trained_monitor
    gids = axes_by_gid(plot.activation_histograms(monitor, at="last", bins=50))
    for name in monitor.layer_names:
        source = monitor.histogram(name, "activations", "last")
        e, c = source["edges"], source["counts"].astype(np.float64)
        heights, edges, _ = gids[f"activations-{name}"].patches[0].get_data()
        want = np.array([sum(c[i] * max(0.0, min(e[i + 1], hi) - max(e[i], lo)) / (e[i + 1] - e[i])
                             for i in range(len(c))) for lo, hi in zip(edges[:-1], edges[1:])])
        np.testing.assert_allclose(heights, want / c.sum(), atol=1e-12)


def test_plot_explanation_shows_the_probabilities():
    from scratchnn import plot
    x, _ = blobs(3)
    model = mlp()
    e = inspect.explain(model, x[0], temperature=2.0)
    fig = e.plot()
    gids = axes_by_gid(fig)
    assert set(gids) == {"probabilities", "output-input"} | {f"output-{layer.name}" for layer in model.layers}
    bars = sorted((p.get_width() for p in gids["probabilities"].patches), reverse=True)
    np.testing.assert_allclose(bars, np.sort(e.probabilities)[::-1])
    assert "T = 2" in gids["probabilities"].get_title()
    assert plot.explanation is not None


def test_plots_refuse_an_empty_monitor():
    from scratchnn import plot
    with pytest.raises(ValueError, match="the monitor has no records yet"):
        plot.gradient_norms(inspect.TrainingMonitor())
    with pytest.raises(TypeError, match="expects a scratchnn.inspect.TrainingMonitor"):
        plot.update_ratios({"loss": [1.0]})


def test_import_scratchnn_does_not_load_matplotlib():
    import subprocess
    import sys
    code = ("import sys, scratchnn; from scratchnn.inspect import TrainingMonitor; "
            "assert scratchnn.inspect.TrainingMonitor is TrainingMonitor; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
