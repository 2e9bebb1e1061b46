"""Fixtures of the command-line tests: an empty cache with the local dataset mirror, one real
``scratchnn train`` run on MNIST and one small ``scratchnn search``, each made once.
"""
import pytest

from scratchnn.cli import main

from tests.cli.helpers import run_train
from tests.helpers import dataset_mirror, offline_datasets, require_dataset_mirror


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty cache, MNIST from the local mirror when there is one (the test must not hit the
    network)."""
    offline_datasets(monkeypatch, tmp_path / "home", dataset_mirror("mnist"))
    return tmp_path


@pytest.fixture(scope="package")
def mnist_run(tmp_path_factory):
    """One real run of the default command's model on full MNIST (1 epoch, to stay quick), made
    once for all the command-line tests; skipped without the local mirror."""
    mirror = require_dataset_mirror("mnist")
    root = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as mp:
        offline_datasets(mp, root / "home", mirror)
        assert run_train(root / "runs", "mnist", "--epochs", "1", "--seed", "0") == 0
    return root / "runs" / "mnist"


@pytest.fixture(scope="package")
def search_run(tmp_path_factory):
    """One small search on breast cancer: 2 x 2 candidates, 3 folds, 2 epochs each."""
    out = tmp_path_factory.mktemp("search") / "bc"
    mp = pytest.MonkeyPatch()
    mp.setenv("SCRATCHNN_HOME", str(out.parent / "home"))
    import io
    from contextlib import redirect_stdout
    buffer = io.StringIO()
    try:
        with redirect_stdout(buffer):
            status = main(["search", "--dataset", "breast_cancer", "--grid", "lr=0.001,0.01", "--grid",
                           "hidden=4,8", "--cv", "3", "--epochs", "2", "--seed", "0", "--out", str(out),
                           "--quiet"])
    finally:
        mp.undo()
    assert status == 0
    return out, buffer.getvalue()
