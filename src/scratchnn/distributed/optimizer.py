"""``DistributedOptimizer``: average the gradients over all ranks, then take the wrapped step.

Data-parallel training: every rank holds the same weights and computes the gradient of the
loss on its own batch of ``B`` samples; the loss is a mean over the batch, so rank ``r``'s
gradient is ``g_r = (1/B) sum_{i in batch r} dL_i/dw``. Their average over the ``R`` ranks,

    g = (1/R) sum_r g_r = (1/(R B)) sum_{i in all R batches} dL_i/dw,

is exactly the gradient of the mean loss over the global batch of ``R B`` samples. Every rank
then applies the same update to the same weights, so the weights stay identical on every rank
without ever being sent again: one run on ``R`` ranks with batch ``B`` trains like one process
with batch ``R B`` (Horovod's and ChainerMN's design).

Per step, the gradients are copied into one flat buffer (allocated once, reused), summed over
the ranks with a single ``Allreduce``, divided by ``R`` and handed, as views of that buffer, to
the wrapped optimizer's own ``apply`` (clipping, weight decay, the update rule: all on the
averaged gradient, as one process would). One collective per step costs one network latency,
not one per weight. The buffer has one more number, the count of ranks that asked to stop
(``request_stop``): so ``StopTogether`` learns, with the same Allreduce, whether any rank
wants to stop training, without a second collective per step.

The object returned is the wrapped optimizer's class with ``GradientAveraging`` in front of it
(Horovod builds it the same way): ``isinstance(opt, Adam)`` holds, its state and its
``get_config`` are Adam's, and a model saved with it is saved with a plain ``Adam``, which
loads anywhere, without MPI.
"""
import zlib

import numpy as np

from .. import optimizers as _optimizers
from .comm import Collectives

_CLASSES = {}          # the optimizer class -> its GradientAveraging subclass


class GradientAveraging:
    """The part of a ``DistributedOptimizer`` that averages the gradients (a mixin put in front
    of the wrapped optimizer's class); ``isinstance(opt, GradientAveraging)`` tells a
    distributed optimizer. ``collectives`` is its ``Collectives`` (``.seconds``: the time spent
    in the gradient averages so far; ``.calls``: how many)."""

    collectives = None
    #: After each step's average: whether some rank called ``request_stop`` before it.
    stop_requested = False
    _stop_vote = 0.0

    def request_stop(self):
        """Tell every rank, with the next gradient average, that this one wants to stop training."""
        self._stop_vote = 1.0

    @property
    def stop_pending(self):
        """Whether this rank called ``request_stop`` and the next average has not sent it yet."""
        return self._stop_vote > 0

    def clear_stop(self):
        """Forget the stop requests, sent or not (they were agreed on another way)."""
        self._stop_vote, self.stop_requested = 0.0, False

    def apply(self, grads, variables):
        """Average ``grads`` over the ranks (one Allreduce), then the wrapped optimizer's ``apply``."""
        return super().apply(self.average_gradients(grads), variables)

    def average_gradients(self, grads):
        """``grads`` (arrays or None, the same positions on every rank) averaged over the ranks:
        a list of views of the reused flat buffer (None stays None). With one rank: ``grads``."""
        grads = list(grads)
        comm = self.collectives
        if comm.size == 1:
            return grads
        present = [(i, np.asarray(getattr(g, "data", g))) for i, g in enumerate(grads) if g is not None]
        layout = tuple((a.shape, a.dtype.str) for _, a in present)
        if layout != self._layout:
            self._make_buffer(layout)
        buffer = self._buffer
        for (_, a), (start, stop) in zip(present, self._spans):
            buffer[start:stop] = a.reshape(-1)
        buffer[-1] = self._stop_vote                     # the last number: 1 if this rank asks to stop
        comm.allreduce_sum(buffer, f"the gradient average of step {self.iterations + 1}")
        self.stop_requested, self._stop_vote = bool(buffer[-1] > 0), 0.0
        buffer /= comm.size
        for (i, a), (start, stop) in zip(present, self._spans):
            grads[i] = buffer[start:stop].reshape(a.shape)
        return grads

    _layout, _buffer, _spans = None, None, ()

    def _make_buffer(self, layout):
        """The flat buffer for gradients of these shapes and dtypes (the widest dtype of them), and
        one number more for the stop votes, after checking that every rank has the same ones:
        different models on different ranks would otherwise be summed element by element, silently."""
        sizes = [int(np.prod(shape)) for shape, _ in layout]
        signature = np.array([len(layout), sum(sizes), zlib.crc32(repr(layout).encode())], dtype=np.int64)
        both = self.collectives.allreduce_max(np.concatenate([signature, -signature]),
                                              "the check that all ranks train the same weights")
        if not (np.array_equal(both[:3], signature) and np.array_equal(-both[3:], signature)):
            raise ValueError(f"DistributedOptimizer: the ranks have different gradients to average "
                             f"(this rank {self.collectives.rank}: {len(layout)} arrays, {sum(sizes)} "
                             f"numbers; over the ranks: {-both[3]} to {both[0]} arrays, {-both[4]} to "
                             f"{both[1]} numbers): every rank must train the same model")
        ends = np.cumsum([0] + sizes)
        self._spans = list(zip(ends[:-1].tolist(), ends[1:].tolist()))
        dtype = np.result_type(*[np.dtype(d) for _, d in layout]) if layout else np.float32
        self._buffer = np.empty(int(ends[-1]) + 1, dtype=dtype)
        self._layout = layout


def DistributedOptimizer(optimizer, comm=None, timeout=None):
    """``optimizer`` (an instance or a name such as ``'adam'``) made to average its gradients
    over the ranks of ``comm`` (default: every rank, ``MPI.COMM_WORLD``) before each update.

        model.compile(optimizer=distributed.DistributedOptimizer(Adam(1e-3)), loss=..., metrics=...)

    The optimizer is taken over, state included: use the returned one, not the old one.
    ``timeout``: seconds a rank waits for the others in one average before ending the job
    (``comm.Collectives``). Each rank must make the same number of steps (``shard`` gives every
    rank as many samples).
    """
    inner = _optimizers.get(optimizer)
    if not isinstance(inner, _optimizers.Optimizer):
        raise TypeError(f"DistributedOptimizer wraps a scratchnn optimizer, got {optimizer!r}")
    if isinstance(inner, GradientAveraging):
        raise ValueError(f"DistributedOptimizer: {inner!r} already averages its gradients over the ranks")
    collectives = Collectives(comm, timeout)
    base = type(inner)
    cls = _CLASSES.get(base)
    if cls is None:           # named like the wrapped class: a saved model records 'Adam', not ours
        cls = type(base.__name__, (GradientAveraging, base),
                   {"__module__": base.__module__, "__qualname__": base.__qualname__,
                    "__doc__": f"{base.__name__} with its gradients averaged over the MPI ranks."})
        _CLASSES[base] = cls
    wrapped = object.__new__(cls)
    wrapped.__dict__.update(vars(inner))      # its settings and state, as they are
    wrapped.collectives = collectives
    return wrapped


def is_distributed(optimizer):
    """Whether ``optimizer`` averages its gradients over the ranks (``DistributedOptimizer``)."""
    return isinstance(optimizer, GradientAveraging)
