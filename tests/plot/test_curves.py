"""scratchnn.plot: the figures are checked through their artists (lines, texts, images, colours),
the saved files through their bytes. Everything uses matplotlib's object-oriented API, so no
backend is involved and nothing is shown."""
import os

import numpy as np
import pytest
from matplotlib import colors as mcolors
from matplotlib.figure import Figure

from scratchnn import plot
from scratchnn.callbacks import History

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RED = mcolors.to_rgba(plot.ERROR_COLOR)


# ------------------------------------------------------------------ helpers
def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def panel(fig, title):
    matches = [ax for ax in visible_axes(fig) if ax.get_title() == title]
    assert len(matches) == 1, [ax.get_title() for ax in fig.axes]
    return matches[0]


def line(ax, label):
    matches = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(matches) == 1, [ln.get_label() for ln in ax.get_lines()]
    return matches[0]


def best_marker(ax):
    stars = [ln for ln in ax.get_lines() if ln.get_gid() == "best-epoch"]
    assert len(stars) <= 1
    return stars[0] if stars else None


def by_gid(fig, gid):
    matches = [ax for ax in fig.axes if ax.get_gid() == gid]
    assert len(matches) == 1, [ax.get_gid() for ax in fig.axes]
    return matches[0]


def image_tiles(fig):
    return [ax for ax in fig.axes if str(ax.get_gid()).startswith("image-")]


def tile_index(ax):
    return int(ax.get_gid().split("-")[1])


def overfitting_history():
    """Loss falls; val_loss bottoms out at epoch 6 (index 5) and turns up; val_accuracy peaks at epoch 7."""
    h = History()
    val_loss = [1.0, 0.8, 0.65, 0.55, 0.5, 0.48, 0.5, 0.55, 0.6, 0.7]
    val_acc = [0.6, 0.7, 0.75, 0.8, 0.82, 0.83, 0.84, 0.83, 0.82, 0.80]
    for epoch in range(10):
        h.on_epoch_end(epoch, {"accuracy": 0.6 + 0.04 * epoch, "loss": 1.0 - 0.09 * epoch,
                               "val_accuracy": val_acc[epoch], "val_loss": val_loss[epoch],
                               "learning_rate": 1e-2 if epoch < 5 else 1e-4})
    return h


# ------------------------------------------------------------------ learning curves
def test_learning_curves_one_panel_per_quantity_with_training_and_validation_data():
    h = overfitting_history()
    fig = plot.learning_curves(h)
    assert isinstance(fig, Figure) and isinstance(fig, plot.PlotFigure)
    titles = [ax.get_title() for ax in visible_axes(fig)]
    assert titles == ["loss", "accuracy", "learning rate"]      # loss first, schedule last
    for name in ("loss", "accuracy"):
        ax = panel(fig, name)
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == name
        train, val = line(ax, "training"), line(ax, "validation")
        np.testing.assert_allclose(train.get_ydata(), h.history[name])
        np.testing.assert_allclose(val.get_ydata(), h.history["val_" + name])
        np.testing.assert_array_equal(train.get_xdata(), np.arange(1, 11))     # 1-based epochs
        assert mcolors.same_color(train.get_color(), plot.TRAIN_COLOR)
        assert mcolors.same_color(val.get_color(), plot.VAL_COLOR)
        assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"training", "validation"}


def test_learning_curves_marks_best_validation_epoch():
    h = overfitting_history()
    fig = plot.learning_curves(h)
    star = best_marker(panel(fig, "loss"))
    assert star.get_xdata()[0] == int(np.argmin(h.history["val_loss"])) + 1 == 6
    assert star.get_ydata()[0] == pytest.approx(min(h.history["val_loss"]))
    star = best_marker(panel(fig, "accuracy"))                   # accuracy: higher is better
    assert star.get_xdata()[0] == int(np.argmax(h.history["val_accuracy"])) + 1 == 7
    note = [t for t in panel(fig, "loss").texts if t.get_gid() == "best-epoch-note"]
    assert len(note) == 1 and "epoch 6" in note[0].get_text()
    assert best_marker(panel(fig, "learning rate")) is None


