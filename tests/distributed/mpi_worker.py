"""The program the distributed tests start under ``mpiexec -n 2`` (not a test file itself).

    mpiexec -n 2 python tests/distributed/mpi_worker.py OUT SCENARIO [SCENARIO ...]

Each scenario trains on every rank and writes what it saw to ``OUT/<scenario>-rank<r>.npz``
(or leaves files for the test to look for); the tests in this folder read them. The model and
data builders are imported by the tests too, for the one-process references.
"""
import sys
from pathlib import Path

import numpy as np

from scratchnn import distributed
from scratchnn import layers as L
from scratchnn.callbacks import Callback, CSVLogger, ModelCheckpoint
from scratchnn.models import Sequential
from scratchnn.optimizers import SGD, Adam, Nadam
from scratchnn.regularizers import L2
from scratchnn.utils import set_random_seed

BATCH = 8          # per rank: the one-process reference uses 2 * BATCH
STEPS = 5
LOSS = "sparse_categorical_crossentropy"


def equality_data():
    """``2 * BATCH * STEPS`` samples of 6 features, 3 classes (float64)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2 * BATCH * STEPS, 6))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, y


def mlp64(seed):
    """A float64 MLP 6-16-3 with an L2 penalty on its first kernel, initialized from ``seed``."""
    set_random_seed(seed)
    return Sequential([L.Input((6,)),
                       L.Dense(16, activation="tanh", kernel_regularizer=L2(1e-3), dtype="float64"),
                       L.Dense(3, activation="softmax", dtype="float64")])


def optimizers():
    """The optimizers the equality claim is checked with (one run each)."""
    return {"adam": lambda: Adam(0.01, global_clipnorm=0.5), "sgd": lambda: SGD(0.1, momentum=0.9)}


class WeightRecorder(Callback):
    """The model's weights (flattened into one float64 vector) after every step."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append(np.concatenate([w.reshape(-1) for w in self.model.get_weights()]))


class Recorder(Callback):
    """Copies of the epoch logs, and of the BatchNormalization moving statistics at each
    validation pass's start (placed before the sync callbacks: this rank's own values)."""

    def __init__(self):
        super().__init__()
        self.logs, self.bn = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))

    def on_test_begin(self, logs=None):
        bn = self.model.get_layer("bn")
        self.bn.append(np.concatenate([bn.moving_mean.data, bn.moving_variance.data]))


class StopAt(Callback):
    """Sets ``stop_training`` after batch ``batch`` (0-based) of the first epoch, or at the end of
    the first epoch (``batch=None``)."""

    def __init__(self, batch):
        super().__init__()
        self.batch = batch

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.batch:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.batch is None:
            self.model.stop_training = True


class LeaveAt(Callback):
    """Leaves the training at the start of step ``step``: ``exit`` (Python exits cleanly, MPI is
    finalized) or ``raise``."""

    def __init__(self, step, how):
        super().__init__()
        self.step, self.how = step, how

    def on_train_batch_begin(self, batch, logs=None):
        if batch == self.step:
            if self.how == "exit":
                sys.exit(0)
            raise RuntimeError(f"boom at step {batch + 1}")


def equality(out, rank):
    """Two ranks, batch BATCH each, from different initial weights (rank 1 another seed)."""
    x, y = equality_data()
    for name, make in optimizers().items():
        model = mlp64(seed=10 + rank)
        model.compile(optimizer=distributed.DistributedOptimizer(make()), loss=LOSS)
        recorder = WeightRecorder()
        distributed.fit(model, x, y, batch_size=BATCH, epochs=1, shuffle=False, callbacks=[recorder],
                        verbose=0)
        np.savez(out / f"equality-{name}-rank{rank}.npz", steps=np.stack(recorder.steps),
                 comm_calls=model.optimizer.collectives.calls)


