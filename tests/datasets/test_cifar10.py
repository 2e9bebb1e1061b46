"""``cifar10.load_data`` on a small archive of the published format (a tar.gz of pickled
batches): layout of the arrays, and a malicious batch refused without running anything."""
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from scratchnn.datasets import cifar10
from scratchnn.datasets.safe_pickle import UnsafePickleError


def batch(n, seed):
    rng = np.random.default_rng(seed)
    return {b"batch_label": b"batch", b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [b"img%d.png" % i for i in range(n)]}


def archive(batches):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in batches.items():
            data = content if isinstance(content, bytes) else pickle.dumps(content, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


BATCHES = {**{f"data_batch_{i}": batch(3, i) for i in range(1, 6)}, "test_batch": batch(2, 9)}


def test_images_channels_last_and_labels_as_columns(keras_mirror):
    keras_mirror("cifar10", {"cifar-10-python.tar.gz": archive(BATCHES)})
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(verbose=False)
    assert x_train.shape == (15, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (15, 1) and y_test.shape == (2, 1)
    assert x_train.dtype == y_train.dtype == np.uint8
    first = BATCHES["data_batch_1"][b"data"][0]
    np.testing.assert_array_equal(x_train[0, :, :, 0], first[:1024].reshape(32, 32))     # red plane
    np.testing.assert_array_equal(x_train[0, 5, 7], first[[5 * 32 + 7, 1024 + 5 * 32 + 7, 2048 + 5 * 32 + 7]])
    np.testing.assert_array_equal(x_train[12], BATCHES["data_batch_5"][b"data"][0].reshape(3, 32, 32)
                                  .transpose(1, 2, 0))
    assert y_train[:, 0].tolist() == sum((BATCHES[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    assert y_test[:, 0].tolist() == BATCHES["test_batch"][b"labels"]


def test_a_malicious_batch_is_refused(keras_mirror, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    hostile = dict(BATCHES, test_batch={b"data": Evil(), b"labels": [1]})
    keras_mirror("cifar10", {"cifar-10-python.tar.gz": archive(hostile)})
    with pytest.raises(UnsafePickleError, match="test_batch.*system"):
        cifar10.load_data(verbose=False)
    assert not marker.exists()


def test_a_missing_batch_or_a_wrong_shape_is_a_clear_error(keras_mirror):
    partial = {k: v for k, v in BATCHES.items() if k != "data_batch_3"}
    keras_mirror("cifar10", {"cifar-10-python.tar.gz": archive(partial)})
    with pytest.raises(ValueError, match="no member cifar-10-batches-py/data_batch_3"):
        cifar10.load_data(verbose=False)
    bad = dict(BATCHES, test_batch={b"data": np.zeros((2, 10), np.uint8), b"labels": [1, 2]})
    keras_mirror("cifar10", {"cifar-10-python.tar.gz": archive(bad)})
    with pytest.raises(ValueError, match=r"expected 'data' of shape \(N, 3072\)"), \
            pytest.warns(RuntimeWarning, match="is corrupt"):    # the cached archive has another hash now
        cifar10.load_data(verbose=False)


def test_keras_namespace():
    from scratchnn import keras
    assert keras.datasets.cifar10 is cifar10
    assert keras.datasets.boston_housing.load_data is not None
