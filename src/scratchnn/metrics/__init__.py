"""Metrics: running statistics over the batches of an epoch (Keras 3 names and semantics), and
functions of whole arrays (scikit-learn names and numbers).

    import scratchnn as snn
    m = snn.metrics.SparseCategoricalAccuracy()        # or snn.metrics.get("accuracy", y, y_pred)
    m.reset_state()                                    # at the start of an epoch
    for x, y in batches:
        m.update_state(y, model(x).data)               # NumPy arrays (or Tensors), (y_true, y_pred)
    print(m.name, m.result())                          # a Python float

    snn.metrics.f1_score(y_test, model.predict(x_test), average="macro")     # after training

A metric accumulates sums over the epoch and divides only in ``result()``, so the value
is the metric of all the epoch's samples together (accuracy over 60000 samples, not the
mean of 1875 batch accuracies; RMSE is the root of the epoch's mean squared error).

* Running means (Keras): ``Accuracy``, ``BinaryAccuracy``, ``CategoricalAccuracy``,
  ``SparseCategoricalAccuracy``, ``TopKCategoricalAccuracy``, ``SparseTopKCategoricalAccuracy``,
  ``MeanSquaredError``, ``MeanAbsoluteError``, ``MeanAbsolutePercentageError``,
  ``RootMeanSquaredError``; ``MeanMetricWrapper(fn)`` wraps any per-sample ``fn(y_true, y_pred)``.
* The losses as metrics (Keras): ``BinaryCrossentropy``, ``CategoricalCrossentropy``,
  ``SparseCategoricalCrossentropy`` (with ``from_logits``), ``KLDivergence``, ``Poisson``
  (``probabilistic.py``), ``Hinge``, ``SquaredHinge``, ``CategoricalHinge`` (``hinge.py``),
  ``LogCoshError``, ``MeanSquaredLogarithmicError``, ``CosineSimilarity`` (``regression.py``).
* Counts and ratios (Keras): ``TruePositives``, ``FalsePositives``, ``TrueNegatives``,
  ``FalseNegatives``, ``Precision``, ``Recall``, ``AUC``, ``F1Score``, ``FBetaScore``.
* Reductions of plain values (Keras): ``Mean``, ``Sum``.
* Per-sample functions (Keras; NumPy in, one value per sample out): ``binary_accuracy``,
  ``categorical_accuracy``, ``sparse_categorical_accuracy``, ``top_k_categorical_accuracy``,
  ``sparse_top_k_categorical_accuracy``, ``accuracy``.  The per-sample regression functions
  ``mean_squared_error``, ``mean_absolute_error``, ``mean_absolute_percentage_error`` and
  ``root_mean_squared_error`` are in ``scratchnn.keras.metrics`` (as in Keras): here those names
  are scikit-learn's, below.
* Functions of whole arrays (scikit-learn; one number per data set, ``scores/`` and
  ``report.py``): ``accuracy_score``, ``precision_score``, ``recall_score``, ``f1_score``,
  ``fbeta_score``, ``precision_recall_fscore_support``, ``confusion_matrix``,
  ``classification_report``, ``precision_recall_f1``, ``roc_curve``, ``roc_auc_score``,
  ``precision_recall_curve``, ``average_precision_score``, ``mean_absolute_error``,
  ``mean_squared_error``, ``root_mean_squared_error``, ``mean_absolute_percentage_error``
  (a fraction, not a percentage), ``r2_score``.

Each docstring gives its formula.  In ``compile(metrics=[...])`` the regression functions and
``accuracy_score`` stand for their running metrics (``MeanSquaredError``, ..., named after the
function; ``mean_absolute_percentage_error`` then logs Keras's percentage); the other
whole-array functions are refused there, since a mean of batch values is not the epoch's value.

Known differences from Keras 3 (all deliberate):
1-D inputs give one value per entry (Keras reduces a 1-D batch to a single value that
counts as one sample); a scalar ``sample_weight`` weighs every sample (Keras weighs the
batch mean); default names carry no ``_1`` suffix when a class is instantiated twice.
"""
from ..registry import Registry, custom
from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                       SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy)
from .arrays import as_array
from .base import Mean, MeanMetricWrapper, Metric, Sum, snake_case
from .confusion import (AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives,
                        TruePositives)
