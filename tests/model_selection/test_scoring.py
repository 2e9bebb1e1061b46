"""Scorers (``scratchnn/model_selection/scoring.py``): the default follows the loss, multi-class
scorers match scikit-learn, two-class scorers refuse more classes.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import model_selection as ms
from scratchnn.preprocessing import KFold, StratifiedKFold

from tests.model_selection.helpers import CALLS, X_DIA, X_IRIS, Y_DIA, Y_IRIS, build_iris, build_regressor

skm = pytest.importorskip("sklearn.metrics")


def test_default_scorer_follows_the_loss_and_int_cv_follows_the_targets():
    reg = ms.cross_validate(build_regressor, X_DIA, Y_DIA, cv=3, fit_kwargs={"epochs": 2}, random_state=1,
                            verbose=0, return_estimator=True)
    assert reg.scorer_names == {"score": "r2"}
    for (_, test), model, score in zip(KFold(3).split(X_DIA), reg["estimator"], reg["test_score"]):
        assert score == pytest.approx(skm.r2_score(Y_DIA[test], model.predict(X_DIA[test], verbose=0)[:, 0]),
                                      rel=1e-5)
    mse = ms.cross_validate(build_regressor, X_DIA, Y_DIA, cv=3, scoring="neg_mean_squared_error",
                            fit_kwargs={"epochs": 2}, random_state=1, verbose=0, return_estimator=True)
    for (_, test), model, score in zip(KFold(3).split(X_DIA), mse["estimator"], mse["test_score"]):
        expected = -skm.mean_squared_error(Y_DIA[test], model.predict(X_DIA[test], verbose=0)[:, 0])
        assert score == pytest.approx(expected, rel=1e-6)
    clf = ms.cross_validate(build_iris, X_IRIS, Y_IRIS, cv=3, fit_kwargs={"epochs": 1}, random_state=1,
                            verbose=0, return_estimator=True)
    assert clf.scorer_names == {"score": "accuracy"}
    for (_, test), model, score in zip(StratifiedKFold(3).split(X_IRIS, Y_IRIS), clf["estimator"],
                                           clf["test_score"]):
        # iris is sorted by class: unstratified folds would test on classes never trained on
        assert np.bincount(Y_IRIS[test], minlength=3).min() >= 16
        assert score == pytest.approx(skm.accuracy_score(Y_IRIS[test], model.predict(X_IRIS[test], verbose=0)
                                                         .argmax(axis=1)), abs=1e-12)
    assert isinstance(ms.check_cv(4, Y_IRIS, classifier=True), StratifiedKFold)
    assert type(ms.check_cv(4, Y_DIA, classifier=False)) is KFold


def test_multiclass_scorers_match_sklearn():
    result = ms.cross_validate(build_iris, X_IRIS, Y_IRIS, cv=3, scoring=["f1_macro", "roc_auc_ovr",
                                                                         "precision_weighted", "neg_loss"],
                               fit_kwargs={"epochs": 3}, random_state=3, verbose=0, return_estimator=True)
    folds = StratifiedKFold(3).split(X_IRIS, Y_IRIS)
    for k, ((_, test), model) in enumerate(zip(folds, result["estimator"])):
        p = model.predict(X_IRIS[test], verbose=0).astype(np.float64)
        assert result["test_f1_macro"][k] == pytest.approx(
            skm.f1_score(Y_IRIS[test], p.argmax(1), average="macro", zero_division=0), abs=1e-12)
        assert result["test_precision_weighted"][k] == pytest.approx(
            skm.precision_score(Y_IRIS[test], p.argmax(1), average="weighted", zero_division=0), abs=1e-12)
        assert result["test_roc_auc_ovr"][k] == pytest.approx(
            skm.roc_auc_score(Y_IRIS[test], p / p.sum(1, keepdims=True), multi_class="ovr"), abs=1e-6)
        loss = model.evaluate(X_IRIS[test], Y_IRIS[test], verbose=0, batch_size=256, return_dict=True)["loss"]
        assert result["test_neg_loss"][k] == pytest.approx(-loss, rel=1e-6)


def test_two_class_scorers_on_more_classes_fail_before_any_build():
    # 'f1' and 'roc_auc' used to fail only after the first fit, asking for an average= they cannot take
    with pytest.raises(ValueError, match="the scorer 'f1' scores two classes.*y holds 3 classes: use "
                                         "'f1_macro', 'f1_weighted' or 'f1_micro'"):
        ms.cross_validate(build_iris, X_IRIS, Y_IRIS, cv=2, scoring=["accuracy", "f1"], verbose=0)
    with pytest.raises(ValueError, match="the scorer 'roc_auc' scores two classes.*use 'roc_auc_ovr'"):
        ms.GridSearch(build_iris, {"units": [2, 3]}, cv=2, scoring="roc_auc", verbose=0).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="the scorer 'recall_score' scores two classes"):
        ms.cross_validate(build_iris, X_IRIS, np.eye(3, dtype=np.float32)[Y_IRIS], cv=2, verbose=0,
                          scoring=ms.make_scorer(snn.metrics.recall_score))
    assert CALLS == []
