"""The scikit-learn-style classification scores (``scratchnn/metrics/scores/classification.py``)
against scikit-learn itself on random inputs: absent classes, zero divisions, weights,
pos_label, one-hot and probability rows.
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratchnn import Tensor
from scratchnn import metrics as M

from tests.metrics.scores.helpers import class_case, quiet, same

skm = pytest.importorskip("sklearn.metrics")

ZERO_DIVISIONS = ["warn", 0, 1, np.nan]
AVERAGES = ["micro", "macro", "weighted", None]


# ================================================================ precision, recall, F
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("average", AVERAGES)
def test_precision_recall_fscore_support_matches_sklearn(seed, average):
    rng = np.random.default_rng(seed)
    y_true, y_pred, w, c = class_case(rng)
    label_choices = [None, np.arange(c + 2),                          # classes occurring in neither
                     rng.permutation(c)[:max(1, c // 2)]]             # a subset, in any order
    for labels in label_choices:
        for zd in ZERO_DIVISIONS:
            for beta in (1.0, 0.5):
                kw = dict(beta=beta, labels=labels, average=average, sample_weight=w, zero_division=zd)
                ours = quiet(M.precision_recall_fscore_support, y_true, y_pred, **kw)
                theirs = quiet(skm.precision_recall_fscore_support, y_true, y_pred, **kw)
                for name, a, b in zip(("precision", "recall", "fbeta", "support"), ours, theirs):
                    same(a, b, f"{name} {kw}")


@given(st.data())
def test_scores_match_sklearn_on_hypothesis_labels(data):
    n = data.draw(st.integers(1, 25))
    labels = st.lists(st.integers(0, 4), min_size=n, max_size=n)
    y_true, y_pred = np.array(data.draw(labels)), np.array(data.draw(labels))
    average = data.draw(st.sampled_from(AVERAGES))
    zd = data.draw(st.sampled_from(ZERO_DIVISIONS))
    for ours, theirs in ((M.precision_score, skm.precision_score), (M.recall_score, skm.recall_score),
                         (M.f1_score, skm.f1_score)):
        same(quiet(ours, y_true, y_pred, average=average, zero_division=zd),
             quiet(theirs, y_true, y_pred, average=average, zero_division=zd), ours.__name__)
    same(quiet(M.fbeta_score, y_true, y_pred, beta=3, average=average, zero_division=zd),
         quiet(skm.fbeta_score, y_true, y_pred, beta=3, average=average, zero_division=zd))


@pytest.mark.parametrize("seed", range(6))
def test_binary_scores_with_pos_label_and_weights(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 40))
    y_true, y_pred = rng.choice([2, 5], n), rng.choice([2, 5], n)
    w = rng.uniform(0, 2, n)
    for fn, ref in ((M.precision_score, skm.precision_score), (M.recall_score, skm.recall_score),
                    (M.f1_score, skm.f1_score)):
        for pos_label in (2, 5):
            for zd in ZERO_DIVISIONS:
                kw = dict(pos_label=pos_label, sample_weight=w, zero_division=zd)
                same(quiet(fn, y_true, y_pred, **kw), quiet(ref, y_true, y_pred, **kw), f"{fn.__name__} {kw}")
    # 0/1 labels, pos_label 1 by default; all-negative predictions: precision is a zero division
    y01 = (y_true == 5).astype(int)
    zeros = np.zeros(n, int)
    for zd in ZERO_DIVISIONS:
        same(quiet(M.precision_score, y01, zeros, zero_division=zd),
             quiet(skm.precision_score, y01, zeros, zero_division=zd))
        same(quiet(M.f1_score, zeros, zeros, zero_division=zd),
             quiet(skm.f1_score, zeros, zeros, zero_division=zd))


def test_zero_division_warns_only_when_asked():
    y_true, y_pred = [0, 0, 1], [0, 0, 0]                     # class 1 never predicted
    with pytest.warns(M.UndefinedMetricWarning, match="Precision is ill-defined"):
        assert M.precision_score(y_true, y_pred) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert M.precision_score(y_true, y_pred, zero_division=1) == 1.0
        assert math.isnan(M.precision_score(y_true, y_pred, zero_division=np.nan))
        # NaN classes are left out of the macro mean: only class 0 (precision 2/3) counts
        macro = M.precision_score(y_true, y_pred, average="macro", zero_division=np.nan)
        assert macro == pytest.approx(2 / 3)


def test_one_hot_and_probability_rows_count_every_column_as_a_class(rng):
    c, n = 5, 40
    y = rng.integers(0, 3, n)                                 # classes 3 and 4 never occur
    probs = rng.dirichlet(np.ones(c), n)
    pred = probs.argmax(1)
    onehot_true, onehot_pred = np.eye(c)[y], np.eye(c)[pred]
    for average in ("macro", "weighted", "micro", None):
        expected = quiet(skm.f1_score, y, pred, labels=np.arange(c), average=average)
        same(quiet(M.f1_score, y, probs, average=average), expected)
        same(quiet(M.f1_score, onehot_true, probs, average=average), expected)
        same(quiet(M.f1_score, Tensor(onehot_true), Tensor(onehot_pred), average=average), expected)
        # scikit-learn reads one-hot matrices as indicator targets: same numbers
        same(quiet(M.f1_score, onehot_true, onehot_pred, average=average),
             quiet(skm.f1_score, onehot_true, onehot_pred, average=average))


def test_accuracy_score_matches_sklearn(rng):
    for seed in range(10):
        y_true, y_pred, w, c = class_case(np.random.default_rng(seed))
        for normalize in (True, False):
            same(M.accuracy_score(y_true, y_pred, normalize=normalize, sample_weight=w),
                 skm.accuracy_score(y_true, y_pred, normalize=normalize, sample_weight=w))
        probs = np.eye(c)[y_pred] * 0.6 + 0.4 / c                 # rows whose argmax is y_pred
        same(M.accuracy_score(np.eye(c)[y_true], probs, sample_weight=w),
             skm.accuracy_score(y_true, y_pred, sample_weight=w))
    # indicator matrices: a sample is right when its whole row is (subset accuracy)
    a, b = (rng.random((30, 4)) < 0.5).astype(int), (rng.random((30, 4)) < 0.5).astype(int)
    b[:10] = a[:10]
    same(M.accuracy_score(a, b), skm.accuracy_score(a, b))
    same(M.accuracy_score(a, b, normalize=False), skm.accuracy_score(a, b, normalize=False))
    same(M.accuracy_score(["cat", "dog", "dog"], ["cat", "cat", "dog"]), 2 / 3)
