"""Tiny Shakespeare, shipped inside the package (``scratchnn/datasets/tiny_shakespeare.py``):
the text, its checksum, the refusal of damaged copies, the 90% / 10% split, and the packaging.
"""
import fnmatch
import os
import gzip
import hashlib
import tomllib
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import DatasetUnavailableError, tiny_shakespeare

ROOT = Path(__file__).resolve().parents[2]
# the value published in shared/datasets/README.md (and by char-rnn's file)
EXPECTED_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


@pytest.fixture(scope="module")
def text():
    return tiny_shakespeare.load_data()


def test_text_length_checksum_and_characters(text):
    assert isinstance(text, str) and len(text) == 1_115_394 == tiny_shakespeare.LENGTH
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == EXPECTED_SHA256 == tiny_shakespeare.SHA256
    assert len(set(text)) == 65
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")


def _gzip_file(tmp_path, data, name="copy.txt.gz"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def test_an_intact_copy_elsewhere_loads(tmp_path, text):
    path = _gzip_file(tmp_path, text.encode("ascii"))
    assert tiny_shakespeare.load_data(path) == text
    assert tiny_shakespeare.load_data(str(path)) == text


def test_a_tampered_copy_is_refused_naming_both_checksums(tmp_path, text):
    tampered = text.replace("First Citizen", "Fifth Citizen", 1).encode("ascii")  # same length
    assert len(tampered) == len(text)
    path = _gzip_file(tmp_path, tampered)
    bad = hashlib.sha256(tampered).hexdigest()
    with pytest.raises(DatasetUnavailableError, match=f"checksum mismatch.*SHA-256 {bad}, "
                                                      f"expected {EXPECTED_SHA256}") as info:
        tiny_shakespeare.load_data(path)
    assert str(path) in str(info.value) and isinstance(info.value, OSError)


def test_a_shortened_copy_and_a_non_gzip_file_are_refused(tmp_path, text):
    with pytest.raises(DatasetUnavailableError, match="checksum mismatch: the decompressed 1,115,393 bytes"):
        tiny_shakespeare.load_data(_gzip_file(tmp_path, text[:-1].encode("ascii")))
    plain = tmp_path / "plain.txt.gz"
    plain.write_bytes(text.encode("ascii"))
    with pytest.raises(DatasetUnavailableError, match="not a valid gzip file"):
        tiny_shakespeare.load_data(plain)
    with pytest.raises(DatasetUnavailableError, match="cannot read the file .*missing.gz"):
        tiny_shakespeare.load_data(tmp_path / "missing.gz")


def test_a_file_inflating_past_the_known_size_is_stopped_early(tmp_path):
    # 64 MB of zeros compress to ~64 kB: the loader must stop after LENGTH + 1 bytes
    path = _gzip_file(tmp_path, bytes(64 * 2**20), name="bomb.gz")
    assert path.stat().st_size < 2**20
    tracemalloc.start()
    try:
        with pytest.raises(DatasetUnavailableError, match="decompresses to more than the 1,115,394 bytes"):
            tiny_shakespeare.load_data(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"peak memory {peak} bytes: the decompression was not bounded"


def test_train_validation_split_follows_nanogpt(text):
    train, val = tiny_shakespeare.train_validation_split(text)
    assert (len(train), len(val)) == (1_003_854, 111_540)      # int(0.9 * n) and the rest
    assert train + val == text and train == text[:1_003_854]
    ids = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    a, b = tiny_shakespeare.train_validation_split(ids, train_fraction=0.5)
    assert isinstance(a, np.ndarray) and len(a) == 557_697 and len(b) == 557_697
    np.testing.assert_array_equal(np.concatenate([a, b]), ids)
    assert tiny_shakespeare.train_validation_split("abcdefghij", 0.75) == ("abcdefg", "hij")


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, "0.9", True, None])
def test_train_validation_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match=r"train_fraction must be a number in \(0, 1\), got"):
        tiny_shakespeare.train_validation_split("abc", fraction)


def test_train_validation_split_rejects_a_2d_array():
    with pytest.raises(ValueError, match=r"1-D array of token ids, got an array of shape \(2, 3\)"):
        tiny_shakespeare.train_validation_split(np.zeros((2, 3)))


def test_listed_located_and_downloaded_like_the_other_shipped_sets(isolated):
    assert ds.list()[-1] == "tiny_shakespeare"
    assert (ds.path("tiny-shakespeare") / "tiny_shakespeare.txt.gz").is_file()
    files = ds.download("tiny_shakespeare", verbose=False)
    assert list(files) == ["tiny_shakespeare.txt.gz"]
    assert hashlib.sha256(gzip.decompress(files["tiny_shakespeare.txt.gz"].read_bytes())).hexdigest() \
        == EXPECTED_SHA256
    assert not isolated.cache.exists()  # nothing was fetched or cached


def test_every_shipped_data_file_is_declared_as_package_data():
    """A file in ``datasets/data/`` that no ``package-data`` pattern matches would be left out of
    a (non-editable) wheel: the loader would work from the repository and fail once installed."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = ROOT / "src" / "scratchnn"
    data = [p for p in (package / "datasets" / "data").iterdir() if p.suffix != ".py"]
    assert "tiny_shakespeare.txt.gz" in {p.name for p in data}
    for path in data:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns["scratchnn"]), relative


def test_a_fifo_or_a_link_to_dev_zero_is_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo.gz"
    os.mkfifo(fifo)
    link = tmp_path / "zero.gz"
    link.symlink_to("/dev/zero")
    for path in (fifo, link):   # a FIFO with no writer would block, /dev/zero never ends
        with pytest.raises(DatasetUnavailableError, match="not a regular file"):
            tiny_shakespeare.load_data(path)


def test_a_file_larger_than_any_gzip_of_the_text_is_refused_unread(tmp_path):
    big = tmp_path / "big.gz"
    with open(big, "wb") as f:
        f.truncate(8 * 2**20)   # sparse: 8 MiB claimed, nothing to inflate
    with pytest.raises(DatasetUnavailableError, match="larger than a gzip copy"):
        tiny_shakespeare.load_data(big)
