"""The callbacks that keep the ranks of a distributed ``fit`` in step.

``fit`` runs on every rank with its own shard of the data; the gradients are averaged by the
``DistributedOptimizer``. What else must agree between the ranks is done by callbacks, through
the public surface of a model (its weights, its optimizer's state methods, ``walk()``):

* ``BroadcastWeights`` (``on_train_begin``): rank 0's weights, trainable or not, and its
  optimizer's state (step count, slots such as Adam's moments) are copied to every rank, after
  checking that every rank trains the same weights for the same number of steps;
* ``AverageMetrics`` (``on_epoch_end``, first in the list): the epoch's loss and metrics, which
  each rank measured on its own shard, are replaced by their mean over the ranks, so that the
  progress line, ``History``, ``EarlyStopping`` and the checkpoints all see the same numbers;
* ``AverageBatchNormStatistics``: each ``BatchNormalization``'s moving mean and variance, which
  each rank updates from its own batches, are averaged over the ranks before each validation
  pass and at each epoch's end;
* ``StopTogether`` (last): when a callback on any rank stops training (``model.stop_training``),
  every rank stops at the same step, so that no rank waits for a step the others never take.

``callbacks()`` puts them around the user's callbacks in that order. Why averages are exact:
every rank has as many samples (``shard``) and batches of the same size, so the mean over the
ranks of each rank's mean is the mean over all samples; a metric that is not a mean of per-sample
values (AUC, precision) is averaged all the same, an approximation.
"""
import zlib

import numpy as np

from ..callbacks import BackupAndRestore, Callback
from ..layers import BatchNormalization
from .comm import Collectives
from .optimizer import is_distributed


class DistributedCallback(Callback):
    """A callback that talks to the other ranks: ``comm`` (default: the world) and ``timeout``
    (seconds, see ``comm.Collectives``); ``self.collectives`` is made on first use."""

    def __init__(self, comm=None, timeout=None):
        super().__init__()
        self.comm, self.timeout = comm, timeout
        self._collectives = None

    @property
    def collectives(self):
        if self._collectives is None:
            self._collectives = Collectives(self.comm, self.timeout)
        return self._collectives


def pack(arrays, dtype=None):
    """One flat array holding ``arrays`` one after the other (in the widest of their dtypes)."""
    arrays = [np.asarray(a) for a in arrays]
    if dtype is None:
        dtype = np.result_type(*arrays) if arrays else np.float64
    out = np.empty(sum(a.size for a in arrays), dtype=dtype)
    start = 0
    for a in arrays:
        out[start:start + a.size] = a.reshape(-1)
        start += a.size
    return out


def unpack(flat, arrays):
    """Copy ``flat`` (``pack``'s result) back into ``arrays``, in place."""
    start = 0
    for a in arrays:
        a[...] = flat[start:start + a.size].reshape(a.shape)
        start += a.size


def agree(collectives, values, what):
    """``(low, high)``: the smallest and largest value over the ranks of each of ``values``
    (integers), with one Allreduce of ``[values, -values]`` (MAX)."""
    values = np.asarray(values, dtype=np.int64)
    both = collectives.allreduce_max(np.concatenate([values, -values]), what)
    return -both[len(values):], both[:len(values)]


