"""``explain(model, x)``: how one prediction is formed, layer by layer, with a temperature.

    e = inspect.explain(model, x[0], temperature=2.0)       # layer by layer, then the probabilities
    print(e); e.plot()

The probabilities are ``softmax(z / T)``: T = 1 is the model's own prediction, a larger T
flattens them towards uniform, a smaller one sharpens them towards one-hot.
"""
import math
from collections import namedtuple

import numpy as np

from ..models import data as _data
from .capture import as_batch, check_model, forward_capture, unique_names

__all__ = ["explain", "Explanation", "LayerOutput"]

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
        from ..plot import explanation      # lazily: matplotlib is loaded only when a figure is drawn
        return explanation(self, path=path, title=title, top=top)


def _linear_output_kind(model, units):
    """What the outputs of a model without a final softmax or sigmoid are, from its compiled loss:
    ``'sigmoid'`` logits (``BinaryCrossentropy(from_logits=True)``), ``'regression'`` values (a
    regression loss), else ``'logits'`` of a softmax (or ``'regression'`` for a single unit)."""
    loss = getattr(model, "loss", None)
    task = getattr(loss, "task", None)
    if task == "binary" and getattr(loss, "from_logits", False):
        return "sigmoid"
    if task == "regression":
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
    check_model(model, "explain")
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
    batch = as_batch(model, arr, "x", "explain")
    out, captured = forward_capture(model, batch)
    names = unique_names([layer for layer, _ in captured])
    layers = [LayerOutput(name, type(layer).__name__, tuple(o.data.shape[1:]), o.data[0])
              for name, (layer, o) in zip(names, captured)]
    origin = out.source_logits
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
