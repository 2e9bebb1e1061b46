"""Fixtures and hooks for the whole test suite (helpers to import are in ``helpers.py``).

* Tests marked ``torch`` (``@requires_torch``) compare with PyTorch, and are skipped without it.
* ``rng`` and ``restore_global_rng``: seeded randomness.
* ``mnist_mirror`` and ``fashion_mnist_mirror``: the data set's files from the local mirror
  only, in a fresh cache; the test is skipped when the mirror lacks them.
* ``toy_experiment``: a small experiment registered in the lab for one test.
"""
import numpy as np
import pytest
from hypothesis import settings

import scratchnn.random as snn_random
from scratchnn import lab
from scratchnn.lab import _core

from tests.helpers import torch, use_dataset_mirror

# CI machines are slow and noisy: no per-example deadline, a moderate number of examples.
settings.register_profile("scratchnn", deadline=None, max_examples=60)
settings.load_profile("scratchnn")


def pytest_collection_modifyitems(config, items):
    """Without PyTorch, skip the tests marked ``torch`` (they compare with it)."""
    if torch is not None:
        return
    skip = pytest.mark.skip(reason="PyTorch is not installed (test oracle)")
    for item in items:
        if item.get_closest_marker("torch") is not None:
            item.add_marker(skip)


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


@pytest.fixture
def mnist_mirror(tmp_path, monkeypatch):
    """MNIST from the local mirror only, into a fresh cache; the mirror's folder."""
    return use_dataset_mirror(monkeypatch, tmp_path / "dataset-home", "mnist")


@pytest.fixture
def fashion_mnist_mirror(tmp_path, monkeypatch):
    """Fashion-MNIST from the local mirror only, into a fresh cache; the mirror's folder."""
    return use_dataset_mirror(monkeypatch, tmp_path / "dataset-home", "fashion_mnist")


@pytest.fixture
def toy_experiment():
    """A small registered experiment that draws random numbers and one figure (removed afterwards)."""
    from scratchnn.plot.figure import new_figure

    @lab.experiment("toy-test", "A toy experiment", "draws numbers", order=-1)
    def toy(lab_):
        import scratchnn as snn
        w = snn.layers.Dense(3)
        w.build((None, 2))
        lab_.number("draw", float(lab_.rng.random()))
        lab_.number("global_draw", float(np.random.random()))
        lab_.number("kernel", w.kernel.data)
        lab_.number("size", lab_.pick(100, 10))
        fig = new_figure(3, 2)
        ax = fig.add_subplot()
        ax.plot([0, 1], [1, 0])
        ax.set_title("toy")
        lab_.figure("curve", fig)
        lab_.say(f"the draw was {lab_.numbers['draw']:.3f}")
    yield toy
    del _core.EXPERIMENTS["toy-test"]
