"""The ``TrainingMonitor`` callback (``scratchnn/inspect/monitor.py``): statistics against direct
computations, schedule, columns, no effect on training, save and load, arguments.
"""
import csv
import json

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import inspect, layers, optimizers

from tests.inspect.helpers import blobs, compiled, mlp, quiet_fit


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
