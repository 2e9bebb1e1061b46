"""What the loader knows about each dataset (``scratchnn/datasets/_registry.py``): file sizes
from the known shapes, https before http among the public locations, and Keras's datasets, whose
files are kept as published (``raw``).
"""
import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from scratchnn.datasets import _fetch, _registry, files

from tests.datasets.helpers import FILES, requires_mirror
from tests.helpers import dataset_mirror

#: The public locations as the registry gives them (the tests' fixtures remove them: no network).
PUBLIC_URLS = {name: info.urls for name, info in _registry.DATASETS.items()}


@pytest.mark.parametrize("name", sorted(_registry.DATASETS))
def test_public_locations_prefer_https(name):
    urls = PUBLIC_URLS[name]
    schemes = [url.split("://")[0] for url in urls]
    assert set(schemes) <= {"http", "https"} and schemes[0] == "https"
    assert schemes == sorted(schemes, key=lambda s: s != "https")  # every https before any http


def test_sizes_follow_the_shapes():
    mnist = _registry.DATASETS["mnist"]
    assert [mnist.size(f) for f in FILES] == [47040016, 60008, 7840016, 10008]
    assert _registry.DATASETS["fashion_mnist"].size(_registry.TRAIN_IMAGES) == 47040016
    unknown = _registry.DatasetInfo(name="x", folder="x", files={"a": "0" * 64})
    assert unknown.size("a") == _registry.UNKNOWN_SIZE_LIMIT


@requires_mirror
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_real_files_fit_the_limits_exactly(name):
    """The mirror's files inflate to exactly the size the shapes give, and their gzip size is
    under the download limit (so the limits refuse nothing genuine)."""
    info = _registry.DATASETS[name]
    folder = Path(dataset_mirror(name)) / info.folder
    for f in FILES:
        gz = folder / f"{f}.gz"
        assert gz.stat().st_size <= files.gzip_bound(info.size(f))
        with gzip.open(gz, "rb") as stream:
            assert len(stream.read()) == info.size(f)


# ======================================================= files kept as published (Keras's datasets)
def _raw_dataset(monkeypatch, tmp_path, content, hash_hex, size=1000):
    mirror = tmp_path / "raw-mirror"
    (mirror / "rawset").mkdir(parents=True, exist_ok=True)
    (mirror / "rawset" / "data.json").write_bytes(content)
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(mirror))
    return _registry.DatasetInfo(name="rawset", folder="rawset", raw=True, files={"data.json": hash_hex},
                                 sizes={"data.json": size}), mirror


def test_raw_file_with_md5_is_fetched_cached_as_is_and_read_from_the_cache(tmp_path, monkeypatch, isolated):
    content = b'{"the": 1}'
    info, mirror = _raw_dataset(monkeypatch, tmp_path, content, hashlib.md5(content).hexdigest())
    assert info.stored("data.json") == "data.json" and info.hash_algorithm("data.json") == "md5"
    assert _fetch.fetch(info, verbose=False) == {"data.json": content}
    assert (isolated.cache / "rawset" / "data.json").read_bytes() == content      # not gzipped
    shutil.rmtree(mirror)
    assert _fetch.fetch(info, verbose=False) == {"data.json": content}


def test_raw_file_larger_than_its_bound_or_with_another_hash_is_refused(tmp_path, monkeypatch, isolated):
    content = b"x" * 2000
    info, _ = _raw_dataset(monkeypatch, tmp_path, content, hashlib.sha256(content).hexdigest(), size=1000)
    with pytest.raises(_fetch.DatasetUnavailableError, match="more than the 1000"):
        _fetch.fetch(info, verbose=False)
    info, _ = _raw_dataset(monkeypatch, tmp_path, b"tampered", "0" * 64)
    with pytest.raises(_fetch.DatasetUnavailableError, match="checksum mismatch: the file has SHA256"):
        _fetch.fetch(info, verbose=False)
    assert not list((isolated.cache / "rawset").iterdir())


def test_keras_registry_gives_keras_published_hashes():
    imdb = _registry.keras_dataset("imdb", _registry.IMDB)
    assert list(imdb.files) == ["imdb.npz"] and imdb.raw
    assert imdb.files["imdb.npz"].startswith("69664113") and imdb.urls == (_registry.KERAS_ORIGIN,)
    assert _registry.KERAS_DATASETS["imdb"].hash_algorithm("imdb_word_index.json") == "md5"
    assert set(_registry.KERAS_DATASETS) == {"imdb", "reuters", "boston_housing", "cifar10"}
    assert not set(_registry.KERAS_DATASETS) & set(_registry.DATASETS)   # `datasets.list()` unchanged
