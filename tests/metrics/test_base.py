"""Metrics: Keras's documented numbers, epoch accumulation over uneven batches, scikit-learn
as an oracle (optional), name resolution as Keras's compile does it, and the error paths."""
import math

import numpy as np
import pytest

from scratchnn import Tensor
from scratchnn import metrics as M
from scratchnn.keras import metrics as KM      # Keras's per-sample regression functions live here


def f32(x):
    """``x`` rounded to float32, as a Python float (Keras reports float32 values)."""
    return float(np.float32(x))


def feed(metric, batches, weights=None):
    """Reset, feed ``batches`` of (y_true, y_pred) (with per-batch weights), return result()."""
    metric.reset_state()
    for i, (yt, yp) in enumerate(batches):
        metric.update_state(yt, yp, sample_weight=None if weights is None else weights[i])
    return metric.result()


def split(arrays, sizes):
    """Cut each array into consecutive batches of the given sizes; returns lists per array."""
    edges = np.cumsum([0] + list(sizes))
    assert edges[-1] == len(arrays[0])
    return [[a[s:e] for s, e in zip(edges[:-1], edges[1:])] for a in arrays]


SIZES = [7, 32, 1, 19, 13, 28]          # 100 samples in batches of uneven sizes
N, C = sum(SIZES), 5


@pytest.fixture
def data(rng):
    logits = rng.normal(size=(N, C))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.where(rng.random(N) < 0.6, probs.argmax(axis=1), rng.integers(0, C, N))
    return {
        "probs": probs.astype(np.float32),
        "labels": labels,
        "onehot": np.eye(C, dtype=np.float32)[labels],
        "weights": rng.uniform(0, 2, N),
        "bin_true": (rng.random((N, 1)) < 0.4).astype(np.float32),
        "bin_pred": rng.random((N, 1)).astype(np.float32),
        "reg_true": rng.normal(size=(N, 3)).astype(np.float32),
        "reg_pred": rng.normal(size=(N, 3)).astype(np.float32),
    }


