"""``keras.metrics``: the metric classes and per-sample functions of ``scratchnn.metrics``, laid out as
Keras lays them out.

As in Keras, ``mean_squared_error``, ``mean_absolute_error``, ``mean_absolute_percentage_error`` and
``root_mean_squared_error`` here are the per-sample functions (one value per sample, MAPE in percent)
that ``MeanSquaredError`` etc. average over an epoch.  ``scratchnn.metrics`` uses those names for
scikit-learn's whole-array functions (one number per data set), which Keras does not have.
"""
from ..metrics import (AUC, Accuracy, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy,  # noqa: F401
                       CategoricalCrossentropy, F1Score, SparseCategoricalCrossentropy,
                       FalseNegatives, FalsePositives, FBetaScore, Mean, MeanAbsoluteError,
                       MeanAbsolutePercentageError, MeanMetricWrapper, MeanSquaredError, Metric, Precision,
                       Recall, RootMeanSquaredError, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                       Sum, TopKCategoricalAccuracy, TrueNegatives, TruePositives, accuracy, binary_accuracy,
                       categorical_accuracy, deserialize, get, serialize, sparse_categorical_accuracy,
                       sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from ..metrics.regression import (mean_absolute_error, mean_absolute_percentage_error,  # noqa: F401
                                  mean_squared_error, root_mean_squared_error)

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper",
           "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "RootMeanSquaredError",
           "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall",
           "AUC", "F1Score", "FBetaScore",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error",
           "mean_absolute_error", "mean_absolute_percentage_error", "root_mean_squared_error",
           "get", "serialize", "deserialize"]
