"""Model selection: cross-validation, grid search and random search over scratchnn models.

Which hyper-parameters (width, depth, learning rate, batch size, ...) give the best network? The
honest way to answer is to train a *fresh* model for every setting on part of the data and score
it on the rest, several times over (k-fold cross-validation), and compare the mean scores::

    from scratchnn import layers, model_selection, Sequential

    def build_mlp(units=32, activation="relu"):          # returns a compiled model
        model = Sequential([layers.Input((30,)), layers.Dense(units, activation=activation),
                            layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    cv = model_selection.cross_validate(build_mlp, x, y, cv=5, fit_kwargs={"epochs": 20})
    print(cv.summary())              # accuracy (test): 0.9670 +/- 0.0121 (5 folds; 0.41 s per fit)

    search = model_selection.GridSearch(build_mlp, {"units": [16, 64], "learning_rate": [1e-3, 1e-2],
                                                    "batch_size": [16, 64]}, cv=5)
    search.fit(x, y, epochs=20)
    print(search.results_table())                         # ranked: best first
    search.best_params_, search.best_score_, search.best_model_

The names follow scikit-learn's ``cross_validate``, ``GridSearchCV`` and ``RandomizedSearchCV``
(``best_params_``, ``mean_test_score``, ``rank_test_score``, scorer names and their sign
convention: greater is better, so errors are negated: ``'neg_mean_squared_error'``).

Where a hyper-parameter goes (the same rule for every name of a grid)
--------------------------------------------------------------------
* ``model__x``, ``fit__x``, ``optimizer__x``: explicitly to ``build_fn``, ``Model.fit`` or the
  optimizer's constructor;
* a name in ``build_fn``'s signature goes to ``build_fn`` (``build_fn(**those)``);
* a ``Model.fit`` argument (``batch_size``, ``epochs``, ``shuffle``, ``class_weight``,
  ``validation_split``, ``callbacks``, ...) goes to ``fit``;
* ``optimizer`` (a name such as ``'sgd'``, a config dict or an ``Optimizer``) and
  ``learning_rate`` (alias ``lr``) go to the optimizer: after ``build_fn``, the model is compiled
  again with the same loss and metrics and the requested optimizer (a new one of the same kind
  when only the learning rate or an ``optimizer__x`` changes);
* any other name goes to ``build_fn`` if it takes ``**kwargs``; otherwise it is an error that
  lists the accepted names, raised before anything is trained.

Reproducibility: every fit seeds scratchnn's random generator (initial weights, dropout,
shuffling) from ``random_state`` and the fold number, so a search repeats exactly, and its
results do not depend on ``n_jobs``. Every candidate sees the same seed on a given fold (same
folds, same initial-weight draws): differences between candidates come from the
hyper-parameters, not from luck of the draw. Your own global generator is restored afterwards.
"""
import contextlib
import copy
import csv
import difflib
import inspect
import io
import itertools
import math
import os
import pickle
import sys
import time
import warnings
import weakref
from numbers import Integral, Real

import numpy as np

from . import optimizers as _optimizers
from . import random as _random
from .preprocessing import KFold, StratifiedKFold

__all__ = ["cross_validate", "cross_val_score", "CrossValidationResult", "GridSearch", "RandomSearch",
           "ParameterGrid", "ParameterSampler", "loguniform", "get_scorer", "get_scorer_names",
           "make_scorer", "Scorer", "check_cv"]

# ============================================================================ scorers
#: The arguments of ``Model.fit`` a hyper-parameter (or ``fit_kwargs``) may set. ``x``, ``y``,
#: ``sample_weight`` and ``validation_data`` depend on the fold, ``verbose`` is the search's.
FIT_ARGUMENTS = ("batch_size", "epochs", "shuffle", "class_weight", "validation_split", "callbacks",
                 "initial_epoch", "steps_per_epoch", "validation_steps", "validation_batch_size",
                 "validation_freq")


class Scorer:
    """A score of a trained model on data, greater is better: ``scorer(model, x, y) -> float``.

    ``score = sign * score_func(y_true, response, **kwargs)`` where the response is what
    ``response_method`` asks of the model's outputs ``out = model.predict(x)``:

    * ``'predict'``: for a classifier (a cross-entropy or hinge loss, or a sigmoid/softmax
      output) the predicted labels: ``argmax(out)`` for several outputs, ``out > 0.5`` for one
      sigmoid output (``out > 0`` for logits); for a regressor the outputs themselves;
    * ``'predict_proba'``: the probabilities: of class 1 for one sigmoid output (or the second
      of two softmax outputs), every class's otherwise (logits go through sigmoid/softmax first);
    * ``'loss'``: the model's own loss on the data (``model.evaluate``); ``score_func`` unused.

    ``y_true`` is turned into labels (the argmax of one-hot rows) for classifiers, and single
    columns are flattened, so the metric functions of ``scratchnn.metrics`` (scikit-learn's
    semantics) receive 1-D arrays. ``sign = -1`` turns an error into a score (``neg_...``).
    """

    def __init__(self, name, score_func, response_method="predict", sign=1, **kwargs):
        if response_method not in ("predict", "predict_proba", "loss"):
            raise ValueError(f"response_method must be 'predict', 'predict_proba' or 'loss', "
                             f"got {response_method!r}")
        if sign not in (1, -1):
            raise ValueError(f"sign must be 1 or -1, got {sign!r}")
        self.name = name
        self.score_func = score_func            # a function, or the name of one in scratchnn.metrics
        self.response_method = response_method
        self.sign = sign
        self.kwargs = kwargs

    def __repr__(self):
        return f"Scorer({self.name!r})"

    def _function(self):
        if callable(self.score_func):
            return self.score_func
        from . import metrics
        # scikit-learn's semantics (whole arrays in, one number out) live in metrics.scores; the
        # package namespace is the fallback for a function registered there.
        try:
            from .metrics import scores as _scores
        except ImportError:           # pragma: no cover - scores ships with scratchnn
            _scores = None
        fn = getattr(_scores, self.score_func, None) or getattr(metrics, self.score_func, None)
        if fn is None:
            raise RuntimeError(f"the scorer {self.name!r} needs scratchnn.metrics.{self.score_func}, which "
                               "this version of scratchnn does not have")
        return fn

    def __call__(self, model, x, y):
        """The score of ``model`` on ``(x, y)``."""
        if self.response_method == "loss":
            return self.score_output(model, None, y, x=x)
        return self.score_output(model, _predict(model, x), y)

    def score_output(self, model, out, y, x=None):
        """The score from outputs ``out = model.predict(x)`` already computed (one ``predict`` for
        several scorers)."""
        if self.response_method == "loss":
            loss = model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)["loss"]
            return self.sign * float(loss)
        classifier = _is_classifier(model)
        y_true = _true_labels(y) if classifier else _flat(np.asarray(y))
        if self.response_method == "predict_proba":
            response = _probabilities(model, out)
        else:
            response = _predicted_labels(model, out) if classifier else _flat(out)
        return self.sign * float(self._function()(y_true, response, **self.kwargs))


