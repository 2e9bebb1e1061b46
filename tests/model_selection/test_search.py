"""GridSearch and RandomSearch (``scratchnn/model_selection/search.py``): the grid covered,
parameters routed to the model and fit, the best is the argmax and ties share a rank, the
results table and CSV, random sampling; bad scorers, refit and n_jobs fail before any build.
"""
import csv
import itertools

import numpy as np
import pytest

from scratchnn import model_selection as ms

from scratchnn.preprocessing import StandardScaler, StratifiedKFold

from tests.model_selection.helpers import (
    CALLS,
    SEEN,
    X_BC,
    Y_BC,
    build_binary,
    constant_scorer,
    epochs_scorer,
    lr_scorer,
    recording_scorer,
)

skm = pytest.importorskip("sklearn.metrics")
sk_selection = pytest.importorskip("sklearn.model_selection")


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


def test_preprocess_is_fitted_on_each_training_fold_and_the_refit_on_all_rows():
    # Columns whose scale drifts along the rows: each fold's statistics differ from all rows'.
    x = (X_BC * np.linspace(1.0, 3.0, len(X_BC))[:, None] + np.linspace(0.0, 4.0, len(X_BC))[:, None])
    x = x.astype(np.float32)
    folds = list(StratifiedKFold(2).split(x, Y_BC))
    search = ms.GridSearch(build_binary, {"units": [2, 3]}, cv=folds, preprocess=StandardScaler(),
                           scoring={"acc": "accuracy", "seen": recording_scorer}, refit="acc", random_state=0,
                           verbose=0).fit(x, Y_BC, epochs=1)
    # 2 candidates x 2 folds, each scored on its held-out rows scaled with its training rows' statistics
    assert len(SEEN) == 4
    for seen, (train, test) in zip(SEEN, folds * 2):
        expected = (x[test] - x[train].mean(axis=0)) / x[train].std(axis=0)
        np.testing.assert_allclose(seen, expected, rtol=1e-4, atol=1e-5)
        assert not np.allclose(seen, (x[test] - x.mean(axis=0)) / x.std(axis=0), atol=1e-2)   # the leak
    # The refit scales all the rows; predict and score apply that scaler first.
    np.testing.assert_allclose(search.best_preprocess_.mean_, x.astype(np.float64).mean(axis=0), rtol=1e-6)
    p = search.predict(x[:40])
    np.testing.assert_array_equal(p, search.best_model_.predict(search.best_preprocess_.transform(x[:40]),
                                                                verbose=0))
    assert search.score(x, Y_BC) == pytest.approx(skm.accuracy_score(Y_BC, search.predict(x)[:, 0] > 0.5))
    assert "preprocess" not in search.best_params_
    # Without preprocess nothing is transformed.
    plain = ms.GridSearch(build_binary, {"units": [2]}, cv=2, verbose=0, refit=True).fit(x, Y_BC, epochs=1)
    assert plain.best_preprocess_ is None


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
