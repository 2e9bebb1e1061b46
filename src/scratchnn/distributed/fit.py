"""``fit(model, x, y, ...)``: ``model.fit`` on every rank, with what data parallelism needs.

It is a convenience over three lines anyone can write by hand (see ``__init__``):

    x_part, y_part = shard(x, y)                       # this rank's samples
    cbs = callbacks(callbacks, rank0=rank0_callbacks)  # in sync; files and prints on rank 0 only
    model.fit(x_part, y_part, callbacks=cbs, verbose=verbose if rank 0 else 0, ...)

plus the checks that would otherwise fail late: the model must be compiled with a
``DistributedOptimizer`` (else each rank trains its own copy), and the data must be arrays
(a generator is read by each rank as it is: give each rank its own and call ``model.fit``).
"""
from ..models.data import is_array_like, unpack_validation_data
from .comm import Collectives
from .data import shard
from .optimizer import is_distributed
from .sync import callbacks as _sync_callbacks


def fit(model, x, y=None, *, batch_size=None, epochs=1, callbacks=None, rank0_callbacks=None,
        validation_data=None, sample_weight=None, verbose="auto", comm=None, timeout=None, **fit_args):
    """Train ``model`` on all ranks of ``comm`` (default: the world) as one process would with a
    batch of ``size * batch_size``: each rank reads its shard of ``x``, ``y`` and ``sample_weight``
    (``shard``: every ``size``-th sample) and of ``validation_data`` (a tuple of arrays), batches of
    ``batch_size`` of its own, and averages its gradients with the others at every step.

    ``callbacks`` run on every rank and see the epoch's logs averaged over the ranks;
    ``rank0_callbacks`` (checkpoints, CSV logs) run on rank 0 only; the progress bar is shown by
    rank 0 only. The other arguments go to ``model.fit`` as they are (``validation_split`` takes the
    last fraction of each rank's shard). Returns the ``History``: the same on every rank.
    """
    c = Collectives(comm, timeout)
    optimizer = getattr(model, "optimizer", None)
    if not is_distributed(optimizer):
        raise ValueError("distributed.fit: compile the model with optimizer=scratchnn.distributed."
                         f"DistributedOptimizer(...) first (its optimizer is {optimizer!r}: each rank "
                         "would train its own copy)")
    if not is_array_like(x):
        raise TypeError(f"distributed.fit shards arrays; x is a {type(x).__name__}. For a generator, "
                        "give each rank its own batches and call model.fit(..., "
                        "callbacks=distributed.callbacks(...)) on every rank")
    x, y, sample_weight = shard(x, y, sample_weight, comm=c.comm)
    if validation_data is not None:
        vx, vy, vw = unpack_validation_data(validation_data)
        if is_array_like(vx):
            vx, vy, vw = shard(vx, vy, vw, comm=c.comm)
            validation_data = (vx, vy) if vw is None else (vx, vy, vw)
    cbs = _sync_callbacks(callbacks, rank0=rank0_callbacks, comm=c.comm, timeout=c.timeout)
    return model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=cbs,
                     validation_data=validation_data, sample_weight=sample_weight,
                     verbose=verbose if c.is_root else 0, **fit_args)
