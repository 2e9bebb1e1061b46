"""Metrics as functions of whole arrays (one number per data set), with scikit-learn's names,
arguments, defaults and numbers.

    from scratchnn.metrics import accuracy_score, f1_score, roc_auc_score, r2_score
    accuracy_score(y_test, model.predict(x_test))            # probability rows are argmax-ed
    f1_score(y_test, y_pred, average="macro")
    roc_auc_score(y_test, probabilities, multi_class="ovr")
    r2_score(y_test, model.predict(x_test))

These answer "how good is the model on this data set?" after training.  The metric classes
(``Precision``, ``AUC``, ``MeanSquaredError``, ...) answer the same question *during* training,
by accumulating counts batch after batch; a function of whole arrays averaged over batches would
not give the epoch's value (the F1 of an epoch is not the mean of the batches' F1).

The functions, by concept (each module states its formulas):

* ``classification.py``: ``accuracy_score``, ``precision_recall_fscore_support``,
  ``precision_score``, ``recall_score``, ``fbeta_score``, ``f1_score`` (averaging over classes);
* ``ranking.py``: ``roc_curve``, ``precision_recall_curve``, ``roc_auc_score``,
  ``average_precision_score`` (a score per sample, swept over thresholds);
* ``regression.py``: ``mean_absolute_error``, ``mean_squared_error``, ``root_mean_squared_error``,
  ``mean_absolute_percentage_error``, ``r2_score``;
* ``targets.py``: what they share: class ids from one-hot or probability rows, sample weights,
  ``UndefinedMetricWarning``.

Everything is computed in float64 and returned as Python floats (per-class or per-output results as
float64 arrays).  Arguments after ``y_true`` and ``y_pred`` are keyword-only, as in scikit-learn.
"""
from .classification import (accuracy_score, f1_score, fbeta_score, precision_recall_fscore_support,
                             precision_score, recall_score)
from .ranking import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve
from .regression import (mean_absolute_error, mean_absolute_percentage_error, mean_squared_error, r2_score,
                         root_mean_squared_error)
from .targets import UndefinedMetricWarning

__all__ = ["UndefinedMetricWarning", "accuracy_score", "precision_recall_fscore_support", "precision_score",
           "recall_score", "fbeta_score", "f1_score", "roc_curve", "precision_recall_curve", "roc_auc_score",
           "average_precision_score", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
           "mean_absolute_percentage_error", "r2_score"]
