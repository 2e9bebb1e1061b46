"""``cross_validate`` (``scratchnn/model_selection/cross_validation.py``): equal to the folds
done by hand and scored by scikit-learn; each fold trains a fresh model.
"""
import itertools
import math

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import model_selection as ms
from scratchnn.model_selection.seeds import derive_seed
from scratchnn.preprocessing import MinMaxScaler, StandardScaler, StratifiedKFold

from tests.model_selection.helpers import (
    CALLS,
    SEEN,
    X_BC,
    Y_BC,
    _weights,
    build_binary,
    epochs_scorer,
    recording_scorer,
    steps_scorer,
)

skm = pytest.importorskip("sklearn.metrics")


# ------------------------------------------------------------------ cross_validate
def test_cross_validate_equals_the_folds_done_by_hand_and_scored_by_sklearn():
    cv = StratifiedKFold(3)
    result = ms.cross_validate(build_binary, X_BC, Y_BC, cv=cv, scoring=["accuracy", "roc_auc", "f1"],
                               fit_kwargs={"epochs": 2, "batch_size": 32}, random_state=7, verbose=0,
                               return_estimator=True)
    assert len(CALLS) == 3                                          # one fresh model per fold
    folds = list(cv.split(X_BC, Y_BC))
    for k, ((train, test), model) in enumerate(zip(folds, result["estimator"])):
        p = model.predict(X_BC[test], verbose=0)[:, 0]
        assert result["test_accuracy"][k] == pytest.approx(skm.accuracy_score(Y_BC[test], p > 0.5), abs=1e-12)
        assert result["test_roc_auc"][k] == pytest.approx(skm.roc_auc_score(Y_BC[test], p), abs=1e-12)
        assert result["test_f1"][k] == pytest.approx(skm.f1_score(Y_BC[test], p > 0.5), abs=1e-12)
        # the same fold trained by hand, with the fold's seed, gives the very same weights
        snn.utils.set_random_seed(derive_seed(7, 0, k))
        by_hand = build_binary()
        history = by_hand.fit(X_BC[train], Y_BC[train], epochs=2, batch_size=32, verbose=0)
        for a, b in zip(_weights(by_hand), _weights(model)):
            np.testing.assert_array_equal(a, b)
        assert result["history"][k]["loss"] == [float(v) for v in history.history["loss"]]
        assert len(result["history"][k]["accuracy"]) == 2
    assert result.mean("test_accuracy") == pytest.approx(np.mean(result["test_accuracy"]))
    assert result.std("test_roc_auc") == pytest.approx(np.std(result["test_roc_auc"]))
    assert result["fit_time"].shape == (3,) and np.all(result["fit_time"] > 0)
    assert "accuracy (test): " in result.summary() and "(3 folds" in result.summary()


def test_each_fold_trains_a_fresh_model_that_shares_nothing():
    result = ms.cross_validate(build_binary, X_BC, Y_BC, cv=3, fit_kwargs={"epochs": 1}, random_state=0,
                               verbose=0, return_estimator=True)
    models = result["estimator"]
    assert len({id(m) for m in models}) == 3 and len({id(m.optimizer) for m in models}) == 3
    for a, b in itertools.combinations(models, 2):
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            assert not np.shares_memory(wa, wb)
        assert not np.array_equal(a.get_weights()[0], b.get_weights()[0])
    assert [m.optimizer.iterations for m in models] == [math.ceil(len(t) / 32) for t, _ in
                                                       StratifiedKFold(3).split(X_BC, Y_BC)]


# ------------------------------------------------------------------ Keras-style fit arguments
def test_cross_val_score_passes_keras_style_fit_arguments_to_fit():
    epochs = ms.cross_val_score(build_binary, X_BC, Y_BC, cv=2, scoring=epochs_scorer, epochs=3, verbose=0,
                                random_state=0)
    assert list(epochs) == [3, 3]
    steps = ms.cross_val_score(build_binary, X_BC, Y_BC, cv=2, scoring=steps_scorer, epochs=1, batch_size=50,
                               verbose=0, random_state=0)
    assert list(steps) == [math.ceil(len(train) / 50) for train, _ in StratifiedKFold(2).split(X_BC, Y_BC)]
    # the same fits as with fit_kwargs=
    as_keywords = ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, epochs=2, batch_size=16, verbose=0,
                                    random_state=5)
    as_dict = ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, fit_kwargs={"epochs": 2, "batch_size": 16},
                                verbose=0, random_state=5)
    np.testing.assert_array_equal(as_keywords["test_score"], as_dict["test_score"])
    assert as_keywords["history"] == as_dict["history"]


