"""``TensorBoard``: write the training curves and weight histograms as TensorBoard event files.

    from scratchnn.callbacks import TensorBoard
    model.fit(x, y, validation_split=0.1, epochs=10,
              callbacks=[TensorBoard(log_dir="logs/run1", histogram_freq=1)])
    # then: tensorboard --logdir logs

The files are written by tensorboardX (an optional extra: ``pip install 'scratchnn[tensorboard]'``),
in Keras 3's layout, so TensorBoard shows a scratchnn run exactly as it shows a Keras run:

* ``log_dir/train``: ``epoch_loss``, ``epoch_<metric>``, ``epoch_learning_rate`` at step ``epoch``
  (0-based); with ``update_freq`` = ``"batch"`` or ``N``: ``batch_loss``, ``batch_<metric>`` (the
  running means of the epoch, as the progress bar shows them) every N-th training batch, at step
  = the number of training batches run since ``fit`` started (1, 2, ...; it does not restart at
  each epoch); with ``histogram_freq=N``: one histogram per weight, tag
  ``<layer>/<weight>/histogram`` (e.g. ``dense/kernel/histogram``), at the epochs ``e`` with
  ``e % N == 0``;
* ``log_dir/validation``: the ``val_*`` logs without their prefix (``epoch_loss``, ...), and, after
  each validation pass or ``evaluate``, ``evaluation_<name>_vs_iterations`` at step =
  ``optimizer.iterations``.
"""
import itertools
import os
import time
import warnings

import numpy as np

from .base import Callback

_INSTALL = "pip install 'scratchnn[tensorboard]'"
_FILE_IDS = itertools.count()


def summary_writer_class():
    """tensorboardX's ``SummaryWriter`` class, or a one-line ImportError naming the extra."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError(f"TensorBoard needs the tensorboardX package: {_INSTALL}") from None
    return SummaryWriter


def scalar_or_none(value):
    """``value`` as a Python float if it is one real number, else None (such logs are skipped)."""
    if isinstance(value, (bool, str)) or value is None:
        return None
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "iuf":
        return None
    return float(array.reshape(()))


def check_freq(name, value, allow_zero=True):
    least = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"TensorBoard: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


def check_profile_batch(profile_batch):
    """Keras's forms: an int >= 0, a ``(start, stop)`` pair or a ``"start,stop"`` string."""
    message = (f"TensorBoard: profile_batch must be an integer >= 0 or a pair (start, stop) of "
               f"integers with 0 <= start <= stop, got {profile_batch!r}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
            or value[0] < 0 or value[1] < value[0]):
        raise ValueError(message)
    return tuple(int(v) for v in value)


def weight_image(weight):
    """A weight as a grey (H, W) image in [0, 1] (min-max scaled), or None for > 2-D weights.

    A bias (n,) becomes a 1 x n strip; a kernel (a, b) is shown with its long side across."""
    w = np.atleast_1d(np.squeeze(np.asarray(weight, dtype=np.float64)))
    if w.ndim == 1:
        w = w[None, :]
    elif w.ndim == 2:
        w = w.T if w.shape[0] > w.shape[1] else w
    else:
        return None
    low, high = w.min(), w.max()
    return (w - low) / (high - low) if high > low else np.zeros_like(w)


