"""``scratchnn.backend``: the switch between the fast kernels and the readable reference code.

``set_fast_kernels(enabled)`` returns the previous setting; ``with fast_kernels(enabled):`` sets
it for a block and puts the previous one back, even on error; ``SCRATCHNN_FAST_KERNELS=0`` in the
environment starts a process with them off.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import backend
from scratchnn import layers as L
from scratchnn.utils import set_random_seed

SRC = str(Path(snn.__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def keep_the_setting():
    previous = backend.fast_kernels_enabled()
    yield
    backend.set_fast_kernels(previous)


def test_set_fast_kernels_returns_the_previous_setting():
    backend.set_fast_kernels(True)
    assert backend.set_fast_kernels(False) is True
    assert backend.fast_kernels_enabled() is False
    assert backend.set_fast_kernels(False) is False
    assert backend.set_fast_kernels(1) is False          # any truth value, stored as a bool
    assert backend.fast_kernels_enabled() is True


@pytest.mark.parametrize("outside", [True, False])
def test_fast_kernels_block_restores_the_previous_setting(outside):
    backend.set_fast_kernels(outside)
    with backend.fast_kernels(not outside):
        assert backend.fast_kernels_enabled() is (not outside)
    assert backend.fast_kernels_enabled() is outside


def test_fast_kernels_block_restores_the_setting_on_error():
    backend.set_fast_kernels(True)
    with pytest.raises(RuntimeError, match="inside"):
        with backend.fast_kernels(False):
            raise RuntimeError("inside")
    assert backend.fast_kernels_enabled() is True


def test_nested_blocks_unwind_in_order():
    backend.set_fast_kernels(True)
    with backend.fast_kernels(False):
        with backend.fast_kernels(True):
            assert backend.fast_kernels_enabled() is True
        assert backend.fast_kernels_enabled() is False
    assert backend.fast_kernels_enabled() is True


@pytest.mark.parametrize("value, expected", [("0", "False"), ("1", "True"), (None, "True")])
def test_the_environment_sets_the_starting_value(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "SCRATCHNN_FAST_KERNELS"}
    env["PYTHONPATH"] = SRC
    if value is not None:
        env["SCRATCHNN_FAST_KERNELS"] = value
    code = "import scratchnn.backend as b; print(b.fast_kernels_enabled())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


@pytest.mark.usefixtures("restore_global_rng")
def test_both_settings_compute_the_same_numbers():
    """What the switch promises: the reference code and the fast kernels agree (a fused
    convolution + max pooling here)."""
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 1))
    outputs = []
    for enabled in (True, False):
        set_random_seed(0)
        model = snn.Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, activation="relu", dtype="float64"),
                                L.MaxPooling2D(2, dtype="float64"), L.Flatten(), L.Dense(1, dtype="float64")])
        with backend.fast_kernels(enabled):
            outputs.append(model(snn.Tensor(x, dtype=np.float64)).data)
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-12, atol=1e-12)
