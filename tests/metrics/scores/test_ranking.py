"""ROC and precision-recall curves, ROC AUC and average precision
(``scratchnn/metrics/scores/ranking.py``) against scikit-learn: ties, weights, one class,
multi-class.
"""
import math
import warnings

import numpy as np
import pytest

from scratchnn import metrics as M

from tests.metrics.scores.helpers import quiet, same

skm = pytest.importorskip("sklearn.metrics")


# ================================================================ ROC and precision-recall
def ranking_case(rng, n=None, weighted=None):
    """Binary labels, scores with many ties (rounded), weights with zeros (when weighted)."""
    n = int(rng.integers(2, 60)) if n is None else n
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    scores = np.round(rng.random(n), 1)
    w = None
    if weighted if weighted is not None else rng.random() < 0.5:
        w = rng.uniform(0, 2, n) * (rng.random(n) < 0.8)
        w[:2] = 1.0
    return y, scores, w


@pytest.mark.parametrize("seed", range(12))
def test_roc_curve_matches_sklearn_with_ties_and_weights(seed):
    y, scores, w = ranking_case(np.random.default_rng(400 + seed))
    for drop in (True, False):
        fpr, tpr, thr = M.roc_curve(y, scores, sample_weight=w, drop_intermediate=drop)
        sfpr, stpr, sthr = skm.roc_curve(y, scores, sample_weight=w, drop_intermediate=drop)
        for a, b in ((fpr, sfpr), (tpr, stpr), (thr, sthr)):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12)
        assert thr[0] == np.inf and fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    # labels {1, 2} with pos_label, and {-1, 1} without
    labels12 = np.where(y == 1, 2, 1)
    for a, b in zip(M.roc_curve(labels12, scores, pos_label=2), skm.roc_curve(labels12, scores, pos_label=2)):
        np.testing.assert_allclose(a, b)
    for a, b in zip(M.roc_curve(2 * y - 1, scores), skm.roc_curve(2 * y - 1, scores)):
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize("seed", range(12))
def test_precision_recall_curve_and_average_precision_match_sklearn(seed):
    y, scores, w = ranking_case(np.random.default_rng(500 + seed))
    for drop in (False, True):
        ours = M.precision_recall_curve(y, scores, sample_weight=w, drop_intermediate=drop)
        theirs = skm.precision_recall_curve(y, scores, sample_weight=w, drop_intermediate=drop)
        for a, b in zip(ours, theirs):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12)
    same(M.average_precision_score(y, scores, sample_weight=w),
         skm.average_precision_score(y, scores, sample_weight=w))
    labels = np.where(y == 1, "spam", "ham")
    same(M.average_precision_score(labels, -scores, pos_label="ham"),
         skm.average_precision_score(labels, -scores, pos_label="ham"))


@pytest.mark.parametrize("seed", range(10))
def test_binary_roc_auc_matches_sklearn(seed):
    y, scores, w = ranking_case(np.random.default_rng(600 + seed))
    for max_fpr in (None, 0.3, 1.0):
        same(M.roc_auc_score(y, scores, sample_weight=w, max_fpr=max_fpr),
             skm.roc_auc_score(y, scores, sample_weight=w, max_fpr=max_fpr), f"max_fpr={max_fpr}")
    # the greater label is the positive class; two-column probability rows use column 1
    same(M.roc_auc_score(np.where(y == 1, 7, 3), scores), skm.roc_auc_score(np.where(y == 1, 7, 3), scores))
    same(M.roc_auc_score(y, np.c_[1 - scores, scores]), skm.roc_auc_score(y, scores))
    # the rank statistic: P(score of a positive > score of a negative) + P(tie) / 2
    pos, neg = scores[y == 1], scores[y == 0]
    diff = pos[:, None] - neg[None, :]
    assert M.roc_auc_score(y, scores) == pytest.approx(np.mean((diff > 0) + 0.5 * (diff == 0)), rel=1e-12)


def test_roc_auc_of_one_class_is_nan_with_a_warning():
    # scikit-learn 1.9 returns nan with an UndefinedMetricWarning (older versions raised)
    with pytest.warns(M.UndefinedMetricWarning, match="Only one class is present in y_true"):
        ours = M.roc_auc_score([1, 1, 1], [0.2, 0.5, 0.9])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = skm.roc_auc_score([1, 1, 1], [0.2, 0.5, 0.9])
    assert math.isnan(ours) and math.isnan(theirs)
    with pytest.warns(M.UndefinedMetricWarning, match="No negative samples"):
        fpr, tpr, _ = M.roc_curve([1, 1], [0.3, 0.6])
    assert np.all(np.isnan(fpr)) and np.array_equal(tpr, [0, 0.5, 1])


@pytest.mark.parametrize("seed", range(8))
def test_multiclass_roc_auc_and_average_precision_match_sklearn(seed):
    rng = np.random.default_rng(700 + seed)
    n, c = int(rng.integers(12, 80)), int(rng.integers(3, 6))
    y = np.r_[np.arange(c), rng.integers(0, c, n - c)]
    probs = rng.dirichlet(np.ones(c), n)
    probs[:, 0] = np.round(probs[:, 0], 1)                         # ties in a column
    probs /= probs.sum(1, keepdims=True)
    w = rng.uniform(0, 2, n)
    for average in ("macro", "weighted"):
        same(M.roc_auc_score(y, probs, multi_class="ovo", average=average),
             skm.roc_auc_score(y, probs, multi_class="ovo", average=average), f"ovo {average}")
    for average in ("macro", "weighted", "micro", None):
        for sw in (None, w):
            same(M.roc_auc_score(y, probs, multi_class="ovr", average=average, sample_weight=sw),
                 skm.roc_auc_score(y, probs, multi_class="ovr", average=average, sample_weight=sw), average)
            same(M.average_precision_score(y, probs, average=average, sample_weight=sw),
                 skm.average_precision_score(y, probs, average=average, sample_weight=sw), average)
            onehot = np.eye(c)[y]                                  # indicator y_true: one area per column
            same(M.roc_auc_score(onehot, probs, average=average, sample_weight=sw),
                 skm.roc_auc_score(onehot, probs, average=average, sample_weight=sw), average)
    # labels: a class that never occurs in y_true (its one-vs-rest area is undefined)
    y_missing = np.where(y == c - 1, 0, y)
    for average in ("macro", "weighted"):
        for multi_class in ("ovr", "ovo"):
            kw = dict(multi_class=multi_class, average=average, labels=np.arange(c))
            same(quiet(M.roc_auc_score, y_missing, probs, **kw),
                 quiet(skm.roc_auc_score, y_missing, probs, **kw), str(kw))
