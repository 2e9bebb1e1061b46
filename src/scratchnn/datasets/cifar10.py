"""CIFAR-10 (Krizhevsky, 2009), as ``keras.datasets.cifar10``: 50,000 training and 10,000 test
colour images of 32x32 pixels in 10 classes (``LABEL_NAMES``).

    from scratchnn.datasets import cifar10
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()   # uint8 (N, 32, 32, 3), (N, 1)

The archive is the one Keras downloads, ``https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz``
(cached as ``$SCRATCHNN_HOME/datasets/cifar10/cifar-10-python.tar.gz``; mirror layout
``<mirror>/cifar10/cifar-10-python.tar.gz``), checked against Keras's SHA-256 before it is
opened. Nothing is extracted to disk: the six batch files (``data_batch_1`` .. ``_5``,
``test_batch``, pickled dictionaries with ``data``, rows of 3072 bytes = 3 planes of 32x32, and
``labels``) are read from the archive in memory with ``safe_pickle`` (NumPy arrays only).
"""
import io
import tarfile

import numpy as np

from ._registry import CIFAR10
from .safe_pickle import loads
from .word_sequences import fetch_file

__all__ = ["load_data", "LABEL_NAMES", "read_batch"]

LABEL_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
#: The most bytes one batch file may have (10,000 rows of 3,072 bytes, with room for the labels).
MAX_BATCH_BYTES = 64 << 20


def read_batch(data, what="a CIFAR-10 batch"):
    """``(images, labels)`` of one pickled batch (its bytes): uint8 (N, 3, 32, 32) and uint8 (N,)."""
    batch = loads(data, what=what, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"{what}: expected a pickled dict, got {type(batch).__name__}.")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    images, labels = batch.get("data"), batch.get("labels")
    if not isinstance(images, np.ndarray) or images.ndim != 2 or images.shape[1] != 3 * 32 * 32 \
            or labels is None or len(labels) != len(images):
        raise ValueError(f"{what}: expected 'data' of shape (N, 3072) and N 'labels', got "
                         f"{getattr(images, 'shape', type(images).__name__)} and "
                         f"{None if labels is None else len(labels)} labels.")
    return images.astype(np.uint8, copy=False).reshape(-1, 3, 32, 32), np.asarray(labels, dtype=np.uint8)


def _member(tar, name):
    try:
        info = tar.getmember(f"{FOLDER}/{name}")
    except KeyError:
        raise ValueError(f"cifar10/{CIFAR10} has no member {FOLDER}/{name}.") from None
    if not info.isfile() or info.size > MAX_BATCH_BYTES:
        raise ValueError(f"cifar10/{CIFAR10}: {info.name} is not a regular file of at most {MAX_BATCH_BYTES} "
                         "bytes; refused.")
    return tar.extractfile(info).read()


def load_data(verbose=True):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (N, 32, 32, 3) (channels last, as
    Keras gives them) and uint8 labels of shape (N, 1)."""
    archive = fetch_file("cifar10", CIFAR10, verbose=verbose)
    splits = []
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for names in (TRAIN_BATCHES, (TEST_BATCH,)):
            parts = [read_batch(_member(tar, n), what=f"cifar10/{FOLDER}/{n}") for n in names]
            x = np.concatenate([p[0] for p in parts]).transpose(0, 2, 3, 1)
            y = np.concatenate([p[1] for p in parts]).reshape(-1, 1)
            splits.append((np.ascontiguousarray(x), y))
    return tuple(splits)
