"""The confusion-count metrics (``scratchnn/metrics/confusion.py``): TruePositives...,
Precision, Recall, AUC against Keras's numbers and scikit-learn, over uneven batches.
"""
import numpy as np
import pytest

from scratchnn import metrics as M

from tests.metrics.helpers import SIZES, N, f32, feed, split


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
