"""Fixtures of the dataset tests. No test touches the network: ``isolated`` gives every test a
fresh cache, the local mirror (see ``tests/helpers.py``), no public URL, no Debian folder and
no ``pip download``. ``tiny`` is a synthetic 4-file dataset for the cache mechanics.
"""
import gzip
from types import SimpleNamespace

import numpy as np
import pytest

from scratchnn.datasets import _fetch, _registry, mnist
from scratchnn.datasets.idx import write_idx

from tests.datasets.helpers import REAL_DATA, sha256_hex
from tests.helpers import dataset_mirror, offline_datasets, require_dataset_mirror


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A fresh cache, the local mirror, and no network, Debian folder or pip."""
    home = tmp_path / "home"
    offline_datasets(monkeypatch, home, dataset_mirror(*REAL_DATA) or tmp_path / "no-mirror")
    return SimpleNamespace(home=home, cache=home / "datasets")


@pytest.fixture(scope="module")
def mnist_data(tmp_path_factory):
    """MNIST loaded once from the local mirror into a module cache: ``(data, cache home)``."""
    mirror = require_dataset_mirror("mnist")
    home = tmp_path_factory.mktemp("mnist-home")
    with pytest.MonkeyPatch.context() as mp:
        offline_datasets(mp, home, mirror)
        data = mnist.load_data(verbose=False)
    return data, home


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A 4-file dataset 'tiny' (MNIST's file names, 5 + 3 images) in a local mirror folder."""
    rng = np.random.default_rng(0)
    arrays = {_registry.TRAIN_IMAGES: rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              _registry.TRAIN_LABELS: rng.integers(0, 10, 5, dtype=np.uint8),
              _registry.TEST_IMAGES: rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              _registry.TEST_LABELS: rng.integers(0, 10, 3, dtype=np.uint8)}
    mirror = tmp_path / "tiny-mirror"
    (mirror / "tiny").mkdir(parents=True)
    shas = {}
    for name, array in arrays.items():
        raw = write_idx(array)
        shas[name] = sha256_hex(raw)
        (mirror / "tiny" / f"{name}.gz").write_bytes(gzip.compress(raw))
    info = _registry.DatasetInfo(name="tiny", folder="tiny", files=shas,
                                 shapes={name: array.shape for name, array in arrays.items()})
    monkeypatch.setitem(_registry.DATASETS, "tiny", info)
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(mirror))
    return SimpleNamespace(info=info, mirror=mirror, arrays=arrays)


@pytest.fixture
def keras_mirror(tmp_path, monkeypatch):
    """``install(name, {file: bytes})``: puts Keras dataset ``name``'s files in a local mirror
    and makes the registry expect their SHA-256 (no public URL is tried)."""
    mirror = tmp_path / "keras-mirror"
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(mirror))
    for info in _registry.KERAS_DATASETS.values():
        monkeypatch.setattr(info, "urls", ())

    def install(name, files):
        info = _registry.KERAS_DATASETS[name]
        (mirror / info.folder).mkdir(parents=True, exist_ok=True)
        hashes = dict(info.files)
        for filename, data in files.items():
            (mirror / info.folder / filename).write_bytes(data)
            hashes[filename] = sha256_hex(data)
        monkeypatch.setattr(info, "files", hashes)
        return mirror / info.folder

    return install
