"""Randomness of the estimators (``scratchnn/sklearn/randomness.py``): the same random_state gives
the same predictions and leaves the global generator alone; fresh weights at each fit.
"""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import scratchnn.random as snn_random  # noqa: E402
from scratchnn import layers  # noqa: E402
from scratchnn.sklearn import NeuralNetClassifier  # noqa: E402

from tests.sklearn.helpers import scaled  # noqa: E402


# ---------------------------------------------------------------- randomness
def test_same_random_state_same_predictions_and_global_generator_untouched(cancer):
    x_train, x_test, y_train, _ = cancer
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    before = snn_random.generator().bit_generator.state
    make = lambda seed: NeuralNetClassifier([layers.Dense(8, activation="relu"), layers.Dropout(0.2),  # noqa: E731
                                             layers.Dense(1, activation="sigmoid")],
                                            epochs=2, random_state=seed)
    a, b, c = make(3).fit(x_train, y_train), make(3).fit(x_train, y_train), make(4).fit(x_train, y_train)
    assert snn_random.generator().bit_generator.state == before      # a seeded fit draws from its own
    np.testing.assert_array_equal(a.predict_proba(x_test), b.predict_proba(x_test))
    assert a.history_ == b.history_
    assert not np.array_equal(a.predict_proba(x_test), c.predict_proba(x_test))
    # refitting the same estimator repeats itself too
    np.testing.assert_array_equal(a.fit(x_train, y_train).predict_proba(x_test), b.predict_proba(x_test))


def test_a_list_of_layers_is_rebuilt_with_fresh_weights_at_each_fit(iris):
    x, y = scaled(iris[0]), iris[1]
    hidden = layers.Dense(8, activation="relu")
    clf = NeuralNetClassifier([hidden, layers.Dense(3, activation="softmax")], epochs=1)
    first = clf.fit(x, y).model_
    w1 = first.layers[0].weights[0].data.copy()
    second = clf.fit(x, y).model_
    assert first is not second and first.layers[0] is not hidden and not hidden.built
    assert not np.array_equal(w1, second.layers[0].weights[0].data)
    # a clone holds its own copies of the layers
    assert clone(clf).model[0] is not hidden
