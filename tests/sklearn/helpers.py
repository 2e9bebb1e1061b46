"""Helpers of the scikit-learn wrapper tests (whose modules skip without scikit-learn)."""
import numpy as np
from sklearn.preprocessing import StandardScaler

from scratchnn import Sequential, layers


def scaled(x):
    return StandardScaler().fit_transform(x).astype(np.float32)


def build_mlp(units=8, n_classes=2, n_features_in=None):
    """A model-building function: one hidden layer of ``units``, a softmax over the classes."""
    return Sequential([layers.Input((n_features_in,)), layers.Dense(units, activation="relu"),
                       layers.Dense(n_classes, activation="softmax")])
