"""FBetaScore / F1Score (``scratchnn/metrics/fscore.py``): Keras's numbers, accumulation, and
scikit-learn (absent classes, multi-label thresholds).
"""
import numpy as np
import pytest

from scratchnn import metrics as M

from tests.metrics.helpers import SIZES, feed, split


def test_keras_f_scores():
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    # Keras prints [0.5, 0.8, 0.6666667] and [0.3846154, 0.90909094, 0.8333334]: equal to a float32 ulp
    np.testing.assert_allclose(M.F1Score(threshold=0.5)(y_true, y_pred), [0.5, 0.8, 2 / 3], rtol=3e-7)
    np.testing.assert_allclose(M.FBetaScore(beta=2.0, threshold=0.5)(y_true, y_pred),
                               [0.3846154, 0.90909094, 0.8333334], rtol=3e-7)


def test_f1_and_auc_accumulate_like_one_batch(data):
    batches = list(zip(*split([data["onehot"], data["probs"]], SIZES)))
    weights = split([data["weights"]], SIZES)[0]
    for make in (lambda: M.F1Score(), lambda: M.F1Score("micro"), lambda: M.F1Score("weighted"),
                 lambda: M.AUC(), lambda: M.AUC(curve="PR"), lambda: M.AUC(multi_label=True)):
        whole = make()(data["onehot"], data["probs"], sample_weight=data["weights"])
        np.testing.assert_allclose(feed(make(), batches, weights), whole, rtol=1e-6)


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
