"""``scratchnn search``: a cross-validated grid search over the hyper-parameters of the MLP that
``scratchnn train`` builds, on the training part of a dataset.

    scratchnn search --dataset breast_cancer --grid lr=0.001,0.01 --grid hidden=16,32,64 --cv 5

Each ``--grid NAME=V1,V2,...`` adds a hyper-parameter and its values; every combination is trained
``--cv`` times (k-fold cross-validation on the training split, stratified for classification).
It prints the candidates ranked by their mean score, refits the best one on the whole training
split, tests it once on the held-out test split (80/20, as ``train``) and writes to ``--out``:

    results.csv        one row per candidate: its values, rank, mean/std and per-fold scores, times
    results.txt        the ranked table, the best setting and its test score
    heatmap.png        the mean score over the grid (when one or two hyper-parameters vary)
    model.scratchnn    the best setting refit on the training split
    run.json           what ``scratchnn evaluate <folder>`` needs to test that model again

With ``--dask-scheduler ADDRESS`` the fits run on a Dask cluster (``pip install 'scratchnn[dask]'``;
the workers need scratchnn too): the same table as on this machine, each fit seeded the same way.

Tables are standardized by a ``Normalization`` layer adapted to the whole training split, also
inside the folds (as ``train`` builds the network). So each fold's model has seen the feature means
and variances of its held-out part and, for regression, the mean and variance of its targets (the
output layer is scaled to the targets' units with them): a small optimism of the cross-validated
scores, the same for every candidate. The test split is never used.
"""
import argparse
import datetime
import json
import os
import time

import numpy as np

from .. import model_selection
from ..functional import ACTIVATIONS
from ..optimizers import OPTIMIZERS
from ..utils import set_random_seed
from . import data as _data
from .errors import CLIError, check_out_folder
from .text import WIDTH, command_lines, sentence_lines
from .train import build_model

#: Seconds to wait for the Dask scheduler of ``--dask-scheduler`` before giving up.
DASK_CONNECT_TIMEOUT = 10

#: ``--grid`` names: (the search's hyper-parameter, what it is, how to read one value).
GRID_NAMES = {
    "lr": ("learning_rate", "learning rate, e.g. lr=0.001,0.01"),
    "hidden": ("hidden", "hidden layer widths: hidden=16,32,64 (one layer each), 64x32 for two layers"),
    "activation": ("activation", "hidden-layer activation, e.g. activation=relu,tanh"),
    "dropout": ("dropout", "dropout rate after each hidden layer, e.g. dropout=0,0.2"),
    "batch_size": ("batch_size", "samples per update, e.g. batch_size=16,64"),
    "epochs": ("epochs", "passes over the training folds, e.g. epochs=20,50"),
    "optimizer": ("optimizer", "optimizer name, e.g. optimizer=sgd,adam"),
}


class MLPBuilder:
    """The ``build_fn`` of the search: ``scratchnn train``'s MLP for one setting of ``hidden``,
    ``activation``, ``dropout`` and ``optimizer``, compiled at ``--lr`` (a learning rate in the grid
    is routed to the optimizer by the search). The optimizer is built here, not by the search, so
    that ``--grid optimizer=sgd,adam --lr 0.05`` trains each optimizer at 0.05.

    A class at module level rather than a closure, so that ``--n-jobs`` worker processes can
    receive it (by pickling).
    """

    def __init__(self, dataset, x_train, y_train, num_classes, hidden, activation, dropout, optimizer, lr):
        self.dataset, self.x_train, self.y_train, self.num_classes = dataset, x_train, y_train, num_classes
        self.defaults = {"hidden": hidden, "activation": activation, "dropout": dropout}
        self.optimizer, self.lr = optimizer, lr

    def __call__(self, hidden=None, activation=None, dropout=None, optimizer=None):
        spec = _data.task(self.dataset)
        args = argparse.Namespace(
            model="mlp", hidden=tuple(hidden) if hidden is not None else self.defaults["hidden"],
            activation=activation or self.defaults["activation"],
            dropout=self.defaults["dropout"] if dropout is None else dropout,
            optimizer=optimizer or self.optimizer, lr=self.lr)
        return build_model(spec, self.x_train, self.y_train, self.num_classes, args)


