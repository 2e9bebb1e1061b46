"""``scratchnn.datasets.mnist`` (``scratchnn/datasets/mnist.py``) on the real files (skipped
without the local mirror): shapes, dtypes and known statistics.
"""
import numpy as np

from tests.datasets.helpers import requires_mirror

# ----------------------------------------------------------------------------- real data

@requires_mirror
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
