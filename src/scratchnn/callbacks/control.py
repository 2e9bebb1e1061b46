"""Callbacks that act on training: ``EarlyStopping``, ``ReduceLROnPlateau``,
``LearningRateScheduler`` and ``TerminateOnNaN``.

They follow Keras 3 rule for rule (patience counting, ``min_delta``, baselines, cooldown, the
order in which weights are saved and restored); the comments say where Keras's behaviour is
surprising, since that is what users porting a Keras script will rely on.
"""
import math
import warnings

import numpy as np

from .base import Callback, print_message

# Substrings of metric names whose value should go up (mode 'max') or down (mode 'min'),
# the directions Keras 3 gives its built-in metrics. Looked up after the exact name 'loss'.
_UP = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "cosine_similarity",
       "true_positives", "true_negatives")
_DOWN = ("loss", "error", "crossentropy", "hinge", "divergence", "poisson", "false_positives",
         "false_negatives", "mse", "mae", "mape", "msle", "logcosh")


def metric_direction(monitor, model=None):
    """``'max'`` or ``'min'`` for a logged quantity (``'val_'`` prefix ignored), else None.

    ``loss`` goes down. Otherwise a metric object of ``model.metrics`` with that name and a
    Keras-style ``_direction`` (``'up'``/``'down'``) decides, then the metric's name:
    accuracies, AUC, precision, recall, F-scores, IoU, R2 go up; errors, cross-entropies,
    hinge, divergences go down.
    """
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    try:
        metrics = list(getattr(model, "metrics", None) or ())
    except (AttributeError, TypeError, ValueError):
        metrics = []
    for m in metrics:
        if getattr(m, "name", None) == name and getattr(m, "_direction", None) in ("up", "down"):
            return "max" if m._direction == "up" else "min"
    lower = name.lower()
    if any(hint in lower for hint in _UP):
        return "max"
    if any(hint in lower for hint in _DOWN):
        return "min"
    return None


def check_mode(who, mode):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{who}: unknown mode {mode!r}; using 'auto' (expected 'auto', 'min' or 'max').",
                      stacklevel=3)
        return "auto"
    return mode


def _missing_key_warning(what, monitor, logs):
    warnings.warn(f"{what} monitors `{monitor}`, which is not in the logs. Available keys: "
                  f"{','.join(logs)}", stacklevel=3)