def make_scorer(score_func, *, response_method="predict", greater_is_better=True, name=None, **kwargs):
    """Make a scorer from a metric ``score_func(y_true, y_pred, **kwargs)`` (scikit-learn's name).

    ``response_method``: ``'predict'`` (labels for classifiers, values for regressors) or
    ``'predict_proba'`` (probabilities); ``greater_is_better=False`` for an error (the scorer
    returns its negative, so that greater is still better).
    """
    if not callable(score_func):
        raise TypeError(f"make_scorer: score_func must be a function score_func(y_true, y_pred), "
                        f"got {type(score_func).__name__}")
    return Scorer(name or getattr(score_func, "__name__", "score"), score_func, response_method,
                  1 if greater_is_better else -1, **kwargs)


def _scorer_table():
    table = {
        "accuracy": ("accuracy_score", "predict", 1, {}),
        "precision": ("precision_score", "predict", 1, {}),
        "recall": ("recall_score", "predict", 1, {}),
        "f1": ("f1_score", "predict", 1, {}),
        "roc_auc": ("roc_auc_score", "predict_proba", 1, {}),
        "roc_auc_ovr": ("roc_auc_score", "predict_proba", 1, {"multi_class": "ovr"}),
        "roc_auc_ovo": ("roc_auc_score", "predict_proba", 1, {"multi_class": "ovo"}),
        "roc_auc_ovr_weighted": ("roc_auc_score", "predict_proba", 1, {"multi_class": "ovr",
                                                                        "average": "weighted"}),
        "roc_auc_ovo_weighted": ("roc_auc_score", "predict_proba", 1, {"multi_class": "ovo",
                                                                        "average": "weighted"}),
        "average_precision": ("average_precision_score", "predict_proba", 1, {}),
        "r2": ("r2_score", "predict", 1, {}),
        "neg_mean_squared_error": ("mean_squared_error", "predict", -1, {}),
        "neg_mean_absolute_error": ("mean_absolute_error", "predict", -1, {}),
        "neg_root_mean_squared_error": ("root_mean_squared_error", "predict", -1, {}),
        "neg_mean_absolute_percentage_error": ("mean_absolute_percentage_error", "predict", -1, {}),
        "neg_loss": (None, "loss", -1, {}),
    }
    for metric in ("precision", "recall", "f1"):
        for average in ("macro", "micro", "weighted"):
            table[f"{metric}_{average}"] = (f"{metric}_score", "predict", 1, {"average": average})
    return table


_SCORERS = _scorer_table()


def get_scorer_names():
    """The names ``scoring=`` accepts (scikit-learn's names, plus ``'neg_loss'``: the model's loss)."""
    return sorted(_SCORERS)


def get_scorer(scoring):
    """The ``Scorer`` called ``scoring`` (see ``get_scorer_names()``); a ``Scorer`` is returned as is.

    Unknown names raise ``ValueError`` with the valid names (and the closest ones).
    """
    if isinstance(scoring, Scorer):
        return scoring
    if not isinstance(scoring, str):
        raise ValueError(f"scoring must be a scorer name such as 'accuracy', a function "
                         f"scorer(model, x, y), or a list/dict of them; got {scoring!r}")
    if scoring not in _SCORERS:
        close = difflib.get_close_matches(scoring, list(_SCORERS), n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown scorer {scoring!r}.{hint} Valid names: {', '.join(get_scorer_names())}; "
                         "or pass a function scorer(model, x, y) returning a number (greater is better)")
    func, response, sign, kwargs = _SCORERS[scoring]
    return Scorer(scoring, func, response, sign, **kwargs)


def _check_scoring(scoring):
    """``(scorers, multimetric)``: ``scorers`` maps the result key to a scorer (``None``: the default,
    chosen from the model's loss when the first model exists). One scorer (a name, a function or
    None) is keyed ``'score'``, as scikit-learn does; a list or dict keys them by name."""
    if scoring is None or isinstance(scoring, (str, Scorer)):
        return {"score": None if scoring is None else get_scorer(scoring)}, False
    if callable(scoring):
        return {"score": scoring}, False
    if isinstance(scoring, dict):
        items = list(scoring.items())
    elif isinstance(scoring, (list, tuple, set)):
        items = []
        for s in scoring:
            if isinstance(s, (str, Scorer)):
                items.append((s if isinstance(s, str) else s.name, s))
            elif callable(s):
                items.append((getattr(s, "__name__", f"scorer_{len(items)}"), s))
            else:
                raise ValueError("scoring must list scorer names or functions scorer(model, x, y); "
                                 f"got {s!r}")
    else:
        raise ValueError(f"scoring must be a scorer name such as 'accuracy', a function scorer(model, x, y), "
                         f"or a list/dict of them; got {scoring!r}")
    if not items:
        raise ValueError("scoring is empty: give at least one scorer name, e.g. ['accuracy', 'f1']")
    scorers = {}
    for key, s in items:
        if not isinstance(key, str) or not key:
            raise ValueError(f"scorer names (dict keys) must be non-empty strings, got {key!r}")
        if key in scorers:
            raise ValueError(f"scoring names {key!r} twice")
        if isinstance(s, (str, Scorer)):
            scorers[key] = get_scorer(s)
        elif callable(s):
            scorers[key] = s
        else:
            raise ValueError(f"scoring[{key!r}] must be a scorer name or a function scorer(model, x, y), "
                             f"got {s!r}")
    return scorers, True


def _check_scorers_for_targets(scorers, y):
    """A two-class scorer (``'f1'``, ``'precision'``, ``'recall'``: the scores of the positive class;
    ``'roc_auc'`` without ``multi_class``) cannot score more than two classes: say so, with the
    scorers that can, before anything is trained (the metric would only fail after the first fit)."""
    if not _is_class_labels(y):
        return
    n_classes = y.shape[1] if y.ndim == 2 and y.shape[1] > 1 else len(np.unique(y))
    if n_classes <= 2:
        return
    for scorer in scorers.values():
        if not isinstance(scorer, Scorer) or scorer.response_method == "loss":
            continue
        func = scorer.score_func if isinstance(scorer.score_func, str) else \
            getattr(scorer.score_func, "__name__", "")
        metric = func[:-len("_score")]
        if func in ("precision_score", "recall_score", "f1_score") and \
                scorer.kwargs.get("average", "binary") == "binary":
            instead = f"'{metric}_macro', '{metric}_weighted' or '{metric}_micro'"
        elif func == "roc_auc_score" and scorer.kwargs.get("multi_class", "raise") == "raise":
            instead = "'roc_auc_ovr', 'roc_auc_ovo', 'roc_auc_ovr_weighted' or 'roc_auc_ovo_weighted'"
        else:
            continue
        raise ValueError(f"the scorer {scorer.name!r} scores two classes (a positive class against the "
                         f"other), but y holds {n_classes} classes: use {instead}")


def _loss_kind(model):
    """'classification', 'regression' or None (unknown), from the model's loss."""
    loss = getattr(model, "loss", None)
    if loss is None:
        return None
    names = " ".join(str(n).lower() for n in (type(loss).__name__, getattr(loss, "name", ""),
                                               getattr(getattr(loss, "fn", None), "__name__", "")))
    if "crossentropy" in names or "hinge" in names:
        return "classification"
    if any(k in names for k in ("squared", "absolute", "huber", "cosh", "poisson", "percentage")):
        return "regression"
    return None


def _is_classifier(model):
    kind = _loss_kind(model)
    if kind is not None:
        return kind == "classification"
    act = model._output_activation() if hasattr(model, "_output_activation") else None
    return act in ("softmax", "sigmoid")


