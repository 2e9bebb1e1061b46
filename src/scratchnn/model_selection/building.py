"""Building a fresh model for each fit: ``build_fn(**model_kwargs)``, checked, with a fresh optimizer.

A fit must never reuse a model (its weights, trained on one fold, would carry over into the
next): ``first_return`` remembers every model a build function handed over in this process
(``model_selection`` and ``scratchnn.sklearn`` alike) and ``build_model`` refuses one seen before.
Each fit also trains a new copy of the optimizer (no step count or moments shared between fits).
``check_build_optimizer`` checks ``optimizer__<name>`` hyper-parameters against the optimizer
``build_fn`` compiles with, before anything is trained.
"""
import inspect
import weakref

from .. import optimizers as _optimizers
from .seeds import own_random_state


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


def _fresh_optimizer(choice):
    """A new optimizer (never shared between fits) from a name, a config dict or an instance."""
    if isinstance(choice, _optimizers.Optimizer):
        return type(choice).from_config(choice.get_config())
    return _optimizers.get(choice)


def _compile_again(model, optimizer):
    """Compile ``model`` again with ``optimizer``, keeping its loss, metrics and loss weights."""
    model.compile(**{**model.compile_arguments(), "optimizer": optimizer})


def build_model(build_fn, model_kw, opt_kw):
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
        _compile_again(model, optimizer)
    else:
        model.optimizer = optimizer
    return model


def check_build_optimizer(build_fn, router, candidates):
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
        with own_random_state():
            model = build_fn(**model_kw)
        optimizer = getattr(model, "optimizer", None)
        if not getattr(model, "compiled", False) or not isinstance(optimizer, _optimizers.Optimizer):
            continue                                   # build_model says what is wrong with the model
        accepted = {p for p in inspect.signature(type(optimizer)).parameters if p != "name"}
        unknown = [n for n in extra if n not in accepted]
        if unknown:
            raise ValueError(f"optimizer__{unknown[0]}: build_fn {router.build_name}() compiles its model "
                             f"with {type(optimizer).__name__}, which takes no argument {unknown[0]!r}; "
                             f"it takes {', '.join(sorted(accepted))}. To use another optimizer, add "
                             "'optimizer' (e.g. ['sgd']) to the hyper-parameters")
