"""``tf.GradientTape`` and ``tf.function`` on scratchnn's autograd.

scratchnn records every operation on a tensor that requires a gradient (a trainable weight,
or a tensor made from one), tape or not. A ``GradientTape`` therefore only has to remember
which constants it was asked to ``watch``, and its ``gradient`` asks ``autograd.grad`` for the
gradients of the sources alone: no ``.grad`` is left on any tensor, so a ``fit`` that follows a
custom training loop starts clean.

    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_weights)     # a list of Tensors (None: unconnected)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

Second derivatives: as in TensorFlow, a gradient taken while another tape is recording (a tape
inside another, or a persistent tape asked inside its own ``with`` block) is itself recorded:
``autograd.grad(..., create_graph=True)`` computes it with Tensor operations, so the outer tape
can differentiate it (nested tapes, a gradient penalty, Hessian-vector products). An op without
a second derivative raises an error naming it when its gradient is differentiated again.
``jacobian`` and ``batch_jacobian`` take one backward pass per element of the target (per
element of one example for ``batch_jacobian``). ``tf.function`` runs the function as it is
(eagerly): there is no graph to trace.
"""
import functools
import warnings

import numpy as np

from ..autograd import Tensor, grad, is_grad_enabled, no_grad
from ..keras import ops
from ..ops import stack

__all__ = ["GradientTape", "function", "TensorSpec", "UnconnectedGradients"]

_recording = []                              # the tapes whose ``with`` block is open, innermost last


class UnconnectedGradients:
    """What ``gradient`` returns for a source the target does not depend on: None or zeros."""
    NONE = "none"
    ZERO = "zero"


