"""Successive halving: many candidates trained for a few epochs, the best of them for more, ...

A grid search trains every candidate for the full number of epochs, though a few epochs often
show which ones are hopeless. Successive halving (Jamieson and Talwalkar, 2016; scikit-learn's
``HalvingGridSearchCV``, with epochs as the resource) spends the epochs in rungs::

    search = HalvingGridSearch(build_mlp, {"units": [16, 64, 256], "learning_rate": [1e-4, 1e-3, 1e-2]},
                               factor=3, min_resource=2, cv=3, random_state=0)
    search.fit(x, y, batch_size=32)        # no epochs=: the rungs set them
    print(search.results_table())          # one row per candidate and rung
    search.n_candidates_, search.n_resources_      # [9, 3, 1], [2, 6, 18]

The schedule (``halving_schedule``): rung ``i`` trains ``n_i`` candidates for ``r_i`` epochs each,
cross-validated on every fold, and the best ``n_{i+1}`` of them (by mean test score) go on::

    n_0 = the number of candidates          n_{i+1} = ceil(n_i / factor)
    r_0 = min_resource                      r_{i+1} = factor * r_i

until a rung has a single candidate, or the next rung would train for more than
``max_resource`` epochs. The best candidate is the best of the last rung, refit on all the data
for that rung's epochs. The budget, in epochs trained by the search (``total_epochs_``)::

    n_folds * sum_i n_i * r_i          (plus r_last for the refit)

For 27 candidates, ``factor=3``, ``min_resource=1``: rungs of (27 candidates, 1 epoch), (9, 3),
(3, 9), (1, 27), i.e. 108 epochs per fold, where a grid search at 27 epochs trains 27 x 27 = 729.
Each rung costs about the same, ``n_0 * r_0`` epochs per fold; the price is that a candidate that
starts slowly may be dropped early.

Every rung trains fresh models, seeded as a grid search's fits are (from ``random_state`` and the
fold only): rung ``i`` gives exactly what ``GridSearch`` with ``epochs=r_i`` gives for the
candidates it trains, and the whole search gives the same results with ``n_jobs`` or
``executor=`` as in this process. Ties at a cut keep the candidate listed first.
"""
import math
from numbers import Integral

import numpy as np

from .search import GridSearch, RandomSearch
from .seeds import derive_seed


