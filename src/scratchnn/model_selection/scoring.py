"""Scorers: how a trained model is scored on held-out data (greater is better).

``scoring=`` takes scikit-learn's scorer names (``get_scorer_names()``: ``'accuracy'``, ``'f1'``,
``'roc_auc'``, ``'r2'``, ...), a function ``scorer(model, x, y)``, or a list/dict of them. The
sign convention is scikit-learn's: greater is better, so errors are negated
(``'neg_mean_squared_error'``, and ``'neg_loss'``: the model's own loss). A ``Scorer`` turns the
model's outputs into what the metric wants (labels, probabilities) and calls the metric of
``scratchnn.metrics``; ``make_scorer`` makes one from any metric ``f(y_true, y_pred)``.
"""
import difflib

import numpy as np

from .. import metrics
from ..metrics import scores as metric_scores
from .targets import flatten_column, is_class_labels, true_labels


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
        # scikit-learn's semantics (whole arrays in, one number out) live in metrics.scores; the
        # package namespace is the fallback for a function registered there.
        fn = getattr(metric_scores, self.score_func, None) or getattr(metrics, self.score_func, None)
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
        y_true = true_labels(y) if classifier else flatten_column(np.asarray(y))
        if self.response_method == "predict_proba":
            response = _probabilities(model, out)
        else:
            response = _predicted_labels(model, out) if classifier else flatten_column(out)
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


def check_scoring(scoring):
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


def check_scorers_for_targets(scorers, y):
    """A two-class scorer (``'f1'``, ``'precision'``, ``'recall'``: the scores of the positive class;
    ``'roc_auc'`` without ``multi_class``) cannot score more than two classes: say so, with the
    scorers that can, before anything is trained (the metric would only fail after the first fit)."""
    if not is_class_labels(y):
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
    """'classification', 'regression' or None (unknown), from what the model's loss declares
    (``loss.task``: a wrapped function of your own declares nothing)."""
    task = getattr(getattr(model, "loss", None), "task", None)
    if task is None:
        return None
    return "regression" if task == "regression" else "classification"


def _is_classifier(model):
    kind = _loss_kind(model)
    if kind is not None:
        return kind == "classification"
    return model.output_activation() in ("softmax", "sigmoid")


def _from_logits(model):
    return bool(getattr(getattr(model, "loss", None), "from_logits", False))


def default_scorer_name(model):
    """'accuracy' for a classifier, 'r2' for a regressor (judged from the loss), else 'neg_loss'."""
    kind = _loss_kind(model)
    return {"classification": "accuracy", "regression": "r2"}.get(kind, "neg_loss")


def _predict(model, x):
    return np.asarray(model.predict(x, batch_size=256, verbose=0))


def _predicted_labels(model, out):
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    return (flatten_column(out) > (0.0 if _from_logits(model) else 0.5)).astype(np.int64)


def _probabilities(model, out):
    """Probability of class 1 (one output, or two softmax outputs) or of every class (K > 2)."""
    out = np.asarray(out, dtype=np.float64)
    logits = _from_logits(model)
    if out.ndim == 1 or out.shape[1] == 1:
        out = flatten_column(out)
        return 1.0 / (1.0 + np.exp(-out)) if logits else out
    if logits:
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
    return out[:, 1] if out.shape[1] == 2 else out


def score_all(scorers, model, x, y):
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