# ----------------------------------------------------------- Keras's documented numbers
# (metric, y_true, y_pred, sample_weight, value printed in the Keras 3 docstring / test)
KERAS_EXAMPLES = [
    (M.Accuracy, [[1], [2], [3], [4]], [[0], [2], [3], [4]], None, 0.75),
    (M.Accuracy, [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.5),
    (M.BinaryAccuracy, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], None, 0.75),
    (M.BinaryAccuracy, [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1], 0.5),
    (M.CategoricalAccuracy, [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], None, 0.5),
    (M.CategoricalAccuracy, [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
    (M.SparseCategoricalAccuracy, [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], None, 0.5),
    (M.SparseCategoricalAccuracy, [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
    (lambda: M.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     None, 0.5),
    (lambda: M.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (lambda: M.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], None, 0.5),
    (lambda: M.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3],
     0.3),
    (M.MeanSquaredError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.25),
    (M.MeanAbsoluteError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.25),
    (M.MeanAbsoluteError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.5),
    (M.MeanAbsolutePercentageError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 250000000.0),
    (M.MeanAbsolutePercentageError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 500000000.0),
    (M.RootMeanSquaredError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], None, 0.5),
    (M.RootMeanSquaredError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.70710677),
    (M.Precision, [0, 1, 1, 1], [1, 0, 1, 1], None, 0.6666667),
    (M.Precision, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (lambda: M.Precision(top_k=2), [0, 0, 1, 1], [1, 1, 1, 1], None, 0.0),
    (lambda: M.Precision(top_k=4), [0, 0, 1, 1], [1, 1, 1, 1], None, 0.5),
    (lambda: M.Precision(top_k=3), [0, 1, 1, 0, 0], [0.2, 0.1, 0.5, 0, 0.2], None, 1 / 3),
    (lambda: M.Precision(thresholds=0.7, top_k=2), [0, 1, 1, 0, 1], [0.2, 0.8, 0.6, 0, 0.2], None, 1.0),
    (M.Recall, [0, 1, 1, 1], [1, 0, 1, 1], None, 0.6666667),
    (M.Recall, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (lambda: M.Recall(top_k=3), [0, 1, 1, 0, 0], [0.2, 0.1, 0.5, 0, 0.2], None, 0.5),
    (lambda: M.Recall(thresholds=0.7, top_k=2), [1, 1, 1, 0, 1], [0.2, 0.8, 0.6, 0, 0.2], None, 0.25),
    (M.TruePositives, [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (M.FalsePositives, [0, 1, 0, 0], [0, 0, 1, 1], None, 2.0),
    (M.FalseNegatives, [0, 1, 1, 1], [0, 1, 0, 0], None, 2.0),
    (M.TrueNegatives, [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], 1.0),
    (lambda: M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.75),
    (lambda: M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 1.0),
    # Keras's AUC tests: tp = [7, 4, 0], fp = [3, 0, 0], fn = [0, 3, 7], tn = [0, 3, 3]
    (lambda: M.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 2, 3, 4], (1 + 4 / 7) / 2),
    (lambda: M.AUC(num_thresholds=3, summation_method="majoring"), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9],
     [1, 2, 3, 4], 1.0),
    (lambda: M.AUC(num_thresholds=3, summation_method="minoring"), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9],
     [1, 2, 3, 4], 4 / 7),
    (lambda: M.AUC(num_thresholds=3, curve="PR", summation_method="majoring"), [0, 0, 1, 1],
     [0, 0.5, 0.3, 0.9], [1, 2, 3, 4], 1.0),
    (lambda: M.AUC(num_thresholds=3, curve="PR", summation_method="minoring"), [0, 0, 1, 1],
     [0, 0.5, 0.3, 0.9], [1, 2, 3, 4], 0.7 * 3 / 7),
    # Davis & Goadrich: slope = [0.5, 1], intercept = [2, 0], P ratio = [2.5, 1]
    (lambda: M.AUC(num_thresholds=3, curve="PR"), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 2, 3, 4],
     (0.5 * (3 + 2 * math.log(2.5)) + 4) / 7),
    (lambda: M.AUC(num_thresholds=3, curve="PR"), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [-1, -2, -3, -4], 0.0),
    (lambda: M.AUC(num_thresholds=5, multi_label=True), [[0, 0], [0, 0], [1, 1], [1, 1]],
     [[0, 0.1], [0.5, 0.2], [0.3, 0.3], [0.9, 0.4]], None, (0.875 + 1.0) / 2),
    (lambda: M.AUC(num_thresholds=5, multi_label=True, label_weights=[0.75, 0.25]),
     [[0, 0], [0, 0], [1, 1], [1, 1]], [[0, 0.1], [0.5, 0.2], [0.3, 0.3], [0.9, 0.4]], None,
     0.875 * 0.75 + 0.25),
    (lambda: M.AUC(num_thresholds=2, thresholds=[0.5]), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.75),
    # uneven thresholds [-eps, 0.3, 0.5, 1 + eps]: TPR = [1, .5, .5, 0], FPR = [1, .5, 0, 0]
    (lambda: M.AUC(thresholds=[0.5, 0.3]), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.625),
    (lambda: M.AUC(num_thresholds=5), [[0, 0], [0, 0], [1, 1], [1, 1]],
     [[0, 0.1], [0.5, 0.2], [0.3, 0.3], [0.9, 0.4]], None, 1 - 3 / 32),
]


@pytest.mark.parametrize("make, y_true, y_pred, weight, expected", KERAS_EXAMPLES)
def test_keras_documented_values(make, y_true, y_pred, weight, expected):
    metric = make()
    assert metric.result() == 0.0                     # nothing seen yet: 0, as Keras
    value = metric(np.array(y_true), np.array(y_pred, dtype=np.float32), sample_weight=weight)
    assert isinstance(value, float)
    assert value == pytest.approx(f32(expected), rel=2e-7, abs=1e-7)


def test_keras_count_metrics_with_thresholds_and_weights():
    y_pred = np.array([[0.9, 0.2, 0.8, 0.1], [0.2, 0.9, 0.7, 0.6], [0.1, 0.2, 0.4, 0.3], [0, 1, 0.7, 0.3]])
    y_true = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]])
    th = [0.15, 0.5, 0.85]
    np.testing.assert_array_equal(M.FalsePositives(thresholds=th)(y_true, y_pred), [7, 4, 2])
    weights = [[1, 2, 3, 5], [7, 11, 13, 17], [19, 23, 29, 31], [5, 15, 10, 0]]
    np.testing.assert_array_equal(M.FalsePositives(thresholds=th)(y_true, y_pred, weights), [125, 42, 12])
    np.testing.assert_array_equal(M.TruePositives(thresholds=th)(y_true, y_pred, 37.0), [222, 111, 37])
    np.testing.assert_array_equal(M.FalseNegatives(thresholds=th)(y_true, y_pred, [[3], [5], [7], [4]]),
                                  [4, 16, 23])
    np.testing.assert_array_equal(M.TrueNegatives(thresholds=th)(y_true, y_pred, [[0, 2, 3, 5]]),
                                  [5, 15, 23])


def test_keras_precision_recall_weighted_top_k_across_batches():
    p, r = M.Precision(top_k=3), M.Recall(top_k=3)
    for m in (p, r):
        m.update_state([[0, 1, 1, 0, 1]], [[0.2, 0.1, 0.4, 0, 0.2]], sample_weight=[[1, 4, 2, 3, 5]])
        m.update_state([1, 0, 1, 1, 1], [0.2, 0.6, 0.4, 0.2, 0.2], sample_weight=3)
    assert p.result() == f32(13 / 17)
    assert r.result() == f32(13 / 23)


