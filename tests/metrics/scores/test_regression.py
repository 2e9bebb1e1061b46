"""The regression scores (``scratchnn/metrics/scores/regression.py``) against scikit-learn:
multi-output, constant targets, MAPE as a fraction.
"""
import math
import warnings

import numpy as np
import pytest

from scratchnn import Tensor
from scratchnn import metrics as M
from scratchnn.keras import metrics as KM

from tests.metrics.scores.helpers import same

skm = pytest.importorskip("sklearn.metrics")


# ================================================================ regression
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("name", ["mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
                                  "mean_absolute_percentage_error", "r2_score"])
def test_regression_functions_match_sklearn(seed, name):
    rng = np.random.default_rng(800 + seed)
    n, k = int(rng.integers(2, 50)), int(rng.integers(1, 4))
    y_true = rng.normal(size=(n, k)).astype(np.float32)
    y_pred = (y_true + rng.normal(scale=0.5, size=(n, k))).astype(np.float32)
    y_true[0] = 0.0                                                 # a zero target for MAPE
    w = rng.uniform(0, 2, n) if seed % 2 else None
    ours, theirs = getattr(M, name), getattr(skm, name)
    multioutputs = ["raw_values", "uniform_average"] + ([rng.uniform(0, 1, k)] if k > 1 else [])
    if name == "r2_score":
        multioutputs.append("variance_weighted")
    for multioutput in multioutputs:
        kw = dict(sample_weight=w, multioutput=multioutput)
        # (scikit-learn computes float32 inputs in float32; we compute in float64)
        same(ours(y_true, y_pred, **kw), theirs(y_true.astype(float), y_pred.astype(float), **kw),
             f"{name} {kw}")
    if k == 1:                                                      # 1-D and (n, 1) agree
        same(ours(y_true[:, 0], Tensor(y_pred)),
             theirs(y_true[:, 0].astype(float), y_pred[:, 0].astype(float)))


def test_r2_constant_targets_and_tiny_samples():
    y_true, good, bad = np.ones((4, 2)), np.ones((4, 2)), np.c_[np.ones(4), np.arange(4.0)]
    for force_finite in (True, False):
        for y_pred in (good, bad):
            kw = dict(multioutput="raw_values", force_finite=force_finite)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                same(M.r2_score(y_true, y_pred, **kw), skm.r2_score(y_true, y_pred, **kw))
    with pytest.warns(M.UndefinedMetricWarning, match="fewer than two samples"):
        assert math.isnan(M.r2_score([1.0], [2.0]))


def test_mape_is_a_fraction_and_keras_mape_a_percentage():
    y_true, y_pred = np.array([[100.0], [200.0]]), np.array([[110.0], [180.0]])
    assert M.mean_absolute_percentage_error(y_true, y_pred) == pytest.approx(0.1)
    np.testing.assert_allclose(KM.mean_absolute_percentage_error(y_true, y_pred), [10.0, 10.0], rtol=1e-6)
