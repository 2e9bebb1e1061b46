"""Looking inside a network: what each layer outputs, how strong its gradients are, how its weights
move while it trains, and how one prediction is formed.

Without training::

    from scratchnn import inspect
    acts = inspect.layer_activations(model, x[:256])       # {layer name: output array}
    norms = inspect.gradient_norms(model, x[:256], y[:256])  # {layer name: ||dL/dW||}, model unchanged
    e = inspect.explain(model, x[0], temperature=2.0)       # layer by layer, then the probabilities
    print(e); e.plot()

While training (callbacks)::

    monitor = inspect.TrainingMonitor(every=50)             # or every='epoch'
    diagnostics = inspect.Diagnostics()                     # prints plain-language hints
    model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[monitor, diagnostics])
    steps, norms = monitor.series("gradient_norm", "dense")
    monitor.save("runs/mnist")                              # monitor.csv + monitor.json
    scratchnn.plot.gradient_norms(monitor)

What is measured, for each monitored layer ``l`` at a recorded step:

* ``activation_mean``, ``activation_std``: of the layer's output ``a_l`` on a fixed *probe batch*
  (the first training batch, or ``x_probe``), computed by a separate forward pass in inference mode
  without a graph (dropout off, BatchNormalization's moving statistics untouched);
* ``dead_fraction`` (ReLU layers): the fraction of units ``j`` with ``a_l[n, j] = 0`` for every
  probe sample ``n`` (for a convolution, a unit is a channel: zero at every position too). A dead
  unit passes no gradient (ReLU'(z) = 0 for z < 0), so it never recovers;
* ``gradient_norm``: ``||dL/dW_l||_2``, the L2 norm of the loss gradient of the layer's weights, on
  the training batch of that step, read after ``backward`` and before the optimizer step;
* ``weight_mean``, ``weight_std``: of the weight values ``W_l``, and a histogram of them;
* ``update_ratio``: ``||W_l(after) - W_l(before)|| / ||W_l(before)||``, how much this step's update
  changed the weights relative to their size (about 1e-3 is the classic rule of thumb: much smaller,
  the layer learns slowly; much larger, training is unstable).

``W_l`` means the layer's *kernels*: its trainable weights with two or more axes (the Dense or
convolution kernel, not the bias); a layer without one (BatchNormalization) uses all its trainable
weights. The same rule is used everywhere in this module.
"""
import csv
import json
import math
import os
import warnings
from collections import namedtuple

import numpy as np

from . import functional as F
from . import random as _random
from .autograd import Tensor, no_grad
from .callbacks.base import Callback
from .models import data as _data
from .models.model import Model

__all__ = ["layer_activations", "gradient_norms", "TrainingMonitor", "Diagnostics", "Hint", "explain",
           "Explanation", "LayerOutput", "METRICS"]

#: The quantities a ``TrainingMonitor`` records per layer (the columns of ``monitor.csv``).
METRICS = ("activation_mean", "activation_std", "dead_fraction", "gradient_norm", "weight_mean",
           "weight_std", "update_ratio")

_RELU_FUNCTIONS = (F.ACTIVATIONS["relu"], F.ACTIVATIONS["relu6"])
#: Layers that only move values around (or are the identity at inference): their output says nothing
#: new, so a monitor skips them unless asked for by name.
_PASS_THROUGH = ("InputLayer", "Flatten", "Reshape", "Permute", "RepeatVector", "Dropout",
                 "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout")


# ============================================================================ shared machinery
def _check_model(model, who):
    if not isinstance(model, Model):
        raise TypeError(f"{who}: model must be a scratchnn Model (Sequential or a Model subclass), "
                        f"got {type(model).__name__}")


def _leaf_layers(model):
    """Every layer inside ``model`` that is not itself a model, nested Sequentials unfolded."""
    return [layer for layer in model._walk() if not isinstance(layer, Model)]


def _as_batch(model, x, name, who):
    """``x`` as a float batch for ``model`` (``Tensor`` and lists accepted); the model is built for it."""
    arr = _data.as_array(getattr(x, "data", x), name)
    if arr is None:
        raise ValueError(f"{who}: {name} is required")
    if len(arr) == 0:
        raise ValueError(f"{who}: {name} holds no samples (shape {arr.shape})")
    arr = _data.to_float_batch(arr)
    if model.dtype is not None and arr.dtype != model.dtype:
        arr = arr.astype(model.dtype)
    model._ensure_built(arr.shape[1:])
    return arr