class BroadcastWeights(DistributedCallback):
    """At the start of ``fit``, every rank takes rank ``root``'s weights and optimizer state.

    Each rank may have built its model with other random initial weights (another seed, a
    model loaded on rank 0 only): after this, all start from the same point. It first checks that
    every rank has the same weights (number, shapes, dtypes), the same number of steps per epoch
    and of epochs, and refuses a model whose optimizer does not average its gradients (each rank
    would train its own copy apart). Put it after any callback that changes the weights in
    ``on_train_begin`` (``callbacks()`` puts it after the user's callbacks).
    """

    def __init__(self, root=0, comm=None, timeout=None):
        super().__init__(comm, timeout)
        self.root = root

    def on_train_begin(self, logs=None):
        model, c = self.model, self.collectives
        if not is_distributed(getattr(model, "optimizer", None)):
            raise ValueError("BroadcastWeights: the model's optimizer does not average the gradients over "
                             f"the ranks ({model.optimizer!r}); compile with optimizer="
                             "scratchnn.distributed.DistributedOptimizer(...)")
        if c.size == 1:
            return
        weights = [w.data for w in model.weights]
        layout = repr([(w.shape, w.dtype.str) for w in weights]).encode()
        params = self.params or {}
        steps, epochs = params.get("steps"), params.get("epochs")
        mine = [len(weights), zlib.crc32(layout), -1 if steps is None else steps,
                -1 if epochs is None else epochs]
        low, high = agree(c, mine, "the check that all ranks train the same model (start of fit)")
        names = ("number of weights", "shapes of the weights", "steps per epoch", "epochs")
        for name, lo, hi, value in zip(names, low, high, mine):
            if lo != hi:
                hint = (": give every rank as many samples (distributed.shard(x, y) does) and the same "
                        "batch_size" if name == "steps per epoch" else ": every rank must run the same fit")
                raise ValueError(f"the ranks differ in their {name} (this rank {c.rank}: {value}; from "
                                 f"{lo} to {hi} over the ranks){hint}")
        flat = c.bcast(pack(weights), "the broadcast of the weights", root=self.root)
        unpack(flat, weights)
        self._broadcast_optimizer(model.optimizer, model.weights)

    def _broadcast_optimizer(self, opt, variables):
        """The step count, the optimizer-wide values and every slot of rank ``root``'s optimizer."""
        c = self.collectives
        meta = np.zeros(1 + len(variables), dtype=np.int64)
        meta[0] = opt.iterations
        meta[1:] = [bool(opt.state(v)) for v in variables]
        c.bcast(meta, "the broadcast of the optimizer's step count", root=self.root)
        opt.iterations = int(meta[0])
        with_state = [v for v, has in zip(variables, meta[1:]) if has]
        slots = [opt.state_for(v)[name] for v in with_state for name, _ in opt.slot_specs()]
        names = [name for name, _ in opt.global_state()]
        values = np.array([value for _, value in opt.global_state()], dtype=np.float64)
        if not slots and not names:
            return
        flat = c.bcast(pack([values] + slots, dtype=np.result_type(np.float64, *slots)),
                       "the broadcast of the optimizer's state", root=self.root)
        unpack(flat[len(names):], slots)
        for name, value in zip(names, flat[:len(names)]):
            opt.set_global_state(name, float(value))


