"""Successive halving (``scratchnn/model_selection/halving.py``): the schedule and its budget, the
candidates kept where the ranking is known, each rung equal to a grid search at its epochs, the
same results in this process, on a process pool and on a Dask cluster, and clear errors for bad
arguments before anything is built.
"""
import csv
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from scratchnn import model_selection as ms

from tests.helpers import local_dask_cluster
from tests.model_selection.helpers import CALLS, X_BC, Y_BC, build_binary, without_times

#: Nine learning rates for one small network: after a few Adam steps from the same initial
#: weights (every candidate gets the fold's seed), the larger the rate the lower the loss.
RATES = [1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 1e-3, 3e-2]
KW = dict(factor=3, cv=2, random_state=0, verbose=0, scoring="neg_loss")


@pytest.fixture(scope="module")
def halving():
    return ms.HalvingGridSearch(build_binary, {"learning_rate": RATES}, **KW).fit(X_BC, Y_BC, batch_size=32)


@pytest.mark.parametrize("args, rungs", [
    ((27, 3, 1), [(27, 1), (9, 3), (3, 9), (1, 27)]),
    ((10, 3, 1), [(10, 1), (4, 3), (2, 9), (1, 27)]),          # ceil(10 / 3) = 4, ceil(4 / 3) = 2
    ((10, 3, 2, 6), [(10, 2), (4, 6)]),                        # the next rung would train 18 > 6 epochs
    ((8, 2, 5), [(8, 5), (4, 10), (2, 20), (1, 40)]),
    ((1, 3, 4), [(1, 4)]),
])
def test_the_schedule(args, rungs):
    assert ms.halving_schedule(*args) == rungs


def test_the_rungs_keep_the_best_third_where_the_ranking_is_known(halving):
    rows = halving.results_
    assert halving.n_candidates_ == [9, 3, 1] and halving.n_resources_ == [1, 3, 9]
    assert [(r["iter"], r["epochs"]) for r in rows] == [(0, 1)] * 9 + [(1, 3)] * 3 + [(2, 9)]
    # rung 0: the three largest rates go on; rung 1: the largest
    assert [r["params"]["learning_rate"] for r in rows if r["iter"] == 1] == [1e-4, 1e-3, 3e-2]
    assert [r["candidate"] for r in rows if r["iter"] == 1] == [6, 7, 8]
    assert [r["params"]["learning_rate"] for r in rows if r["iter"] == 2] == [3e-2]
    assert halving.best_params_ == {"learning_rate": 3e-2}
    assert halving.best_index_ == len(rows) - 1 and rows[-1]["rank_test_score"] == 1
    assert halving.best_score_ == rows[-1]["mean_test_score"]
    # ranked by rung first: every row of rung 1 above every row of rung 0
    assert max(r["rank_test_score"] for r in rows if r["iter"] == 1) < min(
        r["rank_test_score"] for r in rows if r["iter"] == 0)
    # the refit trains the best candidate for the last rung's epochs
    assert len(halving.best_model_.history.epoch) == 9
    assert halving.best_model_.optimizer.learning_rate == pytest.approx(3e-2)


def test_the_budget_is_the_docstring_s(halving):
    # n_folds * sum_i n_i * r_i = 2 * (9 * 1 + 3 * 3 + 1 * 9) = 54 epochs, counted in the histories
    assert halving.total_epochs_ == 54
    assert sum(len(h["loss"]) for fold_histories in halving.histories_ for h in fold_histories) == 54
    assert len(halving.histories_) == len(halving.results_) == 13


def test_each_rung_equals_a_grid_search_at_its_epochs(halving):
    for rung, epochs in enumerate(halving.n_resources_):
        rows = [r for r in halving.results_ if r["iter"] == rung]
        grid = ms.GridSearch(build_binary, {"learning_rate": [r["params"]["learning_rate"] for r in rows]},
                             cv=2, random_state=0, verbose=0, scoring="neg_loss", refit=False)
        grid.fit(X_BC, Y_BC, batch_size=32, epochs=epochs)
        assert [r["test_score"] for r in grid.results_] == [r["test_score"] for r in rows]


