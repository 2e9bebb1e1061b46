"""Saving and loading: the ``.scratchnn`` file, weights files, JSON architectures, custom objects,
atomic writes (including SIGKILL in the middle of a save), and a loader that trusts nothing.

Every broken or hostile file must raise ``ModelFormatError`` naming the faulty part, fast and
without allocating what the file asks for; no other exception type may escape ``load_model``
(hypothesis fuzzes this). Custom objects are registered inside the tests only, and the
registry is restored after each test.
"""
import collections
import copy
import json
import math
import os
import random
import resource
import select
import signal
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import scratchnn as snn
from scratchnn import initializers, losses, optimizers, regularizers
from scratchnn.registry import custom
from scratchnn.layers import Activation, Dense, Dropout, Flatten, Layer, LeakyReLU
from scratchnn.layers import base as layer_base
from scratchnn.models import load_model, model_from_json
from scratchnn.optimizers.schedules import ExponentialDecay
from scratchnn.saving import ModelFormatError, register_serializable
from scratchnn.saving import archive as saving_archive
from scratchnn.saving import atomic as saving_atomic
from scratchnn.utils import set_random_seed

WORKER = Path(__file__).resolve().parent / "_saving_worker.py"
MEMBERS = ("metadata.json", "config.json", "model.safetensors", "optimizer.safetensors")


# ----------------------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def clean_registry():
    """Every test starts and ends with the registry of custom objects it found."""
    saved = dict(custom.objects)
    yield
    custom.objects.clear()
    custom.objects.update(saved)


@pytest.fixture(autouse=True)
def quiet_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4, 3)).astype(np.float32)
    y = (x.reshape(n, -1).sum(axis=1) > 0).astype(np.int64) + (x[:, 0, 0] > 0.5)
    return x, y


X, Y = data()


def rich_model(optimizer, seed=0, fit=True):
    """A trained Sequential with every kind of thing a config must carry."""
    set_random_seed(seed)
    model = snn.Sequential([
        Flatten(input_shape=(4, 3)),
        Dense(16, activation="relu", kernel_initializer=initializers.HeNormal(seed=3),
              kernel_regularizer=regularizers.L2(1e-3), bias_regularizer=regularizers.L1(1e-4)),
        Dropout(0.25),
        Dense(8, activation="tanh", kernel_regularizer=regularizers.L1L2(l1=1e-4, l2=1e-4)),
        LeakyReLU(0.1),
        Dense(3),
        Activation("softmax"),
    ])
    model.compile(optimizer=optimizer, loss=losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy", snn.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")])
    if fit:
        model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    return model


def small_model(seed=0, compile=True):
    set_random_seed(seed)
    model = snn.Sequential([Flatten(input_shape=(2, 2)), Dense(5, activation="relu"),
                            Dense(3, activation="softmax")])
    if compile:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        x = np.random.default_rng(seed).normal(size=(8, 2, 2)).astype(np.float32)
        model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    return model


def weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(u.dtype == v.dtype and np.array_equal(u, v) for u, v in zip(wa, wb))


def optimizer_state(model):
    """``(iterations, {global: value}, [{slot: array} per weight])`` of the model's optimizer."""
    opt = model.optimizer
    return (opt.iterations, dict(opt.global_state()),
            [{k: v.copy() for k, v in opt.state(w).items()} for w in model.weights])


def read_members(path):
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """``members``: a dict or a list of ``(name, bytes)`` pairs (a list may repeat a name)."""
    items = members.items() if isinstance(members, dict) else members
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # "Duplicate name" is what we want here
        with zipfile.ZipFile(path, "w", compression) as zf:
            for name, payload in items:
                zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), payload,
                            compress_type=compression)
    return path


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def expect_format_error(path, part, *words, **load_kwargs):
    """``load_model(path)`` raises ModelFormatError about ``part`` mentioning ``words``, quickly."""
    start = time.perf_counter()
    with pytest.raises(ModelFormatError) as info:
        load_model(path, **load_kwargs)
    elapsed = time.perf_counter() - start
    err = info.value
    assert isinstance(err, ValueError)
    assert err.part == part, f"part {err.part!r}, expected {part!r}: {err}"
    for word in words:
        assert word.lower() in str(err).lower(), f"{word!r} not in: {err}"
    assert elapsed < 2.0, f"took {elapsed:.2f} s to reject"
    assert layer_base._weight_budget.get() is None
    return err


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """A valid small model file: its path, raw bytes, members, config and weights."""
    path = tmp_path_factory.mktemp("valid") / "small.scratchnn"
    model = small_model()
    model.save(path)
    members = read_members(path)
    return {"path": path, "raw": path.read_bytes(), "members": members, "model": model,
            "config": json.loads(members["config.json"]), "weights": st_load(members["model.safetensors"]),
            "optimizer": st_load(members["optimizer.safetensors"])}


def with_members(valid, tmp_path, name="broken.scratchnn", **changes):
    """The valid file with some members replaced (``None`` removes one); keyword names use
    ``_`` for ``.`` (``config_json=...``)."""
    members = dict(valid["members"])
    for key, value in changes.items():
        member = key.replace("_json", ".json").replace("_safetensors", ".safetensors")
        if value is None:
            members.pop(member)
        else:
            members[member] = value if isinstance(value, bytes) else json.dumps(value).encode()
    return write_zip(tmp_path / name, members)


def with_config(valid, tmp_path, edit):
    config = copy.deepcopy(valid["config"])
    edit(config)
    return with_members(valid, tmp_path, config_json=config)


# ============================================================================ 1. round trip
ROUND_TRIP_OPTIMIZERS = {
    "sgd-momentum": lambda: optimizers.SGD(ExponentialDecay(0.05, decay_steps=4, decay_rate=0.9),
                                           momentum=0.9, nesterov=True, clipnorm=1.0),
    "adam-amsgrad": lambda: optimizers.Adam(ExponentialDecay(1e-2, decay_steps=5, decay_rate=0.9),
                                            amsgrad=True, clipnorm=1.0),
    "rmsprop": lambda: optimizers.RMSprop(1e-3, momentum=0.5, centered=True),
    "nadam": lambda: optimizers.Nadam(2e-3, clipvalue=0.5),
    "adagrad": lambda: optimizers.Adagrad(0.05),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "adamax": lambda: optimizers.Adamax(2e-3, global_clipnorm=1.0),
    "adamw": lambda: optimizers.AdamW(1e-3, weight_decay=0.01, amsgrad=True),
}


def test_round_trip_predictions_config_and_compile_settings(tmp_path):
    original = rich_model(ROUND_TRIP_OPTIMIZERS["adam-amsgrad"]())
    path = tmp_path / "rich.scratchnn"
    assert original.save(path) == os.fspath(path)
    assert sorted(read_members(path)) == sorted(MEMBERS)
    loaded = load_model(path)

    assert type(loaded) is snn.Sequential
    assert loaded is not original and loaded.built
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in original.layers]
    assert loaded.get_config() == original.get_config()
    assert weights_equal(loaded, original)
    x = data(20, seed=5)[0]
    assert np.array_equal(loaded.predict(x, verbose=0), original.predict(x, verbose=0))
    # regularizers and the initializer came back as the same objects
    dense = loaded.layers[1]
    assert isinstance(dense.kernel_regularizer, regularizers.L2)
    assert dense.kernel_regularizer.get_config() == original.layers[1].kernel_regularizer.get_config()
    assert isinstance(dense.kernel_initializer, initializers.HeNormal)
    assert len(loaded.losses) == len(original.losses) == 3
    assert float(sum(p.data for p in loaded.losses)) == float(sum(p.data for p in original.losses))

    # compile settings: optimizer class and hyper-parameters (schedule included), loss, metrics
    assert loaded.compiled
    assert type(loaded.optimizer) is optimizers.Adam
    assert loaded.optimizer.get_config() == original.optimizer.get_config()
    assert loaded.optimizer.amsgrad and loaded.optimizer.clipnorm == 1.0
    assert isinstance(loaded.optimizer._learning_rate, ExponentialDecay)
    assert loaded.optimizer.learning_rate == original.optimizer.learning_rate
    assert type(loaded.loss) is losses.SparseCategoricalCrossentropy
    assert loaded.loss.get_config() == original.loss.get_config()
    assert loaded.loss.get_config()["from_logits"] is False
    assert loaded.loss_weight == original.loss_weight
    assert loaded.evaluate(X, Y, verbose=0) == original.evaluate(X, Y, verbose=0)
    loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert loaded.metrics_names == original.metrics_names == ["loss", "accuracy", "top2"]