def test_learning_curves_schedule_panel_is_log_scaled():
    ax = panel(plot.learning_curves(overfitting_history()), "learning rate")
    assert ax.get_yscale() == "log"
    assert [ln.get_label() for ln in ax.get_lines()] == ["learning rate"]
    flat = plot.learning_curves({"loss": [1, 0.5], "learning_rate": [0.1, 0.05]})
    assert panel(flat, "learning rate").get_yscale() == "linear"


def test_learning_curves_without_validation_marks_best_training_value():
    fig = plot.learning_curves({"loss": [0.9, 0.4, 0.5], "mae": [3.0, 1.0, 2.0], "auc": [0.5, 0.9, 0.7]})
    assert len(visible_axes(fig)) == 3
    assert best_marker(panel(fig, "loss")).get_xdata()[0] == 2
    assert best_marker(panel(fig, "mae")).get_xdata()[0] == 2          # an error: lower is better
    assert best_marker(panel(fig, "auc")).get_xdata()[0] == 2
    assert all(ln.get_label() != "validation" for ax in fig.axes for ln in ax.get_lines())


def test_learning_curves_uses_history_epochs_and_aligns_late_keys():
    h = History()
    for epoch in range(3, 7):                                    # fit(..., initial_epoch=3)
        h.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    fig = plot.learning_curves(h)
    np.testing.assert_array_equal(line(panel(fig, "loss"), "training").get_xdata(), [4, 5, 6, 7])
    # a key that appeared two epochs late is drawn over the last epochs
    fig = plot.learning_curves({"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [2.5, 1.5]})
    np.testing.assert_array_equal(line(panel(fig, "loss"), "validation").get_xdata(), [3, 4])


def test_learning_curves_one_epoch_draws_markers():
    fig = plot.learning_curves({"loss": [0.7], "val_loss": [0.8]})
    ax = panel(fig, "loss")
    for label in ("training", "validation"):
        ln = line(ax, label)
        assert ln.get_marker() == "o" and ln.get_markersize() > 0
    lo, hi = ax.get_xlim()
    assert lo < 1 < hi
    assert best_marker(ax).get_xdata()[0] == 1


def test_learning_curves_skips_non_finite_values_but_keeps_epochs():
    fig = plot.learning_curves({"loss": [2.0, np.nan, np.inf, 1.0, 0.5],
                                "val_loss": [2.1, 1.5, 0.2, np.nan, 0.9]})
    ax = panel(fig, "loss")
    y = line(ax, "training").get_ydata()
    assert len(y) == 5 and np.isnan(y[1]) and np.isnan(y[2]) and y[3] == 1.0
    np.testing.assert_array_equal(line(ax, "training").get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(line(ax, "training: NaN/inf").get_xdata(), [2, 3])
    np.testing.assert_array_equal(line(ax, "validation: NaN/inf").get_xdata(), [4])
    assert best_marker(ax).get_xdata()[0] == 3                   # NaN is not the minimum
    assert np.isfinite(ax.get_ylim()).all()


def test_learning_curves_and_decision_boundary_of_a_real_fit(rng):
    import scratchnn as sn
    x = rng.random((60, 2)).astype("float32")
    y = (x[:, 0] * 3).astype(int)
    model = sn.Sequential([sn.layers.Dense(8, activation="relu"), sn.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    fig = plot.learning_curves(history)
    assert [ax.get_title() for ax in visible_axes(fig)] == ["loss", "accuracy"]
    val = line(panel(fig, "loss"), "validation")
    np.testing.assert_allclose(val.get_ydata(), history.history["val_loss"])
    fig = plot.decision_boundary(model, x, y, resolution=15)
    accuracy = np.mean(model.predict(x, verbose=0).argmax(1) == y)
    assert f"accuracy {accuracy:.1%}" in fig._suptitle.get_text()


@pytest.mark.parametrize("bad", [{}, {"loss": []}, {"loss": "abc"}, {"note": ["a", "b"]}])
def test_learning_curves_rejects_histories_without_numbers(bad):
    with pytest.raises(ValueError, match="expects a History or a dict"):
        plot.learning_curves(bad)


def test_learning_curves_rejects_other_types():
    with pytest.raises(TypeError, match="History"):
        plot.learning_curves([0.5, 0.4])


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


# ------------------------------------------------------------------ image grid
def digits(n, rng):
    return (rng.random((n, 28, 28)) * 255).astype(np.uint8)


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


# ------------------------------------------------------------------ saving
def test_save_png_atomically_creating_folders(tmp_path, rng):
    path = tmp_path / "new" / "deeper" / "grid.png"
    fig = plot.image_grid(digits(4, rng), path=path)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    assert os.listdir(path.parent) == ["grid.png"]              # no temporary file left behind
    assert isinstance(fig, plot.PlotFigure)


def test_save_svg_and_pdf_by_extension(tmp_path):
    history = {"loss": [1.0, 0.5]}
    plot.learning_curves(history, path=tmp_path / "c.svg")
    plot.learning_curves(history, path=str(tmp_path / "c.PDF"))
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:2000]
    assert (tmp_path / "c.PDF").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plot.learning_curves(history, path=tmp_path / "c.jpg")
    assert sorted(os.listdir(tmp_path)) == ["c.PDF", "c.svg"]


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "curves.png"
    path.write_bytes(b"old image")

    def broken_savefig(self, fname, **kwargs):
        fname.write(b"\x89PNG half")                           # a partial write, then a crash
        raise RuntimeError("disk full")
    monkeypatch.setattr(plot.PlotFigure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plot.learning_curves({"loss": [1.0, 0.5]}, path=path)
    assert path.read_bytes() == b"old image"
    assert os.listdir(tmp_path) == ["curves.png"]


def test_figures_render_inline_and_stay_out_of_pyplot(rng):
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    fig = plot.confusion_matrix([0, 1, 1], [0, 1, 0])
    png = fig._repr_png_()                                       # what Jupyter displays
    assert png.startswith(PNG_MAGIC)
    plot.learning_curves({"loss": [1.0]})
    plot.filters(rng.random((3, 3, 1, 2)))
    assert plt.get_fignums() == before                           # nothing registered with pyplot


# ------------------------------------------------------------------ decision boundary
def xor_data(rng, n=80):
    x = rng.uniform(-1, 1, (n, 2))
    return x, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)


def test_decision_boundary_with_sigmoid_callable(rng):
    x, y = xor_data(rng)
    calls = []

    def model(points):
        calls.append(points.shape)
        return 1 / (1 + np.exp(10 * points[:, :1] * points[:, 1:]))        # (M, 1) probabilities

    fig = plot.decision_boundary(model, x, y, resolution=30, title="XOR")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    regions = [c for c in ax.collections if c.get_gid() == "regions"][0].get_array().reshape(30, 30)
    assert set(np.unique(regions)) == {0, 1}
    # upper-right corner: x1 * x2 > 0 -> p < 0.5 -> class 0; upper-left -> class 1
    assert regions[-1, -1] == 0 and regions[-1, 0] == 1
    assert calls == [(30 * 30 + len(x), 2)]                      # one call: grid and points together
    assert "XOR: accuracy 100.0%" in fig._suptitle.get_text()


def test_decision_boundary_with_model_predict_and_errors_marked(rng):
    x, y = xor_data(rng, 40)

    class LinearModel:                                          # cannot solve XOR
        def __init__(self):
            self.verbose = None

        def predict(self, points, verbose="auto"):
            self.verbose = verbose
            logits = np.column_stack([points[:, 0], -points[:, 0]])
            return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    model = LinearModel()
    fig = plot.decision_boundary(model, x, y, resolution=20, labels=["even", "odd"])
    assert model.verbose == 0
    ax = fig.axes[0]
    wrong = (x[:, 0] < 0).astype(int) != y
    ring = [c for c in ax.collections if c.get_label() == "misclassified"][0]
    np.testing.assert_allclose(ring.get_offsets(), x[wrong])
    assert f"{1 - wrong.mean():.1%}" in fig._suptitle.get_text()
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["even", "odd"]


def test_decision_boundary_rejects_bad_inputs(rng):
    x, y = xor_data(rng, 10)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plot.decision_boundary(lambda p: p[:, 0] > 0, np.zeros((10, 3)), y)
    with pytest.raises(ValueError, match="returned shape"):
        plot.decision_boundary(lambda p: np.zeros(5), x, y, resolution=10)
    with pytest.raises(TypeError, match="predict"):
        plot.decision_boundary("model", x, y)
    with pytest.raises(ValueError, match="resolution"):
        plot.decision_boundary(lambda p: p[:, 0] > 0, x, y, resolution=1)


# ------------------------------------------------------------------ filters and feature maps
def tiles(fig):
    return [ax for ax in fig.axes if ax.images]


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
