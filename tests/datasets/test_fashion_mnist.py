"""``scratchnn.datasets.fashion_mnist`` (``scratchnn/datasets/fashion_mnist.py``): from the
mirror, from Debian's package, and the error that names that fallback.
"""
import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import _fetch, _registry, fashion_mnist

from tests.datasets.helpers import FILES, REAL_DATA, requires_mirror
from tests.helpers import dataset_mirror


@requires_mirror
def test_fashion_mnist_from_mirror(isolated):
    (x, y), (xt, yt) = fashion_mnist.load_data(verbose=False)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == y.dtype == np.uint8
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert len(fashion_mnist.CLASS_NAMES) == 10
    assert (isolated.cache / "fashion-mnist" / f"{_registry.TRAIN_IMAGES}.gz").is_file()


@requires_mirror
def test_fashion_mnist_debian_fallback(isolated, tmp_path, monkeypatch):
    debian = tmp_path / "usr-share-datasets"
    debian.mkdir()
    (debian / "fashion-mnist").symlink_to(dataset_mirror(*REAL_DATA) / "fashion-mnist")
    monkeypatch.setattr(_registry, "DEBIAN_DATASETS_DIR", str(debian))
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(tmp_path / "missing"))
    paths = ds.download("fashion-mnist", verbose=False)
    assert sorted(paths) == sorted(FILES)
    assert all(p.is_file() and p.parent == isolated.cache / "fashion-mnist" for p in paths.values())


def test_fashion_mnist_failure_lists_the_debian_fallback(isolated, monkeypatch):
    monkeypatch.setenv(_fetch.ENV_MIRRORS, "")
    with pytest.raises(OSError, match=r"dataset-fashion-mnist .*no folder .*no-debian.*apt-get install"):
        fashion_mnist.load_data(verbose=False)