def test_from_logits_loss_is_restored(tmp_path):
    set_random_seed(0)
    model = snn.Sequential([Dense(3, input_shape=(4,))])
    model.compile(optimizer=optimizers.SGD(0.1), loss=losses.CategoricalCrossentropy(from_logits=True,
                                                                                        label_smoothing=0.1))
    model.save(tmp_path / "m.scratchnn")
    loaded = load_model(tmp_path / "m.scratchnn")
    assert type(loaded.loss) is losses.CategoricalCrossentropy
    assert loaded.loss.get_config() == model.loss.get_config()
    assert loaded.loss.get_config()["from_logits"] is True
    assert type(loaded.optimizer) is optimizers.SGD
    assert loaded.optimizer.get_config() == model.optimizer.get_config()


@pytest.mark.parametrize("name", list(ROUND_TRIP_OPTIMIZERS))
def test_optimizer_state_round_trip_and_fit_continues_identically(tmp_path, name):
    original = rich_model(ROUND_TRIP_OPTIMIZERS[name]())
    path = tmp_path / f"{name}.scratchnn"
    original.save(path)
    loaded = load_model(path)

    iterations, globals_, slots = optimizer_state(original)
    l_iterations, l_globals, l_slots = optimizer_state(loaded)
    assert iterations == 6 and l_iterations == iterations
    assert l_globals == globals_
    if name == "nadam":
        assert set(globals_) == {"u_product"} and globals_["u_product"] != 1.0
    n_slots = len(original.optimizer.slot_specs())
    assert n_slots > 0
    assert all(len(s) == n_slots for s in slots), "every weight should have its slots after fitting"
    for i, (mine, theirs) in enumerate(zip(slots, l_slots)):
        assert mine.keys() == theirs.keys(), f"weight {i}"
        for slot in mine:
            assert theirs[slot].dtype == mine[slot].dtype
            assert np.array_equal(theirs[slot], mine[slot]), f"weight {i} slot {slot}"
            assert np.any(mine[slot] != 0) or slot == "accumulator", f"weight {i} slot {slot} is all zero"

    set_random_seed(11)
    h_original = original.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    set_random_seed(11)
    h_loaded = loaded.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert original.optimizer.iterations == loaded.optimizer.iterations == 12
    assert weights_equal(loaded, original), "fit after loading differs from fit of the original"
    assert h_loaded.history == h_original.history
    assert loaded.metrics_names == original.metrics_names
    for i, (mine, theirs) in enumerate(zip(optimizer_state(original)[2], optimizer_state(loaded)[2])):
        assert all(np.array_equal(mine[slot], theirs[slot]) for slot in mine), f"weight {i} after fit"


def test_fit_continues_differently_without_the_optimizer_state(tmp_path):
    """Control for the test above: the restored state really matters."""
    original = rich_model(ROUND_TRIP_OPTIMIZERS["adam-amsgrad"]())
    original.save(tmp_path / "m.scratchnn", include_optimizer=False)
    loaded = load_model(tmp_path / "m.scratchnn")
    loaded.compile(optimizer=ROUND_TRIP_OPTIMIZERS["adam-amsgrad"](), loss="sparse_categorical_crossentropy")
    set_random_seed(11)
    original.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    set_random_seed(11)
    loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert not weights_equal(loaded, original)


def test_include_optimizer_false_writes_no_optimizer_and_loads_uncompiled(tmp_path):
    original = rich_model(optimizers.Adam(1e-3))
    path = original.save(tmp_path / "m.scratchnn", include_optimizer=False)
    assert sorted(read_members(path)) == ["config.json", "metadata.json", "model.safetensors"]
    assert json.loads(read_members(path)["config.json"])["compile_config"] is None
    loaded = load_model(path)
    assert not loaded.compiled and loaded.optimizer is None
    assert weights_equal(loaded, original)
    assert np.array_equal(loaded.predict(X, verbose=0), original.predict(X, verbose=0))
    with pytest.raises(RuntimeError, match="compile"):
        loaded.fit(X, Y, verbose=0)


def test_uncompiled_model_round_trip(tmp_path):
    model = small_model(compile=False)
    path = model.save(tmp_path / "m.scratchnn")
    assert "optimizer.safetensors" not in read_members(path)
    loaded = load_model(path)
    assert not loaded.compiled
    assert weights_equal(loaded, model)
    x = np.random.default_rng(3).normal(size=(5, 2, 2)).astype(np.float32)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_with_compile_false(tmp_path):
    original = rich_model(optimizers.Nadam(1e-3))
    original.save(tmp_path / "m.scratchnn")
    loaded = load_model(tmp_path / "m.scratchnn", compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    assert weights_equal(loaded, original)
    assert np.array_equal(loaded.predict(X, verbose=0), original.predict(X, verbose=0))


def test_unbuilt_model_cannot_be_saved(tmp_path):
    model = snn.Sequential([Dense(3)])
    with pytest.raises(ValueError, match="not built"):
        model.save(tmp_path / "m.scratchnn")
    with pytest.raises(ValueError, match="not built"):
        model.save_weights(tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_plain_callable_learning_rate_refuses_to_save(tmp_path):
    model = rich_model(optimizers.SGD(lambda step: 0.01), fit=False)
    with pytest.raises(ValueError, match="include_optimizer=False"):
        model.save(tmp_path / "m.scratchnn")
    assert list(tmp_path.iterdir()) == []
    model.save(tmp_path / "m.scratchnn", include_optimizer=False)
    assert not load_model(tmp_path / "m.scratchnn").compiled


def test_saving_twice_gives_the_same_content(tmp_path):
    """(Not byte-identical: safetensors writes its __metadata__ in hash-map order.)"""
    model = small_model()
    a = read_members(model.save(tmp_path / "a.scratchnn"))
    b = read_members(model.save(tmp_path / "b.scratchnn"))
    assert a["config.json"] == b["config.json"]
    for name in ("model.safetensors", "optimizer.safetensors"):
        ta, tb = st_load(a[name]), st_load(b[name])
        assert ta.keys() == tb.keys() and all(np.array_equal(ta[k], tb[k]) for k in ta), name
    meta = json.loads(a["metadata.json"])
    assert meta["format"] == "scratchnn.model" and meta["format_version"] == saving_archive.FORMAT_VERSION


# ============================================================================ 2. weights files
def test_save_weights_load_weights_round_trip(tmp_path):
    model = rich_model(optimizers.Adam(1e-3))
    path = model.save_weights(tmp_path / "w.safetensors")
    tensors = st_load(Path(path).read_bytes())
    assert len(tensors) == len(model.weights)
    other = rich_model(optimizers.Adam(1e-3), seed=9, fit=False)
    assert not weights_equal(other, model)
    other.load_weights(path)
    assert weights_equal(other, model)
    assert np.array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))


def test_load_weights_from_a_model_file(tmp_path):
    model = rich_model(optimizers.Adam(1e-3))
    model.save(tmp_path / "m.scratchnn")
    other = rich_model(optimizers.Adam(1e-3), seed=9, fit=False)
    other.load_weights(tmp_path / "m.scratchnn")
    assert weights_equal(other, model)


def _other_architecture(seed=5):
    """The small model's first layer, but 4 units in the second Dense instead of 3."""
    set_random_seed(seed)
    return snn.Sequential([Flatten(input_shape=(2, 2)), Dense(5, activation="relu"), Dense(4)])


@pytest.mark.parametrize("source", ["weights", "model"])
def test_load_weights_into_another_architecture_names_the_weight_and_changes_nothing(tmp_path, source):
    model = small_model()
    path = (model.save_weights(tmp_path / "w.safetensors") if source == "weights"
            else model.save(tmp_path / "m.scratchnn"))
    target = _other_architecture()
    before = target.get_weights()
    with pytest.raises(ModelFormatError) as info:
        target.load_weights(path)
    message = str(info.value)
    kernel = target.layers[2].kernel.name           # the first weight whose shape differs
    assert kernel in message and "[5, 3]" in message and "[5, 4]" in message, message
    assert info.value.part == ("file" if source == "weights" else "model.safetensors")
    after = target.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after)), "load_weights wrote part of the weights"


def test_load_weights_with_a_different_number_of_weights_changes_nothing(tmp_path):
    path = small_model().save_weights(tmp_path / "w.safetensors")
    set_random_seed(3)
    target = snn.Sequential([Flatten(input_shape=(2, 2)), Dense(5), Dense(3), Dense(3)])
    before = target.get_weights()
    with pytest.raises(ModelFormatError, match="4 weight tensors; the model has 6"):
        target.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))


def test_load_weights_refuses_another_dtype(tmp_path):
    path = small_model().save_weights(tmp_path / "w.safetensors")
    set_random_seed(3)
    target = snn.Sequential([Flatten(input_shape=(2, 2), dtype="float64"), Dense(5, dtype="float64"),
                             Dense(3, dtype="float64")])
    before = target.get_weights()
    with pytest.raises(ModelFormatError, match="float64"):
        target.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))


