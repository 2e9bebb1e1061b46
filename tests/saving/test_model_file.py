"""Saving and loading a whole model (``scratchnn/saving/model_file.py``): the ``.scratchnn``
file round trip, weights files, JSON architectures, and a loader that checks the architecture
and every weight before building anything.

Every broken or hostile file must raise ``ModelFormatError`` naming the faulty part, without
allocating what the file asks for; no other exception type may escape ``load_model``
(hypothesis fuzzes the JSON structure).
"""
import copy
import json
import math
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import scratchnn as snn
from scratchnn import initializers, losses, optimizers, regularizers
from scratchnn.layers import Dense, Flatten
from scratchnn.layers import base as layer_base
from scratchnn.models import load_model, model_from_json
from scratchnn.optimizers.schedules import ExponentialDecay
from scratchnn.registry import custom
from scratchnn.saving import ModelFormatError, register_serializable
from scratchnn.saving import archive as saving_archive
from scratchnn.saving import model_file
from scratchnn.utils import set_random_seed

from tests.saving.helpers import (
    FUZZ,
    MEMBERS,
    REJECT_BUDGET_MIB,
    ROUND_TRIP_OPTIMIZERS,
    SavingTestScale,
    X,
    Y,
    check_loads_or_format_error,
    custom_sequential,
    data,
    expect_format_error,
    forget,
    max_rss_mb,
    read_members,
    register_all,
    rich_model,
    saving_test_half_relu,
    small_model,
    traced_peak,
    weights_equal,
    with_config,
    with_members,
    write_zip,
)


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


# ============================================================================ weights files
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


# ============================================================================ JSON architecture
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


def test_absurd_units_fail_fast_without_allocating(valid, tmp_path):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = 10**12
    path = with_config(valid, tmp_path, edit)
    rss = max_rss_mb()
    expect_format_error(path, "config.json", "values")        # allocating little on the way
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
    check_loads_or_format_error(write_zip(tmp_path / "fuzz.scratchnn", members), tmp_path)


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
    check_loads_or_format_error(write_zip(tmp_path / "fuzz.scratchnn", members), tmp_path, usable=True)


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


# ============================================================================ nothing half-built
def test_failed_loads_leave_no_global_state_behind(valid, tmp_path):
    register_all()
    custom_sequential().save(tmp_path / "c.scratchnn")
    forget("SavingTestScale")
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


# ============================================================================ bounded loading
class SavingTestCountingInit(initializers.Initializer):
    """Counts its calls (a layer built to be overwritten by a file's values should not make any)."""
    calls = 0

    def __call__(self, shape, dtype=None):
        type(self).calls += 1
        return np.full(shape, 0.5, dtype=dtype)


def _random_states():
    return snn.random.generator().bit_generator.state, np.random.get_state()


def test_loading_calls_no_initializer_and_draws_no_random_number(tmp_path):
    """The layers are built with empty weights that the file fills: no initializer runs (not
    even a custom one), and neither scratchnn's generator nor NumPy's global one moves."""
    register_serializable()(SavingTestCountingInit)
    set_random_seed(0)
    model = snn.Sequential([Flatten(input_shape=(2, 2)),
                            Dense(5, kernel_initializer=SavingTestCountingInit()),
                            snn.layers.BatchNormalization(), snn.layers.Dropout(0.5), Dense(3)])
    path = model.save(tmp_path / "m.scratchnn")
    calls = SavingTestCountingInit.calls
    (generator_state, legacy) = _random_states()
    loaded = load_model(path)
    after, after_legacy = _random_states()
    assert SavingTestCountingInit.calls == calls
    assert after == generator_state
    assert legacy[0] == after_legacy[0] and np.array_equal(legacy[1], after_legacy[1]) \
        and legacy[2:] == after_legacy[2:]
    assert weights_equal(loaded, model)
    # built outside loading, the same architecture still initializes as before
    snn.models.model_from_json(model.to_json())
    assert SavingTestCountingInit.calls == calls + 1


def test_loading_memory_is_a_small_multiple_of_the_file(tmp_path):
    """A 16 MiB kernel: reading the file (16 MiB), its tensors (16 MiB, the file's bytes freed
    as they are parsed) and the model's weights (16 MiB, written once) stay within 2.5 times the
    file; building with initial values first took 5 times."""
    set_random_seed(0)
    model = snn.Sequential([Dense(2048, input_shape=(2048,))])
    size = os.path.getsize(model.save(tmp_path / "m.scratchnn"))
    with traced_peak() as peak:
        loaded = load_model(tmp_path / "m.scratchnn")
    assert peak.mib * 2**20 < 2.5 * size, f"{peak.mib:.0f} MiB to load a {size / 2**20:.0f} MiB file"
    assert weights_equal(loaded, model)


