"""The regression recipe (``scratchnn/lab/regression.py``): R^2 against scikit-learn, better than
the mean.
"""
import numpy as np
import pytest

from tests.lab.helpers import assert_saved, legend_texts, plot_axes, suptitle


# ------------------------------------------------------------------------------------ regression
def test_r2_score_matches_scikit_learn(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    from scratchnn.lab.regression import r2_score
    y = rng.normal(size=50)
    for pred in (y + rng.normal(scale=0.5, size=50), rng.normal(size=50), np.full(50, y.mean())):
        assert r2_score(y, pred) == pytest.approx(metrics.r2_score(y, pred), rel=1e-12, abs=1e-12)


def test_regression_beats_the_mean(results):
    result, folder = results("regression")
    n = result.numbers
    assert_saved(result, folder)
    assert "linear" in result.report and "mean squared error" in result.report      # the recipe
    mse, r2 = n["test_mse"], n["test_r2"]
    assert abs(r2["predict the mean"]) < 0.05
    for model in ("MLP 10-16-1", "linear 10-1"):
        assert r2[model] > 0.3
        assert mse[model] < 0.75 * mse["predict the mean"]
        # R^2 and MSE describe the same errors: R^2 = 1 - MSE / variance of the test targets
        variance = mse["predict the mean"] / (1 - r2["predict the mean"])
        assert r2[model] == pytest.approx(1 - mse[model] / variance, abs=1e-6)
    fig = result.figures["regression"]
    curve_ax, scatter_ax = plot_axes(fig)
    assert "mean squared error" in suptitle(fig)
    for ax in (curve_ax, scatter_ax):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and len(legend_texts(ax)) >= 3
    assert "true" in scatter_ax.get_xlabel() and "predicted" in scatter_ax.get_ylabel()