@pytest.mark.parametrize("content", [b"", b"\x00" * 7, b"not a safetensors file at all",
                                     b"PK\x03\x04 a broken zip"])
def test_load_weights_from_garbage_raises_model_format_error(tmp_path, content):
    path = tmp_path / "w.safetensors"
    path.write_bytes(content)
    model = small_model(compile=False)
    before = model.get_weights()
    with pytest.raises(ModelFormatError) as info:
        model.load_weights(path)
    assert info.value.part == "file"
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_load_weights_from_truncated_weights_file(tmp_path):
    raw = Path(small_model().save_weights(tmp_path / "w.safetensors")).read_bytes()
    model = small_model(seed=4, compile=False)
    before = model.get_weights()
    for cut in sorted({1, 8, 9, len(raw) // 3, len(raw) // 2, len(raw) - 1}):
        (tmp_path / "cut.safetensors").write_bytes(raw[:cut])
        with pytest.raises(ModelFormatError):
            model.load_weights(tmp_path / "cut.safetensors")
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_load_weights_needs_a_built_model(tmp_path):
    path = small_model().save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="built"):
        snn.Sequential([Flatten(), Dense(5), Dense(3)]).load_weights(path)


# ============================================================================ 3. JSON architecture
def test_to_json_and_model_from_json(tmp_path):
    original = rich_model(optimizers.Adam(1e-3))
    text = original.to_json()

    def reject(constant):
        raise AssertionError(f"{constant} in the JSON")

    spec = json.loads(text, parse_constant=reject)
    assert spec["class_name"] == "Sequential" and "weights" not in spec
    assert "NaN" not in text and "Infinity" not in text
    rebuilt = model_from_json(text)
    assert type(rebuilt) is snn.Sequential and rebuilt.built
    assert rebuilt.get_config() == original.get_config()
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in original.get_weights()]
    assert not weights_equal(rebuilt, original), "model_from_json must give fresh weights"
    assert not rebuilt.compiled
    assert rebuilt.predict(X, verbose=0).shape == (len(X), 3)
    assert json.loads(original.to_json(indent=2)) == spec


def test_model_with_a_non_finite_hyper_parameter_cannot_be_saved(tmp_path):
    set_random_seed(0)
    model = snn.Sequential([Flatten(input_shape=(2, 2)), snn.layers.ReLU(threshold=float("nan"))])
    with pytest.raises(ValueError):
        model.to_json()
    with pytest.raises(ValueError):
        model.save(tmp_path / "m.scratchnn")
    assert list(tmp_path.iterdir()) == []


def test_model_from_json_rejects_nan():
    text = small_model(compile=False).to_json().replace('"units": 5', '"units": NaN')
    with pytest.raises(ValueError):
        model_from_json(text)