def test_a_process_pool_gives_the_serial_halving(halving):
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = ms.HalvingGridSearch(build_binary, {"learning_rate": RATES}, executor=pool, **KW).fit(
            X_BC, Y_BC, batch_size=32)
    assert without_times(pooled.results_) == without_times(halving.results_)
    assert pooled.results_table(times=False) == halving.results_table(times=False)
    assert pooled.histories_ == halving.histories_
    for a, b in zip(pooled.best_model_.get_weights(), halving.best_model_.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_dask_cluster_gives_the_serial_halving(halving):
    with local_dask_cluster(2) as address:
        from dask.distributed import Client
        with Client(address) as client:
            dask = ms.HalvingGridSearch(build_binary, {"learning_rate": RATES},
                                        executor=client.get_executor(), **KW).fit(X_BC, Y_BC, batch_size=32)
    assert without_times(dask.results_) == without_times(halving.results_)
    assert dask.total_epochs_ == halving.total_epochs_


def test_halving_random_search_draws_as_random_search_and_repeats(tmp_path):
    draws = {"learning_rate": ms.loguniform(1e-5, 1e-1), "units": [2, 4, 8]}
    kw = dict(n_candidates=5, factor=2, min_resource=1, max_resource=2, cv=2, random_state=4, verbose=0)
    one = ms.HalvingRandomSearch(build_binary, draws, **kw).fit(X_BC, Y_BC)
    two = ms.HalvingRandomSearch(build_binary, draws, **kw, n_jobs=2).fit(X_BC, Y_BC)
    assert without_times(one.results_) == without_times(two.results_)
    plain = ms.RandomSearch(build_binary, draws, n_iter=5, cv=2, random_state=4, verbose=0, refit=False)
    plain.fit(X_BC, Y_BC, epochs=1)
    assert [r["params"] for r in one.results_[:5]] == [r["params"] for r in plain.results_]
    assert one.n_candidates_ == [5, 3] and one.n_resources_ == [1, 2]        # capped at max_resource=2
    assert one.total_epochs_ == 2 * (5 * 1 + 3 * 2)
    # the table and the CSV show the rung, its epochs and the candidate
    table = one.results_table(times=False).splitlines()
    assert table[0].split()[:5] == ["rank", "rung", "epochs", "candidate", "learning_rate"]
    assert table[1].split()[:3] == ["1", "1", "2"]
    one.results_to_csv(tmp_path / "halving.csv")
    with open(tmp_path / "halving.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["iter"], r["epochs"]) for r in rows] == [("0", "1")] * 5 + [("1", "2")] * 3
    assert [int(r["candidate"]) for r in rows[5:]] == [r["candidate"] for r in one.results_[5:]]


@pytest.mark.parametrize("kwargs, message", [
    ({"factor": 1}, "factor must be a whole number of at least 2 .*got 1"),
    ({"factor": 2.5}, "factor must be a whole number of at least 2 .*got 2.5"),
    ({"factor": True}, "factor must be .*got True"),
    ({"min_resource": 0}, "min_resource must be a whole number of epochs of at least 1 .*got 0"),
    ({"min_resource": 1.5}, "min_resource must be .*got 1.5"),
    ({"min_resource": 4, "max_resource": 3}, "max_resource must be None .* at least min_resource=4, got 3"),
    ({"resource": "n_samples"}, "resource must be 'epochs' .*got 'n_samples'"),
])
def test_bad_halving_arguments_name_the_argument_and_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ms.HalvingGridSearch(build_binary, {"units": [2, 3]}, **kwargs)
    with pytest.raises(ValueError, match=message):
        ms.HalvingRandomSearch(build_binary, {"units": [2, 3]}, **kwargs)
    with pytest.raises(ValueError, match="n_candidates must be a positive whole number .*got 0"):
        ms.HalvingRandomSearch(build_binary, {"units": [2, 3]}, n_candidates=0)
    assert CALLS == []


def test_epochs_set_by_fit_or_by_the_grid_are_refused_before_any_build():
    search = ms.HalvingGridSearch(build_binary, {"units": [2, 3]}, cv=2, verbose=0)
    with pytest.raises(ValueError, match=r"sets the epochs of every rung .*remove epochs=5 from fit\(\)"):
        search.fit(X_BC, Y_BC, epochs=5)
    search = ms.HalvingGridSearch(build_binary, {"units": [2, 3], "epochs": [1, 2]}, cv=2, verbose=0)
    with pytest.raises(ValueError, match="a candidate may not set them too"):
        search.fit(X_BC, Y_BC)
    assert CALLS == [] and not hasattr(search, "results_")
