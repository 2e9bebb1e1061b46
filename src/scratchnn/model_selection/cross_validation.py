"""Cross-validation: ``cross_validate`` and ``cross_val_score``, with ``CrossValidationResult``.

Train a fresh model on ``k - 1`` folds, score it on the remaining one, ``k`` times: every sample
is scored once, by a model that never saw it, and the mean of the ``k`` scores estimates how
well a model trained on all the data will do on new data.

    scores = cross_val_score(build, x, y, cv=5, epochs=20, batch_size=16, preprocess=StandardScaler())

Keyword arguments that are not cross_validate's own go to every ``model.fit`` (Keras-style);
``preprocess`` (a scaler) is fitted on each fold's training rows only (see ``preprocess``).
"""
import inspect

import numpy as np

from .building import check_build_optimizer
from .fitting import check_error_score, resolved_names, warn_failures
from .folds import splits
from .parallel import check_executor, check_n_jobs, check_picklable, run_fits
from .preprocess import check_preprocess
from .routing import Router, merge_fit_arguments
from .scoring import Scorer, check_scorers_for_targets, check_scoring
from .seeds import base_seed, derive_seed, own_random_state
from .targets import check_xy


class CrossValidationResult(dict):
    """What ``cross_validate`` returns: a dict of per-fold values (scikit-learn's keys), plus
    ``mean``, ``std`` and ``summary``.

    * ``'test_score'`` (one scorer) or ``'test_<name>'`` (several): the score of each fold's model
      on the fold it did not train on; ``'train_...'`` likewise with ``return_train_score=True``;
    * ``'fit_time'``, ``'score_time'``: seconds per fold;
    * ``'history'``: each fold's training history (``History.history``: loss and metrics per epoch);
    * ``'estimator'``: the trained models, with ``return_estimator=True`` (and ``'preprocess'``: each
      fold's fitted copy of ``preprocess``, when one is given; a model takes inputs transformed by it).

    ``scorer_names`` maps the keys to the scorers' names (``{'score': 'accuracy'}``).
    """

    scorer_names = {}

    def mean(self, key=None):
        """The mean over the folds of ``self[key]`` (default: the first test score)."""
        return float(np.mean(self[key or self._first_test()]))

    def std(self, key=None):
        """The standard deviation over the folds (NumPy's default, ddof=0, as scikit-learn's tables)."""
        return float(np.std(self[key or self._first_test()]))

    def _first_test(self):
        return next(k for k in self if k.startswith("test_"))

    def summary(self):
        """One line per score: ``accuracy: 0.9670 +/- 0.0121 (5 folds; 0.41 s per fit)``."""
        lines = []
        for key in self:
            if key.startswith(("test_", "train_")):
                part, _, name = key.partition("_")
                label = self.scorer_names.get(name, name)
                values = np.asarray(self[key])
                lines.append(f"{label} ({part}): {values.mean():.4f} +/- {values.std():.4f} "
                             f"({len(values)} folds; {np.mean(self['fit_time']):.2f} s per fit)")
        return "\n".join(lines)

    def __str__(self):
        return self.summary()


