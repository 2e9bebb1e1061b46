"""Metric names as Keras's compile resolves them (``scratchnn/metrics/__init__.py``): ``get``,
serialize/deserialize, whole-array functions mapped to running metrics, and compile with
scikit-learn-style functions.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import Tensor
from scratchnn import metrics as M
from scratchnn.keras import metrics as KM  # Keras's per-sample regression functions live here
from scratchnn.layers import Dense


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
