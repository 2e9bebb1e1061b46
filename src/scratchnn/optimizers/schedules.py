"""Learning-rate schedules: callables ``schedule(step) -> learning rate``.

An optimizer evaluates its schedule at ``step = optimizer.iterations`` before every
update (so the first update uses ``schedule(0)``). Names, arguments and formulas follow
Keras 3. Every schedule has ``get_config()`` and ``from_config(config)``.
"""
import bisect
import math

from ..registry import Configurable, Registry
from ._checks import check_number


def _num(name, value, low=None, low_open=False):
    return check_number(name, value, low, low_open=low_open)


class LearningRateSchedule(Configurable):
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()`` (``from_config``
    and the ``repr`` come from ``registry.Configurable``)."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError


class _StepDecay(LearningRateSchedule):
    """Shared by the decays driven by ``p = step / decay_steps`` (``floor``-ed with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = _num("initial_learning_rate", initial_learning_rate, 0.0)
        self.decay_steps = _num("decay_steps", decay_steps, 0.0, low_open=True)
        self.decay_rate = _num("decay_rate", decay_rate, 0.0)
        self.staircase = bool(staircase)
        self.name = name

    def _progress(self, step):
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """``lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the rate drops
    by a factor ``decay_rate`` every ``decay_steps`` steps instead of continuously.
    """

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class InverseTimeDecay(_StepDecay):
    """``lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True``, ``step / decay_steps`` is replaced by ``floor(step / decay_steps)``.
    """

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """A step function: ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` once ``step > boundaries[-1]``.

    ``boundaries`` must be increasing and ``len(values) == len(boundaries) + 1``.
    """

    def __init__(self, boundaries, values, name=None):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"`values` must have one more element than `boundaries`; got "
                             f"{len(boundaries)} boundaries and {len(values)} values.")
        if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError(f"`boundaries` must be strictly increasing, got {boundaries!r}.")
        self.boundaries = [_num("boundaries", b) for b in boundaries]
        self.values = [_num("values", v, 0.0) for v in values]
        self.name = name

    def __call__(self, step):
        # bisect_left counts the boundaries strictly below `step`: exactly the index we need.
        return self.values[bisect.bisect_left(self.boundaries, step)]

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine annealing, with an optional linear warmup first.

    Without warmup (``warmup_target=None``), with ``s = min(step, decay_steps)``::

        lr(step) = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    so it falls from ``initial_learning_rate`` to ``alpha * initial_learning_rate`` and stays there.

    With warmup: for ``step < warmup_steps`` the rate rises linearly,
    ``initial_learning_rate + (warmup_target - initial_learning_rate) * step / warmup_steps``;
    afterwards it is the cosine formula above with ``warmup_target`` as the starting rate and
    ``s = min(step - warmup_steps, decay_steps)``.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate = _num("initial_learning_rate", initial_learning_rate, 0.0)
        self.decay_steps = _num("decay_steps", decay_steps, 0.0, low_open=True)
        self.alpha = _num("alpha", alpha, 0.0)
        self.warmup_target = None if warmup_target is None else _num("warmup_target", warmup_target, 0.0)
        self.warmup_steps = _num("warmup_steps", warmup_steps, 0.0)
        self.name = name

    def __call__(self, step):
        start = self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                return start + (self.warmup_target - start) * step / self.warmup_steps
            start, step = self.warmup_target, step - self.warmup_steps
        s = min(step, self.decay_steps)
        cosine = 0.5 * (1.0 + math.cos(math.pi * s / self.decay_steps))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


#: The learning-rate schedules by class name (your registered schedules are found too).
SCHEDULES = Registry("learning-rate schedule", base=LearningRateSchedule, example="ExponentialDecay")
for _cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay):
    SCHEDULES.add(_cls)
del _cls


def serialize(schedule):
    """``{"class_name": ..., "config": ...}`` for a schedule (what ``Optimizer.get_config`` stores)."""
    return SCHEDULES.serialize(schedule)


def deserialize(config):
    """Inverse of ``serialize``."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"a learning-rate schedule config must be {{'class_name': ..., 'config': {{...}}}}, "
                         f"got {config!r}")
    return SCHEDULES.deserialize(config)