# ============================================================================ 4. custom objects
class SavingTestScale(Layer):
    """Multiplies by a learned per-feature scale, times a fixed ``factor``."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), initializer="random_normal")

    def call(self, inputs, training=False):
        return inputs * self.scale * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def saving_test_half_relu(x):
    return snn.functional.relu(x) * 0.5


def saving_test_loss(y_true, y_pred):
    return losses.sparse_categorical_crossentropy(y_true, y_pred) * 2.0


def saving_test_metric(y_true, y_pred):
    return snn.metrics.sparse_categorical_accuracy(y_true, y_pred)


class SavingTestNet(snn.Model):
    """A subclassed model with a custom layer inside."""

    def __init__(self, hidden=6, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.factor = hidden, factor
        self.flatten = Flatten()
        self.body = Dense(hidden, activation="relu")
        self.scale = SavingTestScale(factor)
        self.head = Dense(3, activation="softmax")

    def call(self, x, training=False):
        return self.head(self.scale(self.body(self.flatten(x))))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden, "factor": self.factor}


def register_all():
    for obj in (SavingTestScale, saving_test_half_relu, saving_test_loss, saving_test_metric, SavingTestNet):
        assert register_serializable()(obj) is obj


def custom_sequential(seed=0, loss="sparse_categorical_crossentropy"):
    set_random_seed(seed)
    model = snn.Sequential([Flatten(input_shape=(4, 3)), Dense(6, activation=saving_test_half_relu),
                            SavingTestScale(0.5), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy", saving_test_metric])
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    return model


def test_registered_custom_layer_activation_and_metric_round_trip(tmp_path):
    register_all()
    model = custom_sequential()
    model.save(tmp_path / "c.scratchnn")
    config = json.loads(read_members(tmp_path / "c.scratchnn")["config.json"])
    assert config["config"]["layers"][2]["class_name"] == "SavingTestScale"
    assert config["config"]["layers"][1]["config"]["activation"] == "saving_test_half_relu"
    loaded = load_model(tmp_path / "c.scratchnn")
    assert isinstance(loaded.layers[2], SavingTestScale) and loaded.layers[2].factor == 0.5
    assert loaded.layers[1].activation is saving_test_half_relu
    assert loaded.get_config() == model.get_config()
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    set_random_seed(2)
    h_model = model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    set_random_seed(2)
    h_loaded = loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert weights_equal(loaded, model)
    assert loaded.metrics_names == model.metrics_names == ["loss", "accuracy", "saving_test_metric"]
    assert h_loaded.history == h_model.history


def test_registered_custom_loss_function_round_trip(tmp_path):
    register_all()
    model = custom_sequential(loss=saving_test_loss)
    model.save(tmp_path / "c.scratchnn")
    loaded = load_model(tmp_path / "c.scratchnn")
    assert isinstance(loaded.loss, losses.LossFunctionWrapper) and loaded.loss.function is saving_test_loss
    set_random_seed(2)
    h_model = model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    set_random_seed(2)
    h_loaded = loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert weights_equal(loaded, model) and h_loaded.history == h_model.history


def _trained_net(path):
    register_all()
    set_random_seed(0)
    model = SavingTestNet(hidden=7, factor=1.5)
    model.compile(optimizer=optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    model.save(path)
    return model


def test_registered_subclassed_model_round_trip(tmp_path):
    model = _trained_net(tmp_path / "net.scratchnn")
    loaded = load_model(tmp_path / "net.scratchnn", compile=False)
    assert type(loaded) is SavingTestNet and loaded.hidden == 7 and loaded.factor == 1.5
    assert loaded.built and weights_equal(loaded, model)
    assert isinstance(loaded.scale, SavingTestScale) and loaded.scale.factor == 1.5
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    # to_json/model_from_json work too for a registered subclassed model
    rebuilt = model_from_json(model.to_json())
    assert type(rebuilt) is SavingTestNet and rebuilt.hidden == 7 and rebuilt.built
    assert not weights_equal(rebuilt, model)


def test_registered_subclassed_model_round_trip_with_optimizer(tmp_path):
    model = _trained_net(tmp_path / "net.scratchnn")
    loaded = load_model(tmp_path / "net.scratchnn")
    assert type(loaded.optimizer) is optimizers.RMSprop and loaded.optimizer.iterations == 3
    _, _, slots = optimizer_state(model)
    _, _, l_slots = optimizer_state(loaded)
    assert all(np.array_equal(a["velocity"], b["velocity"]) for a, b in zip(slots, l_slots))
    set_random_seed(2)
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    set_random_seed(2)
    loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert weights_equal(loaded, model)


def _forget(*names):
    for name in names:
        custom.objects.pop(name)


def test_unregistered_custom_layer_at_load_names_it_and_says_register(tmp_path):
    register_all()
    custom_sequential().save(tmp_path / "c.scratchnn")
    _forget("SavingTestScale")
    err = expect_format_error(tmp_path / "c.scratchnn", "config.json", "SavingTestScale",
                              "register_serializable")
    assert "custom_objects" in str(err)


@pytest.mark.parametrize("name", [
    "saving_test_half_relu", "SavingTestNet", "saving_test_metric", "saving_test_loss"])
def test_unregistered_custom_function_or_model_at_load(tmp_path, name):
    register_all()
    if name == "SavingTestNet":
        set_random_seed(0)
        model = SavingTestNet()
        model.build((None, 4, 3))
        model.save(tmp_path / "c.scratchnn")
    else:
        loss = saving_test_loss if name == "saving_test_loss" else "sparse_categorical_crossentropy"
        custom_sequential(loss=loss).save(tmp_path / "c.scratchnn")
    _forget(name)
    expect_format_error(tmp_path / "c.scratchnn", "config.json", name, "register_serializable")


def test_custom_objects_argument_works_without_registration(tmp_path):
    register_all()
    model = custom_sequential()
    model.save(tmp_path / "c.scratchnn")
    _forget("SavingTestScale", "saving_test_half_relu", "saving_test_loss", "saving_test_metric",
            "SavingTestNet")
    registry = dict(custom.objects)
    scope = {"SavingTestScale": SavingTestScale, "saving_test_half_relu": saving_test_half_relu,
             "saving_test_metric": saving_test_metric}
    loaded = load_model(tmp_path / "c.scratchnn", custom_objects=scope)
    assert isinstance(loaded.layers[2], SavingTestScale)
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert custom.objects == registry, "custom_objects= must not register anything"
    rebuilt = model_from_json(json.dumps(json.loads(read_members(tmp_path / "c.scratchnn")["config.json"])),
                              custom_objects=scope)
    assert isinstance(rebuilt.layers[2], SavingTestScale)
    assert custom.objects == registry


def test_custom_objects_argument_does_not_leak_and_restores_a_shadowed_name(tmp_path):
    register_all()
    custom_sequential().save(tmp_path / "c.scratchnn")

    class Impostor(SavingTestScale):
        pass

    registry = dict(custom.objects)
    loaded = load_model(tmp_path / "c.scratchnn", custom_objects={"SavingTestScale": Impostor})
    assert type(loaded.layers[2]) is Impostor
    assert custom.objects == registry and custom.objects["SavingTestScale"] is SavingTestScale


def test_saving_an_unregistered_subclassed_model_fails_at_save_time_and_writes_nothing(tmp_path):
    set_random_seed(0)
    model = SavingTestNet()
    model.build((None, 4, 3))
    register_serializable()(SavingTestScale)
    with pytest.raises(ValueError, match="SavingTestNet") as info:
        model.save(tmp_path / "net.scratchnn")
    assert "register" in str(info.value) and "save_weights" in str(info.value)
    assert not isinstance(info.value, ModelFormatError)
    with pytest.raises(ValueError, match="SavingTestNet"):
        model.to_json()
    assert list(tmp_path.iterdir()) == []
    model.save_weights(tmp_path / "net.safetensors")         # the numbers alone are fine
    assert [p.name for p in tmp_path.iterdir()] == ["net.safetensors"]


def test_saving_a_sequential_with_an_unregistered_custom_layer_fails_at_save_time(tmp_path):
    set_random_seed(0)
    model = snn.Sequential([Flatten(input_shape=(4, 3)), SavingTestScale(0.5), Dense(3)])
    with pytest.raises(ValueError, match="SavingTestScale"):
        model.save(tmp_path / "m.scratchnn")
    assert list(tmp_path.iterdir()) == []


def test_registry_fixture_really_restores(tmp_path):
    """The autouse fixture removed what earlier tests registered."""
    for name in ("SavingTestScale", "saving_test_half_relu", "saving_test_loss", "saving_test_metric",
                 "SavingTestNet"):
        assert name not in custom.objects


# ============================================================================ 5. atomic writes
def _only(directory, *names):
    assert sorted(p.name for p in directory.iterdir()) == sorted(names)


def test_failed_serialisation_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.scratchnn"
    small_model().save(path)
    old = path.read_bytes()

    def boom(tensors, kind):
        raise RuntimeError("serialisation failed (simulated)")

    monkeypatch.setattr(saving_archive, "tensor_bytes", boom)
    with pytest.raises(RuntimeError, match="simulated"):
        small_model(seed=1).save(path)
    assert path.read_bytes() == old
    _only(tmp_path, "m.scratchnn")


def test_failure_midway_through_the_zip_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.scratchnn"
    small_model().save(path)
    old = path.read_bytes()
    written = []

    class FailingZip(zipfile.ZipFile):
        def writestr(self, zinfo, payload, *args, **kwargs):
            name = getattr(zinfo, "filename", zinfo)
            if name == "model.safetensors":
                raise OSError(28, "No space left on device (simulated)")
            written.append(name)
            return super().writestr(zinfo, payload, *args, **kwargs)

    monkeypatch.setattr(saving_archive.zipfile, "ZipFile", FailingZip)
    with pytest.raises(OSError, match="simulated"):
        small_model(seed=1).save(path)
    assert written == ["metadata.json", "config.json"], "the failure should come midway"
    assert path.read_bytes() == old
    _only(tmp_path, "m.scratchnn")


@pytest.mark.parametrize("what", ["save", "save_weights"])
def test_failure_at_fsync_leaves_the_old_file(tmp_path, monkeypatch, what):
    path = tmp_path / "m.bin"
    model = small_model()
    getattr(model, what)(path)
    old = path.read_bytes()

    def fail(fd):
        raise OSError(5, "I/O error (simulated)")

    monkeypatch.setattr(saving_atomic.os, "fsync", fail)
    with pytest.raises(OSError, match="simulated"):
        getattr(small_model(seed=1), what)(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    _only(tmp_path, "m.bin")


def test_save_into_a_new_directory_and_file_mode(tmp_path):
    path = tmp_path / "a" / "b" / "m.scratchnn"
    small_model().save(path)
    assert load_model(path).built
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    _only(path.parent, "m.scratchnn")


@pytest.mark.parametrize("what", ["save", "save_weights"])
def test_overwrite_false_refuses_an_existing_file(tmp_path, what):
    path = tmp_path / "m.bin"
    model = small_model()
    getattr(model, what)(path)
    old = path.read_bytes()
    with pytest.raises(FileExistsError):
        getattr(small_model(seed=1), what)(path, overwrite=False)
    assert path.read_bytes() == old
    getattr(small_model(seed=1), what)(tmp_path / "new.bin", overwrite=False)   # a new path is fine
    getattr(small_model(seed=1), what)(path)                                   # overwrite=True replaces
    assert path.read_bytes() != old
    _only(tmp_path, "m.bin", "new.bin")


def test_atomic_write_directly(tmp_path):
    path = tmp_path / "f.txt"
    with saving_atomic.atomic_write(path) as f:
        f.write(b"old")
    with pytest.raises(KeyboardInterrupt):
        with saving_atomic.atomic_write(path) as f:
            f.write(b"new, half written")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    _only(tmp_path, "f.txt")


def _readline(stream, timeout):
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, f"the worker said nothing for {timeout} s"
    line = stream.readline()
    assert line, "the worker exited"
    return line.decode().strip()


def _wait_gone(pid, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} still exists {timeout} s after SIGKILL")


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_sigkill_during_saves_never_leaves_a_broken_file(tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(WORKER), str(tmp_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    try:
        assert _readline(proc.stdout, 60) == "refs"
        refs = {name: load_model(tmp_path / f"{name}.scratchnn") for name in "AB"}
        x = np.random.default_rng(0).normal(size=(6, 8, 8)).astype(np.float32)
        expected = {name: model.predict(x, verbose=0) for name, model in refs.items()}
        assert not np.array_equal(expected["A"], expected["B"])
        target = tmp_path / "model.scratchnn"
        rng = random.Random(20240611)
        seen = collections.Counter()
        strays = 0
        for kill in range(30):
            proc.stdin.write(f"go {target}\n".encode())
            proc.stdin.flush()
            word, pid = _readline(proc.stdout, 30).split()
            assert word == "ready"
            pid = int(pid)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)
            try:
                model = load_model(target)
            except ModelFormatError as e:
                raise AssertionError(f"kill {kill}: the file is broken after SIGKILL: {e}") from None
            out = model.predict(x, verbose=0)
            which = [name for name in "AB" if out.shape == expected[name].shape
                     and np.array_equal(out, expected[name])]
            assert len(which) == 1, f"kill {kill}: the file is neither A nor B"
            assert weights_equal(model, refs[which[0]])
            seen[which[0]] += 1
            # at worst a stray temporary file of the interrupted save is left beside the target
            for p in tmp_path.iterdir():
                if p.name not in ("A.scratchnn", "B.scratchnn", "model.scratchnn"):
                    assert p.name.startswith(".model.scratchnn.") and p.name.endswith(".tmp"), p.name
                    p.unlink()
                    strays += 1
        assert seen["A"] and seen["B"], f"the saves did not alternate: {seen}"
        assert strays > 0, "no kill landed in the middle of a write: the test proved nothing"
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ============================================================================ 6. hostile files
@pytest.mark.parametrize("content", [b"", b"\x00", b"PK", b"PK\x05\x06" + b"\x00" * 17,
                                     b"This is a plain text file, not a model.\n" * 20,
                                     bytes(np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8))],
                         ids=["empty", "one-byte", "PK", "short-end-record", "text", "random"])
def test_not_a_zip(tmp_path, content):
    path = tmp_path / "bad.scratchnn"
    path.write_bytes(content)
    expect_format_error(path, "file")


def test_empty_zip_names_the_missing_member(tmp_path):
    path = write_zip(tmp_path / "e.scratchnn", {})
    expect_format_error(path, "metadata.json", "missing")


def test_directory_and_missing_path(tmp_path):
    with pytest.raises(IsADirectoryError):           # OSErrors that are not about the format stay OSErrors
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "does-not-exist.scratchnn")


def test_a_weights_file_is_not_a_model_file(tmp_path):
    path = small_model().save_weights(tmp_path / "w.safetensors")
    expect_format_error(path, "file", "zip")


def test_truncated_at_many_offsets(valid, tmp_path):
    raw = valid["raw"]
    n = len(raw)
    ends = {1, 2, 3, 4, 5, n - 1, n - 2, n - 3, n - 22, n - 23}
    offsets = sorted({int(n * k * 0.07) for k in range(15)} | ends)
    for cut in offsets:
        path = tmp_path / f"cut{cut}.scratchnn"
        path.write_bytes(raw[:cut])
        expect_format_error(path, "file")


def test_trailing_garbage_is_tolerated_or_rejected_cleanly(valid, tmp_path):
    path = tmp_path / "tail.scratchnn"
    path.write_bytes(valid["raw"] + b"garbage" * 10)
    try:
        model = load_model(path)
    except ModelFormatError:
        return
    assert weights_equal(model, valid["model"])


@pytest.mark.parametrize("member", ["metadata.json", "config.json", "model.safetensors"])
def test_missing_member(valid, tmp_path, member):
    members = {k: v for k, v in valid["members"].items() if k != member}
    expect_format_error(write_zip(tmp_path / "m.scratchnn", members), member, "missing")


def test_missing_optimizer_member_loads_with_fresh_optimizer_state(valid, tmp_path):
    path = with_members(valid, tmp_path, optimizer_safetensors=None)
    model = load_model(path)
    assert model.compiled and model.optimizer.iterations == 0
    assert weights_equal(model, valid["model"])


@pytest.mark.parametrize("name,escape", [("notes.txt", False), ("config.json.bak", False), ("../evil", True),
                                         ("/abs", True), ("a/../../evil", True), ("\\evil", True),
                                         ("model/", False)])
def test_unexpected_member(valid, tmp_path, name, escape):
    members = dict(valid["members"])
    members[name] = b"surprise"
    err = expect_format_error(write_zip(tmp_path / "m.scratchnn", members), name,
                              "escapes" if escape else "unexpected")
    assert "escapes" not in str(err) or escape


def test_duplicate_member(valid, tmp_path):
    items = list(valid["members"].items()) + [("config.json", b"{}")]
    expect_format_error(write_zip(tmp_path / "m.scratchnn", items), "file", "twice")


def test_deflated_members_are_fine(valid, tmp_path):
    path = write_zip(tmp_path / "d.scratchnn", valid["members"], zipfile.ZIP_DEFLATED)
    assert weights_equal(load_model(path), valid["model"])


def test_unsupported_compression(valid, tmp_path):
    path = write_zip(tmp_path / "b.scratchnn", valid["members"], zipfile.ZIP_BZIP2)
    expect_format_error(path, "metadata.json", "compression")


def _patch_zip(raw, name, flag_bits=None, size=None, version=None):
    """Rewrite the headers (local and central) of member ``name`` in the zip bytes ``raw``:
    general-purpose flags, uncompressed size, version needed to extract."""
    buf = bytearray(raw)
    encoded = name.encode()
    for signature, name_len_at, flag_at, size_at, name_at, version_at in (
            (b"PK\x03\x04", 26, 6, 22, 30, 4), (b"PK\x01\x02", 28, 8, 24, 46, 6)):
        start = 0
        while (start := buf.find(signature, start)) >= 0:
            (length,) = struct.unpack_from("<H", buf, start + name_len_at)
            if bytes(buf[start + name_at:start + name_at + length]) == encoded:
                if flag_bits is not None:
                    struct.pack_into("<H", buf, start + flag_at, flag_bits)
                if size is not None:
                    struct.pack_into("<I", buf, start + size_at, size)
                if version is not None:
                    struct.pack_into("<H", buf, start + version_at, version)
            start += 4
    return bytes(buf)


def test_zip_version_too_new(valid, tmp_path):
    path = tmp_path / "v.scratchnn"
    path.write_bytes(_patch_zip(valid["raw"], "config.json", version=90))
    expect_format_error(path, "file")


def test_member_with_an_empty_name(valid, tmp_path):
    members = list(valid["members"].items()) + [("", b"nameless")]
    expect_format_error(write_zip(tmp_path / "m.scratchnn", members), "file", "unexpected")


def test_encrypted_member(valid, tmp_path):
    path = tmp_path / "enc.scratchnn"
    path.write_bytes(_patch_zip(valid["raw"], "config.json", flag_bits=0x1))
    expect_format_error(path, "config.json", "encrypted")


def test_declared_size_over_the_limit(valid, tmp_path, monkeypatch):
    monkeypatch.setattr(saving_archive, "MAX_JSON_BYTES", len(valid["members"]["metadata.json"]) + 10)
    expect_format_error(valid["path"], "config.json", "declares", "limit")
    monkeypatch.undo()
    monkeypatch.setattr(saving_archive, "MAX_TENSOR_FILE_BYTES", 100)
    expect_format_error(valid["path"], "model.safetensors", "limit")


def test_zip_bomb_is_refused_by_its_declared_size(valid, tmp_path):
    bomb = b'{"class_name": "Sequential", "config": {}' + b" " * (30 * 2**20) + b"}"
    members = dict(valid["members"], **{"config.json": bomb})
    path = write_zip(tmp_path / "bomb.scratchnn", members, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 2**20
    rss = max_rss_mb()
    expect_format_error(path, "config.json", "declares")
    assert max_rss_mb() - rss < 20


def test_zip_bomb_that_lies_about_its_size(valid, tmp_path):
    """Declares 200 bytes but inflates to 30 MB: only the declared bytes are read, then refused."""
    bomb = b'{"class_name": "Sequential", "config": {}' + b" " * (30 * 2**20) + b"}"
    members = dict(valid["members"], **{"config.json": bomb})
    raw = write_zip(tmp_path / "bomb.scratchnn", members, zipfile.ZIP_DEFLATED).read_bytes()
    path = tmp_path / "liar.scratchnn"
    path.write_bytes(_patch_zip(raw, "config.json", size=200))
    rss = max_rss_mb()
    expect_format_error(path, "config.json")
    assert max_rss_mb() - rss < 20


def test_corrupt_member_data_fails_the_crc(valid, tmp_path):
    raw = bytearray(valid["raw"])
    at = raw.find(b"F32")                       # inside model.safetensors (stored, uncompressed)
    assert at > 0
    raw[at + 200] ^= 0xFF
    path = tmp_path / "crc.scratchnn"
    path.write_bytes(bytes(raw))
    expect_format_error(path, "model.safetensors")


@pytest.mark.parametrize("member", ["config.json", "metadata.json"])
@pytest.mark.parametrize("text", [b"{", b"", b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe{}",
                                  b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
                                  b"[" * 100_000 + b"]" * 100_000],
                         ids=["open", "empty", "words", "list", "string", "bad-utf8", "nan", "inf", "-inf",
                              "deep"])
def test_malformed_json(valid, tmp_path, member, text):
    path = with_members(valid, tmp_path, **{member.replace(".", "_"): text})
    expect_format_error(path, member, "JSON")


def test_nan_in_the_layer_config(valid, tmp_path):
    text = valid["members"]["config.json"].replace(b'"units": 5', b'"units": NaN')
    assert text != valid["members"]["config.json"]
    expect_format_error(with_members(valid, tmp_path, config_json=text), "config.json", "NaN")


@pytest.mark.parametrize("old,new", [(b'"loss_weights": 1.0', b'"loss_weights": 1e400'),
                                     (b'"loss_weights": 1.0', b'"loss_weights": -1e999'),
                                     (b'"units": 5', b'"units": ' + b"7" * 5000)],
                         ids=["1e400", "-1e999", "5000-digits"])
def test_overflowing_json_number_is_rejected(valid, tmp_path, old, new):
    """Not only the NaN/Infinity literals: numbers that overflow a float are refused too."""
    text = valid["members"]["config.json"].replace(old, new)
    assert text != valid["members"]["config.json"]
    expect_format_error(with_members(valid, tmp_path, config_json=text), "config.json")
    with pytest.raises(ValueError):
        model_from_json(json.dumps(valid["config"]).replace(old.decode(), new.decode()))


@pytest.mark.parametrize("meta,words", [
    ({"format": "scratchnn.model", "format_version": 2}, ("newer", "upgrade")),
    ({"format": "scratchnn.model", "format_version": 10**30}, ("upgrade",)),
    ({"format": "scratchnn.model", "format_version": 0}, ("positive",)),
    ({"format": "scratchnn.model", "format_version": "1"}, ("positive",)),
    ({"format": "scratchnn.model", "format_version": True}, ("positive",)),
    ({"format": "scratchnn.model", "format_version": 1.0}, ("positive",)),
    ({"format": "scratchnn.model"}, ("positive",)),
    ({"format": "keras", "format_version": 1}, ("format",)),
    ({}, ("format",)),
])
def test_bad_metadata(valid, tmp_path, meta, words):
    expect_format_error(with_members(valid, tmp_path, metadata_json=meta), "metadata.json", *words)


def test_unknown_layer_class(valid, tmp_path):
    def edit(config):
        config["config"]["layers"][1]["class_name"] = "NoSuchLayer"
    expect_format_error(with_config(valid, tmp_path, edit), "config.json", "NoSuchLayer",
                        "register_serializable")


def test_unknown_model_class(valid, tmp_path):
    def edit(config):
        config["class_name"] = "os.system"
    expect_format_error(with_config(valid, tmp_path, edit), "config.json", "os.system")


def test_layer_class_that_is_not_a_layer(valid, tmp_path):
    register_serializable(name="SavingTestNotALayer")(saving_test_half_relu)

    def edit(config):
        config["config"]["layers"][1]["class_name"] = "SavingTestNotALayer"
    expect_format_error(with_config(valid, tmp_path, edit), "config.json", "SavingTestNotALayer")


def test_weight_shape_differs_from_the_architecture(valid, tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = 4          # 5 -> 4: fits in the budget
    kernel = valid["model"].layers[1].kernel.name
    err = expect_format_error(with_config(valid, tmp_path, edit), "model.safetensors", kernel)
    assert "[4, 5]" in str(err) and "[4, 4]" in str(err)


def test_weight_shape_larger_than_the_file_holds(valid, tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = 50
    expect_format_error(with_config(valid, tmp_path, edit), "config.json", "kernel")


def test_weights_swapped_for_float64(valid, tmp_path):
    doubles = {k: v.astype(np.float64) for k, v in valid["weights"].items()}
    config = copy.deepcopy(valid["config"])
    for entry in config["weights"]:
        entry["dtype"] = "float64"
    path = with_members(valid, tmp_path, model_safetensors=st_save(doubles), config_json=config)
    expect_format_error(path, "model.safetensors", "float64", "float32")
    # the same weights without the config updated: the listing disagrees with the tensors
    path = with_members(valid, tmp_path, name="b.scratchnn", model_safetensors=st_save(doubles))
    expect_format_error(path, "config.json", "float64")


def test_weight_listed_but_missing_or_extra(valid, tmp_path):
    weights = dict(valid["weights"])
    first = sorted(weights)[0]
    missing = {k: v for k, v in weights.items() if k != first}
    expect_format_error(with_members(valid, tmp_path, model_safetensors=st_save(missing)),
                        "config.json", first)
    extra = dict(weights, **{"0004/sneaky": np.zeros(3, np.float32)})
    expect_format_error(with_members(valid, tmp_path, name="x.scratchnn", model_safetensors=st_save(extra)),
                        "config.json", "sneaky")


@pytest.mark.parametrize("listing", [None, "weights", [1, 2], [{"key": 3}], [{"key": "0000/dense/kernel"}],
                                     [{"key": "0000/dense/kernel", "shape": [4, 5], "dtype": "complex64"}],
                                     [{"key": "0000/dense/kernel", "shape": [4, -5], "dtype": "float32"}],
                                     [{"key": "0000/dense/kernel", "shape": [4, True], "dtype": "float32"}],
                                     [{"key": "0000/dense/kernel", "shape": [1] * 33, "dtype": "float32"}]])
def test_bad_weight_listing(valid, tmp_path, listing):
    def edit(config):
        config["weights"] = listing
    expect_format_error(with_config(valid, tmp_path, edit), "config.json")


def test_bad_safetensors_bytes(valid, tmp_path):
    payloads = [b"", b"\x00" * 8, struct.pack("<Q", 2**63) + b"{}", struct.pack("<Q", 10) + b"not json!!",
                valid["members"]["model.safetensors"][:-3], struct.pack("<Q", 2) + b"[]"]
    for i, payload in enumerate(payloads):
        path = with_members(valid, tmp_path, name=f"s{i}.scratchnn", model_safetensors=payload)
        expect_format_error(path, "model.safetensors", "safetensors")


def _safetensors(header, body=b""):
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + body


@pytest.mark.parametrize("header,body", [
    ({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 4]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [2**20], "data_offsets": [0, 4]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 2**40]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\x00" * 4),
], ids=["bf16", "overflow", "short-data", "huge-offset", "negative"])
def test_hostile_safetensors_headers(valid, tmp_path, header, body):
    rss = max_rss_mb()
    for member in ("model.safetensors", "optimizer.safetensors"):
        path = with_members(valid, tmp_path, name=f"{member}.scratchnn",
                            **{member.replace(".", "_"): _safetensors(header, body)})
        expect_format_error(path, member, "safetensors")
    assert max_rss_mb() - rss < 50


def test_absurd_units_fail_fast_without_allocating(valid, tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = 10**12
    path = with_config(valid, tmp_path, edit)
    rss = max_rss_mb()
    start = time.perf_counter()
    expect_format_error(path, "config.json", "values")
    assert time.perf_counter() - start < 1.0
    assert max_rss_mb() - rss < 50


@pytest.mark.parametrize("where", ["first-layer", "model"])
def test_absurd_input_shape_in_the_layer_config_fails_fast(valid, tmp_path, where):
    def edit(config):
        if where == "first-layer":
            config["config"]["layers"][0]["config"]["input_shape"] = [10**6, 10**6]
        else:
            del config["config"]["layers"][0]["config"]["input_shape"]
            config["config"]["input_shape"] = [10**6, 10**6]
        config["build_input_shape"] = None
    path = with_config(valid, tmp_path, edit)
    rss = max_rss_mb()
    expect_format_error(path, "config.json")
    assert max_rss_mb() - rss < 50


@pytest.mark.parametrize("shape,words", [
    ([None, -2, 2], ("-2",)), ([None, 2**30, 2**30], ("values per sample",)), ([None, 2**41], ("2**40",)),
    ("2x2", ("list",)), ([None, "2", 2], ("dimension",)), ([None, 2.0, 2], ("dimension",)),
    ([None] + [1] * 40, ("32",)), ([None, 3, 2], ()), ([None, 0, 2], ()), ([], ()),
])
def test_bad_build_input_shape(valid, tmp_path, shape, words):
    def edit(config):
        config["build_input_shape"] = shape
        del config["config"]["layers"][0]["config"]["input_shape"]
        config["config"].pop("input_shape", None)
    rss = max_rss_mb()
    expect_format_error(with_config(valid, tmp_path, edit), "config.json", *words)
    assert max_rss_mb() - rss < 50


@pytest.mark.parametrize("spec", [[], "Sequential", {"class_name": 5, "config": {}},
                                  {"class_name": "Sequential", "config": []},
                                  {"class_name": "Sequential", "config": {"layers": "many"}},
                                  {"class_name": "Sequential", "config": {"layers": [1, 2]}},
                                  {"class_name": "Sequential", "config": {"layers": [{}] * 10_001}}])
def test_bad_top_level_config(valid, tmp_path, spec):
    if isinstance(spec, dict):
        spec = dict(spec, build_input_shape=[None, 2, 2], weights=valid["config"]["weights"])
    expect_format_error(with_members(valid, tmp_path, config_json=spec), "config.json")


@pytest.mark.parametrize("edit_name", ["optimizer", "loss", "metric", "compile_config", "loss_weights", "lr"])
def test_bad_compile_config(valid, tmp_path, edit_name):
    def edit(config):
        cc = config["compile_config"]
        if edit_name == "optimizer":
            cc["optimizer"]["class_name"] = "NoSuchOptimizer"
        elif edit_name == "loss":
            cc["loss"] = {"class_name": "NoSuchLoss", "config": {}}
        elif edit_name == "metric":
            cc["metrics"] = ["no_such_metric"]
        elif edit_name == "compile_config":
            config["compile_config"] = "adam"
        elif edit_name == "loss_weights":
            cc["loss_weights"] = [1.0, 2.0]
        else:
            cc["optimizer"]["config"]["learning_rate"] = -1.0
    path = with_config(valid, tmp_path, edit)
    expect_format_error(path, "config.json", "compile_config")
    assert load_model(path, compile=False).built        # the architecture and weights are fine


def _optimizer_file(valid, tmp_path, tensors, name="o.scratchnn"):
    return with_members(valid, tmp_path, name=name, optimizer_safetensors=st_save(tensors))


def test_bad_optimizer_state(valid, tmp_path):
    good = valid["optimizer"]
    slot = next(k for k in good if k.startswith("momentum/"))
    cases = {
        "slot shape": dict(good, **{slot: np.zeros((7, 7), np.float32)}),
        "slot dtype": dict(good, **{slot: good[slot].astype(np.float64)}),
        "unknown slot": dict(good, **{"sneaky/0000/dense/kernel": np.zeros((4, 5), np.float32)}),
        "unknown weight": dict(good, **{"momentum/0009/dense/kernel": np.zeros((4, 5), np.float32)}),
        "no iterations": {k: v for k, v in good.items() if k != "iterations"},
        "negative iterations": dict(good, iterations=np.array(-3, np.int64)),
        "float iterations": dict(good, iterations=np.array(3.0, np.float64)),
        "vector iterations": dict(good, iterations=np.array([3, 4], np.int64)),
        "unknown global": dict(good, **{"global/u_product": np.array(0.5)}),
    }
    for i, (what, tensors) in enumerate(cases.items()):
        err = expect_format_error(_optimizer_file(valid, tmp_path, tensors, f"o{i}.scratchnn"),
                                  "optimizer.safetensors")
        if what.startswith("slot"):
            assert slot in str(err), what
        # without compiling, the optimizer state is not read at all
        assert load_model(tmp_path / f"o{i}.scratchnn", compile=False).built, what


def test_nadam_global_state_must_be_finite(tmp_path):
    model = rich_model(optimizers.Nadam(1e-3))
    path = model.save(tmp_path / "n.scratchnn")
    members = read_members(path)
    tensors = st_load(members["optimizer.safetensors"])
    assert "global/u_product" in tensors
    members["optimizer.safetensors"] = st_save(dict(tensors, **{"global/u_product": np.array(np.inf)}))
    write_zip(tmp_path / "bad.scratchnn", members)
    expect_format_error(tmp_path / "bad.scratchnn", "optimizer.safetensors", "u_product")


def test_iterations_beyond_int64_is_rejected(valid, tmp_path):
    tensors = dict(valid["optimizer"], iterations=np.array(2**64 - 1, np.uint64))
    expect_format_error(_optimizer_file(valid, tmp_path, tensors), "optimizer.safetensors", "iterations")


def _rekey(valid, old_index, new_key):
    """The valid weights and config with tensor ``old_index``'s key replaced by ``new_key``."""
    weights = dict(valid["weights"])
    config = copy.deepcopy(valid["config"])
    old = config["weights"][old_index]["key"]
    weights[new_key] = weights.pop(old)
    config["weights"][old_index]["key"] = new_key
    return weights, config


