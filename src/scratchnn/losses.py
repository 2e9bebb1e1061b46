"""Loss objects, as in Keras: ``SparseCategoricalCrossentropy(from_logits=True)`` etc.

Each class is a thin configuration holder around the function of the same name in
``scratchnn.functional.losses``, where the formula, its derivative and the Keras
details (clipping, rescaling, fused backward) live.  Called as
``loss(y_true, y_pred, sample_weight=None)`` it returns a scalar Tensor (or the
per-sample losses with ``reduction='none'``).

Keras's reduction names are accepted: ``'sum_over_batch_size'`` (the default:
the mean over all values), ``'sum'`` and ``'none'`` (or None).
"""
from . import _custom
from .functional import losses as _fl
from .functional.losses import (binary_crossentropy, categorical_crossentropy, huber,
                                mean_absolute_error, mean_squared_error,
                                sparse_categorical_crossentropy, sum_squared_error)

_REDUCTIONS = {"sum_over_batch_size": "mean", "mean": "mean", "auto": "mean", "sum": "sum",
               "none": "none", None: "none"}


class Loss:
    """Base class: ``fn(y_true, y_pred, **kwargs)`` with a reduction and a name."""
    fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; valid: "
                             "'sum_over_batch_size', 'sum', 'none'")
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)
        self.kwargs = kwargs

    def __call__(self, y_true, y_pred, sample_weight=None):
        return type(self).fn(y_true, y_pred, reduction=_REDUCTIONS[self.reduction],
                             sample_weight=sample_weight, **self.kwargs)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **self.kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{type(self).__name__}({args})"


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2) over the last axis, then reduced."""
    fn = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(reduction, name)


class MeanAbsoluteError(Loss):
    """mean(|y_pred - y_true|) over the last axis, then reduced."""
    fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(reduction, name)


class SumSquaredError(Loss):
    """1/2 sum((y_pred - y_true)^2) over the last axis (the textbook's), then reduced."""
    fn = staticmethod(sum_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="sum_squared_error"):
        super().__init__(reduction, name)


class Huber(Loss):
    """Quadratic for |error| <= delta, linear beyond (see ``functional.losses.huber``)."""
    fn = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(reduction, name, delta=delta)


class BinaryCrossentropy(Loss):
    """-[t log p + (1 - t) log(1 - p)], averaged over the last axis."""
    fn = staticmethod(binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(Loss):
    """-sum_k t_k log p_k for one-hot (or soft) targets."""
    fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits, label_smoothing=label_smoothing)


class SparseCategoricalCrossentropy(Loss):
    """-log p[y] for integer class labels y."""
    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits)


class LossFunctionWrapper(Loss):
    """Wraps a plain function ``fn(y_true, y_pred)`` returning per-sample losses (or a scalar)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"))
        self.function = fn

    def get_config(self):
        """The function is saved by name: a custom one must be registered to be loaded again."""
        fn = self.function
        return {**super().get_config(), "fn": _custom.name_of(fn) or getattr(fn, "__name__", repr(fn))}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        name = config.pop("fn")
        fn = _fl.LOSSES.get(name) or _custom.lookup(name, callable)
        if fn is None:
            raise ValueError(f"unknown loss function {name!r}. " + _custom.HINT.format(name=name))
        return cls(fn, **config)

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.function(y_true, y_pred)
        if values.ndim == 0:
            return values
        return _fl._reduce(values, _REDUCTIONS[self.reduction], sample_weight, self.name)


_BY_FUNCTION = {cls.fn: cls for cls in (MeanSquaredError, MeanAbsoluteError, SumSquaredError, Huber,
                                         BinaryCrossentropy, CategoricalCrossentropy,
                                         SparseCategoricalCrossentropy)}
#: every name of ``functional.losses.LOSSES`` ('mse', 'huber_loss', ...) -> its class
_CLASSES = {name: _BY_FUNCTION[fn] for name, fn in _fl.LOSSES.items()}
_CLASSES.update({cls.__name__: cls for cls in set(_CLASSES.values())})


def get(identifier):
    """A Loss object from a name ('sparse_categorical_crossentropy'), a Loss, a class, a
    config dict or a plain function; unknown names list the valid ones."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name == "LossFunctionWrapper":
            return LossFunctionWrapper.from_config(identifier.get("config", {}))
        cls = _CLASSES.get(name) or _custom.lookup(
            name, lambda obj: isinstance(obj, type) and issubclass(obj, Loss))
        if cls is None:
            raise ValueError(f"unknown loss class {name!r}; valid: "
                             f"{', '.join(sorted(k for k in _CLASSES if k[0].isupper()))}. "
                             + _custom.HINT.format(name=name))
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier) or _CLASSES.get(identifier.lower())
        if cls is None:
            custom = _custom.lookup(identifier)
            if custom is not None:
                return get(custom)
            raise ValueError(f"unknown loss {identifier!r}; valid names: "
                             f"{', '.join(sorted(k for k in _CLASSES if not k[0].isupper()))}")
        return cls()
    if callable(identifier):
        for name, fn in _fl.LOSSES.items():
            if fn is identifier:
                return _CLASSES[name]()
        return LossFunctionWrapper(identifier)
    raise ValueError(f"cannot interpret {identifier!r} as a loss")


def serialize(loss):
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "SumSquaredError", "Huber",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "LossFunctionWrapper", "get", "serialize", "mean_squared_error", "mean_absolute_error",
           "sum_squared_error", "huber", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy"]
