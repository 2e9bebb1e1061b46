"""The CNN lesson (``scratchnn/lab/cnn.py``): accuracy, pooling shapes, filters and feature maps."""
import numpy as np

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


def test_cnn_figures(results):
    result, _ = results("cnn")
    assert set(result.figures) == {"filters", "feature_maps", "pooling"}
    assert "filters" in suptitle(result.figures["filters"])
    assert "feature maps" in suptitle(result.figures["feature_maps"])
    assert len(plot_axes(result.figures["filters"])) >= 16
    pooling = result.figures["pooling"]
    assert "max-pooling" in suptitle(pooling)
    axes = plot_axes(pooling)
    assert [ax.get_title().split()[-1] for ax in axes] == ["28x28", "26x26", "13x13"]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    # The pooled panel shows exactly the 2x2 maxima of the feature-map panel.
    before, after = (np.asarray(ax.get_images()[0].get_array()) for ax in axes[1:])
    np.testing.assert_array_equal(after, before.reshape(13, 2, 13, 2).max(axis=(1, 3)))