def _from_logits(model):
    return bool(getattr(getattr(model, "loss", None), "kwargs", {}).get("from_logits", False))


def _default_scorer_name(model):
    """'accuracy' for a classifier, 'r2' for a regressor (judged from the loss), else 'neg_loss'."""
    kind = _loss_kind(model)
    return {"classification": "accuracy", "regression": "r2"}.get(kind, "neg_loss")


def _predict(model, x):
    return np.asarray(model.predict(x, batch_size=256, verbose=0))


def _flat(a):
    a = np.asarray(a)
    return a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a


def _true_labels(y):
    """Class labels of ``y``: integer labels as they are, one-hot (or probability) rows by argmax."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return _flat(y)


def _predicted_labels(model, out):
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    return (_flat(out) > (0.0 if _from_logits(model) else 0.5)).astype(np.int64)


def _probabilities(model, out):
    """Probability of class 1 (one output, or two softmax outputs) or of every class (K > 2)."""
    out = np.asarray(out, dtype=np.float64)
    logits = _from_logits(model)
    if out.ndim == 1 or out.shape[1] == 1:
        out = _flat(out)
        return 1.0 / (1.0 + np.exp(-out)) if logits else out
    if logits:
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
    return out[:, 1] if out.shape[1] == 2 else out


def _score_all(scorers, model, x, y):
    """``{key: score}``: one ``predict`` shared by the built-in scorers; functions get (model, x, y)."""
    out = None
    scores = {}
    for key, scorer in scorers.items():
        if isinstance(scorer, Scorer) and scorer.response_method != "loss":
            if out is None:
                out = _predict(model, x)
            value = scorer.score_output(model, out, y)
        else:
            value = scorer(model, x, y)
        try:
            scores[key] = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"the scorer {key!r} returned {value!r}; a scorer must return one number") \
                from None
    return scores


# ============================================================================ parameter grids
def _check_values(values, where):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or \
            (isinstance(values, np.ndarray) and values.ndim != 1):
        raise ValueError(f"{where} must be a list of values to try, got {values!r}; "
                         f"write [{values!r}] for a single value")
    if len(values) == 0:
        raise ValueError(f"{where} is an empty list: give at least one value to try")
    return list(values)


def _as_dicts(grid, what):
    if isinstance(grid, dict):
        grids = [grid]
    elif isinstance(grid, (list, tuple)) and all(isinstance(g, dict) for g in grid):
        grids = list(grid)
    else:
        raise ValueError(f"{what} must be a dict {{name: values}} or a list of such dicts, got {grid!r}")
    if not grids or any(not g for g in grids):
        raise ValueError(f"{what} is empty: give at least one hyper-parameter and its values, e.g. "
                         "{'learning_rate': [0.001, 0.01]} (to evaluate a single setting, use "
                         "cross_validate)")
    for g in grids:
        for name in g:
            if not isinstance(name, str) or not name:
                raise ValueError(f"{what}: hyper-parameter names must be non-empty strings, got {name!r}")
    return grids


class ParameterGrid:
    """Every combination of the values of a grid ``{name: [values]}`` (or a list of such grids,
    whose combinations follow each other), as dicts, in scikit-learn's order: names sorted, the
    last name varying fastest. ``len(grid)`` is the product of the numbers of values.

    ``list(ParameterGrid({'lr': [0.1, 0.01], 'units': [16, 32]}))`` ->
    ``[{'lr': 0.1, 'units': 16}, {'lr': 0.1, 'units': 32}, {'lr': 0.01, 'units': 16}, ...]``.
    An empty grid, a name without values, or a value that is not a list raises ``ValueError``.
    """

    def __init__(self, param_grid):
        grids = _as_dicts(param_grid, "param_grid")
        self.param_grid = [{name: _check_values(values, f"param_grid[{name!r}]")
                            for name, values in sorted(g.items())} for g in grids]

    def __len__(self):
        return sum(math.prod(len(v) for v in g.values()) for g in self.param_grid)

    def __iter__(self):
        for g in self.param_grid:
            names = list(g)
            for combo in itertools.product(*(g[n] for n in names)):
                yield dict(zip(names, combo))

    def __getitem__(self, index):
        return list(self)[index]


class loguniform:
    """A log-uniform distribution on ``[a, b]``: ``exp(U(log a, log b))``, for ``RandomSearch``.

    Each decade is equally likely: with ``loguniform(1e-4, 1e-1)`` a learning rate falls in
    ``[1e-4, 1e-3]``, ``[1e-3, 1e-2]`` or ``[1e-2, 1e-1]`` with probability 1/3 each (a uniform
    draw would land in the last decade 90% of the time). ``rvs(size=None, random_state=None)``
    draws, like a ``scipy.stats`` distribution.
    """

    def __init__(self, a, b):
        for name, v in (("a", a), ("b", b)):
            if not isinstance(v, Real) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"loguniform: {name} must be a positive finite number, got {v!r}")
        if not a < b:
            raise ValueError(f"loguniform: a must be smaller than b, got a={a!r}, b={b!r}")
        self.a, self.b = float(a), float(b)

    def __repr__(self):
        return f"loguniform({self.a:g}, {self.b:g})"

    def rvs(self, size=None, random_state=None):
        """Draw ``size`` values (one float when ``size`` is None)."""
        rng = random_state if isinstance(random_state, np.random.Generator) else \
            np.random.default_rng(random_state)
        value = np.exp(rng.uniform(np.log(self.a), np.log(self.b), size=size))
        return float(value) if size is None else value


class ParameterSampler:
    """``n_iter`` settings drawn from ``param_distributions`` (scikit-learn's rules).

    ``param_distributions`` maps names to a list of values (drawn uniformly) or to a distribution
    with ``rvs(random_state=...)`` (``loguniform(1e-4, 1e-1)``, or a ``scipy.stats`` one); a list of
    such dicts picks one dict at random for each draw. When every entry is a list, the settings
    are drawn *without* replacement from the grid they form (and the whole grid, with a warning,
    if it has fewer than ``n_iter`` settings). ``random_state``: an int for repeatable draws.
    """

    def __init__(self, param_distributions, n_iter, random_state=None):
        grids = _as_dicts(param_distributions, "param_distributions")
        checked = []
        for g in grids:
            d = {}
            for name, dist in sorted(g.items()):
                if hasattr(dist, "rvs"):
                    d[name] = dist
                else:
                    d[name] = _check_values(dist, f"param_distributions[{name!r}] (a list or a distribution "
                                                  "with .rvs)")
            checked.append(d)
        self.param_distributions = checked
        if not isinstance(n_iter, Integral) or isinstance(n_iter, bool) or n_iter < 1:
            raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
        self.n_iter = int(n_iter)
        self.random_state = random_state

    def _all_lists(self):
        return all(not hasattr(v, "rvs") for g in self.param_distributions for v in g.values())

    def __len__(self):
        if self._all_lists():
            return min(self.n_iter, len(ParameterGrid(self.param_distributions)))
        return self.n_iter

    def __iter__(self):
        rng = np.random.default_rng(self.random_state)
        if self._all_lists():
            grid = list(ParameterGrid(self.param_distributions))
            if len(grid) < self.n_iter:
                warnings.warn(f"the grid of param_distributions has {len(grid)} settings, fewer than "
                              f"n_iter={self.n_iter}: each is tried once", UserWarning, stacklevel=3)
            for i in rng.choice(len(grid), size=min(self.n_iter, len(grid)), replace=False):
                yield grid[int(i)]
            return
        for _ in range(self.n_iter):
            g = self.param_distributions[int(rng.integers(len(self.param_distributions)))]
            params = {}
            for name, dist in g.items():
                if hasattr(dist, "rvs"):
                    value = dist.rvs(random_state=rng)
                    params[name] = value.item() if isinstance(value, np.generic) else value
                else:
                    params[name] = dist[int(rng.integers(len(dist)))]
            yield params


# ============================================================================ routing
def _optimizer_arguments():
    """``{optimizer name: set of its constructor's arguments}`` (without ``name``)."""
    table = {}
    for key, cls in _optimizers._BY_NAME.items():
        try:
            params = inspect.signature(cls).parameters
        except (TypeError, ValueError):      # pragma: no cover - every optimizer has a signature
            continue
        table[key] = {p for p in params if p != "name"}
    return table


class _Router:
    """Splits a candidate's hyper-parameters between ``build_fn``, ``fit`` and the optimizer
    (the rules are in the module docstring)."""

    def __init__(self, build_fn):
        if not callable(build_fn):
            raise TypeError(f"build_fn must be a function returning a compiled scratchnn model, "
                            f"got {type(build_fn).__name__}")
        self.build_name = getattr(build_fn, "__name__", type(build_fn).__name__)
        try:
            params = inspect.signature(build_fn).parameters.values()
        except (TypeError, ValueError):       # a builtin without a signature: let it take anything
            params, self.takes_any = (), True
        else:
            self.takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
        self.model_args = [p.name for p in params
                           if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        self.optimizer_args = _optimizer_arguments()

    def accepted(self):
        """A sentence listing the accepted names, for error messages."""
        model = ", ".join(self.model_args) or "no arguments"
        if self.takes_any:
            model += " and any other name (**kwargs)"
        every = sorted(set().union(*self.optimizer_args.values()) - {"learning_rate"})
        return (f"build_fn {self.build_name}() takes {model}; fit takes {', '.join(FIT_ARGUMENTS)}; the "
                f"optimizer takes 'optimizer' (a name: {', '.join(sorted(self.optimizer_args))}), "
                f"'learning_rate' (or 'lr') and optimizer__<argument> ({', '.join(every)}). A prefix "
                f"model__, fit__ or optimizer__ routes a name explicitly")

    def _unknown(self, name, why=""):
        return ValueError(f"unknown hyper-parameter {name!r}{why}. Accepted: {self.accepted()}.")

    def route(self, params):
        """``(model_kwargs, fit_kwargs, optimizer_kwargs)`` for one candidate; ``ValueError`` for a
        name that nothing accepts (before anything is built or trained)."""
        model_kw, fit_kw, opt_kw = {}, {}, {}
        for name, value in params.items():
            if not isinstance(name, str):
                raise ValueError(f"hyper-parameter names must be strings, got {name!r}")
            prefix, sep, rest = name.partition("__")
            if sep and prefix == "model":
                if rest not in self.model_args and not self.takes_any:
                    raise self._unknown(name, f": build_fn {self.build_name}() has no argument {rest!r}")
                model_kw[rest] = value
            elif sep and prefix == "fit":
                if rest not in FIT_ARGUMENTS:
                    raise self._unknown(name, f": {rest!r} is not an argument fit accepts here")
                fit_kw[rest] = _check_fit_value(rest, value)
            elif sep and prefix == "optimizer":
                rest = "learning_rate" if rest == "lr" else rest
                if rest not in set().union(*self.optimizer_args.values()):
                    raise self._unknown(name, f": no optimizer takes an argument {rest!r}")
                self._put(opt_kw, rest, value, name)
            elif name in self.model_args:
                model_kw[name] = value
            elif name in FIT_ARGUMENTS:
                fit_kw[name] = _check_fit_value(name, value)
            elif name in ("optimizer", "learning_rate", "lr"):
                self._put(opt_kw, "learning_rate" if name == "lr" else name, value, name)
            elif self.takes_any and not sep:
                model_kw[name] = value
            else:
                raise self._unknown(name)
        self._check_optimizer(opt_kw)
        return model_kw, fit_kw, opt_kw

    @staticmethod
    def _put(opt_kw, key, value, name):
        if key in opt_kw:
            raise ValueError(f"the optimizer's {key!r} is given twice (as {name!r} and another spelling: "
                             "'lr', 'learning_rate', 'optimizer__lr', 'optimizer__learning_rate'); "
                             "give it once")
        opt_kw[key] = value

    def _check_optimizer(self, opt_kw):
        """An optimizer name must exist and take the optimizer__ arguments given with it, and the
        values must be valid (a trial optimizer is constructed: cheap, and nothing is trained)."""
        choice = opt_kw.get("optimizer")
        kw = {k: v for k, v in opt_kw.items() if k != "optimizer"}
        trial = _optimizers.SGD
        if isinstance(choice, str):
            trial = type(_optimizers.get(choice))   # unknown names raise ValueError listing the valid ones
            accepted = self.optimizer_args.get(choice.lower())
            extra = sorted(set(kw) - (accepted or set()))
            if accepted is not None and extra:
                raise ValueError(f"the optimizer {choice!r} takes no argument {extra[0]!r}; it takes "
                                 f"{', '.join(sorted(accepted))}")
        elif choice is None:               # the kind of optimizer is build_fn's: check the learning rate
            kw = {k: v for k, v in kw.items() if k == "learning_rate"}
        elif isinstance(choice, (dict, _optimizers.Optimizer)):
            return                         # used as given (a copy of it)
        else:
            raise ValueError(f"the hyper-parameter 'optimizer' must be an optimizer name such as 'adam', "
                             f"a config dict or an Optimizer, got {choice!r}")
        try:
            trial(**kw)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid optimizer hyper-parameters {kw}: {exc}") from None


def _check_fit_value(name, value):
    """``batch_size`` must be a positive integer, ``epochs`` a non-negative one (checked up front)."""
    if name in ("batch_size", "epochs"):
        low = 1 if name == "batch_size" else 0
        if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def _check_build_optimizer(build_fn, router, candidates):
    """``optimizer__<name>`` without ``optimizer`` goes to the optimizer that build_fn compiles its
    model with, whose kind is known only from a built model: build one (untrained; the random state
    is restored) per distinct build_fn setting concerned, and check that its optimizer takes those
    arguments, so that a wrong one fails before anything is trained, naming the accepted ones."""
    seen = set()
    for params in candidates:
        model_kw, _, opt_kw = router.route(params)
        extra = sorted(set(opt_kw) - {"optimizer", "learning_rate"})
        key = repr(sorted(model_kw.items()))
        if not extra or "optimizer" in opt_kw or key in seen:
            continue
        seen.add(key)
        with _own_random_state():
            model = build_fn(**model_kw)
        optimizer = getattr(model, "optimizer", None)
        if not getattr(model, "compiled", False) or not isinstance(optimizer, _optimizers.Optimizer):
            continue                                   # _build says what is wrong with the model
        accepted = {p for p in inspect.signature(type(optimizer)).parameters if p != "name"}
        unknown = [n for n in extra if n not in accepted]
        if unknown:
            raise ValueError(f"optimizer__{unknown[0]}: build_fn {router.build_name}() compiles its model "
                             f"with {type(optimizer).__name__}, which takes no argument {unknown[0]!r}; "
                             f"it takes {', '.join(sorted(accepted))}. To use another optimizer, add "
                             "'optimizer' (e.g. ['sgd']) to the hyper-parameters")


def _fresh_optimizer(choice):
    """A new optimizer (never shared between fits) from a name, a config dict or an instance."""
    if isinstance(choice, _optimizers.Optimizer):
        return type(choice).from_config(choice.get_config())
    return _optimizers.get(choice)


#: The models built for fits in this process. A build_fn returning one of them again (a model made once,
#: outside build_fn) would carry the weights trained on one fold into the next: refused.
_BUILT = weakref.WeakValueDictionary()


def first_return(model):
    """True the first time a model-building function hands ``model`` over for a fit in this process
    (``model_selection`` and ``scratchnn.sklearn`` alike; remembered weakly), False when it is one
    handed over before, whose weights an earlier fit has trained."""
    if _BUILT.get(id(model)) is model:
        return False
    _BUILT[id(model)] = model
    return True


def _build(build_fn, model_kw, opt_kw):
    """``build_fn(**model_kw)``, checked, then compiled again with the requested optimizer."""
    model = build_fn(**model_kw)
    if not (hasattr(model, "fit") and hasattr(model, "compile") and hasattr(model, "predict")):
        raise TypeError(f"build_fn must return a compiled scratchnn model; "
                        f"{getattr(build_fn, '__name__', 'build_fn')}() returned {type(model).__name__}")
    if not first_return(model):
        raise ValueError(f"{getattr(build_fn, '__name__', 'build_fn')}() returned a model it had returned "
                         "before, already trained by an earlier fit (its weights would carry over from fold "
                         "to fold): create the model inside build_fn, so that every call returns a new one")
    if not getattr(model, "compiled", False):
        raise ValueError(f"{getattr(build_fn, '__name__', 'build_fn')}() returned a model that is not "
                         "compiled: call model.compile(optimizer=..., loss=..., metrics=[...]) inside it")
    kw = dict(opt_kw)
    choice = kw.pop("optimizer", None)
    # Always a new optimizer, also without optimizer hyper-parameters: build_fn may compile every model
    # with one optimizer instance it keeps (a global), whose step count and moments would carry over
    # from fit to fit, and differ with n_jobs (each process has its own copy).
    optimizer = _fresh_optimizer(choice if choice is not None else model.optimizer)
    if kw:
        config = optimizer.get_config()
        config.update(kw)
        optimizer = type(optimizer).from_config(config)
    if opt_kw:
        model.compile(optimizer=optimizer, loss=model.loss, metrics=model._metric_ids,
                      weighted_metrics=model._weighted_metric_ids, loss_weights=model.loss_weight)
    else:
        model.optimizer = optimizer
    return model


# ============================================================================ data and folds
def _check_xy(x, y):
    x = x if isinstance(x, np.ndarray) else np.asarray(getattr(x, "data", x))
    y = y if isinstance(y, np.ndarray) else np.asarray(getattr(y, "data", y))
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"x and y must be arrays with one row per sample, got shapes {x.shape} and "
                         f"{y.shape}")
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of samples: x has {len(x)}, y has {len(y)}")
    return x, y


def _is_class_labels(y):
    """Whether ``y`` holds class labels: integers (or booleans), ``(N, 1)`` integers, or one-hot rows.
    Float targets are taken as regression targets (give class labels as integers, as Keras's sparse
    losses want them)."""
    if y.dtype.kind in "biu":
        return y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)
    if y.ndim == 2 and y.shape[1] > 1 and y.dtype.kind == "f":
        return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1))
    return False


