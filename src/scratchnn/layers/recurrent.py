"""Recurrent layers (Keras 3's names, arguments, defaults and weight layouts): ``RNN(cell)``, which
runs a cell along a sequence, and ``SimpleRNN``, ``LSTM``, ``GRU``, each an ``RNN`` of its cell
(``layers/recurrent_cells.py``; the step equations are in ``scratchnn.functional.recurrent``).

Input (batch, T, features); the sequence length may change from one call to the next. Output:
the last step's output (batch, units), or every step's (batch, T, units) with
``return_sequences=True``; with ``return_state=True`` the final states follow, as a tuple
``(output, *states)`` (``LSTM``: ``output, h, c``; ``SimpleRNN``/``GRU``: ``output, h``).

How the layer runs (and trains) fast in NumPy: the input projection x W + b of ALL steps is one
matrix product before the loop; the loop then does one (batch, units) x (units, G units) product
per step. Backpropagation through time is autograd going back through that loop. While fast
kernels are on, a built-in cell with its default activations runs the same loop as one op with
its backward written out (``kernels/recurrent.py``, tested equal); ``set_fast_kernels(False)``
runs the readable step-by-step code of ``functional/recurrent.py``.

Masks (Keras's rules): given a mask (batch, T) (from ``Embedding(mask_zero=True)`` or ``mask=``),
a masked step leaves a sample's states unchanged and repeats its previous output; the returned
sequence keeps the mask (``return_sequences=True``); the last output of a sample padded at the end
is the output of its last real step.
"""
import numpy as np

from .. import regularizers as _regularizers
from ..autograd import Tensor
from ..backend import fast_kernels_enabled
from ..functional import recurrent as R
from ..kernels import recurrent as fast
from ..registry import lookup
from .base import Layer, format_shape, snake_case, unique_name
from .core import serialize_or_none
from .recurrent_cells import GRUCell, LSTMCell, RecurrentCell, SimpleRNNCell


