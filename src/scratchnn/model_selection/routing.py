"""Routing: where each hyper-parameter of a candidate goes (``build_fn``, ``Model.fit`` or the optimizer).

The same rule for every name of a grid:

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

``Router`` applies these rules; ``check_fit_kwargs`` checks the arguments given for every fit, and
``merge_fit_arguments`` those given as keywords (``cross_val_score(build, x, y, epochs=5)``).
Building the model from the routed values is in ``building``.
"""
import difflib
import inspect
from numbers import Integral

from .. import optimizers as _optimizers


#: The arguments of ``Model.fit`` a hyper-parameter (or ``fit_kwargs``) may set. ``x``, ``y``,
#: ``sample_weight`` and ``validation_data`` depend on the fold, ``verbose`` is the search's.
FIT_ARGUMENTS = ("batch_size", "epochs", "shuffle", "class_weight", "validation_split", "callbacks",
                 "initial_epoch", "steps_per_epoch", "validation_steps", "validation_batch_size",
                 "validation_freq")


def _optimizer_arguments():
    """``{optimizer name: set of its constructor's arguments}`` (without ``name``)."""
    table = {}
    for key, cls in _optimizers.OPTIMIZERS.items():
        try:
            params = inspect.signature(cls).parameters
        except (TypeError, ValueError):      # pragma: no cover - every optimizer has a signature
            continue
        table[key] = {p for p in params if p != "name"}
    return table


class Router:
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


#: Why a ``Model.fit`` argument cannot be given for the fits of a search.
_NOT_HERE = {"verbose": "the search's own verbose= controls the display; every fit runs with verbose=0",
             "x": "the data is the x given to the search", "y": "the data is the y given to the search",
             "validation_data": "each fold's held-out part is its validation data"}


def _did_you_mean(name, names):
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_fit_kwargs(fit_kwargs):
    """``fit_kwargs`` as a new dict (names from ``FIT_ARGUMENTS``, values checked), or ``ValueError``."""
    fit_kwargs = dict(fit_kwargs or {})
    for name in fit_kwargs:
        if name not in FIT_ARGUMENTS:
            why = _NOT_HERE.get(name, "")
            raise ValueError(f"fit argument {name!r} cannot be set here{': ' + why if why else ''}"
                             f"{'' if why else _did_you_mean(name, FIT_ARGUMENTS)}. "
                             f"Accepted: {', '.join(FIT_ARGUMENTS)}")
        _check_fit_value(name, fit_kwargs[name])
    return fit_kwargs


def merge_fit_arguments(who, fit_kwargs, keywords, own=()):
    """The fit arguments of ``who(..., fit_kwargs={...}, epochs=5, ...)``: ``fit_kwargs`` and the extra
    ``keywords`` (Keras-style, as ``model.fit`` takes them) in one checked dict.

    A keyword that ``model.fit`` does not take here is a ``TypeError`` naming it (with the closest of
    ``own``, ``who``'s own parameters, and of ``FIT_ARGUMENTS``), one given both ways a ``ValueError``."""
    for name in keywords:
        if name not in FIT_ARGUMENTS:
            why = _NOT_HERE.get(name)
            hint = f": {why}" if why else _did_you_mean(name, [*own, *FIT_ARGUMENTS])
            raise TypeError(f"{who}() got an unexpected keyword argument {name!r}{hint}. Its extra keyword "
                            f"arguments go to model.fit, which takes here: {', '.join(FIT_ARGUMENTS)}")
    fit_kwargs = dict(fit_kwargs or {})
    twice = [name for name in keywords if name in fit_kwargs]
    if twice:
        raise ValueError(f"the fit argument {twice[0]!r} is given twice, in fit_kwargs and as "
                         f"{twice[0]}=...: give it once")
    return check_fit_kwargs({**fit_kwargs, **keywords})