def check_cv(cv=5, y=None, classifier=False):
    """The cross-validator for ``cv``, scikit-learn's rule: an int gives ``StratifiedKFold(cv)`` for
    class labels (``classifier=True``), ``KFold(cv)`` otherwise (no shuffling, as scikit-learn);
    an object with ``split`` (and ``get_n_splits``) is returned as is; an iterable of
    ``(train_indices, test_indices)`` pairs is kept as a list."""
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be at least 2 (folds), got {cv}")
        return StratifiedKFold(int(cv)) if classifier else KFold(int(cv))
    if hasattr(cv, "split"):
        return cv
    if cv is not None and not isinstance(cv, (str, bytes)) and hasattr(cv, "__iter__"):
        pairs = list(cv)
        if not pairs or any(len(p) != 2 for p in pairs):
            raise ValueError("cv given as a list must hold (train_indices, test_indices) pairs")
        return pairs
    raise ValueError("cv must be a number of folds (>= 2), a splitter such as KFold(5) or "
                     f"StratifiedKFold(5), or a list of (train_indices, test_indices) pairs; got {cv!r}")


def _splits(cv, x, y):
    """The list of ``(train, test)`` index arrays, checked before anything trains."""
    classifier = _is_class_labels(y)
    splitter = check_cv(cv, y, classifier)
    labels = _true_labels(y) if classifier or isinstance(splitter, StratifiedKFold) else None
    if isinstance(splitter, StratifiedKFold):
        classes, counts = np.unique(labels, return_counts=True)
        if counts.min() < splitter.n_splits:
            small, k = classes[counts.argmin()].item(), splitter.n_splits
            raise ValueError(f"cv={k} stratified folds need at least {k} samples of every class, but class "
                             f"{small!r} has only {counts.min()}: use cv <= {counts.min()}")
    if isinstance(splitter, list):
        pairs = splitter
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            pairs = list(splitter.split(x, labels if labels is not None else y))
    n = len(x)
    out = []
    for k, (train, test) in enumerate(pairs):
        train, test = np.asarray(train), np.asarray(test)
        for name, idx in (("train", train), ("test", test)):
            if idx.dtype.kind not in "iu" or idx.ndim != 1 or idx.size == 0 or idx.min() < 0 \
                    or idx.max() >= n:
                raise ValueError(f"fold {k}: the {name} indices must be a non-empty list of sample numbers "
                                 f"in 0..{n - 1}")
        out.append((train, test))
    return out


