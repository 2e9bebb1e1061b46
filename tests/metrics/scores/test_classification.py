"""The scikit-learn-style metric functions (``scratchnn.metrics.scores`` and ``report``) against
scikit-learn itself on random inputs: absent classes, zero divisions, weights, ties, pos_label,
multi-output; their error messages; and how they meet Keras's compile() and saved models."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scratchnn as snn
from scratchnn import Tensor
from scratchnn import metrics as M
from scratchnn.keras import metrics as KM
from scratchnn.layers import Dense

skm = pytest.importorskip("sklearn.metrics")

ZERO_DIVISIONS = ["warn", 0, 1, np.nan]
AVERAGES = ["micro", "macro", "weighted", None]


def same(ours, theirs, what=""):
    """Equal numbers (NaN equal to NaN), and a float where scikit-learn gives one."""
    if theirs is None:
        assert ours is None, what
        return
    if np.ndim(theirs) == 0:
        assert isinstance(ours, float), f"{what}: {type(ours)} is not a float"
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=1e-12, atol=1e-15,
                               err_msg=what)


def quiet(fn, *args, **kwargs):
    """``fn(...)`` with its warnings silenced (both libraries warn about zero divisions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def class_case(rng, n=None, c=None):
    """Random labels with holes: a class never predicted, a class never true, optional weights."""
    n = int(rng.integers(1, 60)) if n is None else n
    c = int(rng.integers(2, 7)) if c is None else c
    y_true, y_pred = rng.integers(0, c, n), rng.integers(0, c, n)
    y_pred[y_pred == 1] = 0                         # class 1 absent from the predictions
    y_true[y_true == c - 1] = 0                     # the last class absent from y_true
    w = rng.uniform(0, 3, n) if rng.random() < 0.5 else None
    return y_true, y_pred, w, c


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


# ================================================================ report and confusion matrix
@pytest.mark.parametrize("seed", range(8))
def test_classification_report_matches_sklearn(seed):
    rng = np.random.default_rng(200 + seed)
    y_true, y_pred, w, c = class_case(rng, n=int(rng.integers(5, 80)))
    for labels in (None, np.arange(c), [0, 1], np.arange(c + 1)):          # [0, 1]: "micro avg" line
        for zd in (0, 1, np.nan):
            kw = dict(labels=labels, sample_weight=w, zero_division=zd)
            ours = M.classification_report(y_true, y_pred, output_dict=True, **kw)
            theirs = skm.classification_report(y_true, y_pred, output_dict=True, **kw)
            assert list(ours) == list(theirs)
            for key, value in theirs.items():
                if isinstance(value, dict):
                    for m in ("precision", "recall", "f1-score"):
                        same(ours[key][m], value[m], f"{key} {m} {kw}")
                    # (an int when unweighted; scikit-learn writes a float)
                    assert ours[key]["support"] == pytest.approx(value["support"], rel=1e-12)
                else:
                    same(ours[key], value, f"{key} {kw}")
            if w is None and zd == 0:        # the printed table, character for character
                assert (M.classification_report(y_true, y_pred, digits=3, **kw)
                        == skm.classification_report(y_true, y_pred, digits=3, **kw))
    names = [f"class {i}" for i in range(c)]
    assert (M.classification_report(y_true, y_pred, labels=np.arange(c), target_names=names, zero_division=0)
            == skm.classification_report(y_true, y_pred, labels=np.arange(c), target_names=names,
                                         zero_division=0))


def test_confusion_matrix_weights_and_labels_match_sklearn(rng):
    for seed in range(6):
        y_true, y_pred, w, c = class_case(np.random.default_rng(300 + seed))
        for labels in (None, np.arange(c + 1)[::-1], [0, 2]):
            for normalize in (None, "true", "pred", "all"):
                kw = dict(labels=labels, sample_weight=w, normalize=normalize)
                ours, theirs = quiet(M.confusion_matrix, y_true, y_pred, **kw), quiet(skm.confusion_matrix,
                                                                                      y_true, y_pred, **kw)
                np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=str(kw))
                assert ours.dtype.kind == theirs.dtype.kind
    with pytest.raises(ValueError, match="must occur in y_true"):
        M.confusion_matrix([0, 1], [1, 1], labels=[5])
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        M.confusion_matrix([0, 1], [1, 1], sample_weight=[1.0])


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


# ================================================================ regression
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("name", ["mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
                                  "mean_absolute_percentage_error", "r2_score"])
