"""The checks of the score functions' inputs (``scratchnn/metrics/scores/targets.py``): clear
errors for bad input, and the inputs are left unchanged.
"""
import numpy as np
import pytest

from scratchnn import metrics as M


# ================================================================ bad input
@pytest.mark.parametrize("call, match", [
    (lambda: M.f1_score([0, 1], [0, 1], average="mean"), r"average must be one of .*got 'mean'"),
    (lambda: M.f1_score([0, 1], [0, 1], average="samples"), "multi-label"),
    (lambda: M.precision_score([0, 1, 2], [0, 1, 1]), r"3 classes .*average='binary' needs two at most"),
    (lambda: M.recall_score([2, 5], [2, 2], pos_label=1), r"pos_label=1 is not a valid label.*\[2, 5\]"),
    (lambda: M.f1_score([0, 1, 1], [0, 1]), "different lengths: 3 and 2"),
    (lambda: M.f1_score([], []), "empty"),
    (lambda: M.f1_score([0, 1], [0, 1], zero_division=0.5), r"zero_division must be .*got 0.5"),
    (lambda: M.fbeta_score([0, 1], [0, 1], beta=-1), "beta must be a number >= 0"),
    (lambda: M.f1_score([0, 1], [0, 1], sample_weight=[1, 2, 3]), r"sample_weight must have shape \(2,\)"),
    (lambda: M.f1_score([0, 1], [0.2, 0.9]), "y_pred: expected integer class ids"),
    (lambda: M.f1_score([[1, 1, 0], [0, 1, 0]], [0, 1], average="macro"), "multi-label"),
    (lambda: M.f1_score(["a", "b"], [0, 1], average="macro"), "mix string and numeric"),
    (lambda: M.f1_score([0, 1], [0, 1], labels=[], average="macro"), "labels must be a non-empty"),
    (lambda: M.accuracy_score([0, 1], [0, 1, 1]), "different lengths"),
    (lambda: M.roc_curve([0, 1, 2], [0.1, 0.2, 0.3]), "pos_label is not given"),
    (lambda: M.roc_curve([0, 1], [0.1, 0.2, 0.3]), "different lengths: 2 and 3"),
    (lambda: M.roc_curve([0, 1], [0.1, np.nan]), "NaN"),
    (lambda: M.roc_curve([0, 1], [[0.1, 0.9], [0.8, 0.2]]), r"one score per sample"),
    (lambda: M.roc_auc_score([0, 1, 2], np.eye(3)), "multi_class must be 'ovr'"),
    (lambda: M.roc_auc_score([0, 1, 2], np.eye(3) * 2, multi_class="ovr"), "each row must sum to 1"),
    (lambda: M.roc_auc_score([0, 1, 2], np.eye(3), multi_class="ovo", sample_weight=[1, 1, 1]),
     "sample_weight is not supported"),
    (lambda: M.roc_auc_score([0, 1, 2], np.eye(3), multi_class="ovo", average="micro"),
     "average must be one of"),
    (lambda: M.roc_auc_score([0, 1, 3], np.full((3, 4), 0.25), multi_class="ovr"),
     "3 classes but y_score has 4"),
    (lambda: M.roc_auc_score([0, 1, 1], [0.1, 0.2, 0.3], average="all"), "average must be one of"),
    (lambda: M.roc_auc_score([0, 1, 1], [0.1, 0.2, 0.3], max_fpr=0), r"max_fpr must be None or a number"),
    (lambda: M.average_precision_score([0, 1, 2], np.eye(3), pos_label=2), "pos_label is fixed to 1"),
    (lambda: M.average_precision_score([0, 2], [0.1, 0.2]), "pos_label=1 is not a valid label"),
    (lambda: M.mean_squared_error([1.0, 2.0], [1.0]), "different lengths: 2 and 1"),
    (lambda: M.mean_squared_error(np.ones((3, 2)), np.ones((3, 3))), "different numbers of outputs: 2 and 3"),
    (lambda: M.mean_absolute_error([1.0], [1.0], multioutput="variance_weighted"),
     "multioutput must be one of"),
    (lambda: M.r2_score(np.ones((3, 2)), np.ones((3, 2)), multioutput=[1, 2, 3]), "3 weights for 2 outputs"),
    (lambda: M.mean_squared_error([1.0, 2.0], [1.0, 2.0], multioutput=[1.0]), "several outputs"),
    (lambda: M.mean_squared_error([1.0, np.inf], [1.0, 2.0]), "y_true contains NaN or infinity"),
    (lambda: M.mean_squared_error([1.0, 2.0], [1.0, 2.0], sample_weight=[0, 0]), "sums to 0"),
    # every weight 0: scikit-learn raises; these used to return the zero_division value (0.0) or zeros
    (lambda: M.f1_score([0, 1], [0, 1], sample_weight=[0, 0]), "sample_weight is 0 for every sample"),
    (lambda: M.precision_recall_fscore_support([0, 1, 2], [0, 1, 1], sample_weight=[0, 0, 0]),
     "sample_weight is 0 for every sample"),
    (lambda: M.accuracy_score([0, 1], [0, 0], normalize=False, sample_weight=[0, 0]),
     "is 0 for every sample"),
    (lambda: M.classification_report([0, 1], [0, 0], sample_weight=[0.0, 0.0]), "is 0 for every sample"),
    (lambda: M.confusion_matrix([0, 1], [0, 0], sample_weight=[0, 0]), "is 0 for every sample"),
    (lambda: M.mean_squared_error(np.ones((2, 2, 2)), np.ones((2, 2, 2))), r"shape \(n,\) or \(n, outputs\)"),
])
def test_bad_input_raises_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_inputs_are_left_unchanged(rng):
    y_true, y_pred, scores = rng.integers(0, 2, 20), rng.integers(0, 2, 20), rng.random(20)
    w = rng.uniform(0, 1, 20)
    copies = [a.copy() for a in (y_true, y_pred, scores, w)]
    M.f1_score(y_true, y_pred, sample_weight=w)
    M.roc_auc_score(y_true, scores, sample_weight=w)
    M.precision_recall_curve(y_true, scores, sample_weight=w)
    M.r2_score(scores, scores[::-1], sample_weight=w)
    for a, b in zip((y_true, y_pred, scores, w), copies):
        np.testing.assert_array_equal(a, b)