def to_float(value):
    return float(np.asarray(value))


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    * An epoch improves when its value beats the best so far by more than ``min_delta``
      (``value < best - |min_delta|`` in mode ``'min'``, ``value > best + |min_delta|`` in
      ``'max'``); the first monitored epoch always improves.
    * ``mode='auto'``: ``loss``/``val_loss`` are minimized; other names by their metric's
      direction (see ``metric_direction``); an unknown name raises ``ValueError`` at the first
      epoch end, as in Keras 3 (pass ``mode='min'`` or ``'max'``).
    * ``wait`` counts the epochs since the last improvement; training stops at the end of an
      epoch (never the first one) that does not improve while ``wait >= patience``: with
      ``patience=p`` it stops after ``p`` epochs without improvement (``p=0``: at the first).
    * ``baseline``: an improvement resets ``wait`` only if it also beats the baseline (by
      ``min_delta``), so training stops after ``patience`` epochs if the baseline is never beaten.
    * ``start_from_epoch``: epochs before it are not monitored at all.
    * ``restore_best_weights``: the weights after the best monitored epoch are restored at the
      end of training, whether or not training was stopped early (Keras 3 behaviour). When the
      best epoch is the last one the model already holds its weights: nothing is restored.
    * ``stopped_epoch`` is the 0-based epoch at which training stopped, 0 if it did not;
      ``best``, ``best_epoch`` and ``wait`` are public too. With ``verbose > 0``, messages say
      when it stopped and, only when weights are restored, from which epoch (Keras 3 also says
      "Restoring ... the best epoch: 50" after a run whose 50th and last epoch was the best).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode("EarlyStopping", mode)
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.monitor_op = None        # 'min' or 'max', decided at the first epoch end
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0
        self._last_epoch = None       # the last epoch that ended: its weights are the model's

    def _set_monitor_op(self):
        op = self.mode if self.mode != "auto" else metric_direction(self.monitor, self.model)
        if op is None:
            raise ValueError(f"EarlyStopping cannot tell whether `{self.monitor}` should be minimized or "
                             "maximized; pass mode='min' or mode='max'.")
        self.monitor_op = op

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self.monitor_op == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self._reset()          # the same callback can serve several fits

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        self._last_epoch = epoch
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            _missing_key_warning("EarlyStopping", self.monitor, logs)
            return
        if epoch < self.start_from_epoch:
            return
        current = to_float(current)
        if self.restore_best_weights and self.best_weights is None:
            # Keras: the first monitored epoch's weights are the best until one improves.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_message(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.best_epoch == self._last_epoch:
                return                    # the model holds the best epoch's weights already
            if self.verbose > 0:
                print_message("Restoring model weights from the end of the best epoch: "
                              f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs without an improvement larger than ``min_delta`` (``value <
    best - min_delta`` in mode ``'min'``, ``value > best + min_delta`` in ``'max'``) the rate
    becomes ``max(lr * factor, min_lr)`` (if ``lr`` is above ``min_lr``); then for ``cooldown``
    epochs the plateau counter stays at 0. ``mode='auto'`` maximizes names containing ``'acc'``
    and minimizes everything else (Keras's rule for this callback). Each epoch's logs get the
    current ``learning_rate``. ``factor`` must be < 1.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0 (new lr = lr * factor), got {factor}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode("ReduceLROnPlateau", mode)
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self):
        self._maximize = self.mode == "max" or (self.mode == "auto" and "acc" in self.monitor)
        self.best = -math.inf if self._maximize else math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def _improves(self, value):
        if self._maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        optimizer = self.model.optimizer
        logs["learning_rate"] = to_float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            _missing_key_warning("ReduceLROnPlateau", self.monitor, logs)
            return
        current = to_float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = to_float(optimizer.learning_rate)
                # Keras compares with min_lr rounded to float32, so an lr already at min_lr
                # (stored in float32 there) is left alone.
                if old_lr > float(np.float32(self.min_lr)):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print_message(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                                      f"{new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate before each epoch to ``schedule(epoch, lr)``.

    ``epoch`` is 0-based and ``lr`` the optimizer's current rate (a one-argument
    ``schedule(epoch)`` is accepted too). The schedule must return a float. Each epoch's logs
    get the ``learning_rate`` in use at its end.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError("LearningRateScheduler: the optimizer has no `learning_rate` attribute.")
        try:
            lr = self.schedule(epoch, to_float(optimizer.learning_rate))
        except TypeError:        # a schedule of the epoch alone (Keras accepts both)
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating)):
            raise ValueError(f"LearningRateScheduler: the schedule must return a float, got {lr!r}")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print_message(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = to_float(self.model.optimizer.learning_rate)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    It sets ``model.stop_training`` (``fit`` then ends after that batch, calling
    ``on_epoch_end`` and ``on_train_end`` as usual) and prints the epoch (1-based, as the
    progress bar counts) and the batch (0-based index, as Keras prints it). With
    ``raise_error=True`` it raises ``RuntimeError`` instead.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = logs.get("loss") if logs else None
        if loss is None:
            return
        try:
            finite = math.isfinite(loss)
        except TypeError:
            finite = bool(np.all(np.isfinite(loss)))
        if finite:
            return
        if self.raise_error:
            raise RuntimeError(f"Epoch {self._epoch + 1}, batch {batch}: invalid loss {loss}; "
                               "terminating training.")
        print_message(f"Epoch {self._epoch + 1}, batch {batch}: invalid loss {loss}, terminating training")
        self.model.stop_training = True
