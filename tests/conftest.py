"""Shared test helpers: the PyTorch oracle (optional) and hypothesis settings."""
import numpy as np
import pytest
from hypothesis import settings

import scratchnn.random as snn_random

# CI machines are slow and noisy: no per-example deadline, a moderate number of examples.
settings.register_profile("scratchnn", deadline=None, max_examples=60)
settings.load_profile("scratchnn")

try:  # PyTorch is only a test oracle: tests that need it skip cleanly without it.
    import torch
    torch.set_default_dtype(torch.float64)
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (test oracle)")


@pytest.fixture
def restore_global_rng(monkeypatch):
    """set_random_seed replaces scratchnn's generator and reseeds NumPy's: undo both afterwards."""
    monkeypatch.setattr(snn_random, "_generator", snn_random.generator())
    state = np.random.get_state()
    yield
    np.random.set_state(state)


@pytest.fixture
def rng():
    """A seeded generator, so every failure is reproducible."""
    return np.random.default_rng(1234)


def assert_close(actual, expected, rtol=1e-6, atol=1e-9, what=""):
    """``actual`` equals ``expected`` to ``rtol`` relative (float64 comparisons with PyTorch)."""
    actual = np.asarray(getattr(actual, "data", actual), dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def assert_config_round_trip(layer, x):
    """``layer`` rebuilt from its config (directly and through layers.serialize/deserialize) has the
    same config, and with the same weights gives bit-identical outputs on ``x``."""
    from scratchnn import layers as L
    out = layer(x).data
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config and clone is not layer
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x).data, out)
    via_registry = L.deserialize(L.serialize(layer))
    assert type(via_registry) is type(layer) and via_registry.get_config() == config