def test_keras_precision_recall_class_id_and_threshold_lists():
    y_pred = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    y_true = np.eye(3)[[2, 0, 1, 0, 2]]
    p, r = M.Precision(class_id=1), M.Recall(class_id=1)
    assert p(y_true, y_pred) == 1.0 and r(y_true, y_pred) == 1.0
    assert p.true_positives[0] == 1 and p.false_positives[0] == 0 and r.false_negatives[0] == 0
    result = M.Precision(thresholds=[0.5, 0.7])([0, 1, 1, 0], [1, 0, 0.6, 0])
    assert isinstance(result, np.ndarray) and result.tolist() == [0.5, 0.0]
    weights = np.array([[4, 0], [3, 1]])
    result = M.Precision(thresholds=[0.5, 1.0])([[0, 1], [1, 0]], [[1, 0], [0.6, 0]], sample_weight=weights)
    np.testing.assert_allclose(result, [3 / 7, 0], rtol=1e-6)


def test_keras_f_scores():
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    # Keras prints [0.5, 0.8, 0.6666667] and [0.3846154, 0.90909094, 0.8333334]: equal to a float32 ulp
    np.testing.assert_allclose(M.F1Score(threshold=0.5)(y_true, y_pred), [0.5, 0.8, 2 / 3], rtol=3e-7)
    np.testing.assert_allclose(M.FBetaScore(beta=2.0, threshold=0.5)(y_true, y_pred),
                               [0.3846154, 0.90909094, 0.8333334], rtol=3e-7)


def test_keras_auc_extra_dims_and_perfect_scores():
    probs = 1 / (1 + np.exp(np.array([[[-10.0, 10.0, -10.0], [10.0, -10.0, 10.0]],
                                      [[-12.0, 12.0, -12.0], [12.0, -12.0, 12.0]]])))
    labels = np.array([[[1, 0, 0], [1, 0, 0]], [[0, 1, 1], [0, 1, 1]]])
    assert M.AUC()(labels, probs) == 0.5
    y = np.array([0, 0, 1, 1, 0, 1])
    assert M.AUC()(y, y) == 1.0
    assert M.AUC(multi_label=True)(np.eye(3)[[0, 1, 2, 1]], np.eye(3)[[0, 1, 2, 1]]) == 1.0


def test_auc_from_logits_equals_auc_of_probabilities(rng):
    logits = rng.normal(size=(50, 3)).astype(np.float32)
    y = (rng.random((50, 3)) < 0.5).astype(np.float32)
    probs = 1 / (1 + np.exp(-logits))
    for multi in (False, True):
        a = M.AUC(num_thresholds=50, multi_label=multi, from_logits=True)(y, logits)
        b = M.AUC(num_thresholds=50, multi_label=multi)(y, probs)
        assert a == pytest.approx(b, abs=1e-6)


def test_binned_and_direct_threshold_counts_agree(rng):
    # evenly spaced thresholds take the binned path; one threshold at a time, the direct comparison
    y = (rng.random((60, 4)) < 0.5).astype(np.float32)
    scores = rng.random((60, 4)).astype(np.float32)
    scores[:5] = 0.0
    scores[5:10] = 1.0
    w = rng.uniform(0, 2, 60)
    grid = np.linspace(0, 1, 11).tolist()
    for cls in (M.TruePositives, M.FalsePositives, M.TrueNegatives, M.FalseNegatives, M.Precision):
        binned = cls(thresholds=grid)(y, scores, sample_weight=w)
        direct = [cls(thresholds=t)(y, scores, sample_weight=w) for t in grid]
        np.testing.assert_allclose(binned, direct, rtol=1e-6, err_msg=cls.__name__)


# --------------------------------------------------------------- epoch accumulation
def weighted_mean(values, w):
    return np.sum(values * w) / np.sum(w)