def _forward_capture(model, x, training=False):
    """Run ``model`` on the batch ``x`` without recording a graph and return ``(output, captured)``:
    the model's output Tensor and ``[(layer, output Tensor), ...]`` for every leaf layer, in the
    order the layers were called.

    Each leaf layer's ``call`` is wrapped, for this one pass, by a function that keeps its output,
    so any architecture (a ``Sequential``, a subclassed ``Model``, nested models) is seen layer by
    layer. The wrappers, and each layer's activity penalties of the last training step, are
    restored afterwards: the model is left exactly as it was.
    """
    captured = []

    def recording(layer, original):
        def call(inputs, training=False):
            out = original(inputs, training=training)
            captured.append((layer, out))
            return out
        return call

    patched = []
    try:
        for layer in _leaf_layers(model):
            own = layer.__dict__.get("call")          # a call set on the instance itself (rare)
            patched.append((layer, own, layer._activity_losses))
            layer.__dict__["call"] = recording(layer, layer.call)
        with no_grad():
            out = model(Tensor._make(x, None), training=training)
    finally:
        for layer, own, activity in patched:
            if own is None:
                del layer.__dict__["call"]
            else:
                layer.__dict__["call"] = own
            layer._activity_losses = activity
    return out, captured


def _generator_states(model):
    """``[(generator, state), ...]`` of every random generator a forward pass of ``model`` may draw
    from (the global one, and a layer's own, e.g. a seeded Dropout's), to put them back after."""
    generators = {id(_random.generator()): _random.generator()}
    for layer in _leaf_layers(model):
        for value in vars(layer).values():
            if isinstance(value, np.random.Generator):
                generators[id(value)] = value
    return [(g, g.bit_generator.state) for g in generators.values()]


def _unique_names(layers):
    """Layer names, made unique by a '#2', '#3' suffix when a layer is called twice."""
    seen, names = {}, []
    for layer in layers:
        n = seen.get(layer.name, 0) + 1
        seen[layer.name] = n
        names.append(layer.name if n == 1 else f"{layer.name}#{n}")
    return names


def _kernels(layer):
    """The weights a layer's statistics are computed on: its trainable weights with 2+ axes
    (kernels), or all its trainable weights when it has none (e.g. BatchNormalization)."""
    trainable = [w for w in layer._all_weights() if w.trainable]
    kernels = [w for w in trainable if w.data.ndim >= 2]
    return kernels or trainable


def _is_relu(layer):
    """Whether the layer's output is a plain ReLU (or ReLU6), whose units can die."""
    if getattr(layer, "activation", None) in _RELU_FUNCTIONS:
        return True
    return type(layer).__name__ == "ReLU" and getattr(layer, "negative_slope", 0) == 0


def _finite(values):
    values = np.asarray(values, dtype=np.float64).ravel()
    return values[np.isfinite(values)]


