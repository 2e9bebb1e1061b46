"""``scratchnn.datasets`` (``scratchnn/datasets/__init__.py``): list, path and download of the
downloaded and shipped sets, and ``load_mnist``'s textbook variants.
"""
import re
from pathlib import Path

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import _fetch, mnist, tabular, toy

from tests.datasets.helpers import requires_mirror


@requires_mirror
def test_load_mnist_textbook_variants(mnist_data, monkeypatch):
    data, home = mnist_data
    (x, y), (xt, yt) = data
    monkeypatch.setenv(_fetch.ENV_HOME, str(home))
    (a, t), (a_test, t_test) = ds.load_mnist(verbose=False)  # the real path, from the cache
    assert a.shape == (60000, 784) and a.dtype == np.float32 and a_test.shape == (10000, 784)
    assert a.min() == 0.0 and a.max() == 1.0
    np.testing.assert_array_equal(a, x.reshape(60000, 784).astype(np.float32) / np.float32(255))
    assert t.dtype == np.uint8 and t.shape == (60000,)
    np.testing.assert_array_equal(t_test, yt)

    monkeypatch.setattr(mnist, "load_data", lambda verbose=True: ((x, y), (xt, yt)))
    (a, t), (a_test, _) = ds.load_mnist(normalize=False, flatten=False)
    assert a.shape == (60000, 1, 28, 28) and a.dtype == np.uint8 and a_test.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(a[:, 0], x)
    (a, t), (_, t_test) = ds.load_mnist(flatten=False, one_hot_label=True)
    assert a.shape == (60000, 1, 28, 28) and a.dtype == np.float32 and a.max() == 1.0
    assert t.shape == (60000, 10) and t.dtype == np.float32 and t_test.shape == (10000, 10)
    np.testing.assert_array_equal(t.argmax(axis=1), y)
    np.testing.assert_array_equal(t.sum(axis=1), np.ones(60000, np.float32))


# ----------------------------------------------------------------------------- names and folders

def test_list_and_path(isolated, monkeypatch):
    assert ds.list()[:2] == ["mnist", "fashion_mnist"]     # the downloaded sets, then the shipped ones
    assert ds.path("mnist") == isolated.cache / "mnist"
    assert ds.path("Fashion-MNIST") == isolated.cache / "fashion-mnist"
    assert ds.path() == isolated.cache
    monkeypatch.delenv(_fetch.ENV_HOME)
    assert ds.path("mnist") == Path.home() / ".cache" / "scratchnn" / "datasets" / "mnist"
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar10'; expected one of \['fashion_mnist'"):
        ds.path("cifar10")


def test_datasets_package_lists_and_locates_shipped_sets(tmp_path, monkeypatch):
    monkeypatch.setenv(_fetch.ENV_HOME, str(tmp_path))
    assert ds.list() == ["mnist", "fashion_mnist", "breast_cancer", "iris", "diabetes", "tiny_shakespeare"]
    assert (ds.path("iris") / "iris.csv.gz").is_file()
    assert ds.path("mnist") == tmp_path / "datasets" / "mnist"  # downloaded sets unchanged
    files = ds.download("Diabetes", verbose=False)
    assert list(files) == ["diabetes.csv.gz"] and files["diabetes.csv.gz"].is_file()
    assert not (tmp_path / "datasets").exists()  # nothing was fetched or cached
    expected = ("unknown dataset 'wine'; expected one of ['fashion_mnist', 'mnist'] (downloaded) "
                "or ['breast_cancer', 'iris', 'diabetes', 'tiny_shakespeare'] (shipped with the package).")
    for call in (ds.path, ds.download):
        with pytest.raises(ValueError, match=re.escape(expected)):
            call("wine")
    assert ds.tabular is tabular and ds.toy is toy and {"tabular", "toy"} <= set(ds.__all__)
    for name in ("load_breast_cancer", "load_iris", "load_diabetes", "logic_gate", "spirals", "moons",
                 "circles", "blobs", "linear_regression", "polynomial_regression"):
        assert name in ds.__all__ and callable(getattr(ds, name))
