"""``image_grid`` (``scratchnn/plot/images.py``): misclassified tiles highlighted,
probabilities, layouts, bad shapes and labels.
"""
import numpy as np
import pytest
from matplotlib import colors as mcolors

from scratchnn import plot

from tests.plot.helpers import digits

RED = mcolors.to_rgba(plot.ERROR_COLOR)


def image_tiles(fig):
    return [ax for ax in fig.axes if str(ax.get_gid()).startswith("image-")]


def tile_index(ax):
    return int(ax.get_gid().split("-")[1])


def test_image_grid_highlights_exactly_the_misclassified_tiles(rng):
    x = digits(12, rng)
    y = np.arange(12) % 10
    y_pred = y.copy()
    y_pred[[2, 5, 9, 11]] = (y[[2, 5, 9, 11]] + 1) % 10       # 11 is not among the 10 shown
    fig = plot.image_grid(x, y, y_pred, n=10)
    tiles = image_tiles(fig)
    assert len(tiles) == 10
    assert [tile_index(ax) for ax in tiles] == list(range(10))
    for ax in tiles:
        i = tile_index(ax)
        red_title = mcolors.same_color(ax.title.get_color(), RED)
        red_frame = all(mcolors.same_color(s.get_edgecolor(), RED) for s in ax.spines.values())
        assert red_title == red_frame == (i in (2, 5, 9)), i
        if i in (2, 5, 9):
            assert ax.title.get_text() == f"pred: {y_pred[i]}\ntrue: {y[i]}"
        else:
            assert ax.title.get_text() == f"pred: {y[i]}"
    np.testing.assert_array_equal(tiles[0].images[0].get_array(), x[0])
    assert "3 misclassified" in fig._suptitle.get_text()


def test_image_grid_probabilities_show_confidence_and_class_names(rng):
    x = digits(3, rng)
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.65, 0.35]])
    fig = plot.image_grid(x, y=[0, 1, 1], y_pred=probs, labels=["cat", "dog"])
    captions = [ax.title.get_text() for ax in image_tiles(fig)]
    assert captions == ["pred: cat (90%)", "pred: dog (80%)", "pred: cat (65%)\ntrue: dog"]
    sure = plot.image_grid(x[:2], y_pred=np.array([[0.996, 0.004], [1.0, 0.0]]), labels=["cat", "dog"])
    assert [ax.title.get_text() for ax in image_tiles(sure)] == ["pred: cat (99.6%)", "pred: cat (100%)"]
    labels_only = plot.image_grid(x, y=[1, 0, 1], labels=["cat", "dog"])
    assert [ax.title.get_text() for ax in image_tiles(labels_only)] == ["true: dog", "true: cat", "true: dog"]


def test_image_grid_only_errors(rng):
    x = digits(30, rng)
    y = rng.integers(0, 10, 30)
    y_pred = y.copy()
    wrong = [3, 7, 8, 20, 29]
    y_pred[wrong] = (y[wrong] + 3) % 10
    fig = plot.image_grid(x, y, y_pred, only_errors=True)
    assert [tile_index(ax) for ax in image_tiles(fig)] == wrong
    assert all(ax.get_gid().endswith("-wrong") for ax in image_tiles(fig))
    fig = plot.image_grid(x, y, y_pred, only_errors=True, n=2)
    assert [tile_index(ax) for ax in image_tiles(fig)] == [3, 7]
    assert "first 2 of 5" in fig._suptitle.get_text()


def test_image_grid_only_errors_without_errors_says_so(rng):
    fig = plot.image_grid(digits(4, rng), [1, 2, 3, 4], [1, 2, 3, 4], only_errors=True)
    assert image_tiles(fig) == []
    assert any("No misclassified" in t.get_text() for ax in fig.axes for t in ax.texts)
    with pytest.raises(ValueError, match="needs both y"):
        plot.image_grid(digits(4, rng), [1, 2, 3, 4], only_errors=True)


@pytest.mark.parametrize("shape, tile_shape", [
    ((4, 784), (28, 28)), ((4, 28, 28, 1), (28, 28)), ((4, 1, 28, 28), (28, 28)),
    ((4, 8, 8, 3), (8, 8, 3)), ((4, 3, 8, 8), (8, 8, 3)), ((4, 5, 7), (5, 7)),
])
def test_image_grid_accepts_the_usual_layouts(rng, shape, tile_shape):
    x = rng.random(shape)
    fig = plot.image_grid(x)
    tiles = image_tiles(fig)
    assert len(tiles) == 4
    assert tiles[0].images[0].get_array().shape == tile_shape


def test_image_grid_channels_first_colour_is_transposed(rng):
    x = rng.random((2, 3, 4, 5))
    shown = image_tiles(plot.image_grid(x))[1].images[0].get_array()
    np.testing.assert_allclose(shown, np.moveaxis(x[1], 0, -1))


@pytest.mark.parametrize("shape, message", [
    ((4, 10), "not square"), ((4, 28, 28, 2), "1 or 3 channels"), ((2, 1, 28, 28, 1), "batch of images"),
    ((784,), "batch of images"),
])
def test_image_grid_rejects_bad_shapes(rng, shape, message):
    with pytest.raises(ValueError, match=message):
        plot.image_grid(rng.random(shape))


def test_image_grid_rejects_bad_labels(rng):
    x = digits(3, rng)
    with pytest.raises(ValueError, match="same number of examples"):
        plot.image_grid(x, [0, 1])
    with pytest.raises(ValueError, match="one name per class"):
        plot.image_grid(x, [0, 1, 2], labels=["a", "b"])
    with pytest.raises(ValueError, match="positive integer"):
        plot.image_grid(x, n=0)