@pytest.mark.parametrize("key", ["kernel", "x/dense/kernel", "0009/dense/kernel", "-001/dense/kernel"])
def test_weight_keys_without_a_valid_index(valid, tmp_path, key):
    weights, config = _rekey(valid, 0, key)
    path = with_members(valid, tmp_path, model_safetensors=st_save(weights), config_json=config)
    expect_format_error(path, "model.safetensors")


def test_weight_key_with_a_unicode_digit_index(valid, tmp_path):
    weights, config = _rekey(valid, 0, "²/dense/kernel")
    path = with_members(valid, tmp_path, model_safetensors=st_save(weights), config_json=config)
    expect_format_error(path, "model.safetensors")


def test_load_weights_key_with_a_unicode_digit_index(valid, tmp_path):
    weights, _ = _rekey(valid, 0, "²/dense/kernel")
    (tmp_path / "w.safetensors").write_bytes(st_save(weights))
    with pytest.raises(ModelFormatError):
        small_model(compile=False).load_weights(tmp_path / "w.safetensors")


def test_weight_keys_are_matched_by_index_not_name(valid, tmp_path):
    """Layer names differ between two sessions ('dense' vs 'dense_7'): indices decide."""
    weights, config = _rekey(valid, 0, "0000/some_other_name/kernel")
    path = with_members(valid, tmp_path, model_safetensors=st_save(weights), config_json=config)
    assert weights_equal(load_model(path, compile=False), valid["model"])


