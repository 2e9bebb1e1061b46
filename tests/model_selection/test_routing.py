"""Routing hyper-parameters (``scratchnn/model_selection/routing.py``): learning rate, optimizer
and batch size reach their places; an unknown name lists the accepted ones before any build.
"""
import math

import pytest

from scratchnn import model_selection as ms
from scratchnn.preprocessing import StratifiedKFold

from tests.model_selection.helpers import (
    CALLS,
    X_BC,
    Y_BC,
    build_binary,
    lr_scorer,
    sgd_momentum_scorer,
    steps_scorer,
)


def test_learning_rate_optimizer_and_batch_size_reach_their_places():
    grid = [{"learning_rate": [0.5, 0.05], "batch_size": [10, 100]},
            {"optimizer": ["sgd"], "optimizer__momentum": [0.9], "lr": [0.25], "fit__batch_size": [7]}]
    search = ms.GridSearch(build_binary, grid, cv=2, random_state=0, verbose=0, refit=False,
                           scoring={"lr": lr_scorer, "steps": steps_scorer, "momentum": sgd_momentum_scorer})
    search.fit(X_BC, Y_BC, epochs=1, batch_size=50)
    n_train = [len(t) for t, _ in StratifiedKFold(2).split(X_BC, Y_BC)]
    for row in search.results_:
        p = row["params"]
        assert row["test_lr"] == pytest.approx([p.get("learning_rate", p.get("lr"))] * 2)
        batch = p.get("batch_size", p.get("fit__batch_size"))
        assert row["test_steps"] == [math.ceil(n / batch) for n in n_train]
        assert row["test_momentum"] == ([0.9, 0.9] if "optimizer" in p else [-1.0, -1.0])
    # fit_kwargs apply when the candidate does not set the argument
    plain = ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, scoring=steps_scorer, verbose=0,
                              fit_kwargs={"epochs": 1, "batch_size": 50})
    assert plain["test_score"].tolist() == [math.ceil(n / 50) for n in n_train]


def test_an_unknown_hyper_parameter_lists_the_accepted_names_before_any_build():
    with pytest.raises(ValueError) as info:
        ms.GridSearch(build_binary, {"units": [4], "unitz": [3]})
    text = str(info.value)
    assert "'unitz'" in text and "build_fn build_binary() takes units, activation, depth" in text
    for name in ("batch_size", "epochs", "'learning_rate' (or 'lr')", "optimizer__", "momentum"):
        assert name in text
    with pytest.raises(ValueError, match="build_fn build_binary\\(\\) has no argument 'width'"):
        ms.cross_validate(build_binary, X_BC, Y_BC, params={"model__width": 3})
    with pytest.raises(ValueError, match="no optimizer takes an argument 'betta'"):
        ms.RandomSearch(build_binary, {"optimizer__betta": [0.9]})
    with pytest.raises(ValueError, match="the optimizer 'adam' takes no argument 'momentum'"):
        ms.GridSearch(build_binary, {"optimizer": ["adam"], "optimizer__momentum": [0.9]})
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        ms.GridSearch(build_binary, {"optimizer": ["adamm"]})
    with pytest.raises(ValueError, match="given twice"):
        ms.GridSearch(build_binary, {"lr": [0.1], "learning_rate": [0.1]})
    with pytest.raises(ValueError, match="invalid optimizer hyper-parameters {'learning_rate': -1}"):
        ms.GridSearch(build_binary, {"lr": [0.1, -1]})
    with pytest.raises(ValueError, match="'momentum': 2.*must be a finite number in \\[0, 1\\]"):
        ms.GridSearch(build_binary, {"optimizer": ["sgd"], "optimizer__momentum": [0.5, 2]})
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        ms.GridSearch(build_binary, {"batch_size": [16, 0]})
    with pytest.raises(ValueError, match="epochs must be an integer >= 0, got 2.5"):
        ms.cross_validate(build_binary, X_BC, Y_BC, fit_kwargs={"epochs": 2.5})
    with pytest.raises(ValueError, match="fit argument 'verbose' cannot be set here"):
        ms.GridSearch(build_binary, {"units": [2]}, verbose=0).fit(X_BC, Y_BC, verbose=1)
    assert CALLS == []