def _whole(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_halving(factor, resource, min_resource, max_resource):
    """The halving arguments checked (a clear error names the argument and the value received)."""
    if resource != "epochs":
        raise ValueError(f"resource must be 'epochs' (what the rungs give more of: training epochs), "
                         f"got {resource!r}")
    if not _whole(factor) or factor < 2:
        raise ValueError("factor must be a whole number of at least 2 (each rung keeps the best 1/factor of "
                         f"its candidates and trains them factor times longer), got {factor!r}")
    if not _whole(min_resource) or min_resource < 1:
        raise ValueError("min_resource must be a whole number of epochs of at least 1 (the first rung's "
                         f"epochs), got {min_resource!r}")
    if max_resource is not None and (not _whole(max_resource) or max_resource < min_resource):
        raise ValueError("max_resource must be None (no cap) or a whole number of epochs of at least "
                         f"min_resource={min_resource}, got {max_resource!r}")
    return int(factor), int(min_resource), None if max_resource is None else int(max_resource)


def halving_schedule(n_candidates, factor=3, min_resource=1, max_resource=None):
    """The rungs, as ``[(candidates, epochs), ...]``: ``halving_schedule(27, 3, 1)`` is
    ``[(27, 1), (9, 3), (3, 9), (1, 27)]``; ``halving_schedule(10, 3, 2, max_resource=6)`` is
    ``[(10, 2), (4, 6)]`` (the next rung would train for 18 epochs)."""
    factor, min_resource, max_resource = check_halving(factor, "epochs", min_resource, max_resource)
    if not _whole(n_candidates) or n_candidates < 1:
        raise ValueError(f"n_candidates must be a positive whole number, got {n_candidates!r}")
    rungs = [(int(n_candidates), min_resource)]
    while rungs[-1][0] > 1:
        n, epochs = rungs[-1]
        if max_resource is not None and epochs * factor > max_resource:
            break
        rungs.append((math.ceil(n / factor), epochs * factor))
    return rungs


class SuccessiveHalving:
    """The rungs that ``HalvingGridSearch`` and ``HalvingRandomSearch`` share: a mixin placed
    before ``GridSearch`` or ``RandomSearch``, which supply the candidates and the rest."""

    _columns = (("rung", "iter"), ("epochs", "epochs"), ("candidate", "candidate"))

    def _check_halving(self, factor, resource, min_resource, max_resource):
        self.factor, self.min_resource, self.max_resource = check_halving(factor, resource, min_resource,
                                                                          max_resource)
        self.resource = resource

    def _check_fit_kwargs(self, fit_kwargs, candidates):
        name = type(self).__name__
        if "epochs" in fit_kwargs:
            raise ValueError(f"{name} sets the epochs of every rung (min_resource={self.min_resource}, "
                             f"factor={self.factor}): remove epochs={fit_kwargs['epochs']!r} from fit(), "
                             "and give max_resource= to cap them")
        for params in candidates:
            if "epochs" in self._router.route(params)[1]:
                raise ValueError(f"{name} sets the epochs of every rung: a candidate may not set them too "
                                 f"(got {params}); remove epochs from the hyper-parameters")

    def _refit_fit_kwargs(self):
        return {"epochs": self.results_[self.best_index_]["epochs"]}

    def _search(self, payload, candidates, folds, base, n_jobs, executor):
        """Run the rungs; returns ``(rows, histories, results)``: one row per candidate and rung,
        with ``iter`` (the rung, from 0), ``epochs`` and ``candidate`` (its index in the order
        tried), and every fit's result."""
        schedule = halving_schedule(len(candidates), self.factor, self.min_resource, self.max_resource)
        build_fn, router, x, y, fit_kwargs, scorers, options = payload
        key = self._ranking_key
        alive = list(range(len(candidates)))
        rows, histories, results = [], [], []
        for rung, (n, epochs) in enumerate(schedule):
            rung_payload = (build_fn, router, x, y, {**fit_kwargs, "epochs": epochs}, scorers, options)
            tasks = [(i, k, candidates[i], train, test, derive_seed(base, 0, k))
                     for i in alive for k, (train, test) in enumerate(folds)]
            done = self._run(rung_payload, tasks, candidates, len(folds), n_jobs, executor,
                             f"{self._desc}: rung {rung + 1}/{len(schedule)}: {n} candidates x "
                             f"{len(folds)} folds x {epochs} epochs")
            rung_rows, rung_histories = self._rows(candidates, done, len(folds), indices=alive)
            for i, row in zip(alive, rung_rows):
                row.update({"iter": rung, "epochs": epochs, "candidate": i})
            rows += rung_rows
            histories += rung_histories
            results += done
            if rung + 1 < len(schedule):
                means = np.array([row[f"mean_test_{key}"] for row in rung_rows])
                means = np.where(np.isnan(means), -np.inf, means)
                best = np.argsort(-means, kind="stable")[:schedule[rung + 1][0]]
                alive = sorted(alive[j] for j in best)
        self.n_candidates_ = [n for n, _ in schedule]
        self.n_resources_ = [epochs for _, epochs in schedule]
        self.n_iterations_ = len(schedule)
        self.total_epochs_ = len(folds) * sum(n * epochs for n, epochs in schedule)
        return rows, histories, results


class HalvingGridSearch(SuccessiveHalving, GridSearch):
    """A grid search by successive halving: every combination of the grid trains for
    ``min_resource`` epochs, the best ``1/factor`` of them for ``factor`` times as many, ... (the
    schedule and the budget: ``model_selection.halving``).

    ``HalvingGridSearch(build_fn, param_grid, factor=3, resource='epochs', min_resource=1,
    max_resource=None, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1, random_state=None,
    return_train_score=False, error_score='raise', preprocess=None, executor=None)``, then
    ``fit(x, y, **fit_kwargs)`` without ``epochs`` (the rungs set them; a grid may not hold them
    either).

    * ``factor``: a whole number >= 2: each rung keeps ``ceil(n / factor)`` of its ``n`` candidates
      and trains them ``factor`` times longer;
    * ``resource``: ``'epochs'`` (scikit-learn's default, samples, is not offered: a network's
      cost grows with its epochs);
    * ``min_resource``: the first rung's epochs (a whole number >= 1);
    * ``max_resource``: no rung trains longer (None: the rungs go on until one candidate remains);
    * the rest as in ``GridSearch``: ``n_jobs`` or ``executor`` run every rung's fits.

    After ``fit``, as a grid search's (``best_params_``, ``best_score_``, ``best_model_``,
    ``results_table()``, ``results_to_csv(path)``, ...), except that ``results_`` holds one row per
    candidate and rung, with ``iter`` (the rung, from 0), ``epochs`` and ``candidate`` (the
    candidate's index in the order tried), and ``histories_`` one entry per row. ``rank_test_score``
    ranks the rows by rung first, then by score: rank 1 is the best of the last rung, the best
    candidate. Also ``n_candidates_`` and ``n_resources_`` (candidates and epochs per rung),
    ``n_iterations_`` (rungs) and ``total_epochs_`` (the epochs trained, over all fits).
    """

    _desc = "halving grid search"

    def __init__(self, build_fn, param_grid, factor=3, resource="epochs", min_resource=1, max_resource=None,
                 cv=5, scoring=None, refit=True, n_jobs=None, verbose=1, random_state=None,
                 return_train_score=False, error_score="raise", preprocess=None, executor=None):
        self._check_halving(factor, resource, min_resource, max_resource)
        super().__init__(build_fn, param_grid, cv=cv, scoring=scoring, refit=refit, n_jobs=n_jobs,
                         verbose=verbose, random_state=random_state, return_train_score=return_train_score,
                         error_score=error_score, preprocess=preprocess, executor=executor)


class HalvingRandomSearch(SuccessiveHalving, RandomSearch):
    """A random search by successive halving: ``n_candidates`` settings drawn as ``RandomSearch``
    draws them, then trained in rungs as ``HalvingGridSearch`` trains its grid.

    ``HalvingRandomSearch(build_fn, param_distributions, n_candidates=27, factor=3,
    resource='epochs', min_resource=1, max_resource=None, cv=5, ...)``, then
    ``fit(x, y, **fit_kwargs)`` without ``epochs``. Halving pays with many candidates: 27 with
    ``factor=3`` make four rungs (27, 9, 3, 1). The attributes after ``fit`` are
    ``HalvingGridSearch``'s.
    """

    _desc = "halving random search"

    def __init__(self, build_fn, param_distributions, n_candidates=27, factor=3, resource="epochs",
                 min_resource=1, max_resource=None, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1,
                 random_state=None, return_train_score=False, error_score="raise", preprocess=None,
                 executor=None):
        self._check_halving(factor, resource, min_resource, max_resource)
        if not _whole(n_candidates) or n_candidates < 1:
            raise ValueError(f"n_candidates must be a positive whole number of settings to draw, got "
                             f"{n_candidates!r}")
        self.n_candidates = n_candidates
        super().__init__(build_fn, param_distributions, n_iter=n_candidates, cv=cv, scoring=scoring,
                         refit=refit, n_jobs=n_jobs, verbose=verbose, random_state=random_state,
                         return_train_score=return_train_score, error_score=error_score,
                         preprocess=preprocess, executor=executor)