# ============================================================================ 7. fuzzing
@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory):
    """A small model file with a bit of everything in its config, for the fuzz tests."""
    set_random_seed(0)
    model = snn.Sequential([
        Flatten(input_shape=(2, 2)),
        Dense(5, activation="relu", kernel_initializer=initializers.HeNormal(seed=1),
              kernel_regularizer=regularizers.L2(1e-3)),
        Dropout(0.2), LeakyReLU(0.1), Dense(3), Activation("softmax")])
    model.compile(optimizer=optimizers.SGD(ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5), momentum=0.9,
                                           clipnorm=1.0),
                  loss=losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy", snn.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")])
    x = np.random.default_rng(0).normal(size=(8, 2, 2)).astype(np.float32)
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    path = model.save(tmp_path_factory.mktemp("fuzz") / "fuzz.scratchnn")
    return _Quiet(raw=Path(path).read_bytes(), members=read_members(path))


class _Quiet(dict):
    """A dict that hypothesis prints briefly in its failure reports."""

    def __repr__(self):
        return "<fuzz file>"


def _check_loads_or_format_error(path, tmp_path, usable=False):
    """The fuzz oracle: a model that predicts, or ModelFormatError; nothing else, and no global
    state left behind either way. With ``usable``, a model that loads must also save and load
    again, to the same weights and config."""
    registry = dict(custom.objects)
    try:
        model = load_model(path)
    except ModelFormatError as e:
        assert isinstance(e.part, str)        # a member's name ('' is possible), or 'file'
        event(f"ModelFormatError in {e.part if e.part in MEMBERS + ('file',) else 'another member'}")
        model = None
    finally:
        assert layer_base._weight_budget.get() is None
        assert custom.objects == registry
    if model is not None:
        event("loaded")
        shape = model.input_shape
        x = np.zeros((2,) + tuple(1 if d is None else d for d in shape[1:]), dtype=np.float32)
        out = model.predict(x, verbose=0)
        assert out.shape[0] == 2
        if usable:
            again = load_model(model.save(tmp_path / "again.scratchnn"))
            assert weights_equal(again, model) and again.get_config() == model.get_config()


