"""A small search in this process against the same search on a Dask LocalCluster: time, and
whether the results tables are equal.

The search: ``GridSearch`` over 2 widths x 2 learning rates x 2 batch sizes of a one-hidden-layer
MLP on the breast-cancer table (8 candidates x 3 folds = 24 fits of ``--epochs`` epochs), and a
``HalvingGridSearch`` over the same grid (factor 2, from ``--min-epochs``). Each runs serially (one
process), then with ``executor=Client(cluster).get_executor()`` on a ``LocalCluster`` of
``--workers`` worker processes (one thread each) on loopback, and, for comparison, with
``n_jobs=--workers`` (the process pool the search builds itself). The cluster's start is timed
apart; the speed-up is serial / cluster. BLAS runs one thread everywhere
(``OPENBLAS_NUM_THREADS=1`` and the like, set here before NumPy loads; Dask sets them in its
workers too), so the fits themselves are the same work. Times are the best of ``--rounds``.

    python bench/search_cluster.py [--epochs 10] [--min-epochs 4] [--workers 2] [--rounds 1]

"equal" compares ``results_`` without the seconds and ``results_table(times=False)``.
"""
import argparse
import os
import time

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

from scratchnn import Sequential, layers, model_selection  # noqa: E402
from scratchnn.datasets import load_breast_cancer  # noqa: E402

TIMES = ("mean_fit_time", "std_fit_time", "mean_score_time")
GRID = {"units": [8, 32], "learning_rate": [1e-3, 1e-2], "batch_size": [16, 32]}


def build(units=8):
    model = Sequential([layers.Input((30,)), layers.Dense(units, activation="relu"),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def data():
    bc = load_breast_cancer()
    x = ((bc.x - bc.x.mean(axis=0)) / bc.x.std(axis=0)).astype(np.float32)
    return x, bc.y


def rows(search):
    return [{k: v for k, v in row.items() if k not in TIMES} for row in search.results_]


def timed(make, x, y, rounds, **fit_kwargs):
    """The fitted search of the last round and the best wall time over ``rounds``."""
    best = np.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        search = make().fit(x, y, **fit_kwargs)
        best = min(best, time.perf_counter() - t0)
    return search, best


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--min-epochs", type=int, default=4, help="the halving's first rung")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster     # the scratchnn[dask] extra

    x, y = data()
    kw = dict(cv=3, random_state=0, verbose=0)
    searches = {
        "grid search": (lambda ex, jobs=None: model_selection.GridSearch(
            build, GRID, executor=ex, n_jobs=jobs, **kw), {"epochs": args.epochs}),
        "halving": (lambda ex, jobs=None: model_selection.HalvingGridSearch(
            build, GRID, factor=2, min_resource=args.min_epochs, executor=ex, n_jobs=jobs, **kw), {}),
    }
    print(f"{os.cpu_count()} cores; BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}; "
          f"{len(model_selection.ParameterGrid(GRID))} candidates x 3 folds")
    serial = {name: timed(lambda make=make: make(None), x, y, args.rounds, **fit)
              for name, (make, fit) in searches.items()}
    pooled = {name: timed(lambda make=make: make(None, args.workers), x, y, args.rounds, **fit)
              for name, (make, fit) in searches.items()}
    t0 = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        start = time.perf_counter() - t0
        executor = client.get_executor()
        remote = {name: timed(lambda make=make: make(executor), x, y, args.rounds, **fit)
                  for name, (make, fit) in searches.items()}
    print(f"LocalCluster of {args.workers} worker processes started in {start:.2f} s")
    jobs = f"n_jobs={args.workers} s"
    print(f"{'search':<12} {'fits':>5} {'serial s':>9} {jobs:>11} {'cluster s':>10} {'speed-up':>9}  "
          "equal tables (n_jobs, cluster)")
    for name in searches:
        (a, ta), (p, tp), (b, tb) = serial[name], pooled[name], remote[name]
        fits = len(a.results_) * a.n_splits_
        equal = [rows(a) == rows(c) and a.results_table(times=False) == c.results_table(times=False)
                 for c in (p, b)]
        print(f"{name:<12} {fits:>5} {ta:>9.2f} {tp:>11.2f} {tb:>10.2f} {ta / tb:>8.2f}x  "
              f"{equal[0]}, {equal[1]}")
    grid, halving = serial["grid search"][0], serial["halving"][0]
    print(f"grid search's best: {grid.best_params_}, accuracy {grid.best_score_:.4f} "
          f"({len(grid.results_) * grid.n_splits_ * args.epochs} epochs)")
    print(f"halving's best: {halving.best_params_}, accuracy {halving.best_score_:.4f} (rungs "
          f"{list(zip(halving.n_candidates_, halving.n_resources_))}: {halving.total_epochs_} epochs; a grid "
          f"search at {halving.n_resources_[-1]} epochs trains "
          f"{len(grid.results_) * grid.n_splits_ * halving.n_resources_[-1]})")


if __name__ == "__main__":
    main()