class TensorBoard(Callback):
    """Log the epoch (and optionally batch) metrics and weight histograms for TensorBoard.

    Arguments (Keras 3's):

    * ``log_dir``: the run's folder; ``train/`` and ``validation/`` are made under it.
    * ``histogram_freq``: every how many epochs to write a histogram of each weight (0: never).
    * ``write_images``: with ``histogram_freq``, also write each 1-D/2-D weight as a grey image
      (tag ``<layer>/<weight>/image``; values min-max scaled to [0, 1]).
    * ``write_steps_per_second``: also write ``epoch_steps_per_second`` (optimizer steps of the
      epoch / seconds of the epoch) and, with batch logging, ``batch_steps_per_second``.
    * ``update_freq``: ``"epoch"`` (default), ``"batch"`` (= 1) or N: write the ``batch_*``
      scalars every N training batches.
    * ``write_graph``, ``profile_batch``, ``embeddings_freq``, ``embeddings_metadata``: accepted
      for Keras compatibility and checked, but NOT written (scratchnn has no TensorFlow graph,
      profiler or projector checkpoint): one warning when ``profile_batch`` or
      ``embeddings_freq`` asks for something. ``write_graph`` is True by default in Keras, so it
      is silently ignored.

    The files are flushed at the end of every epoch (a running TensorBoard sees them then) and
    closed at the end of training, or at the end of ``evaluate`` when it is given the callback
    outside ``fit``. A new ``fit`` starts new event files in the same folders.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self._writer_class = summary_writer_class()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = check_freq("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch":
            if isinstance(update_freq, str):
                raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or an integer >= 1, "
                                 f"got {update_freq!r}")
            update_freq = check_freq("update_freq", update_freq, allow_zero=False)
        self.update_freq = update_freq
        self.profile_batch = check_profile_batch(profile_batch)
        self.embeddings_freq = check_freq("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        unused = [name for name, asked in (("profile_batch", self.profile_batch != (0, 0)),
                                           ("embeddings_freq", self.embeddings_freq > 0)) if asked]
        if unused:
            warnings.warn(f"TensorBoard: {' and '.join(unused)} accepted but not written by scratchnn "
                          f"(no profiler or embedding projector); the scalars and histograms are.",
                          stacklevel=2)
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._batch_start = None
        self._epoch_start = None
        self._epoch_start_iterations = 0

    # ---------------------------------------------------------------- writers
    @property
    def train_dir(self):
        return os.path.join(self.log_dir, "train")

    @property
    def validation_dir(self):
        return os.path.join(self.log_dir, "validation")

    def _writer(self, which):
        """The writer of ``'train'`` or ``'validation'``, made on first use (no empty files)."""
        if which not in self._writers:
            folder = self.train_dir if which == "train" else self.validation_dir
            # a unique suffix: two writers opened in the same second must not share a file name
            suffix = f".{os.getpid()}.{next(_FILE_IDS)}.v2"
            self._writers[which] = self._writer_class(logdir=folder, filename_suffix=suffix)
        return self._writers[which]

    def _scalars(self, which, logs, prefix, step):
        writer = None
        for name, value in logs.items():
            value = scalar_or_none(value)
            if value is None:
                continue
            writer = writer or self._writer(which)
            writer.add_scalar(prefix + name, value, global_step=step)

    def close(self):
        """Flush and close the event files (done by ``on_train_end``)."""
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ---------------------------------------------------------------- hooks
    def set_model(self, model):
        self.close()
        self._training = False           # a fit that raised never reached on_train_end
        super().set_model(model)

    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._training = False
        self.close()

    def _iterations(self):
        return int(getattr(getattr(self.model, "optimizer", None), "iterations", 0) or 0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_iterations = self._iterations()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        batch_logs = dict(logs) if isinstance(logs, dict) else {}
        if self.write_steps_per_second and self._batch_start is not None:
            seconds = time.perf_counter() - self._batch_start
            if seconds > 0:
                batch_logs["steps_per_second"] = 1.0 / seconds
        self._scalars("train", batch_logs, "batch_", step)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if logs and optimizer is not None and hasattr(optimizer, "iterations"):
            self._scalars("validation", {f"{name}_vs_iterations": value for name, value in logs.items()},
                          "evaluation_", self._iterations())
        if not self._training:                     # evaluate() has no on_train_end: close here
            self.close()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train_logs["learning_rate"] = optimizer.learning_rate
        if self.write_steps_per_second and self._epoch_start is not None:
            seconds = time.perf_counter() - self._epoch_start
            if seconds > 0:
                train_logs["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / seconds
        self._scalars("train", train_logs, "epoch_", epoch)
        self._scalars("validation", val_logs, "epoch_", epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in getattr(self.model, "layers", None) or ():
            for weight in getattr(layer, "weights", None) or ():
                name = str(getattr(weight, "name", "weight")).replace(":", "_")
                if "/" not in name:
                    name = f"{getattr(layer, 'name', 'layer')}/{name}"
                values = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
                if values.size == 0:
                    continue
                writer.add_histogram(f"{name}/histogram", values, global_step=epoch)
                image = weight_image(values) if self.write_images else None
                if image is not None:
                    writer.add_image(f"{name}/image", image, global_step=epoch, dataformats="HW")