class RNN(Layer):
    """Runs ``cell`` along the time axis: ``output_t, states = cell(x_t, states)`` for t = 1..T.

    ``cell``: a layer whose ``call(inputs, states, training)`` returns ``(output, new_states)`` and
    that has ``state_size`` (a list of ints, the first the size of the output) — a built-in cell
    (``LSTMCell(32)``) or your own. Arguments, as Keras 3:

    * ``return_sequences``: return every step's output (batch, T, units), not only the last one;
    * ``return_state``: return the final states too: ``output, *states``;
    * ``go_backwards``: run from the last step to the first (and return the reversed sequence);
    * ``stateful``: the final states of a batch are the initial states of the next one (sample i
      continues sample i); ``reset_state()`` sets them back to zeros. Every batch must then have
      the same size;
    * ``unroll``: accepted for compatibility; the loop is always a Python loop over the steps;
    * ``zero_output_for_mask``: masked steps output zeros instead of the previous output.

    Call: ``layer(x, initial_state=None, mask=None, training=None)``; ``initial_state`` is a list
    of (batch, size) arrays or tensors, one per state (gradients reach it).
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, activity_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
            raise ValueError(f"{type(self).__name__} '{self.name}': cell must be a Layer with a state_size "
                             f"(such as LSTMCell(32)), got {cell!r}")
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.activity_regularizer = _regularizers.get(activity_regularizer)
        self.states = None

    @property
    def state_size(self):
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [int(size)]

    @property
    def units(self):
        return self.state_size[0]

    # ------------------------------------------------------------------ building
    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None or input_shape[1] == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects sequences of shape (batch, time, "
                             f"features) with a known number of features and at least one step, got "
                             f"shape {format_shape(input_shape)}")
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.input_shape = (None, input_shape[-1])
            self.cell.built = True

    def _check_input(self, shape):
        """(batch, any length, the features the layer was built for)."""
        features = self.input_shape[-1]
        if len(shape) != 3 or shape[-1] != features or shape[1] == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects sequences of shape (batch, time, "
                             f"{features}) with at least one step, got shape {format_shape(shape)}")

    # ------------------------------------------------------------------ states
    def get_initial_state(self, batch_size):
        make = getattr(self.cell, "get_initial_state", None)
        if make is not None:
            return list(make(batch_size))
        return [np.zeros((batch_size, size), dtype=self.dtype) for size in self.state_size]

    def reset_state(self):
        """Zeros for the carried states of a stateful layer (the batch size stays)."""
        if self.states is not None:
            self.states = [np.zeros_like(s) for s in self.states]

    reset_states = reset_state

    def _initial_states(self, batch, initial_state):
        """The states of step 0 as tensors: ``initial_state``, else the carried ones (stateful),
        else zeros. Checked before anything runs."""
        who = f"{type(self).__name__} '{self.name}'"
        if initial_state is None:
            if self.stateful and self.states is not None:
                if self.states[0].shape[0] != batch:
                    raise ValueError(f"{who} is stateful and carries states for a batch of "
                                     f"{self.states[0].shape[0]}, got a batch of {batch}: give every batch "
                                     "the same size (or set layer.states = None to start again from zeros)")
                initial_state = self.states
            else:
                initial_state = self.get_initial_state(batch)
        if isinstance(initial_state, (Tensor, np.ndarray)):
            initial_state = [initial_state]
        initial_state = list(initial_state)
        sizes = self.state_size
        if len(initial_state) != len(sizes):
            raise ValueError(f"{who}: initial_state must hold {len(sizes)} state(s) of shapes "
                             f"{[(batch, s) for s in sizes]}, got {len(initial_state)}")
        states = []
        for state, size in zip(initial_state, sizes):
            state = state if isinstance(state, Tensor) else Tensor(np.asarray(state), dtype=self.dtype)
            if state.dtype != self.dtype:
                state = state.astype(self.dtype)          # as Keras casts the states to the layer's dtype
            if state.shape != (batch, size):
                raise ValueError(f"{who}: an initial state must have shape {(batch, size)}, got "
                                 f"{tuple(state.shape)}")
            states.append(state)
        return states

    # ------------------------------------------------------------------ computing
    def __call__(self, inputs, *args, **kwargs):
        """As ``Layer.__call__``; with ``return_state`` the activity regularizer sees the output only,
        not the states (as in Keras)."""
        out = super().__call__(inputs, *args, **kwargs)
        if self.return_state and self.activity_regularizer is not None:
            self.activity_losses = [self.activity_regularizer(out[0])]
        return out

    def call(self, inputs, initial_state=None, mask=None, training=False):
        batch, steps, features = inputs.shape
        states = self._initial_states(batch, initial_state)
        if mask is not None:
            mask = np.asarray(getattr(mask, "data", mask))
            if mask.shape != (batch, steps):
                raise ValueError(f"{type(self).__name__} '{self.name}': a mask must have shape (batch, time) "
                                 f"= {(batch, steps)}, got {mask.shape}")
            mask = mask.astype(bool, copy=False)
        cell = self.cell
        if isinstance(cell, RecurrentCell):
            dp, rec = cell.dropout_masks(batch, features, training, inputs.dtype)
            x = inputs if dp is None else inputs * dp[:, None, :]
            xw = cell.project(x)                                  # x W + b for all steps: one product
            kind = cell.fused_kind()
            if kind is not None and fast_kernels_enabled():       # the same loop as one op
                recurrent_bias = cell.recurrent_weights()[1] if kind == "gru" else None
                last, sequence, states = fast.fused_recurrence(
                    kind, xw, cell.recurrent_kernel, states, recurrent_bias, mask, self.go_backwards,
                    self.return_sequences, self.zero_output_for_mask, rec)
                return self._finish(last, sequence, states)
            step_inputs = R.time_steps(xw)
            weights = cell.recurrent_weights()

            def step(xw_t, states):
                h_dropped = None if rec is None else states[0] * rec
                return cell.step(xw_t, states, weights, h_dropped)
        else:
            step_inputs = R.time_steps(inputs)

            def step(x_t, states):
                output, new_states = cell(x_t, states, training=training)
                return output, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        last, sequence, states = R.recurrence(step, step_inputs, states, mask, self.go_backwards,
                                              self.return_sequences, self.zero_output_for_mask)
        return self._finish(last, sequence, states)

    def _finish(self, last, sequence, states):
        """The layer's output from the loop's: the states kept (stateful), the output picked."""
        if self.stateful:
            self.states = [s.data.copy() for s in states]
        output = sequence if self.return_sequences else last
        return (output, *states) if self.return_state else output

    def compute_mask(self, inputs, previous_mask=None):
        """The input's mask when the layer returns sequences; else none."""
        return previous_mask if self.return_sequences else None

    def compute_output_shape(self, input_shape):
        units = self.units
        output = (input_shape[0], input_shape[1], units) if self.return_sequences else (input_shape[0], units)
        if self.return_state:
            return (output, *[(input_shape[0], s) for s in self.state_size])
        return output

    # ------------------------------------------------------------------ config
    def rnn_config(self):
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "activity_regularizer": serialize_or_none(_regularizers, self.activity_regularizer)}

    def get_config(self):
        cell = {"class_name": type(self.cell).__name__, "config": self.cell.get_config()}
        return {**super().get_config(), **self.rnn_config(), "cell": cell}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = lookup("layer", cell.get("class_name")).from_config(cell.get("config", {}))
        return super().from_config({**config, "cell": cell})


