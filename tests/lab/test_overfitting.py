"""The overfitting lesson (``scratchnn/lab/overfitting.py``): the validation loss turns up, and
dropout, L2 and early stopping help.
"""
import pytest

from tests.lab.helpers import assert_saved, legend_texts, plot_axes, suptitle


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
