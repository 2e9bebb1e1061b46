"""One fit of a search: build a fresh model for a candidate, train it on a fold, score it.

With ``preprocess`` (a scaler), a copy of it is fitted on the fold's training rows and transforms
them and the held-out rows before the model trains and is scored (``preprocess.py``).

``fit_and_score_safely`` runs one task (a candidate on a fold, with its seed) and returns its
scores, times and training history; a fit that fails either raises (``error_score='raise'``)
or is scored with ``error_score``. ``warn_failures`` and ``resolved_names`` read a run's results.

One process trains one model at a time (``FIT_LOCK``): scratchnn's random generator and its
autograd switch (``no_grad``) belong to the process, so two fits in two threads would draw from
one generator and switch gradients off for each other. Threads of an executor take turns.
"""
import copy
import threading
import time
import warnings
from numbers import Real

from .. import random as _random
from .building import build_model
from .preprocess import fit_preprocess
from .scoring import default_scorer_name, get_scorer, score_all
from .seeds import own_random_state


def _fit_and_score(payload, task):
    """One fit: build a fresh model for ``params``, train it on ``train`` and score it on ``test``."""
    build_fn, router, x, y, fit_kwargs, scorers, options = payload
    index, fold, params, train, test, seed = task
    with own_random_state():
        _random.set_seed(seed)
        model_kw, fit_kw, opt_kw = router.route(params)
        model = build_model(build_fn, model_kw, opt_kw)
        resolved = {k: (s if s is not None else get_scorer(default_scorer_name(model)))
                    for k, s in scorers.items()}
        kw = {**copy.deepcopy(fit_kwargs), **fit_kw}
        t0 = time.perf_counter()
        # preprocess (a scaler) learns from the training rows only, then transforms both parts
        fitted, x_train, x_test = fit_preprocess(options.get("preprocess"), x[train], x[test])
        history = model.fit(x_train, y[train], verbose=0, **kw)
        fit_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = score_all(resolved, model, x_test, y[test])
        score_time = time.perf_counter() - t0
        train_scores = score_all(resolved, model, x_train, y[train]) if options["train_score"] else None
    logs = getattr(history, "history", {}) or {}
    return {"index": index, "fold": fold, "scores": scores, "train_scores": train_scores,
            "fit_time": fit_time, "score_time": score_time,
            "history": {k: [float(v) for v in vals] for k, vals in logs.items()},
            "scorer_names": {k: getattr(s, "name", getattr(s, "__name__", k)) for k, s in resolved.items()},
            "model": model if options["return_model"] else None,
            "preprocess": fitted if options["return_model"] else None, "error": None}


#: Held while a fit runs: the fits of one process run one at a time (see the module's docstring).
FIT_LOCK = threading.RLock()


def fit_and_score_safely(payload, task):
    """One fit (``payload``: what every task shares; ``task``: ``(index, fold, params, train, test,
    seed)``); a failure raises with ``error_score='raise'``, else is scored ``error_score``."""
    error_score = payload[6]["error_score"]
    try:
        with FIT_LOCK:
            return _fit_and_score(payload, task)
    except Exception as exc:
        if isinstance(error_score, str):           # 'raise'
            if hasattr(exc, "add_note"):
                exc.add_note(f"(while fitting hyper-parameters {task[2]} on fold {task[1]})")
            raise
        scores = {k: float(error_score) for k in payload[5]}
        return {"index": task[0], "fold": task[1], "scores": scores,
                "train_scores": dict(scores) if payload[6]["train_score"] else None,
                "fit_time": 0.0, "score_time": 0.0, "history": {}, "scorer_names": {}, "model": None,
                "preprocess": None, "error": f"{type(exc).__name__}: {exc}"}


def warn_failures(results):
    """Warn when fits failed (scored with ``error_score``); raise when every one did."""
    failed = [r for r in results if r["error"]]
    if failed:
        warnings.warn(f"{len(failed)} of {len(results)} fits failed and were scored with error_score; "
                      f"the first: {failed[0]['error']}", UserWarning, stacklevel=3)
        if len(failed) == len(results):
            raise RuntimeError(f"all {len(results)} fits failed; the first: {failed[0]['error']}")


def resolved_names(results, scorers):
    """``{key: scorer name}`` as the fits resolved them (the default scorer gets its real name)."""
    names = {}
    for r in results:
        for k, v in r["scorer_names"].items():
            if names.setdefault(k, v) != v:
                warnings.warn(f"the default scorer differs between candidates ({names[k]!r} and {v!r}): "
                              "their losses differ; pass scoring= to compare them on one measure",
                              UserWarning, stacklevel=3)
    for k, s in scorers.items():
        names.setdefault(k, getattr(s, "name", getattr(s, "__name__", k)) if s is not None else k)
    return names


def check_error_score(error_score):
    """``error_score`` must be ``'raise'`` or a number (checked before anything is trained)."""
    if isinstance(error_score, str):
        if error_score != "raise":
            raise ValueError(f"error_score must be 'raise' or a number such as np.nan, got {error_score!r}")
    elif not isinstance(error_score, Real) or isinstance(error_score, bool):
        raise ValueError(f"error_score must be 'raise' or a number such as np.nan, got {error_score!r}")
