"""``TrainingMonitor``: per-layer statistics recorded while a model trains.

While training (a callback)::

    monitor = inspect.TrainingMonitor(every=50)             # or every='epoch'
    model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[monitor])
    steps, norms = monitor.series("gradient_norm", "dense")
    monitor.save("runs/mnist")                              # monitor.csv + monitor.json
    scratchnn.plot.gradient_norms(monitor)

At a recorded step, the monitor measures (formulas in ``statistics.py``): the activations of a
fixed *probe batch* in a separate inference-mode forward pass (forward hooks, no graph), the
gradients after ``backward`` and before the optimizer's update (``model.add_gradient_hook``),
the weights, and ``update_ratio`` = ``||W_l(after) - W_l(before)|| / ||W_l(before)||``, how much
this step's update changed the weights relative to their size (about 1e-3 is the classic rule
of thumb: much smaller, the layer learns slowly; much larger, training is unstable).
"""
import csv
import json
import math
import os
import warnings

import numpy as np

from ..callbacks import Callback
from ..models import Model
from ..models import data as _data
from ..saving import atomic_write
from .capture import as_batch, forward_capture, leaf_layers
from .statistics import METRICS, activation_stats, flat, grad_norm, histogram, kernels, l2, weight_stats


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
        self._hook = None               # the gradient hook of a recorded step, while it runs
        self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self):
        self._remove_hook()             # one left behind by an interrupted fit
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
    def monitored_layers(self):
        """``[(name, layer), ...]`` of the layers being monitored in the current ``fit``."""
        return list(self._monitored)

    @property
    def histograms(self):
        """The weight histograms (``weight_histograms``), per layer."""
        return self.weight_histograms

    def _resolve_layers(self, model):
        leaves = leaf_layers(model)
        if self.layers is None:
            # layers with weights and layers that apply an activation; those that only move values
            # around (Flatten, Reshape, Dropout, ...) say nothing new
            chosen = [layer for layer in leaves if layer.weights or layer.output_activation() is not None]
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
                    if not any(layer is candidate for candidate in model.walk()):
                        raise ValueError(f"TrainingMonitor: {getattr(layer, 'name', layer)!r} is not a "
                                         "layer of the model being trained")
                chosen.extend(leaf_layers(layer) if isinstance(layer, Model) else [layer])
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
        self._hook = self.model.add_gradient_hook(self._on_gradients)

    def _remove_hook(self):
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def _on_gradients(self, x, variables):
        """Called by ``train_step`` after backward, before the update: everything but the update."""
        pending = self._pending
        if pending is None or pending["done"]:
            return                       # a hook left behind by an interrupted fit: nothing to do
        if self.x_probe is None:
            self.x_probe = np.array(x.data[:self.probe_size])
        pending.update(self._snapshot(with_gradients=True))
        pending["before"] = {name: [w.data.copy() for w in kernels(layer)]
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
            if self.model.trainable_weights and not self._warned_no_hook:
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
                    size = l2(before)
                    change = l2([w.data - b for w, b in zip(kernels(layer), before)])
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
            probe = as_batch(self.model, self.x_probe, "x_probe", "TrainingMonitor")
            _, captured = forward_capture(self.model, probe)
            outputs = {}
            for layer, out in captured:
                outputs.setdefault(id(layer), out.data)      # a layer called twice: its first output
            for name, layer in self._monitored:
                out = outputs.get(id(layer))
                if out is not None:
                    rows[name].update(activation_stats(layer, out))
                    if self.keep_histograms:
                        act_hist[name] = histogram(out, self.bins)
        for name, layer in self._monitored:
            rows[name].update(weight_stats(layer))
            if with_gradients and layer.trainable:
                norm = grad_norm(layer)
                if norm is not None:
                    rows[name]["gradient_norm"] = norm
            if self.keep_histograms and kernels(layer):
                weight_hist[name] = histogram(flat([w.data for w in kernels(layer)]), self.bins)
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
    def layer_name(self, layer):
        """The name of a monitored layer given by name, index into ``layer_names`` or the layer."""
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
        name = self.layer_name(layer)
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
        name = self.layer_name(layer)
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

