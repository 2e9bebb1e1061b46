"""The recurrent cells (Keras 3's ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``): the weights and
the computation of ONE time step. The layers of ``layers/recurrent.py`` (``SimpleRNN``, ``LSTM``,
``GRU``, the generic ``RNN(cell)``) run a cell along a sequence.

A cell is called on one step: ``output, new_states = cell(x_t, states)`` with x_t (batch,
features) and ``states`` a list of (batch, units) tensors (``cell.state_size`` says how many).
The built-in cells also split that step in two so that a layer can run a whole sequence fast:
``project(x)`` computes x W + b for every step at once (one matrix product), and
``step(xw_t, states, h_dropped)`` does the rest of the step. The step formulas are in
``scratchnn.functional.recurrent``.

Weights (Keras 3's names, shapes, and gate order), G gates of ``units`` columns each:
``kernel`` (features, G units) initialised Glorot uniform, ``recurrent_kernel`` (units, G units)
initialised orthogonal, ``bias`` (G units,) zeros, or (2, 3 units) for the GRU with
reset_after=True (row 0 is added to x W, row 1 to h U). G = 1 (SimpleRNN), 4 (LSTM: i, f, c, o),
3 (GRU: z, r, h).

Dropout (Keras 3): ``dropout`` drops input features and ``recurrent_dropout`` drops units of h in
the product h U, with ONE mask per sequence (the same features dropped at every step), drawn
when the layer is called in training.
"""
import numpy as np

from .. import constraints as _constraints
from .. import functional as F
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ..autograd import Tensor
from ..functional import recurrent as R
from ..functional.nn import dropout_mask
from .base import Layer, format_shape, initializing_weights
from .core import serialize_activation, serialize_or_none


def positive_units(units, who):
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{who}: units must be a positive integer, got {units!r}")
    return int(units)