class _CellLayer(RNN):
    """An RNN that makes its cell from its own arguments (SimpleRNN, LSTM, GRU). The cell is named
    '<layer>/<cell>' so that the weights are named as Keras 3 names them: 'lstm/lstm_cell/kernel'."""
    cell_class = None
    cell_name = None

    def __init__(self, cell_args, rnn_args, kwargs):
        kwargs = dict(kwargs)
        if kwargs.get("name") is None:
            kwargs["name"] = unique_name(snake_case(type(self).__name__))
        cell = self.cell_class(**cell_args, name=f"{kwargs['name']}/{self.cell_name}",
                               dtype=kwargs.get("dtype"))
        super().__init__(cell, **rnn_args, **kwargs)

    def __getattr__(self, name):
        """The cell's arguments and weights read as the layer's (``lstm.units``, ``lstm.kernel``)."""
        cell = self.__dict__.get("cell")
        if cell is None or name not in _CELL_ATTRIBUTES:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(cell, name)

    def get_config(self):
        config = Layer.get_config(self)
        return {**config, **self.cell.cell_config(), **self.rnn_config()}

    @classmethod
    def from_config(cls, config):
        return super(RNN, cls).from_config(config)


_CELL_ATTRIBUTES = frozenset((
    "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
    "unit_forget_bias", "reset_after", "kernel", "recurrent_kernel", "bias"))


_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
             "activity_regularizer")


def _split_args(local):
    """(the cell's arguments, the RNN's, the Layer's) from an ``__init__``'s ``locals()``; Keras 3's
    ``use_cudnn`` (which implementation TensorFlow picks) is accepted and has no effect here."""
    local.pop("use_cudnn", None)
    rnn_args = {key: local.pop(key) for key in _RNN_ARGS}
    kwargs = local.pop("kwargs")
    local.pop("self")
    local.pop("__class__", None)
    return local, rnn_args, kwargs


class SimpleRNN(_CellLayer):
    """A fully connected recurrent layer (Elman 1990): ``h_t = tanh(x_t W + b + h_{t-1} U)``.

    Weights 'simple_rnn/simple_rnn_cell/kernel' (features, units), '.../recurrent_kernel'
    (units, units, orthogonal), '.../bias' (units,). Its gradient through many steps is a product
    of many U^T diag(tanh') factors: it vanishes (or explodes), which is why LSTM and GRU exist.
    Arguments as ``SimpleRNNCell`` and ``RNN``."""
    cell_class, cell_name = SimpleRNNCell, "simple_rnn_cell"

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(*_split_args(dict(locals())))


class LSTM(_CellLayer):
    """Long Short-Term Memory (Hochreiter & Schmidhuber 1997). At each step, with
    [z_i, z_f, z_c, z_o] = x_t W + b + h_{t-1} U:

        i = sigma(z_i)   f = sigma(z_f)   g = tanh(z_c)   o = sigma(z_o)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)                        (the output)

    Weights (Keras 3): kernel (features, 4 units), recurrent_kernel (units, 4 units), bias
    (4 units,), gate order i, f, c, o; ``unit_forget_bias`` starts the forget gate's bias at 1.
    ``return_state=True`` returns ``output, h, c``. Arguments as ``LSTMCell`` and ``RNN``."""
    cell_class, cell_name = LSTMCell, "lstm_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 use_cudnn="auto", **kwargs):
        super().__init__(*_split_args(dict(locals())))


class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al. 2014). At each step, with [x_z, x_r, x_h] = x_t W + b:

        z = sigma(x_z + h_{t-1} U_z + b'_z)       update gate
        r = sigma(x_r + h_{t-1} U_r + b'_r)       reset gate
        hh = tanh(x_h + r * (h_{t-1} U_h + b'_h))      (reset_after=True, Keras 3's default)
        h_t = z * h_{t-1} + (1 - z) * hh          (the output)

    Weights (Keras 3): kernel (features, 3 units), recurrent_kernel (units, 3 units), gate order
    z, r, h; bias (2, 3 units) (row 0: b, row 1: b') with reset_after=True, else (3 units,) and
    hh = tanh(x_h + (r * h_{t-1}) U_h). Arguments as ``GRUCell`` and ``RNN``."""
    cell_class, cell_name = GRUCell, "gru_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=True, zero_output_for_mask=False,
                 use_cudnn="auto", **kwargs):
        super().__init__(*_split_args(dict(locals())))


__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU"]
