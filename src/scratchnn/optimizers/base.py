"""The ``Optimizer`` base class: everything the concrete optimizers share.

An optimizer turns gradients into in-place updates of ``Tensor.data``. One call of
``apply(grads, variables)`` (or ``apply_gradients(zip(grads, variables))``, or
``step(variables)`` which reads each ``variable.grad``) does, in this order:

1. drop the pairs whose gradient is ``None``; cast each gradient to its variable's dtype;
2. clip the gradients (``clipnorm``, ``global_clipnorm`` or ``clipvalue``);
3. read the learning rate ``lr`` for this step (a float, or ``schedule(iterations)``);
4. decoupled weight decay, if ``weight_decay`` is set: ``w <- w - w * weight_decay * lr``
   (except for the variables ``exclude_from_weight_decay`` names);
5. the optimizer's own rule (``update_step``) on every variable, in place;
6. ``iterations += 1``.

This is Keras 3's order. The step number ``t`` that appears in the bias corrections of
Adam and friends is ``iterations + 1`` during an update (the first update has ``t = 1``);
a learning-rate schedule sees ``iterations`` (the first update uses ``schedule(0)``).

Subclasses declare their per-variable state in ``slot_specs()`` (name and initial value)
and implement ``update_step(grad, w, state, lr)``: the update rule written as its formula,
changing the arrays ``w`` (the variable's ``.data``) and ``state[name]`` in place
(``m[...] = b1 * m + (1 - b1) * grad``; ``w -= lr * grad``). A class may also give a
``fast_update_step`` with the same signature that computes the same update without
temporaries (``scratchnn.kernels.optimizers``); it is used while fast kernels are on, and only
for the class whose ``update_step`` it mirrors (a subclass that rewrites ``update_step`` runs
its own code).
"""
import math

import numpy as np

from ..backend import fast_kernels_enabled
from . import schedules as _schedules
from ._checks import check_number as _check_number

# Smallest magnitude we keep in float state; see ``Optimizer._flush_subnormals``.
_FLUSH_THRESHOLD = {np.dtype(np.float16): 1e-4, np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-300}


def _check_optional_positive(name, value):
    return None if value is None else _check_number(name, value, 0.0, low_open=True,
                                                    expected="None or a finite number > 0")


def _check_learning_rate(value):
    if isinstance(value, _schedules.LearningRateSchedule) or callable(value):
        return value
    return _check_number("learning_rate", value, 0.0, expected="a finite number >= 0, a schedule or a "
                         "callable of the step")


class LearningRate(float):
    """``optimizer.learning_rate``: the rate of the next update, a float that also reads and writes as
    Keras's learning-rate variable does: ``.numpy()`` (a float32, as Keras stores it), ``float()``,
    ``.assign(value)`` (sets the optimizer's rate, as ``optimizer.learning_rate = value`` does),
    ``assign_add``/``assign_sub``. It is the value when it was read: read ``optimizer.learning_rate``
    again after an ``assign``. A schedule's rate cannot be assigned (Keras refuses it too)."""

    def __new__(cls, value, optimizer):
        rate = super().__new__(cls, value)
        rate.optimizer = optimizer
        return rate

    def __reduce__(self):                  # pickled (in a History, a log) as the number alone
        return float, (float(self),)

    def numpy(self):
        return np.float32(self)

    def value(self):
        return float(self)

    def assign(self, value):
        self.optimizer.learning_rate = _number(value)
        return self.optimizer.learning_rate

    def assign_add(self, delta):
        return self.assign(float(self.optimizer.learning_rate) + _number(delta))

    def assign_sub(self, delta):
        return self.assign(float(self.optimizer.learning_rate) - _number(delta))


def _number(value):
    """A float from a number, a 0-d array or a Tensor."""
    return float(np.asarray(getattr(value, "data", value)))


