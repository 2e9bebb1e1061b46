"""Building a model for each fit (``scratchnn/model_selection/building.py``): a shared optimizer
is copied, the same model twice is refused, recompiling keeps loss and metrics, and an
optimizer argument the build function's optimizer lacks fails before training.
"""
import math

import pytest

from scratchnn import model_selection as ms
from scratchnn.preprocessing import StratifiedKFold

from tests.model_selection.helpers import (
    CALLS,
    SHARED_ADAM,
    X_BC,
    X_DIA,
    Y_BC,
    Y_DIA,
    build_binary,
    build_regressor,
    build_sharing_an_optimizer,
    sgd_momentum_scorer,
)


def test_an_optimizer_instance_shared_by_build_fn_is_copied_for_every_fit():
    # its step count and moments used to carry over from fold to fold (and differ with n_jobs)
    kw = dict(cv=3, fit_kwargs={"epochs": 1}, random_state=0, verbose=0, return_estimator=True)
    shared = ms.cross_validate(build_sharing_an_optimizer, X_BC, Y_BC, **kw)
    fresh = ms.cross_validate(build_sharing_an_optimizer, X_BC, Y_BC, params={"shared": False}, **kw)
    assert SHARED_ADAM.iterations == 0
    assert len({id(m.optimizer) for m in shared["estimator"]}) == 3
    assert [m.optimizer.iterations for m in shared["estimator"]] == [
        m.optimizer.iterations for m in fresh["estimator"]]
    assert shared["test_score"].tolist() == fresh["test_score"].tolist()
    assert all(m.optimizer.learning_rate == pytest.approx(0.01) for m in shared["estimator"])


def test_a_build_fn_returning_the_same_model_again_is_refused():
    # the second fold used to go on training the first fold's model (which had seen its test part)
    model = build_binary()
    with pytest.raises(ValueError, match="returned a model it had returned before, already trained by an "
                                         "earlier fit"):
        ms.cross_validate(lambda: model, X_BC, Y_BC, cv=2, fit_kwargs={"epochs": 1}, verbose=0)
    train0 = next(iter(StratifiedKFold(2).split(X_BC, Y_BC)))[0]
    assert model.optimizer.iterations == math.ceil(len(train0) / 32)        # trained once, by fold 0


def test_recompiling_for_the_optimizer_keeps_the_loss_and_metrics():
    result = ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, params={"optimizer": "rmsprop", "lr": 0.01},
                               fit_kwargs={"epochs": 1}, verbose=0, return_estimator=True)
    for model in result["estimator"]:
        assert type(model.optimizer).__name__ == "RMSprop"
        assert model.optimizer.learning_rate == pytest.approx(0.01)
        assert type(model.loss).__name__ == "BinaryCrossentropy"
        assert model.metrics_names == ["loss", "accuracy"]
    assert set(result["history"][0]) == {"loss", "accuracy"}


def test_an_optimizer_argument_the_build_fn_optimizer_lacks_fails_before_training():
    # build_binary compiles with Adam: 'momentum' used to raise a bare TypeError at the first fit
    with pytest.raises(ValueError, match="optimizer__momentum: build_fn build_binary\\(\\) compiles its "
                                         "model with Adam, which takes no argument 'momentum'; it takes "
                                         "amsgrad"):
        ms.GridSearch(build_binary, [{"units": [2]}, {"units": [3], "optimizer__momentum": [0.9]}], cv=2,
                      verbose=0).fit(X_BC, Y_BC, epochs=1)
    assert CALLS == [{"units": 3, "activation": "relu", "depth": 1}]       # one model built, none trained
    # build_regressor compiles with SGD, which takes it
    result = ms.cross_validate(build_regressor, X_DIA, Y_DIA, cv=2, params={"optimizer__momentum": 0.5},
                               scoring=sgd_momentum_scorer, fit_kwargs={"epochs": 1}, verbose=0)
    assert result["test_score"].tolist() == [0.5, 0.5]
