"""``learning_curves`` (``scratchnn/plot/curves.py``): one panel per quantity, the best epoch
marked, log-scaled schedules, non-finite values, a real fit.

The figures are checked through their artists (lines, texts, images, colours), the saved files
through their bytes. Everything uses matplotlib's object-oriented API, so no backend is
involved and nothing is shown.
"""
import numpy as np
import pytest
from matplotlib import colors as mcolors
from matplotlib.figure import Figure

from scratchnn import plot
from scratchnn.callbacks import History


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
    note = [t for t in panel(fig, "loss").texts if t.get_gid() == "best-epoch-note"]
    assert len(note) == 1 and "epoch 6" in note[0].get_text()
    assert best_marker(panel(fig, "learning rate")) is None


def test_learning_curves_star_only_the_monitored_quantity():
    # val_loss is best at epoch 6, val_accuracy at epoch 7: one star, on what was monitored (it
    # used to star both, two "best" epochs for one run).
    h = overfitting_history()
    fig = plot.learning_curves(h)                                 # default: val_loss
    stars = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == "best-epoch"]
    assert len(stars) == 1 and best_marker(panel(fig, "accuracy")) is None
    fig = plot.learning_curves(h, monitor="val_accuracy")         # higher is better
    star = best_marker(panel(fig, "accuracy"))
    assert star.get_xdata()[0] == int(np.argmax(h.history["val_accuracy"])) + 1 == 7
    assert mcolors.same_color(star.get_markerfacecolor(), plot.VAL_COLOR)
    assert best_marker(panel(fig, "loss")) is None
    fig = plot.learning_curves(h, monitor="loss")                 # the training curve's best
    star = best_marker(panel(fig, "loss"))
    assert star.get_xdata()[0] == 10 and mcolors.same_color(star.get_markerfacecolor(), plot.TRAIN_COLOR)
    with pytest.raises(ValueError, match="monitor='val_auc' is not in the history; it holds loss"):
        plot.learning_curves({"loss": [1.0, 0.5]}, monitor="val_auc")


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
    assert best_marker(panel(fig, "mae")) is None and best_marker(panel(fig, "auc")) is None
    fig = plot.learning_curves({"loss": [0.9, 0.4, 0.5], "mae": [3.0, 1.0, 2.0]}, monitor="mae")
    assert best_marker(panel(fig, "mae")).get_xdata()[0] == 2          # an error: lower is better
    # no loss recorded: the first quantity, its validation curve when there is one
    fig = plot.learning_curves({"auc": [0.5, 0.9, 0.7], "val_auc": [0.5, 0.6, 0.8]})
    assert best_marker(panel(fig, "auc")).get_xdata()[0] == 3
    assert all(ln.get_label() != "validation" for ax in plot.learning_curves(
        {"loss": [0.9, 0.4]}).axes for ln in ax.get_lines())


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
