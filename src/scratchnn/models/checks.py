"""The checks made before training: mistakes a course sees every week, caught with a clear message.

Before ``fit``, ``evaluate`` or ``predict`` changes anything, the data is checked against the
model (input shapes) and the targets against the loss. The loss says what it expects
(``loss.task`` and ``loss.target``, see ``scratchnn.losses.Loss``), so these checks never guess
from class names:

* integer class labels given to a loss that wants one-hot rows (and the reverse);
* one 0/1 label per sample for an output of two sigmoid units with binary cross-entropy (the
  binary recipe written with ``Dense(2, activation='sigmoid')``);
* a label outside ``0 .. classes - 1``;
* ``from_logits=True`` next to an output that already applies softmax/sigmoid;
* softmax over a single unit (always 1.0); a cross-entropy over a sigmoid or linear output.
"""
import warnings

import numpy as np

from ..layers.base import format_shape


def check_targets(loss, output_shape, y):
    """Raise a ValueError when the targets ``y`` cannot fit ``loss`` and an output of
    ``output_shape`` (batch axis first)."""
    if y is None or loss is None:
        return
    target = getattr(loss, "target", None)
    out = tuple(output_shape)
    n_out = out[-1]
    name = getattr(loss, "name", type(loss).__name__)
    if target == "class_index":
        if y.shape[1:] == out[1:] and n_out and n_out > 1:
            raise ValueError(f"y has shape {y.shape}, like one-hot targets, but the loss is {name}, which "
                             "takes integer class labels: use loss='categorical_crossentropy', or pass "
                             "y.argmax(axis=-1)")
        if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"{name} needs integer class labels, but y has non-integer values")
        if y.size and n_out and (y.min() < 0 or y.max() >= n_out):
            bad = y[(y < 0) | (y >= n_out)].flat[0]
            raise ValueError(f"label {bad} is out of range for an output of {n_out} classes "
                             f"(valid labels: 0 to {n_out - 1})")
    elif target == "one_hot":
        if y.shape[1:] != out[1:]:
            hint = ""
            if y.ndim == 1 or y.shape[1:] == out[1:-1] + (1,) or y.dtype.kind in "iu":
                hint = (" y looks like integer class labels: use loss='sparse_categorical_crossentropy', "
                        "or one-hot encode y with scratchnn.keras.utils.to_categorical(y)")
            raise ValueError(f"y has shape {y.shape} but the model outputs {format_shape(out)} with "
                             f"{name}.{hint}")
    elif target == "binary" and len(out) == 2 and n_out and n_out > 1 and y.shape[1:] in ((), (1,)):
        ways = ("either one output unit, Dense(1, activation='sigmoid'), with binary_crossentropy; or two "
                "units, Dense(2, activation='softmax'), with loss='sparse_categorical_crossentropy'"
                if n_out == 2 else f"Dense({n_out}, activation='softmax') with "
                "loss='sparse_categorical_crossentropy'")
        raise ValueError(f"y holds one class label per sample (shape {y.shape}), but the output layer has "
                         f"{n_out} units and {name} needs one 0/1 target per unit (shape (n, {n_out})). "
                         f"For {n_out} classes use {ways}.")


def classic_mistakes(loss, activation, units):
    """Plain-language warnings for a loss that does not fit the output layer (``activation``:
    the name of the last activation, ``units``: the number of outputs). Returns the messages."""
    if activation is None or loss is None:
        return []
    from_logits = bool(getattr(loss, "from_logits", False))
    hints = []
    if from_logits and activation in ("softmax", "sigmoid"):
        hints.append(f"the loss has from_logits=True but the output layer applies {activation}: its outputs "
                     f"are probabilities, not logits. Use from_logits=False, or remove the {activation}.")
    if activation == "softmax" and units == 1:
        hints.append("softmax over a single output unit always outputs 1.0, so the network cannot "
                     "learn. For two classes use Dense(1, activation='sigmoid') with "
                     "binary_crossentropy, or Dense(2, activation='softmax').")
    multiclass = getattr(loss, "task", None) == "multiclass"
    if multiclass and not from_logits and activation in ("sigmoid", "linear"):
        hints.append(f"{loss.name} expects probabilities that sum to 1 (a softmax output), but the "
                     f"output layer applies {activation}. Use activation='softmax', or from_logits=True for "
                     "a linear output.")
    return hints


def warn(hints, stacklevel):
    for hint in hints:
        warnings.warn(hint, UserWarning, stacklevel=stacklevel + 1)


def missing_targets(what, kind=None):
    """What to say when ``fit`` (``what``) or ``evaluate`` got inputs without targets (``kind``:
    the iterable the batches came from, or None for arrays)."""
    who = "validation_data" if what == "validation" else f"{what}()"
    if kind is not None:
        return (f"{who}: the batches of the {kind} hold x alone, with no targets; yield (x, y) or "
                "(x, y, sample_weight) batches")
    if what == "validation":
        return ("validation_data has no targets (y_val is None): pass (x_val, y_val) or "
                "(x_val, y_val, sample_weight_val)")
    return (f"{what}() needs targets y, got y=None: pass y (one target per sample), or x as a generator "
            "or dataset of (x, y) batches")


def check_input_shape(expected, shape, model_name, what):
    """The data's sample shape must match the model's declared input shape (None: any size)."""
    if expected is not None and (len(expected) != len(shape) or any(
            e is not None and e != s for e, s in zip(expected[1:], shape[1:]))):
        raise ValueError(f"model '{model_name}' expects inputs of shape {format_shape(expected)}, "
                         f"got {what} data of shape {format_shape(shape)}")