def test_regression_functions_match_sklearn(seed, name):
    rng = np.random.default_rng(800 + seed)
    n, k = int(rng.integers(2, 50)), int(rng.integers(1, 4))
    y_true = rng.normal(size=(n, k)).astype(np.float32)
    y_pred = (y_true + rng.normal(scale=0.5, size=(n, k))).astype(np.float32)
    y_true[0] = 0.0                                                 # a zero target for MAPE
    w = rng.uniform(0, 2, n) if seed % 2 else None
    ours, theirs = getattr(M, name), getattr(skm, name)
    multioutputs = ["raw_values", "uniform_average"] + ([rng.uniform(0, 1, k)] if k > 1 else [])
    if name == "r2_score":
        multioutputs.append("variance_weighted")
    for multioutput in multioutputs:
        kw = dict(sample_weight=w, multioutput=multioutput)
        # (scikit-learn computes float32 inputs in float32; we compute in float64)
        same(ours(y_true, y_pred, **kw), theirs(y_true.astype(float), y_pred.astype(float), **kw),
             f"{name} {kw}")
    if k == 1:                                                      # 1-D and (n, 1) agree
        same(ours(y_true[:, 0], Tensor(y_pred)),
             theirs(y_true[:, 0].astype(float), y_pred[:, 0].astype(float)))


def test_r2_constant_targets_and_tiny_samples():
    y_true, good, bad = np.ones((4, 2)), np.ones((4, 2)), np.c_[np.ones(4), np.arange(4.0)]
    for force_finite in (True, False):
        for y_pred in (good, bad):
            kw = dict(multioutput="raw_values", force_finite=force_finite)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                same(M.r2_score(y_true, y_pred, **kw), skm.r2_score(y_true, y_pred, **kw))
    with pytest.warns(M.UndefinedMetricWarning, match="fewer than two samples"):
        assert math.isnan(M.r2_score([1.0], [2.0]))


def test_mape_is_a_fraction_and_keras_mape_a_percentage():
    y_true, y_pred = np.array([[100.0], [200.0]]), np.array([[110.0], [180.0]])
    assert M.mean_absolute_percentage_error(y_true, y_pred) == pytest.approx(0.1)
    np.testing.assert_allclose(KM.mean_absolute_percentage_error(y_true, y_pred), [10.0, 10.0], rtol=1e-6)


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


# ================================================================ the names in compile() and in saved models
def test_metric_names_in_both_namespaces():
    y_true, y_pred = np.array([[0.0, 1.0], [2.0, 4.0]]), np.array([[1.0, 1.0], [2.0, 2.0]])
    assert M.mean_squared_error(y_true, y_pred) == pytest.approx(1.25)             # whole array -> a number
    np.testing.assert_allclose(KM.mean_squared_error(y_true, y_pred), [0.5, 2.0])  # Keras: one per sample
    assert not hasattr(KM, "f1_score") and KM.MeanSquaredError is M.MeanSquaredError
    # a saved MeanMetricWrapper naming "mean_squared_error" still means the per-sample function
    clone = M.deserialize({"class_name": "MeanMetricWrapper",
                           "config": {"name": "mse", "dtype": "float32", "fn": "mean_squared_error"}})
    assert clone(y_true, y_pred) == pytest.approx(1.25)
    assert clone._fn is KM.mean_squared_error


@pytest.mark.parametrize("fn, cls", [
    (M.mean_squared_error, M.MeanSquaredError), (M.mean_absolute_error, M.MeanAbsoluteError),
    (M.root_mean_squared_error, M.RootMeanSquaredError),
    (M.mean_absolute_percentage_error, M.MeanAbsolutePercentageError)])
def test_get_maps_whole_array_functions_to_running_metrics(fn, cls):
    metric = M.get(fn)
    assert type(metric) is cls and metric.name == fn.__name__


def test_get_accuracy_score_and_refused_functions():
    assert type(M.get(M.accuracy_score, np.zeros(4), np.zeros((4, 3)))) is M.SparseCategoricalAccuracy
    assert M.get("accuracy_score", np.zeros(4), np.zeros((4, 3))).name == "accuracy_score"
    with pytest.raises(ValueError, match="f1_score computes one number .*F1Score"):
        M.get(M.f1_score)
    with pytest.raises(ValueError, match="r2_score computes one number"):
        M.get(M.r2_score)


def test_compile_with_sklearn_style_functions_logs_epoch_values(rng, tmp_path):
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    model = snn.Sequential([snn.layers.Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse",
                  metrics=[M.mean_squared_error, M.root_mean_squared_error, M.mean_absolute_error])
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)       # batches of 16, 16, 16, 2
    y_hat = model.predict(x, verbose=0)
    assert logs["mean_squared_error"] == pytest.approx(M.mean_squared_error(y, y_hat), rel=1e-5)
    assert logs["root_mean_squared_error"] == pytest.approx(M.root_mean_squared_error(y, y_hat), rel=1e-5)
    assert logs["mean_absolute_error"] == pytest.approx(M.mean_absolute_error(y, y_hat), rel=1e-5)
    path = tmp_path / "m.scratchnn"
    model.save(path)
    again = snn.models.load_model(path).evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert again == pytest.approx(logs)