from .fscore import F1Score, FBetaScore
from .hinge import CategoricalHinge, Hinge, SquaredHinge
from .probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
                            SparseCategoricalCrossentropy)
from .per_sample import (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                         sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from .regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
                         MeanSquaredError, MeanSquaredLogarithmicError, RootMeanSquaredError)
from .report import classification_report, confusion_matrix, precision_recall_f1
from .scores import (UndefinedMetricWarning, accuracy_score, average_precision_score, f1_score, fbeta_score,
                     mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                     precision_recall_curve, precision_recall_fscore_support, precision_score, r2_score,
                     recall_score, roc_auc_score, roc_curve, root_mean_squared_error)

# Whole-array functions that compile() accepts: the running metric that gives their epoch value.
_SCORE_METRICS = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
                  mean_absolute_percentage_error: MeanAbsolutePercentageError,
                  root_mean_squared_error: RootMeanSquaredError, accuracy_score: "accuracy"}
# ... and those it refuses, with the running metric to use instead.
_WHOLE_ARRAY = {precision_score: "Precision", recall_score: "Recall", f1_score: "F1Score",
                fbeta_score: "FBetaScore", roc_auc_score: "AUC", average_precision_score: "AUC(curve='PR')",
                r2_score: None, precision_recall_fscore_support: None, roc_curve: None,
                precision_recall_curve: None, confusion_matrix: None, classification_report: None,
                precision_recall_f1: None}

# Metrics of (y_true, y_pred) that a name can select (Mean and Sum take plain values, not pairs).
_PAIR_METRICS = (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                 TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
                 MeanAbsoluteError, MeanAbsolutePercentageError, RootMeanSquaredError, TruePositives,
                 FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall, AUC, F1Score, FBetaScore,
                 BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
                 Poisson, Hinge, SquaredHinge, CategoricalHinge, LogCoshError, MeanSquaredLogarithmicError,
                 CosineSimilarity)
_SHORT = {MeanSquaredError: ("mse",), MeanAbsoluteError: ("mae",), MeanAbsolutePercentageError: ("mape",),
          RootMeanSquaredError: ("rmse",), LogCoshError: ("logcosh",), MeanSquaredLogarithmicError: ("msle",),
          KLDivergence: ("kld",)}

#: The metric names ``compile(metrics=[...])`` accepts besides 'accuracy'/'acc': each class's
#: snake_case name ('precision', 'auc', 'f1_score') and the short ones ('mse', 'mae', 'mape', 'rmse'),
#: case-insensitive, and class names ('Precision'); saved configs name Mean, Sum and
#: MeanMetricWrapper too, which only ``deserialize`` accepts.
METRICS = Registry("metric", base=Metric, example="Precision",
                   accepts=lambda obj: isinstance(obj, type) and issubclass(obj, Metric) or callable(obj))
for _cls in _PAIR_METRICS:
    METRICS.add(_cls, snake_case(_cls.__name__), aliases=_SHORT.get(_cls, ()))
for _cls in _PAIR_METRICS + (Mean, Sum, MeanMetricWrapper):
    METRICS.alias(_cls.__name__, _cls)
del _cls


def _shape(x):
    return as_array(x).shape


def _accuracy_for(y_true, y_pred):
    """Keras's choice for 'accuracy': binary when y_pred has one column; sparse when y_true
    has a lower rank than y_pred, or one column against several; categorical otherwise."""
    t, p = _shape(y_true), _shape(y_pred)
    t_last, p_last = (t[-1] if t else None), (p[-1] if p else None)
    if p_last == 1:
        return BinaryAccuracy
    if len(t) < len(p) or t_last == 1 and p_last is not None and p_last > 1:
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def serialize(metric):
    """``{"class_name": ..., "config": ...}``; ``deserialize`` (or ``get``) rebuilds an empty copy."""
    if not isinstance(metric, Metric):
        raise ValueError(f"serialize expects a Metric instance, got {metric!r}")
    name = custom.name_of(type(metric)) or type(metric).__name__
    return {"class_name": name, "config": metric.get_config()}


