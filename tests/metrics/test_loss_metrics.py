"""The losses as metrics (``probabilistic.py``, ``hinge.py``, the end of ``regression.py``): each
checked on numbers computed by hand, over uneven batches with sample weights, against the training
loss of the same name, and by name in ``compile``.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import losses
from scratchnn import metrics as M
from scratchnn.keras import metrics as KM
from scratchnn.layers import Dense
from scratchnn.utils import set_random_seed
from tests.metrics.helpers import SIZES, N, feed, split, weighted_mean


def test_each_loss_metric_on_small_numbers_worked_by_hand():
    ln = np.log
    # binary: -(log 0.8 + log 0.9) / 2 for the first sample (two outputs), -log 0.4 for the second
    bce = M.BinaryCrossentropy()([[0, 1], [1, 1]], [[0.2, 0.9], [0.4, 1.0]])
    assert bce == pytest.approx((-(ln(0.8) + ln(0.9)) / 2 + -(ln(0.4) + ln(1 - 1e-7)) / 2) / 2, rel=1e-6)
    cce = M.CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], [[0.2, 0.7, 0.1], [0.25, 0.25, 0.5]])
    assert cce == pytest.approx((-ln(0.7) - ln(0.5)) / 2, rel=1e-6)
    # probabilities that do not sum to 1 are rescaled first (as Keras): [1, 3] -> [0.25, 0.75]
    assert M.SparseCategoricalCrossentropy()([1], [[1.0, 3.0]]) == pytest.approx(-ln(0.75), rel=1e-6)
    assert M.KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]]) == pytest.approx(
        0.5 * ln(0.5 / 0.25) + 0.5 * ln(0.5 / 0.75), rel=1e-6)
    poisson = ((1 - 2 * ln(1 + 1e-7)) + 3) / 2
    assert M.Poisson()([[2.0, 0.0]], [[1.0, 3.0]]) == pytest.approx(poisson, rel=1e-6)
    # hinge: 0/1 targets become -1/+1; max(1 - t y, 0) = [max(1 - 0.3, 0), max(1 + 0.4, 0)]
    assert M.Hinge()([[1, 0]], [[0.3, 0.4]]) == pytest.approx((0.7 + 1.4) / 2, rel=1e-6)
    assert M.SquaredHinge()([[1, 0]], [[0.3, 0.4]]) == pytest.approx((0.49 + 1.96) / 2, rel=1e-6)
    # categorical hinge: pos = 0.3 (the true class), neg = 0.6 (the best wrong one): 0.6 - 0.3 + 1
    assert M.CategoricalHinge()([[0, 1, 0]], [[0.6, 0.3, 0.1]]) == pytest.approx(1.3, rel=1e-6)
    assert M.LogCoshError()([[0.0, 0.0]], [[1.0, -2.0]]) == pytest.approx(
        (ln(np.cosh(1.0)) + ln(np.cosh(2.0))) / 2, rel=1e-6)
    assert M.MeanSquaredLogarithmicError()([[1.0, 3.0]], [[2.0, 3.0]]) == pytest.approx(
        (ln(3.0) - ln(2.0)) ** 2 / 2, rel=1e-6)
    assert M.CosineSimilarity()([[1.0, 0.0], [1.0, 1.0]], [[3.0, 4.0], [-2.0, -2.0]]) == pytest.approx(
        (0.6 - 1.0) / 2, rel=1e-6)


def test_from_logits_equals_the_probabilities_of_the_same_scores(rng):
    logits = rng.normal(size=(N, 4)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, 4, N)
    onehot = np.eye(4)[labels]
    sig = 1 / (1 + np.exp(-logits))
    binary = (rng.random((N, 4)) < 0.5).astype(np.float64)
    pairs = [(M.SparseCategoricalCrossentropy(from_logits=True), M.SparseCategoricalCrossentropy(),
              labels, logits, probs),
             (M.CategoricalCrossentropy(from_logits=True), M.CategoricalCrossentropy(), onehot, logits,
              probs),
             (M.BinaryCrossentropy(from_logits=True), M.BinaryCrossentropy(), binary, logits, sig)]
    for with_logits, with_probs, y, z, p in pairs:
        assert with_logits(y, z) == pytest.approx(with_probs(y, p), rel=1e-5), with_probs.name
    # a logit of 40 is no log(0): the loss of its wrong label is about 40, not a clipped 16.1
    assert M.BinaryCrossentropy(from_logits=True)([[0.0]], [[40.0]]) == pytest.approx(40.0, rel=1e-6)


def test_label_smoothing_moves_the_targets_towards_uniform():
    p = np.array([[0.2, 0.7, 0.1]])
    smoothed = M.CategoricalCrossentropy(label_smoothing=0.3)([[0, 1, 0]], p)
    t = np.array([0.1, 0.8, 0.1])                  # 0.7 * onehot + 0.3 / 3
    assert smoothed == pytest.approx(-(t * np.log(p[0])).sum(), rel=1e-6)
    b = M.BinaryCrossentropy(label_smoothing=0.2)([[1.0]], [[0.7]])
    assert b == pytest.approx(-(0.9 * np.log(0.7) + 0.1 * np.log(0.3)), rel=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_metrics_equal_the_training_losses_over_uneven_weighted_batches(data, weighted):
    """The epoch value is the weighted mean of the per-sample losses, the same per-sample numbers
    as the loss of the same name (``reduction='none'``)."""
    w = data["weights"] if weighted else np.ones(N)
    weights = split([w], SIZES)[0] if weighted else None
    cases = [
        (M.SparseCategoricalCrossentropy(), losses.SparseCategoricalCrossentropy(reduction="none"),
         data["labels"], data["probs"]),
        (M.CategoricalCrossentropy(label_smoothing=0.1),
         losses.CategoricalCrossentropy(label_smoothing=0.1, reduction="none"), data["onehot"],
         data["probs"]),
        (M.BinaryCrossentropy(), losses.BinaryCrossentropy(reduction="none"), data["bin_true"],
         data["bin_pred"]),
    ]
    for metric, loss, yt, yp in cases:
        per_sample = loss(yt, yp).data.astype(np.float64)
        batches = list(zip(*split([yt, yp], SIZES)))
        expected = weighted_mean(per_sample, w)
        assert feed(metric, batches, weights) == pytest.approx(expected, rel=2e-5), metric.name


def test_the_metrics_by_name_in_compile_report_the_training_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    set_random_seed(0)
    model = snn.Sequential([Dense(6, activation="relu", input_shape=(4,)), Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["binary_crossentropy", "hinge", "kld", "logcosh"])
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "binary_crossentropy", "hinge", "kld", "logcosh"}
    assert logs["binary_crossentropy"] == pytest.approx(logs["loss"], rel=1e-5)
    p = model.predict(x, verbose=0).astype(np.float64)
    assert logs["hinge"] == pytest.approx(np.mean(np.maximum(1 - (2 * y - 1) * p, 0)), rel=1e-5)
    assert logs["logcosh"] == pytest.approx(np.mean(np.log(np.cosh(p - y))), rel=1e-5)


def test_bad_shapes_and_labels_are_refused_by_name():
    with pytest.raises(ValueError, match=r"categorical_crossentropy: y_true has shape \(2,\).*integer"):
        M.CategoricalCrossentropy()([0, 1], [[0.5, 0.5], [0.1, 0.9]])
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: labels must lie in \[0, 2\)"):
        M.SparseCategoricalCrossentropy()([0, 2], [[0.5, 0.5], [0.1, 0.9]])
    with pytest.raises(ValueError, match=r"hinge: y_true has shape \(2, 3\) but y_pred has shape \(2, 2\)"):
        M.Hinge()(np.zeros((2, 3)), np.zeros((2, 2)))


@pytest.mark.parametrize("metric", [
    M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), M.CategoricalCrossentropy(axis=-1),
    M.SparseCategoricalCrossentropy(from_logits=True, name="sce"), M.KLDivergence(), M.Poisson(),
    M.Hinge(), M.SquaredHinge(), M.CategoricalHinge(), M.LogCoshError(), M.MeanSquaredLogarithmicError(),
    M.CosineSimilarity(dtype="float64"),
])
def test_config_round_trip_and_keras_names(metric):
    config = metric.get_config()
    clone = M.deserialize(M.serialize(metric))
    assert type(clone) is type(metric) and clone.get_config() == config
    assert getattr(KM, type(metric).__name__) is type(metric)


def test_keras_default_names():
    names = [M.BinaryCrossentropy(), M.CategoricalCrossentropy(), M.SparseCategoricalCrossentropy(),
             M.KLDivergence(), M.Poisson(), M.Hinge(), M.SquaredHinge(), M.CategoricalHinge(),
             M.LogCoshError(), M.MeanSquaredLogarithmicError(), M.CosineSimilarity()]
    assert [m.name for m in names] == [
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
        "poisson", "hinge", "squared_hinge", "categorical_hinge", "logcosh", "mean_squared_logarithmic_error",
        "cosine_similarity"]
    assert type(M.get("msle")) is M.MeanSquaredLogarithmicError and M.get("msle").name == "msle"
    assert type(M.get("CosineSimilarity")) is M.CosineSimilarity
