"""Loss objects, as in Keras: ``SparseCategoricalCrossentropy(from_logits=True)`` etc.

Each class is a thin configuration holder around the function of the same name in
``scratchnn.functional.losses``, where the formula, its derivative and the Keras
details (clipping, rescaling, fused backward) live.  Called as
``loss(y_true, y_pred, sample_weight=None)`` it returns a scalar Tensor (or the
per-sample losses with ``reduction='none'``).

Keras's reduction names are accepted: ``'sum_over_batch_size'`` (the default:
the mean over all values), ``'sum'`` and ``'none'`` (or None).

Masks (Keras): when ``y_pred`` carries a mask (``get_mask``: padding marked by
``Embedding(mask_zero=True)`` and passed on by the layers after it), the masked
positions count for nothing: with m the mask (1 = a real position, 0 = padding) and
w the sample weights,

    'sum_over_batch_size':  sum(w * m * l) / sum(m)    (0 when every position is padding)
    'sum':                  sum(w * m * l)
    'none':                 w * m * l

so a batch of padded sequences has the loss of its real tokens alone, whatever the
labels at the padding.

Each loss also says what it is for, so that checks and tools never guess from class
names: ``task`` ('regression', 'binary' or 'multiclass'), ``target`` (the form of
``y_true``: 'values', 'binary', 'one_hot' or 'class_index') and ``from_logits``.
"""
import numpy as np

from .autograd import Tensor, get_mask
from .functional.losses import LOSSES as LOSS_FUNCTIONS
from .functional.losses import (binary_crossentropy, categorical_crossentropy, huber, mean_absolute_error,
                                mean_squared_error, reduce_losses, sparse_categorical_crossentropy,
                                sum_squared_error)
from .registry import Registry, custom

_REDUCTIONS = {"sum_over_batch_size": "mean", "mean": "mean", "auto": "mean", "sum": "sum",
               "none": "none", None: "none"}


class Loss:
    """Base class: ``fn(y_true, y_pred, **kwargs)`` with a reduction and a name.

    Subclasses declare what they are for (None: not declared, e.g. a wrapped function):

    * ``task``: ``'regression'`` (real values), ``'binary'`` (one probability per output unit:
      two classes, or several independent yes/no labels) or ``'multiclass'`` (one distribution
      over the classes);
    * ``target``: the form of ``y_true``: ``'values'`` (the output's shape), ``'binary'`` (0/1 or
      probabilities, the output's shape), ``'one_hot'`` (one-hot or soft rows, the output's shape)
      or ``'class_index'`` (integer labels, one axis less than the output).

    ``from_logits`` is True when the loss applies the sigmoid/softmax itself.
    """
    fn = None
    task = None
    target = None

    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; valid: "
                             "'sum_over_batch_size', 'sum', 'none'")
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)
        self.kwargs = kwargs

    @property
    def from_logits(self):
        """Whether ``y_pred`` holds logits (the loss applies the sigmoid or softmax itself)."""
        return bool(self.kwargs.get("from_logits", False))

    def __call__(self, y_true, y_pred, sample_weight=None):
        if type(self).call is not Loss.call:      # a subclass written as in Keras 3: its call()
            return self.reduce(self.call(y_true, y_pred), y_pred, sample_weight)
        mask = get_mask(y_pred)
        if mask is None:
            return type(self).fn(y_true, y_pred, reduction=_REDUCTIONS[self.reduction],
                                 sample_weight=sample_weight, **self.kwargs)
        values = type(self).fn(y_true, y_pred, reduction="none", sample_weight=sample_weight, **self.kwargs)
        return masked_reduction(values, mask, _REDUCTIONS[self.reduction], self.name)

    def call(self, y_true, y_pred):
        """The per-sample losses. A custom loss subclasses ``Loss`` and overrides this (as in
        Keras 3); ``__call__`` then weights and reduces what it returns."""
        return type(self).fn(y_true, y_pred, reduction="none", **self.kwargs)

    def reduce(self, values, y_pred, sample_weight=None):
        """Weight and reduce per-sample ``values`` (a scalar is returned as it is), counting only
        the unmasked positions of ``y_pred``."""
        if values.ndim == 0:
            return values
        mask = get_mask(y_pred)
        if mask is None:
            return reduce_losses(values, _REDUCTIONS[self.reduction], sample_weight, self.name)
        values = reduce_losses(values, "none", sample_weight, self.name)
        return masked_reduction(values, mask, _REDUCTIONS[self.reduction], self.name)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, **self.kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{type(self).__name__}({args})"