def _mean_std(values):
    """Mean and standard deviation in float64 (NaN when a value is NaN or infinite)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std())


def _dead_fraction(out):
    """Fraction of units (last axis) that are 0 for every sample (and every position)."""
    out = np.asarray(out)
    if out.ndim < 2 or out.shape[-1] == 0:
        return math.nan
    dead = ~np.any(out.reshape(-1, out.shape[-1]) != 0, axis=0)
    return float(dead.mean())


def _activation_stats(layer, out):
    mean, std = _mean_std(out)
    stats = {"activation_mean": mean, "activation_std": std}
    if _is_relu(layer):
        stats["dead_fraction"] = _dead_fraction(out)
    return stats


def _flat(arrays):
    if not arrays:
        return np.zeros(0)
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _l2(arrays):
    """sqrt(sum of squares) over several arrays, in float64: ||[a1, a2, ...]||_2."""
    return math.sqrt(sum(float(np.vdot(a, a)) for a in (np.asarray(x, dtype=np.float64) for x in arrays)))


def _weight_stats(layer):
    kernels = _kernels(layer)
    if not kernels:
        return {}
    mean, std = _mean_std(_flat([w.data for w in kernels]))
    return {"weight_mean": mean, "weight_std": std}


def _histogram(values, bins):
    """``(edges, counts)`` of the finite values as lists (empty lists when none is finite)."""
    values = _finite(values)
    if values.size == 0:
        return [], []
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return edges.tolist(), counts.tolist()


def _grad_norm(layer):
    grads = [w.grad for w in _kernels(layer) if w.grad is not None]
    return _l2(grads) if grads else None


# ============================================================================ without training
def layer_activations(model, x, training=False):
    """Every layer's output for the batch ``x``, computed without a graph.

    Returns a dict ``{layer name: output array}`` in the order the layers are called (each array
    keeps the batch axis). ``training=False`` (the default) runs the layers in inference mode:
    dropout does nothing and BatchNormalization uses its moving statistics; ``training=True``
    applies dropout and normalizes by the batch's own statistics. Nothing changes either way:
    the moving statistics and the random generators are put back after a training-mode pass. A
    layer called twice appears as ``'name'`` and ``'name#2'``.

        acts = layer_activations(model, x_test[:500])
        {name: a.std() for name, a in acts.items()}     # does the signal shrink layer by layer?
    """
    _check_model(model, "layer_activations")
    x = _as_batch(model, x, "x", "layer_activations")
    # A training-mode pass moves BatchNormalization's moving statistics and draws dropout masks:
    # both are put back after it.
    saved = [(w, w.data.copy()) for w in model.weights if not w.trainable] if training else []
    generators = _generator_states(model) if training else []
    try:
        _, captured = _forward_capture(model, x, training=bool(training))
    finally:
        for w, data in saved:
            w.data[...] = data
        for generator, state in generators:
            generator.bit_generator.state = state
    names = _unique_names([layer for layer, _ in captured])
    return {name: out.data for name, (_, out) in zip(names, captured)}


def gradient_norms(model, x, y, sample_weight=None, loss=None, training=True):
    """One forward and backward pass on the batch ``(x, y)``; returns ``{layer name: ||dL/dW||_2}``.

    ``L`` is the model's training objective (the compiled loss plus the regularization penalties,
    as in ``fit``), or ``loss`` when given (a name or a loss object, for a model not compiled);
    ``W`` are the layer's kernels (see the module's notes). Layers without trainable weights are
    left out. The model is not updated: the weights, BatchNormalization's moving statistics, the
    optimizer, every weight's ``.grad`` and the random generators (dropout's masks) are exactly as
    before, so calling it does not change a later ``fit`` (``training=True``, the default, computes
    the gradient ``fit`` would: dropout active, batch statistics).

    In a deep network with sigmoid activations the first layer's norm is orders of magnitude
    below the last one's (each sigmoid multiplies the backpropagated gradient by at most 0.25):
    the *vanishing gradient* problem.
    """
    _check_model(model, "gradient_norms")
    x = _as_batch(model, x, "x", "gradient_norms")
    y = _data.as_array(getattr(y, "data", y), "y")
    if y is None or len(y) != len(x):
        raise ValueError(f"gradient_norms: y must have one target per sample of x ({len(x)}), got "
                         f"{'None' if y is None else f'{len(y)} (shape {y.shape})'}")
    sample_weight = _data.as_array(sample_weight, "sample_weight")
    if loss is not None:
        from . import losses as _losses
        loss_fn = _losses.get(loss)
    elif getattr(model, "loss", None) is not None:
        loss_fn = None
    else:
        raise ValueError("gradient_norms: the model has no loss; compile it first or pass loss=, "
                         "e.g. loss='sparse_categorical_crossentropy'")
    weights = model.weights
    saved = [(w, w.grad, w.requires_grad, w.data.copy() if not w.trainable else None) for w in weights]
    trainable = {id(w) for w in model.trainable_weights}
    activity = [(layer, layer._activity_losses) for layer in _leaf_layers(model)]
    generators = _generator_states(model)
    try:
        for w in weights:
            w.grad = None
            w.requires_grad = id(w) in trainable
        y_pred = model(Tensor._make(x, None), training=bool(training))
        if loss_fn is None:
            objective = model.compute_loss(y, y_pred, sample_weight)
        else:
            objective = loss_fn(y, y_pred, sample_weight=sample_weight)
            for penalty in model.losses:
                objective = objective + penalty
        if objective.requires_grad:
            objective.backward()
        norms = {}
        for layer in _leaf_layers(model):
            norm = _grad_norm(layer)
            if norm is not None and layer.trainable:
                norms[layer.name] = norm
    finally:
        for w, grad, requires, data in saved:
            w.grad, w.requires_grad = grad, requires
            if data is not None:              # moving statistics changed by a training-mode pass
                w.data[...] = data
        for layer, losses in activity:
            layer._activity_losses = losses
        for generator, state in generators:
            generator.bit_generator.state = state
    return norms


# ============================================================================ TrainingMonitor
class TrainingMonitor(Callback):
    """Records, every ``every`` steps (or at the start of every epoch), per-layer statistics of
    activations, gradients, weights and updates (see the module's notes for the formulas).

    Arguments:

    * ``every``: ``'epoch'`` (the first step of each epoch) or a positive integer ``N`` (steps
      0, N, 2N, ... counted over the whole run). Step 0 is always recorded: the network at
      initialization. One more record is made when training ends (weights and activations only,
      since no step follows).
    * ``x_probe``: the inputs the activations are measured on, always the same so records are
      comparable; by default the first ``probe_size`` samples of the first training batch.
    * ``probe_size``: at most this many probe samples are kept (default 128).
    * ``bins``: number of histogram bins (default 30); ``histograms=False`` keeps none.
    * ``layers``: the layers to monitor (names, indices into ``model.layers`` or layers); by
      default every layer with weights and every activation layer (``Activation``, ``ReLU``, ...).
    * ``path``: a folder where ``save`` writes ``monitor.csv`` and ``monitor.json`` when training
      ends, e.g. the run folder that holds ``history.csv``.

    What you get:

    * ``records``: a list of dicts, one per recorded step and layer:
      ``{'step', 'epoch', 'batch', 'layer', <metric>: value, ...}`` (``epoch`` and ``batch``
      0-based as in callbacks; the final record has ``batch`` None); a metric that does not apply
      (``dead_fraction`` of a sigmoid layer, ``gradient_norm`` of the final record) is absent;
    * ``series(metric, layer)``: ``(steps, values)`` arrays; ``series(metric)``: a dict of them
      per layer; ``to_columns()``: the records as a dict of equal-length arrays (for pandas:
      ``pandas.DataFrame(monitor.to_columns())``);
    * ``weight_histograms[layer]`` and ``activation_histograms[layer]``: a list, one per record,
      of ``{'step', 'epoch', 'edges', 'counts'}`` (``len(edges) == len(counts) + 1``); the first is
      at initialization; ``histogram(layer, which, at)`` picks one;
    * ``layer_names``, ``layer_classes``, ``steps``.

    Costs: nothing on the steps that are not recorded; a recorded step adds one forward pass on
    the probe batch and a few reductions over the weights.
    """

    def __init__(self, every="epoch", x_probe=None, probe_size=128, bins=30, layers=None, histograms=True,
                 path=None):
        super().__init__()
        if not (every == "epoch" or (isinstance(every, (int, np.integer)) and not isinstance(every, bool)
                                     and every > 0)):
            raise ValueError(f"TrainingMonitor: every must be 'epoch' or a positive integer (steps), "
                             f"got {every!r}")
        for name, value in (("probe_size", probe_size), ("bins", bins)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"TrainingMonitor: {name} must be a positive integer, got {value!r}")
        if x_probe is not None:
            x_probe = _data.as_array(getattr(x_probe, "data", x_probe), "x_probe")
            if len(x_probe) == 0:
                raise ValueError(f"TrainingMonitor: x_probe holds no samples (shape {x_probe.shape})")
            x_probe = _data.to_float_batch(x_probe)
        if layers is not None and (isinstance(layers, (str, int)) or not hasattr(layers, "__iter__")):
            layers = [layers]
        self.every = every if every == "epoch" else int(every)
        self.x_probe = x_probe
        self._given_probe = x_probe is not None
        self.probe_size = int(probe_size)
        self.bins = int(bins)
        self.layers = None if layers is None else list(layers)
        self.keep_histograms = bool(histograms)
        self.path = None if path is None else os.fspath(path)
        self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self):
        self.records = []
        self.steps = []
        self.layer_names = []
        self.layer_classes = {}
        self.weight_histograms = {}
        self.activation_histograms = {}
        self._monitored = []            # [(name, layer)]
        self._step = 0
        self._epoch = 0
        self._pending = None            # the record being made during a recorded step
        self._warned_no_hook = False
        if not self._given_probe:
            self.x_probe = None

    @property
    def histograms(self):
        """The weight histograms (``weight_histograms``), per layer."""
        return self.weight_histograms

    def _resolve_layers(self, model):
        leaves = _leaf_layers(model)
        if self.layers is None:
            chosen = [layer for layer in leaves if type(layer).__name__ not in _PASS_THROUGH and (
                layer._all_weights() or type(layer).__module__.endswith("layers.activations")
                or type(layer).__name__ == "Activation")]
        else:
            top = model.layers
            chosen = []
            for item in self.layers:
                if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                    if not -len(top) <= item < len(top):
                        raise ValueError(f"TrainingMonitor: layer index {item} is out of range for a model "
                                         f"of {len(top)} layers")
                    layer = top[item]
                elif isinstance(item, str):
                    layer = next((candidate for candidate in leaves if candidate.name == item), None)
                    if layer is None:
                        raise ValueError(f"TrainingMonitor: no layer named {item!r}; layers: "
                                         f"{[candidate.name for candidate in leaves]}")
                else:
                    layer = item
                    if not any(layer is candidate for candidate in model._walk()):
                        raise ValueError(f"TrainingMonitor: {getattr(layer, 'name', layer)!r} is not a "
                                         "layer of the model being trained")
                chosen.extend(_leaf_layers(layer) if isinstance(layer, Model) else [layer])
            picked = {id(layer) for layer in chosen}
            chosen = [layer for layer in leaves if id(layer) in picked]       # in depth order
        return [(layer.name, layer) for layer in chosen]

    # ------------------------------------------------------------------ callback hooks
    def on_train_begin(self, logs=None):
        self._reset()
        expected = self.model.input_shape
        if self.x_probe is not None and expected is not None and (
                self.x_probe.ndim != len(expected) or any(
                    e is not None and e != s for e, s in zip(expected[1:], self.x_probe.shape[1:]))):
            raise ValueError(f"TrainingMonitor: x_probe has shape {self.x_probe.shape}, but the model "
                             f"expects inputs of shape {tuple(expected)} (None: any size)")
        self._monitored = self._resolve_layers(self.model)
        self.layer_names = [name for name, _ in self._monitored]
        self.layer_classes = {name: type(layer).__name__ for name, layer in self._monitored}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _due(self, batch):
        return batch == 0 if self.every == "epoch" else self._step % self.every == 0

    def on_train_batch_begin(self, batch, logs=None):
        if not self._due(batch):
            return
        self._pending = {"step": self._step, "epoch": self._epoch, "batch": batch, "done": False}
        self.model._gradient_hooks = tuple(self.model._gradient_hooks) + (self._on_gradients,)

    def _remove_hook(self):
        hooks = tuple(h for h in self.model._gradient_hooks if h != self._on_gradients)
        if hooks:
            self.model._gradient_hooks = hooks
        else:
            self.model.__dict__.pop("_gradient_hooks", None)   # back to the class's empty tuple

    def _on_gradients(self, x, variables):
        """Called by ``train_step`` after backward, before the update: everything but the update."""
        pending = self._pending
        if pending is None or pending["done"]:
            return                       # a hook left behind by an interrupted fit: nothing to do
        if self.x_probe is None:
            self.x_probe = np.array(x.data[:self.probe_size])
        pending.update(self._snapshot(with_gradients=True))
        pending["before"] = {name: [w.data.copy() for w in _kernels(layer)]
                             for name, layer in self._monitored}
        pending["done"] = True

    def on_train_batch_end(self, batch, logs=None):
        pending = self._pending
        if pending is None:
            self._step += 1
            return
        self._pending = None
        self._remove_hook()
        if not pending["done"]:          # train_step did not call the hooks (custom or frozen model)
            if getattr(self.model, "_trainable", None) and not self._warned_no_hook:
                self._warned_no_hook = True
                warnings.warn("TrainingMonitor: this model's train_step does not call the gradient hooks "
                              "(a custom train_step?), so gradient norms and update ratios are not "
                              "recorded; the statistics are taken after the step.", UserWarning,
                              stacklevel=2)
            pending.update(self._snapshot(with_gradients=False))
        else:
            for name, layer in self._monitored:
                before = pending["before"][name]
                if before:
                    size = _l2(before)
                    change = _l2([w.data - b for w, b in zip(_kernels(layer), before)])
                    pending["rows"][name]["update_ratio"] = change / size if size > 0 else math.nan
        self._commit(pending)
        self._step += 1

    def on_train_end(self, logs=None):
        if self._pending is not None:    # fit stopped inside a recorded step
            self._remove_hook()
            self._pending = None
        if self._step > 0 and (self.x_probe is not None or self._monitored):
            final = {"step": self._step, "epoch": self._epoch, "batch": None}
            final.update(self._snapshot(with_gradients=False))
            self._commit(final)
        if self.path is not None:
            self.save(self.path)

    # ------------------------------------------------------------------ measuring
    def _snapshot(self, with_gradients):
        """Per-layer statistics of the model as it is now: ``{'rows': {name: {metric: value}},
        'weight_hist': {name: (edges, counts)}, 'act_hist': {name: (edges, counts)}}``."""
        rows = {name: {} for name, _ in self._monitored}
        weight_hist, act_hist = {}, {}
        if self.x_probe is not None:
            probe = _as_batch(self.model, self.x_probe, "x_probe", "TrainingMonitor")
            _, captured = _forward_capture(self.model, probe)
            outputs = {}
            for layer, out in captured:
                outputs.setdefault(id(layer), out.data)      # a layer called twice: its first output
            for name, layer in self._monitored:
                out = outputs.get(id(layer))
                if out is not None:
                    rows[name].update(_activation_stats(layer, out))
                    if self.keep_histograms:
                        act_hist[name] = _histogram(out, self.bins)
        for name, layer in self._monitored:
            rows[name].update(_weight_stats(layer))
            if with_gradients and layer.trainable:
                norm = _grad_norm(layer)
                if norm is not None:
                    rows[name]["gradient_norm"] = norm
            if self.keep_histograms and _kernels(layer):
                weight_hist[name] = _histogram(_flat([w.data for w in _kernels(layer)]), self.bins)
        return {"rows": rows, "weight_hist": weight_hist, "act_hist": act_hist}

    def _commit(self, pending):
        where = {"step": pending["step"], "epoch": pending["epoch"], "batch": pending["batch"]}
        self.steps.append(pending["step"])
        for name, _ in self._monitored:
            self.records.append({**where, "layer": name, **pending["rows"][name]})
        for store, key in ((self.weight_histograms, "weight_hist"), (self.activation_histograms, "act_hist")):
            for name, (edges, counts) in pending[key].items():
                store.setdefault(name, []).append({"step": pending["step"], "epoch": pending["epoch"],
                                                   "edges": np.asarray(edges, dtype=np.float64),
                                                   "counts": np.asarray(counts, dtype=np.int64)})

    # ------------------------------------------------------------------ reading
    def _layer_name(self, layer):
        if isinstance(layer, str):
            if layer not in self.layer_names:
                raise ValueError(f"no monitored layer named {layer!r}; monitored layers: {self.layer_names}")
            return layer
        if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
            if not -len(self.layer_names) <= layer < len(self.layer_names):
                raise ValueError(f"layer index {layer} is out of range: {len(self.layer_names)} monitored "
                                 "layers")
            return self.layer_names[layer]
        name = getattr(layer, "name", None)
        if name in self.layer_names:
            return name
        raise ValueError(f"layer must be a monitored layer's name, index or the layer itself, got {layer!r}; "
                         f"monitored layers: {self.layer_names}")

    def series(self, metric, layer=None):
        """``(steps, values)`` of ``metric`` for ``layer`` (name, index or layer): two 1-D arrays
        over the records that have it. Without ``layer``: ``{layer name: (steps, values)}`` for
        every monitored layer that has the metric."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; the metrics are {', '.join(METRICS)}")
        if layer is None:
            out = {}
            for name in self.layer_names:
                steps, values = self.series(metric, name)
                if len(steps):
                    out[name] = (steps, values)
            return out
        name = self._layer_name(layer)
        rows = [r for r in self.records if r["layer"] == name and metric in r]
        return (np.array([r["step"] for r in rows], dtype=np.int64),
                np.array([r[metric] for r in rows], dtype=np.float64))

    def to_columns(self):
        """The records as ``{column: 1-D array}``: ``step``, ``epoch``, ``batch`` (-1 for the final
        record), ``layer`` (strings) and one float column per metric (NaN where it does not apply)."""
        rows = self.records
        columns = {"step": np.array([r["step"] for r in rows], dtype=np.int64),
                   "epoch": np.array([r["epoch"] for r in rows], dtype=np.int64),
                   "batch": np.array([-1 if r["batch"] is None else r["batch"] for r in rows],
                                     dtype=np.int64),
                   "layer": np.array([r["layer"] for r in rows], dtype=object)}
        for metric in METRICS:
            columns[metric] = np.array([r.get(metric, math.nan) for r in rows], dtype=np.float64)
        return columns

    def histogram(self, layer, which="weights", at="last"):
        """One histogram of ``layer``: ``which`` is ``'weights'`` or ``'activations'``; ``at`` is
        ``'init'`` (the first record), ``'last'``, or a recorded step. Returns the record's dict
        ``{'step', 'epoch', 'edges', 'counts'}``."""
        stores = {"weights": self.weight_histograms, "activations": self.activation_histograms}
        if which not in stores:
            raise ValueError(f"which must be 'weights' or 'activations', got {which!r}")
        name = self._layer_name(layer)
        history = stores[which].get(name)
        if not history:
            raise ValueError(f"no {which} histogram was recorded for layer {name!r}")
        if at in ("init", "first"):
            return history[0]
        if at == "last":
            return history[-1]
        for entry in history:
            if entry["step"] == at:
                return entry
        raise ValueError(f"at must be 'init', 'last' or a recorded step ({[h['step'] for h in history]}), "
                         f"got {at!r}")

    # ------------------------------------------------------------------ files
    def save(self, path):
        """Write ``monitor.csv`` (one row per record and layer; the columns of ``to_columns``) and
        ``monitor.json`` (everything, histograms included; ``TrainingMonitor.load`` reads it) into
        the folder ``path`` (created if missing). Returns the two file paths."""
        from .saving import atomic_write
        folder = os.fspath(path)
        os.makedirs(folder, exist_ok=True)
        csv_path, json_path = os.path.join(folder, "monitor.csv"), os.path.join(folder, "monitor.json")
        names = ["step", "epoch", "batch", "layer"] + list(METRICS)
        with atomic_write(csv_path, "w") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(names)
            for r in self.records:         # an empty cell where a metric does not apply or is NaN
                writer.writerow(["" if r.get(n) is None or (isinstance(r[n], float) and math.isnan(r[n]))
                                 else r[n] for n in names])

        def hist_json(store):
            return {name: [{"step": h["step"], "epoch": h["epoch"], "edges": _json_floats(h["edges"]),
                            "counts": np.asarray(h["counts"]).tolist()} for h in entries]
                    for name, entries in store.items()}

        document = {"format": "scratchnn.inspect.TrainingMonitor", "version": 1,
                    "every": self.every, "probe_size": self.probe_size, "bins": self.bins,
                    "layers": self.layer_names, "classes": self.layer_classes, "steps": self.steps,
                    "records": [{k: (_json_float(v) if k in METRICS else v) for k, v in r.items()}
                                for r in self.records],
                    "weight_histograms": hist_json(self.weight_histograms),
                    "activation_histograms": hist_json(self.activation_histograms)}
        with atomic_write(json_path, "w") as f:
            json.dump(document, f, allow_nan=False)
        return csv_path, json_path

    @classmethod
    def load(cls, path):
        """A monitor with the data of a saved one (``path``: the folder or its ``monitor.json``),
        ready for ``series`` and the plots; it is not attached to a model."""
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, "monitor.json")
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        if not isinstance(document, dict) or document.get("format") != "scratchnn.inspect.TrainingMonitor":
            raise ValueError(f"{path} is not a file written by TrainingMonitor.save")
        monitor = cls(every=document["every"], probe_size=document["probe_size"], bins=document["bins"])
        monitor.layer_names = list(document["layers"])
        monitor.layer_classes = dict(document["classes"])
        monitor.steps = list(document["steps"])
        monitor.records = [{k: (math.nan if v is None and k in METRICS else v) for k, v in r.items()}
                           for r in document["records"]]
        for attr in ("weight_histograms", "activation_histograms"):
            setattr(monitor, attr, {name: [{"step": h["step"], "epoch": h["epoch"],
                                            "edges": np.array(h["edges"], dtype=np.float64),
                                            "counts": np.array(h["counts"], dtype=np.int64)} for h in entries]
                                    for name, entries in document[attr].items()})
        return monitor

    def __repr__(self):
        return (f"<TrainingMonitor every={self.every!r} records={len(self.steps)} "
                f"layers={len(self.layer_names)}>")


