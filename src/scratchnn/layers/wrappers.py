"""Layers that wrap another layer (Keras 3's ``Bidirectional`` and ``TimeDistributed``).

``Bidirectional(LSTM(32))`` reads the sequence both ways: a copy of the layer runs forward, another
backward (``go_backwards=True``), and their outputs are merged, so the output at step t knows
both what came before and what comes after. ``TimeDistributed(layer)`` applies the same layer
(the same weights) to every step of a sequence.
"""
import numpy as np

from ..autograd import Tensor
from ..ops import concatenate
from ..registry import lookup
from .base import Layer, format_shape

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer, name, **changes):
    """A new, unbuilt layer of the same class and config (weights not shared), renamed."""
    config = {**layer.get_config(), "name": name, **changes}
    config.pop("input_shape", None)
    cell = config.get("cell")
    if isinstance(cell, dict) and isinstance(cell.get("config"), dict):     # RNN(cell): the cell's own name
        base = str(cell["config"].get("name", "cell")).rpartition("/")[2]
        config["cell"] = {**cell, "config": {**cell["config"], "name": f"{name}/{base}"}}
    return type(layer).from_config(config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


def _deserialize(config):
    if isinstance(config, Layer) or config is None:
        return config
    return lookup("layer", config.get("class_name")).from_config(config.get("config", {}))


def _serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


class Bidirectional(Layer):
    """Runs a recurrent layer forward and a copy of it backward over the sequence, and merges them.

    ``layer``: an ``RNN`` (``LSTM(32)``, ``GRU(16, return_sequences=True)``, ...); the forward layer
    is a fresh copy of it named 'forward_<name>', the backward layer a copy with
    ``go_backwards=True`` named 'backward_<name>' (or ``backward_layer``, which must differ in
    ``go_backwards`` and agree in ``return_sequences``, ``return_state`` and ``stateful``). The
    backward layer's sequence is flipped back to the input's order before merging, so step t of the
    output merges the forward layer's output at t (which has read x_1..x_t) with the backward
    layer's at t (which has read x_T..x_t).

    ``merge_mode``: 'concat' (the default; 2 units features), 'sum', 'mul', 'ave', or None (the two
    outputs as a list). With ``return_state`` the output is followed by the forward layer's states,
    then the backward layer's. ``initial_state``: the forward states first, then the backward ones.
    With a mask and ``return_sequences``, masked steps output zeros (as Keras's Bidirectional
    asks of its layers), and the output keeps the mask.
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        for which, candidate in (("layer", layer), ("backward_layer", backward_layer)):
            if candidate is not None and not (isinstance(candidate, Layer) and all(
                    hasattr(candidate, a) for a in ("go_backwards", "return_sequences", "return_state"))):
                raise ValueError(f"Bidirectional: {which} must be a recurrent layer (an RNN such as LSTM(8), "
                                 f"with go_backwards, return_sequences and return_state), got {candidate!r}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {list(MERGE_MODES)}, "
                             f"got {merge_mode!r}")
        if kwargs.get("input_shape") is None and layer.get_config().get("input_shape") is not None:
            kwargs["input_shape"] = layer.get_config()["input_shape"]
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, "forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _copy(layer, "backward_" + _strip(layer.name, "backward_"),
                                   go_backwards=not layer.go_backwards)
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == backward_layer.go_backwards:
            raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers must differ in "
                             f"go_backwards, both have go_backwards={backward_layer.go_backwards}")
        for attribute in ("stateful", "return_sequences", "return_state"):
            forward = getattr(self.forward_layer, attribute, None)
            backward = getattr(backward_layer, attribute, None)
            if forward != backward:
                raise ValueError(f"Bidirectional '{self.name}': the forward and backward layers must have "
                                 f"the same {attribute}, got {forward} and {backward}")
        for inner in (self.forward_layer, backward_layer):
            if hasattr(inner, "zero_output_for_mask"):
                inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.stateful = bool(getattr(self.forward_layer, "stateful", False))
        self.initial_weights = None if weights is None else [np.asarray(w) for w in weights]

    def build(self, input_shape):
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                inner(Tensor(np.zeros((1, 1, input_shape[-1]), dtype=inner.dtype)))
        if self.initial_weights is not None:
            self.set_weights(self.initial_weights)
            self.initial_weights = None

    def _check_input(self, shape):
        features = self.input_shape[-1]
        if len(shape) != 3 or shape[-1] != features:
            raise ValueError(f"Bidirectional '{self.name}' expects sequences of shape (batch, time, "
                             f"{features}), got shape {format_shape(shape)}")

    def call(self, inputs, initial_state=None, mask=None, training=False):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(inputs, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]                      # back to the input's order
        if self.merge_mode == "concat":
            output = concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (2 * shape[-1],)
        elif self.merge_mode is None:
            shape = [shape, shape]
        if self.return_state:
            return (*shape, *states, *states) if self.merge_mode is None else (shape, *states, *states)
        return shape

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(f"Bidirectional '{self.name}': reset_state() needs a stateful layer")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": _serialize(self.forward_layer), "backward_layer": _serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"])
        config["backward_layer"] = _deserialize(config.get("backward_layer"))
        return super().from_config(config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every step of a sequence, with the same weights:
    (batch, T, ...) -> (batch, T, ...layer's output). The steps are run as one batch of
    batch * T samples. A mask on the input passes on to the output."""
    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: layer must be a Layer, got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed '{self.name}' expects inputs (batch, time, ...) with at least "
                             f"3 axes, got shape {format_shape(input_shape)}")
        if not self.layer.built:
            self.layer(Tensor(np.zeros((1,) + tuple(1 if d is None else d for d in input_shape[2:]),
                                       dtype=self.layer.dtype)))

    def _check_input(self, shape):
        expected = self.input_shape
        if len(shape) != len(expected) or any(e is not None and e != s
                                              for e, s in zip(expected[2:], shape[2:])):
            rest = "".join(", " + str(d) for d in expected[2:])
            raise ValueError(f"TimeDistributed '{self.name}' expects inputs of shape (batch, time{rest}), "
                             f"got shape {format_shape(shape)}")

    def call(self, inputs, mask=None, training=False):
        """``mask`` (batch, time) is not used inside (each step is one sample of the inner layer) and
        passes on to the output."""
        batch, steps = inputs.shape[:2]
        out = self.layer(inputs.reshape((batch * steps,) + tuple(inputs.shape[2:])), training=training)
        return out.reshape((batch, steps) + tuple(out.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"])
        return super().from_config(config)


__all__ = ["Bidirectional", "TimeDistributed"]
