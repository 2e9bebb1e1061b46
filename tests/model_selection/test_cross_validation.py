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
from scratchnn.preprocessing import StratifiedKFold

from tests.model_selection.helpers import CALLS, X_BC, Y_BC, _weights, build_binary

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
