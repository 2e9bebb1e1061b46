"""One step of training or evaluation, as Keras 3 writes it (``Trainer`` inherits ``Steps``).

``fit`` calls ``train_step(data)`` once per batch and hands what it returns (a dict of logs) to the
callbacks; ``evaluate`` calls ``test_step(data)``. ``data`` is what the batch holds, packed as
Keras packs it: ``(x, y)``, ``(x, y, sample_weight)``, or ``x`` alone. The built-in step is

    x, y, sample_weight = data                    # unpack_x_y_sample_weight(data)
    y_pred = self(x, training=True)
    loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
    loss.backward()                               # each trainable weight's .grad
    self.optimizer.apply(grads, self.trainable_variables)
    return self.compute_metrics(x, y, y_pred, sample_weight)   # {"loss": ..., "accuracy": ...}

A subclass may override ``train_step`` / ``test_step`` with the code of Keras's guide
"Customizing what happens in fit()": ``self.compute_loss(...)``, ``loss.backward()`` (scratchnn's
autograd; the gradients are in ``v.grad``), ``self.optimizer.apply(grads, self.trainable_variables)``
or ``apply_gradients(zip(grads, vars))``, ``for metric in self.metrics: metric.update_state(...)``,
``return {m.name: m.result() for m in self.metrics}``. ``fit`` resets every metric of
``self.metrics`` at the start of each epoch (``reset_metrics``), clears the trainable weights'
gradients before each step (autograd adds into ``.grad``), and leaves everything else to the step.

``self.metrics`` is Keras 3's list: the ``loss`` tracker (a ``Mean``), the compiled metrics (one
container named ``compile_metrics``, whose ``result()`` is a dict), the per-output loss trackers,
then the metrics the model holds as attributes (``self.loss_tracker = Mean(name="loss")``); a
subclass may override the property. The tf.keras 2 spellings still found in course notebooks work
too: ``self.compiled_loss(y, y_pred, regularization_losses=self.losses)`` (which also updates the
``loss`` tracker, as tf.keras 2 did) and ``self.compiled_metrics.update_state(y, y_pred)``.
"""
import inspect

import numpy as np

from .. import metrics as _metrics
from ..autograd import Tensor
from . import data as _data


