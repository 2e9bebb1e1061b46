"""The lab's experiments, each run once (quick) for all the lab's tests.

An experiment that loads MNIST or Fashion-MNIST reads it from the local mirror only (see
``tests/helpers.py``); its tests are skipped when the mirror lacks the files.
"""
import pytest

from scratchnn import lab

from tests.helpers import offline_datasets, require_dataset_mirror

#: The downloaded data sets each experiment loads (the others ship their data or need none).
NEEDS = {"optimizers": ("mnist",), "learning-rate": ("mnist",), "vanishing-gradients": ("mnist",),
         "overfitting": ("mnist",), "weight-init": ("mnist",), "cnn": ("mnist",), "batch-size": ("mnist",),
         "multiclass": ("fashion_mnist",)}


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """One thread for every run of these tests. They compare two runs of an experiment bit for
    bit (a seeded rerun, a rerun on a slow clock), and BLAS sums in another order with another
    thread count, which the automatic choice (``kernels/threads.py``) takes from the machine's
    load at each ``fit``: two runs minutes apart on a busy machine could differ in the last bits."""
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "1")


@pytest.fixture(scope="package")
def results(tmp_path_factory):
    """``get(name)``: ``(result, folder)``, the quick run (seed 0) of experiment ``name`` saved to
    its own temporary folder; each experiment runs once for all the lab's tests."""
    cache = {}

    def get(name):
        if name not in cache:
            mirror = require_dataset_mirror(*NEEDS[name]) if name in NEEDS else None
            out = tmp_path_factory.mktemp(name)
            with pytest.MonkeyPatch.context() as mp:
                offline_datasets(mp, tmp_path_factory.mktemp("home"), mirror)
                cache[name] = (lab.run(name, quick=True, seed=0, verbose=False, out=out), out)
        return cache[name]
    return get
