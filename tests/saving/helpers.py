"""Models, files and checks shared by the saving tests. Custom objects are registered inside
the tests only (``register_all``), and ``conftest.py`` restores the registry after each test.
"""
import copy
import json
import resource
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, event

import scratchnn as snn
from scratchnn import initializers, losses, optimizers, regularizers
from scratchnn.layers import Activation, Dense, Dropout, Flatten, Layer, LeakyReLU
from scratchnn.layers import base as layer_base
from scratchnn.models import load_model
from scratchnn.optimizers.schedules import ExponentialDecay
from scratchnn.registry import custom
from scratchnn.saving import ModelFormatError, register_serializable
from scratchnn.saving import archive as saving_archive
from scratchnn.saving import model_config
from scratchnn.utils import set_random_seed

MEMBERS = ("metadata.json", "config.json", "model.safetensors", "optimizer.safetensors")


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


#: What rejecting a broken or hostile file may allocate at most (traced by ``tracemalloc``): far
#: less than what such files ask for (absurd units ask for terabytes, zip bombs for gigabytes).
#: Members are sized before they are read and never read past their declared size, so most
#: files are rejected within 0.1 MiB.
REJECT_BUDGET_MIB = 4


class traced_peak:
    """``with traced_peak() as peak: ...``; then ``peak.mib``: the most memory allocated at once
    inside the block, above what was allocated when it began (``tracemalloc``, NumPy included)."""

    def __enter__(self):
        self._started = not tracemalloc.is_tracing()
        if self._started:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._base = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc):
        self.mib = (tracemalloc.get_traced_memory()[1] - self._base) / 2**20
        if self._started:
            tracemalloc.stop()
        return False


def zeros_kernel_file(path, rows, cols, body=None, compresslevel=1, name="big"):
    """A model file of ``Sequential([Dense(cols, input_shape=(rows,))])`` whose kernel and bias
    are zeros, its ``model.safetensors`` deflated: zeros shrink hundreds of times, so a small file
    declares a large member (a zip bomb that is a valid model). ``body`` replaces the member's
    content (``(size in bytes)``: that many zero bytes, not a valid safetensors file). Written in
    1 MiB pieces, so that making the file allocates little."""
    set_random_seed(0)
    spec = model_config(snn.Sequential([Dense(2, input_shape=(3,), name=name)]))
    layer = spec["config"]["layers"][0]["config"]
    layer["units"], layer["input_shape"], spec["build_input_shape"] = cols, [rows], [None, rows]
    kernel, bias = rows * cols * 4, cols * 4
    spec["weights"] = [{"key": f"0000/{name}/kernel", "shape": [rows, cols], "dtype": "float32"},
                       {"key": f"0001/{name}/bias", "shape": [cols], "dtype": "float32"}]
    spec["compile_config"] = None
    header = json.dumps({
        f"0000/{name}/kernel": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [0, kernel]},
        f"0001/{name}/bias": {"dtype": "F32", "shape": [cols], "data_offsets": [kernel, kernel + bias]},
    }).encode()
    header += b" " * (-len(header) % 8)
    head, size = (struct.pack("<Q", len(header)) + header, kernel + bias) if body is None else (b"", body)
    with zipfile.ZipFile(path, "w", compresslevel=compresslevel) as zf:
        for member, payload in (("metadata.json", saving_archive.metadata()), ("config.json", spec)):
            zf.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), json.dumps(payload),
                        compress_type=zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("model.safetensors", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as member:
            member.write(head)
            chunk = bytes(2**20)
            for start in range(0, size, len(chunk)):
                member.write(chunk[:size - start])
    return path


def expect_format_error(path, part, *words, **load_kwargs):
    """``load_model(path)`` raises ModelFormatError about ``part`` mentioning ``words``, without
    doing the work the file asks for: the memory allocated on the way is measured (not the time,
    which depends on the machine)."""
    with traced_peak() as peak, pytest.raises(ModelFormatError) as info:
        load_model(path, **load_kwargs)
    allocated = peak.mib
    err = info.value
    assert isinstance(err, ValueError)
    assert err.part == part, f"part {err.part!r}, expected {part!r}: {err}"
    for word in words:
        assert word.lower() in str(err).lower(), f"{word!r} not in: {err}"
    assert allocated < REJECT_BUDGET_MIB, f"allocated {allocated:.1f} MiB to reject"
    assert layer_base._weight_budget.get() is None
    return err


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


# ============================================================================ round trip
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


# ============================================================================ custom objects
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


def forget(*names):
    for name in names:
        custom.objects.pop(name)


class Quiet(dict):
    """A dict that hypothesis prints briefly in its failure reports."""

    def __repr__(self):
        return "<fuzz file>"


def check_loads_or_format_error(path, tmp_path, usable=False):
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


# Budget: the three fuzz tests take about 20 s together (5000 examples) on a 2-core machine.
FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