def sync(out, rank):
    """Metrics, BatchNormalization statistics, optimizer state, files of rank 0 only."""
    rng = np.random.default_rng(1)
    x, xv = rng.normal(size=(96, 6)), rng.normal(size=(40, 6))
    y, yv = (x[:, 0] > 0).astype(np.int64), (xv[:, 0] > 0).astype(np.int64)
    x[1::2] += 1.0                             # rank 1's shard: other BatchNormalization statistics
    set_random_seed(20 + rank)
    model = Sequential([L.Input((6,)), L.Dense(8, name="dense"), L.BatchNormalization(name="bn"),
                        L.Activation("relu"), L.Dense(2, activation="softmax")])
    model.compile(optimizer=distributed.DistributedOptimizer(Nadam(0.01)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    opt = model.optimizer
    if rank == 0:                              # a state rank 1 must receive
        opt.build(model.trainable_weights)
        for _, state in opt.states():
            for arr in state.values():
                arr[...] = 0.01
        opt.iterations = 7
        opt.set_global_state("u_product", 0.5)
    own, seen = Recorder(), Recorder()
    cbs = [own] + distributed.callbacks(
        [seen], rank0=[ModelCheckpoint(str(out / f"ckpt-rank{rank}.scratchnn"), monitor="val_loss"),
                       CSVLogger(str(out / f"log-rank{rank}.csv"))])
    history = model.fit(*distributed.shard(x, y), batch_size=8, epochs=2, shuffle=True,
                        validation_data=distributed.shard(xv, yv), callbacks=cbs, verbose=0)
    keys = sorted(history.history)
    bn = model.get_layer("bn")
    slots = [arr for _, state in opt.states() for arr in state.values()]
    np.savez(out / f"sync-rank{rank}.npz", keys=np.array(keys),
             own=np.array([[logs[k] for k in keys] for logs in own.logs]),
             seen=np.array([[logs[k] for k in keys] for logs in seen.logs]),
             history=np.array([history.history[k] for k in keys]),
             bn_own=np.stack(own.bn), bn_final=np.concatenate([bn.moving_mean.data, bn.moving_variance.data]),
             weights=np.concatenate([w.reshape(-1) for w in model.get_weights()]),
             iterations=opt.iterations, u_product=dict(opt.global_state())["u_product"],
             slots=np.concatenate([s.reshape(-1) for s in slots]), steps=len(x) // 2 // 8)


def stop(out, rank):
    """Rank 1 alone stops after its third batch, then (a second fit) after its first epoch."""
    x, y = equality_data()
    found = {}
    for when in (2, None):
        model = mlp64(seed=30)
        model.compile(optimizer=distributed.DistributedOptimizer(SGD(0.1)), loss=LOSS)
        history = distributed.fit(model, x, y, batch_size=4, epochs=3, verbose=0,
                                  callbacks=[StopAt(when)] if rank == 1 else None)
        found["batch" if when is not None else "epoch"] = (model.optimizer.iterations, len(history.epoch))
    np.savez(out / f"stop-rank{rank}.npz", **found)


def leave(out, rank, how):
    """Rank 1 leaves at step 3 (``exit`` or ``raise``); rank 0 goes on training."""
    x, y = equality_data()
    model = mlp64(seed=40)
    model.compile(optimizer=distributed.DistributedOptimizer(SGD(0.1)), loss=LOSS)
    with distributed.abort_on_error(prefix="mpi_worker"):
        distributed.fit(model, x, y, batch_size=4, epochs=50, verbose=0,
                        callbacks=[LeaveAt(2, how)] if rank == 1 else None)
    print(f"rank {rank}: training ended normally", flush=True)


SCENARIOS = {"equality": equality, "sync": sync, "stop": stop,
             "exit": lambda out, rank: leave(out, rank, "exit"),
             "raise": lambda out, rank: leave(out, rank, "raise")}


def main(argv):
    out = Path(argv[0])
    rank = distributed.rank()
    for name in argv[1:]:
        SCENARIOS[name](out, rank)
    print(f"rank {rank}: done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