def _mutate(payload, ops):
    buf = bytearray(payload)
    for kind, where, value in ops:
        if not buf:
            buf = bytearray([value])
            continue
        i = int(where * len(buf)) % len(buf)
        if kind == "flip":
            buf[i] ^= 1 << (value % 8)
        elif kind == "set":
            buf[i] = value
        elif kind == "insert":
            buf[i:i] = bytes([value]) * (1 + value % 4)
        elif kind == "delete":
            del buf[i:i + 1 + value % 8]
        elif kind == "truncate":
            del buf[i:]
        elif kind == "duplicate":
            buf[i:i] = buf[i:i + 1 + value]
    return bytes(buf)


OPS = st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "duplicate"]),
                         st.floats(0, 1, allow_nan=False, exclude_max=True), st.integers(0, 255)),
               min_size=1, max_size=5)
# Budget: the three fuzz tests take about 20 s together (5000 examples) on a 2-core machine.
FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=1500, **FUZZ)
@given(ops=OPS)
def test_fuzz_file_bytes(fuzz_file, tmp_path, ops):
    path = tmp_path / "fuzz.scratchnn"
    path.write_bytes(_mutate(fuzz_file["raw"], ops))
    _check_loads_or_format_error(path, tmp_path)


@settings(max_examples=1500, **FUZZ)
@given(member=st.sampled_from(MEMBERS), ops=OPS)
def test_fuzz_member_bytes(fuzz_file, tmp_path, member, ops):
    """Mutate one member and re-zip it (valid CRCs), to reach the JSON and safetensors parsers."""
    members = dict(fuzz_file["members"])
    members[member] = _mutate(members[member], ops)
    _check_loads_or_format_error(write_zip(tmp_path / "fuzz.scratchnn", members), tmp_path)


NAMES = ["Dense", "Sequential", "Flatten", "Dropout", "Activation", "LeakyReLU", "InputLayer", "Reshape",
         "Maxout", "Softmax", "relu", "softmax", "linear", "float64", "float16", "int32", "object",
         "V1000000",
         "adam", "sgd", "Adam", "SGD", "Nadam", "accuracy", "top2", "mse", "0000/dense/kernel", "../x", "",
         "glorot_uniform", "HeNormal", "Zeros", "L2", "L1", "ExponentialDecay", "CosineDecay",
         "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "LossFunctionWrapper",
         "SparseTopKCategoricalAccuracy", "none", "sum", "scratchnn.model", "__class__", "os.system"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.sampled_from([0, 1, -1, 2, 3, 4, 5, 10**12, 2**63, -2**63, 2**31])
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(NAMES) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=6),
                                                                 inner, max_size=4),
    max_leaves=6)


