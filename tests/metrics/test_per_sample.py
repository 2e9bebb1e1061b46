"""The per-sample metric functions (``scratchnn/metrics/per_sample.py``) and top-k ties."""
import math

import numpy as np

from scratchnn import metrics as M
from scratchnn.keras import metrics as KM  # Keras's per-sample regression functions live here


def test_top_k_ties_and_first_maximum():
    # ties with the k-th score count as hits (Keras's in_top_k); argmax takes the first maximum
    scores = np.array([[0.5, 0.5, 0.5, 0.1]], np.float32)
    assert M.sparse_top_k_categorical_accuracy([2], scores, k=1)[0] == 1.0
    assert M.sparse_top_k_categorical_accuracy([3], scores, k=3)[0] == 0.0
    assert M.sparse_categorical_accuracy([0], scores)[0] == 1.0
    assert M.sparse_categorical_accuracy([1], scores)[0] == 0.0


def test_per_sample_functions():
    y_true = np.array([[0.0, 1.0], [2.0, 4.0]])
    y_pred = np.array([[1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(KM.mean_squared_error(y_true, y_pred), [0.5, 2.0])
    np.testing.assert_allclose(KM.mean_absolute_error(y_true, y_pred), [0.5, 1.0])
    np.testing.assert_allclose(KM.root_mean_squared_error(y_true, y_pred), [math.sqrt(0.5), math.sqrt(2)])
    np.testing.assert_allclose(KM.mean_absolute_percentage_error(y_true, y_pred), [5e8, 25.0], rtol=1e-6)
    np.testing.assert_array_equal(M.binary_accuracy([[1, 0], [0, 0]], [[0.7, 0.6], [0.2, 0.4]]), [0.5, 1.0])
    np.testing.assert_array_equal(M.binary_accuracy([1, 0], [0.2, 0.2], threshold=0.1), [1.0, 0.0])
    np.testing.assert_array_equal(M.categorical_accuracy(np.eye(3), np.eye(3)[[0, 2, 2]]), [1, 0, 1])
    out = M.sparse_categorical_accuracy(np.array([[0], [1]]), np.eye(2, dtype=np.float32))
    assert out.shape == (2,) and out.dtype == np.float32
    # a sequence of predictions: one value per (sample, step); Mean then averages each sample
    seq = M.sparse_categorical_accuracy(np.array([[0, 1], [1, 1]]), np.eye(2)[[[0, 0], [1, 1]]])
    np.testing.assert_array_equal(seq, [[1, 0], [1, 1]])
    assert M.SparseCategoricalAccuracy()(np.array([[0, 1], [1, 1]]), np.eye(2)[[[0, 0], [1, 1]]],
                                         sample_weight=[1, 3]) == 0.875
