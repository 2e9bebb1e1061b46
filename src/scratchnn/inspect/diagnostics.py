"""``Diagnostics``: plain-language hints while a model trains, each with what to try.

    diagnostics = inspect.Diagnostics()                     # prints the hints as they appear
    model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[diagnostics])
    diagnostics.hints                                       # [Hint(kind, epoch, message), ...]

Gradient norms and dead units come from a small internal ``TrainingMonitor``; the loss curves
from the epoch logs. Every threshold is an argument (see the class docstring).
"""
import math
from collections import namedtuple

import numpy as np

from ..callbacks import Callback
from .monitor import TrainingMonitor
from .statistics import rms as root_mean_square
from .statistics import weight_stats

__all__ = ["Diagnostics", "Hint"]

Hint = namedtuple("Hint", "kind epoch message")
Hint.__doc__ = """One diagnosis: ``kind`` (one of ``Diagnostics.KINDS``), ``epoch`` (1-based, as fit's
progress bar counts; for overfitting the first epoch after the best validation loss) and the
``message`` that was printed."""


class Diagnostics(Callback):
    """Watches a training run and prints plain-language hints, each with what to try.

    Each kind of hint is given once, when first detected (``hints`` keeps them as
    ``Hint(kind, epoch, message)``; epochs are 1-based, as printed by ``fit``):

    * ``'learning_rate_too_high'``: the loss became NaN or infinite (at once, naming the batch);
      or the training loss rose (by more than ``rise_tolerance``, relative) in at least
      ``rise_count`` of the last ``rise_window`` epochs and is above its best, i.e. rising or
      oscillating; or an epoch's loss ended above ``diverge_factor`` times the loss of the very
      first batch.
    * ``'vanishing_gradients'``: at the start of an epoch, the first layer's gradient norm is below
      ``vanishing_ratio`` times the last layer's: ``||dL/dW_1|| / ||dL/dW_L|| < 1e-3``.
    * ``'dead_relu'``: in some ReLU layer at least ``dead_fraction`` of the units output 0 for every
      probe sample (they receive no gradient, so they stay dead); checked at the start of every
      epoch and once more when training ends, on a probe of at least ``MIN_DEAD_PROBE`` (16)
      samples: with smaller batches, pass ``x_probe`` (on one input, half of a healthy layer is 0).
    * ``'overfitting'``: the validation loss has not been below its minimum for ``patience``
      epochs and is now above it by more than ``overfit_tolerance`` (relative), while the training
      loss kept falling; the hint names the epoch of the best validation loss.
    * ``'underfitting'``: over the last ``patience`` epochs the training loss (and the validation
      loss, if any) changed by less than ``flat_tolerance`` (relative), and the training loss is
      still above ``1 - min_improvement`` times its value on the first batch.
    * ``'exploding_weights'``: at the end of an epoch some layer's weights have a root mean square
      above ``weight_limit``, or above ``weight_growth`` times their RMS at initialization.

    Gradient norms and dead units come from a small internal ``TrainingMonitor`` (recording at the
    first step of each epoch on ``probe_size`` samples of the first batch, or on ``x_probe``).
    ``print_fn`` receives each hint's text (None: print nothing, only keep ``hints``).
    """

    #: Dead ReLUs are judged only on a probe of at least this many samples (see ``'dead_relu'``).
    MIN_DEAD_PROBE = 16
    KINDS = ("learning_rate_too_high", "vanishing_gradients", "dead_relu", "overfitting", "underfitting",
             "exploding_weights")

    def __init__(self, patience=3, print_fn=print, rise_window=5, rise_count=3, rise_tolerance=0.01,
                 diverge_factor=2.0, vanishing_ratio=1e-3, dead_fraction=0.5, flat_tolerance=0.01,
                 min_improvement=0.1, weight_limit=10.0, weight_growth=100.0, overfit_tolerance=0.01,
                 x_probe=None, probe_size=64):
        super().__init__()
        _positive_int(patience, "patience")
        _positive_int(rise_window, "rise_window")
        _positive_int(rise_count, "rise_count")
        if rise_count > rise_window:
            raise ValueError(f"Diagnostics: rise_count ({rise_count}) cannot exceed rise_window "
                             f"({rise_window})")
        _positive_float(diverge_factor, "diverge_factor", above=1.0)
        _positive_float(vanishing_ratio, "vanishing_ratio")
        _positive_float(weight_limit, "weight_limit")
        _positive_float(weight_growth, "weight_growth", above=1.0)
        for name, value in (("rise_tolerance", rise_tolerance), ("flat_tolerance", flat_tolerance),
                            ("overfit_tolerance", overfit_tolerance)):
            _positive_float(value, name, allow_zero=True)
        for name, value in (("dead_fraction", dead_fraction), ("min_improvement", min_improvement)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1:
                raise ValueError(f"Diagnostics: {name} must be a number in (0, 1], got {value!r}")
        if print_fn is not None and not callable(print_fn):
            raise TypeError(f"Diagnostics: print_fn must be callable or None, got {print_fn!r}")
        self.patience = int(patience)
        self.print_fn = print_fn
        self.rise_window, self.rise_count = int(rise_window), int(rise_count)
        self.rise_tolerance = float(rise_tolerance)
        self.diverge_factor = float(diverge_factor)
        self.vanishing_ratio = float(vanishing_ratio)
        self.dead_fraction = float(dead_fraction)
        self.flat_tolerance = float(flat_tolerance)
        self.min_improvement = float(min_improvement)
        self.weight_limit = float(weight_limit)
        self.weight_growth = float(weight_growth)
        self.overfit_tolerance = float(overfit_tolerance)
        self.monitor = TrainingMonitor(every="epoch", x_probe=x_probe, probe_size=probe_size,
                                       histograms=False)
        self.hints = []
        self._reset()

    def _reset(self):
        self.hints = []
        self._given = set()
        self._losses, self._val_losses = [], []
        self._first_batch_loss = None
        self._epoch = 0
        self._init_rms = {}
        self._checked_records = 0

    # ------------------------------------------------------------------ plumbing
    def set_model(self, model):
        super().set_model(model)
        self.monitor.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.monitor.set_params(params)

    def _hint(self, kind, epoch, message):
        if kind in self._given:
            return
        self._given.add(kind)
        self.hints.append(Hint(kind, epoch, message))
        if self.print_fn is not None:
            self.print_fn(f"Diagnostics: {message}")

    def on_train_begin(self, logs=None):
        self._reset()
        self.monitor.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self.monitor.on_epoch_begin(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self.monitor.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.monitor.on_train_batch_end(batch, logs)
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if self._first_batch_loss is None:
            self._first_batch_loss = float(loss)
        if not math.isfinite(loss):
            self._hint("learning_rate_too_high", self._epoch + 1,
                       f"learning rate too high: the loss became {float(loss)} at epoch {self._epoch + 1}, "
                       f"batch {batch + 1}: training diverged. Try a 10x smaller learning rate; also check "
                       "that the inputs are scaled (e.g. x / 255) and hold no NaN.")
        if len(self.monitor.steps) > self._checked_records:
            self._checked_records = len(self.monitor.steps)
            self._check_statistics()

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch
        logs = logs or {}
        if "loss" in logs:
            self._losses.append(float(logs["loss"]))
        if "val_loss" in logs:
            train = self._losses[-1] if self._losses else None
            self._val_losses.append((epoch, float(logs["val_loss"]), train))
        self._check_learning_rate()
        self._check_overfitting()
        self._check_underfitting()
        self._check_weights()

    def on_train_end(self, logs=None):
        self.monitor.on_train_end(logs)
        if len(self.monitor.steps) > self._checked_records:    # the final record: units that died
            self._checked_records = len(self.monitor.steps)    # in the last epoch are seen too
            self._check_statistics()

    # ------------------------------------------------------------------ the checks
    def _check_statistics(self):
        """Vanishing gradients and dead ReLUs, from the internal monitor's newest record."""
        monitor, epoch = self.monitor, self._epoch + 1
        step = monitor.steps[-1]
        rows = [r for r in monitor.records if r["step"] == step]
        with_grad = [r for r in rows if math.isfinite(r.get("gradient_norm", math.nan))]
        if len(with_grad) >= 2:
            first, last = with_grad[0], with_grad[-1]
            if last["gradient_norm"] > 0:
                ratio = first["gradient_norm"] / last["gradient_norm"]
                if ratio < self.vanishing_ratio:
                    self._hint("vanishing_gradients", epoch,
                               f"vanishing gradients at epoch {epoch}: the first layer's gradient norm "
                               f"({first['gradient_norm']:.2g}, '{first['layer']}') is {ratio:.1e} times the "
                               f"last layer's ({last['gradient_norm']:.2g}, '{last['layer']}'), so the first "
                               "layers barely learn. Try ReLU instead of sigmoid/tanh in the hidden layers, "
                               "He initialization (kernel_initializer='he_normal'), BatchNormalization, or "
                               "fewer layers.")
        # A unit is dead when it is 0 for *every* input: with a probe of a few samples (batch_size=1
        # gives a probe of one) about half of a healthy layer's units are 0 on all of them.
        probe = monitor.x_probe
        for r in (rows if probe is not None and len(probe) >= self.MIN_DEAD_PROBE else []):
            dead = r.get("dead_fraction", math.nan)
            if math.isfinite(dead) and dead >= self.dead_fraction:
                self._hint("dead_relu", epoch,
                           f"dead ReLUs at epoch {epoch}: {dead:.0%} of the units of '{r['layer']}' output 0 "
                           "for every probe sample, so they get no gradient and stop learning. Try a smaller "
                           "learning rate, He initialization with zero biases, LeakyReLU or ELU, or "
                           "BatchNormalization.")
                break
        if not self._init_rms:
            self._init_rms = {r["layer"]: root_mean_square(r) for r in rows if "weight_std" in r}

    def _check_learning_rate(self):
        losses, epoch = self._losses, self._epoch + 1
        if not losses or not math.isfinite(losses[-1]):
            return
        recent = losses[-(self.rise_window + 1):]
        rises = sum(1 for a, b in zip(recent, recent[1:]) if b > a * (1 + self.rise_tolerance))
        if rises >= self.rise_count and losses[-1] > min(losses):
            self._hint("learning_rate_too_high", epoch,
                       f"learning rate too high: the training loss rose in {rises} of the last "
                       f"{len(recent) - 1} epochs (now {losses[-1]:.4g}, best {min(losses):.4g}): it "
                       "oscillates or climbs instead of going down. Try a 10x smaller learning rate, or "
                       "a learning-rate schedule (ReduceLROnPlateau).")
        start = self._first_batch_loss
        if start is not None and 0 < start < math.inf and losses[-1] > self.diverge_factor * start:
            self._hint("learning_rate_too_high", epoch,
                       f"learning rate too high: after epoch {epoch} the training loss is {losses[-1]:.4g}, "
                       f"{losses[-1] / start:.1f} times its value on the first batch ({start:.4g}): training "
                       "makes it worse. Try a 10x smaller learning rate.")

    def _check_overfitting(self):
        vals = self._val_losses
        if len(vals) <= self.patience:
            return
        finite = [v for v in vals if math.isfinite(v[1])]
        if not finite:
            return
        best = min(range(len(vals)), key=lambda i: vals[i][1] if math.isfinite(vals[i][1]) else math.inf)
        best_epoch, best_val, best_train = vals[best]
        last_epoch, last_val, last_train = vals[-1]
        if len(vals) - 1 - best < self.patience or not last_val > best_val * (1 + self.overfit_tolerance):
            return
        if best_train is None or last_train is None or not last_train < best_train:
            return
        self._hint("overfitting", best_epoch + 2,
                   f"overfitting started at epoch {best_epoch + 2}: the validation loss was lowest at epoch "
                   f"{best_epoch + 1} ({best_val:.4g}) and has risen since (now {last_val:.4g} at epoch "
                   f"{last_epoch + 1}), while the training loss kept falling ({best_train:.4g} -> "
                   f"{last_train:.4g}). Try EarlyStopping(monitor='val_loss', patience={self.patience}, "
                   "restore_best_weights=True), more training data or data augmentation, Dropout, L2 "
                   "regularization, or a smaller model.")

    def _check_underfitting(self):
        losses = self._losses
        if len(losses) <= self.patience or self._first_batch_loss is None:
            return
        window = losses[-(self.patience + 1):]
        if not all(math.isfinite(v) for v in window):
            return
        scale = max(abs(v) for v in window) or 1.0
        flat = (max(window) - min(window)) / scale < self.flat_tolerance
        start = self._first_batch_loss
        high = math.isfinite(start) and losses[-1] > (1 - self.min_improvement) * start
        if self._val_losses and len(self._val_losses) > self.patience:
            val_window = [v for _, v, _ in self._val_losses[-(self.patience + 1):]]
            if all(math.isfinite(v) for v in val_window):
                val_scale = max(abs(v) for v in val_window) or 1.0
                flat = flat and (max(val_window) - min(val_window)) / val_scale < self.flat_tolerance
        if flat and high:
            epoch = self._epoch + 1
            self._hint("underfitting", epoch,
                       f"underfitting at epoch {epoch}: the training loss has stayed near {losses[-1]:.4g} "
                       f"(on the first batch: {start:.4g}; not even {self.min_improvement:.0%} better) and "
                       f"changed by less than {self.flat_tolerance:.0%} over the last {self.patience} "
                       "epochs: the model is not learning. Try a larger learning rate (10x), a bigger "
                       "model (more units or layers), more epochs, and check that the inputs are scaled "
                       "and the labels match the loss.")

    def _check_weights(self):
        epoch = self._epoch + 1
        for name, layer in self.monitor.monitored_layers:
            stats = weight_stats(layer)
            if not stats:
                continue
            rms = root_mean_square(stats)
            init = self._init_rms.get(name)
            grown = init is not None and init > 0 and rms > self.weight_growth * init
            if not math.isfinite(rms) or rms > self.weight_limit or grown:
                since = ""
                if init and rms > 2 * init:
                    since = f", {rms / init:.3g} times their size at initialization"
                self._hint("exploding_weights", epoch,
                           f"exploding weights at epoch {epoch}: the weights of '{name}' have a root mean "
                           f"square of {rms:.3g}{since} (typical values are below 1). Try a smaller "
                           "learning rate, a standard initializer (glorot_uniform, he_normal), gradient "
                           "clipping (optimizer clipnorm=1.0), L2 regularization or BatchNormalization.")
                return

    def __repr__(self):
        return f"<Diagnostics hints={[h.kind for h in self.hints]}>"


def _positive_int(value, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Diagnostics: {name} must be a positive integer, got {value!r}")


def _positive_float(value, name, above=0.0, allow_zero=False):
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > above)
    if not ok:
        bound = ">= 0" if allow_zero else f"> {above:g}"
        raise ValueError(f"Diagnostics: {name} must be a finite number {bound}, got {value!r}")