def _parse_value(name, text):
    text = text.strip()
    try:
        if name == "lr":
            value = float(text)
            if not value > 0 or value == float("inf"):
                raise ValueError
            return value
        if name == "hidden":
            units = tuple(int(u) for u in text.lower().split("x"))
            if not units or any(u < 1 for u in units):
                raise ValueError
            return units
        if name == "dropout":
            value = float(text)
            if not 0 <= value < 1:
                raise ValueError
            return value
        if name in ("batch_size", "epochs"):
            value = int(text)
            if value < 1:
                raise ValueError
            return value
    except ValueError:
        expected = {"lr": "a positive number", "hidden": "widths such as 32 or 64x32",
                    "dropout": "a number in [0, 1)", "batch_size": "a positive integer",
                    "epochs": "a positive integer"}[name]
        raise CLIError(f"--grid {name}: expected {expected}, got {text!r}", usage=True) from None
    if name == "activation":
        if text not in ACTIVATIONS:
            raise CLIError(f"--grid activation: unknown activation {text!r}; choose from "
                           f"{', '.join(sorted(ACTIVATIONS))}", usage=True)
        return text
    if text.lower() not in OPTIMIZERS:
        raise CLIError(f"--grid optimizer: unknown optimizer {text!r}; choose from "
                       f"{', '.join(OPTIMIZERS.names())}", usage=True)
    return text.lower()


def parse_grid(specs):
    """``{hyper-parameter: [values]}`` from ``--grid NAME=V1,V2`` strings (errors are ``CLIError``)."""
    grid, shown = {}, {}
    for spec in specs or []:
        name, sep, values = spec.partition("=")
        name = name.strip().replace("-", "_").lower()
        if not sep or not name:
            raise CLIError(f"--grid expects NAME=V1,V2,..., got {spec!r}", usage=True)
        if name not in GRID_NAMES:
            raise CLIError(f"--grid: unknown hyper-parameter {name!r}; the names are: "
                           + "; ".join(f"{n} ({what})" for n, (_, what) in GRID_NAMES.items()), usage=True)
        if name in shown:
            raise CLIError(f"--grid {name} is given twice: list all its values in one --grid", usage=True)
        parsed = [_parse_value(name, v) for v in values.split(",") if v.strip()]
        if not parsed:
            raise CLIError(f"--grid {name}= has no values: give at least one, e.g. {name}=...", usage=True)
        if len(set(parsed)) != len(parsed):
            raise CLIError(f"--grid {name}: a value is listed twice in {values!r}", usage=True)
        grid[GRID_NAMES[name][0]] = parsed
        shown[name] = True
    if not grid:
        raise CLIError("the grid is empty: give at least one --grid NAME=V1,V2 (e.g. --grid lr=0.001,0.01)",
                       usage=True)
    return grid


def connect_dask(address, timeout=None):
    """A ``dask.distributed.Client`` connected to the scheduler at ``address`` (one-line
    ``CLIError`` without dask, or when no scheduler answers there within ``timeout`` seconds)."""
    try:
        from dask.distributed import Client      # third-party, optional: the scratchnn[dask] extra
    except ImportError as e:
        raise CLIError(f"--dask-scheduler needs Dask, which is not installed ({e}): "
                       "pip install 'scratchnn[dask]'") from None
    timeout = DASK_CONNECT_TIMEOUT if timeout is None else timeout
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as e:          # OSError, TimeoutError, ValueError for a malformed address, ...
        detail = " ".join(str(e).split()) or type(e).__name__
        raise CLIError(f"--dask-scheduler {address}: no Dask scheduler answered within {timeout} s "
                       f"({detail}); start one with `dask scheduler` (workers: `dask worker ADDRESS`)"
                       ) from None


def _out_dir(args, spec):
    path = args.out or os.path.join("runs", f"{datetime.datetime.now():%Y%m%d-%H%M%S}-search-{spec.name}")
    check_out_folder(path)
    if os.path.exists(path) and os.listdir(path):
        raise CLIError(f"the output folder {path} exists and is not empty; choose another --out", usage=True)
    return path


def run(args):
    try:
        spec = _data.task(args.dataset)
    except KeyError as e:
        raise CLIError(e.args[0], usage=True) from None
    grid = parse_grid(args.grid)
    if args.n_jobs == 0:
        raise CLIError("--n-jobs must be a positive number of processes or -1 (all cores), not 0", usage=True)
    scheduler = getattr(args, "dask_scheduler", None)
    if scheduler and args.n_jobs != 1:
        raise CLIError(f"give --n-jobs {args.n_jobs} (processes on this machine) or --dask-scheduler "
                       f"{scheduler} (the cluster's workers), not both", usage=True)
    out_dir = _out_dir(args, spec)
    client = connect_dask(scheduler) if scheduler else None
    try:
        return _search(args, spec, grid, out_dir, client)
    finally:
        if client is not None:
            client.close()


