"""The cross-entropy metrics (``scratchnn/metrics/probabilistic.py``): the epoch's weighted mean of the
per-sample loss, equal to the loss over all samples at once, by name in ``compile``, and saved."""
import numpy as np
import pytest

from scratchnn import keras
from scratchnn import metrics as M


def feed(metric, y, p, w=None, sizes=(3, 5, 4)):
    start = 0
    for size in sizes:
        rows = slice(start, start + size)
        metric.update_state(y[rows], p[rows], sample_weight=None if w is None else w[rows])
        start += size
    return metric.result()


def test_each_crossentropy_metric_is_the_weighted_mean_of_its_formula_over_uneven_batches():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(12, 4))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, 4, 12)
    onehot = np.eye(4)[labels]
    w = rng.uniform(0.2, 2.0, 12)
    per_sample = -np.log(p[np.arange(12), labels])
    expected = float((w * per_sample).sum() / w.sum())
    assert feed(M.SparseCategoricalCrossentropy(), labels, p, w) == pytest.approx(expected, rel=1e-5)
    assert feed(M.CategoricalCrossentropy(), onehot, p, w) == pytest.approx(expected, rel=1e-5)
    assert feed(M.SparseCategoricalCrossentropy(from_logits=True), labels, logits, w) == pytest.approx(
        expected, rel=1e-5)
    q = 1 / (1 + np.exp(-logits[:, :1]))
    t = (labels[:, None] % 2).astype(float)
    bce = -(t * np.log(q) + (1 - t) * np.log(1 - q))[:, 0]
    assert feed(M.BinaryCrossentropy(), t, q) == pytest.approx(float(bce.mean()), rel=1e-5)
    smoothed = M.BinaryCrossentropy(label_smoothing=0.2)
    ts = t * 0.8 + 0.1
    expected_smooth = float((-(ts * np.log(q) + (1 - ts) * np.log(1 - q))).mean())
    assert feed(smoothed, t, q) == pytest.approx(expected_smooth, rel=1e-5)


def test_crossentropy_metrics_by_name_in_compile_match_the_loss_and_keep_their_config():
    x = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["sparse_categorical_crossentropy"])
    logs = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert logs["sparse_categorical_crossentropy"] == pytest.approx(logs["loss"], rel=1e-5)
    metric = keras.metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    again = M.deserialize(M.serialize(metric))
    assert type(again) is M.BinaryCrossentropy and again.get_config() == metric.get_config()
    assert again.get_config()["from_logits"] is True
