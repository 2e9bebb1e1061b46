"""The binary and multi-class recipes (``scratchnn/lab/classification.py``): scores against the
confusion matrix, the garments that look alike, and their figures.
"""
import numpy as np
import pytest

from tests.lab.helpers import assert_saved, legend_texts, plot_axes, suptitle

# Garments that look alike (tops) and those that do not.
TOPS = {"T-shirt/top", "Pullover", "Dress", "Coat", "Shirt"}


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