class AverageMetrics(DistributedCallback):
    """Replace each number of the epoch's logs (loss, metrics, ``val_*``) by its mean over the
    ranks, in place, so that every callback after it sees the same values on every rank. It
    must come first in the callback list (``callbacks()`` puts it there). Arrays in the logs
    are left as they are."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self.collectives.size == 1:
            return
        keys = [k for k, v in logs.items() if np.ndim(v) == 0 and isinstance(v, (int, float, np.number))]
        values = np.array([float(logs[k]) for k in keys], dtype=np.float64)
        self.collectives.allreduce_sum(values, f"the average of the metrics of epoch {epoch + 1}")
        values /= self.collectives.size
        for key, value in zip(keys, values):
            logs[key] = float(value)


class AverageBatchNormStatistics(DistributedCallback):
    """Average every ``BatchNormalization``'s moving mean and moving variance over the ranks,
    before each validation pass and at each epoch's end (once per epoch when both happen).

    During the epoch each rank normalizes with its own batch's statistics and updates its own
    moving averages, as Horovod does by default; the moving mean averaged over the ranks is the
    moving average of the mean of the ranks' batch means, i.e. exactly what one process with
    the global batch would keep; the averaged moving variance misses the spread of the ranks'
    batch means around it (a slight underestimate when the shards differ). Synchronous batch
    statistics (one Allreduce inside each BatchNormalization's forward and backward pass) would
    make training with BatchNormalization equal to one process's, but needs a hook inside the
    layer's computation, and costs two collectives per layer per step.
    """

    def __init__(self, comm=None, timeout=None):
        super().__init__(comm, timeout)
        self._training = self._synced = False

    def on_train_begin(self, logs=None):
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False

    def on_epoch_begin(self, epoch, logs=None):
        self._synced = False

    def on_test_begin(self, logs=None):
        if self._training and not self._synced:      # the validation pass of fit (not evaluate)
            self.synchronize()

    def on_epoch_end(self, epoch, logs=None):
        if not self._synced:
            self.synchronize()

    def synchronize(self):
        """Average the moving statistics of every BatchNormalization of the model now."""
        self._synced = True
        c = self.collectives
        stats = [t.data for layer in self.model.walk() if isinstance(layer, BatchNormalization)
                 and layer.moving_mean is not None for t in (layer.moving_mean, layer.moving_variance)]
        if c.size == 1 or not stats:
            return
        flat = c.allreduce_sum(pack(stats), "the average of the BatchNormalization statistics")
        flat /= c.size
        unpack(flat, stats)


class StopTogether(DistributedCallback):
    """When any rank's ``model.stop_training`` is set (by ``EarlyStopping``, ``TerminateOnNaN``, a
    callback of rank 0 only ...), every rank stops, at the same step. It must come last
    (``callbacks()`` puts it there).

    * set after a batch: this rank takes back the stop for now and sends its request with the next
      step's gradient average (``DistributedOptimizer.request_stop``: no collective of its own);
      after that step every rank sees the request and stops, one step later than one process would;
    * at the end of an epoch (and for a request still pending then): one small Allreduce decides,
      and every rank stops after this epoch if any rank asked.
    """

    def on_train_batch_end(self, batch, logs=None):
        model = self.model
        if self.collectives.size == 1:
            return
        if model.optimizer.stop_requested:          # a rank asked before this step: all stop now
            model.stop_training = True
        elif model.stop_training:                   # asked now: tell the others with the next step
            model.stop_training = False
            model.optimizer.request_stop()

    def on_epoch_end(self, epoch, logs=None):
        c, model = self.collectives, self.model
        if c.size == 1:
            return
        opt = model.optimizer
        asked = model.stop_training or opt.stop_requested or opt.stop_pending
        flag = c.allreduce_max(np.array([int(asked)], dtype=np.int64),
                               f"the check whether to stop after epoch {epoch + 1}")
        opt.clear_stop()
        if flag[0]:
            model.stop_training = True


def callbacks(callbacks=None, rank0=None, comm=None, timeout=None):
    """The callback list of a distributed ``fit``: ``AverageBatchNormStatistics``,
    ``AverageMetrics``, your ``callbacks`` (run on every rank: ``EarlyStopping``,
    ``ReduceLROnPlateau``, which see the averaged logs and so decide alike), ``rank0`` (run on
    rank 0 only: the ones that write files or print, ``ModelCheckpoint``, ``CSVLogger``), then
    ``BroadcastWeights`` and ``StopTogether``.

        model.fit(*distributed.shard(x, y), batch_size=64, epochs=5,
                  callbacks=distributed.callbacks([EarlyStopping(patience=2)],
                                                  rank0=[ModelCheckpoint("best.scratchnn")]),
                  verbose=1 if distributed.rank() == 0 else 0)

    ``BackupAndRestore`` is refused: it would restore rank 0 alone (use ``ModelCheckpoint``
    on rank 0 and load the file on every rank to resume)."""
    c = Collectives(comm, timeout)
    mine = _as_list(callbacks, "callbacks") + (_as_list(rank0, "rank0") if c.is_root else [])
    for cb in mine:
        if isinstance(cb, BackupAndRestore):
            raise ValueError("BackupAndRestore is not supported in distributed training: it would restore "
                             "rank 0 alone; save with ModelCheckpoint on rank 0 (rank0=[...]) and load "
                             "that file on every rank to resume")
    return ([AverageBatchNormStatistics(comm, timeout), AverageMetrics(comm, timeout)] + mine
            + [BroadcastWeights(0, comm, timeout), StopTogether(comm, timeout)])


def _as_list(callbacks, name):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    out = list(callbacks)
    for cb in out:
        if not isinstance(cb, Callback):
            raise TypeError(f"{name} must be Callback instances, got {type(cb).__name__}: {cb!r}")
    return out
