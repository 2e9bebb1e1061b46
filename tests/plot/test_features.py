"""``filters`` and ``feature_maps`` (``scratchnn/plot/features.py``): one tile per channel, of a
layer or a model.
"""
import numpy as np
import pytest

from scratchnn import plot

from tests.plot.helpers import tiles


def test_filters_one_tile_per_output_channel(rng):
    kernel = rng.standard_normal((5, 5, 2, 6))
    fig = plot.filters(kernel)
    shown = tiles(fig)
    assert len(shown) == 6
    first = shown[0].images[0].get_array()
    assert first.shape == (5, 5) and first.min() == 0 and first.max() == 1      # own min/max
    expected = (kernel[:, :, 0, 0] - kernel[:, :, 0, 0].min()) / np.ptp(kernel[:, :, 0, 0])
    np.testing.assert_allclose(first, expected)
    rgb = tiles(plot.filters(rng.standard_normal((3, 3, 3, 4))))
    assert len(rgb) == 4 and rgb[0].images[0].get_array().shape == (3, 3, 3)
    dense = tiles(plot.filters(rng.standard_normal((64, 10))))
    assert len(dense) == 10 and dense[0].images[0].get_array().shape == (8, 8)


def test_filters_rejects_other_shapes(rng):
    with pytest.raises(ValueError, match="Conv2D kernel"):
        plot.filters(rng.standard_normal((3, 3, 4)))
    with pytest.raises(ValueError, match="not a square"):
        plot.filters(rng.standard_normal((10, 4)))


def test_feature_maps_one_tile_per_channel(rng):
    maps = np.maximum(rng.standard_normal((1, 6, 6, 5)), 0)
    maps[0, :, :, 2] = 0                                         # a dead ReLU channel
    fig = plot.feature_maps(maps)
    shown = tiles(fig)
    assert len(shown) == 5
    assert [ax.get_title() for ax in shown] == ["0", "1", "2 (flat)", "3", "4"]
    assert len(tiles(plot.feature_maps(maps[0]))) == 5
    with pytest.raises(ValueError, match="one example"):
        plot.feature_maps(np.zeros((2, 6, 6, 5)))
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        plot.feature_maps(np.zeros((6, 6)))


def test_filters_of_a_layer_and_feature_maps_of_a_model():
    import scratchnn as snn
    from scratchnn import layers as L
    snn.utils.set_random_seed(0)
    model = snn.Sequential([L.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu", name="c1"),
                            L.MaxPooling2D(2, name="pool"), L.Flatten(), L.Dense(3)])
    image = np.random.default_rng(0).random((12, 12, 1)).astype(np.float32)

    def tiles(fig):
        return [ax for ax in fig.axes if ax.images]

    fig = plot.filters(model.get_layer("c1"))
    assert len(tiles(fig)) == 4 and "c1" in fig._suptitle.get_text()
    shown = tiles(fig)[2].images[0].get_array()
    kernel = model.get_layer("c1").kernel.data[:, :, 0, 2]
    np.testing.assert_allclose(shown, (kernel - kernel.min()) / (kernel.max() - kernel.min()), rtol=1e-6)
    for layer, channels, side in (("c1", 4, 10), (1, 4, 5)):
        fig = plot.feature_maps(model, image, layer)
        assert len(tiles(fig)) == channels
        assert tiles(fig)[0].images[0].get_array().shape == (side, side)
    with pytest.raises(ValueError, match="give the image and the layer"):
        plot.feature_maps(model, image)
    with pytest.raises(ValueError, match="one image: got a batch of 2"):
        plot.feature_maps(model, np.stack([image, image]), "c1")
