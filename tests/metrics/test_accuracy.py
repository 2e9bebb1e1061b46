"""The accuracy metrics (``scratchnn/metrics/accuracy.py``) accumulated over uneven batches."""
import numpy as np
import pytest

from scratchnn import metrics as M

from tests.metrics.helpers import SIZES, N, feed, split, weighted_mean


@pytest.mark.parametrize("weighted", [False, True])
def test_accuracy_variants_over_uneven_batches(data, weighted):
    w = data["weights"] if weighted else np.ones(N)
    hits_sparse = (data["labels"] == data["probs"].argmax(1)).astype(float)
    top3 = (np.argsort(-data["probs"], axis=1)[:, :3] == data["labels"][:, None]).any(axis=1)
    hits_bin = (data["bin_true"][:, 0] == (data["bin_pred"][:, 0] > 0.5)).astype(float)
    cases = [
        (M.SparseCategoricalAccuracy(), data["labels"], data["probs"], hits_sparse),
        (M.SparseCategoricalAccuracy(), data["labels"][:, None].astype(np.float32), data["probs"],
         hits_sparse),
        (M.CategoricalAccuracy(), data["onehot"], data["probs"], hits_sparse),
        (M.TopKCategoricalAccuracy(k=3), data["onehot"], data["probs"], top3),
        (M.SparseTopKCategoricalAccuracy(k=3), data["labels"], data["probs"], top3),
        (M.BinaryAccuracy(), data["bin_true"], data["bin_pred"], hits_bin),
        (M.Accuracy(), data["labels"], data["probs"].argmax(1), hits_sparse),
    ]
    for metric, yt, yp, hits in cases:
        batches = list(zip(*split([yt, yp], SIZES)))
        weights = split([w], SIZES)[0] if weighted else None
        expected = weighted_mean(hits, w)
        assert feed(metric, batches, weights) == pytest.approx(expected, rel=1e-6), metric.name
        # the same data in one batch gives the same value, and the mean of batch means would not
        assert feed(metric, [(yt, yp)], [w] if weighted else None) == pytest.approx(expected, rel=1e-6)
    batch_means = [weighted_mean(h, bw)
                   for h, bw in zip(split([hits_sparse], SIZES)[0], split([w], SIZES)[0])]
    assert abs(np.mean(batch_means) - weighted_mean(hits_sparse, w)) > 1e-3