def masked_reduction(values, mask, reduction, name="loss"):
    """Reduce the (weighted) per-sample losses ``values`` counting only where ``mask`` is True:
    ``reduction`` 'mean' divides the sum by the number of unmasked values (sum(m) when the mask has
    the losses' shape, as it has after an Embedding; a loss of 0 when there is none), 'sum' sums,
    'none' zeroes the masked values. ``mask``: booleans whose shape is the first axes of
    ``values``'s (a mask (batch, time) also covers losses (batch, time, k))."""
    mask = np.asarray(mask)
    if mask.shape != values.shape[:mask.ndim]:
        raise ValueError(f"{name}: y_pred carries a mask of shape {mask.shape} (the padding of its "
                         f"sequences), which does not fit the per-sample losses of shape {values.shape}: "
                         "the mask must cover their first axes. Remove it with set_mask(y_pred, None) "
                         "to count every value")
    m = np.broadcast_to(mask.reshape(mask.shape + (1,) * (values.ndim - mask.ndim)), values.shape)
    masked = values * Tensor.wrap(m.astype(values.dtype))
    if reduction == "none":
        return masked
    total = masked.sum()
    if reduction == "sum":
        return total
    return total / max(int(m.sum()), 1)          # no real position: the sum is 0, and so is the loss


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2) over the last axis, then reduced."""
    fn = staticmethod(mean_squared_error)
    task, target = "regression", "values"

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(reduction, name)


class MeanAbsoluteError(Loss):
    """mean(|y_pred - y_true|) over the last axis, then reduced."""
    fn = staticmethod(mean_absolute_error)
    task, target = "regression", "values"

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(reduction, name)


class SumSquaredError(Loss):
    """1/2 sum((y_pred - y_true)^2) over the last axis (the textbook's), then reduced."""
    fn = staticmethod(sum_squared_error)
    task, target = "regression", "values"

    def __init__(self, reduction="sum_over_batch_size", name="sum_squared_error"):
        super().__init__(reduction, name)


class Huber(Loss):
    """Quadratic for |error| <= delta, linear beyond (see ``functional.losses.huber``)."""
    fn = staticmethod(huber)
    task, target = "regression", "values"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(reduction, name, delta=delta)


class BinaryCrossentropy(Loss):
    """-[t log p + (1 - t) log(1 - p)], averaged over the last axis."""
    fn = staticmethod(binary_crossentropy)
    task, target = "binary", "binary"

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(Loss):
    """-sum_k t_k log p_k for one-hot (or soft) targets."""
    fn = staticmethod(categorical_crossentropy)
    task, target = "multiclass", "one_hot"

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(reduction, name, from_logits=from_logits, label_smoothing=label_smoothing)


class SparseCategoricalCrossentropy(Loss):
    """-log p[y] for integer class labels y."""
    fn = staticmethod(sparse_categorical_crossentropy)
    task, target = "multiclass", "class_index"

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
        return {**super().get_config(), "fn": LOSS_FUNCTIONS.name_of(fn) or getattr(fn, "__name__", repr(fn))}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(LOSS_FUNCTIONS.lookup(config.pop("fn")), **config)

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.reduce(self.function(y_true, y_pred), y_pred, sample_weight)


_BUILT_IN = (MeanSquaredError, MeanAbsoluteError, SumSquaredError, Huber, BinaryCrossentropy,
             CategoricalCrossentropy, SparseCategoricalCrossentropy)

#: The loss names ``compile(loss=...)`` accepts: each function's name and aliases ('mse', 'huber_loss')
#: and each class name, case-insensitive; your registered Loss classes and loss functions too.
LOSSES = Registry("loss", accepts=lambda obj: callable(obj))
for _cls in _BUILT_IN:              # each function's name and short aliases ('mse'), and the class name
    LOSSES.add(_cls, LOSS_FUNCTIONS.name_of(_cls.fn),
               aliases=[name for name, fn in LOSS_FUNCTIONS.entries() if fn is _cls.fn
                        and name != LOSS_FUNCTIONS.name_of(_cls.fn)])
    LOSSES.alias(_cls.__name__, _cls)
LOSSES.alias("LossFunctionWrapper", LossFunctionWrapper)
del _cls


def get(identifier):
    """A Loss object from a name ('sparse_categorical_crossentropy', 'mse', 'Huber'), a Loss, a
    Loss class, a config dict or a plain function; unknown names list the valid ones."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        cls = LOSSES.lookup(identifier.get("class_name"))
        if not (isinstance(cls, type) and issubclass(cls, Loss)):
            raise ValueError(f"loss config names {identifier.get('class_name')!r}, which is not a Loss class")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        return get(LOSSES.lookup(identifier))
    if callable(identifier):
        for cls in _BUILT_IN:
            if cls.fn is identifier:
                return cls()
        return LossFunctionWrapper(identifier)
    raise ValueError(f"cannot interpret {identifier!r} as a loss: expected a name (one of {LOSSES.names()}), "
                     "a Loss, a config dict or a function fn(y_true, y_pred)")


def serialize(loss):
    return {"class_name": custom.name_of(type(loss)) or type(loss).__name__, "config": loss.get_config()}


__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "SumSquaredError", "Huber",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "LossFunctionWrapper", "get", "serialize", "mean_squared_error", "mean_absolute_error",
           "sum_squared_error", "huber", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy"]
