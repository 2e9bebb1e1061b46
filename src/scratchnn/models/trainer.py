"""The training loop (``Trainer``, which ``Model`` inherits): ``compile``, ``fit``, ``evaluate``, ``predict``.

One training step (``train_step``, in ``steps.py``) is the whole of backpropagation:

    y_pred = model(x, training=True)              # forward: every layer's call()
    loss   = loss_fn(y, y_pred) + sum(penalties)  # regularization included
    loss.backward()                               # d loss / d w for every weight
    optimizer.apply(grads, weights)               # w <- w - lr * (...), in place

``fit`` repeats it over shuffled mini-batches for some epochs, keeping running means of the
loss and the metrics, and reports to the callbacks (the progress bar, History, EarlyStopping,
...). How a batch flows through ``fit``:

    data = self._prepare(x, y, ...)          # checks (models/data.py): lengths, NaN, batch size
    self._validate_for(data, "fit")          # builds the model; shapes and labels (models/checks.py)
    for epoch ...: self.reset_metrics(); for (xb, yb, wb) in data.batches(rng):
        callbacks.on_train_batch_begin(step)
        logs = self.train_step((xb, yb, wb))  # forward, backward, gradient hooks, update, metrics
        callbacks.on_train_batch_end(step, logs)
    (validation pass: test_step on each batch; callbacks.on_epoch_end(epoch, logs))

``x``, ``y`` and ``sample_weight`` may be lists or dicts of arrays for a model with several inputs
or outputs; ``compile`` then takes a loss, loss weight and metrics per output (``compiled.py``).

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
from ..autograd import HookHandle, no_grad
from ..callbacks import CallbackList, TerminateOnNaN
from ..kernels import prepare_process
from ..registry import custom
from . import checks
from . import data as _data
from .compiled import (CompiledLoss, CompiledMetrics, copy_spec, flat_outputs, is_config, keras_order,
                       map_spec, metric_leaves, metric_spec, output_names, pack_outputs)
from .interrupt import GracefulInterrupt
from .steps import Steps, as_logs, numpy_outputs


class Trainer(Steps):
    """``compile`` / ``fit`` / ``evaluate`` / ``predict`` and the loops around the steps
    (``steps.py``). ``Model`` inherits it; a subclass may override ``train_step``, ``test_step``
    or ``compute_loss`` (Keras 3's signatures)."""

    single_input = False       # True for a model that takes one array (Sequential)

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None, jit_compile=None):
        """Choose the optimizer, the loss and the metrics (names as in Keras: 'adam',
        'sparse_categorical_crossentropy', ['accuracy']).  ``run_eagerly``,
        ``steps_per_execution`` and ``jit_compile`` are accepted for compatibility and
        do nothing: scratchnn always runs eagerly."""
        optimizer = _optimizers.get(optimizer)
        names = getattr(self, "output_names", None)
        compile_loss = CompiledLoss(loss, loss_weights, names) if loss is not None else None
        if compile_loss is not None and self.single_input:
            compile_loss.build(None)                     # one output: mistakes are told now
        metric_ids, weighted_ids = metric_spec(metrics, "metrics"), metric_spec(weighted_metrics,
                                                                                  "weighted_metrics")
        for m in metric_leaves(metric_ids) + metric_leaves(weighted_ids):   # unknown names fail now
            if isinstance(m, str) and m.lower() not in ("accuracy", "acc"):
                _metrics.get(m)
        single = compile_loss.single if compile_loss is not None else (None, 1.0)
        loss_fn = single[0] if single is not None else None
        self.optimizer = optimizer
        self.loss = loss_fn if single is not None else compile_loss.spec
        self.loss_weight = (1.0 if loss_weights is None else
                            single[1] if single is not None and single[1] is not None else loss_weights)
        self._metric_ids, self._weighted_metric_ids = metric_ids, weighted_ids
        self._compile_loss = compile_loss
        self._compile_metrics = (CompiledMetrics(metric_ids, weighted_ids, names)
                                 if metric_ids or weighted_ids else None)
        self._loss_tracker = _metrics.Mean(name="loss")
        self._trainable = None
        self.compiled = True
        layers = self.layers
        # the last layer's activation tells about the output only when one loss was given
        one_loss = loss is not None and not isinstance(loss, (list, tuple, dict))
        last = self.output_activation() if one_loss else None
        hints = checks.classic_mistakes(loss_fn, last, getattr(layers[-1], "units", None) if layers else None)
        self._warned_from_logits = bool(loss_fn is not None and loss_fn.from_logits
                                        and last in ("softmax", "sigmoid"))
        checks.warn(hints, stacklevel=2)

    def compile_arguments(self):
        """What ``compile`` was given, as objects: ``model.compile(**model.compile_arguments())``
        compiles another model (or this one again) the same way (None before ``compile``). These
        are the objects themselves, not copies: the optimizer keeps its state, so give a second
        model a fresh optimizer (``{**args, 'optimizer': 'adam'}``)."""
        if not getattr(self, "compiled", False):
            return None
        return {"optimizer": self.optimizer, "loss": self.loss, "metrics": copy_spec(self._metric_ids),
                "weighted_metrics": copy_spec(self._weighted_metric_ids), "loss_weights": self.loss_weight}

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

        def loss(value):
            return None if value is None else _losses.serialize(value)

        return {"optimizer": opt, "loss": map_spec(loss, self.loss),
                "metrics": map_spec(metric, self._metric_ids),
                "weighted_metrics": map_spec(metric, self._weighted_metric_ids),
                "loss_weights": copy_spec(self.loss_weight)}

    def compile_from_config(self, config):
        """``compile`` with ``get_compile_config()``'s dict (used when a model file is loaded)."""
        if not isinstance(config, dict):
            raise ValueError("compile_config must be an object")

        def metric_list(key):
            entries = config.get(key, [])
            def entry(m):           # a name or a {class_name, config} dict; a per-output list of them
                one = isinstance(m, str) or is_config(m)
                return one or isinstance(m, list) and m and all(isinstance(e, str) or is_config(e) for e in m)

            if not isinstance(entries, (list, dict)) or is_config(entries) or not all(
                    entry(m) for m in (entries.values() if isinstance(entries, dict) else entries)):
                raise ValueError(f"{key} must be a list of metric names or {{class_name, config}} objects, "
                                 f"got {entries!r:.200}")
            return map_spec(lambda m: _metrics.get(m) if isinstance(m, dict) else m, entries)

        loss = config.get("loss")
        if isinstance(loss, list) or (isinstance(loss, dict) and "class_name" not in loss):
            loss = map_spec(lambda v: None if v is None else _losses.get(v), loss)
        elif loss is not None:
            loss = _losses.get(loss)
        self.compile(optimizer=_optimizers.deserialize(config["optimizer"]),
                     loss=loss, metrics=metric_list("metrics"),
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
        # compile() without a loss is refused at the first step unless a layer adds one (add_loss)


    # --------------------------------------------------------------- metrics
    @property
    def metrics_names(self):
        """The names of the logged values, in ``evaluate``'s order (Keras 3's): ``loss``, the
        compiled metrics, the per-output losses, then any other logged value sorted by name
        (with several outputs the compiled metrics are among those: ``'out_a_accuracy'``)."""
        logged = ["loss"]
        if self._compile_metrics is not None:
            logged += list(self._compile_metrics.result())
        if self._compile_loss is not None:
            logged += [m.name for m in self._compile_loss.metrics]
        return keras_order(self._known_names(), logged)

    def _known_names(self):
        known = []
        for metric in self.metrics:
            if isinstance(metric, CompiledMetrics):
                known += [m.name for m in metric.metrics]
            else:
                known.append(metric.name)
        return known

    def _ordered_values(self, logs):
        """``logs`` as a list in Keras 3's order (``_flatten_metrics_in_order``); one value alone."""
        values = [logs[name] for name in keras_order(self._known_names(), list(logs))]
        return values[0] if len(values) == 1 else values

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


    # ------------------------------------------------------------------- fit
    def _prepare(self, x, y, sample_weight, batch_size, shuffle=False, steps=None, what="fit"):
        """Check the data and wrap it for batching; nothing about the model changes on error."""
        if x is None:
            raise ValueError(f"{what}() needs x")
        if isinstance(steps, float) and math.isfinite(steps) and steps > 0:
            steps = math.ceil(steps)      # tf.keras 2 notebooks pass steps_per_epoch=len(x) / 32
        if self.single_input:          # one input, one output: a list of samples is one array
            suffix = "_val" if what == "validation" else ""
            x = _one_array(x, "x" + suffix) if _data.is_structure(x) else x
            y = _one_array(y, "y" + suffix) if _data.is_structure(y) and not isinstance(y, dict) else y
        if _data.is_array_like(x):
            names = tuple(n + ("_val" if what == "validation" else "") for n in ("x", "y", "sample_weight"))
            by_batch = what == "predict" and not _data.is_structure(x)    # x checked as it is used
            x, y, sample_weight = _data.checked_arrays(x, y, sample_weight, what, names, x_by_batch=by_batch)
            data = _data.ArrayData(x, y, sample_weight, batch_size, shuffle, check_batches=by_batch)
            if steps is not None:
                arg = {"fit": "steps_per_epoch", "validation": "validation_steps"}.get(what, "steps")
                if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
                    raise ValueError(f"{what}(): {arg} must be a positive integer or None, got {steps!r}")
                if steps > data.steps:
                    raise ValueError(f"{what}(): {arg}={steps} is more than the {data.steps} batches of "
                                     f"{batch_size} that the {data.num_samples} samples make; use at most "
                                     f"{data.steps} or leave it None")
                data.max_steps = int(steps)
            return data
        if y is not None:
            raise ValueError(f"when x is a generator or iterable of batches, y must be None "
                             f"(the batches carry the targets), got y of type {type(y).__name__}")
        arg = {"fit": "steps_per_epoch", "validation": "validation_steps"}.get(what, "steps")
        return _data.batch_source(x, steps, what, arg)

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
        if self._custom_step(what):
            return                     # the step builds and checks what it uses
        if self.built and not _data.is_structure(x) and _data.needs_feature_axis(self.input_shape, x.shape):
            data.feature_axis, x = True, x[..., None]        # x of shape (n,) for Input((1,))
        before = self._unbuilt_layers()
        try:
            if _data.is_structure(x) or not self.single_input:
                self._check_outputs(x, y)
            else:
                self.ensure_built(x.shape[1:])
                for layer in self._first_layers():
                    layer._check_input((None,) + x.shape[1:])
                # the declared Input(shape), which layers may not check
                checks.check_input_shape(self.input_shape, x.shape, self.name, what)
                if _data.is_structure(y):
                    _one_output(y)
                if y is not None and self.loss is not None:
                    checks.check_targets(self.loss, self.output_shape, y)
        except Exception:
            self._unbuild(before)      # a model built only for these checks is unbuilt again
            raise

    def _check_outputs(self, x, y):
        """A model that may take several inputs or give several outputs: run it on the first sample
        (that builds it), then check ``y`` against its outputs and each output's loss."""
        if not _data.is_structure(x):
            self.ensure_built(x.shape[1:])
        with no_grad():
            probe = self(_data.to_tensors(_data.map_structure(lambda a: a[:1], x)), training=False)
        names = output_names(getattr(self, "output_names", None), probe)
        if self._compile_loss is not None and self._compile_loss.entries is None:
            self._compile_loss.build(names)
        if y is None:
            return
        if self._compile_metrics is not None and not self._compile_metrics.built:
            self._compile_metrics.build(_data.map_structure(lambda a: a[:1], y), probe, names)
        if names is None:
            if _data.is_structure(y):
                _one_output(y)
            if self.loss is not None:
                checks.check_targets(self.loss, (None,) + probe.shape[1:], y)
            return
        ys = flat_outputs(y, names, "y")
        for (name, loss_fn, _), yk, out in zip(self._compile_loss.entries if self._compile_loss else (),
                                               ys, flat_outputs(probe, names, "y_pred")):
            if loss_fn is not None and yk is not None:
                try:
                    checks.check_targets(loss_fn, (None,) + out.shape[1:], yk)
                except ValueError as err:
                    raise ValueError(f"output {name!r}: {err}") from None

    def _custom_step(self, what):
        """Whether ``train_step`` (``fit``) or ``test_step`` (``evaluate``) is the subclass's own."""
        name = {"fit": "train_step", "predict": "predict_step"}.get(what, "test_step")
        return getattr(type(self), name) is not getattr(Trainer, name)

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
        _data.refuse_batch_size(x, batch_size, "fit")
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
            if isinstance(train, _data.IterableData):       # a dataset's batches: weighted one by one
                train.reweight = lambda yb, wb: _class_sample_weights(yb, class_weight, wb)
            elif train.y is None:
                raise ValueError("class_weight needs array targets y")
            elif _data.is_structure(train.y):
                raise ValueError("class_weight is for a model with one output (as in Keras); with several "
                                 "outputs pass sample_weight, one array per output")
            else:
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
        custom = self._custom_step("fit")
        steps = train.steps
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                      verbose=verbose, epochs=epochs, steps=steps)
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
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                step = 0
                for step, (xb, yb, wb) in enumerate(train.batches(rng)):
                    cbs.on_train_batch_begin(step)
                    if custom:            # autograd adds into .grad: each step starts from none
                        for w in self.trainable_weights:
                            w.grad = None
                    logs = as_logs(self.train_step(
                        _data.pack_x_y_sample_weight(_data.to_tensors(xb), yb, wb)), "train_step")
                    loss = logs.get("loss", 0.0)
                    if not nonfinite_seen and isinstance(loss, float) and not math.isfinite(loss):
                        nonfinite_seen = True
                        _warn_nonfinite(loss, epoch, step, cbs.callbacks)
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
        self.reset_metrics()
        callbacks.on_test_begin()
        logs = {}
        for step, (xb, yb, wb) in enumerate(data.batches()):
            callbacks.on_test_batch_begin(step)
            with no_grad():
                logs = as_logs(self.test_step(_data.pack_x_y_sample_weight(_data.to_tensors(xb), yb, wb)),
                                "test_step")
            callbacks.on_test_batch_end(step, logs)
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics on data: a float if there are no metrics, else a list in Keras 3's
        order (``metrics_names``: ``[loss, metric1, ...]``; with several outputs ``[loss,
        out_a_loss, out_b_loss, out_a_accuracy, ...]``), or a dict with ``return_dict=True``."""
        self._assert_compiled("evaluate")
        _data.refuse_batch_size(x, batch_size, "evaluate")
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
        return self._ordered_values(logs)

    # --------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` as NumPy arrays, in the structure ``call`` returns them
        (one array; a list or a dict of arrays for several outputs), computed in batches, no graph."""
        prepare_process()
        _data.refuse_batch_size(x, batch_size, "predict")
        batch_size = _data.check_batch_size(batch_size)
        verbose = _verbose(verbose)
        data = self._prepare(x, None, None, batch_size, steps=steps, what="predict")
        self._validate_for(data, "predict")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                      epochs=1, steps=data.steps)
        outputs, like = [], None
        plan = self.prepared_plan(data)            # the inference plan (steps.py), or None
        cbs.on_predict_begin()
        with no_grad():
            for step, (xb, _, _) in enumerate(data.batches()):
                cbs.on_predict_batch_begin(step)
                out = plan.predict(xb) if plan is not None and not _data.is_structure(xb) else \
                    self.predict_step(_data.pack_x_y_sample_weight(_data.to_tensors(xb)))
                like = out
                out = numpy_outputs(out)
                outputs.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict() got no batches")
        if isinstance(like, (list, tuple, dict)):
            keys = list(like) if isinstance(like, dict) else range(len(like))
            joined = [np.concatenate([o[k] for o in outputs], axis=0) for k in keys]
            return pack_outputs(joined, like)
        return np.concatenate(outputs, axis=0)

    def predict_on_batch(self, x):
        with no_grad():
            x = x if _data.is_structure(x) else _data.to_float_batch(_data.as_array(x, "x"))
            return numpy_outputs(self.predict_step(_data.pack_x_y_sample_weight(_data.to_tensors(x))))

    def train_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """One update on one batch. Returns this batch's loss (a float) when no metrics were
        compiled, else ``[loss, *metrics]`` in ``metrics_names`` order (``return_dict=True``: a dict),
        all measured on this batch alone (as Keras since 3.10: metric states are reset first)."""
        self._assert_compiled("train_on_batch")
        x, y, sample_weight = _data.checked_arrays(x, y, sample_weight, "train_on_batch")
        x = _data.to_float_batch(x)
        if not _data.is_structure(x):
            self.ensure_built(x.shape[1:])
        self._setup_trainable()
        return self._on_batch(self.train_step, x, y, sample_weight, return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch, without training: returns like ``train_on_batch``."""
        self._assert_compiled("test_on_batch")
        x, y, sample_weight = _data.checked_arrays(x, y, sample_weight, "test_on_batch")
        x = _data.to_float_batch(x)
        if not _data.is_structure(x):
            self.ensure_built(x.shape[1:])
        with no_grad():
            return self._on_batch(self.test_step, x, y, sample_weight, return_dict)

    def _on_batch(self, step, x, y, sample_weight, return_dict):
        self.reset_metrics()
        logs = as_logs(step(_data.pack_x_y_sample_weight(_data.to_tensors(x), y, sample_weight)),
                        step.__name__)
        self.reset_metrics()
        return logs if return_dict else self._ordered_values(logs)


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


def _one_array(x, name):
    """For a model that takes one array: a list of arrays of one shape is a list of samples (stacked,
    as NumPy does); arrays of several shapes, or a dict, are refused (one per input)."""
    if isinstance(x, dict):
        _data.as_array(x, name)
    if len({np.shape(v) for v in x}) == 1:
        return _data.as_array(list(x), name)
    raise TypeError(f"{name} is a {type(x).__name__} of {len(x)} arrays of different shapes (one per "
                    "input?), but this model takes one array: pass that array alone")


def _one_output(y):
    raise ValueError(f"y is a {type(y).__name__} of {len(y)} arrays, but the model has one output: pass "
                     "one array of targets")


def _verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


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
