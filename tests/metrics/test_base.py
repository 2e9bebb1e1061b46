"""What every metric promises (``scratchnn/metrics/base.py``): Keras's documented numbers, Mean
and Sum, state, dtypes, inputs, error messages and the training loop's protocol.
"""
import math

import numpy as np
import pytest

from scratchnn import Tensor
from scratchnn import metrics as M

from tests.metrics.helpers import f32

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


def test_a_custom_metric_keeps_its_state_in_variables_as_keras_guides_write_it():
    """keras.io's CategoricalTruePositives (``add_variable``) and Deep Learning with Python's RMSE
    (``add_weight(name=, initializer=, dtype=)``): assign_add in update_state, ``.value`` in result,
    and the default reset_state sets every variable back to zeros."""
    from scratchnn import metrics as M

    class Counter(M.Metric):
        def __init__(self, name="counter", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), name="total", initializer="zeros")
            self.count = self.add_weight(name="count", initializer="zeros", dtype="int32")

        def update_state(self, values, sample_weight=None):
            self.total.assign_add(np.sum(values))
            self.count.assign_add(len(values))

        def result(self):
            return self.total.value / self.count.value

    metric = Counter()
    assert [v.name for v in metric.variables] == ["total", "count"]
    assert metric.total.dtype == np.float32 and metric.count.dtype == np.int32
    metric.update_state(np.array([1.0, 2.0]))
    metric.update_state(np.array([6.0]))
    assert float(metric.result()) == 3.0
    metric.reset_state()
    assert metric.total.numpy() == 0.0 and metric.count.numpy() == 0
    with pytest.raises(NotImplementedError, match="must implement reset_state"):
        M.Metric(name="bare").reset_state()