def cross_validate(build_fn, x, y, cv=5, scoring=None, fit_kwargs=None, params=None, n_jobs=None, verbose=1,
                   random_state=None, return_train_score=False, return_estimator=False, error_score="raise",
                   preprocess=None, executor=None, **fit_arguments):
    """Cross-validate the model ``build_fn()`` makes: for each of the ``k`` folds, a fresh model
    trains on the other ``k - 1`` folds and is scored on this one.

    With ``k`` folds every sample is scored exactly once, by a model that never saw it, and the
    mean of the ``k`` scores estimates how well a model trained on all the data will do on new
    data (their standard deviation says how much that estimate moves with the data).

    * ``build_fn``: a function returning a new *compiled* model, called once per fold (never
      reused, so no weight or optimizer state leaks from one fold into the next; a model it returned
      before is refused, and each fit trains a copy of the optimizer it compiled with);
    * ``cv``: a number of folds (``StratifiedKFold`` for class labels y, keeping each class's share
      in every fold; ``KFold`` for other targets), or a splitter such as ``KFold(5, shuffle=True,
      random_state=0)``, or a list of ``(train_indices, test_indices)``. Stratifying with more
      folds than the smallest class has samples is an error (scikit-learn only warns);
    * ``scoring``: a name (``get_scorer_names()``: ``'accuracy'``, ``'f1'``, ``'roc_auc'``,
      ``'r2'``, ``'neg_mean_squared_error'``, ...), a function ``scorer(model, x, y)``, or a
      list/dict of them. Default: ``'accuracy'`` for a classification loss, ``'r2'`` for a
      regression loss, otherwise the model's own loss negated (``'neg_loss'``);
    * ``epochs=20, batch_size=16, ...`` (any keyword that is not one of these arguments), or
      ``fit_kwargs={'epochs': 20, ...}``: arguments for every ``model.fit``; a name ``fit`` does not
      take here is an error, before anything is trained;
    * ``preprocess``: a transformer such as ``StandardScaler()`` (``fit`` and ``transform``): a copy
      is fitted on each fold's training rows only, and transforms them and the held-out rows, so
      no statistic of the rows a model is scored on leaks into its inputs (scaling ``x`` before
      cross-validation would leak them);
    * ``params``: hyper-parameters routed as in a search (``{'learning_rate': 0.01, 'units': 64}``);
    * ``n_jobs``: folds trained in parallel processes (see ``GridSearch``); or ``executor``: your
      ``concurrent.futures.Executor`` runs them (a ``ProcessPoolExecutor``, a Dask client's
      ``get_executor()``; not both, see ``GridSearch``); the results are the same either way;
    * ``verbose``: a progress bar (0: none); ``random_state``: seeds every fold's model (int), or
      None (fresh);
    * ``error_score``: ``'raise'`` (default) or a number (e.g. ``np.nan``) that scores a fit that
      failed, with a warning.

    Returns a ``CrossValidationResult``: ``result['test_score']`` (per fold), ``'fit_time'``,
    ``'score_time'``, ``'history'`` (per fold), ``result.mean()``, ``result.std()``, ``result.summary()``.
    All the arguments are checked before anything is trained (and built, except that an
    ``optimizer__<name>`` without ``optimizer`` is checked against one model built for it).
    """
    router = Router(build_fn)
    params = dict(params or {})
    router.route(params)
    x, y = check_xy(x, y)
    fit_kwargs = merge_fit_arguments("cross_validate", fit_kwargs, fit_arguments, own=_OWN)
    preprocess = check_preprocess(preprocess)
    scorers, multi = check_scoring(scoring)
    check_scorers_for_targets(scorers, y)
    executor = check_executor(executor, n_jobs)
    n_jobs = check_n_jobs(n_jobs)
    check_error_score(error_score)
    folds = splits(cv, x, y)
    base = base_seed(random_state)
    check_picklable(n_jobs, executor, build_fn=build_fn, scoring=scorers, fit_kwargs=fit_kwargs,
                    params=params, preprocess=preprocess)
    check_build_optimizer(build_fn, router, [params])
    options = {"train_score": bool(return_train_score), "return_model": bool(return_estimator),
               "error_score": error_score, "preprocess": preprocess}
    payload = (build_fn, router, x, y, fit_kwargs, scorers, options)
    tasks = [(0, k, params, train, test, derive_seed(base, 0, k)) for k, (train, test) in enumerate(folds)]
    with own_random_state():
        results = run_fits(payload, tasks, n_jobs, verbose, "cross-validation", executor=executor)
    warn_failures(results)
    out = CrossValidationResult()
    out["fit_time"] = np.array([r["fit_time"] for r in results])
    out["score_time"] = np.array([r["score_time"] for r in results])
    for key in scorers:
        out[f"test_{key}"] = np.array([r["scores"][key] for r in results])
        if return_train_score:
            out[f"train_{key}"] = np.array([r["train_scores"][key] for r in results])
    out["history"] = [r["history"] for r in results]
    if return_estimator:
        out["estimator"] = [r["model"] for r in results]
        if preprocess is not None:
            out["preprocess"] = [r["preprocess"] for r in results]
    out.scorer_names = resolved_names(results, scorers)
    return out


def cross_val_score(build_fn, x, y, cv=5, scoring=None, fit_kwargs=None, params=None, n_jobs=None, verbose=1,
                    random_state=None, preprocess=None, executor=None, **fit_arguments):
    """The test score of each fold, as an array: ``cross_validate(...)['test_score']`` (one scorer).

    ``cross_val_score(build, x, y, cv=5, epochs=20, preprocess=StandardScaler())``: the keywords
    that are not its own go to every ``model.fit``, as in ``cross_validate``."""
    if scoring is not None and not isinstance(scoring, (str, Scorer)) and not callable(scoring):
        raise ValueError(f"cross_val_score takes one scorer (a name or a function); got {scoring!r}: "
                         "use cross_validate for several")
    fit_kwargs = merge_fit_arguments("cross_val_score", fit_kwargs, fit_arguments, own=_OWN_SCORE)
    return cross_validate(build_fn, x, y, cv=cv, scoring=scoring, fit_kwargs=fit_kwargs, params=params,
                          n_jobs=n_jobs, verbose=verbose, random_state=random_state,
                          preprocess=preprocess, executor=executor)["test_score"]


#: The parameters of the two functions (for "did you mean ...?" when a keyword is misspelt).
_OWN = tuple(inspect.signature(cross_validate).parameters)[:-1]
_OWN_SCORE = tuple(inspect.signature(cross_val_score).parameters)[:-1]
