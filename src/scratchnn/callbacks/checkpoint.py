"""Callbacks that write training to disk: ``ModelCheckpoint`` and ``BackupAndRestore``.

Both write through ``scratchnn.saving`` (atomic writes: a crash never leaves a broken file).
"""
import json
import math
import os
import warnings

import numpy as np

from .. import random as _random
from ..saving import (ModelFormatError, atomic_write, load_training_state, open_regular_file,
                      save_training_state)
from .base import Callback, print_message
from .control import check_mode, metric_direction, to_float


class ModelCheckpoint(Callback):
    """Save the model (or its weights) at the end of every epoch, or only when it improves.

    * ``filepath`` may hold ``{epoch}`` (1-based, as Keras numbers files) and any log key,
      e.g. ``"ckpt/model-{epoch:02d}-{val_loss:.3f}.scratchnn"``. A whole model is written
      to a ``.scratchnn`` file, or to a ``.keras`` name as Keras programs write it (the file is
      scratchnn's archive all the same: ``load_model`` reads it, Keras cannot);
      ``save_weights_only=True`` writes the weights alone to a ``.safetensors`` file, or to a
      ``.weights.h5`` file in Keras 3's layout (needs h5py) (the suffix is checked, as Keras
      checks ``.keras``/``.weights.h5``).
    * ``save_best_only=True``: save only when ``monitor`` beats the best value so far
      (lower for ``mode='min'``, higher for ``'max'``; ``'auto'`` decides from the name, as
      ``EarlyStopping`` does). ``initial_value_threshold`` is the value to beat at first.
    * ``save_freq``: ``'epoch'`` or a number of batches.

    A diverged model is never saved: when the loss in the logs is NaN or infinite (the epoch
    ``TerminateOnNaN`` stopped, say) or a weight is, nothing is written, so the last good file
    stays as it was, and a warning says so once. (Keras would overwrite it with the NaN weights.)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        suffixes = (".safetensors", ".weights.h5") if save_weights_only else (".scratchnn", ".keras")
        if not self.filepath.endswith(suffixes):
            what = "weights (save_weights_only=True)" if save_weights_only else "a whole model"
            raise ValueError(f"ModelCheckpoint: filepath must end in {' or '.join(map(repr, suffixes))} to "
                             f"save {what}, got {self.filepath!r}")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError("ModelCheckpoint: save_freq must be 'epoch' or a positive integer, "
                             f"got {save_freq!r}")
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = check_mode("ModelCheckpoint", mode)
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = initial_value_threshold
        self._batches = 0
        self._epoch = 0
        self._last_saved = None         # (path, epoch) of the last file written
        self._warned_divergence = False

    def _maximize(self):
        mode = self.mode if self.mode != "auto" else metric_direction(self.monitor, self.model)
        if mode is None:
            raise ValueError(f"ModelCheckpoint: cannot tell whether {self.monitor!r} should be minimized or "
                             "maximized; pass mode='min' or mode='max'.")
        return mode == "max"

    def on_train_begin(self, logs=None):
        self._batches = 0
        self._warned_divergence = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches % self.save_freq == 0:
                self._save(self._epoch, logs or {}, batch=batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch, logs, batch=None):
        path = self._path(epoch, logs, batch)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                warnings.warn(f"ModelCheckpoint: can save the best model only with {self.monitor} available "
                              f"in the logs (keys: {', '.join(logs)}); skipping.", stacklevel=2)
                return
            value = to_float(value)
            better = self.best is None or (value > self.best if self._maximize() else value < self.best)
            previous = "inf" if self.best is None else f"{self.best:.5f}"
            if not (math.isfinite(value) and better):
                if self.verbose:
                    print_message(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {previous}")
                return
            if self._diverged(epoch, logs):
                return
            if self.verbose:
                print_message(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {value:.5f}, "
                       f"saving model to {path}")
            self.best = value
        elif self._diverged(epoch, logs):
            return
        elif self.verbose:
            print_message(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        self._last_saved = (path, epoch)

    def _diverged(self, epoch, logs):
        """True when training has diverged (a NaN or infinite loss in the logs, or weight): saving
        now would replace the last good file with a broken model. Warns the first time."""
        loss = logs.get("loss")
        if loss is not None and not np.all(np.isfinite(np.asarray(loss, dtype=np.float64))):
            what = f"the loss is {loss}"
        elif not all(np.isfinite(np.asarray(w)).all() for w in self.model.weights):
            what = "a weight is NaN or infinite"
        else:
            return False
        if not self._warned_divergence:
            self._warned_divergence = True
            kept = ("nothing had been saved yet" if self._last_saved is None else
                    f"{self._last_saved[0]} keeps the last good model (epoch {self._last_saved[1] + 1})")
            warnings.warn(f"ModelCheckpoint: training diverged at epoch {epoch + 1} ({what}), so the model "
                          f"was not saved: {kept}. Nothing is saved while the loss or the weights are not "
                          "finite.", RuntimeWarning, stacklevel=3)
        return True

    def _path(self, epoch, logs, batch):
        values = {k: to_float(v) if np.ndim(v) == 0 else v for k, v in logs.items()}
        try:
            return self.filepath.format(epoch=epoch + 1, batch=(batch or 0) + 1, **values)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {e.args[0]!r}, which is not "
                           f"in the logs (keys: epoch, batch, {', '.join(logs)})") from None


class BackupAndRestore(Callback):
    """Resume an interrupted ``fit`` from the last completed epoch, as if it never stopped.

    At the end of every epoch the weights, the optimizer's state (step count, moments, and its
    learning rate when a callback such as ``ReduceLROnPlateau`` changed it), the epoch number,
    the history so far and the state of scratchnn's random generators (shuffling, dropout) are
    written to ``backup_dir`` (safetensors and JSON; the architecture is not needed, so custom
    layers and models need no registration). When ``fit`` starts and finds a backup, it restores all of that
    and continues with the next epoch, so a run killed at any moment and started again with the
    same command ends with exactly the weights and history of an uninterrupted run. The backup
    is deleted when ``fit`` completes (``delete_checkpoint=False`` keeps it).

    Not restored (as in Keras): the internal counters of other callbacks (``EarlyStopping``'s
    patience, ``ReduceLROnPlateau``'s wait), which start afresh after a resume.

    Restoring is all or nothing: every file of the backup is read and checked before anything
    is set. A damaged backup (a file missing, truncated or edited) raises a ``ValueError`` that
    names the file and says how to start over (delete ``backup_dir``); the model is left as it was.
    """

    STATE = "state.json"

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a directory path")
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore: only save_freq='epoch' is supported, got {save_freq!r} "
                             "(an interrupted run resumes from its last completed epoch)")
        self.backup_dir = os.fspath(backup_dir)
        self.delete_checkpoint = delete_checkpoint
        self._restored_epochs = None

    # ----------------------------------------------------------------- helpers
    def _rngs(self):
        """The generators whose state decides the rest of training: the global one and any
        layer's own (a layer built with ``seed=``)."""
        rngs = {"global": _random.generator()}
        for layer in self.model.walk():
            for i, rng in enumerate(layer.random_generators()):
                rngs[f"layer:{layer.name}" + (f"#{i + 1}" if i else "")] = rng
        return rngs

    def _damaged(self, name, problem):
        return ValueError(f"BackupAndRestore: the backup in {self.backup_dir!r} is damaged: {name} "
                          f"{problem}. Nothing was restored. To start over from the first epoch, delete "
                          f"that folder (shutil.rmtree({self.backup_dir!r})) or pass another backup_dir.")

    def _read_state(self):
        """state.json, checked (None when there is no backup); every value restoring needs."""
        path = os.path.join(self.backup_dir, self.STATE)
        if not os.path.exists(path):
            return None
        try:
            with open_regular_file(path) as f:   # a FIFO or a device there is refused, not read
                state = json.load(f)
        except ModelFormatError:
            raise
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise self._damaged(self.STATE, f"cannot be read ({err})") from None
        kinds = {"epoch": int, "weights_file": str, "optimizer_file": (str, type(None)), "epochs": list,
                 "learning_rate": (int, float, type(None)), "history": dict, "rngs": dict}
        if not isinstance(state, dict):
            raise self._damaged(self.STATE, "does not hold an object")
        for key, kind in kinds.items():
            if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
                raise self._damaged(self.STATE, f"has no valid {key!r} (found {state.get(key)!r:.80})")
        if state["learning_rate"] is not None and not math.isfinite(state["learning_rate"]):
            raise self._damaged(self.STATE, f"holds the learning rate {state['learning_rate']}")
        for key in ("weights_file", "optimizer_file"):
            name = state[key]
            if name is not None and (os.path.basename(name) != name or not name.startswith("epoch-")):
                raise self._damaged(self.STATE, f"names {name!r} as {key}, not a file of the backup")
        return state

    def _checked_restore(self, state):
        """Everything ``state`` sets, checked now; returns a function that sets it all."""
        rngs, new_states = self._rngs(), {}
        for name, rng_state in state["rngs"].items():
            if name in rngs:                                    # tried on a scratch generator first
                try:
                    type(rngs[name].bit_generator)().state = rng_state
                except (TypeError, ValueError, KeyError) as err:
                    raise self._damaged(self.STATE, f"has a bad random state for {name!r} ({err})") from None
                new_states[name] = rng_state
        try:
            history = {k: [_decode(v) for v in values] for k, values in state["history"].items()}
            epochs = [int(e) for e in state["epochs"]]
        except (TypeError, ValueError, KeyError) as err:
            raise self._damaged(self.STATE, f"holds a bad history ({err})") from None

        def apply():
            if state["learning_rate"] is not None:
                self.model.optimizer.learning_rate = state["learning_rate"]
            for name, rng_state in new_states.items():
                rngs[name].bit_generator.state = rng_state
            self.model.history.history = history
            self._restored_epochs = epochs
            self.resume_epoch = state["epoch"] + 1      # fit continues after the last completed epoch
        return apply

    # ----------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        self._restored_epochs = None
        self.resume_epoch = None
        state = self._read_state()
        if state is None:
            return
        apply = self._checked_restore(state)
        files = [state["weights_file"]] + ([state["optimizer_file"]] if state["optimizer_file"] else [])
        paths = [os.path.join(self.backup_dir, name) for name in files]
        for name, path in zip(files, paths):
            if not os.path.isfile(path):
                raise self._damaged(name, "is missing")
        try:       # reads and checks both files before it sets any weight or slot
            load_training_state(self.model, *paths)
        except (OSError, ValueError) as err:
            name = next((n for n, p in zip(files, paths) if p in str(err)), " or ".join(files))
            raise self._damaged(name, f"cannot be restored ({err})") from None
        apply()

    def on_epoch_begin(self, epoch, logs=None):
        if self._restored_epochs is not None:      # History cleared its epoch list after our restore
            self.model.history.epoch = list(self._restored_epochs)
            self._restored_epochs = None

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        optimizer = getattr(self.model, "optimizer", None)
        weights_file = f"epoch-{epoch + 1:05d}.weights.safetensors"
        optimizer_file = f"epoch-{epoch + 1:05d}.optimizer.safetensors" if optimizer is not None else None
        save_training_state(self.model, os.path.join(self.backup_dir, weights_file),
                            None if optimizer_file is None else os.path.join(self.backup_dir, optimizer_file))
        lr = None if optimizer is None else optimizer.get_config()["learning_rate"]
        history = self.model.history
        full = {k: list(v) for k, v in history.history.items()}
        epochs = list(history.epoch)
        if not (epochs and epochs[-1] == epoch):    # History (usually after us) has not logged it yet
            epochs.append(epoch)
            for key, value in dict(logs or {}).items():
                full.setdefault(key, []).append(value)
        state = {"epoch": epoch, "weights_file": weights_file, "optimizer_file": optimizer_file,
                 # a constant rate (a schedule or a function recomputes it from the step count)
                 "learning_rate": float(lr) if isinstance(lr, (int, float)) else None,
                 "epochs": epochs, "history": {k: [_encode(v) for v in values] for k, values in full.items()},
                 "rngs": {n: rng.bit_generator.state for n, rng in self._rngs().items()}}
        with atomic_write(os.path.join(self.backup_dir, self.STATE), "w") as f:
            json.dump(state, f)
        for old in os.listdir(self.backup_dir):    # only after state.json names the new files
            if old.startswith("epoch-") and old not in (weights_file, optimizer_file):
                os.remove(os.path.join(self.backup_dir, old))

    def on_train_end(self, logs=None):
        if self._restored_epochs is not None:      # resumed after the last epoch: nothing ran
            self.model.history.epoch = list(self._restored_epochs)
            self._restored_epochs = None
        # fit completed: delete the backup (a killed run never gets here; an interrupted one keeps it)
        if self.delete_checkpoint and not getattr(self.model, "interrupted", False):
            self._delete()

    def _delete(self):
        if not os.path.isdir(self.backup_dir):
            return
        for name in os.listdir(self.backup_dir):
            if name == self.STATE or name.startswith("epoch-"):
                os.remove(os.path.join(self.backup_dir, name))
        try:
            os.rmdir(self.backup_dir)
        except OSError:      # the user keeps other files there
            pass


def _encode(value):
    arr = np.asarray(value)
    if arr.ndim == 0:
        return float(arr)
    return {"array": arr.tolist(), "dtype": arr.dtype.name}


def _decode(value):
    if isinstance(value, dict):
        return np.asarray(value["array"], dtype=value["dtype"])
    return value
