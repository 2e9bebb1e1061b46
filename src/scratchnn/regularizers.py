"""Regularizers: weight penalties added to the loss, with Keras 3 names, defaults and formulas.

    import scratchnn as snn
    reg = snn.regularizers.L2(1e-4)             # or snn.regularizers.get("l2")
    loss = data_loss + reg(W)                   # W a Tensor: the penalty's gradient reaches W

A regularizer is a callable ``reg(w) -> scalar Tensor`` built from differentiable ops
(``scratchnn.ops``), so that adding it to the loss adds ``d penalty / d w`` to ``w.grad``.
Layers call the regularizers of their weights and models add the penalties to the loss.
A plain function ``f(w) -> scalar Tensor`` works wherever a regularizer is expected.
"""
import math
import numbers

import numpy as np

from . import ops
from .autograd import Tensor
from .registry import Registry


def _check_factor(name, value, default):
    """A penalty factor: ``None`` means ``default``; otherwise a finite real number >= 0."""
    if value is None:
        return default
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0, got {value!r}.")
    return value


def _as_tensor(x):
    """A Tensor as is; an array becomes a constant Tensor keeping its float dtype."""
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    return Tensor(arr, dtype=arr.dtype if arr.dtype.kind == "f" else None)


def _zero_like(w):
    return Tensor(np.zeros((), dtype=w.dtype if w.dtype.kind == "f" else np.float32))


class Regularizer:
    """Base class of the regularizers: ``reg(w) -> scalar Tensor`` (the base class returns 0).

    Subclass it, implement ``__call__(w)`` with differentiable ops and ``get_config()`` to
    write your own.
    """

    def __call__(self, w):
        return _zero_like(_as_tensor(w))

    def get_config(self):
        """The constructor arguments as a dict; ``cls.from_config(config)`` rebuilds the regularizer."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """Lasso penalty: ``penalty = l1 * sum_i |w_i|``; gradient ``l1 * sign(w)`` (0 at w = 0).

    Default ``l1 = 0.01`` (what the string ``"l1"`` gives).
    """

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("l1", l1, 0.01)

    def __call__(self, w):
        w = _as_tensor(w)
        return ops.sum(ops.abs(w)) * self.l1

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """Weight-decay penalty: ``penalty = l2 * sum_i w_i^2``; gradient ``2 * l2 * w``.

    Default ``l2 = 0.01`` (what the string ``"l2"`` gives). Keras has no factor 1/2 here,
    so the gradient is ``2 * l2 * w``. PyTorch's ``weight_decay=wd`` (in ``SGD``, ``Adam``...)
    adds ``wd * w`` to the gradient, which is the gradient of ``wd / 2 * sum_i w_i^2``:
    ``L2(l2)`` corresponds to PyTorch's ``weight_decay = 2 * l2``. (Decoupled weight decay,
    as in ``AdamW`` or the optimizers' ``weight_decay`` argument, is not a loss term at all.)
    """

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("l2", l2, 0.01)

    def __call__(self, w):
        w = _as_tensor(w)
        return ops.sum(w * w) * self.l2

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Elastic-net penalty: ``penalty = l1 * sum_i |w_i| + l2 * sum_i w_i^2``.

    Defaults ``l1 = 0``, ``l2 = 0`` (so ``L1L2(l2=0.1)`` has no L1 term); the factory
    ``l1_l2()`` and the string ``"l1_l2"`` use ``0.01`` for both, as in Keras. A term whose
    factor is 0 is left out.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor("l1", l1, 0.0)
        self.l2 = _check_factor("l2", l2, 0.0)

    def __call__(self, w):
        w = _as_tensor(w)
        penalty = None
        if self.l1:
            penalty = ops.sum(ops.abs(w)) * self.l1
        if self.l2:
            term = ops.sum(w * w) * self.l2
            penalty = term if penalty is None else penalty + term
        return _zero_like(w) if penalty is None else penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (``mode="rows"``, default) or columns of a matrix.

    With ``v_1 ... v_n`` the rows (or columns) of ``w`` divided by their norms
    (``v / max(||v||, 1e-7)``) and ``P = n (n - 1) / 2`` the number of pairs::

        penalty = factor * 0.5 * sum_{i != j} |v_i . v_j| / P  =  factor * mean_{i < j} |v_i . v_j|

    i.e. ``factor`` times the mean absolute cosine between pairs. Default ``factor = 0.01``.
    Needs a 2-D weight with at least two rows (columns).
    """

    _EPSILON = 1e-7

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_factor("factor", factor, 0.01)
        if mode not in ("rows", "columns"):
            raise ValueError(f"`mode` must be one of ['rows', 'columns'], got {mode!r}.")
        self.mode = mode

    def __call__(self, w):
        w = _as_tensor(w)
        if w.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer: the weight must be 2-D, got shape {w.shape}.")
        if self.mode == "columns":
            w = w.T
        n = w.shape[0]
        if n < 2:
            raise ValueError(f"OrthogonalRegularizer(mode={self.mode!r}) needs at least 2 {self.mode}, "
                             f"got a weight of shape {w.shape}.")
        sq = ops.sum(w * w, axis=1, keepdims=True)
        v = w / ops.sqrt(ops.maximum(sq, self._EPSILON ** 2))
        off_diagonal = (v @ v.T) * (1.0 - np.eye(n))
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / (n * (n - 1) / 2.0))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# ----------------------------------------------------------------- lower-case aliases (as Keras)
l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer


def l1_l2(l1=0.01, l2=0.01):  # noqa: F811  (the arguments shadow the aliases above, as in Keras)
    """``L1L2(l1, l2)`` with Keras's factory defaults ``l1 = l2 = 0.01``."""
    return L1L2(l1=l1, l2=l2)


_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
_SNAKE = {"l1": L1, "l2": L2, "l1_l2": l1_l2, "orthogonal_regularizer": OrthogonalRegularizer}


#: The regularizer names: snake_case names listed, class names accepted too.
REGULARIZERS = Registry("regularizer", base=Regularizer, example="L1L2", callable_form="f(w)")
for _name, _obj in _SNAKE.items():
    REGULARIZERS.add(_obj, _name)
for _cls in _CLASSES:
    REGULARIZERS.alias(_cls.__name__, _cls)
del _name, _obj, _cls


def serialize(regularizer):
    """``{"class_name": ..., "config": ...}`` of a ``Regularizer``; ``deserialize``/``get`` rebuild it."""
    return REGULARIZERS.serialize(regularizer)


def deserialize(config):
    """Build a regularizer from ``serialize``'s dict (or from a name)."""
    return REGULARIZERS.deserialize(config)


def get(identifier):
    """Resolve ``identifier`` to a regularizer, as ``keras.regularizers.get`` does.

    * ``None``: ``None``;
    * a name: ``"l1"`` -> ``L1(0.01)``, ``"l2"`` -> ``L2(0.01)``, ``"l1_l2"`` -> ``L1L2(0.01, 0.01)``,
      ``"orthogonal_regularizer"``, or a class name (``"L1L2"`` -> ``L1L2(0, 0)``);
    * a config dict ``{"class_name": "L2", "config": {"l2": 1e-4}}``;
    * a ``Regularizer`` subclass: a new instance; an instance: returned as is;
    * any other callable ``f(w) -> scalar Tensor``: returned as is.
    """
    return REGULARIZERS.get(identifier)


__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]
