"""The regression metrics (``scratchnn/metrics/regression.py``) over uneven batches, and RMSE
with per-output weights.
"""
import math

import numpy as np
import pytest

from scratchnn import metrics as M

from tests.metrics.helpers import SIZES, N, feed, split, weighted_mean


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics_over_uneven_batches(data, weighted):
    yt, yp = data["reg_true"].astype(np.float64), data["reg_pred"].astype(np.float64)
    w = data["weights"] if weighted else np.ones(N)
    sq, ab = ((yt - yp) ** 2).mean(1), np.abs(yt - yp).mean(1)
    ape = 100 * (np.abs(yt - yp) / np.maximum(np.abs(yt), 1e-7)).mean(1)
    batches = list(zip(*split([data["reg_true"], data["reg_pred"]], SIZES)))
    weights = split([w], SIZES)[0] if weighted else None
    for metric, expected in [(M.MeanSquaredError(), weighted_mean(sq, w)),
                             (M.MeanAbsoluteError(), weighted_mean(ab, w)),
                             (M.MeanAbsolutePercentageError(), weighted_mean(ape, w)),
                             (M.RootMeanSquaredError(), math.sqrt(weighted_mean(sq, w)))]:
        assert feed(metric, batches, weights) == pytest.approx(expected, rel=2e-6), metric.name
    # RMSE is not the mean of the batch RMSEs
    batch_rmse = [math.sqrt(weighted_mean(s, bw))
                  for s, bw in zip(split([sq], SIZES)[0], split([w], SIZES)[0])]
    assert abs(np.mean(batch_rmse) - math.sqrt(weighted_mean(sq, w))) > 1e-3


def test_rmse_accepts_per_output_weights(data):
    yt, yp = data["reg_true"], data["reg_pred"]
    w = np.abs(data["reg_true"]) + 0.1
    expected = math.sqrt(np.sum(w * (yt.astype(float) - yp) ** 2) / np.sum(w))
    rmse = M.RootMeanSquaredError(dtype="float64")(yt, yp, sample_weight=w)
    assert rmse == pytest.approx(expected, rel=1e-6)