@pytest.mark.parametrize("weighted", [False, True])
def test_accuracy_variants_over_uneven_batches(data, weighted):
    w = data["weights"] if weighted else np.ones(N)
    hits_sparse = (data["labels"] == data["probs"].argmax(1)).astype(float)
    top3 = (np.argsort(-data["probs"], axis=1)[:, :3] == data["labels"][:, None]).any(axis=1)
    hits_bin = (data["bin_true"][:, 0] == (data["bin_pred"][:, 0] > 0.5)).astype(float)
    cases = [
        (M.SparseCategoricalAccuracy(), data["labels"], data["probs"], hits_sparse),
        (M.SparseCategoricalAccuracy(), data["labels"][:, None].astype(np.float32), data["probs"],
         hits_sparse),
        (M.CategoricalAccuracy(), data["onehot"], data["probs"], hits_sparse),
        (M.TopKCategoricalAccuracy(k=3), data["onehot"], data["probs"], top3),
        (M.SparseTopKCategoricalAccuracy(k=3), data["labels"], data["probs"], top3),
        (M.BinaryAccuracy(), data["bin_true"], data["bin_pred"], hits_bin),
        (M.Accuracy(), data["labels"], data["probs"].argmax(1), hits_sparse),
    ]
    for metric, yt, yp, hits in cases:
        batches = list(zip(*split([yt, yp], SIZES)))
        weights = split([w], SIZES)[0] if weighted else None
        expected = weighted_mean(hits, w)
        assert feed(metric, batches, weights) == pytest.approx(expected, rel=1e-6), metric.name
        # the same data in one batch gives the same value, and the mean of batch means would not
        assert feed(metric, [(yt, yp)], [w] if weighted else None) == pytest.approx(expected, rel=1e-6)
    batch_means = [weighted_mean(h, bw)
                   for h, bw in zip(split([hits_sparse], SIZES)[0], split([w], SIZES)[0])]
    assert abs(np.mean(batch_means) - weighted_mean(hits_sparse, w)) > 1e-3


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics_over_uneven_batches(data, weighted):
    yt, yp = data["reg_true"].astype(np.float64), data["reg_pred"].astype(np.float64)
    w = data["weights"] if weighted else np.ones(N)
    sq, ab = ((yt - yp) ** 2).mean(1), np.abs(yt - yp).mean(1)
    ape = 100 * (np.abs(yt - yp) / np.maximum(np.abs(yt), 1e-7)).mean(1)
    batches = list(zip(*split([data["reg_true"], data["reg_pred"]], SIZES)))
    weights = split([w], SIZES)[0] if weighted else None
    for metric, expected in [(M.MeanSquaredError(), weighted_mean(sq, w)),
                             (M.MeanAbsoluteError(), weighted_mean(ab, w)),
                             (M.MeanAbsolutePercentageError(), weighted_mean(ape, w)),
                             (M.RootMeanSquaredError(), math.sqrt(weighted_mean(sq, w)))]:
        assert feed(metric, batches, weights) == pytest.approx(expected, rel=2e-6), metric.name
    # RMSE is not the mean of the batch RMSEs
    batch_rmse = [math.sqrt(weighted_mean(s, bw))
                  for s, bw in zip(split([sq], SIZES)[0], split([w], SIZES)[0])]
    assert abs(np.mean(batch_rmse) - math.sqrt(weighted_mean(sq, w))) > 1e-3


def test_rmse_accepts_per_output_weights(data):
    yt, yp = data["reg_true"], data["reg_pred"]
    w = np.abs(data["reg_true"]) + 0.1
    expected = math.sqrt(np.sum(w * (yt.astype(float) - yp) ** 2) / np.sum(w))
    rmse = M.RootMeanSquaredError(dtype="float64")(yt, yp, sample_weight=w)
    assert rmse == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_precision_recall_over_uneven_batches(data, weighted):
    w = data["weights"] if weighted else np.ones(N)
    yt, yp = data["onehot"], data["probs"]                      # multi-label counting over N * C entries
    pred, pos = yp > 0.5, yt.astype(bool)
    ww = np.broadcast_to(w[:, None], yt.shape)
    tp, fp, fn = (ww * (pred & pos)).sum(), (ww * (pred & ~pos)).sum(), (ww * (~pred & pos)).sum()
    batches = list(zip(*split([yt, yp], SIZES)))
    weights = split([w], SIZES)[0] if weighted else None
    assert feed(M.Precision(), batches, weights) == pytest.approx(tp / (tp + fp), rel=1e-6)
    assert feed(M.Recall(), batches, weights) == pytest.approx(tp / (tp + fn), rel=1e-6)
    c = 2
    pred_c, pos_c = yp[:, c] > 0.5, yt[:, c] > 0
    tp_c, fp_c = (w * (pred_c & pos_c)).sum(), (w * (pred_c & ~pos_c)).sum()
    assert feed(M.Precision(class_id=c), batches, weights) == pytest.approx(tp_c / (tp_c + fp_c), rel=1e-6)


def test_f1_and_auc_accumulate_like_one_batch(data):
    batches = list(zip(*split([data["onehot"], data["probs"]], SIZES)))
    weights = split([data["weights"]], SIZES)[0]
    for make in (lambda: M.F1Score(), lambda: M.F1Score("micro"), lambda: M.F1Score("weighted"),
                 lambda: M.AUC(), lambda: M.AUC(curve="PR"), lambda: M.AUC(multi_label=True)):
        whole = make()(data["onehot"], data["probs"], sample_weight=data["weights"])
        np.testing.assert_allclose(feed(make(), batches, weights), whole, rtol=1e-6)


