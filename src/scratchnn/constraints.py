"""Constraints: projections applied to a weight after each optimizer update (Keras 3 formulas).

    import scratchnn as snn
    layer = snn.layers.Dense(64, kernel_constraint=snn.constraints.MaxNorm(3))   # or "max_norm"

A constraint is a callable ``c(w: numpy.ndarray) -> numpy.ndarray`` of the same shape and
dtype; after each update the model sets ``w.data[...] = c(w.data)``. It is not part of the
graph (no gradient flows through it).

Notation: ``||w||`` is the L2 norm of each slice of ``w`` along ``axis``, kept with size 1
so it broadcasts. For a ``Dense`` kernel ``(n_in, n_out)``, ``axis=0`` (the default) takes
the norm of each unit's incoming weights (each column); for a conv kernel
``(kh, kw, c_in, c_out)`` use ``axis=(0, 1, 2)`` for each filter. ``eps = 1e-7`` is Keras's
``backend.epsilon()``, added to the norm in the denominators below, so a slice whose norm is
exactly at a bound is still multiplied by ``||w|| / (eps + ||w||)``, i.e. shrunk by a
relative ``eps / ||w||`` (as in Keras).
"""
import math
import numbers

import numpy as np

from .registry import Configurable, Registry

#: Keras's fuzz factor ``backend.epsilon()``, added to norms before dividing by them.
EPSILON = 1e-7


def _check_real(name, value, low=None, high=None):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"`{name}` must be a finite number in [{lo}, {hi}], got {value!r}.")
    return value


def _check_axis(axis):
    """An int, or a list/tuple of ints (kept as given, for the config)."""
    def is_int(a):
        return isinstance(a, (numbers.Integral, np.integer)) and not isinstance(a, bool)
    if is_int(axis):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(is_int(a) for a in axis):
        return [int(a) for a in axis] if isinstance(axis, list) else tuple(int(a) for a in axis)
    raise ValueError(f"`axis` must be an int or a non-empty list/tuple of ints, got {axis!r}.")


def _as_array(w):
    return np.asarray(getattr(w, "data", w))


def _norms(w, axis):
    """``||w||`` along ``axis`` (keepdims), in ``w``'s float dtype."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class Constraint(Configurable):
    """Base class of the constraints: ``c(w) -> w'`` on arrays (the base class returns ``w``).

    Subclass it and implement ``__call__(w)`` (and ``get_config`` if the constructor takes
    arguments); a plain function ``f(w) -> array`` works wherever a constraint is expected.
    """

    def __call__(self, w):
        return w


class MaxNorm(Constraint):
    """Caps the norm of each slice at ``max_value`` (default 2; ``axis`` default 0)::

        w' = w * clip(||w||, 0, max_value) / (eps + ||w||)

    Slices with ``||w|| > max_value`` are rescaled to norm ``max_value`` (up to ``eps``);
    the others are left as they are (up to the factor ``||w|| / (eps + ||w||)``).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _check_real("max_value", max_value, 0.0)
        self.axis = _check_axis(axis)

    def __call__(self, w):
        w = _as_array(w)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero: ``w' = max(w, 0)``."""

    def __call__(self, w):
        w = _as_array(w)
        return np.maximum(w, 0).astype(w.dtype, copy=False)


class UnitNorm(Constraint):
    """Scales each slice to unit norm (``axis`` default 0)::

        w' = w / (eps + ||w||)
    """

    def __init__(self, axis=0):
        self.axis = _check_axis(axis)

    def __call__(self, w):
        w = _as_array(w)
        return (w / (EPSILON + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the norm of each slice into ``[min_value, max_value]``, at ``rate``::

        target = rate * clip(||w||, min_value, max_value) + (1 - rate) * ||w||
        w'     = w * target / (eps + ||w||)

    ``rate = 1`` (default) enforces the bounds strictly; a smaller rate moves the norms
    part of the way at each update. Defaults ``min_value = 0``, ``max_value = 1``, ``axis = 0``.
    A slice of zeros stays zero (its direction is undefined).
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _check_real("min_value", min_value, 0.0)
        self.max_value = _check_real("max_value", max_value, 0.0)
        if self.max_value < self.min_value:
            raise ValueError(f"`max_value` must be >= `min_value`, got min_value={self.min_value!r}, "
                             f"max_value={self.max_value!r}.")
        self.rate = _check_real("rate", rate, 0.0, 1.0)
        self.axis = _check_axis(axis)

    def __call__(self, w):
        w = _as_array(w)
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return (w * (desired / (EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# ----------------------------------------------------------------- lower-case aliases (as Keras)
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_CLASSES = (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
_SNAKE = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}

#: The constraint names: snake_case names listed, class names accepted too.
CONSTRAINTS = Registry("constraint", base=Constraint, example="MaxNorm", callable_form="f(w)")
for _name, _cls in _SNAKE.items():
    CONSTRAINTS.add(_cls, _name)
for _cls in _CLASSES:
    CONSTRAINTS.alias(_cls.__name__, _cls)
del _name, _cls


def serialize(constraint):
    """``{"class_name": ..., "config": ...}`` of a ``Constraint``; ``deserialize``/``get`` rebuild it."""
    return CONSTRAINTS.serialize(constraint)


def deserialize(config):
    """Build a constraint from ``serialize``'s dict (or from a name)."""
    return CONSTRAINTS.deserialize(config)


def get(identifier):
    """Resolve ``identifier`` to a constraint, as ``keras.constraints.get`` does.

    * ``None``: ``None``;
    * a name (``"max_norm"``, ``"non_neg"``, ``"unit_norm"``, ``"min_max_norm"``, or a class name):
      a new instance with default arguments;
    * a config dict ``{"class_name": "MaxNorm", "config": {"max_value": 3}}``;
    * a ``Constraint`` subclass: a new instance; an instance: returned as is;
    * any other callable ``f(w) -> array``: returned as is.
    """
    return CONSTRAINTS.get(identifier)


__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg", "unit_norm",
           "min_max_norm", "get", "serialize", "deserialize"]
