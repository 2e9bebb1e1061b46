"""scratchnn.model_selection: cross-validation equals the folds done by hand and scored by
scikit-learn; a search covers its grid, routes each hyper-parameter to the model, the optimizer or
fit, ranks and refits correctly, gives the same results in parallel; bad input fails before any
model is built. Plus the figures (heat map, ROC and PR curves) checked against scikit-learn.

Tiny MLPs, one or two epochs: the point is the bookkeeping, not the accuracy.
"""
import csv
import itertools
import math
import os

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers, model_selection as ms
from scratchnn import random as snn_random
from scratchnn.datasets import load_breast_cancer, load_diabetes, load_iris
from scratchnn.model_selection.seeds import derive_seed
from scratchnn.preprocessing import KFold, StratifiedKFold

skm = pytest.importorskip("sklearn.metrics")
sk_selection = pytest.importorskip("sklearn.model_selection")


def _standardized(x):
    return ((x - x.mean(axis=0)) / x.std(axis=0)).astype(np.float32)


_BC = load_breast_cancer()
# Every second row: 285 samples (both classes), enough for 2-3 folds and fast.
X_BC, Y_BC = _standardized(_BC.x)[::2], _BC.y[::2]
_IRIS = load_iris()
X_IRIS, Y_IRIS = _standardized(_IRIS.x), _IRIS.y
_DIA = load_diabetes()
X_DIA = _standardized(_DIA.x)
Y_DIA = ((_DIA.y - _DIA.y.mean()) / _DIA.y.std()).astype(np.float32)

CALLS = []          # what the builders were called with (in this process)