class Steps:
    """The steps ``fit``/``evaluate`` repeat and what they use (``metrics``, ``compute_loss``)."""

    _gradient_hooks = ()       # a list on the instance once a hook is added
    _compile_loss = None
    _compile_metrics = None
    _loss_tracker = None

    # ------------------------------------------------------------------ variables
    @property
    def trainable_variables(self):
        """Keras's name for ``trainable_weights``."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def variables(self):
        return self.weights

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        """Keras 3's order: the ``loss`` tracker, the compiled metrics (one container), the
        per-output loss trackers, then the ``Metric`` objects the model holds as attributes."""
        found = []
        if getattr(self, "compiled", False):
            if self._loss_tracker is not None:
                found.append(self._loss_tracker)
            if self._compile_metrics is not None:
                found.append(self._compile_metrics)
            if self._compile_loss is not None:
                found.extend(self._compile_loss.metrics)
        seen = {id(m) for m in found}
        for value in vars(self).values():
            if isinstance(value, _metrics.Metric) and id(value) not in seen:
                seen.add(id(value))
                found.append(value)
        return found

    def reset_metrics(self):
        """Reset every metric of ``self.metrics`` (``fit`` does it at the start of each epoch)."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """``{name: value}`` of every metric of ``self.metrics`` (a container's dict spread out)."""
        logs = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, Tensor):            # a custom metric's result() written with ops
                value = value.data.item() if value.data.size == 1 else value.data
            if isinstance(value, dict):
                logs.update(value)
            else:
                logs[metric.name] = value
        return logs

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with this batch and return ``get_metrics_result()``."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    @property
    def compiled_loss(self):
        """tf.keras 2's ``compiled_loss(y, y_pred, sample_weight=None, regularization_losses=None)``."""
        return LegacyCompiledLoss(self)

    @property
    def compiled_metrics(self):
        """tf.keras 2's ``compiled_metrics`` (``update_state(y, y_pred, sample_weight=None)``)."""
        return LegacyCompiledMetrics(self)

    # ------------------------------------------------------------------ the loss
    def compute_loss(self, *args, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The training objective: the compiled loss (each output's loss times its ``loss_weights``,
        summed) plus every regularization penalty of the model.

        Keras 3's signature, ``compute_loss(x=None, y=None, y_pred=None, sample_weight=None,
        training=True)``; scratchnn's earlier positional form ``compute_loss(y, y_pred,
        sample_weight=None)`` is still read: with three positional arguments the third is
        ``y_pred`` when it is a Tensor (or a list/dict of them), else ``sample_weight``.
        """
        if args:
            x, y, y_pred, sample_weight = _loss_arguments(args, x, y, y_pred, sample_weight)
        penalties = self.losses
        if self._compile_loss is None and penalties:       # compile() without a loss: add_loss only
            loss = penalties[0]
            penalties = penalties[1:]
        else:
            loss = self.compute_compiled_loss(y, y_pred, sample_weight)
        for penalty in penalties:
            loss = loss + penalty
        return loss

    def compute_compiled_loss(self, y, y_pred, sample_weight=None):
        """The compiled loss alone (no penalty): a scalar Tensor."""
        if self._compile_loss is None:
            raise ValueError("no loss to compute: pass loss= to compile(), or add one in a layer with "
                             "self.add_loss(...)")
        return self._compile_loss(y, y_pred, sample_weight, quiet_from_logits=self._warned_from_logits)

    def _step_loss(self, x, y, y_pred, sample_weight, training):
        """``compute_loss`` as the steps call it: by keyword, with ``x`` and ``training`` only where
        an overriding ``compute_loss`` takes them (Keras 3's, or scratchnn's ``(y, y_pred, sw)``)."""
        accepts = _keywords(type(self).compute_loss)
        kwargs = {"y": y, "y_pred": y_pred, "sample_weight": sample_weight}
        if accepts is None or "x" in accepts:
            kwargs["x"] = x
        if accepts is None or "training" in accepts:
            kwargs["training"] = training
        return self.compute_loss(**kwargs)

    # ------------------------------------------------------------------ the steps
    def train_step(self, data):
        """Forward, loss, backward, update; returns the logs (``compute_metrics``)."""
        x, y, sample_weight = _data.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self._step_loss(x, y, y_pred, sample_weight, training=True)
        self._loss_tracker.update_state(float(loss.data), sample_weight=batch_size(x))
        variables = getattr(self, "_trainable", None)
        if variables is None:                  # called outside fit: decide now
            self._setup_trainable()
            variables = self._trainable
        if variables:                          # a frozen model: nothing to update (Keras warns too)
            loss.backward()
            for hook in list(self._gradient_hooks):     # usually none (see add_gradient_hook)
                hook(x, variables)
            self.optimizer.apply([v.grad for v in variables], variables)
            for v in variables:    # only these have gradients (_setup_trainable): no walk of the model
                if v.constraint is not None:
                    v.data[...] = v.constraint(v.data)
                v.grad = None
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Forward and loss (the loops run it under ``no_grad``); returns the logs."""
        x, y, sample_weight = _data.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._step_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(float(loss.data), sample_weight=batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = _data.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def inference_plan(self):
        """The model's inference plan (``models/inference.py``), or None: ``Sequential`` has one."""
        return None

    def prepared_plan(self, data):
        """The inference plan ``predict`` runs on ``data``'s batches, its weights read now; None
        unless the data are arrays (checked before the batches) and ``predict_step`` is this one."""
        if getattr(data, "kind", None) is not None or type(self).predict_step is not Steps.predict_step:
            return None
        plan = self.inference_plan()
        if plan is not None:
            plan.prepare()
        return plan


class LegacyCompiledLoss:
    """``model.compiled_loss`` as tf.keras 2 had it: the compiled loss plus the penalties given as
    ``regularization_losses``; it adds the total to the ``loss`` tracker (batch-size weighted)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, y, y_pred, sample_weight=None, regularization_losses=None):
        model = self.model
        loss = model.compute_compiled_loss(y, y_pred, sample_weight)
        for penalty in regularization_losses or ():
            loss = loss + penalty
        model._loss_tracker.update_state(float(np.asarray(loss.data)), sample_weight=batch_size(y_pred))
        return loss

    @property
    def metrics(self):
        model = self.model
        return [model._loss_tracker] + (model._compile_loss.metrics if model._compile_loss else [])


class LegacyCompiledMetrics:
    """``model.compiled_metrics`` as tf.keras 2 had it: ``update_state(y, y_pred, sample_weight=None)``
    updates the metrics given to ``compile``; ``metrics`` lists them."""

    def __init__(self, model):
        self.model = model

    def update_state(self, y, y_pred, sample_weight=None):
        container = self.model._compile_metrics
        if container is not None:
            container.update_state(y, y_pred, sample_weight)

    def reset_state(self):
        if self.model._compile_metrics is not None:
            self.model._compile_metrics.reset_state()

    @property
    def metrics(self):
        container = self.model._compile_metrics
        return container.metrics if container is not None else []


def batch_size(x):
    """The number of samples of a batch (its first array's length)."""
    first = _data.first_leaf(x)
    return len(first.data if isinstance(first, Tensor) else first)


def _is_prediction(value):
    if isinstance(value, Tensor):
        return True
    if isinstance(value, dict):
        return bool(value) and all(isinstance(v, Tensor) for v in value.values())
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(v, Tensor) for v in value)
    return False


def _loss_arguments(args, x, y, y_pred, sample_weight):
    """Positional ``compute_loss`` arguments: Keras 3's ``(x, y, y_pred, sample_weight)`` or
    scratchnn's ``(y, y_pred, sample_weight)``."""
    if len(args) > 4:
        raise TypeError(f"compute_loss takes at most 4 positional arguments (x, y, y_pred, "
                        f"sample_weight), got {len(args)}")
    keras_order = (len(args) == 4 or (len(args) == 3 and _is_prediction(args[2]))
                   or (len(args) <= 2 and y_pred is not None))
    if keras_order:
        padded = list(args) + [None] * (4 - len(args))
        return (padded[0], padded[1] if len(args) > 1 else y, padded[2] if len(args) > 2 else y_pred,
                padded[3] if len(args) > 3 else sample_weight)
    padded = list(args) + [None] * (3 - len(args))
    return (x, padded[0], padded[1] if len(args) > 1 else y_pred,
            padded[2] if len(args) > 2 else sample_weight)


_KEYWORDS = {}


def _keywords(fn):
    """The names ``fn`` accepts by keyword (None: any, it takes ``**kwargs``); cached per function."""
    if fn not in _KEYWORDS:
        params = inspect.signature(fn).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            _KEYWORDS[fn] = None
        else:
            _KEYWORDS[fn] = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return _KEYWORDS[fn]


def as_logs(logs, who):
    """A step's logs as ``{name: float or array}``: a dict inside (``compile_metrics``) is spread
    out, Tensors and NumPy scalars become Python floats."""
    if not isinstance(logs, dict):
        raise TypeError(f"{who} must return a dict of logs ({{'loss': ..., 'accuracy': ...}}), "
                        f"got {type(logs).__name__}")
    flat = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(as_logs(value, who))
        else:
            flat[key] = _to_log(value.data if isinstance(value, Tensor) else value)
    return flat


def numpy_outputs(out):
    """A model's outputs as NumPy arrays, in their structure."""
    if isinstance(out, dict):
        return {k: numpy_outputs(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return type(out)(numpy_outputs(v) for v in out)
    return out.data if isinstance(out, Tensor) else np.asarray(out)



def _to_log(value):
    arr = np.asarray(value)
    return float(arr) if arr.ndim == 0 else arr


__all__ = ["Steps", "as_logs", "numpy_outputs", "LegacyCompiledLoss", "LegacyCompiledMetrics", "batch_size"]