def flatten(structure):
    """The Tensors (and Nones) of a nested structure of lists, tuples and dicts, in order."""
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack(structure, leaves):
    """``leaves`` (an iterator) put back into the shape of ``structure``."""
    if isinstance(structure, dict):
        return type(structure)((key, pack(structure[key], leaves)) for key in structure)
    if isinstance(structure, (list, tuple)):
        items = [pack(item, leaves) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else type(structure)(items)
    return next(leaves)


class GradientTape:
    """Records nothing itself (scratchnn's autograd always records); remembers the watched
    constants and answers ``gradient(target, sources)``.

    ``persistent=False``: ``gradient`` may be called once (the graph is then freed), as in
    TensorFlow; ``persistent=True`` keeps the graph for several calls. With
    ``watch_accessed_variables=False`` only the watched tensors get gradients.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched = {}                   # id -> tensor
        self._switched_on = []               # constants whose requires_grad ``watch`` turned on
        self._used = False

    def __enter__(self):
        _recording.append(self)
        return self

    def __exit__(self, *exc):
        if self in _recording:
            _recording.remove(self)
        for t in self._switched_on:          # the constants are constants again for later code
            t.requires_grad = False
        self._switched_on = []
        return False

    def watch(self, tensor):
        """Differentiate with respect to ``tensor`` (a Tensor, or a list / dict of them) too: the
        operations applied to it from now on are recorded."""
        for t in flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch: expected a Tensor (tf.constant, tf.Variable), got "
                                f"{type(t).__name__}; convert it first with tf.constant(...)")
            if t.dtype.kind not in "fc":
                warnings.warn(f"GradientTape.watch: a tensor of dtype {t.dtype} cannot have a gradient "
                              "(only floating-point tensors can); it is not watched", stacklevel=2)
                continue
            if not t.requires_grad:
                t.requires_grad = True
                self._switched_on.append(t)
            self._watched[id(t)] = t

    def watched_variables(self):
        """The tensors given to ``watch``."""
        return list(self._watched.values())

    def stop_recording(self):
        """``with tape.stop_recording(): ...``: operations inside are not recorded."""
        return no_grad()

    def reset(self):
        """Forget the watched tensors."""
        self._watched = {}

    def _differentiable(self, source):
        if id(source) in self._watched:
            return True
        return self.watch_accessed_variables and source.requires_grad

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d target / d source for each source, in the structure of ``sources`` (a Tensor, a list,
        a dict, nested): Tensors, or None where ``target`` does not depend on the source
        (zeros with ``unconnected_gradients='zero'``). Several targets: the gradient of their sum.
        ``output_gradients``: d(something)/d(target), one per target (default: ones).
        Taken while another tape records (or inside this one's block, if persistent), the
        gradients are recorded too: the outer tape can differentiate them (second derivatives)."""
        self._check_use(unconnected_gradients)
        targets = [ops.convert_to_tensor(t) for t in flatten(target)]
        flat_sources = self._sources(sources)
        seeds = [None] * len(targets) if output_gradients is None else flatten(output_gradients)
        if len(seeds) != len(targets):
            raise ValueError(f"GradientTape.gradient: {len(seeds)} output_gradients for "
                             f"{len(targets)} targets")
        results = self._gradients(targets, seeds, flat_sources, unconnected_gradients, self.persistent)
        if not self.persistent:
            self._used = True
        return pack(sources, iter(results))

    def _check_use(self, unconnected_gradients):
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of "
                               "gradients; create it with tf.GradientTape(persistent=True) to call "
                               "gradient() several times")
        if unconnected_gradients not in (UnconnectedGradients.NONE, UnconnectedGradients.ZERO):
            raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}")

    @staticmethod
    def _sources(sources):
        flat_sources = flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(f"GradientTape.gradient: sources must be Tensors or Variables, got "
                                f"{type(s).__name__}")
        return flat_sources

    def _records_gradients(self):
        """True when a gradient taken now must itself be differentiable: another tape is
        recording, or this persistent tape is (TensorFlow records the gradient on them)."""
        if not is_grad_enabled():                        # inside tape.stop_recording()
            return False
        return any(tape is not self or self.persistent for tape in _recording)

    def _gradients(self, targets, seeds, flat_sources, unconnected_gradients, retain):
        """One Tensor (or None) per source: the gradient of the targets, seeded with ``seeds``."""
        live = [(t, g) for t, g in zip(targets, seeds) if t.requires_grad]
        wanted = [s for s in flat_sources if self._differentiable(s)]
        found = {}
        if live and wanted:
            create = self._records_gradients()
            arrays = grad([t for t, _ in live], wanted, [g for _, g in live], retain_graph=retain or create,
                          create_graph=create)
            found = {id(s): a for s, a in zip(wanted, arrays)}
        results = []
        for s in flat_sources:
            a = found.get(id(s))
            if a is None and unconnected_gradients == UnconnectedGradients.ZERO:
                a = np.zeros_like(s.data)
            results.append(a if a is None or isinstance(a, Tensor) else Tensor.wrap(a))
        return results

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d target[i] / d source[j] for every pair: for each source a Tensor of shape
        target.shape + source.shape (None where unconnected, unless ``unconnected_gradients='zero'``).
        One backward pass per element of ``target`` (``parallel_iterations`` and
        ``experimental_use_pfor`` are accepted and change nothing)."""
        self._check_use(unconnected_gradients)
        target = ops.convert_to_tensor(target)
        flat_sources = self._sources(sources)
        rows = self._rows(target, flat_sources, unconnected_gradients, batch=False)
        results = [None if r is None else r.reshape(target.shape + s.shape)
                   for r, s in zip(rows, flat_sources)]
        if not self.persistent:
            self._used = True
        return pack(sources, iter(results))

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """d target[b, i] / d source[b, j] for each example b (examples independent of each
        other, as in a model's batch): shape (batch,) + target.shape[1:] + source.shape[1:].
        One backward pass per element of one example's target."""
        self._check_use(unconnected_gradients)
        target = ops.convert_to_tensor(target)
        source, = self._sources([source])
        if target.ndim == 0 or source.ndim == 0 or target.shape[0] != source.shape[0]:
            raise ValueError(f"GradientTape.batch_jacobian: target and source need the same first (batch) "
                             f"axis, got shapes {target.shape} and {source.shape}")
        row, = self._rows(target, [source], unconnected_gradients, batch=True)
        if not self.persistent:
            self._used = True
        return None if row is None else row.reshape(target.shape + source.shape[1:])

    def _rows(self, target, flat_sources, unconnected_gradients, batch):
        """For each source, the gradients of each target element (of each example's element with
        ``batch``: the seed is 1 at that element of every example) stacked on a new axis 0 (1)."""
        per = target.shape[1:] if batch else target.shape
        count = int(np.prod(per))
        rows = [[] for _ in flat_sources]
        for k in range(count):
            seed = np.zeros(per, dtype=target.dtype)
            seed.reshape(-1)[k] = 1
            seed = np.broadcast_to(seed, target.shape) if batch else seed
            found = self._gradients([target], [seed], flat_sources, unconnected_gradients, retain=True)
            for r, g in zip(rows, found):
                r.append(g)
        results = []
        for r, s in zip(rows, flat_sources):
            if all(g is None for g in r):            # no element depends on s
                results.append(None)
                continue
            r = [g if g is not None else Tensor.wrap(np.zeros_like(s.data)) for g in r]
            results.append(stack(r, axis=1 if batch else 0))
        return results


class TensorSpec:
    """``tf.TensorSpec(shape, dtype=tf.float32, name=None)``: the description of an input, as in a
    ``tf.function``'s ``input_signature`` (recorded, not enforced: nothing is traced)."""

    def __init__(self, shape, dtype=np.float32, name=None):
        self.shape = None if shape is None else tuple(shape)
        self.dtype = ops.standardize_dtype(dtype)
        self.name = name

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype.name}, name={self.name!r})"


_FUNCTION_OPTIONS = {"input_signature", "autograph", "jit_compile", "reduce_retracing",
                     "experimental_implements", "experimental_autograph_options",
                     "experimental_attributes", "experimental_relax_shapes", "experimental_compile",
                     "experimental_follow_type_hints"}


def function(func=None, **options):
    """``@tf.function`` (with or without arguments: ``input_signature``, ``jit_compile``,
    ``reduce_retracing``, ... are accepted): the function runs as written, eagerly (scratchnn
    has no graph to compile), so its results equal those of the plain function."""
    unknown = set(options) - _FUNCTION_OPTIONS
    if unknown:
        raise TypeError(f"tf.function got unexpected arguments {sorted(unknown)}; accepted: "
                        f"{sorted(_FUNCTION_OPTIONS)}")

    def decorate(f):
        @functools.wraps(f)
        def run_eagerly(*args, **kwargs):
            return f(*args, **kwargs)
        run_eagerly.python_function = f
        run_eagerly.input_signature = options.get("input_signature")
        return run_eagerly

    return decorate if func is None else decorate(func)
