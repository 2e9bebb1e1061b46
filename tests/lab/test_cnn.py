"""The CNN lesson (``scratchnn/lab/cnn.py``): accuracy, pooling shapes, filters and feature maps."""
import numpy as np
import pytest

from scratchnn.lab import cnn as cnn_lab

from tests.lab.helpers import assert_saved, plot_axes, suptitle


# ------------------------------------------------------------------------------------ CNN
def test_cnn_accuracy_and_pooling(results):
    result, folder = results("cnn")
    n = result.numbers
    assert_saved(result, folder)
    assert n["test_accuracy"] > 0.85                      # quick run: 3000 images, 2 epochs
    assert n["conv1_shape"] == [26, 26, 16] and n["pool1_shape"] == [13, 13, 16]
    assert n["pool_fraction_kept"] == 0.25
    assert n["pool_equals_window_max"] is True
    assert "keeps 0.25 of the positions" in result.report


def test_training_makes_the_filters_smoother_and_some_edge_detectors(results):
    # What the filters figure shows, in numbers: random 3x3 filters have about 1/3 of their energy in
    # the smooth patterns (flat + two slopes); the trained ones far more, and some are edge detectors.
    result, _ = results("cnn")
    n = result.numbers
    assert n["smooth_share_initial"] == pytest.approx(1 / 3, abs=0.08)
    assert n["smooth_share_learned"] > n["smooth_share_initial"] + 0.15
    assert n["smooth_share_learned"] > 0.5
    shares = n["filter_smooth_shares"]
    assert np.mean(np.array(shares["learned"]) > np.array(shares["initial"])) >= 0.75   # most filters
    assert n["edge_detectors_learned"] >= 3 > n["edge_detectors_initial"]
    assert (f"{n['edge_detectors_learned']} of 16 are now mostly a slope, edge detectors "
            f"({n['edge_detectors_initial']} at initialisation)") in result.report
    assert "the filters became smoother" in result.report


def test_filter_shares():
    t = np.array([-1.0, 0.0, 1.0])
    flat, slope_x, slope_y = np.ones((3, 3)), np.outer(np.ones(3), t), np.outer(t, np.ones(3))
    sobel = np.outer([1.0, 2.0, 1.0], t)                 # a Sobel edge filter: a slope, a little bent
    checkers = np.array([[1.0, -1, 1], [-1, 1, -1], [1, -1, 1]]) - 1 / 9
    bend = np.outer([1.0, -2.0, 1.0], [1.0, -2.0, 1.0])
    kernel = np.stack([flat, slope_x, slope_y, sobel, checkers, bend, 2 * flat + slope_x], axis=-1)
    smooth, slope = cnn_lab.filter_shares(kernel[:, :, None, :])          # (kh, kw, in, out)
    np.testing.assert_allclose(smooth, [1, 1, 1, 16 / 18, smooth[4], 0, 1], atol=1e-12)
    np.testing.assert_allclose(slope, [0, 1, 1, 16 / 18, slope[4], 0, 6 / 42], atol=1e-12)
    assert smooth[4] < 0.05 and slope[4] == pytest.approx(0, abs=1e-12)
    np.testing.assert_allclose(cnn_lab.filter_shares(kernel), (smooth, slope))    # (kh, kw, out) alike
    # Independent random weights: 3/9 smooth and 2/9 slope on average.
    random_smooth, random_slope = cnn_lab.filter_shares(np.random.default_rng(0).normal(size=(3, 3, 4000)))
    assert random_smooth.mean() == pytest.approx(1 / 3, abs=0.01)
    assert random_slope.mean() == pytest.approx(2 / 9, abs=0.01)


def test_cnn_figures(results):
    result, _ = results("cnn")
    assert set(result.figures) == {"filters", "feature_maps", "pooling"}
    filters = result.figures["filters"]
    assert "filters" in suptitle(filters) and "before and after training" in suptitle(filters)
    tiles = [ax for ax in filters.get_axes() if ax.images]
    assert len(tiles) == 32                                   # 16 random, 16 trained
    # each tile is a filter scaled to its own range, captioned with its smooth share; the edge
    # detectors of the trained half are framed
    n = result.numbers
    learned = tiles[16:]
    assert [ax.get_title() for ax in learned] == [f"{i}: {s:.2f}" for i, s in
                                                  enumerate(n["filter_smooth_shares"]["learned"])]
    framed = [ax for ax in learned if ax.spines["top"].get_linewidth() > 2]
    assert len(framed) == n["edge_detectors_learned"]
    assert "feature maps" in suptitle(result.figures["feature_maps"])
    pooling = result.figures["pooling"]
    assert "max-pooling" in suptitle(pooling)
    axes = plot_axes(pooling)
    assert [ax.get_title().split()[-1] for ax in axes] == ["28x28", "26x26", "13x13"]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    # The pooled panel shows exactly the 2x2 maxima of the feature-map panel.
    before, after = (np.asarray(ax.get_images()[0].get_array()) for ax in axes[1:])
    np.testing.assert_array_equal(after, before.reshape(13, 2, 13, 2).max(axis=(1, 3)))
