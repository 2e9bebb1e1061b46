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

What differs from TensorFlow: ``autograd`` computes gradients as plain arrays (no graph of the
backward pass), so a gradient cannot be differentiated again: nested tapes for second
derivatives raise a clear error instead of returning wrong values. ``tf.function`` runs the
function as it is (eagerly): there is no graph to trace.
"""
import functools
import warnings
import weakref

import numpy as np

from ..autograd import Tensor, grad, no_grad
from ..keras import ops

__all__ = ["GradientTape", "function", "TensorSpec", "UnconnectedGradients"]

_recording = []                              # the tapes whose ``with`` block is open, innermost last
_tape_gradients = {}     # id -> weak reference: the gradients computed while an outer tape recorded


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
        self._inner_gradient_taken = False

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
        ``output_gradients``: d(something)/d(target), one per target (default: ones)."""
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of "
                               "gradients; create it with tf.GradientTape(persistent=True) to call "
                               "gradient() several times")
        if unconnected_gradients not in (UnconnectedGradients.NONE, UnconnectedGradients.ZERO):
            raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}")
        targets = [ops.convert_to_tensor(t) for t in flatten(target)]
        flat_sources = flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(f"GradientTape.gradient: sources must be Tensors or Variables, got "
                                f"{type(s).__name__}")
        self._refuse_second_derivatives(targets)
        seeds = [None] * len(targets) if output_gradients is None else flatten(output_gradients)
        if len(seeds) != len(targets):
            raise ValueError(f"GradientTape.gradient: {len(seeds)} output_gradients for "
                             f"{len(targets)} targets")
        live = [(t, g) for t, g in zip(targets, seeds) if t.requires_grad]
        wanted = [s for s in flat_sources if self._differentiable(s)]
        found = {}
        if live and wanted:
            arrays = grad([t for t, _ in live], wanted, [g for _, g in live], retain_graph=self.persistent)
            found = {id(s): a for s, a in zip(wanted, arrays)}
        if not self.persistent:
            self._used = True
        results = []
        for s in flat_sources:
            a = found.get(id(s))
            if a is None and unconnected_gradients == UnconnectedGradients.ZERO:
                a = np.zeros_like(s.data)
            results.append(None if a is None else self._result(Tensor.wrap(a)))
        return pack(sources, iter(results))

    def _result(self, g):
        if any(tape is not self for tape in _recording):
            if len(_tape_gradients) > 1000:         # forget the gradients that are gone
                for key in [k for k, ref in _tape_gradients.items() if ref() is None]:
                    del _tape_gradients[key]
            _tape_gradients[id(g)] = weakref.ref(g)    # an outer tape is open: remember where g came from
            for tape in _recording:
                if tape is not self:
                    tape._inner_gradient_taken = True
        return g

    def _refuse_second_derivatives(self, targets):
        inner = any(_tape_gradients.get(id(t), lambda: None)() is t for t in targets)
        if inner or (self._inner_gradient_taken and not any(t.requires_grad for t in targets)):
            raise NotImplementedError(
                "second derivatives (a GradientTape inside another) are not available: scratchnn's "
                "autograd computes gradients as plain arrays, which cannot be differentiated again. "
                "Compute the derivative you need by hand, or by finite differences of the gradient")

    def jacobian(self, *args, **kwargs):
        """Not available: the Jacobian needs one backward pass per output element."""
        raise NotImplementedError("GradientTape.jacobian is not part of scratchnn's TensorFlow surface; "
                                  "call gradient() once per output element instead")


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
