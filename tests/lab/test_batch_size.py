"""The training lessons of the learning lab: overfitting, batch size, CNN, and the three recipes.

Each experiment runs once in its quick form (module-scoped fixture, saved to a temporary folder);
the tests assert the claims its report makes, from ``result.numbers``, the files it writes, and
that its figures carry titles, axis labels and legends.
"""
import json
import math

import numpy as np
import pytest

from scratchnn import lab

# Garments that look alike (tops) and those that do not.
TOPS = {"T-shirt/top", "Pullover", "Dress", "Coat", "Shirt"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Run each experiment once, quick, saved to its own folder; ``{name: (result, folder)}``."""
    cache = {}

    def get(name):
        if name not in cache:
            out = tmp_path_factory.mktemp(name)
            cache[name] = (lab.run(name, quick=True, verbose=False, out=out), out)
        return cache[name]
    return get


def suptitle(fig):
    return fig.get_suptitle() if hasattr(fig, "get_suptitle") else fig._suptitle.get_text()


def plot_axes(fig):
    """The axes that draw data (colour bars left out)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]


def legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None, f"axes {ax.get_title()!r} has no legend"
    return [t.get_text() for t in legend.get_texts()]


def assert_saved(result, folder):
    """The report, the numbers and one PNG per figure are written, and the files say what the result says."""
    names = {p.name for p in folder.iterdir()}
    assert {"report.txt", "numbers.json"} <= names
    assert {f"{stem}.png" for stem in result.figures} <= names
    for stem in result.figures:
        assert (folder / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((folder / "numbers.json").read_text()) == json.loads(json.dumps(result.numbers))
    assert (folder / "report.txt").read_text() == result.report


def test_all_registered_in_course_order():
    order = {name: lab.EXPERIMENTS[name].order for name in
             ("overfitting", "cnn", "batch-size", "regression", "binary", "multiclass")}
    assert order == {"overfitting": 6, "cnn": 9, "batch-size": 10, "regression": 11, "binary": 12,
                     "multiclass": 13}


# ------------------------------------------------------------------------------------ overfitting
def test_overfitting_validation_loss_turns_up(results):
    result, folder = results("overfitting")
    n = result.numbers
    assert_saved(result, folder)
    # The training set is memorised, and the validation loss ends clearly above its minimum.
    assert n["plain_final_train_loss"] < 0.05
    assert n["val_loss_rise"] > 0.05
    assert n["plain_final_val_loss"] > 1.1 * n["plain_min_val_loss"]
    assert 1 < n["plain_min_epoch"] < 15
    assert n["final_val_loss"]["plain"] == pytest.approx(n["plain_final_val_loss"], rel=1e-5)
    assert f"rose by {n['val_loss_rise']:.3f}" in result.report


def test_overfitting_remedies_help(results):
    result, _ = results("overfitting")
    n = result.numbers
    plain_val, plain_acc = n["final_val_loss"]["plain"], n["test_accuracy"]["plain"]
    for name in ("dropout", "L2", "early stopping"):
        assert n["final_val_loss"][name] < plain_val or n["test_accuracy"][name] > plain_acc, name
        assert n["remedy_helped"][name] is True
        assert f"{n['test_accuracy'][name]:.4f}" in result.report
    # Early stopping trains from the same weights on the same batches as the plain model, so it
    # stops `patience` epochs after the plain model's best epoch and restores exactly that model.
    assert n["early_stopping_restored_epoch"] == n["plain_min_epoch"]
    assert n["early_stopping_epochs_run"] == n["plain_min_epoch"] + 5
    assert n["final_val_loss"]["early stopping"] == pytest.approx(n["plain_min_val_loss"], rel=1e-5)
    assert set(n["test_accuracy"]) == {"plain", "dropout", "L2", "early stopping"}
    assert all(0.8 < acc < 1 for acc in n["test_accuracy"].values())


def test_overfitting_figures(results):
    result, _ = results("overfitting")
    assert set(result.figures) == {"learning_curves", "remedies"}
    loss_ax, acc_ax = plot_axes(result.figures["learning_curves"])
    assert "Overfitting" in suptitle(result.figures["learning_curves"])
    for ax in (loss_ax, acc_ax):
        assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel()
    texts = legend_texts(loss_ax)
    assert {"training", "validation"} <= set(texts)
    assert any(f"epoch {result.numbers['plain_min_epoch']}" in t for t in texts)     # the turning point
    val_ax, bar_ax = plot_axes(result.figures["remedies"])
    assert val_ax.get_title() and val_ax.get_xlabel() == "epoch" and "cross-entropy" in val_ax.get_ylabel()
    assert {"plain", "dropout", "L2", "early stopping"} <= set(legend_texts(val_ax))
    assert bar_ax.get_title() and "accuracy" in bar_ax.get_xlabel()
    assert [t.get_text() for t in bar_ax.get_yticklabels()] == ["early stopping", "L2", "dropout", "plain"]


# ------------------------------------------------------------------------------------ batch size
def test_batch_size_claims(results):
    result, folder = results("batch-size")
    n = result.numbers
    assert_saved(result, folder)
    assert n["updates_per_epoch"] == {"full batch": 1, "batch 32": math.ceil(1000 / 32), "batch 1": 1000}
    # Per epoch: more updates, more progress.
    epoch = n["loss_after_one_epoch"]
    assert epoch["batch 1"] < epoch["batch 32"] < epoch["full batch"]
    assert epoch["full batch"] > 2.0                      # one small step from ln(10) = 2.30
    # Per update: the full gradient beats one example's; batch 32 is close to the full batch.
    common = n["loss_after_common_updates"]
    assert common["full batch"] < common["batch 1"] and common["batch 32"] < common["batch 1"]
    assert common["batch 32"] < 1.5 * common["full batch"]
    # Per second: mini-batches win.
    budget = n["loss_after_budget"]
    assert n["best_in_budget"] == "batch 32"
    assert budget["batch 32"] < budget["full batch"] and budget["batch 32"] < budget["batch 1"]
    assert n["updates_in_budget"]["batch 32"] > 5 * n["updates_in_budget"]["full batch"]
    assert n["common_updates"] == n["updates_in_budget"]["full batch"]


def test_batch_size_figure(results):
    result, _ = results("batch-size")
    fig = result.figures["loss_vs_updates_and_time"]
    assert "Batch size" in suptitle(fig)
    updates_ax, time_ax = plot_axes(fig)
    assert "updates" in updates_ax.get_xlabel() and updates_ax.get_xscale() == "log"
    assert "seconds" in time_ax.get_xlabel() and "loss" in updates_ax.get_ylabel()
    for ax in (updates_ax, time_ax):
        assert ax.get_title()
        texts = legend_texts(ax)
        assert len(texts) == 3 and texts[0].startswith("full batch") and texts[2].startswith("batch 1")
    # the same colour for a batch size in both panels
    colors = [[line.get_color() for line in ax.get_lines()] for ax in (updates_ax, time_ax)]
    assert colors[0] == colors[1] and len(set(colors[0])) == 3


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


# ------------------------------------------------------------------------------------ classification
def test_binary_recipe_and_scores(results):
    result, folder = results("binary")
    n = result.numbers
    assert_saved(result, folder)
    assert "sigmoid" in result.report and "binary cross-entropy" in result.report
    assert n["test_accuracy"] > 0.93 and n["test_accuracy"] > n["majority_baseline_accuracy"] + 0.25
    # precision, recall and F1 agree with the confusion matrix (rows = true, columns = predicted)
    cm = np.array(n["confusion_matrix"])
    assert cm.sum() == 114 and np.trace(cm) / cm.sum() == pytest.approx(n["test_accuracy"])
    for k, name in enumerate(("malignant", "benign")):
        precision, recall = cm[k, k] / cm[:, k].sum(), cm[k, k] / cm[k].sum()
        assert n["precision"][name] == pytest.approx(precision)
        assert n["recall"][name] == pytest.approx(recall)
        assert n["f1"][name] == pytest.approx(2 * precision * recall / (precision + recall))
    assert n["recall"]["malignant"] > 0.85
    assert "malignant" in result.report and "precision" in result.report


def test_binary_and_multiclass_figures(results):
    for name, classes in (("binary", ["malignant", "benign"]),
                          ("multiclass", ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                          "Shirt", "Sneaker", "Bag", "Ankle boot"])):
        result, _ = results(name)
        assert set(result.figures) == {"learning_curves", "confusion_matrix"}
        cm = result.figures["confusion_matrix"]
        assert "accuracy" in suptitle(cm)
        first = plot_axes(cm)[0]
        assert [t.get_text() for t in first.get_xticklabels()] == classes
        assert first.get_xlabel() == "predicted label" and first.get_ylabel() == "true label"
        curves = result.figures["learning_curves"]
        assert "cross-entropy" in suptitle(curves)
        loss_ax = plot_axes(curves)[0]
        assert loss_ax.get_xlabel() == "epoch" and {"training", "validation"} <= set(legend_texts(loss_ax))


def test_multiclass_recipe_and_confusions(results):
    result, folder = results("multiclass")
    n = result.numbers
    assert_saved(result, folder)
    assert "softmax" in result.report and "categorical cross-entropy" in result.report
    assert n["test_accuracy"] > 0.7                       # chance is 0.1
    assert len(n["recall"]) == 10 and all(0 <= r <= 1 for r in n["recall"].values())
    assert n["hardest_class"] == min(n["recall"], key=n["recall"].get)
    assert n["hardest_class"] in TOPS
    assert n["easiest_class"] not in TOPS
    true, predicted, count = n["most_confused"]
    assert true in TOPS and predicted in TOPS and count > 0
    # The classes' mean recall and accuracy agree (the test set holds the classes about equally).
    assert np.mean(list(n["recall"].values())) == pytest.approx(n["test_accuracy"], abs=0.03)