# ------------------------------------------------------------------ builders (module level: picklable)
def build_binary(units=4, activation="relu", depth=1):
    """A small sigmoid classifier for the breast-cancer table (30 features)."""
    CALLS.append({"units": units, "activation": activation, "depth": depth})
    stack = [layers.Input((30,))]
    stack += [layers.Dense(units, activation=activation) for _ in range(depth)]
    stack.append(layers.Dense(1, activation="sigmoid"))
    model = snn.Sequential(stack)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_iris(units=4):
    CALLS.append({"units": units})
    model = snn.Sequential([layers.Input((4,)), layers.Dense(units, activation="relu"),
                            layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_regressor(units=4):
    CALLS.append({"units": units})
    model = snn.Sequential([layers.Input((10,)), layers.Dense(units, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


SHARED_ADAM = snn.optimizers.Adam(learning_rate=0.01)


def build_sharing_an_optimizer(units=4, shared=True):
    """Compiles every model with one optimizer kept between calls (``shared``), or with a new one."""
    model = snn.Sequential([layers.Input((30,)), layers.Dense(units, activation="relu"),
                            layers.Dense(1, activation="sigmoid")])
    optimizer = SHARED_ADAM if shared else snn.optimizers.Adam(learning_rate=0.01)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_failing(units=4):
    if units == 3:
        raise RuntimeError("three units are unlucky")
    return build_binary(units)


def lr_scorer(model, x, y):
    """A 'score' that reports what reached the optimizer: its learning rate."""
    return model.optimizer.learning_rate


def steps_scorer(model, x, y):
    """Steps per epoch of the last fit: ceil(n_train / batch_size)."""
    return model.history.params["steps"]


def epochs_scorer(model, x, y):
    return len(model.history.epoch)


def sgd_momentum_scorer(model, x, y):
    return getattr(model.optimizer, "momentum", -1.0) if type(model.optimizer).__name__ == "SGD" else -1.0


def constant_scorer(model, x, y):
    return 0.5


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()
    yield


def _weights(model):
    return [w.copy() for w in model.get_weights()]


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


def test_the_callers_random_state_is_restored():
    snn.utils.set_random_seed(123)
    before = snn_random.generator().bit_generator.state
    legacy = np.random.get_state()[1].copy()
    ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, fit_kwargs={"epochs": 1}, random_state=0, verbose=0)
    assert snn_random.generator().bit_generator.state == before
    np.testing.assert_array_equal(np.random.get_state()[1], legacy)


# ------------------------------------------------------------------ grid search
def test_grid_covers_every_combination_and_routes_model_and_fit_parameters():
    grid = {"units": [2, 3], "activation": ["relu", "tanh"], "epochs": [1, 2]}
    search = ms.GridSearch(build_binary, grid, cv=2, random_state=0, verbose=0,
                           scoring={"acc": "accuracy", "epochs": epochs_scorer}, refit="acc").fit(X_BC, Y_BC)
    tried = [r["params"] for r in search.results_]
    names = sorted(grid)
    assert tried == [dict(zip(names, combo)) for combo in itertools.product(*(grid[k] for k in names))]
    assert tried == list(sk_selection.ParameterGrid(grid))                    # scikit-learn's order
    # units and activation reached build_fn (2 folds + the refit), epochs reached fit
    assert len(CALLS) == 8 * 2 + 1
    assert sorted((c["units"], c["activation"]) for c in CALLS[:16]) == sorted(
        (p["units"], p["activation"]) for p in tried for _ in range(2))
    for row, histories in zip(search.results_, search.histories_):
        assert row["test_epochs"] == [row["params"]["epochs"]] * 2
        assert [len(h["loss"]) for h in histories] == [row["params"]["epochs"]] * 2


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


def test_recompiling_for_the_optimizer_keeps_the_loss_and_metrics():
    result = ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, params={"optimizer": "rmsprop", "lr": 0.01},
                               fit_kwargs={"epochs": 1}, verbose=0, return_estimator=True)
    for model in result["estimator"]:
        assert type(model.optimizer).__name__ == "RMSprop"
        assert model.optimizer.learning_rate == pytest.approx(0.01)
        assert type(model.loss).__name__ == "BinaryCrossentropy"
        assert model.metrics_names == ["loss", "accuracy"]
    assert set(result["history"][0]) == {"loss", "accuracy"}


def test_best_is_the_argmax_and_ties_share_the_best_rank():
    search = ms.GridSearch(build_binary, {"units": [1, 8], "learning_rate": [1e-4, 0.05]}, cv=2,
                           random_state=0, verbose=0).fit(X_BC, Y_BC, epochs=2)
    means = np.array([r["mean_test_score"] for r in search.results_])
    assert search.best_index_ == int(np.argmax(means)) and search.best_score_ == means.max()
    assert search.best_params_ == search.results_[search.best_index_]["params"]
    ranks = [r["rank_test_score"] for r in search.results_]
    assert ranks == [1 + int(np.sum(means > m)) for m in means]
    for r in search.results_:
        assert r["mean_test_score"] == pytest.approx(np.mean(r["test_score"]))
        assert r["std_test_score"] == pytest.approx(np.std(r["test_score"]))
    # refit: the best setting trained on all the data
    assert search.best_model_ is not None and search.best_model_.optimizer.learning_rate == pytest.approx(
        search.best_params_["learning_rate"])
    assert search.predict(X_BC[:5]).shape == (5, 1)
    assert search.score(X_BC, Y_BC) == pytest.approx(
        skm.accuracy_score(Y_BC, search.best_model_.predict(X_BC, verbose=0)[:, 0] > 0.5))
    tie = ms.GridSearch(build_binary, {"units": [1, 2, 3]}, cv=2, scoring=constant_scorer, refit=False,
                        verbose=0).fit(X_BC, Y_BC, epochs=1)
    assert [r["rank_test_score"] for r in tie.results_] == [1, 1, 1] and tie.best_index_ == 0
    with pytest.raises(RuntimeError, match="refit=False"):
        tie.predict(X_BC)


def test_results_table_and_csv(tmp_path):
    search = ms.GridSearch(build_binary, {"units": [1, 4], "depth": [1, 2]}, cv=2, random_state=0,
                           verbose=0, scoring=["accuracy", "roc_auc"], refit="roc_auc")
    search.fit(X_BC, Y_BC, epochs=1)
    lines = search.results_table().splitlines()
    assert lines[0].split()[:3] == ["rank", "depth", "units"] and "roc_auc (mean +/- std)" in lines[0]
    ranked = sorted(search.results_, key=lambda r: r["rank_test_roc_auc"])
    for line, row in zip(lines[1:], ranked):
        cells = line.split()
        assert cells[0] == str(row["rank_test_roc_auc"])
        assert cells[1:3] == [str(row["params"]["depth"]), str(row["params"]["units"])]
        assert cells[3] == f"{row['mean_test_roc_auc']:.4f}"
    assert len(search.results_table(top=2).splitlines()) == 3
    path = tmp_path / "r.csv"
    search.results_to_csv(path)
    with open(path, newline="") as f:
        search_csv = list(csv.DictReader(f))
    assert len(search_csv) == 4
    for row, r in zip(search_csv, search.results_):
        assert float(row["mean_test_accuracy"]) == r["mean_test_accuracy"]
        assert float(row["split1_test_roc_auc"]) == r["test_roc_auc"][1]
        assert int(row["rank_test_roc_auc"]) == r["rank_test_roc_auc"]
        assert row["param_units"] == str(r["params"]["units"])


def test_n_jobs_2_gives_the_same_results_as_n_jobs_1():
    grid = {"units": [2, 5], "learning_rate": [0.01]}
    kw = dict(cv=2, random_state=11, scoring=["accuracy", "roc_auc"], refit="accuracy", verbose=0)
    one = ms.GridSearch(build_binary, grid, n_jobs=1, **kw).fit(X_BC, Y_BC, epochs=2)
    env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    two = ms.GridSearch(build_binary, grid, n_jobs=2, **kw).fit(X_BC, Y_BC, epochs=2)
    assert {k: os.environ.get(k) for k in env} == env                 # the parent's settings are back
    for a, b in zip(one.results_, two.results_):
        assert a["params"] == b["params"]
        assert a["test_accuracy"] == b["test_accuracy"] and a["test_roc_auc"] == b["test_roc_auc"]
    assert one.histories_ == two.histories_
    assert one.best_params_ == two.best_params_
    for wa, wb in zip(one.best_model_.get_weights(), two.best_model_.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_failed_fits_get_error_score_or_raise():
    with pytest.warns(UserWarning, match="unlucky"):
        search = ms.GridSearch(build_failing, {"units": [2, 3]}, cv=2, error_score=np.nan, verbose=0,
                               random_state=0).fit(X_BC, Y_BC, epochs=1)
    bad = search.results_[1]
    assert np.isnan(bad["mean_test_score"]) and bad["rank_test_score"] == 2 and search.best_index_ == 0
    with pytest.raises(RuntimeError, match="unlucky"):
        ms.GridSearch(build_failing, {"units": [3]}, cv=2, verbose=0).fit(X_BC, Y_BC, epochs=1)


# ------------------------------------------------------------------ random search
def test_random_search_samples_reproducibly_from_lists_and_distributions():
    dists = {"learning_rate": ms.loguniform(1e-4, 1e-1), "units": [2, 3, 4]}
    a = ms.RandomSearch(build_binary, dists, n_iter=4, cv=2, random_state=5, verbose=0, refit=False,
                        scoring=lr_scorer).fit(X_BC, Y_BC, epochs=1)
    b = ms.RandomSearch(build_binary, dists, n_iter=4, cv=2, random_state=5, verbose=0, refit=False,
                        scoring=lr_scorer).fit(X_BC, Y_BC, epochs=1)
    assert [r["params"] for r in a.results_] == [r["params"] for r in b.results_]
    assert len(a.results_) == 4
    for r in a.results_:
        assert 1e-4 <= r["params"]["learning_rate"] <= 1e-1 and r["params"]["units"] in (2, 3, 4)
        assert r["test_score"] == pytest.approx([r["params"]["learning_rate"]] * 2)    # reached the optimizer
    draws = ms.loguniform(1e-4, 1e-1).rvs(size=20000, random_state=0)
    decades = np.histogram(np.log10(draws), bins=[-4, -3, -2, -1])[0] / draws.size
    np.testing.assert_allclose(decades, 1 / 3, atol=0.015)                  # each decade equally likely
    # lists only: drawn without replacement; more iterations than settings: the whole grid, once each
    grid_only = list(ms.ParameterSampler({"a": [1, 2], "b": [3, 4]}, n_iter=3, random_state=0))
    assert len({tuple(sorted(p.items())) for p in grid_only}) == 3
    with pytest.warns(UserWarning, match="each is tried once"):
        assert len(list(ms.ParameterSampler({"a": [1, 2]}, n_iter=5, random_state=0))) == 2


def test_parameter_grid_matches_sklearn():
    for grid in ({"b": [1, 2], "a": ["x", "y", "z"]},
                 [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "C": [1], "gamma": [0.1, 0.2]}]):
        ours = ms.ParameterGrid(grid)
        assert list(ours) == list(sk_selection.ParameterGrid(grid))
        assert len(ours) == len(sk_selection.ParameterGrid(grid))


# ------------------------------------------------------------------ bad input: before any model is built
@pytest.mark.parametrize("grid, message", [
    ({}, "param_grid is empty"),
    ([], "param_grid is empty"),
    ({"units": []}, r"param_grid\['units'\] is an empty list"),
    ({"units": 4}, r"must be a list of values to try, got 4; write \[4\]"),
])
def test_empty_or_malformed_grids_are_refused(grid, message):
    with pytest.raises(ValueError, match=message):
        ms.GridSearch(build_binary, grid)
    assert CALLS == []


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


def test_cv_larger_than_the_smallest_class_fails_before_training():
    keep = np.r_[np.flatnonzero(Y_IRIS == 0), np.flatnonzero(Y_IRIS == 1), np.flatnonzero(Y_IRIS == 2)[:3]]
    with pytest.raises(ValueError, match=r"cv=5 stratified folds need at least 5 samples of every class, "
                                         r"but class 2 has only 3: use cv <= 3"):
        ms.GridSearch(build_iris, {"units": [2, 3]}, cv=5, verbose=0).fit(X_IRIS[keep], Y_IRIS[keep])
    with pytest.raises(ValueError, match="class 2 has only 3"):
        ms.cross_validate(build_iris, X_IRIS[keep], Y_IRIS[keep], cv=StratifiedKFold(4))
    assert CALLS == []


def test_bad_scorers_refit_and_n_jobs_fail_before_any_build():
    with pytest.raises(ValueError, match="unknown scorer 'acuracy'. Did you mean 'accuracy'"):
        ms.GridSearch(build_binary, {"units": [2]}, scoring="acuracy")
    with pytest.raises(ValueError, match="unknown scorer 'f2'"):
        ms.cross_validate(build_binary, X_BC, Y_BC, scoring=["accuracy", "f2"])
    with pytest.raises(ValueError, match="refit must name the one"):
        ms.GridSearch(build_binary, {"units": [2]}, scoring=["accuracy", "f1"])
    with pytest.raises(ValueError, match="refit='recall' names no scorer"):
        ms.GridSearch(build_binary, {"units": [2]}, scoring=["accuracy", "f1"], refit="recall")
    with pytest.raises(ValueError, match="n_jobs must be"):
        ms.GridSearch(build_binary, {"units": [2]}, n_jobs=0)
    with pytest.raises(ValueError, match="same number of samples: x has 10, y has 9"):
        ms.cross_validate(build_binary, X_BC[:10], Y_BC[:9])
    with pytest.raises(TypeError, match="cannot be pickled.*top level of a module"):
        ms.GridSearch(lambda units=2: build_binary(units), {"units": [2, 3]}, n_jobs=2,
                      verbose=0).fit(X_BC, Y_BC, epochs=1)
    assert CALLS == []
    assert "neg_mean_squared_error" in ms.get_scorer_names() and "roc_auc_ovr" in ms.get_scorer_names()


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


# ------------------------------------------------------------------ figures
def test_grid_heatmap_shows_mean_and_std_of_every_cell_and_frames_the_best():
    from scratchnn import plot
    search = ms.GridSearch(build_binary, {"units": [1, 4, 8], "learning_rate": [1e-3, 0.05]}, cv=2,
                           random_state=0, verbose=0, refit=False).fit(X_BC, Y_BC, epochs=1)
    fig = plot.grid_heatmap(search, "units", "learning_rate")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "units" and ax.get_ylabel() == "learning_rate"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "4", "8"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.001", "0.05"]
    texts = {t.get_gid(): t.get_text() for t in ax.texts}
    for row in search.results_:
        i = [1e-3, 0.05].index(row["params"]["learning_rate"])
        j = [1, 4, 8].index(row["params"]["units"])
        assert texts[f"cell-{i}-{j}"] == f"{row['mean_test_score']:.4f}\n± {row['std_test_score']:.4f}"
    best = [p for p in ax.patches if p.get_gid() == "best-cell"]
    bp = search.best_params_
    assert len(best) == 1 and best[0].get_xy() == pytest.approx(
        ([1, 4, 8].index(bp["units"]) - 0.45, [1e-3, 0.05].index(bp["learning_rate"]) - 0.45))
    assert fig.axes[1].get_ylabel() == "mean accuracy (2-fold CV)"
    assert "mean accuracy over 2 folds" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="is not a hyper-parameter of the search"):
        plot.grid_heatmap(search, "units", "dropout")


def test_roc_and_pr_curves_match_sklearn(tmp_path):
    from scratchnn import plot
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.5 * y + rng.normal(0.25, 0.25, 300), 0, 1).round(2)          # ties included
    fig = plot.roc_curve(y, p[:, None], path=tmp_path / "roc.png")
    ax = fig.axes[0]
    roc = [line for line in ax.get_lines() if line.get_gid() == "roc"][0]
    fpr, tpr, _ = skm.roc_curve(y, p)
    np.testing.assert_allclose(roc.get_xdata(), fpr)
    np.testing.assert_allclose(roc.get_ydata(), tpr)
    assert roc.get_label() == f"AUC = {skm.roc_auc_score(y, p):.3f}"
    assert ax.get_xlabel().startswith("false positive rate")
    assert ax.get_ylabel().startswith("true positive rate")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "chance (AUC = 0.5)" in legend
    dot = [line for line in ax.get_lines() if line.get_gid() == "threshold-0.5"][0]
    assert dot.get_xdata()[0] == pytest.approx(np.mean(p[y == 0] >= 0.5))
    assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    fig = plot.precision_recall_curve(y, p, path=tmp_path / "pr.png")
    ax = fig.axes[0]
    pr = [line for line in ax.get_lines() if line.get_gid() == "pr"][0]
    precision, recall, _ = skm.precision_recall_curve(y, p)
    np.testing.assert_allclose(pr.get_xdata(), recall)
    np.testing.assert_allclose(pr.get_ydata(), precision)
    assert pr.get_label() == f"AP = {skm.average_precision_score(y, p):.3f}"
    chance = [line for line in ax.get_lines() if line.get_gid() == "chance"][0]
    assert chance.get_ydata()[0] == pytest.approx(y.mean())
    assert ax.get_xlabel().startswith("recall") and ax.get_ylabel() == "precision"

    # three classes: one curve per class against the rest
    y3 = rng.integers(0, 3, 200)
    s3 = rng.random((200, 3)) + 0.6 * np.eye(3)[y3]
    s3 /= s3.sum(axis=1, keepdims=True)
    fig = plot.roc_curve(y3, s3, labels=["a", "b", "c"])
    labels = [line.get_label() for line in fig.axes[0].get_lines() if str(line.get_gid()).startswith("roc-")]
    assert labels == [f"{n} vs rest (AUC = {skm.roc_auc_score(y3 == k, s3[:, k]):.3f})"
                      for k, n in enumerate("abc")]
    assert f"{skm.roc_auc_score(y3, s3, multi_class='ovr'):.3f}" in fig._suptitle.get_text()
