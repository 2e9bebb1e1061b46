"""Grid search and random search: every candidate cross-validated, ranked, the best refit.

``GridSearch`` tries every combination of a grid, ``RandomSearch`` ``n_iter`` random draws;
both rank the candidates by their mean test score, refit the best on all the data
(``best_model_``), and show the results as a table (``results_table()``) or CSV
(``results_to_csv(path)``). ``format_value`` writes a hyper-parameter value as the tables (and
``scratchnn.plot``) show it. ``preprocess=StandardScaler()`` scales inside every fit, with the
statistics of that fit's training rows only (``preprocess.py``).
"""
import copy
import csv
import io
import time

import numpy as np

from .. import random as _random
from .building import build_model, check_build_optimizer
from .candidates import ParameterGrid, ParameterSampler
from .fitting import check_error_score, resolved_names, warn_failures
from .folds import splits
from .parallel import check_executor, check_n_jobs, check_picklable, run_fits
from .preprocess import check_preprocess, fit_preprocess
from .routing import Router, check_fit_kwargs
from .scoring import check_scorers_for_targets, check_scoring, get_scorer, score_all
from .seeds import base_seed, derive_seed, own_random_state
from .targets import check_xy


def format_value(value):
    """A hyper-parameter value for tables and plots: ``0.001``, ``64``, ``relu``; a tuple of layer
    widths ``(64, 32)`` reads ``64x32``, and ``(16,)`` reads ``16``."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, str):
        return value
    if isinstance(value, tuple) and value and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                                  for v in value):
        return "x".join(str(int(v)) for v in value)
    if isinstance(value, type) or callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return str(value)


class BaseSearch:
    """The machinery shared by the searches (``GridSearch``, ``RandomSearch`` and the halving
    searches of ``halving.py``): each candidate setting is cross-validated, the results ranked,
    the best one refit on all the data.

    A search that runs its fits differently (in rungs) overrides ``_search``; one whose rows carry
    more columns sets ``_columns`` (``(header, key)`` pairs shown after the rank)."""

    _desc = "search"
    _columns = ()

    def __init__(self, build_fn, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1, random_state=None,
                 return_train_score=False, error_score="raise", preprocess=None, executor=None):
        self.build_fn = build_fn
        self.preprocess = check_preprocess(preprocess)
        self._router = Router(build_fn)
        self.cv = cv
        self.scoring = scoring
        self._scorers, self._multimetric = check_scoring(scoring)
        self.refit = refit
        self._ranking_key = self._check_refit(refit)
        self.n_jobs = n_jobs
        check_n_jobs(n_jobs)
        self.executor = check_executor(executor, n_jobs)
        self.verbose = verbose
        self.random_state = random_state
        if random_state is not None:
            base_seed(random_state)          # checked now
        self.return_train_score = return_train_score
        self.error_score = error_score
        check_error_score(error_score)


    @property
    def scorers(self):
        """``{name: Scorer}``: the scores this search computes (``scoring``, resolved)."""
        return dict(self._scorers)

    @property
    def ranking_key(self):
        """The key of the score the candidates are ranked by (``refit``'s, or the only score)."""
        return self._ranking_key

    def _check_refit(self, refit):
        keys = list(self._scorers)
        if isinstance(refit, str):
            if refit not in keys:
                raise ValueError(f"refit={refit!r} names no scorer; the scorers are {keys}")
            return refit
        if not isinstance(refit, (bool, np.bool_)):
            raise ValueError(f"refit must be True, False or the name of a scorer, got {refit!r}")
        if refit and self._multimetric and len(keys) > 1:
            raise ValueError(f"with several scorers ({', '.join(keys)}), refit must name the one that "
                             "picks the best candidate, e.g. refit='accuracy' (or refit=False: ranked by "
                             "the first)")
        return keys[0]

    def _candidates(self):                      # pragma: no cover - defined by the subclasses
        raise NotImplementedError

    def fit(self, x, y, **fit_kwargs):
        """Cross-validate every candidate on ``(x, y)`` and refit the best one on all of it.

        ``fit_kwargs`` go to every ``model.fit`` (``epochs=20``, ``batch_size=32``, ...); a
        candidate's own fit hyper-parameters override them. Everything is checked (the names of the
        hyper-parameters, the scorers against the classes, ``cv`` against the smallest class,
        picklability for ``n_jobs > 1``) before the first model is trained (an ``optimizer__<name>``
        without ``optimizer`` against one model built for it). Returns the search itself.
        """
        base = base_seed(self.random_state)
        self.seed_ = base
        candidates = self._candidates(base)
        for params in candidates:
            self._router.route(params)
        x, y = check_xy(x, y)
        fit_kwargs = check_fit_kwargs(fit_kwargs)
        self._check_fit_kwargs(fit_kwargs, candidates)
        n_jobs = check_n_jobs(self.n_jobs)
        executor = check_executor(self.executor, self.n_jobs)
        folds = splits(self.cv, x, y)
        scorers = self._scorers
        check_scorers_for_targets(scorers, y)
        check_picklable(n_jobs, executor, build_fn=self.build_fn, scoring=scorers, fit_kwargs=fit_kwargs,
                        candidates=candidates, preprocess=self.preprocess)
        check_build_optimizer(self.build_fn, self._router, candidates)
        options = {"train_score": bool(self.return_train_score), "return_model": False,
                   "error_score": self.error_score, "preprocess": self.preprocess}
        payload = (self.build_fn, self._router, x, y, fit_kwargs, scorers, options)
        key = self._ranking_key
        t0 = time.perf_counter()
        with own_random_state():
            rows, histories, results = self._search(payload, candidates, folds, base, n_jobs, executor)
        self.search_time_ = time.perf_counter() - t0
        warn_failures(results)
        self.n_splits_ = len(folds)
        self.scorer_names_ = resolved_names(results, scorers)
        self._rank(rows, histories)
        self.refit_time_ = None
        self.best_model_ = self.best_preprocess_ = None
        if self.refit is not False:
            t0 = time.perf_counter()
            with own_random_state():
                _random.set_seed(derive_seed(base, 1))
                model_kw, fit_kw, opt_kw = self._router.route(self.best_params_)
                model = build_model(self.build_fn, model_kw, opt_kw)
                fitted, x_all = fit_preprocess(self.preprocess, x)
                model.fit(x_all, y, verbose=0, **{**copy.deepcopy(fit_kwargs), **fit_kw,
                                                   **self._refit_fit_kwargs()})
            self.best_model_, self.best_preprocess_ = model, fitted
            self.refit_time_ = time.perf_counter() - t0
        if self.verbose and self.verbose >= 2:
            name = self.scorer_names_.get(key, key)
            row = self.results_[self.best_index_]
            text = ", ".join(f"{n}={format_value(v)}" for n, v in self.best_params_.items())
            refit = "" if self.refit_time_ is None else \
                f"; refit on all {len(x)} samples in {self.refit_time_:.1f} s"
            print(f"best of {len(candidates)}: {text}: {name} {row[f'mean_test_{key}']:.4f} +/- "
                  f"{row[f'std_test_{key}']:.4f} ({len(folds)}-fold CV, {self.search_time_:.1f} s{refit})")
        return self

    def _check_fit_kwargs(self, fit_kwargs, candidates):
        """A search that sets some fit arguments itself refuses them here (none for this one)."""

    def _refit_fit_kwargs(self):
        """Fit arguments of the refit beyond the best candidate's own (none for this one)."""
        return {}

    def _search(self, payload, candidates, folds, base, n_jobs, executor):
        """Cross-validate every candidate: returns ``(rows, histories, results)``, one row per
        candidate (``_rows``), its folds' histories, and every fit's result."""
        tasks = [(i, k, params, train, test, derive_seed(base, 0, k))
                 for i, params in enumerate(candidates) for k, (train, test) in enumerate(folds)]
        results = self._run(payload, tasks, candidates, len(folds), n_jobs, executor,
                            f"{self._desc}: {len(candidates)} candidates x {len(folds)} folds")
        rows, histories = self._rows(candidates, results, len(folds))
        return rows, histories, results

    def _run(self, payload, tasks, candidates, n_folds, n_jobs, executor, desc):
        """Run ``tasks`` with a progress bar that shows the best mean score so far (and, with
        ``verbose=2``, a line per candidate as its last fold completes)."""
        done = {}
        best = [-np.inf]
        key = self._ranking_key

        def on_result(result, bar):             # the best mean so far, as candidates complete
            done.setdefault(result["index"], []).append(result["scores"][key])
            scores = done[result["index"]]
            if len(scores) == n_folds:
                mean = float(np.mean(scores))
                if mean > best[0]:
                    best[0] = mean
                    bar.set_postfix_str(f"best {result['scorer_names'].get(key, key)} {mean:.4f}")
                if self.verbose and self.verbose >= 2:
                    params = candidates[result["index"]]
                    text = ", ".join(f"{n}={format_value(v)}" for n, v in params.items())
                    bar.write(f"[{result['index'] + 1}/{len(candidates)}] {text}: {mean:.4f} +/- "
                              f"{np.std(scores):.4f}")

        return run_fits(payload, tasks, n_jobs, self.verbose, desc, on_result, executor=executor)

    def _rows(self, candidates, results, n_folds, indices=None):
        """One row per candidate (``indices``: which of ``candidates`` the results are for; all by
        default), with the mean, standard deviation and per-fold values of every score, and the
        folds' training histories."""
        by = {(r["index"], r["fold"]): r for r in results}
        rows, histories = [], []
        for i in range(len(candidates)) if indices is None else indices:
            fold_results = [by[(i, k)] for k in range(n_folds)]
            row = {"params": dict(candidates[i])}
            for key in self._scorers:
                for part in ("test", "train") if self.return_train_score else ("test",):
                    values = np.array([r[f"{part}_scores" if part == "train" else "scores"][key]
                                       for r in fold_results])
                    row[f"mean_{part}_{key}"] = float(np.mean(values))
                    row[f"std_{part}_{key}"] = float(np.std(values))
                    row[f"{part}_{key}"] = [float(v) for v in values]
            fit_times = np.array([r["fit_time"] for r in fold_results])
            row["mean_fit_time"] = float(fit_times.mean())
            row["std_fit_time"] = float(fit_times.std())
            row["mean_score_time"] = float(np.mean([r["score_time"] for r in fold_results]))
            rows.append(row)
            histories.append([r["history"] for r in fold_results])
        return rows, histories

    def _rank(self, rows, histories):
        """Rank the rows by each score (1 = best; ties share the best rank; a row's ``iter``, where
        there is one, counts first: a candidate that reached a later rung ranks above those that did
        not); the best row gives ``best_index_``, ``best_params_`` and ``best_score_``."""
        iters = np.array([row.get("iter", 0) for row in rows])
        later = iters[None, :] > iters[:, None]
        same = iters[None, :] == iters[:, None]
        for key in self._scorers:
            means = np.array([row[f"mean_test_{key}"] for row in rows])
            means = np.where(np.isnan(means), -np.inf, means)
            ranks = 1 + (later | (same & (means[None, :] > means[:, None]))).sum(axis=1)
            for row, rank in zip(rows, ranks):
                row[f"rank_test_{key}"] = int(rank)
        self.results_ = rows
        self.histories_ = histories
        key = self._ranking_key
        self.best_index_ = int(np.flatnonzero(np.array([r[f"rank_test_{key}"] for r in rows]) == 1)[0])
        self.best_params_ = dict(rows[self.best_index_]["params"])
        self.best_score_ = rows[self.best_index_][f"mean_test_{key}"]

    # ------------------------------------------------------------------ reading the results
    def _check_fitted(self, what):
        if not hasattr(self, "results_"):
            raise RuntimeError(f"call fit(x, y) before {what}")

    def _param_names(self):
        names = []
        for row in self.results_:
            for n in row["params"]:
                if n not in names:
                    names.append(n)
        return names

    def results_table(self, top=None, times=True):
        """The candidates as a text table, best first: rank, hyper-parameters, mean +/- std of each
        score over the folds, and the mean seconds per fit. ``top``: only the first rows;
        ``times=False``: without the seconds (two runs of one search then give the same text,
        wherever their fits ran)."""
        self._check_fitted("results_table()")
        key = self._ranking_key
        order = sorted(range(len(self.results_)), key=lambda i: (self.results_[i][f"rank_test_{key}"], i))
        if top is not None:
            order = order[:top]
        names = self._param_names()
        keys = [key] + [k for k in self._scorers if k != key]
        extra = [c for c, _ in self._columns]
        header = (["rank"] + extra + names + [f"{self.scorer_names_.get(k, k)} (mean +/- std)" for k in keys]
                  + (["s/fit"] if times else []))
        body = []
        for i in order:
            row = self.results_[i]
            body.append([str(row[f"rank_test_{key}"])] + [str(row[k]) for _, k in self._columns]
                        + [format_value(row["params"][n]) if n in row["params"] else "-" for n in names]
                        + [f"{row[f'mean_test_{k}']:.4f} +/- {row[f'std_test_{k}']:.4f}" for k in keys]
                        + ([f"{row['mean_fit_time']:.2f}"] if times else []))
        widths = [max(len(r[c]) for r in [header] + body) for c in range(len(header))]
        left = range(1 + len(extra), 1 + len(extra) + len(names))      # the hyper-parameters
        lines = ["  ".join(cell.ljust(w) if c in left else cell.rjust(w)
                           for c, (cell, w) in enumerate(zip(r, widths))).rstrip() for r in [header] + body]
        return "\n".join(lines)

    def results_to_csv(self, path):
        """Write the results as CSV (one row per candidate, in the order tried): ``param_<name>``,
        ``rank_test_<key>``, ``mean_test_<key>``, ``std_test_<key>``, ``split<k>_test_<key>``, times."""
        self._check_fitted("results_to_csv()")
        names = self._param_names()
        columns = [k for _, k in self._columns] + [f"param_{n}" for n in names]
        for key in self._scorers:
            columns += [f"rank_test_{key}", f"mean_test_{key}", f"std_test_{key}"]
            columns += [f"split{k}_test_{key}" for k in range(self.n_splits_)]
            if self.return_train_score:
                columns += [f"mean_train_{key}", f"std_train_{key}"]
        columns += ["mean_fit_time", "std_fit_time", "mean_score_time"]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in self.results_:
            flat = {f"param_{n}": format_value(v) for n, v in row["params"].items()}
            for key in self._scorers:
                flat.update({f"split{k}_test_{key}": v for k, v in enumerate(row[f"test_{key}"])})
            writer.writerow([flat.get(c, row.get(c, "")) for c in columns])
        with open(path, "w", newline="") as f:
            f.write(buffer.getvalue())

    def _inputs(self, x):
        """``x`` as ``best_model_`` takes it: transformed by ``best_preprocess_`` when there is one."""
        return x if self.best_preprocess_ is None else self.best_preprocess_.transform(x)

    def predict(self, x, **kwargs):
        """``best_model_.predict(x)`` (needs ``refit``), after ``best_preprocess_`` if any."""
        model = self._best_model("predict")
        return model.predict(self._inputs(x), **{"verbose": 0, **kwargs})

    def score(self, x, y):
        """The ranking scorer's score of ``best_model_`` on ``(x, y)`` (``x`` preprocessed as in
        ``predict``)."""
        model = self._best_model("score")
        scorer = self._scorers[self._ranking_key] or get_scorer(self.scorer_names_[self._ranking_key])
        x, y = check_xy(x, y)
        return float(score_all({"s": scorer}, model, self._inputs(x), y)["s"])

    def _best_model(self, what):
        self._check_fitted(f"{what}()")
        if self.best_model_ is None:
            raise RuntimeError(f"{what}() uses the best model refit on all the data; this search ran with "
                               "refit=False")
        return self.best_model_

    def __repr__(self):
        return f"{type(self).__name__}({getattr(self.build_fn, '__name__', 'build_fn')}, cv={self.cv!r})"


class GridSearch(BaseSearch):
    """Try every combination of hyper-parameter values, each cross-validated; keep the best.

    ``GridSearch(build_fn, param_grid, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1,
    random_state=None, return_train_score=False, error_score='raise', preprocess=None,
    executor=None)``, then ``fit(x, y, **fit_kwargs)``.

    * ``param_grid``: ``{name: [values]}`` or a list of such dicts (e.g. one grid for SGD with its
      momentum, another for Adam); names go to the model, the optimizer or fit (the rules are in
      ``model_selection.routing``), e.g. ``{'units': [16, 64], 'learning_rate': [1e-3, 1e-2],
      'batch_size': [16, 64]}``: 8 candidates, each trained ``cv`` times;
    * ``cv``, ``scoring``: as in ``cross_validate``. With several scorers, ``refit`` names the one
      that ranks the candidates (and picks the best);
    * ``refit``: train the best candidate again on all the data (``best_model_``); False to skip;
    * ``n_jobs``: fits run in that many spawned worker processes (-1: one per core). Each worker
      gets ``cpu_count // n_jobs`` BLAS threads, so that parallel fits do not fight over cores.
      ``build_fn`` must then be picklable: a function defined with ``def`` at the top level of a
      module (not a lambda, not nested in another function, not typed into a notebook), and a
      script must start the search under ``if __name__ == "__main__":`` (the workers import the
      script's module again, as Python's ``spawn`` start method does). The results equal those of
      ``n_jobs=1``: every fit is seeded the same way wherever it runs;
    * ``executor``: run the fits on your own ``concurrent.futures.Executor`` instead: a
      ``ProcessPoolExecutor``, or a Dask cluster's ``Client(address).get_executor()`` (install
      ``scratchnn[dask]``), which spreads them over its machines. The search submits one fit per
      candidate and fold, each with the data and ``build_fn`` (pickled, as for ``n_jobs``), and
      never shuts the executor down. Its workers' BLAS threads are yours to set (Dask's workers
      use one each; give a process pool's workers ``OPENBLAS_NUM_THREADS=1`` or so). Give
      ``n_jobs`` or ``executor``, not both (an ``n_jobs`` above 1 with an executor is an error).
      The results equal those of ``n_jobs=1`` here too. A ``ThreadPoolExecutor`` works but trains
      one model at a time (scratchnn's random generator and autograd switch belong to the
      process): use processes for speed;
    * ``verbose``: 1 shows a progress bar over candidates x folds and the best result; 2 also a
      line per candidate; 0 nothing. Every fit itself runs with ``verbose=0``;
    * ``random_state``: an int makes the search repeatable (``seed_`` records the seed used);
    * ``preprocess``: a transformer such as ``StandardScaler()``, fitted (a copy of it) on the
      training rows of each fit only: give the search the raw ``x``. Scaling ``x`` before the
      search would show every fold's model statistics of the rows it is scored on (a leak that
      makes the scores optimistic).

    After ``fit``:

    * ``results_``: one dict per candidate (in the order tried): ``params``, ``mean_test_score``,
      ``std_test_score``, ``test_score`` (per fold), ``rank_test_score`` (1 = best; ties share a
      rank), ``mean_fit_time``, ... (``score`` becomes each scorer's name when there are several);
    * ``best_params_``, ``best_score_`` (its mean test score), ``best_index_``, ``best_model_``, and
      ``best_preprocess_``: ``preprocess`` fitted on all the rows, which ``best_model_``'s inputs
      go through (``predict(x)`` and ``score(x, y)`` apply it; None without ``preprocess``);
    * ``histories_``: per candidate, the training history of each fold;
    * ``results_table()``: the ranked table as text; ``results_to_csv(path)``;
      ``scratchnn.plot.grid_heatmap(search)``: the mean score over two hyper-parameters.
    """

    _desc = "grid search"

    def __init__(self, build_fn, param_grid, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1,
                 random_state=None, return_train_score=False, error_score="raise", preprocess=None,
                 executor=None):
        super().__init__(build_fn, cv=cv, scoring=scoring, refit=refit, n_jobs=n_jobs, verbose=verbose,
                         random_state=random_state, return_train_score=return_train_score,
                         error_score=error_score, preprocess=preprocess, executor=executor)
        self.param_grid = param_grid
        self._grid = ParameterGrid(param_grid)
        for params in self._grid:            # unknown names fail now, not after the first fits
            self._router.route(params)

    def _candidates(self, base):
        return list(self._grid)


class RandomSearch(BaseSearch):
    """Try ``n_iter`` hyper-parameter settings drawn at random, each cross-validated; keep the best.

    ``RandomSearch(build_fn, param_distributions, n_iter=10, cv=5, scoring=None, refit=True,
    n_jobs=None, verbose=1, random_state=None, ..., executor=None)``, then ``fit(x, y, **fit_kwargs)``.

    ``param_distributions``: ``{name: list or distribution}``: a list is drawn from uniformly, a
    distribution with ``rvs`` (``loguniform(1e-4, 1e-1)``, ``scipy.stats`` ones) sampled; see
    ``ParameterSampler``. With the same budget, random search explores many more values of each
    hyper-parameter than a grid (Bergstra and Bengio, 2012), which pays when only a few of them
    matter. The rest (attributes, ``n_jobs``, ``executor``, ``verbose``, ``preprocess``, routing) is as in
    ``GridSearch``; the settings drawn depend on ``random_state`` only.
    """

    _desc = "random search"

    def __init__(self, build_fn, param_distributions, n_iter=10, cv=5, scoring=None, refit=True, n_jobs=None,
                 verbose=1, random_state=None, return_train_score=False, error_score="raise",
                 preprocess=None, executor=None):
        super().__init__(build_fn, cv=cv, scoring=scoring, refit=refit, n_jobs=n_jobs, verbose=verbose,
                         random_state=random_state, return_train_score=return_train_score,
                         error_score=error_score, preprocess=preprocess, executor=executor)
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self._sampler = ParameterSampler(param_distributions, n_iter)
        for g in self._sampler.param_distributions:      # the names are checked now
            self._router.route({name: (v[0] if isinstance(v, list) else v.rvs(random_state=0))
                                for name, v in g.items()})

    def _candidates(self, base):
        sampler = ParameterSampler(self.param_distributions, self.n_iter, random_state=derive_seed(base, 2))
        return list(sampler)