def _json_float(value):
    return None if value is None or not math.isfinite(value) else float(value)


def _json_floats(values):
    return [_json_float(v) for v in np.asarray(values, dtype=np.float64).tolist()]


# ============================================================================ Diagnostics
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
            self._init_rms = {r["layer"]: _rms(r) for r in rows if "weight_std" in r}

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
        for name, layer in self.monitor._monitored:
            stats = _weight_stats(layer)
            if not stats:
                continue
            rms = _rms(stats)
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


def _rms(stats):
    """Root mean square of the weights from their mean and standard deviation: sqrt(mean^2 + std^2)."""
    return math.sqrt(stats["weight_mean"] ** 2 + stats["weight_std"] ** 2)


def _positive_int(value, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Diagnostics: {name} must be a positive integer, got {value!r}")


def _positive_float(value, name, above=0.0, allow_zero=False):
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > above)
    if not ok:
        bound = ">= 0" if allow_zero else f"> {above:g}"
        raise ValueError(f"Diagnostics: {name} must be a finite number {bound}, got {value!r}")


# ============================================================================ explain
LayerOutput = namedtuple("LayerOutput", "name class_name shape output")
LayerOutput.__doc__ = """One layer of an ``Explanation``: its name, its class name, the output shape of
one sample (no batch axis) and the output array itself."""


