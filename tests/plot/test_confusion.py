"""``confusion_counts`` and the ``confusion_matrix`` figure (``scratchnn/plot/confusion.py``):
counts against scikit-learn, normalised panels, readable text, bad arguments.
"""
import numpy as np
import pytest

from scratchnn import plot


def by_gid(fig, gid):
    matches = [ax for ax in fig.axes if ax.get_gid() == gid]
    assert len(matches) == 1, [ax.get_gid() for ax in fig.axes]
    return matches[0]


# ------------------------------------------------------------------ confusion counts
def test_confusion_counts_matches_sklearn_including_absent_classes(rng):
    sk_confusion = pytest.importorskip("sklearn.metrics").confusion_matrix
    for k in (3, 5, 10):
        y_true = rng.integers(0, k, 200)
        y_pred = rng.integers(0, k, 200)
        y_true[y_true == 1] = 0                                  # class 1 never true,
        y_pred[y_pred == 2] = 0                                  # class 2 never predicted,
        got = plot.confusion_counts(y_true, y_pred, num_classes=k + 2)     # k, k+1 never seen
        want = sk_confusion(y_true, y_pred, labels=np.arange(k + 2))
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.int64 and got.sum() == 200
        np.testing.assert_array_equal(plot.confusion_counts(y_true, y_pred), want[:k, :k])


def test_confusion_counts_accepts_one_hot_probabilities_and_sigmoid_outputs(rng):
    y = rng.integers(0, 4, 50)
    probs = rng.dirichlet(np.ones(4), 50)
    expected = plot.confusion_counts(y, probs.argmax(1), num_classes=4)
    np.testing.assert_array_equal(plot.confusion_counts(np.eye(4)[y], probs), expected)
    p1 = np.array([[0.2], [0.7], [0.51], [0.4]])                 # sigmoid outputs, threshold 0.5
    np.testing.assert_array_equal(plot.confusion_counts([0, 1, 0, 1], p1), [[1, 1], [1, 1]])
    # one-hot width fixes the number of classes even if the last class never occurs
    assert plot.confusion_counts(np.eye(5)[[0, 1]], [0, 1]).shape == (5, 5)


@pytest.mark.parametrize("y_true, y_pred, kwargs, message", [
    ([0, 1], [0, 1, 1], {}, "same number of examples"),
    ([0, -1], [0, 1], {}, ">= 0"),
    ([0, 3], [0, 1], {"num_classes": 3}, "label 3 does not fit num_classes=3"),
    ([0, 2.5], [0, 1], {}, "integers"),
    ([0, 1], [0, 1], {"num_classes": 0}, "positive integer"),
    (np.zeros((2, 2, 2)), [0, 1], {}, "shape"),
])
def test_confusion_counts_rejects_bad_labels(y_true, y_pred, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot.confusion_counts(y_true, y_pred, **kwargs)


# ------------------------------------------------------------------ confusion matrix plot
def cell_texts(ax, k):
    texts = {t.get_gid(): t for t in ax.texts}
    return [[texts[f"cell-{i}-{j}"] for j in range(k)] for i in range(k)]


def test_confusion_matrix_draws_counts_and_row_normalised_panels(rng):
    y_true = rng.integers(0, 4, 300)
    y_true[y_true == 3] = 2                                      # class 3 absent from y_true
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.integers(0, 4, 300))
    counts = plot.confusion_counts(y_true, y_pred, num_classes=4)
    fig = plot.confusion_matrix(y_true, y_pred, labels=["a", "b", "c", "d"])
    counts_ax, norm_ax = by_gid(fig, "confusion-counts"), by_gid(fig, "confusion-true")
    texts = cell_texts(counts_ax, 4)
    assert [[t.get_text() for t in row] for row in texts] == [[str(v) for v in row] for row in counts]
    np.testing.assert_array_equal(counts_ax.images[0].get_array(), counts)
    rates = np.ma.filled(norm_ax.images[0].get_array().astype(float), np.nan)
    np.testing.assert_allclose(rates[:3].sum(axis=1), 1.0)
    assert np.isnan(rates[3]).all()                              # no true example of class 3: no recall
    assert all(t.get_text() == "–" for t in cell_texts(norm_ax, 4)[3])
    accuracy = np.trace(counts) / counts.sum()
    assert f"{accuracy:.1%}" in fig._suptitle.get_text()
    for ax in (counts_ax, norm_ax):
        assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]


def test_confusion_matrix_text_contrasts_with_cell():
    fig = plot.confusion_matrix([0] * 50 + [1] * 3, [0] * 50 + [0, 1, 1])
    texts = cell_texts(by_gid(fig, "confusion-counts"), 2)
    assert texts[0][0].get_text() == "50" and texts[0][0].get_color() == "white"   # dark cell
    assert texts[0][1].get_text() == "0" and texts[0][1].get_color() == "black"    # light cell


def test_confusion_matrix_rates_all_have_two_decimals():
    # Row 0: 998 right, 2 wrong (0.998, 0.002); row 1: all 3 right; a rate that is 0 read "0"
    # beside "0.00"-style cells, and 0.998 read "1.00".
    y_true = [0] * 1000 + [1] * 3
    y_pred = [0] * 998 + [1] * 2 + [1] * 3
    texts = cell_texts(by_gid(plot.confusion_matrix(y_true, y_pred), "confusion-true"), 2)
    assert [[t.get_text() for t in row] for row in texts] == [[">0.99", "<0.01"], ["0.00", "1.00"]]


@pytest.mark.parametrize("how, axis", [("true", 1), ("pred", 0)])
def test_confusion_matrix_single_normalised_panel(rng, how, axis):
    y_true, y_pred = rng.integers(0, 5, 100), rng.integers(0, 5, 100)
    fig = plot.confusion_matrix(y_true, y_pred, normalize=how)
    matrices = [ax for ax in fig.axes if str(ax.get_gid()).startswith("confusion-")]
    assert [ax.get_gid() for ax in matrices] == [f"confusion-{how}"]
    values = matrices[0].images[0].get_array().astype(float)
    np.testing.assert_allclose(values.sum(axis=axis), 1.0)
    total = plot.confusion_matrix(y_true, y_pred, normalize="all")
    assert by_gid(total, "confusion-all").images[0].get_array().sum() == pytest.approx(1.0)


def test_confusion_matrix_rotates_long_labels_and_rejects_bad_arguments():
    names = ["T-shirt/top", "Trouser", "Pullover"]
    fig = plot.confusion_matrix([0, 1, 2], [0, 2, 1], labels=names, normalize="true")
    assert all(t.get_rotation() == 45 for t in by_gid(fig, "confusion-true").get_xticklabels())
    with pytest.raises(ValueError, match="normalize"):
        plot.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="does not fit num_classes=2"):
        plot.confusion_matrix([0, 2], [0, 1], labels=["a", "b"])
    with pytest.raises(ValueError, match="list of class names"):
        plot.confusion_matrix([0, 1], [0, 1], labels="ab")