def test_mean_and_sum_weighted_running_values():
    m = M.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=[1, 0, 1])
    m.update_state(10.0, sample_weight=2)                   # a batch loss weighted by its size
    assert m.result() == pytest.approx((1 + 3 + 20) / 4)
    m.update_state([[1.0, 3.0], [5.0, 7.0]])                # a sample with several values: their mean
    assert m.result() == pytest.approx((24 + 2 + 6) / 6)
    s = M.Sum()
    s.update_state([[1, 2], [3, 4]], sample_weight=[1, 0.5])
    assert s.result() == 3 + 3.5
    wrapped = M.MeanMetricWrapper(lambda t, p: np.abs(np.subtract(t, p)), name="abs_err")
    wrapped.update_state([0, 0, 0], [1, 2, 3], sample_weight=2.0)       # a scalar weight: every sample
    wrapped.update_state([0], [10])
    assert wrapped.result() == pytest.approx((2 * 6 + 10) / 7)


# ------------------------------------------------------------- scikit-learn oracle
def test_accuracy_precision_recall_against_sklearn(rng):
    skm = pytest.importorskip("sklearn.metrics")
    for _ in range(5):
        n, c = int(rng.integers(20, 200)), int(rng.integers(2, 8))
        scores = rng.random((n, c)).astype(np.float32)
        labels = rng.integers(0, c, n)
        w = rng.uniform(0, 3, n)
        acc = M.SparseCategoricalAccuracy(dtype="float64")(labels, scores, sample_weight=w)
        assert acc == pytest.approx(skm.accuracy_score(labels, scores.argmax(1), sample_weight=w))
        y_bin, p_bin = (rng.random(n) < 0.5).astype(int), rng.random(n).astype(np.float32)
        for cls, fn in ((M.Precision, skm.precision_score), (M.Recall, skm.recall_score)):
            ours = cls(dtype="float64")(y_bin, p_bin, sample_weight=w)
            assert ours == pytest.approx(fn(y_bin, p_bin > 0.5, sample_weight=w, zero_division=0))
            cid = int(rng.integers(0, c))
            ours = cls(class_id=cid, dtype="float64")(np.eye(c)[labels], scores)
            assert ours == pytest.approx(fn(labels == cid, scores[:, cid] > 0.5, zero_division=0))


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f1_against_sklearn_including_absent_classes(rng, average):
    skm = pytest.importorskip("sklearn.metrics")
    n, c = 120, 6
    scores = rng.random((n, c))
    scores[:, 3] = 0.0                    # class 3 is never predicted
    labels = rng.integers(0, c - 1, n)    # class 5 never occurs ...
    scores[:7, 5] = 2.0                   # ... but is predicted a few times
    w = rng.uniform(0.5, 2, n)
    for weights in (None, w):
        ours = M.F1Score(average=average, dtype="float64")(np.eye(c)[labels], scores, sample_weight=weights)
        theirs = skm.f1_score(labels, scores.argmax(1), labels=range(c), average=average,
                              sample_weight=weights, zero_division=0)
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    beta = M.FBetaScore(average="macro", beta=0.5, dtype="float64")(np.eye(c)[labels], scores)
    assert beta == pytest.approx(skm.fbeta_score(labels, scores.argmax(1), beta=0.5, labels=range(c),
                                                 average="macro", zero_division=0), abs=1e-5)


def test_multilabel_f1_with_threshold_against_sklearn(rng):
    skm = pytest.importorskip("sklearn.metrics")
    y = (rng.random((80, 4)) < 0.4).astype(int)
    scores = np.clip(y * 0.3 + rng.random((80, 4)) * 0.7, 0, 1)
    ours = M.F1Score(average="macro", threshold=0.5, dtype="float64")(y, scores)
    assert ours == pytest.approx(skm.f1_score(y, scores > 0.5, average="macro", zero_division=0), abs=1e-5)


def test_auc_against_sklearn(rng):
    skm = pytest.importorskip("sklearn.metrics")
    n = 2000
    y = (rng.random(n) < 0.3).astype(int)
    scores = np.clip(0.25 * y + rng.random(n) * 0.75, 0, 1)
    w = rng.uniform(0, 2, n)
    roc = M.AUC(num_thresholds=10001, dtype="float64")
    assert roc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-3)
    roc.reset_state()
    assert roc(y, scores, sample_weight=w) == pytest.approx(skm.roc_auc_score(y, scores, sample_weight=w),
                                                            abs=1e-3)
    pr = M.AUC(num_thresholds=10001, curve="PR", dtype="float64")(y, scores)
    assert pr == pytest.approx(skm.average_precision_score(y, scores), abs=1e-2)
    # the default 200 thresholds are already within a few thousandths
    assert M.AUC()(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=5e-3)
    ym = (rng.random((n, 3)) < 0.4).astype(int)
    sm = np.clip(0.2 * ym + rng.random((n, 3)) * 0.8, 0, 1)
    multi = M.AUC(num_thresholds=10001, multi_label=True)(ym, sm)
    assert multi == pytest.approx(skm.roc_auc_score(ym, sm, average="macro"), abs=1e-3)
    flat = M.AUC(num_thresholds=10001)(ym, sm)
    assert flat == pytest.approx(skm.roc_auc_score(ym.ravel(), sm.ravel()), abs=1e-3)