def deserialize(config):
    """Build a metric from ``serialize``'s dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("a metric config must be a dict with 'class_name' and 'config' keys, "
                         f"got {config!r}")
    cls = METRICS.lookup(config["class_name"])
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise ValueError(f"a metric config must name a Metric class, got {config['class_name']!r}")
    return cls.from_config(config.get("config", {}))


def get(identifier, y_true=None, y_pred=None):
    """Resolve ``identifier`` to a new (or the given) metric, as Keras's ``compile`` does.

    * ``'accuracy'`` / ``'acc'`` (any case): with ``y_true`` and ``y_pred`` (arrays or just
      anything with their shapes) ``BinaryAccuracy`` when ``y_pred``'s last axis is 1,
      ``SparseCategoricalAccuracy`` when ``y_true`` has a lower rank or a last axis of 1
      against several, else ``CategoricalAccuracy``; without them ``Accuracy`` (exact
      equality, as ``keras.metrics.get``).  The metric is named as written (``'acc'`` logs
      as ``'acc'``);
    * another name: a class name (``'Precision'``), its snake_case (``'precision'``,
      ``'mean_squared_error'``, ``'auc'``, ``'f1_score'``, ``'sparse_top_k_categorical_accuracy'``)
      or an alias (``'mse'``, ``'mae'``, ``'mape'``, ``'rmse'``, also upper-case): a new metric
      with default arguments, named as written (Keras 3 logs ``metrics=['mse']`` as ``'mse'``);
    * a ``Metric`` instance: returned as is; a ``Metric`` class: instantiated;
    * a config dict ``{"class_name": ..., "config": ...}`` (``serialize``'s output);
    * a scikit-learn-style function of this module: ``mean_squared_error``,
      ``mean_absolute_error``, ``root_mean_squared_error``, ``mean_absolute_percentage_error``
      give the matching running metric (``MeanSquaredError``, ...; MAPE in percent, as Keras),
      ``accuracy_score`` (or ``'accuracy_score'``) the accuracy chosen as for ``'accuracy'``, all
      named after the function; the other whole-array functions (``f1_score``,
      ``roc_auc_score``, ``r2_score``, ...) raise a ValueError naming the metric class to use;
    * any other callable ``fn(y_true, y_pred)`` returning per-sample values: wrapped in a
      ``MeanMetricWrapper`` named ``fn.__name__``.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc") or identifier == accuracy_score.__name__:
            if y_true is None or y_pred is None:
                return Accuracy(name=identifier)
            return _accuracy_for(y_true, y_pred)(name=identifier)
        cls = METRICS.find(identifier)
        if cls in (Mean, Sum, MeanMetricWrapper):      # they take plain values, not (y_true, y_pred)
            cls = None
        if cls is not None and cls not in _PAIR_METRICS:   # one of your registered metrics or functions
            return get(cls, y_true, y_pred)
        if cls is None:
            raise METRICS.unknown(identifier)
        metric = cls()
        metric.name = identifier
        return metric
    if callable(identifier):
        for fn, cls in _SCORE_METRICS.items():
            if identifier is fn:
                return get(fn.__name__, y_true, y_pred) if cls == "accuracy" else cls(name=fn.__name__)
        for fn, cls in _WHOLE_ARRAY.items():
            if identifier is fn:
                instead = f"; use scratchnn.metrics.{cls} in compile()" if cls else ""
                raise ValueError(f"{fn.__name__} computes one number from a whole data set: the mean of its "
                                 f"batch values is not the epoch's value{instead}, or call {fn.__name__} "
                                 "on model.predict(x) after training")
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"could not interpret metric identifier {identifier!r}: expected a name (such as "
                     "'accuracy' or 'mse'), a Metric instance or class, a config dict, or a function "
                     "fn(y_true, y_pred)")


__all__ = ["METRICS", "Metric", "Mean", "Sum", "MeanMetricWrapper",
           "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "RootMeanSquaredError",
           "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall",
           "AUC", "F1Score", "FBetaScore", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge",
           "CategoricalHinge", "LogCoshError", "MeanSquaredLogarithmicError", "CosineSimilarity",
           "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
           "accuracy_score", "precision_score", "recall_score", "f1_score", "fbeta_score",
           "precision_recall_fscore_support", "confusion_matrix", "classification_report",
           "precision_recall_f1",
           "roc_curve", "roc_auc_score", "precision_recall_curve", "average_precision_score",
           "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
           "mean_absolute_percentage_error", "r2_score", "UndefinedMetricWarning",
           "get", "serialize", "deserialize"]
