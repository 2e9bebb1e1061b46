"""Fixtures of the saving tests: the registry of custom objects is restored after each test,
and a valid model file (and one for the fuzz tests) is made once per module.
"""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load as st_load

import scratchnn as snn
from scratchnn import initializers, losses, optimizers, regularizers
from scratchnn.layers import Activation, Dense, Dropout, Flatten, LeakyReLU
from scratchnn.optimizers.schedules import ExponentialDecay
from scratchnn.registry import custom
from scratchnn.utils import set_random_seed

from tests.saving.helpers import Quiet, read_members, small_model


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
    return Quiet(raw=Path(path).read_bytes(), members=read_members(path))