# ----------------------------------------------------------------- name resolution
@pytest.mark.parametrize("y_true_shape, y_pred_shape, cls", [
    ((8,), (8, 10), M.SparseCategoricalAccuracy),
    ((8, 1), (8, 10), M.SparseCategoricalAccuracy),
    ((8, 10), (8, 10), M.CategoricalAccuracy),
    ((8, 1), (8, 1), M.BinaryAccuracy),
    ((8,), (8, 1), M.BinaryAccuracy),
])
def test_get_accuracy_picks_the_class_from_shapes(y_true_shape, y_pred_shape, cls):
    for name in ("accuracy", "acc"):
        metric = M.get(name, np.zeros(y_true_shape), np.zeros(y_pred_shape, np.float32))
        assert type(metric) is cls and metric.name == name
    assert type(M.get("accuracy", Tensor(np.zeros(y_true_shape)), Tensor(np.zeros(y_pred_shape)))) is cls


def test_get_accuracy_works_end_to_end():
    labels = np.array([0, 2, 1, 2])
    probs = np.eye(3, dtype=np.float32)[[0, 2, 2, 2]]
    m = M.get("accuracy", labels, probs)
    assert m(labels, probs) == 0.75
    assert type(M.get("accuracy")) is M.Accuracy        # no shapes: exact equality, as keras.metrics.get


@pytest.mark.parametrize("name, cls", [
    ("binary_accuracy", M.BinaryAccuracy), ("categorical_accuracy", M.CategoricalAccuracy),
    ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy),
    ("mse", M.MeanSquaredError), ("mean_squared_error", M.MeanSquaredError), ("MSE", M.MeanSquaredError),
    ("mae", M.MeanAbsoluteError), ("mean_absolute_error", M.MeanAbsoluteError),
    ("mape", M.MeanAbsolutePercentageError), ("rmse", M.RootMeanSquaredError),
    ("root_mean_squared_error", M.RootMeanSquaredError), ("precision", M.Precision),
    ("recall", M.Recall), ("auc", M.AUC), ("AUC", M.AUC), ("f1_score", M.F1Score),
    ("F1Score", M.F1Score), ("Precision", M.Precision),
])
def test_get_by_name(name, cls):
    metric = M.get(name)
    assert type(metric) is cls
    assert metric.name == name          # Keras 3's compile logs a metric under the string given


def test_get_instances_classes_functions_and_configs():
    p = M.Precision(thresholds=0.3, name="p30")
    assert M.get(p) is p
    assert type(M.get(M.Recall)) is M.Recall

    def hits(y_true, y_pred):
        return (np.asarray(y_true) == np.asarray(y_pred)).astype(np.float32)

    wrapped = M.get(hits)
    assert isinstance(wrapped, M.MeanMetricWrapper) and wrapped.name == "hits"
    assert wrapped([1, 2, 3, 4], [1, 2, 0, 0]) == 0.5
    clone = M.get(M.serialize(p))
    assert type(clone) is M.Precision and clone.name == "p30" and clone.thresholds == [0.3]


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown metric 'acuracy'.*'binary_accuracy'.*'mse'"):
        M.get("acuracy")
    with pytest.raises(ValueError, match="could not interpret"):
        M.get(42)


@pytest.mark.parametrize("metric", [
    M.BinaryAccuracy(threshold=0.3), M.TopKCategoricalAccuracy(k=2, name="top2"),
    M.Precision(thresholds=[0.2, 0.8], class_id=1), M.Recall(top_k=2), M.AUC(num_thresholds=7, curve="PR"),
    M.AUC(thresholds=[0.25, 0.5], multi_label=True, label_weights=[1.0, 2.0]),
    M.F1Score(average="macro", threshold=0.4), M.FBetaScore(beta=2.0),
    M.RootMeanSquaredError(dtype="float64"),
    M.MeanMetricWrapper(M.top_k_categorical_accuracy, k=2), M.Mean(name="loss"),
    M.MeanMetricWrapper(KM.mean_squared_error), M.MeanMetricWrapper(KM.mean_absolute_percentage_error),
])
def test_config_round_trip(metric):
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    assert M.deserialize(M.serialize(metric)).get_config() == config