def rate(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 <= value < 1:
        raise ValueError(f"{who}: {name} must be a number in [0, 1), got {value!r}")
    return float(value)


class RecurrentCell(Layer):
    """What the built-in cells share: the arguments, the weights and the dropout masks.

    Subclasses set ``gates`` (G) and implement ``step``."""
    gates = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        self.units = positive_units(units, who)
        self.activation = F.get_activation(activation)
        self.recurrent_activation = F.get_activation(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.recurrent_initializer = _initializers.get(recurrent_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = _regularizers.get(recurrent_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = _constraints.get(kernel_constraint)
        self.recurrent_constraint = _constraints.get(recurrent_constraint)
        self.bias_constraint = _constraints.get(bias_constraint)
        self.dropout = rate(dropout, "dropout", who)
        self.recurrent_dropout = rate(recurrent_dropout, "recurrent_dropout", who)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.kernel = self.recurrent_kernel = self.bias = None

    @property
    def state_size(self):
        """The sizes of the states (one per state tensor): [units]; the LSTM's is [units, units]."""
        return [self.units]

    @property
    def output_size(self):
        return self.units

    def bias_shape(self):
        return (self.gates * self.units,)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the last axis of the input must be "
                             f"known, got input shape {format_shape(input_shape)}")
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (features, width), self.kernel_initializer,
                                      self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width),
                                                self.recurrent_initializer, self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", self.bias_shape(), self.bias_initializer,
                                        self.bias_regularizer, constraint=self.bias_constraint)

    # ------------------------------------------------------------------ computing
    def input_bias(self):
        """The bias added to x W (all of it, but for the GRU with reset_after=True: its row 0)."""
        return self.bias

    def project(self, x):
        """x W + b for every step at once: (batch, T, features) -> (batch, T, G units), or one step
        (batch, features) -> (batch, G units)."""
        return F.dense(x, self.kernel, self.input_bias())

    def recurrent_weights(self):
        """What ``step`` needs from the recurrent weights, prepared once per sequence."""
        return self.recurrent_kernel

    def step(self, xw_t, states, weights, h_dropped=None):
        """(output, new states) of one step from ``xw_t`` = x_t W + b."""
        raise NotImplementedError

    def fused_kind(self):
        """The name of this cell's loop in ``kernels/recurrent.py`` ('simple', 'lstm', 'gru'), or None
        when it has none (another activation; the GRU with reset_after=False)."""
        return None

    def default_activations(self):
        return self.activation is F.tanh and self.recurrent_activation is F.sigmoid

    def dropout_masks(self, batch, features, training, dtype):
        """The input and recurrent dropout multipliers, (batch, features) and (batch, units), or None
        (outside training, or a rate of 0)."""
        rng = self._rng
        dp = dropout_mask((batch, features), self.dropout, dtype, rng) \
            if training and self.dropout > 0 else None
        rec = dropout_mask((batch, self.units), self.recurrent_dropout, dtype, rng) \
            if training and self.recurrent_dropout > 0 else None
        return dp, rec

    def get_initial_state(self, batch_size):
        """Zeros, one (batch, size) array per state."""
        return [np.zeros((batch_size, size), dtype=self.dtype) for size in self.state_size]

    def _check_input(self, shape):
        features = self.kernel.shape[0]
        if len(shape) != 2 or shape[-1] != features:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects one step of shape "
                             f"(batch, {features}), got shape {format_shape(shape)}")

    def call(self, inputs, states=None, training=False):
        """One step: ``output, new_states = cell(x_t, states)`` (zeros when ``states`` is None)."""
        if states is None:
            states = self.get_initial_state(inputs.shape[0])
        states = [s if isinstance(s, Tensor) else Tensor(np.asarray(s), dtype=self.dtype) for s in
                  (states if isinstance(states, (list, tuple)) else [states])]
        dp, rec = self.dropout_masks(inputs.shape[0], inputs.shape[-1], training, self.dtype)
        x = inputs if dp is None else inputs * dp
        h_dropped = None if rec is None else states[0] * rec
        return self.step(self.project(x), states, self.recurrent_weights(), h_dropped)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    # ------------------------------------------------------------------ config
    def cell_config(self):
        """The arguments of the cell (without the Layer's name, trainable, dtype)."""
        return {"units": self.units, "activation": serialize_activation(self.activation),
                "recurrent_activation": serialize_activation(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": _initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": _initializers.serialize(self.recurrent_initializer),
                "bias_initializer": _initializers.serialize(self.bias_initializer),
                "kernel_regularizer": serialize_or_none(_regularizers, self.kernel_regularizer),
                "recurrent_regularizer": serialize_or_none(_regularizers, self.recurrent_regularizer),
                "bias_regularizer": serialize_or_none(_regularizers, self.bias_regularizer),
                "kernel_constraint": serialize_or_none(_constraints, self.kernel_constraint),
                "recurrent_constraint": serialize_or_none(_constraints, self.recurrent_constraint),
                "bias_constraint": serialize_or_none(_constraints, self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}

    def get_config(self):
        return {**super().get_config(), **self.cell_config()}


class SimpleRNNCell(RecurrentCell):
    """The Elman cell: ``h_t = activation(x_t W + b + h_{t-1} U)``; the output is h_t.

    Weights: kernel (features, units), recurrent_kernel (units, units), bias (units,).
    Parameters: units * (features + units + 1)."""
    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(units, activation, "sigmoid", use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)

    def step(self, xw_t, states, weights, h_dropped=None):
        h = R.simple_rnn_step(xw_t, states[0], weights, self.activation, h_dropped)
        return h, [h]

    def fused_kind(self):
        return "simple" if self.activation is F.tanh else None

    def cell_config(self):
        config = super().cell_config()
        del config["recurrent_activation"]
        return config


class LSTMCell(RecurrentCell):
    """The LSTM cell (gate equations in ``scratchnn.functional.recurrent.lstm_step``):

        [z_i, z_f, z_c, z_o] = x_t W + b + h_{t-1} U
        i = sigma(z_i), f = sigma(z_f), g = tanh(z_c), o = sigma(z_o)
        c_t = f * c_{t-1} + i * g,    h_t = o * tanh(c_t)

    States [h, c]; the output is h_t. Weights: kernel (features, 4 units), recurrent_kernel
    (units, 4 units), bias (4 units,), columns in Keras's gate order i, f, c, o (PyTorch's
    i, f, g, o: the same). ``unit_forget_bias=True`` (the default, Jozefowicz et al. 2015) sets the
    forget gate's bias to 1 at initialisation, so the cell starts by remembering.
    Parameters: 4 units * (features + units + 1)."""
    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_bias and self.unit_forget_bias and initializing_weights():
            self.bias.data[self.units:2 * self.units] = 1.0

    def step(self, xw_t, states, weights, h_dropped=None):
        h, c = R.lstm_step(xw_t, states[0], states[1], weights, self.activation, self.recurrent_activation,
                           h_dropped)
        return h, [h, c]

    def fused_kind(self):
        return "lstm" if self.default_activations() else None

    def cell_config(self):
        return {**super().cell_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(RecurrentCell):
    """The GRU cell (gate equations in ``scratchnn.functional.recurrent.gru_step``):

        z = sigma(x_z + h_{t-1} U_z + b'_z),  r = sigma(x_r + h_{t-1} U_r + b'_r)
        hh = tanh(x_h + r * (h_{t-1} U_h + b'_h))        (reset_after=True, the default)
        hh = tanh(x_h + (r * h_{t-1}) U_h)               (reset_after=False)
        h_t = z * h_{t-1} + (1 - z) * hh

    with [x_z, x_r, x_h] = x_t W + b. Weights: kernel (features, 3 units), recurrent_kernel
    (units, 3 units), columns in Keras's gate order z, r, h; bias (2, 3 units) with
    reset_after=True (row 0: b, row 1: b'), else (3 units,). PyTorch's GRU is reset_after=True
    with the gate order r, z, n. Parameters: 3 units * (features + units + 1), plus 3 units for
    the second bias row."""
    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True, seed=None,
                 **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def recurrent_weights(self):
        if self.reset_after:
            return self.recurrent_kernel, (None if self.bias is None else self.bias[1])
        u = self.units
        return self.recurrent_kernel[:, :2 * u], self.recurrent_kernel[:, 2 * u:]

    def step(self, xw_t, states, weights, h_dropped=None):
        if self.reset_after:
            kernel, recurrent_bias = weights
        else:
            kernel, recurrent_bias = weights, None
        h = R.gru_step(xw_t, states[0], kernel, recurrent_bias, self.activation, self.recurrent_activation,
                       self.reset_after, h_dropped)
        return h, [h]

    def fused_kind(self):
        return "gru" if self.reset_after and self.default_activations() else None

    def cell_config(self):
        return {**super().cell_config(), "reset_after": self.reset_after}


__all__ = ["RecurrentCell", "SimpleRNNCell", "LSTMCell", "GRUCell"]
