"""The estimators' errors (``scratchnn/sklearn/validation.py``) are clear and change nothing."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from scratchnn import layers  # noqa: E402
from scratchnn.sklearn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402

from tests.sklearn.helpers import build_mlp, scaled  # noqa: E402


# ---------------------------------------------------------------- errors
def test_errors_are_clear_and_change_nothing(cancer, iris):
    x_train, x_test, y_train, _ = cancer
    x, y = scaled(iris[0]), iris[1]
    with pytest.raises(NotFittedError):
        NeuralNetClassifier().predict(x)
    with pytest.raises(NotFittedError):
        NeuralNetRegressor().predict(x)

    clf = NeuralNetClassifier(hidden_layer_sizes=(4,), epochs=1, random_state=0).fit(x, y)
    with pytest.raises(ValueError, match="X has 3 features, but NeuralNetClassifier is expecting 4"):
        clf.predict(x[:, :3])

    model, proba = clf.model_, clf.predict_proba(x)
    bad = {
        "model=5": ({"model": 5}, TypeError, "model must be None, a function .* got int: 5"),
        "a Model instance": ({"model": build_mlp(4, 3, 4)}, TypeError, "got a Sequential instance"),
        "empty list": ({"model": []}, ValueError, "empty list"),
        "list of junk": ({"model": [layers.Dense(3), "relu"]}, TypeError,
                         r"model\[1\] must be a scratchnn Layer"),
        "not a model": ({"model": lambda: "net"}, TypeError, "must return a scratchnn Model .*, got str"),
        "unknown routed": ({"model": build_mlp, "model__width": 3}, ValueError,
                           "model__width was given, but .*build_mlp\\(\\) has no argument 'width'"),
        "routed for MLP": ({"model": None, "model__units": 3}, ValueError, "use hidden_layer_sizes"),
        # hidden_layer_sizes / activation with another network: silently ignored before (a search over them
        # trained one network again and again)
        "MLP args, function": ({"model": build_mlp, "hidden_layer_sizes": (8,)}, ValueError,
                               r"hidden_layer_sizes=\(8,\) shape only the built-in network \(model=None\), "
                               "but model is a model-building function"),
        "MLP args, layers": ({"model": [layers.Dense(3, activation="softmax")], "activation": "tanh"},
                             ValueError, "activation='tanh' shape only the built-in network"),
        "wrong outputs": ({"model": [layers.Dense(2, activation="softmax")]}, ValueError,
                          "outputs 2 value.* y has 3 classes"),
        "hidden sizes": ({"model": None, "hidden_layer_sizes": (4, 0)}, ValueError,
                         "hidden_layer_sizes must be a positive integer"),
        "optimizer": ({"model": None, "optimizer": 3}, TypeError, "optimizer must be a name"),
        "random_state": ({"random_state": "seed"}, ValueError, "random_state must be None"),
        "epochs": ({"epochs": -1}, ValueError, "epochs must be a non-negative integer"),
    }
    for what, (params, error, message) in bad.items():
        attempt = clone(clf).set_params(**{"hidden_layer_sizes": (100,), **params})
        with pytest.raises(error, match=message):
            attempt.fit(x, y)
        assert not hasattr(attempt, "model_"), what
    # a fitted estimator that fails to refit is left as it was
    clf.set_params(model=5)
    with pytest.raises(TypeError):
        clf.fit(x, y)
    assert clf.model_ is model and clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.predict_proba(x), proba)
    with pytest.raises(ValueError, match="only one class"):
        NeuralNetClassifier(epochs=1).fit(x, np.zeros(len(x)))
    with pytest.raises(ValueError, match="Unknown label type"):
        NeuralNetClassifier(epochs=1).fit(x, np.linspace(0, 1, len(x)))   # a regression target
    with pytest.raises(ValueError, match="y should be a 1d array"):
        NeuralNetClassifier(epochs=1).fit(x, np.eye(3)[y])                 # one-hot: give labels
    with pytest.raises(ValueError, match="requires y to be passed"):
        NeuralNetRegressor(epochs=1).fit(x, None)
