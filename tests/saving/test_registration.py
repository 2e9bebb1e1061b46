"""Custom objects (``scratchnn/saving/registration.py``): registered layers, activations, losses,
metrics and subclassed models round trip; unregistered ones fail clearly, at save time when
possible; ``custom_objects=`` works without registering and leaks nothing.
"""
import json

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import losses, optimizers
from scratchnn.layers import Dense, Flatten, Layer
from scratchnn.models import load_model, model_from_json
from scratchnn.registry import custom
from scratchnn.saving import ModelFormatError, register_serializable
from scratchnn.utils import set_random_seed

from tests.saving.helpers import (
    SavingTestNet,
    SavingTestScale,
    X,
    Y,
    custom_sequential,
    expect_format_error,
    forget,
    optimizer_state,
    read_members,
    register_all,
    saving_test_half_relu,
    saving_test_loss,
    saving_test_metric,
    weights_equal,
)


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


class SavingTestBlock(Layer):
    """A custom layer that holds layers (a Dense, a list of two): their weights go in the file."""

    def __init__(self, units=5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = Dense(units, activation="relu")
        self.pair = [Dense(units, activation="tanh"), Dense(3)]

    def call(self, inputs, training=False):
        return self.pair[1](self.pair[0](self.inner(inputs)))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_registered_custom_layer_with_sublayers_round_trips_bit_identical(tmp_path):
    register_serializable()(SavingTestBlock)
    set_random_seed(0)
    model = snn.Sequential([Flatten(input_shape=(4, 3)), SavingTestBlock(units=6)])
    model.compile(optimizer=optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    assert len(model.weights) == 6
    model.save(tmp_path / "b.scratchnn")
    loaded = load_model(tmp_path / "b.scratchnn")
    block = loaded.layers[1]
    assert type(block) is SavingTestBlock and block.units == 6
    assert weights_equal(loaded, model)
    assert np.array_equal(block.pair[0].kernel.data, model.layers[1].pair[0].kernel.data)
    assert np.array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    set_random_seed(2)
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    set_random_seed(2)
    loaded.fit(X, Y, epochs=1, batch_size=16, verbose=0)    # the optimizer's slots came back too
    assert weights_equal(loaded, model)


def test_unregistered_custom_layer_at_load_names_it_and_says_register(tmp_path):
    register_all()
    custom_sequential().save(tmp_path / "c.scratchnn")
    forget("SavingTestScale")
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
    forget(name)
    expect_format_error(tmp_path / "c.scratchnn", "config.json", name, "register_serializable")


def test_custom_objects_argument_works_without_registration(tmp_path):
    register_all()
    model = custom_sequential()
    model.save(tmp_path / "c.scratchnn")
    forget("SavingTestScale", "saving_test_half_relu", "saving_test_loss", "saving_test_metric",
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