# ============================================================================ running fits
def _derive_seed(base, *keys):
    """A 31-bit seed from ``base`` and ``keys`` (independent streams per fold, for the refit, ...)."""
    return int(np.random.SeedSequence([base, *keys]).generate_state(1)[0] >> 1)


def _base_seed(random_state):
    if random_state is None:
        return int.from_bytes(os.urandom(4), "little") >> 1
    if not isinstance(random_state, Integral) or isinstance(random_state, bool) or random_state < 0:
        raise ValueError(f"random_state must be a non-negative integer or None, got {random_state!r}")
    return int(random_state)


@contextlib.contextmanager
def _own_random_state():
    """Restore scratchnn's and NumPy's global generators after the fits have reseeded them."""
    generator, legacy = _random._generator, np.random.get_state()
    try:
        yield
    finally:
        _random._generator = generator
        np.random.set_state(legacy)


def _check_n_jobs(n_jobs):
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of processes, -1 (all cores) or None (1), "
                         f"got {n_jobs!r}")
    cores = os.cpu_count() or 1
    return int(n_jobs) if n_jobs > 0 else max(1, cores + 1 + int(n_jobs))


def _check_fit_kwargs(fit_kwargs):
    fit_kwargs = dict(fit_kwargs or {})
    for name in fit_kwargs:
        if name not in FIT_ARGUMENTS:
            why = {"verbose": "the search's own verbose= controls the display; every fit runs with verbose=0",
                   "x": "the data is the x given to the search", "y": "the data is the y given to the search",
                   "validation_data": "each fold's held-out part is its validation data"}.get(name, "")
            raise ValueError(f"fit argument {name!r} cannot be set here{': ' + why if why else ''}. "
                             f"Accepted: {', '.join(FIT_ARGUMENTS)}")
        _check_fit_value(name, fit_kwargs[name])
    return fit_kwargs


