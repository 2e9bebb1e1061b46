"""Reading outside files safely (``scratchnn/datasets/files.py``): only regular files (no FIFO,
no device, checked on the opened file too), and gzip data inflated only up to a known size.
"""
import gzip
import io
import os
import tracemalloc

import numpy as np
import pytest

from scratchnn.datasets import files

from tests.datasets.helpers import gzip_bomb, make_fifo, sha256_hex, within

needs_dev_zero = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")


# ----------------------------------------------------------------------------- regular files only

def test_regular_file_and_link_to_one_are_accepted(tmp_path):
    real = tmp_path / "real.gz"
    real.write_bytes(b"abc")
    assert files.require_regular_file(real, "the test file").st_size == 3
    link = tmp_path / "link.gz"
    link.symlink_to(real)
    with files.open_regular_file(link, "the test file") as f:  # a link to a regular file: read it
        assert f.read() == b"abc"
    with pytest.raises(FileNotFoundError):
        files.require_regular_file(tmp_path / "missing.gz")


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = make_fifo(tmp_path / "pipe.gz")
    for check in (files.require_regular_file, files.open_regular_file):
        with pytest.raises(files.NotARegularFileError) as info:
            within(20, lambda check=check: check(fifo, "the test file", hint="Remove it."), fifo=fifo)
        message = str(info.value)
        assert f"the test file {fifo} is a FIFO (named pipe), not a regular file" in message
        assert message.endswith("Remove it.")
        assert info.value.kind == "a FIFO (named pipe)" and info.value.path == str(fifo)
        assert isinstance(info.value, OSError)


def test_open_checks_the_opened_file_itself(tmp_path, monkeypatch):
    """A path swapped for a FIFO after the first check is still refused, and opening it does
    not wait for a writer."""
    fifo = make_fifo(tmp_path / "swapped.gz")
    monkeypatch.setattr(files, "require_regular_file", lambda *args, **kwargs: None)
    with pytest.raises(files.NotARegularFileError, match="is a FIFO"):
        within(20, lambda: files.open_regular_file(fifo, "the test file"), fifo=fifo)


@needs_dev_zero
def test_link_to_dev_zero_and_directory_are_refused(tmp_path):
    link = tmp_path / "zero.gz"
    link.symlink_to("/dev/zero")
    with pytest.raises(files.NotARegularFileError) as info:
        files.open_regular_file(link, "the test file")
    assert (f"the test file {link} is a symbolic link to /dev/zero, which is a character device, "
            "not a regular file") in str(info.value)
    with pytest.raises(files.NotARegularFileError, match="is a directory"):
        files.open_regular_file(tmp_path, "the test file")


# ----------------------------------------------------------------------------- bounded gzip

@pytest.mark.parametrize("chunk", [1, 5, 1 << 20])
def test_read_gzip_equals_gzip_decompress(chunk, monkeypatch, rng):
    monkeypatch.setattr(files, "CHUNK", chunk)
    raw = rng.integers(0, 4, 5000, dtype=np.uint8).tobytes()  # compressible: long matches
    for gz in (gzip.compress(raw), gzip.compress(raw[:1234]) + gzip.compress(raw[1234:]),
               gzip.compress(raw) + bytes(7), gzip.compress(raw[:10]) + bytes(3) + gzip.compress(raw[10:])):
        data, digest = files.read_gzip(io.BytesIO(gz), len(raw))
        assert data == gzip.decompress(gz) == raw
        assert digest == sha256_hex(raw)
        with pytest.raises(files.SizeLimitError, match=f"inflates to more than {len(raw) - 1} bytes"):
            files.read_gzip(io.BytesIO(gz), len(raw) - 1)  # one byte over: refused


def test_read_gzip_refuses_truncated_and_foreign_data(rng):
    gz = gzip.compress(rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    for bad in (gz[:-1], gz[:-8], gz[: len(gz) // 2], b""):
        with pytest.raises(ValueError, match="is not a valid gzip file .it ends in the middle"):
            files.read_gzip(io.BytesIO(bad), 3000, what="the copy")
    with pytest.raises(ValueError, match="the copy is not a valid gzip file .*incorrect header"):
        files.read_gzip(io.BytesIO(b"PK\x03\x04 a zip, not a gzip"), 3000, what="the copy")


def test_gzip_bomb_is_refused_in_bounded_memory():
    bomb = gzip_bomb(64 << 20)  # 64 MiB of zeros in about 64 KB
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(files.SizeLimitError, match="inflates to more than 4000000 bytes"):
            files.read_gzip(io.BytesIO(bomb), 4_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # about the limit (4 MB) plus one piece (1 MiB), far below the 64 MiB the bomb inflates to
    assert peak < 4_000_000 + 3 * files.CHUNK


def test_gzip_bound_admits_real_gzip_files(rng):
    """The bound is an upper limit on honest files: incompressible data at every level fits."""
    for n in (0, 1, 1000, 300_000):
        raw = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        for level in (0, 1, 6, 9):
            assert len(gzip.compress(raw, compresslevel=level)) <= files.gzip_bound(n)
    assert files.gzip_bound(47_040_016) < 47_200_000  # MNIST's training images: 0.3% of slack


def test_copy_limited_stops_at_the_limit():
    written = []
    assert files.copy_limited(io.BytesIO(b"x" * 10).read, written.append, 10) == 10
    written.clear()
    endless = iter(lambda: b"y" * 1000, None)  # never ends
    with pytest.raises(files.SizeLimitError, match="the stream is larger than 2500 bytes"):
        files.copy_limited(lambda n: next(endless), written.append, 2500, what="the stream")
    assert sum(map(len, written)) <= 2500
