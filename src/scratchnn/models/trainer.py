"""The training loop (``Trainer``, which ``Model`` inherits): ``compile``, ``fit``, ``evaluate``, ``predict``.

One training step (``train_step``) is the whole of backpropagation:

    y_pred = model(x, training=True)              # forward: every layer's call()
    loss   = loss_fn(y, y_pred) + sum(penalties)  # regularization included
    loss.backward()                               # d loss / d w for every weight
    optimizer.apply(grads, weights)               # w <- w - lr * (...), in place

``fit`` repeats it over shuffled mini-batches for some epochs, keeping running means of the
loss and the metrics, and reports to the callbacks (the progress bar, History, EarlyStopping,
...). How a batch flows through ``fit``:

    data = self._prepare(x, y, ...)          # checks (models/data.py): lengths, NaN, batch size
    self._validate_for(data, "fit")          # builds the model; shapes and labels (models/checks.py)
    for epoch ...: for (xb, yb, wb) in data.batches(rng):
        callbacks.on_train_batch_begin(step)
        loss, y_pred = self.train_step(xb, yb, wb)     # forward, backward, gradient hooks, update
        logs = self._update_metrics(...)               # running means of the epoch
        callbacks.on_train_batch_end(step, logs)
    (validation pass: test_step on each batch; callbacks.on_epoch_end(epoch, logs))

As in Keras, the loop is kept apart from the layers (``models/model.py``), so that a model
class reads as its architecture and this file reads as the algorithm that trains it.
"""
import math
import sys
import warnings

import numpy as np

from .. import losses as _losses
from .. import metrics as _metrics
from .. import optimizers as _optimizers
from .. import random as _random
from ..autograd import HookHandle, Tensor, get_mask, no_grad
from ..callbacks import CallbackList, TerminateOnNaN
from ..kernels import prepare_process
from ..layers.symbolic import flatten, map_structure, pack_like
from ..registry import custom
from . import checks
from . import data as _data
from .interrupt import GracefulInterrupt


