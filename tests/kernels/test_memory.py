"""``scratchnn.kernels.memory``: asking glibc's allocator to keep freed memory for the next step.

It changes the whole process, so it is not done at import: the first ``fit``, ``evaluate`` or
``predict`` with fast kernels on does it (``prepare_process``), once. ``SCRATCHNN_TUNE_MALLOC=0``
or fast kernels off (``SCRATCHNN_FAST_KERNELS=0``) leave the allocator alone. What a process
did is read from ``allocator_tuned`` in a fresh interpreter for each case.
"""
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.backend import fast_kernels
from scratchnn.kernels import memory

SRC = str(Path(snn.__file__).resolve().parents[1])

linux_glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                                 reason="the allocator is tuned on Linux with glibc only")

FIT = """
import numpy as np, scratchnn as snn
from scratchnn.kernels import memory
print("after import:", memory.allocator_tuned)
model = snn.Sequential([snn.layers.Input((2,)), snn.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)
print("after fit:", memory.allocator_tuned)
"""


def run_fresh(code, **env):
    environment = {**os.environ, "PYTHONPATH": SRC, **env}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@linux_glibc
def test_import_does_not_tune_the_allocator_the_first_fit_does():
    assert run_fresh(FIT, SCRATCHNN_FAST_KERNELS="1", SCRATCHNN_TUNE_MALLOC="1") == \
        ["after import: False", "after fit: True"]


@pytest.mark.parametrize("env", [{"SCRATCHNN_FAST_KERNELS": "0"}, {"SCRATCHNN_TUNE_MALLOC": "0"}],
                         ids=["fast-kernels-off", "tune-malloc-off"])
def test_the_environment_can_keep_the_allocator_untuned(env):
    assert run_fresh(FIT, **env) == ["after import: False", "after fit: False"]


def test_tune_malloc_0_makes_tune_allocator_a_no_op(monkeypatch):
    monkeypatch.setattr(memory, "allocator_tuned", False)
    monkeypatch.setenv("SCRATCHNN_TUNE_MALLOC", "0")
    assert memory.tune_allocator() is False and memory.allocator_tuned is False


@pytest.fixture
def tuning_calls(monkeypatch):
    """Records the calls of tune_allocator (which does nothing here) while the allocator is untuned."""
    calls = []
    monkeypatch.setattr(memory, "allocator_tuned", False)
    monkeypatch.setattr(memory, "tune_allocator", lambda: calls.append("tune"))
    return calls


def test_prepare_process_tunes_only_with_fast_kernels_on(tuning_calls):
    with fast_kernels(False):
        memory.prepare_process()
    assert tuning_calls == []
    with fast_kernels(True):
        memory.prepare_process()
    assert tuning_calls == ["tune"]


def test_prepare_process_does_nothing_once_tuned(tuning_calls, monkeypatch):
    monkeypatch.setattr(memory, "allocator_tuned", True)
    with fast_kernels(True):
        memory.prepare_process()
    assert tuning_calls == []


@pytest.mark.parametrize("loop", ["fit", "evaluate", "predict"])
def test_each_loop_prepares_the_process(tuning_calls, loop):
    model = snn.Sequential([L.Input((2,)), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 2)), np.zeros((4, 1))
    with fast_kernels(True):
        if loop == "predict":
            model.predict(x, verbose=0)
        else:
            getattr(model, loop)(x, y, verbose=0)
    assert tuning_calls == ["tune"]