def _softmax(z, temperature):
    """softmax(z / T)_i = exp((z_i - max z) / T) / sum_j exp((z_j - max z) / T), in float64."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp((z - z.max()) / temperature)
    return e / e.sum()


def _sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))            # 1 / (1 + e^-z) without overflow


class Explanation:
    """How one prediction is formed: each layer's output, then the logits and the probabilities.

    * ``input``: the sample (no batch axis);
    * ``layers``: ``[LayerOutput(name, class_name, shape, output), ...]`` in the order the layers
      ran (one sample: no batch axis);
    * ``logits``: the scores ``z`` before the final softmax (or sigmoid);
    * ``probabilities``: ``softmax(z / T)`` with ``T = temperature``. T = 1 gives the model's own
      prediction; a larger T flattens the distribution towards uniform (1/K each), a smaller T
      sharpens it towards one-hot (the argmax never changes). For a single sigmoid unit, the two
      classes' ``[1 - p, p]`` with ``p = sigmoid(z / T)``; for several sigmoid units (multi-label),
      ``sigmoid(z / T)`` per unit. A linear output is read by the compiled loss: the logits of a
      softmax with a categorical cross-entropy (``from_logits=True``), of a sigmoid with
      ``BinaryCrossentropy(from_logits=True)``, and no probabilities (None) with a regression loss
      (MSE, MAE, Huber); for a model not compiled, a single linear unit is a regression and
      several are softmax logits;
    * ``output_kind``: ``'softmax'``, ``'sigmoid'``, ``'logits'`` or ``'regression'``;
    * ``top(k)``: the ``k`` likeliest ``(class, probability)``; ``predicted_class``;
    * ``print(explanation)``: a table; ``explanation.plot()``: a figure.
    """

    def __init__(self, layers, logits, output, output_kind, temperature, class_names=None, input=None):
        self.input = input
        self.layers = layers
        self.logits = logits
        self.output = output
        self.output_kind = output_kind
        self.temperature = temperature
        self.class_names = class_names
        if output_kind == "softmax" or output_kind == "logits":
            self.probabilities = _softmax(logits, temperature)
        elif output_kind == "sigmoid":
            p = _sigmoid(logits / temperature)
            self.probabilities = np.concatenate([1 - p, p]) if p.size == 1 else p
        else:
            self.probabilities = None

    @property
    def predicted_class(self):
        """The index of the largest probability (None for a regression output)."""
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    def class_name(self, index):
        if self.class_names is not None and 0 <= index < len(self.class_names):
            return str(self.class_names[index])
        return str(index)

    def top(self, k=3):
        """The ``k`` likeliest classes as ``[(class, probability), ...]``, most likely first."""
        if self.probabilities is None:
            return []
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [(int(i), float(self.probabilities[i])) for i in order]

    def table(self):
        """The explanation as text: one line per layer (class, shape, mean, max), then the top classes."""
        header = ("layer", "class", "output shape", "mean", "max")
        rows = [(lo.name, lo.class_name, "x".join(map(str, lo.shape)) or "scalar",
                 f"{float(np.mean(lo.output)):.4g}" if lo.output.size else "-",
                 f"{float(np.max(lo.output)):.4g}" if lo.output.size else "-") for lo in self.layers]
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        text = [line.format(*header), "  ".join("-" * w for w in widths)]
        text += [line.format(*r) for r in rows]
        if self.probabilities is None:
            text.append(f"output (regression): {np.asarray(self.output).ravel()[:8].tolist()}")
        else:
            tops = ", ".join(f"{self.class_name(c)}: {p:.3f}" for c, p in self.top(3))
            text.append(f"top classes (temperature {self.temperature:g}): {tops}")
        return "\n".join(text)

    def __repr__(self):
        return self.table()

    def plot(self, path=None, title=None, top=10):
        """A figure: each layer's activations (as an image or bars), and the probabilities of the
        ``top`` likeliest classes (see ``scratchnn.plot.explanation``)."""
        from .plot.training import explanation as _plot
        return _plot(self, path=path, title=title, top=top)


_REGRESSION_LOSSES = ("MeanSquaredError", "MeanAbsoluteError", "SumSquaredError", "Huber")


def _linear_output_kind(model, units):
    """What the outputs of a model without a final softmax or sigmoid are, from its compiled loss:
    ``'sigmoid'`` logits (``BinaryCrossentropy(from_logits=True)``), ``'regression'`` values (a
    regression loss), else ``'logits'`` of a softmax (or ``'regression'`` for a single unit)."""
    loss = getattr(model, "loss", None)
    name = type(loss).__name__ if loss is not None else None
    if name == "BinaryCrossentropy" and getattr(loss, "kwargs", {}).get("from_logits"):
        return "sigmoid"
    if name in _REGRESSION_LOSSES:
        return "regression"
    return "regression" if units == 1 else "logits"


def explain(model, x, temperature=1.0, class_names=None):
    """Follow one input through ``model``: every layer's output, the logits and the probabilities.

    ``x``: one sample (e.g. an image of shape ``(28, 28)``) or a batch of one. ``temperature`` T
    divides the logits before the softmax, ``p = softmax(z / T)``; ``class_names`` (optional) label
    the classes in the table and the figure. The logits of a model whose last layer applies softmax
    (``Dense(10, activation='softmax')`` or a ``Softmax`` layer) are that layer's pre-activation
    ``z = x W + b``, so ``explain(model, x).probabilities`` equals ``model.predict(x[None])[0]``.
    Runs in inference mode without a graph; the model does not change. Returns an ``Explanation``.
    """
    _check_model(model, "explain")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) or \
            not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"explain: temperature must be a finite number > 0, got {temperature!r}")
    arr = _data.as_array(getattr(x, "data", x), "x") if np.ndim(getattr(x, "data", x)) else None
    if arr is None:
        raise ValueError("explain: x must be one sample (an array), got a scalar")
    shape = model.input_shape if model.built else None
    if shape is not None:
        if arr.ndim == len(shape) - 1:
            arr = arr[None]
    elif arr.shape[0] != 1:
        arr = arr[None]
    if arr.shape[0] != 1:
        raise ValueError(f"explain: x must be one sample or a batch of one, got a batch of {arr.shape[0]} "
                         f"(shape {arr.shape})")
    batch = _as_batch(model, arr, "x", "explain")
    out, captured = _forward_capture(model, batch)
    names = _unique_names([layer for layer, _ in captured])
    layers = [LayerOutput(name, type(layer).__name__, tuple(o.data.shape[1:]), o.data[0])
              for name, (layer, o) in zip(names, captured)]
    origin = out._logits
    output = np.asarray(out.data[0], dtype=np.float64)
    if output.ndim != 1:
        raise ValueError(f"explain: the model's output for one sample has shape {output.shape}; explain "
                         "handles models that output one vector per sample (classification, regression)")
    if origin is not None:
        kind, logits = origin[0], np.asarray(origin[1].data[0], dtype=np.float64)
    else:
        kind, logits = _linear_output_kind(model, output.size), output.ravel()
    if class_names is not None:
        class_names = list(class_names)
    return Explanation(layers, logits.ravel(), output, kind, float(temperature), class_names, input=batch[0])
