"""``Model``: layers plus training — ``compile``, ``fit``, ``evaluate``, ``predict``.

One training step (``train_step``) is the whole of backpropagation:

    y_pred = model(x, training=True)              # forward: every layer's call()
    loss   = loss_fn(y, y_pred) + sum(penalties)  # regularization included
    loss.backward()                               # d loss / d w for every weight
    optimizer.apply(grads, weights)               # w <- w - lr * (...), in place

``fit`` repeats it over shuffled mini-batches for some epochs, keeping running
means of the loss and the metrics, and reports to the callbacks (the progress
bar, History, EarlyStopping, ...).  Subclass ``Model`` and write ``call`` to
build your own architecture; ``fit`` works the same.
"""
import math
import warnings

import numpy as np

from .. import callbacks as _callbacks
from .. import losses as _losses
from .. import metrics as _metrics
from .. import optimizers as _optimizers
from .. import random as _random
from ..autograd import Tensor, no_grad
from ..layers.base import Layer, format_shape
from . import data as _data
from .interrupt import GracefulInterrupt
from .summary import print_summary


class Model(Layer):
    """A trainable network.  ``Sequential`` stacks layers; subclass ``Model`` and define
    ``call(self, x, training=False)`` for anything else (layers assigned as attributes
    are tracked, so their weights are trained)."""

    #: Functions called as ``hook(x, variables)`` in ``train_step`` after ``loss.backward()`` and
    #: before the optimizer step, while each variable's ``.grad`` holds its gradient (the weights are
    #: still those the gradients were computed with). ``scratchnn.inspect.TrainingMonitor`` adds one
    #: for the steps it records and removes it after; with none (the usual case) it costs nothing.
    _gradient_hooks = ()

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError("the functional API Model(inputs, outputs) is not available "
                                      "yet: use Sequential, or subclass Model and write call()")
        super().__init__(**kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_ids = []
        self._weighted_metric_ids = []
        self._compiled_metrics = None
        self._warned_from_logits = False

    # ------------------------------------------------------------- layer tracking
    @property
    def trainable(self):
        return self.__dict__.get("_trainable_flag", True)

    @trainable.setter
    def trainable(self, value):
        """Freezing (or unfreezing) a model does the same to every layer in it, as in Keras, so a
        frozen BatchNormalization inside also stops updating its moving statistics."""
        value = bool(value)
        self.__dict__["_trainable_flag"] = value
        try:
            layers = self.layers
        except AttributeError:          # still inside __init__: no layers yet
            return
        for layer in layers:
            layer.trainable = value

    def __setattr__(self, name, value):
        if not name.startswith("_") and (isinstance(value, Layer) or (
                isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value))):
            tracked = self.__dict__.setdefault("_tracked_layers", {})
            tracked[name] = list(value) if isinstance(value, (list, tuple)) else [value]
        super().__setattr__(name, value)

    @property
    def layers(self):
        """The model's layers, in the order they were assigned."""
        seen, out = set(), []
        for group in self.__dict__.get("_tracked_layers", {}).values():
            for layer in group:
                if id(layer) not in seen:
                    seen.add(id(layer))
                    out.append(layer)
        return out

    def _all_weights(self):
        seen, out = set(), []
        for w in self._weights + [w for layer in self.layers for w in layer.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def weights(self):
        """All weights, layer by layer (Keras's order for get_weights/set_weights)."""
        return self._all_weights()

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        own = [w for w in self._weights if w.trainable]
        return _unique(own + [w for layer in self.layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self._all_weights()
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self._all_weights() if id(w) not in trainable]

    @property
    def losses(self):
        penalties = [w.regularizer(w) for w in self._weights if w.regularizer is not None]
        penalties += list(self._activity_losses)
        for layer in self.layers:
            penalties += layer.losses
        return penalties

    def get_layer(self, name=None, index=None):
        """A layer by name or position."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {', '.join(l.name for l in self.layers)}")

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
        self._warn_classic_mistakes()

    def _output_activation(self):
        """Name of the activation applied last ('softmax', 'sigmoid', 'linear', ...) or None."""
        layers = self.layers
        if not layers:
            return None
        last = layers[-1]
        if isinstance(last, Model):
            return last._output_activation()
        if type(last).__name__ == "Softmax":
            return "softmax"
        act = getattr(last, "activation", None)
        return getattr(act, "__name__", None) if act is not None else None

    def _warn_classic_mistakes(self):
        act = self._output_activation()
        loss = self.loss
        self._warned_from_logits = False
        if act is None or loss is None:
            return
        kind = type(loss).__name__
        from_logits = getattr(loss, "kwargs", {}).get("from_logits", False)
        units = getattr(self.layers[-1], "units", None)
        hints = []
        self._warned_from_logits = bool(from_logits and act in ("softmax", "sigmoid"))
        if self._warned_from_logits:
            hints.append(f"the loss has from_logits=True but the output layer applies {act}: its outputs "
                         f"are probabilities, not logits. Use from_logits=False, or remove the {act}.")
        if act == "softmax" and units == 1:
            hints.append("softmax over a single output unit always outputs 1.0, so the network cannot "
                         "learn. For two classes use Dense(1, activation='sigmoid') with "
                         "binary_crossentropy, or Dense(2, activation='softmax').")
        if kind in ("CategoricalCrossentropy", "SparseCategoricalCrossentropy") and not from_logits \
                and act in ("sigmoid", "linear"):
            hints.append(f"{loss.name} expects probabilities that sum to 1 (a softmax output), but the "
                         f"output layer applies {act}. Use activation='softmax', or from_logits=True for "
                         "a linear output.")
        for hint in hints:
            warnings.warn(hint, UserWarning, stacklevel=3)

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"call compile() before {what}(): the model needs an optimizer and a "
                               "loss, e.g. model.compile(optimizer='adam', "
                               "loss='sparse_categorical_crossentropy', metrics=['accuracy'])")
        if self.loss is None and what != "predict":
            raise RuntimeError(f"{what}() needs a loss: pass loss= to compile()")

    # ---------------------------------------------------------------- building
    def build(self, input_shape):
        """Build every layer for inputs of ``input_shape`` (a forward pass on zeros)."""
        probe = tuple(1 if d is None else d for d in input_shape)
        with no_grad():
            self.call(Tensor(np.zeros(probe, dtype=self.dtype)), training=False)
        self.input_shape = (None,) + tuple(input_shape[1:])
        self.built = True

    def _unbuilt_layers(self):
        return [layer for layer in self._walk() if not layer.built]

    @staticmethod
    def _unbuild(layers):
        """Undo a build that failed half-way: no half-built model is left behind."""
        for layer in layers:
            layer.built, layer._weights, layer.input_shape = False, [], None
            if hasattr(layer, "_output_shape"):       # a Sequential forgets its derived shape too
                layer._output_shape = None

    def _ensure_built(self, sample_shape):
        """Build for inputs of ``(None,) + sample_shape``; on failure leave every layer unbuilt."""
        if self.built:
            return
        before = self._unbuilt_layers()
        try:
            self._build_once((None,) + tuple(sample_shape))
        except Exception:
            self._unbuild(before)
            raise

    def _walk(self):
        yield self
        for layer in self.layers:
            if isinstance(layer, Model):
                yield from layer._walk()
            else:
                yield layer

    @property
    def output_shape(self):
        if not self.built:
            raise ValueError(f"model '{self.name}' is not built yet: call it on data or give the "
                             "first layer an input_shape")
        return self.compute_output_shape(self.input_shape)

    # ------------------------------------------------------------------ checks
    def _check_targets(self, y):
        """Labels that cannot fit the loss and the output shape: a clear error before training."""
        if y is None:
            return
        out = self.output_shape
        kind = type(self.loss).__name__
        n_out = out[-1]
        if kind == "SparseCategoricalCrossentropy":
            if y.shape[1:] == tuple(out[1:]) and n_out and n_out > 1:
                raise ValueError(f"y has shape {y.shape}, like one-hot targets, but the loss is "
                                 "sparse_categorical_crossentropy, which takes integer class labels: use "
                                 "loss='categorical_crossentropy', or pass y.argmax(axis=-1)")
            if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
                raise ValueError("sparse_categorical_crossentropy needs integer class labels, but y has "
                                 "non-integer values")
            if y.size and n_out and (y.min() < 0 or y.max() >= n_out):
                bad = y[(y < 0) | (y >= n_out)].flat[0]
                raise ValueError(f"label {bad} is out of range for an output of {n_out} classes "
                                 f"(valid labels: 0 to {n_out - 1})")
        elif kind == "CategoricalCrossentropy":
            if y.shape[1:] != tuple(out[1:]):
                hint = ""
                if y.ndim == 1 or y.shape[1:] == tuple(out[1:-1]) + (1,) or y.dtype.kind in "iu":
                    hint = (" y looks like integer class labels: use "
                            "loss='sparse_categorical_crossentropy', or one-hot encode y with "
                            "scratchnn.keras.utils.to_categorical(y)")
                raise ValueError(f"y has shape {y.shape} but the model outputs {format_shape(out)} "
                                 f"with categorical_crossentropy.{hint}")

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
        """Forward, loss, backward, update; returns (loss value, predictions array)."""
        y_pred = self(x, training=True)
        loss = self.compute_loss(y, y_pred, sample_weight)
        variables = self._trainable
        if not variables:                      # a frozen model: nothing to update (Keras warns too)
            return float(loss.data), y_pred.data
        loss.backward()
        for hook in self._gradient_hooks:      # usually none (see _gradient_hooks)
            hook(x, variables)
        self.optimizer.apply([v.grad for v in variables], variables)
        for v in variables:
            if v.constraint is not None:
                v.data[...] = v.constraint(v.data)
        for v in self.weights:
            v.grad = None
        return float(loss.data), y_pred.data

    def test_step(self, x, y, sample_weight=None):
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(y, y_pred, sample_weight)
        return float(loss.data), y_pred.data

    def _update_metrics(self, y, y_pred, sample_weight, tracker, loss, n):
        tracker.update_state(loss, sample_weight=n)
        plain, weighted = self._build_metrics(y, y_pred)
        for m in plain:
            m.update_state(y, y_pred)
        for m in weighted:
            m.update_state(y, y_pred, sample_weight=sample_weight)
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
            x = _data.as_array(x, "x")
            y = _data.as_array(y, "y")
            sample_weight = _data.as_array(sample_weight, "sample_weight")
            if y is not None and len(y) != len(x):
                raise ValueError(f"x and y have different numbers of samples: {len(x)} and {len(y)}")
            if sample_weight is not None and len(sample_weight) != len(x):
                raise ValueError(f"x has {len(x)} samples but sample_weight has {len(sample_weight)}")
            if len(x) == 0:
                raise ValueError(f"{what}() got no samples (x is empty)")
            _data.check_finite(x, "x")
            _data.check_finite(y, "y")
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
        """Build the model and check shapes and labels before any weight changes."""
        if isinstance(data, _data.ArrayData):
            before = self._unbuilt_layers()
            try:
                self._ensure_built(data.x.shape[1:])
                for layer in self._first_layers():
                    layer._check_input((None,) + data.x.shape[1:])
                expected = self.input_shape          # the declared Input(shape), which layers may not check
                if expected is not None and (len(expected) != data.x.ndim or any(
                        e is not None and e != s for e, s in zip(expected[1:], data.x.shape[1:]))):
                    raise ValueError(f"model '{self.name}' expects inputs of shape {format_shape(expected)}, "
                                     f"got {what} data of shape {format_shape(data.x.shape)}")
                if data.y is not None and self.loss is not None:
                    self._check_targets(data.y)
            except Exception:
                self._unbuild(before)      # a model built only for these checks is unbuilt again
                raise

    def _first_layers(self):
        first = self.layers[:1]
        while first and isinstance(first[0], Model):
            first = first[0].layers[:1]
        return first

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
            arrays = (_data.as_array(x, "x"), _data.as_array(y, "y"),
                      _data.as_array(sample_weight, "sample_weight"))
            (x, y, sample_weight), validation_data = _data.validation_split_arrays(arrays, validation_split)
        train = self._prepare(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        if class_weight is not None:
            if not isinstance(train, _data.ArrayData) or train.y is None:
                raise ValueError("class_weight needs array targets y")
            train.sample_weight = _class_sample_weights(train.y, class_weight, train.sample_weight)
        val = None
        if validation_data is not None:
            if isinstance(validation_data, (tuple, list)) and 2 <= len(validation_data) <= 3:
                vx, vy, vw = (tuple(validation_data) + (None,))[:3]
                val = self._prepare(vx, vy, vw, _data.check_batch_size(validation_batch_size, batch_size),
                                    steps=validation_steps, what="validation")
            else:
                val = self._prepare(validation_data, None, None, batch_size, steps=validation_steps,
                                    what="validation")
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
        cbs = _callbacks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                      verbose=verbose, epochs=epochs, steps=steps)
        tracker = _metrics.Mean(name="loss")
        rng = _random.generator()
        self.stop_training = False
        logs = {}
        self.interrupted = False
        nonfinite_seen = False
        self.__dict__.pop("_resume_epoch", None)        # never a leftover from a failed fit
        cbs.on_train_begin()
        # BackupAndRestore found an interrupted run: continue after its last completed epoch.
        initial_epoch = self.__dict__.pop("_resume_epoch", initial_epoch)
        with GracefulInterrupt() as interrupt:
            for epoch in range(initial_epoch, epochs):
                self._reset_metrics(tracker)
                cbs.on_epoch_begin(epoch)
                step = 0
                for step, (xb, yb, wb) in enumerate(train.batches(rng)):
                    cbs.on_train_batch_begin(step)
                    loss, y_pred = self.train_step(Tensor._make(xb, None), yb, wb)
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
            loss, y_pred = self.test_step(Tensor._make(xb, None), yb, wb)
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
        if isinstance(data, _data.ArrayData) and data.y is None:
            raise ValueError("evaluate() needs targets y")
        self._validate_for(data, "evaluate")
        steps = data.steps
        cbs = _callbacks.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                      epochs=1, steps=steps)
        logs = self._run_evaluation(data, cbs, verbose)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    # --------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, as one NumPy array (computed in batches, no graph)."""
        batch_size = _data.check_batch_size(batch_size)
        verbose = _verbose(verbose)
        data = self._prepare(x, None, None, batch_size, steps=steps, what="predict")
        self._validate_for(data, "predict")
        cbs = _callbacks.CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                      epochs=1, steps=data.steps)
        outputs = []
        cbs.on_predict_begin()
        with no_grad():
            for step, (xb, _, _) in enumerate(data.batches()):
                cbs.on_predict_batch_begin(step)
                out = self(Tensor._make(xb, None), training=False).data
                outputs.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict() got no batches")
        return np.concatenate(outputs, axis=0)

    def predict_on_batch(self, x):
        with no_grad():
            return self(_data.to_float_batch(_data.as_array(x, "x")), training=False).data

    def train_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """One update on one batch. Returns this batch's loss (a float) when no metrics were
        compiled, else ``[loss, *metrics]`` in ``metrics_names`` order (``return_dict=True``: a dict),
        all measured on this batch alone (as Keras since 3.10: metric states are reset first)."""
        self._assert_compiled("train_on_batch")
        x = _data.to_float_batch(_data.as_array(x, "x"))
        y = _data.as_array(y, "y")
        self._ensure_built(x.shape[1:])
        self._setup_trainable()
        loss, y_pred = self.train_step(Tensor._make(x, None), y, sample_weight)
        return self._batch_logs(y, y_pred, sample_weight, loss, len(x), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch, without training: returns like ``train_on_batch``."""
        self._assert_compiled("test_on_batch")
        x = _data.to_float_batch(_data.as_array(x, "x"))
        y = _data.as_array(y, "y")
        self._ensure_built(x.shape[1:])
        loss, y_pred = self.test_step(Tensor._make(x, None), y, sample_weight)
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

    def __call__(self, inputs, training=False):
        if not isinstance(inputs, Tensor):
            inputs = Tensor(_data.to_float_batch(_data.as_array(inputs, "inputs")))
        if not self.built:
            self._ensure_built(inputs.shape[1:])
        return self.call(inputs, training=training)

    # ------------------------------------------------------------------ misc
    def summary(self, print_fn=None, line_length=None):
        """Print the layers with their output shapes and parameter counts, and the totals."""
        print_summary(self, print_fn=print_fn, line_length=line_length)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Write architecture, weights, compile settings and optimizer state to one
        ``.scratchnn`` file, atomically; ``scratchnn.models.load_model`` reads it back."""
        from ..saving import save_model
        return save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights alone (a safetensors file), atomically."""
        from ..saving import save_weights
        return save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        """Set the weights from ``save_weights``'s file (or a model file), checked before any is written."""
        from ..saving import load_weights
        load_weights(self, filepath)

    def to_json(self, **kwargs):
        """The architecture as JSON (``scratchnn.models.model_from_json`` rebuilds it, fresh weights)."""
        from ..saving import model_to_json
        return model_to_json(self, **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _warn_nonfinite(loss, epoch, step, callbacks):
    if any(type(cb).__name__ == "TerminateOnNaN" for cb in callbacks):
        return                                  # it stops training and says so itself
    warnings.warn(f"the loss became {float(loss)} at epoch {epoch + 1}, batch {step + 1}: training "
                  "diverged (learning rate too high? unscaled inputs? log of 0?). The weights are "
                  "probably NaN from here on; add callbacks=[TerminateOnNaN()] to stop at once.",
                  RuntimeWarning, stacklevel=3)


def _print_interrupt(epoch, step, history, completed=False):
    import sys
    done = len(history.epoch) if history is not None else 0
    where = f"at the end of epoch {epoch + 1}" if completed else f"at epoch {epoch + 1}, batch {step + 1}"
    print(f"\nTraining interrupted {where}: the model keeps the weights of that moment; the history "
          f"holds the {done} completed epoch(s).", file=sys.stderr)


def _unique(weights):
    seen, out = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


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
    missing = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"class_weight has no weight for class(es) {missing}")
    table = np.zeros(max(int(k) for k in class_weight) + 1, dtype=np.float32)
    for k, v in class_weight.items():
        table[int(k)] = v
    weights = table[labels]
    return weights if sample_weight is None else weights * sample_weight
