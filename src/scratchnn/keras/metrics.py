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
from ..metrics import (CategoricalHinge,  # noqa: F401
                       CosineSimilarity, Hinge, KLDivergence, LogCoshError, MeanSquaredLogarithmicError,
                       Poisson, SquaredHinge)
from ..metrics.hinge import categorical_hinge, hinge, squared_hinge  # noqa: F401
from ..metrics.probabilistic import (binary_crossentropy, categorical_crossentropy,  # noqa: F401
                                     kl_divergence, poisson, sparse_categorical_crossentropy)
from ..metrics.regression import (cosine_similarity, log_cosh, mean_absolute_error,  # noqa: F401
                                  mean_absolute_percentage_error, mean_squared_error,
                                  mean_squared_logarithmic_error, root_mean_squared_error)

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
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence",
           "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "LogCoshError",
           "MeanSquaredLogarithmicError", "CosineSimilarity", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "poisson",
           "hinge", "squared_hinge", "categorical_hinge", "log_cosh", "mean_squared_logarithmic_error",
           "cosine_similarity",
           "get", "serialize", "deserialize"]
