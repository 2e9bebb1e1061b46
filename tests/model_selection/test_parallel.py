"""``n_jobs > 1`` (``scratchnn/model_selection/parallel.py``): the same results as one job; and
from a script, where worker processes import the script again (spawn), a search started by
unguarded top-level code is refused with a clear message instead of hanging. ``executor=``: a
thread pool, a process pool and a Dask cluster (2 worker processes on loopback; skipped without
Dask) give the serial results; bad executor arguments fail before anything is built.
"""
import multiprocessing
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from scratchnn import model_selection as ms

from scratchnn.preprocessing import MinMaxScaler

from tests.helpers import local_dask_cluster
from tests.model_selection.helpers import (CALLS, RUNNING, X_BC, Y_BC, build_binary, build_failing,
                                           overlap_scorer, without_times)


def test_n_jobs_2_gives_the_same_results_as_n_jobs_1():
    grid = {"units": [2, 5], "learning_rate": [0.01]}
    kw = dict(cv=2, random_state=11, scoring=["accuracy", "roc_auc"], refit="accuracy", verbose=0,
              preprocess=MinMaxScaler())          # sent to the workers with the rest
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


SCRIPT = textwrap.dedent('''
    import numpy as np
    from scratchnn import Sequential, layers, model_selection

    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def build(units=4):
        model = Sequential([layers.Input((3,)), layers.Dense(units, activation="relu"),
                            layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    def main():
        search = model_selection.GridSearch(build, {"units": [2, 4]}, cv=2, n_jobs=2, verbose=0,
                                            random_state=0)
        search.fit(x, y, epochs=1)
        print("best", search.best_params_)
    ''')


@pytest.mark.parametrize("guarded", [False, True])
def test_parallel_search_from_a_script(tmp_path, guarded):
    tail = 'if __name__ == "__main__":\n    main()\n' if guarded else "main()\n"
    path = tmp_path / "search_script.py"
    path.write_text(SCRIPT + tail)
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    if guarded:
        assert proc.returncode == 0, proc.stderr
        assert "best {'units':" in proc.stdout
    else:
        assert proc.returncode != 0
        assert "search_script.py again" in proc.stderr and 'if __name__ == "__main__":' in proc.stderr
        line = (SCRIPT + tail).splitlines().index("main()") + 1
        assert f"(line {line})" in proc.stderr           # where the unguarded call is


def test_an_unguarded_script_with_a_spawning_pool_is_refused_before_any_fit(tmp_path):
    # a ProcessPoolExecutor that spawns imports the script again in each worker, as n_jobs does
    script = SCRIPT.replace("n_jobs=2", "executor=pool").replace(
        "def main():\n", "def main():\n    import multiprocessing, concurrent.futures as cf\n"
        "    pool = cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context('spawn'))\n")
    path = tmp_path / "pool_script.py"
    path.write_text(script + "main()\n")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode != 0
    assert "executor=ProcessPoolExecutor runs the fits in new Python processes" in proc.stderr
    assert "pool_script.py again" in proc.stderr


# ------------------------------------------------------------------ executor=
GRID = {"units": [2, 5], "learning_rate": [0.01, 0.05]}
KW = dict(cv=2, random_state=11, scoring=["accuracy", "roc_auc"], refit="accuracy", verbose=0,
          preprocess=MinMaxScaler())


@pytest.fixture(scope="module")
def serial():
    """The search in this process: what every executor must give."""
    return ms.GridSearch(build_binary, GRID, **KW).fit(X_BC, Y_BC, epochs=2)