def _check_picklable(n_jobs, **objects):
    """With ``n_jobs > 1`` the worker processes receive build_fn (and the scorers) by pickling."""
    main = sys.modules.get("__main__")
    interactive = main is not None and not hasattr(main, "__file__")
    for name, obj in objects.items():
        try:
            pickle.dumps(obj)
        except Exception as exc:
            raise TypeError(f"n_jobs={n_jobs} runs the fits in separate processes, which receive {name} by "
                            f"pickling, and {name} cannot be pickled ({type(exc).__name__}: {exc}). A lambda "
                            "or a function defined inside another function cannot: define it with def at the "
                            "top level of a module, or use n_jobs=1") from None
        module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None)
        if interactive and callable(obj) and module == "__main__":
            raise TypeError(f"n_jobs={n_jobs} runs the fits in separate processes, which must import {name}, "
                            "but it is defined in an interactive session (a notebook or the prompt): move "
                            "it into a .py file and import it from there, or use n_jobs=1")
    _check_main_guarded(n_jobs)


def _is_main_guard(node):
    """``if __name__ == "__main__":`` (either operand order, either quote)."""
    import ast
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    values = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and values == ["__main__"]


def _check_main_guarded(n_jobs):
    """Worker processes start a fresh Python that imports the main script again (``spawn``): a
    search started by the script's top-level code would start again in every worker, which
    Python refuses, and the workers die. Say so before anything runs, when the call comes from
    the main script's top level outside ``if __name__ == "__main__":``."""
    import ast
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.exists(path):
        return                                   # a notebook, the prompt, python -c: nothing is re-run
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_globals is vars(main) and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None:
        return                                   # called from a function the script defines: safe
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return
    line = frame.f_lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_guard(node) and node.body:
            if node.body[0].lineno <= line <= (node.end_lineno or line):
                return
    raise RuntimeError(f"n_jobs={n_jobs} runs the fits in new Python processes, and each one imports "
                       f"{os.path.basename(path)} again, which would start this search again there (line "
                       f"{line}). Put the code that starts it under `if __name__ == \"__main__\":` "
                       "(the functions it uses stay at the top level), or use n_jobs=1")


def _fit_and_score(payload, task):
    """One fit: build a fresh model for ``params``, train it on ``train`` and score it on ``test``."""
    build_fn, router, x, y, fit_kwargs, scorers, options = payload
    index, fold, params, train, test, seed = task
    with _own_random_state():
        _random.set_seed(seed)
        model_kw, fit_kw, opt_kw = router.route(params)
        model = _build(build_fn, model_kw, opt_kw)
        resolved = {k: (s if s is not None else get_scorer(_default_scorer_name(model)))
                    for k, s in scorers.items()}
        kw = {**copy.deepcopy(fit_kwargs), **fit_kw}
        t0 = time.perf_counter()
        history = model.fit(x[train], y[train], verbose=0, **kw)
        fit_time = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = _score_all(resolved, model, x[test], y[test])
        score_time = time.perf_counter() - t0
        train_scores = _score_all(resolved, model, x[train], y[train]) if options["train_score"] else None
    logs = getattr(history, "history", {}) or {}
    return {"index": index, "fold": fold, "scores": scores, "train_scores": train_scores,
            "fit_time": fit_time, "score_time": score_time,
            "history": {k: [float(v) for v in vals] for k, vals in logs.items()},
            "scorer_names": {k: getattr(s, "name", getattr(s, "__name__", k)) for k, s in resolved.items()},
            "model": model if options["return_model"] else None, "error": None}


def _fit_and_score_safely(payload, task):
    error_score = payload[6]["error_score"]
    try:
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
                "error": f"{type(exc).__name__}: {exc}"}


_WORKER_PAYLOAD = None


def _worker_init(payload):
    global _WORKER_PAYLOAD
    _WORKER_PAYLOAD = payload


def _worker_run(task):
    return _fit_and_score_safely(_WORKER_PAYLOAD, task)


