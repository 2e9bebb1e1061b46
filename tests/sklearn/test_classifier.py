"""NeuralNetClassifier (``scratchnn/sklearn/classifier.py``): accuracy in a Pipeline against
MLPClassifier, predict_proba, logits, string labels, one-hot loss and class weights.
"""
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from scipy.special import expit, softmax  # noqa: E402  (scipy comes with scikit-learn)
from sklearn.base import clone  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.class_weight import compute_sample_weight  # noqa: E402

from scratchnn import layers  # noqa: E402
from scratchnn.sklearn import NeuralNetClassifier  # noqa: E402

from tests.sklearn.helpers import scaled  # noqa: E402


# ---------------------------------------------------------------- accuracy in a Pipeline
def test_pipeline_on_breast_cancer_matches_mlpclassifier(cancer):
    x_train, x_test, y_train, y_test = cancer
    ours, theirs = [], []
    for seed in range(3):
        pipe = Pipeline([("scale", StandardScaler()),
                         ("net", NeuralNetClassifier(hidden_layer_sizes=(32,), learning_rate=0.01, epochs=10,
                                                     random_state=seed))])
        ours.append(pipe.fit(x_train, y_train).score(x_test, y_test))
        mlp = make_pipeline(StandardScaler(), MLPClassifier((32,), learning_rate_init=0.01, max_iter=10,
                                                            random_state=seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                   # MLPClassifier: "not converged"
            theirs.append(mlp.fit(x_train, y_train).score(x_test, y_test))
    # measured: ours 0.965 0.951 0.965, MLPClassifier (same net, 10 epochs) 0.937 0.937 0.951
    assert min(ours) >= 0.94 and ours[0] >= 0.95
    assert np.mean(ours) >= np.mean(theirs) - 0.02
    assert pipe.predict(x_test).dtype == y_test.dtype


# ---------------------------------------------------------------- predictions
def test_predict_proba_is_the_networks_forward_pass(cancer, iris):
    """predict_proba recomputed by hand from the fitted weights; rows sum to 1; argmax = predict."""
    x_train, x_test, y_train, _ = cancer
    scaler = StandardScaler().fit(x_train)
    cases = ((scaler.transform(x_train), y_train, scaler.transform(x_test)),
             (scaled(iris[0]), iris[1], scaled(iris[0])))
    for x, y, x_new in cases:
        clf = NeuralNetClassifier(hidden_layer_sizes=(5,), epochs=3, random_state=1).fit(x, y)
        proba = clf.predict_proba(x_new)
        W1, b1, W2, b2 = (w.data.astype(np.float64) for w in clf.model_.weights)
        z = np.maximum(x_new @ W1 + b1, 0) @ W2 + b2
        expected = softmax(z, axis=1) if z.shape[1] > 1 else np.column_stack([1 - expit(z[:, 0]),
                                                                              expit(z[:, 0])])
        np.testing.assert_allclose(proba, expected, atol=1e-5)
        assert proba.shape == (len(x_new), len(clf.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
        np.testing.assert_array_equal(clf.predict(x_new), clf.classes_[proba.argmax(axis=1)])


def test_a_network_that_outputs_logits(iris):
    """No softmax/sigmoid at the end: trained with from_logits=True, probabilities are softmax(z)."""
    x, y = scaled(iris[0]), iris[1]
    for n_classes, yy in ((3, y), (1, (y == 2).astype(int))):
        clf = NeuralNetClassifier([layers.Dense(8, activation="relu"), layers.Dense(n_classes)],
                                  learning_rate=0.01, epochs=20, random_state=0).fit(x, yy)
        assert clf.model_.loss.kwargs["from_logits"] is True
        z = clf.model_.predict(x, verbose=0).astype(np.float64)
        expected = softmax(z, axis=1) if n_classes > 1 else np.column_stack([expit(-z[:, 0]),
                                                                            expit(z[:, 0])])
        np.testing.assert_allclose(clf.predict_proba(x), expected, atol=1e-5)
        assert clf.score(x, yy) > 0.8


def test_string_labels_round_trip(iris):
    x, y = scaled(iris[0]), iris[1]
    names = np.array(["virginica", "setosa", "versicolor"])[y]      # not in sorted order
    clf = NeuralNetClassifier(hidden_layer_sizes=(16,), learning_rate=0.01, epochs=20, random_state=0)
    clf.fit(x, names)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"] and clf.n_classes_ == 3
    pred = clf.predict(x)
    assert set(pred) <= set(clf.classes_) and pred.dtype.kind == "U"
    assert clf.score(x, names) == np.mean(pred == names) > 0.85
    # the probability columns follow classes_: column k is P(classes_[k])
    proba = clf.predict_proba(x)
    assert np.mean(clf.classes_[proba.argmax(1)] == names) == clf.score(x, names)


def test_one_hot_loss_and_class_weight(iris):
    x, y = scaled(iris[0]), iris[1]
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), loss="categorical_crossentropy", metrics=["accuracy"],
                              learning_rate=0.01, epochs=10, random_state=0).fit(x, y)
    assert clf.model_.layers[-1].units == 3 and "accuracy" in clf.history_
    assert clf.score(x, y) > 0.8
    # class_weight trains exactly as the per-sample weights scikit-learn computes for it
    keep = np.r_[0:50, 50:70, 100:110]                         # imbalanced: 50, 20, 10
    xs, ys = x[keep], np.array(["a", "b", "c"])[y[keep]]
    base = NeuralNetClassifier(hidden_layer_sizes=(8,), epochs=3, random_state=0)
    for class_weight in ("balanced", {"b": 3.0, "c": 0.5}):
        weighted = clone(base).set_params(class_weight=class_weight).fit(xs, ys)
        reference = clone(base).fit(xs, ys, sample_weight=compute_sample_weight(class_weight, ys))
        np.testing.assert_array_equal(weighted.predict_proba(xs), reference.predict_proba(xs))
        assert weighted.history_ == reference.history_
    assert not np.array_equal(weighted.predict_proba(xs), clone(base).fit(xs, ys).predict_proba(xs))
    with pytest.raises(ValueError, match="label 7"):
        clone(clf).set_params(class_weight={7: 2.0}).fit(x, y)