def _search(args, spec, grid, out_dir, client):
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little") % 2**31
    set_random_seed(seed)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    (x_train, y_train), (x_test, y_test), class_names = _data.load(spec, seed, verbose=not args.quiet)
    num_classes = len(class_names)
    builder = MLPBuilder(spec.name, x_train, y_train, num_classes, args.hidden or spec.hidden,
                         args.activation, args.dropout or 0.0, args.optimizer, args.lr)
    fit_kwargs = {"epochs": args.epochs or spec.epochs, "batch_size": args.batch_size or spec.batch_size}
    try:        # every argument is checked before the first model trains
        search = model_selection.GridSearch(builder, grid, cv=args.cv, scoring=args.scoring,
                                            n_jobs=args.n_jobs, verbose=0 if args.quiet else 1,
                                            random_state=seed,
                                            executor=None if client is None else client.get_executor())
        model_selection.splits(args.cv, x_train, y_train)
        model_selection.check_scorers_for_targets(search.scorers, y_train)
    except ValueError as e:
        raise CLIError(str(e), usage=True) from None
    n = len(model_selection.ParameterGrid(grid))
    say(f"scratchnn search: {spec.description}")
    where = f"n_jobs {args.n_jobs}" if client is None else f"Dask scheduler {client.scheduler.address}"
    say(f"  {n} candidates x {args.cv} folds on {len(x_train)} training samples "
        f"({', '.join(f'{k}={v}' for k, v in fit_kwargs.items() if k not in grid)}); seed {seed}; {where}")
    t0 = time.perf_counter()
    search.fit(x_train, y_train, **fit_kwargs)
    wall = time.perf_counter() - t0

    os.makedirs(out_dir, exist_ok=True)
    table = search.results_table()
    score_name = search.scorer_names_.get("score", "score")
    test = search.best_model_.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
    test_score = search.score(x_test, y_test)
    best = ", ".join(f"{_shown(k)}={model_selection.format_value(v)}"
                     for k, v in search.best_params_.items())
    lines = [table, "",
             f"best: {best}: cross-validated {score_name} {search.best_score_:.4f} "
             f"+/- {search.results_[search.best_index_]['std_test_score']:.4f}",
             *sentence_lines(f"best refit on all {len(x_train)} training samples: test {score_name} "
                             f"{test_score:.4f} on {len(x_test)} held-out samples ("
                             + ", ".join(f"{k} {float(v):.4f}" for k, v in test.items()) + ")"),
             f"time: {wall:.1f} s for {n * search.n_splits_} fits and the refit ({where})"]
    print("\n".join(lines))
    search.results_to_csv(os.path.join(out_dir, "results.csv"))
    with open(os.path.join(out_dir, "results.txt"), "w") as f:
        command = command_lines(["scratchnn"] + list(getattr(args, "argv", [])))
        f.write("\n".join(command + [""] + lines) + "\n")
    varying = [k for k, v in grid.items() if len(v) > 1]
    if 1 <= len(varying) <= 2:
        from .. import plot
        plot.grid_heatmap(search, varying[-1], varying[0] if len(varying) == 2 else None,
                          path=os.path.join(out_dir, "heatmap.png"),
                          title=f"{spec.name}: mean {score_name} over {search.n_splits_} folds")
    search.best_model_.save(os.path.join(out_dir, "model.scratchnn"))
    record = {"dataset": spec.name, "kind": spec.kind, "task": spec.task, "class_names": class_names,
              "seed": seed, "command": " ".join(["scratchnn"] + list(getattr(args, "argv", []))),
              "search": {"grid": {k: [_jsonable(v) for v in vals] for k, vals in grid.items()},
                         "cv": search.n_splits_, "scoring": score_name,
                         "best_params": {k: _jsonable(v) for k, v in search.best_params_.items()},
                         "best_score": search.best_score_, "seconds": wall, "n_jobs": args.n_jobs,
                         "dask_scheduler": None if client is None else client.scheduler.address},
              "test": {k: float(v) for k, v in test.items()} | {score_name: test_score}}
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(record, f, indent=2)
    say(f"wrote {out_dir}/:")
    for line in sentence_lines(", ".join(sorted(os.listdir(out_dir))), width=WIDTH - 2, indent=""):
        say("  " + line)
    return 0


def _shown(name):
    return "lr" if name == "learning_rate" else name


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
