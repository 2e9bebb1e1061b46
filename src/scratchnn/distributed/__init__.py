"""Data-parallel training over MPI (``pip install 'scratchnn[mpi]'``: mpi4py, and MPICH's wheel).

``mpiexec -n R python train.py`` starts ``R`` copies of a script, the ranks. Each holds the same
model and trains on its own part of the data; at every step the ranks average their gradients
(one ``Allreduce``), so all apply the same update and stay identical: ``R`` ranks with a batch of
``B`` each train as one process with a batch of ``R * B`` (step for step the same weights, up to
rounding). As Horovod and ChainerMN do:

    from scratchnn import distributed
    from scratchnn.callbacks import EarlyStopping, ModelCheckpoint

    model.compile(optimizer=distributed.DistributedOptimizer("adam"),     # 1. average gradients
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    distributed.fit(model, x, y, batch_size=32, epochs=5,                 # 2. shard, sync, rank 0 writes
                    callbacks=[EarlyStopping(patience=2)],                #    on every rank
                    rank0_callbacks=[ModelCheckpoint("model.scratchnn")]) #    on rank 0 only
    if distributed.rank() == 0:
        model.save("final.scratchnn")

or by hand, ``model.fit(*distributed.shard(x, y), callbacks=distributed.callbacks(...),
verbose=...)``. The command line: ``mpiexec -n 4 scratchnn train ... --distributed``.

* ``optimizer.py``: ``DistributedOptimizer`` (the gradient average), ``is_distributed``;
* ``data.py``: ``shard`` (every ``R``-th sample, the same count on every rank);
* ``sync.py``: the callbacks ``BroadcastWeights`` (rank 0's weights and optimizer state at the
  start), ``AverageMetrics`` (epoch logs), ``AverageBatchNormStatistics`` (moving statistics),
  ``StopTogether`` (one rank stops: all stop), and ``callbacks()`` that orders them;
* ``fit.py``: ``fit``, the above in one call;
* ``comm.py``: ``world``, ``rank``, ``size``, ``Collectives`` (each collective with a deadline: a
  rank that died ends the job with a message instead of a hang), ``abort_on_error``.

This package sits above ``models`` (ARCHITECTURE.md): it drives a model through its public
surface (weights, optimizer state, callbacks), like ``model_selection``; nothing below needs it.
docs/distributed.md: running it on several machines.
"""
from .comm import (DEFAULT_TIMEOUT, INSTALL, TIMEOUT_VARIABLE, Collectives, abort_on_error, mpi, rank,
                   size, world)
from .data import shard
from .fit import fit
from .optimizer import DistributedOptimizer, GradientAveraging, is_distributed
from .sync import (AverageBatchNormStatistics, AverageMetrics, BroadcastWeights, StopTogether,
                   callbacks)

__all__ = ["DistributedOptimizer", "GradientAveraging", "is_distributed", "shard", "fit", "callbacks",
           "BroadcastWeights", "AverageMetrics", "AverageBatchNormStatistics", "StopTogether",
           "Collectives", "abort_on_error", "world", "rank", "size", "mpi", "INSTALL", "DEFAULT_TIMEOUT",
           "TIMEOUT_VARIABLE"]