class Optimizer:
    """Base class of the optimizers (Keras 3 semantics, NumPy in-place updates).

    Common arguments (all optimizers):

    * ``learning_rate``: a float, a ``schedules.LearningRateSchedule``, or any callable
      ``f(step) -> float`` called with ``iterations`` before each update. (Keras calls a
      plain callable with no argument; here it receives the step, like a schedule.)
    * ``weight_decay``: decoupled decay ``w <- w - w * weight_decay * lr`` applied before
      the update rule (Keras's form; it is not an L2 term added to the gradient).
    * ``clipnorm``: each gradient ``g`` is rescaled to ``g * clipnorm / max(||g||, clipnorm)``.
    * ``global_clipnorm``: all gradients are rescaled together by
      ``global_clipnorm / max(N, global_clipnorm)`` with ``N = sqrt(sum_i ||g_i||^2)``.
    * ``clipvalue``: each gradient element is clipped to ``[-clipvalue, clipvalue]``.

    At most one clipping option may be set (Keras refuses ``clipnorm`` together with
    ``global_clipnorm`` and silently ignores ``clipvalue`` next to either; we refuse both).

    State (moments, accumulators) is created lazily, per variable, the first time a
    variable is updated, with the variable's dtype (float32 state for float32 weights).
    ``state(variable)`` returns a variable's state dict; ``variables()`` returns
    ``[iterations] + all state arrays`` in a stable order (slot by slot, variables in the
    order first seen, as Keras orders ``optimizer.variables``).
    """

    #: Every this many updates, state values smaller than a tiny threshold are set to 0,
    #: so that float32 subnormals never accumulate (``None`` disables it).
    subnormal_flush_interval = 100

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        self._learning_rate = _check_learning_rate(learning_rate)
        self.weight_decay = None if weight_decay is None else _check_number(
            "weight_decay", weight_decay, 0.0, expected="None or a finite number >= 0")
        self.clipnorm = _check_optional_positive("clipnorm", clipnorm)
        self.clipvalue = _check_optional_positive("clipvalue", clipvalue)
        self.global_clipnorm = _check_optional_positive("global_clipnorm", global_clipnorm)
        n_clip = sum(x is not None for x in (self.clipnorm, self.clipvalue, self.global_clipnorm))
        if n_clip > 1:
            raise ValueError("at most one of `clipnorm`, `clipvalue` and `global_clipnorm` may be set, got "
                             f"clipnorm={clipnorm!r}, clipvalue={clipvalue!r}, "
                             f"global_clipnorm={global_clipnorm!r}.")
        self.name = name if name is not None else type(self).__name__.lower()
        self.iterations = 0
        self._no_decay_ids, self._no_decay_names = set(), ()    # exclude_from_weight_decay
        self._state = {}      # variable (Tensor, hashed by identity) -> {slot name: ndarray}
        self._scratch = {}    # (shape, dtype) -> list of work buffers shared by all variables

    # ----------------------------------------------------------- learning rate
    @property
    def learning_rate(self):
        """The learning rate of the next update, as a float (a schedule is evaluated at ``iterations``)
        that also has Keras's variable methods (``.numpy()``, ``.assign()``: ``LearningRate``)."""
        return LearningRate(self._current_learning_rate(), self)

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, _schedules.LearningRateSchedule) and not (
                isinstance(value, _schedules.LearningRateSchedule) or callable(value)):
            raise TypeError("this optimizer's learning rate is a schedule; it can only be replaced by "
                            f"another schedule or callable, not set to {value!r}.")
        if isinstance(value, float):           # a LearningRate read from an optimizer: its number
            value = float(value)
        self._learning_rate = _check_learning_rate(value)

    #: Keras 2's name (``model.optimizer.lr``), still in many course notebooks.
    lr = learning_rate

    def _current_learning_rate(self):
        lr = self._learning_rate
        if callable(lr):
            lr = float(lr(self.iterations))
            if not math.isfinite(lr):
                raise ValueError(f"the learning-rate schedule returned {lr!r} at step {self.iterations}; "
                                 "expected a finite number.")
        return lr

    # ----------------------------------------------------------- public update API
    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs, e.g. ``opt.apply_gradients(zip(grads, params))``."""
        pairs = list(grads_and_vars)
        return self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def step(self, variables):
        """Update ``variables`` with their own ``.grad`` (variables whose ``.grad`` is None are skipped)."""
        variables = list(variables)
        return self.apply([v.grad for v in variables], variables)

    def apply(self, grads, variables):
        """Update ``variables`` (Tensors) in place with ``grads`` (arrays; ``None`` skips a variable).

        Returns ``iterations`` after the update. If every gradient is ``None`` nothing happens
        (the step counter is not advanced).
        """
        grads, variables = list(grads), list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"got {len(grads)} gradients for {len(variables)} variables; "
                             "expected one gradient (or None) per variable.")
        pairs, seen = [], set()
        for g, var in zip(grads, variables):
            if g is None:
                continue
            w = getattr(var, "data", None)
            if not isinstance(w, np.ndarray) or not hasattr(var, "grad"):
                raise TypeError(f"optimizers update scratchnn Tensors in place; got {type(var).__name__}.")
            if w.dtype.kind != "f":
                raise TypeError(f"only floating-point variables can be optimized; got dtype {w.dtype}.")
            if id(var) in seen:
                raise ValueError("the same variable appears twice in one update; sum its gradients first.")
            seen.add(id(var))
            g = getattr(g, "data", g)          # a Tensor gradient is accepted too
            g = np.asarray(g, dtype=w.dtype)   # no copy when it already has the right dtype
            if g.shape != w.shape:
                raise ValueError(f"gradient shape {g.shape} does not match variable shape {w.shape}.")
            pairs.append((g, var))
        if not pairs:
            return self.iterations

        pairs = self._clip(pairs)
        lr = self._current_learning_rate()
        if self.weight_decay:
            keep = 1.0 - self.weight_decay * lr      # w - w*wd*lr, as one in-place multiply
            for _, var in pairs:
                if self.decays(var):
                    var.data *= keep
        self._before_update(lr)
        update = self._update_function()
        for g, var in pairs:
            update(g, var.data, self.state_for(var), lr)
        self.iterations += 1
        if self.subnormal_flush_interval and self.iterations % self.subnormal_flush_interval == 0:
            self._flush_subnormals()
        return self.iterations

    def build(self, variables):
        """Create the state of ``variables`` now instead of at their first update."""
        for var in variables:
            self.state_for(var)

    # ----------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """No weight decay for the variables of ``var_list``, nor for those whose name contains one
        of the strings ``var_names`` (Keras 3's method): e.g. ``var_names=["bias", "gamma",
        "beta"]`` decays only kernels and embeddings, as GPT-2 and nanoGPT train."""
        names = [var_names] if isinstance(var_names, str) else list(var_names or [])
        bad = [n for n in names if not isinstance(n, str) or not n]
        if bad:
            raise ValueError(f"exclude_from_weight_decay: var_names must be non-empty strings, "
                             f"got {bad[0]!r}")
        self._no_decay_ids.update(id(v) for v in (var_list or []))
        self._no_decay_names = tuple(dict.fromkeys(self._no_decay_names + tuple(names)))

    def decays(self, variable):
        """Whether ``weight_decay`` applies to ``variable`` (see ``exclude_from_weight_decay``)."""
        if id(variable) in self._no_decay_ids:
            return False
        name = getattr(variable, "name", None) or ""
        return not any(part in name for part in self._no_decay_names)

    # ----------------------------------------------------------- clipping
    def _clip(self, pairs):
        # New arrays only when clipping changes something: the caller's gradients are never modified.
        if self.clipnorm is not None:
            out = []
            for g, var in pairs:
                norm = math.sqrt(float(np.vdot(g, g)))
                out.append((g * (self.clipnorm / norm) if norm > self.clipnorm else g, var))
            return out
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g, _ in pairs))
            if norm > self.global_clipnorm:
                scale = self.global_clipnorm / norm
                return [(g * scale, var) for g, var in pairs]
            return pairs
        if self.clipvalue is not None:
            c = self.clipvalue
            return [(np.clip(g, -c, c), var) for g, var in pairs]
        return pairs

    # ----------------------------------------------------------- state
    def slot_specs(self):
        """``[(slot name, initial value), ...]`` of the per-variable state. Override."""
        return []

    def global_state(self):
        """``[(name, value), ...]`` of optimizer-wide scalar state besides ``iterations``. Override."""
        return []

    def set_global_state(self, name, value):
        """Restore one entry of ``global_state()`` (it is stored as the attribute ``_<name>``)."""
        if name not in dict(self.global_state()):
            raise KeyError(f"{type(self).__name__} has no optimizer-wide state {name!r}")
        setattr(self, f"_{name}", float(value))

    def state_for(self, var):
        """The state dict ``{slot name: array}`` of ``var``, created (from ``slot_specs``) if missing."""
        state = self._state.get(var)
        if state is None:
            w = var.data
            state = {}
            for name, init in self.slot_specs():
                state[name] = np.zeros_like(w) if init == 0 else np.full_like(w, init)
            self._state[var] = state
        return state

    def state(self, variable):
        """The state dict ``{slot name: array}`` of ``variable`` (empty dict if it has none yet)."""
        return self._state.get(variable, {})

    def states(self):
        """``[(variable, state dict), ...]`` for every variable with state, in the order first seen."""
        return list(self._state.items())

    def snapshot_state(self):
        """A copy of everything training changes (step count, learning rate or schedule, optimizer-wide
        state, every slot); ``restore_state(snapshot)`` puts it back exactly (variables that gained
        state since lose it again)."""
        slots = [(var, {name: arr.copy() for name, arr in state.items()})
                 for var, state in self._state.items()]
        return self.iterations, self._learning_rate, self.global_state(), slots

    def restore_state(self, snapshot):
        """Undo every change since ``snapshot_state()`` (the weights themselves are not touched)."""
        iterations, learning_rate, global_state, states = snapshot
        self.iterations, self._learning_rate = iterations, learning_rate
        for name, value in global_state:
            self.set_global_state(name, value)
        kept = {}
        for var, saved in states:
            live = self._state.get(var)
            if live is None or any(live[slot].shape != arr.shape for slot, arr in saved.items()):
                live = {slot: arr.copy() for slot, arr in saved.items()}
            else:
                for slot, arr in saved.items():
                    live[slot][...] = arr
            kept[var] = live
        self._state = kept

    def _work(self, like, count):
        """``count`` reusable scratch arrays shaped like ``like`` (saves an allocation per operation)."""
        key = (like.shape, like.dtype)
        bufs = self._scratch.get(key)
        if bufs is None or len(bufs) < count:
            bufs = [np.empty_like(like) for _ in range(count)]
            self._scratch[key] = bufs
        return bufs

    def variables(self):
        """``[iterations] + per-slot state arrays (+ optimizer-wide scalars)``, in a stable order.

        The state arrays are the live ones (modifying them modifies the optimizer);
        ``iterations`` and scalar state come as fresh 0-d arrays.
        """
        out = [np.array(self.iterations, dtype=np.int64)]
        for name, _ in self.slot_specs():
            out.extend(state[name] for state in self._state.values())
        out.extend(np.array(value, dtype=np.float64) for _, value in self.global_state())
        return out

    def _flush_subnormals(self):
        """Set state values with ``|x| < threshold`` (1e-30 for float32) to exactly 0.

        Why: a moving average fed zero gradients decays geometrically (``v <- 0.999 v`` in
        Adam, ``0.9`` in RMSprop and momentum) and eventually enters the subnormal range
        (below 1.2e-38 in float32), and squares of tiny gradients land there directly.
        x86 CPUs process subnormal operands up to ~100x slower, so state that is mostly
        subnormal (e.g. the weights of MNIST's always-blank border pixels) slowed later
        epochs by 7-21%. NumPy cannot set the CPU's flush-to-zero mode, so we do it by hand,
        every ``subnormal_flush_interval`` (100) updates: one ``abs``, one compare and one
        masked store per state array, i.e. a few elementwise passes per 100 updates.

        The threshold 1e-30 is far above the subnormal range, so a value just above it
        still needs >=100 updates at a decay of 0.83/step to become subnormal, i.e. it is
        caught by the next flush; values this small have no effect on any update (Adam's
        ``sqrt(v) + eps`` with ``sqrt(1e-30) = 1e-15 << eps``).
        """
        for state in self._state.values():
            for arr in state.values():
                thr = _FLUSH_THRESHOLD.get(arr.dtype)
                if thr is None:
                    continue
                tmp = self._work(arr, 1)[0]
                np.abs(arr, out=tmp)
                np.putmask(arr, tmp < thr, 0)

    # ----------------------------------------------------------- subclass hooks
    def _before_update(self, lr):
        """Called once per step, before the per-variable updates (e.g. Nadam's momentum product)."""

    def update_step(self, grad, w, state, lr):
        """Update the array ``w`` in place from ``grad``; ``state`` holds this variable's slots."""
        raise NotImplementedError

    #: The fast kernel of this class's ``update_step`` (same signature, same numbers), or None.
    fast_update_step = None

    def _update_function(self):
        """``update_step``, or the ``fast_update_step`` written for it (fast kernels on): looked up
        on the class that defines the ``update_step`` in use."""
        if fast_kernels_enabled():
            for klass in type(self).__mro__:
                if "update_step" in vars(klass):
                    fast = vars(klass).get("fast_update_step")
                    if fast is not None:
                        return fast.__get__(self)
                    break
        return self.update_step

    # ----------------------------------------------------------- config
    def get_config(self):
        """Hyper-parameters as a dict; ``type(opt).from_config(opt.get_config())`` rebuilds the optimizer."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = _schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        lr = self._learning_rate
        lr = f"{lr:g}" if isinstance(lr, float) else repr(lr)
        return f"{type(self).__name__}(learning_rate={lr}, iterations={self.iterations})"