def _assert_same_search(a, b):
    assert without_times(a.results_) == without_times(b.results_)
    assert a.results_table(times=False) == b.results_table(times=False)
    assert a.histories_ == b.histories_
    assert a.best_params_ == b.best_params_
    for wa, wb in zip(a.best_model_.get_weights(), b.best_model_.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_an_executor_gives_the_serial_results(serial, kind):
    pool = (ThreadPoolExecutor(3) if kind == "threads" else
            ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")))
    with pool:
        search = ms.GridSearch(build_binary, GRID, executor=pool, **KW).fit(X_BC, Y_BC, epochs=2)
        _assert_same_search(serial, search)
        # the pool is still the caller's: open, and usable by the next search
        cv = ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, random_state=3, verbose=0, epochs=1,
                               executor=pool)
    one = ms.cross_validate(build_binary, X_BC, Y_BC, cv=2, random_state=3, verbose=0, epochs=1)
    np.testing.assert_array_equal(cv["test_score"], one["test_score"])
    assert cv["history"] == one["history"]


def test_threads_of_an_executor_train_one_model_at_a_time():
    # scratchnn's random generator and its no_grad switch belong to the process: two fits in two
    # threads at once would draw from one generator; a lock makes them take turns
    RUNNING.update(now=0, most=0)
    with ThreadPoolExecutor(4) as pool:
        ms.cross_validate(build_binary, X_BC, Y_BC, cv=4, scoring=overlap_scorer, random_state=0, verbose=0,
                          epochs=1, executor=pool)
    assert RUNNING["most"] == 1


def test_a_failing_fit_on_an_executor_raises_and_leaves_the_executor_open():
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(RuntimeError, match="three units are unlucky"):
            ms.GridSearch(build_failing, {"units": [2, 3]}, cv=2, verbose=0, random_state=0,
                          executor=pool).fit(X_BC, Y_BC, epochs=1)
        assert pool.submit(sum, [1, 2]).result() == 3


def test_bad_executor_arguments_fail_before_any_build():
    with pytest.raises(TypeError, match="executor must be a concurrent.futures.Executor .*got int: 4"):
        ms.GridSearch(build_binary, {"units": [2]}, executor=4)
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(ValueError, match=r"give n_jobs=2 .* or executor= \(your ThreadPoolExecutor\), "
                                             "not both"):
            ms.GridSearch(build_binary, {"units": [2]}, n_jobs=2, executor=pool)
        with pytest.raises(ValueError, match="give n_jobs=2"):
            ms.cross_validate(build_binary, X_BC, Y_BC, n_jobs=2, executor=pool, verbose=0, epochs=1)
        # n_jobs=1 asks for no processes: it goes with an executor; threads need no pickling
        lam = ms.GridSearch(lambda units=2: build_binary(units), {"units": [2]}, cv=2, n_jobs=1,
                            executor=pool, verbose=0, random_state=0, refit=False).fit(X_BC, Y_BC, epochs=1)
        assert len(lam.results_) == 1
    CALLS.clear()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with pytest.raises(TypeError, match="executor=ProcessPoolExecutor runs the fits in separate "
                                            "processes, which receive build_fn by pickling"):
            ms.GridSearch(lambda units=2: build_binary(units), {"units": [2, 3]}, cv=2, verbose=0,
                          executor=pool).fit(X_BC, Y_BC, epochs=1)
    assert CALLS == []                               # nothing was built


# ------------------------------------------------------------------ a Dask cluster
@pytest.fixture(scope="module")
def dask_executor():
    """A client's executor on a LocalCluster of 2 worker processes (loopback)."""
    with local_dask_cluster(2) as address:
        from dask.distributed import Client
        with Client(address) as client:
            yield client.get_executor()


def test_a_dask_cluster_gives_the_serial_results(serial, dask_executor):
    search = ms.GridSearch(build_binary, GRID, executor=dask_executor, **KW).fit(X_BC, Y_BC, epochs=2)
    _assert_same_search(serial, search)
    cv = ms.cross_validate(build_binary, X_BC, Y_BC, cv=3, random_state=5, verbose=0, epochs=1,
                           executor=dask_executor)
    one = ms.cross_validate(build_binary, X_BC, Y_BC, cv=3, random_state=5, verbose=0, epochs=1)
    np.testing.assert_array_equal(cv["test_score"], one["test_score"])
    draws = {"units": [2, 3, 4, 5], "learning_rate": ms.loguniform(1e-3, 1e-1)}
    rs = [ms.RandomSearch(build_binary, draws, n_iter=3, cv=2, random_state=2, verbose=0, **ex).fit(
        X_BC, Y_BC, epochs=1) for ex in ({}, {"executor": dask_executor})]
    assert without_times(rs[0].results_) == without_times(rs[1].results_)


def test_dask_pickles_with_cloudpickle_so_a_lambda_goes_to_the_cluster(dask_executor):
    # pickle refuses a lambda (see above); Dask's cloudpickle sends it by value, so it is accepted
    search = ms.GridSearch(lambda units=2: build_binary(units), {"units": [2]}, cv=2, verbose=0,
                           random_state=0, refit=False, executor=dask_executor).fit(X_BC, Y_BC, epochs=1)
    assert len(search.results_) == 1 and search.results_[0]["test_score"][0] > 0
