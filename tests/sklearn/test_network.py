"""The network the estimators build (``scratchnn/sklearn/network.py``): MLPClassifier's layout,
the optimizer argument's forms, a compiled model keeps its settings.
"""
import math
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from scratchnn import optimizers  # noqa: E402
from scratchnn.sklearn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

from tests.sklearn.helpers import build_mlp, scaled  # noqa: E402


def test_default_network_has_mlpclassifiers_layout(cancer, iris):
    """The built-in MLP has exactly MLPClassifier's weights: one sigmoid unit for 2 classes,
    a softmax over K > 2 classes, a linear output per target for regression."""
    x_train, _, y_train, _ = cancer
    for x, y in ((scaled(x_train), y_train), (scaled(iris[0]), iris[1])):
        ours = NeuralNetClassifier(hidden_layer_sizes=(7, 5), epochs=1, random_state=0).fit(x, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = MLPClassifier((7, 5), max_iter=1, random_state=0).fit(x, y)
        assert [tuple(w.shape) for w in ours.model_.weights] == \
            [s for c, b in zip(ref.coefs_, ref.intercepts_) for s in (c.shape, b.shape)]
        assert ours.model_.output_activation() == ref.out_activation_.replace("logistic", "sigmoid")
    x, y = scaled(iris[0]), np.column_stack([iris[1], -iris[1]]).astype(np.float32)
    reg = NeuralNetRegressor(hidden_layer_sizes=(6,), epochs=1, random_state=0).fit(x, y)
    assert [tuple(w.shape) for w in reg.model_.weights] == [(4, 6), (6,), (6, 2), (2,)]
    assert reg.model_.output_activation() == "linear" and reg.n_outputs_ == 2


def test_optimizer_argument_forms(iris):
    x, y = scaled(iris[0]), iris[1]
    mine = optimizers.SGD(learning_rate=0.05, momentum=0.9)
    clf = NeuralNetClassifier(hidden_layer_sizes=(4,), optimizer=mine, learning_rate=0.05, epochs=1)
    opt = clf.fit(x, y).model_.optimizer
    assert opt is not mine and isinstance(opt, optimizers.SGD) and opt.momentum == 0.9
    assert mine.iterations == 0                                  # the given instance never trains
    with pytest.warns(UserWarning, match="estimator's learning_rate=0.001"):
        clone(clf).set_params(learning_rate=0.001).fit(x, y)
    opt = clone(clf).set_params(optimizer="sgd", optimizer__momentum=0.5).fit(x, y).model_.optimizer
    assert isinstance(opt, optimizers.SGD) and opt.momentum == 0.5
    assert opt.learning_rate == pytest.approx(0.05)


def test_a_compiled_model_keeps_its_settings(iris):
    x, y = scaled(iris[0]), iris[1]

    def build():
        model = build_mlp(4, 3, 4)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.2), loss="sparse_categorical_crossentropy")
        return model

    clf = NeuralNetClassifier(build, epochs=1).fit(x, y)
    assert clf.model_.optimizer.learning_rate == pytest.approx(0.2)
    with pytest.warns(UserWarning, match="learning_rate of the estimator are not used"):
        NeuralNetClassifier(build, epochs=1, learning_rate=0.01).fit(x, y)

    # one optimizer instance kept by the function and given to every network: each fit trains a copy
    # (its step count and moments used to carry over, so the same random_state gave other predictions)
    shared = optimizers.Adam(learning_rate=0.05)

    def build_sharing():
        model = build_mlp(4, 3, 4)
        model.compile(optimizer=shared, loss="sparse_categorical_crossentropy")
        return model

    first = NeuralNetClassifier(build_sharing, epochs=2, random_state=0).fit(x, y)
    second = NeuralNetClassifier(build_sharing, epochs=2, random_state=0).fit(x, y)
    assert first.model_.optimizer is not second.model_.optimizer and shared.iterations == 0
    assert second.model_.optimizer.iterations == 2 * math.ceil(len(x) / 32)
    assert isinstance(second.model_.optimizer, optimizers.Adam)
    assert second.model_.optimizer.learning_rate == pytest.approx(0.05)
    np.testing.assert_array_equal(first.predict_proba(x), second.predict_proba(x))

    # a function returning one network made outside it: the second fit used to go on from the first's weights
    made_once = build_mlp(4, 3, 4)
    clf = NeuralNetClassifier(lambda: made_once, epochs=1).fit(x, y)
    trained = [w.copy() for w in made_once.get_weights()]
    with pytest.raises(ValueError, match="returned a network it had returned before"):
        clf.fit(x, y)
    assert clf.model_ is made_once and clf.n_iter_ == 1              # the failed fit changed nothing
    for a, b in zip(made_once.get_weights(), trained):
        np.testing.assert_array_equal(a, b)