@contextlib.contextmanager
def _blas_threads(threads):
    """Set the BLAS/OpenMP thread counts that spawned workers inherit; restore the parent's after."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    try:
        for n in names:
            os.environ[n] = str(threads)
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _progress(total, desc, verbose):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="fit", disable=not verbose, leave=True, file=sys.stderr,
                dynamic_ncols=True)


def _run(payload, tasks, n_jobs, verbose, desc, on_result=None):
    """Run every task (in this process for ``n_jobs == 1``, else in ``n_jobs`` spawned processes);
    returns the results in task order. ``on_result(result, bar)`` is called as each one arrives."""
    results = [None] * len(tasks)
    bar = _progress(len(tasks), desc, verbose)
    try:
        if n_jobs == 1:
            for i, task in enumerate(tasks):
                results[i] = _fit_and_score_safely(payload, task)
                bar.update(1)
                if on_result:
                    on_result(results[i], bar)
            return results
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed
        workers = min(n_jobs, len(tasks))
        threads = max(1, (os.cpu_count() or 1) // workers)
        with _blas_threads(threads):
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_worker_init, initargs=(payload,))
            try:
                futures = {pool.submit(_worker_run, task): i for i, task in enumerate(tasks)}
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    bar.update(1)
                    if on_result:
                        on_result(results[i], bar)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        return results
    finally:
        bar.close()


def _warn_failures(results):
    failed = [r for r in results if r["error"]]
    if failed:
        warnings.warn(f"{len(failed)} of {len(results)} fits failed and were scored with error_score; "
                      f"the first: {failed[0]['error']}", UserWarning, stacklevel=3)
        if len(failed) == len(results):
            raise RuntimeError(f"all {len(results)} fits failed; the first: {failed[0]['error']}")


def _resolved_names(results, scorers):
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


# ============================================================================ cross-validation
class CrossValidationResult(dict):
    """What ``cross_validate`` returns: a dict of per-fold values (scikit-learn's keys), plus
    ``mean``, ``std`` and ``summary``.

    * ``'test_score'`` (one scorer) or ``'test_<name>'`` (several): the score of each fold's model
      on the fold it did not train on; ``'train_...'`` likewise with ``return_train_score=True``;
    * ``'fit_time'``, ``'score_time'``: seconds per fold;
    * ``'history'``: each fold's training history (``History.history``: loss and metrics per epoch);
    * ``'estimator'``: the trained models, with ``return_estimator=True``.

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
                   random_state=None, return_train_score=False, return_estimator=False, error_score="raise"):
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
    * ``fit_kwargs``: arguments for every ``model.fit`` (``epochs``, ``batch_size``, ...);
      ``params``: hyper-parameters routed as in a search (``{'learning_rate': 0.01, 'units': 64}``);
    * ``n_jobs``: folds trained in parallel processes (see ``GridSearch``); ``verbose``: a
      progress bar (0: none); ``random_state``: seeds every fold's model (int), or None (fresh);
    * ``error_score``: ``'raise'`` (default) or a number (e.g. ``np.nan``) that scores a fit that
      failed, with a warning.

    Returns a ``CrossValidationResult``: ``result['test_score']`` (per fold), ``'fit_time'``,
    ``'score_time'``, ``'history'`` (per fold), ``result.mean()``, ``result.std()``, ``result.summary()``.
    All the arguments are checked before anything is trained (and built, except that an
    ``optimizer__<name>`` without ``optimizer`` is checked against one model built for it).
    """
    router = _Router(build_fn)
    params = dict(params or {})
    router.route(params)
    x, y = _check_xy(x, y)
    fit_kwargs = _check_fit_kwargs(fit_kwargs)
    scorers, multi = _check_scoring(scoring)
    _check_scorers_for_targets(scorers, y)
    n_jobs = _check_n_jobs(n_jobs)
    _check_error_score(error_score)
    folds = _splits(cv, x, y)
    base = _base_seed(random_state)
    if n_jobs > 1:
        _check_picklable(n_jobs, build_fn=build_fn, scoring=scorers, fit_kwargs=fit_kwargs, params=params)
    _check_build_optimizer(build_fn, router, [params])
    options = {"train_score": bool(return_train_score), "return_model": bool(return_estimator),
               "error_score": error_score}
    payload = (build_fn, router, x, y, fit_kwargs, scorers, options)
    tasks = [(0, k, params, train, test, _derive_seed(base, 0, k)) for k, (train, test) in enumerate(folds)]
    with _own_random_state():
        results = _run(payload, tasks, n_jobs, verbose, "cross-validation")
    _warn_failures(results)
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
    out.scorer_names = _resolved_names(results, scorers)
    return out


def cross_val_score(build_fn, x, y, cv=5, scoring=None, fit_kwargs=None, params=None, n_jobs=None, verbose=1,
                    random_state=None):
    """The test score of each fold, as an array: ``cross_validate(...)['test_score']`` (one scorer)."""
    if scoring is not None and not isinstance(scoring, (str, Scorer)) and not callable(scoring):
        raise ValueError(f"cross_val_score takes one scorer (a name or a function); got {scoring!r}: "
                         "use cross_validate for several")
    return cross_validate(build_fn, x, y, cv=cv, scoring=scoring, fit_kwargs=fit_kwargs, params=params,
                          n_jobs=n_jobs, verbose=verbose, random_state=random_state)["test_score"]


def _check_error_score(error_score):
    if isinstance(error_score, str):
        if error_score != "raise":
            raise ValueError(f"error_score must be 'raise' or a number such as np.nan, got {error_score!r}")
    elif not isinstance(error_score, Real) or isinstance(error_score, bool):
        raise ValueError(f"error_score must be 'raise' or a number such as np.nan, got {error_score!r}")


# ============================================================================ searches
def _format_value(value):
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


class _BaseSearch:
    """The machinery shared by ``GridSearch`` and ``RandomSearch``: each candidate setting is
    cross-validated, the results ranked, the best one refit on all the data."""

    _desc = "search"

    def __init__(self, build_fn, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1, random_state=None,
                 return_train_score=False, error_score="raise"):
        self.build_fn = build_fn
        self._router = _Router(build_fn)
        self.cv = cv
        self.scoring = scoring
        self._scorers, self._multimetric = _check_scoring(scoring)
        self.refit = refit
        self._ranking_key = self._check_refit(refit)
        self.n_jobs = n_jobs
        _check_n_jobs(n_jobs)
        self.verbose = verbose
        self.random_state = random_state
        if random_state is not None:
            _base_seed(random_state)          # checked now
        self.return_train_score = return_train_score
        self.error_score = error_score
        _check_error_score(error_score)

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
        base = _base_seed(self.random_state)
        self.seed_ = base
        candidates = self._candidates(base)
        for params in candidates:
            self._router.route(params)
        x, y = _check_xy(x, y)
        fit_kwargs = _check_fit_kwargs(fit_kwargs)
        n_jobs = _check_n_jobs(self.n_jobs)
        folds = _splits(self.cv, x, y)
        scorers = self._scorers
        _check_scorers_for_targets(scorers, y)
        if n_jobs > 1:
            _check_picklable(n_jobs, build_fn=self.build_fn, scoring=scorers, fit_kwargs=fit_kwargs,
                             candidates=candidates)
        _check_build_optimizer(self.build_fn, self._router, candidates)
        options = {"train_score": bool(self.return_train_score), "return_model": False,
                   "error_score": self.error_score}
        payload = (self.build_fn, self._router, x, y, fit_kwargs, scorers, options)
        tasks = [(i, k, params, train, test, _derive_seed(base, 0, k))
                 for i, params in enumerate(candidates) for k, (train, test) in enumerate(folds)]
        n_folds = len(folds)
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
                    text = ", ".join(f"{n}={_format_value(v)}" for n, v in params.items())
                    bar.write(f"[{result['index'] + 1}/{len(candidates)}] {text}: {mean:.4f} +/- "
                              f"{np.std(scores):.4f}")

        t0 = time.perf_counter()
        with _own_random_state():
            results = _run(payload, tasks, n_jobs, self.verbose,
                           f"{self._desc}: {len(candidates)} candidates x {n_folds} folds", on_result)
        self.search_time_ = time.perf_counter() - t0
        _warn_failures(results)
        self.n_splits_ = n_folds
        self.scorer_names_ = _resolved_names(results, scorers)
        self._assemble(candidates, results, n_folds)
        self.refit_time_ = None
        self.best_model_ = None
        if self.refit is not False:
            t0 = time.perf_counter()
            with _own_random_state():
                _random.set_seed(_derive_seed(base, 1))
                model_kw, fit_kw, opt_kw = self._router.route(self.best_params_)
                model = _build(self.build_fn, model_kw, opt_kw)
                model.fit(x, y, verbose=0, **{**copy.deepcopy(fit_kwargs), **fit_kw})
            self.best_model_ = model
            self.refit_time_ = time.perf_counter() - t0
        if self.verbose and self.verbose >= 2:
            name = self.scorer_names_.get(key, key)
            row = self.results_[self.best_index_]
            text = ", ".join(f"{n}={_format_value(v)}" for n, v in self.best_params_.items())
            refit = "" if self.refit_time_ is None else \
                f"; refit on all {len(x)} samples in {self.refit_time_:.1f} s"
            print(f"best of {len(candidates)}: {text}: {name} {row[f'mean_test_{key}']:.4f} +/- "
                  f"{row[f'std_test_{key}']:.4f} ({n_folds}-fold CV, {self.search_time_:.1f} s{refit})")
        return self

    def _assemble(self, candidates, results, n_folds):
        by = {(r["index"], r["fold"]): r for r in results}
        rows, histories = [], []
        for i, params in enumerate(candidates):
            fold_results = [by[(i, k)] for k in range(n_folds)]
            row = {"params": dict(params)}
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
        for key in self._scorers:
            means = np.array([row[f"mean_test_{key}"] for row in rows])
            means = np.where(np.isnan(means), -np.inf, means)
            ranks = 1 + (means[None, :] > means[:, None]).sum(axis=1)        # ties share the best rank
            for row, rank in zip(rows, ranks):
                row[f"rank_test_{key}"] = int(rank)
        self.results_ = rows
        self.histories_ = histories
        key = self._ranking_key
        self.best_index_ = int(np.flatnonzero(np.array([r[f"rank_test_{key}"] for r in rows]) == 1)[0])
        self.best_params_ = dict(candidates[self.best_index_])
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

    def results_table(self, top=None):
        """The candidates as a text table, best first: rank, hyper-parameters, mean +/- std of each
        score over the folds, and the mean seconds per fit. ``top``: only the first rows."""
        self._check_fitted("results_table()")
        key = self._ranking_key
        order = sorted(range(len(self.results_)), key=lambda i: (self.results_[i][f"rank_test_{key}"], i))
        if top is not None:
            order = order[:top]
        names = self._param_names()
        keys = [key] + [k for k in self._scorers if k != key]
        header = (["rank"] + names + [f"{self.scorer_names_.get(k, k)} (mean +/- std)" for k in keys]
                  + ["s/fit"])
        body = []
        for i in order:
            row = self.results_[i]
            body.append([str(row[f"rank_test_{key}"])]
                        + [_format_value(row["params"][n]) if n in row["params"] else "-" for n in names]
                        + [f"{row[f'mean_test_{k}']:.4f} +/- {row[f'std_test_{k}']:.4f}" for k in keys]
                        + [f"{row['mean_fit_time']:.2f}"])
        widths = [max(len(r[c]) for r in [header] + body) for c in range(len(header))]
        lines = ["  ".join(cell.rjust(w) if c == 0 or c > len(names) else cell.ljust(w)
                           for c, (cell, w) in enumerate(zip(r, widths))).rstrip() for r in [header] + body]
        return "\n".join(lines)

    def results_to_csv(self, path):
        """Write the results as CSV (one row per candidate, in the order tried): ``param_<name>``,
        ``rank_test_<key>``, ``mean_test_<key>``, ``std_test_<key>``, ``split<k>_test_<key>``, times."""
        self._check_fitted("results_to_csv()")
        names = self._param_names()
        columns = [f"param_{n}" for n in names]
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
            flat = {f"param_{n}": _format_value(v) for n, v in row["params"].items()}
            for key in self._scorers:
                flat.update({f"split{k}_test_{key}": v for k, v in enumerate(row[f"test_{key}"])})
            writer.writerow([flat.get(c, row.get(c, "")) for c in columns])
        with open(path, "w", newline="") as f:
            f.write(buffer.getvalue())

    def predict(self, x, **kwargs):
        """``best_model_.predict(x)`` (needs ``refit``)."""
        return self._best_model("predict").predict(x, **{"verbose": 0, **kwargs})

    def score(self, x, y):
        """The ranking scorer's score of ``best_model_`` on ``(x, y)``."""
        model = self._best_model("score")
        scorer = self._scorers[self._ranking_key] or get_scorer(self.scorer_names_[self._ranking_key])
        return float(_score_all({"s": scorer}, model, *_check_xy(x, y))["s"])

    def _best_model(self, what):
        self._check_fitted(f"{what}()")
        if self.best_model_ is None:
            raise RuntimeError(f"{what}() uses the best model refit on all the data; this search ran with "
                               "refit=False")
        return self.best_model_

    def __repr__(self):
        return f"{type(self).__name__}({getattr(self.build_fn, '__name__', 'build_fn')}, cv={self.cv!r})"