def test_weights_that_disagree_with_the_config_are_refused_before_they_are_parsed(tmp_path):
    """The header of model.safetensors is checked against the config's listing before any tensor
    is copied out of the file: refusing a 16 MiB file costs its bytes, not twice that."""
    set_random_seed(0)
    model = snn.Sequential([Dense(2048, input_shape=(2048,))])
    path = model.save(tmp_path / "m.scratchnn")
    members = read_members(path)
    config = json.loads(members["config.json"])
    config["weights"][0]["dtype"] = "float64"
    members["config.json"] = json.dumps(config).encode()
    path = write_zip(tmp_path / "bad.scratchnn", members)
    with traced_peak() as peak, pytest.raises(ModelFormatError, match="declared float64") as info:
        load_model(path)
    assert info.value.part == "config.json"
    assert peak.mib * 2**20 < 1.5 * os.path.getsize(path)


def test_nested_models_count_toward_the_layer_limit(tmp_path, monkeypatch):
    """Four Sequentials of 10 layers each inside a Sequential: 44 layers, though the outer list
    holds 4 (the issue's file nested 200,000 layers in 20 Sequentials under a 10,000 limit)."""
    model = snn.Sequential([snn.layers.Input((3,))] + [
        snn.Sequential([snn.layers.Activation("linear") for _ in range(10)]) for _ in range(4)])
    path = model.save(tmp_path / "nested.scratchnn")
    monkeypatch.setattr(saving_archive, "MAX_LAYERS", 43)
    err = expect_format_error(path, "config.json", "more than 43 layers", "nested models")
    assert "MAX_LAYERS" in str(err)
    monkeypatch.setattr(saving_archive, "MAX_LAYERS", 44)
    assert len(list(load_model(path).walk())) == 1 + 44


def test_non_finite_weights_load_with_a_warning(tmp_path):
    """A file that records diverged training loads (to be inspected), but says which weights of
    which layer hold NaN or Inf, and how many; the values come back as they were."""
    model = small_model(compile=False)
    kernel = model.layers[1].kernel
    kernel.data[0, 0], kernel.data[1, 2], kernel.data[3, 4] = np.nan, np.inf, -np.inf
    path = model.save(tmp_path / "m.scratchnn")
    model.save_weights(tmp_path / "w.safetensors")
    def expected(target):
        return (rf"weight 'kernel' of layer '{target.layers[1].name}' \(0000/{model.layers[1].name}/kernel\) "
                r"holds 3 non-finite value\(s\) \(NaN or Inf\) out of 20")
    with pytest.warns(UserWarning, match=expected(model)) as record:
        loaded = load_model(path)
    assert len(record) == 1
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = small_model(seed=1, compile=False)
    with pytest.warns(UserWarning, match=expected(other)):
        other.load_weights(tmp_path / "w.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                      # a finite model loads without a word
        load_model(small_model(compile=False).save(tmp_path / "fine.scratchnn"))


@pytest.mark.parametrize("name", ["m.h5", "m.hdf5", "M.H5"])
def test_an_hdf5_name_is_keras_legacy_whole_model_file_and_not_a_weights_file(tmp_path, name):
    """``model.save('m.h5')`` writes Keras's legacy whole-model HDF5 (``keras_legacy_h5.py``; it
    was refused before); ``save_weights('m.h5')`` is refused with the names to use instead."""
    pytest.importorskip("h5py", reason="Keras's .h5 files need h5py: pip install 'scratchnn[h5]'")
    model = small_model()
    assert weights_equal(load_model(model.save(tmp_path / name)), model)
    assert weights_equal(load_model(snn.saving.save_model(model, tmp_path / ("2" + name))), model)
    stem = "w" + name.rsplit(".", 1)[0]
    expected = rf"HDF5.*'{tmp_path / stem}.weights.h5'.*'{tmp_path / stem}.safetensors'"
    with pytest.raises(ValueError, match=expected):
        model.save_weights(tmp_path / ("w" + name))     # only '*.weights.h5' is Keras 3's weights file
    for other in ("m.scratchnn", "m.keras", "m"):          # what save accepted before still works
        assert weights_equal(load_model(model.save(tmp_path / other)), model)


def test_memory_error_never_escapes(valid, tmp_path, monkeypatch):
    """Running out of memory while reading a member, or anywhere later, is a ModelFormatError that
    says what was too large."""
    def no_memory(*args, **kwargs):
        raise MemoryError("simulated")

    with monkeypatch.context() as patch:
        patch.setattr(zipfile.ZipExtFile, "read", no_memory)
        err = expect_format_error(valid["path"], "metadata.json", "memory")
    assert "bytes" in str(err)
    monkeypatch.setattr(model_file, "restore_optimizer", no_memory)
    expect_format_error(valid["path"], "file", "memory", "simulated")


def test_loading_a_small_weights_file_allocates_little(tmp_path):
    """Reading a safetensors file asked for the 4 GiB limit at once (a buffer that size, before
    shrinking it to the file): fatal where memory is not overcommitted. Now: the file's size."""
    model = small_model()
    path = model.save_weights(tmp_path / "w.safetensors")
    with traced_peak() as peak:
        model.load_weights(path)
        snn.saving.load_training_state(model, path)
    assert peak.mib < REJECT_BUDGET_MIB