# ------------------------------------------------------ state, dtypes, inputs, errors
def test_reset_state_clears_everything(data):
    for metric in (M.SparseCategoricalAccuracy(), M.Precision(), M.AUC(), M.F1Score("macro"),
                   M.RootMeanSquaredError(), M.Sum()):
        if isinstance(metric, M.SparseCategoricalAccuracy):
            args = (data["labels"], data["probs"])
        elif isinstance(metric, M.Sum):
            args = (data["weights"],)
        else:
            args = (data["onehot"], data["probs"])
        first = metric(*args)
        assert np.any(np.asarray(first) != 0)
        metric.reset_state()
        assert metric.result() == 0.0
        np.testing.assert_array_equal(metric(*args), first)


def test_results_before_any_update_are_zero():
    for metric in (M.Mean(), M.Sum(), M.Accuracy(), M.MeanSquaredError(), M.RootMeanSquaredError(),
                   M.Precision(), M.Recall(), M.AUC(), M.AUC(curve="PR"), M.AUC(multi_label=True),
                   M.F1Score(), M.TruePositives()):
        assert metric.result() == 0.0 and isinstance(metric.result(), float)
    np.testing.assert_array_equal(M.Precision(thresholds=[0.1, 0.9]).result(), [0.0, 0.0])


def test_dtype_of_results():
    assert M.Precision()([0, 1, 1, 1], [1, 0, 1, 1]) == f32(2 / 3)
    assert M.Precision(dtype="float64")([0, 1, 1, 1], [1, 0, 1, 1]) == 2 / 3
    assert M.Precision(dtype=np.float64).dtype == "float64" and M.Mean().dtype == "float32"
    per_class = M.F1Score(dtype="float64")(np.eye(3)[[0, 1, 2]], np.eye(3)[[0, 1, 1]])
    assert per_class.dtype == np.float64 and per_class.shape == (3,)
    assert M.F1Score()(np.eye(3)[[0, 1, 2]], np.eye(3)[[0, 1, 1]]).dtype == np.float32
    for bad in ("int32", "bool", "float"[:3]):
        with pytest.raises(ValueError, match="dtype must be a floating-point type"):
            M.Mean(dtype=bad)


def test_integer_float_and_tensor_inputs_agree(data):
    labels, probs = data["labels"], data["probs"]
    expected = M.SparseCategoricalAccuracy()(labels, probs)
    for yt in (labels.astype(np.int32), labels.astype(np.float32), labels[:, None], list(labels),
               Tensor(labels.astype(np.float32))):
        assert M.SparseCategoricalAccuracy()(yt, Tensor(probs)) == expected
    assert M.Precision()(Tensor(data["onehot"]), Tensor(probs)) == M.Precision()(data["onehot"], probs)
    w = data["weights"]
    assert M.MeanSquaredError()(Tensor(data["reg_true"]), Tensor(data["reg_pred"]), sample_weight=Tensor(w)) \
        == M.MeanSquaredError()(data["reg_true"], data["reg_pred"], sample_weight=w)


@pytest.mark.parametrize("metric, y_true, y_pred", [
    (M.MeanSquaredError(), np.zeros((4, 3)), np.zeros((4, 2))),
    (M.MeanSquaredError(), np.zeros((4, 1)), np.zeros((4, 3))),            # no silent broadcasting
    (M.CategoricalAccuracy(), np.zeros(4), np.zeros((4, 3))),
    (M.SparseCategoricalAccuracy(), np.zeros((4, 3)), np.zeros((4, 3))),
    (M.SparseCategoricalAccuracy(), np.zeros(5), np.zeros((4, 3))),
    (M.BinaryAccuracy(), np.zeros(5), np.zeros((4, 1))),
    (M.RootMeanSquaredError(), np.zeros((4, 2)), np.zeros((4, 3))),
    (M.Precision(), np.zeros((4, 2)), np.zeros((4, 3))),
    (M.AUC(), np.zeros(3), np.zeros(4)),
    (M.F1Score(), np.zeros(4), np.zeros((4, 3))),
])
def test_shape_mismatch_names_metric_and_shapes(metric, y_true, y_pred):
    with pytest.raises(ValueError) as info:
        metric.update_state(y_true, y_pred)
    message = str(info.value)
    assert metric.name in message
    assert str(np.shape(y_true)) in message and str(np.shape(y_pred)) in message


@pytest.mark.parametrize("make", [M.SparseCategoricalAccuracy, M.MeanSquaredError, M.RootMeanSquaredError,
                                  M.Precision, M.AUC, M.F1Score])
def test_sample_weight_of_wrong_length(make):
    metric = make()
    y_true = np.zeros(4, int) if make is M.SparseCategoricalAccuracy else np.eye(3)[[0, 1, 2, 0]]
    with pytest.raises(ValueError, match=rf"{metric.name}.*\(5,\)") as info:
        metric.update_state(y_true, np.eye(3)[[0, 1, 2, 1]], sample_weight=np.ones(5))
    assert "4" in str(info.value)
    assert metric.result() == 0.0             # nothing was accumulated