class GridSearch(_BaseSearch):
    """Try every combination of hyper-parameter values, each cross-validated; keep the best.

    ``GridSearch(build_fn, param_grid, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1,
    random_state=None, return_train_score=False, error_score='raise')``, then ``fit(x, y, **fit_kwargs)``.

    * ``param_grid``: ``{name: [values]}`` or a list of such dicts (e.g. one grid for SGD with its
      momentum, another for Adam); names go to the model, the optimizer or fit (module docstring),
      e.g. ``{'units': [16, 64], 'learning_rate': [1e-3, 1e-2], 'batch_size': [16, 64]}``: 8
      candidates, each trained ``cv`` times;
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
    * ``verbose``: 1 shows a progress bar over candidates x folds and the best result; 2 also a
      line per candidate; 0 nothing. Every fit itself runs with ``verbose=0``;
    * ``random_state``: an int makes the search repeatable (``seed_`` records the seed used).

    After ``fit``:

    * ``results_``: one dict per candidate (in the order tried): ``params``, ``mean_test_score``,
      ``std_test_score``, ``test_score`` (per fold), ``rank_test_score`` (1 = best; ties share a
      rank), ``mean_fit_time``, ... (``score`` becomes each scorer's name when there are several);
    * ``best_params_``, ``best_score_`` (its mean test score), ``best_index_``, ``best_model_``;
    * ``histories_``: per candidate, the training history of each fold;
    * ``results_table()``: the ranked table as text; ``results_to_csv(path)``;
      ``scratchnn.plot.grid_heatmap(search)``: the mean score over two hyper-parameters.
    """

    _desc = "grid search"

    def __init__(self, build_fn, param_grid, cv=5, scoring=None, refit=True, n_jobs=None, verbose=1,
                 random_state=None, return_train_score=False, error_score="raise"):
        super().__init__(build_fn, cv=cv, scoring=scoring, refit=refit, n_jobs=n_jobs, verbose=verbose,
                         random_state=random_state, return_train_score=return_train_score,
                         error_score=error_score)
        self.param_grid = param_grid
        self._grid = ParameterGrid(param_grid)
        for params in self._grid:            # unknown names fail now, not after the first fits
            self._router.route(params)

    def _candidates(self, base):
        return list(self._grid)


class RandomSearch(_BaseSearch):
    """Try ``n_iter`` hyper-parameter settings drawn at random, each cross-validated; keep the best.

    ``RandomSearch(build_fn, param_distributions, n_iter=10, cv=5, scoring=None, refit=True,
    n_jobs=None, verbose=1, random_state=None, ...)``, then ``fit(x, y, **fit_kwargs)``.

    ``param_distributions``: ``{name: list or distribution}``: a list is drawn from uniformly, a
    distribution with ``rvs`` (``loguniform(1e-4, 1e-1)``, ``scipy.stats`` ones) sampled; see
    ``ParameterSampler``. With the same budget, random search explores many more values of each
    hyper-parameter than a grid (Bergstra and Bengio, 2012), which pays when only a few of them
    matter. The rest (attributes, ``n_jobs``, ``verbose``, routing) is as in ``GridSearch``; the
    settings drawn depend on ``random_state`` only.
    """

    _desc = "random search"

    def __init__(self, build_fn, param_distributions, n_iter=10, cv=5, scoring=None, refit=True, n_jobs=None,
                 verbose=1, random_state=None, return_train_score=False, error_score="raise"):
        super().__init__(build_fn, cv=cv, scoring=scoring, refit=refit, n_jobs=n_jobs, verbose=verbose,
                         random_state=random_state, return_train_score=return_train_score,
                         error_score=error_score)
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self._sampler = ParameterSampler(param_distributions, n_iter)
        for g in self._sampler.param_distributions:      # the names are checked now
            self._router.route({name: (v[0] if isinstance(v, list) else v.rvs(random_state=0))
                                for name, v in g.items()})

    def _candidates(self, base):
        sampler = ParameterSampler(self.param_distributions, self.n_iter, random_state=_derive_seed(base, 2))
        return list(sampler)