def _near(old):
    """Values close to ``old`` in kind: what a careless edit or a malicious one would write."""
    if isinstance(old, bool):
        return st.sampled_from([not old, None, 0, 1, "true"])
    if isinstance(old, int):
        return st.sampled_from([old + 1, old - 1, 0, -1, -old, old * 2, old * 1000, 10**12, 2**31, 2**63,
                                float(old), str(old), [old]])
    if isinstance(old, float):
        return st.sampled_from([0.0, -old, old * 1e6, 1e308, -1e308, 5e-324, 1.0, 2.0, -1.0, 0.5, int(old)])
    if isinstance(old, str):
        return st.sampled_from(NAMES + [old.upper(), old + "x", old[:-1], old * 3])
    if isinstance(old, list):
        return st.sampled_from([[], old[:-1], old + old[-1:], old[::-1], [old], old * 3])
    if isinstance(old, dict):
        return st.sampled_from([{}, {k: old[k] for k in list(old)[:-1]}, dict(old, extra=1)])
    return JSON_VALUES


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _replace(value, path, new, delete):
    if not path:
        return new
    head, rest = path[0], path[1:]
    value = copy.copy(value)
    if rest:
        value[head] = _replace(value[head], rest, new, delete)
    elif delete:
        del value[head]
    else:
        value[head] = new
    return value


@settings(max_examples=2000, **FUZZ)
@given(member=st.sampled_from(["config.json"] * 4 + ["metadata.json"]), data=st.data())
def test_fuzz_json_structure(fuzz_file, tmp_path, member, data):
    """Replace (or delete) one to three values anywhere in the JSON tree of a member."""
    document = json.loads(fuzz_file["members"][member])
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        path = data.draw(st.sampled_from(list(_paths(document))), label="path")
        if path and data.draw(st.integers(0, 9), label="delete?") == 0:
            document = _replace(document, path, None, delete=True)
        else:
            new = data.draw(_near(_get(document, path)) | JSON_VALUES, label="value")
            document = _replace(document, path, new, delete=False)
    members = dict(fuzz_file["members"], **{member: json.dumps(document).encode()})
    _check_loads_or_format_error(write_zip(tmp_path / "fuzz.scratchnn", members), tmp_path)


@settings(max_examples=600, **FUZZ)
@given(data=st.data())
def test_fuzz_json_structure_loaded_models_are_usable(fuzz_file, tmp_path, data):
    """Stronger than the oracle above: what loads also saves and loads again."""
    document = json.loads(fuzz_file["members"]["config.json"])
    for _ in range(data.draw(st.integers(1, 2), label="edits")):
        path = data.draw(st.sampled_from(list(_paths(document))), label="path")
        new = data.draw(_near(_get(document, path)) | JSON_VALUES, label="value")
        document = _replace(document, path, new, delete=False)
    members = dict(fuzz_file["members"], **{"config.json": json.dumps(document).encode()})
    _check_loads_or_format_error(write_zip(tmp_path / "fuzz.scratchnn", members), tmp_path, usable=True)


@pytest.mark.parametrize("entry", [None, 5, []])
def test_metric_entry_that_is_not_a_metric(valid, tmp_path, entry):
    def edit(config):
        config["compile_config"]["metrics"] = [entry]
    expect_format_error(with_config(valid, tmp_path, edit), "config.json", "metric")


@pytest.mark.parametrize("dtype", ["V1000000", "object", "int32", "complex128", "U5", "bool", "nonsense", 7])
def test_layer_dtype_that_is_not_a_float_dtype(valid, tmp_path, dtype):
    """Found by the fuzz test above: such a model loaded, but saved a dtype name ('void8000000')
    that could not be read back."""
    def edit(config):
        config["config"]["layers"][0]["config"]["dtype"] = dtype
    expect_format_error(with_config(valid, tmp_path, edit), "config.json", "dtype")


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_weightless_layer_in_another_float_dtype_loads(valid, tmp_path, dtype):
    def edit(config):
        config["config"]["layers"][0]["config"]["dtype"] = dtype
    model = load_model(with_config(valid, tmp_path, edit))
    assert model.layers[0].dtype == np.dtype(dtype)
    assert weights_equal(load_model(model.save(tmp_path / "again.scratchnn")), model)


# ============================================================================ 8. nothing half-built
def test_failed_loads_leave_no_global_state_behind(valid, tmp_path):
    register_all()
    custom_sequential().save(tmp_path / "c.scratchnn")
    _forget("SavingTestScale")
    registry = dict(custom.objects)
    scope = {"SavingTestScale": SavingTestScale, "saving_test_half_relu": lambda x: x}

    # fails in the architecture (the weight budget is in force), with custom_objects= given
    members = read_members(tmp_path / "c.scratchnn")
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 10**9
    members["config.json"] = json.dumps(config).encode()
    write_zip(tmp_path / "bad.scratchnn", members)
    with pytest.raises(ModelFormatError):
        load_model(tmp_path / "bad.scratchnn", custom_objects=scope)
    assert custom.objects == registry
    assert layer_base._weight_budget.get() is None

    # fails after the architecture was built (the weights), and in the optimizer state
    breakages = [("model.safetensors", st_save({"0000/x": np.zeros(2, np.float32)})),
                 ("optimizer.safetensors", b"junk")]
    for i, (member, payload) in enumerate(breakages):
        members = read_members(tmp_path / "c.scratchnn")
        members[member] = payload
        write_zip(tmp_path / f"bad{i}.scratchnn", members)
        with pytest.raises(ModelFormatError):
            load_model(tmp_path / f"bad{i}.scratchnn", custom_objects=scope)
        assert custom.objects == registry
        assert layer_base._weight_budget.get() is None

    # a failure that is not the file's fault (a missing path) also restores everything
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.scratchnn", custom_objects=scope)
    assert custom.objects == registry

    # and a successful load too
    load_model(tmp_path / "c.scratchnn", custom_objects={"SavingTestScale": SavingTestScale})
    assert custom.objects == registry
    assert layer_base._weight_budget.get() is None


def test_weight_budget_is_reset_after_a_custom_layer_raises_in_build(tmp_path):
    class SavingTestBroken(SavingTestScale):
        def build(self, input_shape):
            raise RuntimeError("my build is broken")

    register_all()
    custom_sequential().save(tmp_path / "c.scratchnn")
    err = expect_format_error(tmp_path / "c.scratchnn", "config.json", "broken",
                              custom_objects={"SavingTestScale": SavingTestBroken})
    assert isinstance(err.__cause__, RuntimeError)
    assert custom.objects["SavingTestScale"] is SavingTestScale


def test_budget_does_not_apply_outside_loading():
    assert layer_base._weight_budget.get() is None
    set_random_seed(0)
    big = snn.Sequential([Dense(300, input_shape=(300,))])          # no limit when not loading
    assert big.count_params() == 300 * 301
    assert math.isfinite(float(big.predict(np.ones((1, 300), np.float32), verbose=0).sum()))


def test_scalar_weights_round_trip(tmp_path):
    """0-d weights (Normalization(axis=None)'s mean and variance) keep their shape in files."""
    from scratchnn import layers as L
    norm = L.Normalization(axis=None)
    model = snn.Sequential([L.Input((3,)), norm, L.Dense(1)])
    norm.adapt(np.arange(12.0).reshape(4, 3))
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.scratchnn")
    loaded = load_model(tmp_path / "m.scratchnn")
    assert loaded.weights[0].data.shape == () and loaded.weights[0].data == norm.mean.data
    model.save_weights(tmp_path / "w.safetensors")
    other = snn.Sequential([L.Input((3,)), L.Normalization(axis=None), L.Dense(1)])
    other.load_weights(tmp_path / "w.safetensors")
    ones = np.ones((2, 3))
    np.testing.assert_array_equal(other.predict(ones, verbose=0), model.predict(ones, verbose=0))


def test_sequential_nested_in_a_sequential_saves_and_loads(tmp_path):
    """A Sequential used as a layer of another (a feature extractor, an augmentation block)
    comes back as a Sequential with its weights, and training resumes from the same state."""
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 3)).astype(np.float32), rng.random((32, 2)).astype(np.float32)
    snn.utils.set_random_seed(0)
    inner = snn.Sequential([Dense(4, activation="relu"), Dense(3)], name="features")
    model = snn.Sequential([snn.layers.Input((3,)), inner, Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "nested.scratchnn")
    loaded = load_model(tmp_path / "nested.scratchnn")
    assert [type(layer).__name__ for layer in loaded.layers] == ["Sequential", "Dense"]
    assert loaded.layers[0].name == "features" and len(loaded.layers[0].layers) == 2
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