def test_unknown_or_repeated_fit_arguments_are_refused_before_any_fit():
    with pytest.raises(TypeError, match=r"cross_val_score\(\) got an unexpected keyword argument 'epoch' "
                                        r"\(did you mean 'epochs'\?\).*go to model.fit.*batch_size, epochs"):
        ms.cross_val_score(build_binary, X_BC, Y_BC, epoch=5)
    with pytest.raises(TypeError, match=r"'scorring' \(did you mean 'scoring'\?\)"):
        ms.cross_validate(build_binary, X_BC, Y_BC, scorring="f1")
    with pytest.raises(TypeError, match="'validation_data': each fold's held-out part is its validation"):
        ms.cross_val_score(build_binary, X_BC, Y_BC, validation_data=(X_BC, Y_BC))
    with pytest.raises(ValueError, match="'epochs' is given twice"):
        ms.cross_validate(build_binary, X_BC, Y_BC, fit_kwargs={"epochs": 2}, epochs=3)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0, got 2.5"):
        ms.cross_val_score(build_binary, X_BC, Y_BC, epochs=2.5)
    assert CALLS == []


# ------------------------------------------------------------------ preprocess: no leakage
def test_preprocess_is_fitted_on_each_training_fold_only():
    # Columns whose scale drifts along the rows, so that each fold's statistics differ from all rows'.
    x = (X_BC * np.linspace(1.0, 3.0, len(X_BC))[:, None] + np.linspace(0.0, 4.0, len(X_BC))[:, None])
    x = x.astype(np.float32)
    folds = list(StratifiedKFold(3).split(x, Y_BC))
    result = ms.cross_validate(build_binary, x, Y_BC, cv=folds, scoring=recording_scorer, epochs=1,
                               preprocess=StandardScaler(), random_state=2, verbose=0, return_estimator=True)
    assert len(result["preprocess"]) == len(SEEN) == 3
    for k, ((train, test), scaler, seen) in enumerate(zip(folds, result["preprocess"], SEEN)):
        # the scaler's statistics are those of the fold's training rows ...
        np.testing.assert_allclose(scaler.mean_, x[train].astype(np.float64).mean(axis=0), rtol=1e-6)
        np.testing.assert_allclose(scaler.scale_, x[train].astype(np.float64).std(axis=0), rtol=1e-6)
        assert np.abs(scaler.mean_ - x.astype(np.float64).mean(axis=0)).max() > 0.05   # not all rows'
        # ... the held-out rows are scored scaled with them ...
        expected = (x[test] - x[train].mean(axis=0)) / x[train].std(axis=0)
        np.testing.assert_allclose(seen, expected, rtol=1e-4, atol=1e-5)
        # ... and the model trained on the training rows scaled with them (the same weights by hand).
        snn.utils.set_random_seed(derive_seed(2, 0, k))
        by_hand = build_binary()
        by_hand.fit(scaler.transform(x[train]), Y_BC[train], epochs=1, verbose=0)
        for a, b in zip(_weights(by_hand), _weights(result["estimator"][k])):
            np.testing.assert_array_equal(a, b)


def test_preprocess_is_never_fitted_itself_and_must_be_a_transformer():
    scaler = MinMaxScaler()
    ms.cross_val_score(build_binary, X_BC, Y_BC, cv=2, epochs=1, preprocess=scaler, verbose=0)
    assert not hasattr(scaler, "data_min_")                      # each fit used its own copy
    CALLS.clear()
    with pytest.raises(TypeError, match=r"preprocess must be a transformer.*got a class: pass an instance, "
                                        r"StandardScaler\(\)"):
        ms.cross_val_score(build_binary, X_BC, Y_BC, preprocess=StandardScaler)
    with pytest.raises(TypeError, match=r"got str \(no fit method\)"):
        ms.cross_validate(build_binary, X_BC, Y_BC, preprocess="standard")
    assert CALLS == []