def test_argument_validation():
    with pytest.raises(ValueError, match="threshold"):
        M.BinaryAccuracy(threshold=1.5)
    with pytest.raises(ValueError, match="k must be"):
        M.TopKCategoricalAccuracy(k=0)
    with pytest.raises(ValueError, match=r"thresholds must be numbers in \[0, 1\]"):
        M.Precision(thresholds=[-1, 0.5, 2])
    with pytest.raises(ValueError, match="class_id"):
        M.Precision(class_id=2)([0, 1, 1], [0.2, 0.6, 0.9])
    with pytest.raises(ValueError, match="num_thresholds"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="summation_method"):
        M.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="average"):
        M.F1Score(average="samples")
    with pytest.raises(ValueError, match="labels must lie in"):
        M.SparseTopKCategoricalAccuracy(k=1)([3], [[0.1, 0.2, 0.7]])
    with pytest.raises(ValueError, match="looks like integer labels"):
        M.F1Score()([0, 1, 2], np.eye(3))
    f1 = M.F1Score()
    f1.update_state(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="4 classes but earlier batches had 3"):
        f1.update_state(np.eye(4), np.eye(4))


def test_top_k_ties_and_first_maximum():
    # ties with the k-th score count as hits (Keras's in_top_k); argmax takes the first maximum
    scores = np.array([[0.5, 0.5, 0.5, 0.1]], np.float32)
    assert M.sparse_top_k_categorical_accuracy([2], scores, k=1)[0] == 1.0
    assert M.sparse_top_k_categorical_accuracy([3], scores, k=3)[0] == 0.0
    assert M.sparse_categorical_accuracy([0], scores)[0] == 1.0
    assert M.sparse_categorical_accuracy([1], scores)[0] == 0.0


def test_per_sample_functions():
    y_true = np.array([[0.0, 1.0], [2.0, 4.0]])
    y_pred = np.array([[1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(KM.mean_squared_error(y_true, y_pred), [0.5, 2.0])
    np.testing.assert_allclose(KM.mean_absolute_error(y_true, y_pred), [0.5, 1.0])
    np.testing.assert_allclose(KM.root_mean_squared_error(y_true, y_pred), [math.sqrt(0.5), math.sqrt(2)])
    np.testing.assert_allclose(KM.mean_absolute_percentage_error(y_true, y_pred), [5e8, 25.0], rtol=1e-6)
    np.testing.assert_array_equal(M.binary_accuracy([[1, 0], [0, 0]], [[0.7, 0.6], [0.2, 0.4]]), [0.5, 1.0])
    np.testing.assert_array_equal(M.binary_accuracy([1, 0], [0.2, 0.2], threshold=0.1), [1.0, 0.0])
    np.testing.assert_array_equal(M.categorical_accuracy(np.eye(3), np.eye(3)[[0, 2, 2]]), [1, 0, 1])
    out = M.sparse_categorical_accuracy(np.array([[0], [1]]), np.eye(2, dtype=np.float32))
    assert out.shape == (2,) and out.dtype == np.float32
    # a sequence of predictions: one value per (sample, step); Mean then averages each sample
    seq = M.sparse_categorical_accuracy(np.array([[0, 1], [1, 1]]), np.eye(2)[[[0, 0], [1, 1]]])
    np.testing.assert_array_equal(seq, [[1, 0], [1, 1]])
    assert M.SparseCategoricalAccuracy()(np.array([[0, 1], [1, 1]]), np.eye(2)[[[0, 0], [1, 1]]],
                                         sample_weight=[1, 3]) == 0.875


def test_training_loop_protocol(rng):
    # what Model.fit does: a loss tracker fed (batch loss, batch size), metrics fed float32 predictions,
    # names read (and possibly renamed) for the logs, every value a float, reset at each epoch
    labels = rng.integers(0, 10, 96)
    probs = rng.random((96, 10)).astype(np.float32)
    tracker, metric = M.Mean(name="loss"), M.get("accuracy", labels[:32], probs[:32])
    metric.name = "weighted_" + metric.name
    for _ in range(2):
        tracker.reset_state()
        metric.reset_state()
        for s in range(0, 96, 32):
            tracker.update_state(float(s), sample_weight=32)
            metric.update_state(labels[s:s + 32], probs[s:s + 32], sample_weight=None)
        logs = {tracker.name: tracker.result(), metric.name: metric.result()}
        assert logs == {"loss": 32.0, "weighted_accuracy": f32(np.mean(labels == probs.argmax(1)))}
    np.testing.assert_array_equal(M.binary_accuracy(np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.4]])),
                                  [1, 1, 0])