class Trainer:
    """``compile`` / ``fit`` / ``evaluate`` / ``predict`` and the steps they repeat. ``Model``
    inherits it; a subclass may override ``train_step``, ``test_step`` or ``compute_loss``."""

    _gradient_hooks = ()       # a list on the instance once a hook is added

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None, jit_compile=None):
        """Choose the optimizer, the loss and the metrics (names as in Keras: 'adam',
        'sparse_categorical_crossentropy', ['accuracy']).  ``run_eagerly``,
        ``steps_per_execution`` and ``jit_compile`` are accepted for compatibility and
        do nothing: scratchnn always runs eagerly."""
        optimizer = _optimizers.get(optimizer)
        loss_fn = _losses.get(loss) if loss is not None else None
        metric_ids = _as_list(metrics, "metrics")
        weighted_ids = _as_list(weighted_metrics, "weighted_metrics")
        for m in metric_ids + weighted_ids:     # unknown names fail now, not in fit
            if isinstance(m, str) and m.lower() not in ("accuracy", "acc"):
                _metrics.get(m)
        if isinstance(loss_weights, (list, tuple)):
            if len(loss_weights) != 1:
                raise ValueError(f"loss_weights has {len(loss_weights)} entries for a model with one output")
            loss_weights = loss_weights[0]
        elif isinstance(loss_weights, dict):
            if len(loss_weights) != 1:
                raise ValueError(f"loss_weights has {len(loss_weights)} entries for a model with one output")
            loss_weights = next(iter(loss_weights.values()))
        self.optimizer, self.loss = optimizer, loss_fn
        self.loss_weight = 1.0 if loss_weights is None else float(loss_weights)
        self._metric_ids, self._weighted_metric_ids = metric_ids, weighted_ids
        self._compiled_metrics = None
        self.compiled = True
        layers = self.layers
        hints = checks.classic_mistakes(loss_fn, self.output_activation(),
                                        getattr(layers[-1], "units", None) if layers else None)
        self._warned_from_logits = bool(loss_fn is not None and loss_fn.from_logits
                                        and self.output_activation() in ("softmax", "sigmoid"))
        checks.warn(hints, stacklevel=2)

    def compile_arguments(self):
        """What ``compile`` was given, as objects: ``model.compile(**model.compile_arguments())``
        compiles another model (or this one again) the same way (None before ``compile``). These
        are the objects themselves, not copies: the optimizer keeps its state, so give a second
        model a fresh optimizer (``{**args, 'optimizer': 'adam'}``)."""
        if not getattr(self, "compiled", False):
            return None
        return {"optimizer": self.optimizer, "loss": self.loss, "metrics": list(self._metric_ids),
                "weighted_metrics": list(self._weighted_metric_ids), "loss_weights": self.loss_weight}

    def get_compile_config(self):
        """What ``compile`` was given, as JSON-ready data (None before ``compile``):
        ``{'optimizer', 'loss', 'metrics', 'weighted_metrics', 'loss_weights'}``, each object by
        its registered name and config; ``compile_from_config`` compiles a model the same way."""
        if not getattr(self, "compiled", False):
            return None
        opt = _optimizers.serialize(self.optimizer)
        if callable(opt["config"].get("learning_rate")):
            raise ValueError(f"cannot save the optimizer: its learning rate is a plain callable "
                             f"({opt['config']['learning_rate']!r}); use a scratchnn.optimizers.schedules "
                             "class, or save with include_optimizer=False")

        def metric(m):
            if isinstance(m, str):
                return m
            if isinstance(m, _metrics.Metric):
                return {"class_name": custom.name_of(type(m)) or type(m).__name__, "config": m.get_config()}
            return custom.name_of(m) or getattr(m, "__name__", repr(m))

        return {"optimizer": opt, "loss": None if self.loss is None else _losses.serialize(self.loss),
                "metrics": [metric(m) for m in self._metric_ids],
                "weighted_metrics": [metric(m) for m in self._weighted_metric_ids],
                "loss_weights": self.loss_weight}

    def compile_from_config(self, config):
        """``compile`` with ``get_compile_config()``'s dict (used when a model file is loaded)."""
        if not isinstance(config, dict):
            raise ValueError("compile_config must be an object")

        def metric_list(key):
            entries = config.get(key, [])
            if not isinstance(entries, list) or not all(isinstance(m, (str, dict)) for m in entries):
                raise ValueError(f"{key} must be a list of metric names or {{class_name, config}} objects, "
                                 f"got {entries!r:.200}")
            return [_metrics.get(m) if isinstance(m, dict) else m for m in entries]

        loss = config.get("loss")
        self.compile(optimizer=_optimizers.deserialize(config["optimizer"]),
                     loss=None if loss is None else _losses.get(loss), metrics=metric_list("metrics"),
                     weighted_metrics=metric_list("weighted_metrics"),
                     loss_weights=config.get("loss_weights"))

    # ------------------------------------------------------------- gradient hooks
    def add_gradient_hook(self, hook):
        """Call ``hook(x, variables)`` in every ``train_step`` after ``loss.backward()`` and before
        the optimizer's update: ``x`` is the batch's input Tensor, ``variables`` the trainable
        weights, each ``.grad`` holding its gradient (the weights are still those the gradients were
        computed with). Returns a ``HookHandle``. With none (the usual case) it costs nothing."""
        return HookHandle.attach(self, "_gradient_hooks", hook, "add_gradient_hook")

    def _assert_compiled(self, what):
        prepare_process()             # the fast kernels' process settings (kernels/memory.py), once
        if not self.compiled:
            raise RuntimeError(f"call compile() before {what}(): the model needs an optimizer and a "
                               "loss, e.g. model.compile(optimizer='adam', "
                               "loss='sparse_categorical_crossentropy', metrics=['accuracy'])")
        if self.loss is None and what != "predict":
            raise RuntimeError(f"{what}() needs a loss: pass loss= to compile()")


    # --------------------------------------------------------------- metrics
    def _build_metrics(self, y_true, y_pred):
        """Resolve the metric names for these shapes (Keras decides 'accuracy' from them)."""
        if self._compiled_metrics is None:
            plain = [_metrics.get(m, y_true=y_true, y_pred=y_pred) for m in self._metric_ids]
            weighted = [_metrics.get(m, y_true=y_true, y_pred=y_pred) for m in self._weighted_metric_ids]
            for m in weighted:
                if any(p.name == m.name for p in plain):
                    m.name = "weighted_" + m.name
            self._compiled_metrics = (plain, weighted)
        return self._compiled_metrics

    @property
    def metrics_names(self):
        names = ["loss"]
        if self._compiled_metrics is not None:
            names += [m.name for group in self._compiled_metrics for m in group]
        return names

    # --------------------------------------------------------------- one step
    def compute_loss(self, y, y_pred, sample_weight=None):
        """The training objective: the compiled loss (times ``loss_weights``) plus every
        regularization penalty of the model."""
        if self._warned_from_logits:          # said once at compile, not again every batch
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*from_logits=True, but y_pred")
                loss = self.loss(y, y_pred, sample_weight=sample_weight)
        else:
            loss = self.loss(y, y_pred, sample_weight=sample_weight)
        if self.loss_weight != 1.0:
            loss = loss * self.loss_weight
        for penalty in self.losses:
            loss = loss + penalty
        return loss

    def _setup_trainable(self):
        """Decide which weights train now (``trainable`` may have changed since the last call):
        only they need gradients, and no gradient is left over from before."""
        self._trainable = self.trainable_weights
        if not self._trainable and self.weights:
            warnings.warn(f"model '{self.name}' has no trainable weights (all are frozen): training will "
                          "not change it. Set trainable=True on the layers you want to train.",
                          UserWarning, stacklevel=3)
        ids = {id(w) for w in self._trainable}
        for w in self.weights:
            w.requires_grad = id(w) in ids
            w.grad = None

    def train_step(self, x, y, sample_weight=None):
        """Forward, loss, backward, update; returns (loss value, the output Tensor: its values and
        the mask it may carry go to the metrics)."""
        y_pred = self(x, training=True)
        loss = self.compute_loss(y, y_pred, sample_weight)
        variables = self._trainable
        if not variables:                      # a frozen model: nothing to update (Keras warns too)
            return float(loss.data), y_pred
        loss.backward()
        for hook in list(self._gradient_hooks):     # usually none (see add_gradient_hook)
            hook(x, variables)
        self.optimizer.apply([v.grad for v in variables], variables)
        for v in variables:       # only these have gradients (_setup_trainable): no walk of the model
            if v.constraint is not None:
                v.data[...] = v.constraint(v.data)
            v.grad = None
        return float(loss.data), y_pred

    def test_step(self, x, y, sample_weight=None):
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(y, y_pred, sample_weight)
        return float(loss.data), y_pred

    def _update_metrics(self, y, y_pred, sample_weight, tracker, loss, n):
        """``y_pred``: the predictions (an array, or the output Tensor). When the output carries a
        mask (``Embedding(mask_zero=True)`` upstream), the metrics count only its real time steps,
        as Keras's do: the mask is their sample weight (times ``sample_weight`` for the weighted)."""
        mask = get_mask(y_pred)
        y_pred = y_pred.data if isinstance(y_pred, Tensor) else y_pred
        tracker.update_state(loss, sample_weight=n)
        plain, weighted = self._build_metrics(y, y_pred)
        plain_weight = weighted_weight = sample_weight
        if mask is not None:
            plain_weight = mask.astype(np.float64)
            if sample_weight is not None:
                sw = np.asarray(sample_weight, dtype=np.float64)
                weighted_weight = sw.reshape(sw.shape + (1,) * (mask.ndim - sw.ndim)) * plain_weight
            else:
                weighted_weight = plain_weight
        for m in plain:
            m.update_state(y, y_pred, sample_weight=plain_weight)
        for m in weighted:
            m.update_state(y, y_pred, sample_weight=weighted_weight)
        logs = {"loss": float(tracker.result())}
        for m in plain + weighted:
            logs[m.name] = _to_log(m.result())
        return logs

    def _reset_metrics(self, tracker):
        tracker.reset_state()
        if self._compiled_metrics is not None:
            for group in self._compiled_metrics:
                for m in group:
                    m.reset_state()


    # ------------------------------------------------------------------- fit
    def _prepare(self, x, y, sample_weight, batch_size, shuffle=False, steps=None, what="fit"):
        """Check the data and wrap it for batching; nothing about the model changes on error."""
        if x is None:
            raise ValueError(f"{what}() needs x")
        if _data.is_array_like(x):
            names = ("x", "y", "sample_weight")
            if what == "validation":
                names = tuple(n + "_val" for n in names)
            x, y, sample_weight = _data.checked_arrays(x, y, sample_weight, what, names)
            data = _data.ArrayData(x, y, sample_weight, batch_size, shuffle)
            if steps is not None:
                arg = {"fit": "steps_per_epoch", "validation": "validation_steps"}.get(what, "steps")
                if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
                    raise ValueError(f"{what}(): {arg} must be a positive integer or None, got {steps!r}")
                if steps > data.steps:
                    raise ValueError(f"{what}(): {arg}={steps} is more than the {data.steps} batches of "
                                     f"{batch_size} that the {len(x)} samples make; use at most "
                                     f"{data.steps} or leave it None")
                data.max_steps = int(steps)
            return data
        if y is not None:
            raise ValueError(f"when x is a generator or iterable of batches, y must be None "
                             f"(the batches carry the targets), got y of type {type(y).__name__}")
        return _data.IterableData(x, steps)

    def _validate_for(self, data, what):
        """Build the model and check shapes and labels before any weight changes (batches from
        an iterable: its first batch, read ahead; an empty one is refused here)."""
        kind = getattr(data, "kind", None)              # the iterable that gives the batches
        if kind is not None:
            first = data.peek()
            if first is None:
                raise ValueError(f"{what}(): the {kind} gave no batches (it is empty); it must "
                                 "yield x, (x, y) or (x, y, sample_weight) batches")
            x, y = first[0], first[1]
        else:
            x, y = data.x, data.y
        if y is None and what != "predict" and not self._overrides(what):
            raise ValueError(checks.missing_targets(what, kind))
        before = self._unbuilt_layers()
        try:
            self.ensure_built(x.shape[1:])
            for layer in self._first_layers():
                layer._check_input((None,) + x.shape[1:])
            # the declared Input(shape), which layers may not check
            checks.check_input_shape(self.input_shape, x.shape, self.name, what)
            if y is not None and self.loss is not None:
                checks.check_targets(self.loss, self.output_shape, y)
        except Exception:
            self._unbuild(before)      # a model built only for these checks is unbuilt again
            raise

    def _overrides(self, what):
        """Whether a subclass computes the loss its own way (it may then train without targets)."""
        names = ("train_step" if what == "fit" else "test_step", "compute_loss")
        return any(getattr(type(self), n) is not getattr(Trainer, n) for n in names)


    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over the data; returns the ``History`` callback
        (``history.history['loss']``, ``['accuracy']``, ``['val_loss']``, ...)."""
        self._assert_compiled("fit")
        batch_size = _data.check_batch_size(batch_size)
        verbose = _verbose(verbose)
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        if validation_split and validation_data is None:
            if not _data.is_array_like(x):
                raise ValueError("validation_split needs array inputs; with a generator pass "
                                 "validation_data instead")
            arrays = _data.checked_arrays(x, y, sample_weight, "fit")      # positions in the whole x
            (x, y, sample_weight), validation_data = _data.validation_split_arrays(arrays, validation_split)
        train = self._prepare(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        if class_weight is not None:
            if not isinstance(train, _data.ArrayData) or train.y is None:
                raise ValueError("class_weight needs array targets y")
            train.sample_weight = _class_sample_weights(train.y, class_weight, train.sample_weight)
        val = None
        if validation_data is not None:
            vx, vy, vw = _data.unpack_validation_data(validation_data)
            val = self._prepare(vx, vy, vw, _data.check_batch_size(validation_batch_size, batch_size),
                                steps=validation_steps, what="validation")
        unbuilt = self._unbuilt_layers()
        self._validate_for(train, "fit")
        if val is not None:
            try:
                self._validate_for(val, "validation")
            except Exception:
                self._unbuild(unbuilt)     # the training data built the model: undo it, nothing changes
                raise

        self._setup_trainable()
        steps = train.steps
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                      verbose=verbose, epochs=epochs, steps=steps)
        tracker = _metrics.Mean(name="loss")
        rng = _random.generator()
        self.stop_training = False
        logs = {}
        self.interrupted = False
        nonfinite_seen = growth_seen = False
        epoch_losses = []                # this run's epoch losses, to see a divergence that stays finite
        cbs.on_train_begin()
        # BackupAndRestore found an interrupted run: continue after its last completed epoch.
        initial_epoch = cbs.start_epoch(initial_epoch)
        with GracefulInterrupt() as interrupt:
            for epoch in range(initial_epoch, epochs):
                self._reset_metrics(tracker)
                cbs.on_epoch_begin(epoch)
                step = 0
                for step, (xb, yb, wb) in enumerate(train.batches(rng)):
                    cbs.on_train_batch_begin(step)
                    loss, y_pred = self.train_step(Tensor.wrap(xb), yb, wb)
                    if not nonfinite_seen and not math.isfinite(loss):
                        nonfinite_seen = True
                        _warn_nonfinite(loss, epoch, step, cbs.callbacks)
                    logs = self._update_metrics(yb, y_pred, wb, tracker, loss, len(xb))
                    cbs.on_train_batch_end(step, logs)
                    if self.stop_training or interrupt.requested:
                        break
                if interrupt.requested:          # the partial epoch is not logged
                    self.interrupted = True
                    _print_interrupt(epoch, step, self.history)
                    break
                epoch_logs = dict(logs)
                epoch_losses.append(epoch_logs.get("loss", math.nan))
                if not (growth_seen or nonfinite_seen) and _diverging(epoch_losses):
                    growth_seen = True
                    _warn_diverging(epoch_losses, initial_epoch, epoch)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._run_evaluation(val, callbacks=cbs, verbose=0)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, epoch_logs)
                logs = epoch_logs
                if interrupt.requested:          # Ctrl-C during validation or the epoch's callbacks
                    self.interrupted = True
                    _print_interrupt(epoch, step, self.history, completed=True)
                    break
                if self.stop_training:
                    break
        cbs.on_train_end(logs)
        return self.history

    # -------------------------------------------------------------- evaluate
    def _run_evaluation(self, data, callbacks, verbose):
        tracker = _metrics.Mean(name="loss")
        self._reset_metrics(tracker)
        callbacks.on_test_begin()
        logs = {}
        for step, (xb, yb, wb) in enumerate(data.batches()):
            callbacks.on_test_batch_begin(step)
            loss, y_pred = self.test_step(Tensor.wrap(xb), yb, wb)
            logs = self._update_metrics(yb, y_pred, wb, tracker, loss, len(xb))
            callbacks.on_test_batch_end(step, logs)
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics on data: a float if there are no metrics, else
        ``[loss, metric1, ...]`` (or a dict with ``return_dict=True``), as Keras returns."""
        self._assert_compiled("evaluate")
        batch_size = _data.check_batch_size(batch_size)
        verbose = _verbose(verbose)
        data = self._prepare(x, y, sample_weight, batch_size, steps=steps, what="evaluate")
        self._validate_for(data, "evaluate")
        steps = data.steps
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                      epochs=1, steps=steps)
        logs = self._run_evaluation(data, cbs, verbose)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    # --------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, as one NumPy array (computed in batches, no graph)."""
        prepare_process()
        batch_size = _data.check_batch_size(batch_size)
        verbose = _verbose(verbose)
        data = self._prepare(x, None, None, batch_size, steps=steps, what="predict")
        self._validate_for(data, "predict")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                      epochs=1, steps=data.steps)
        outputs = []
        cbs.on_predict_begin()
        with no_grad():
            for step, (xb, _, _) in enumerate(data.batches()):
                cbs.on_predict_batch_begin(step)
                out = map_structure(lambda t: t.data, self(Tensor.wrap(xb), training=False))
                outputs.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict() got no batches")
        # a model with several outputs (a list or dict): each output's batches joined
        return pack_like(outputs[0], [np.concatenate(parts, axis=0) for parts in zip(*map(flatten, outputs))])

    def predict_on_batch(self, x):
        with no_grad():
            out = self(_data.to_float_batch(_data.as_array(x, "x")), training=False)
        return map_structure(lambda t: t.data, out)

    def train_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """One update on one batch. Returns this batch's loss (a float) when no metrics were
        compiled, else ``[loss, *metrics]`` in ``metrics_names`` order (``return_dict=True``: a dict),
        all measured on this batch alone (as Keras since 3.10: metric states are reset first)."""
        self._assert_compiled("train_on_batch")
        x, y, sample_weight = _data.checked_arrays(x, y, sample_weight, "train_on_batch")
        x = _data.to_float_batch(x)
        self.ensure_built(x.shape[1:])
        self._setup_trainable()
        loss, y_pred = self.train_step(Tensor.wrap(x), y, sample_weight)
        return self._batch_logs(y, y_pred, sample_weight, loss, len(x), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch, without training: returns like ``train_on_batch``."""
        self._assert_compiled("test_on_batch")
        x, y, sample_weight = _data.checked_arrays(x, y, sample_weight, "test_on_batch")
        x = _data.to_float_batch(x)
        self.ensure_built(x.shape[1:])
        loss, y_pred = self.test_step(Tensor.wrap(x), y, sample_weight)
        return self._batch_logs(y, y_pred, sample_weight, loss, len(x), return_dict)

    def _batch_logs(self, y, y_pred, sample_weight, loss, n, return_dict):
        tracker = _metrics.Mean(name="loss")
        self._reset_metrics(tracker)
        weights = _data.as_array(sample_weight, "sample_weight")
        logs = self._update_metrics(y, y_pred, weights, tracker, loss, n)
        self._reset_metrics(tracker)
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())



_DIVERGED_HINT = "learning rate too high? unscaled inputs? log of 0?"


def _warn_nonfinite(loss, epoch, step, callbacks):
    if any(isinstance(cb, TerminateOnNaN) for cb in callbacks):
        return                                  # it stops training and says so itself
    warnings.warn(f"the loss became {float(loss)} at epoch {epoch + 1}, batch {step + 1}: training "
                  f"diverged ({_DIVERGED_HINT}). The weights are "
                  "probably NaN from here on; add callbacks=[TerminateOnNaN()] to stop at once.",
                  RuntimeWarning, stacklevel=3)


def _diverging(losses):
    """Divergence that stays finite: the last epoch's loss is over 100 times the first epoch's,
    or over 1000 times the best one so far (losses of one ``fit`` call, at least two epochs)."""
    if len(losses) < 2 or not all(map(math.isfinite, losses)):
        return False
    first, best, last = losses[0], min(losses[:-1]), losses[-1]
    return (first > 0 and last > 100 * first) or (best > 0 and last > 1000 * best)


def _warn_diverging(losses, initial_epoch, epoch):
    warnings.warn(f"the loss grew from {losses[0]:.4g} (epoch {initial_epoch + 1}) to {losses[-1]:.4g} "
                  f"(epoch {epoch + 1}), best {min(losses):.4g}: training is diverging ({_DIVERGED_HINT}). "
                  "Try a 10 times smaller learning rate, and standardized inputs.",
                  RuntimeWarning, stacklevel=3)


def _print_interrupt(epoch, step, history, completed=False):
    done = len(history.epoch) if history is not None else 0
    where = f"at the end of epoch {epoch + 1}" if completed else f"at epoch {epoch + 1}, batch {step + 1}"
    print(f"\nTraining interrupted {where}: the model keeps the weights of that moment; the history "
          f"holds the {done} completed epoch(s).", file=sys.stderr)


def _as_list(value, name):
    if value is None:
        return []
    if isinstance(value, dict):
        raise ValueError(f"{name} as a dict is for multi-output models; pass a list")
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def _to_log(value):
    arr = np.asarray(value)
    return float(arr) if arr.ndim == 0 else arr


def _class_sample_weights(y, class_weight, sample_weight):
    """Per-sample weights from ``{class: weight}`` (classes from integer or one-hot labels)."""
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(int)
    bad = [k for k, v in class_weight.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"class_weight[{bad[0]!r}] is {class_weight[bad[0]]}: class weights must be finite")
    missing = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"class_weight has no weight for class(es) {missing}")
    table = np.zeros(max(int(k) for k in class_weight) + 1, dtype=np.float32)
    for k, v in class_weight.items():
        table[int(k)] = v
    weights = table[labels]
    return weights if sample_weight is None else weights * sample_weight
