"""The computations of the recurrent layers (``SimpleRNN``, ``LSTM``, ``GRU``): one time step of
each cell, and the loop over time that runs a step function along a sequence.

Notation (Keras's, and the layers' weights): x_t the input at step t (batch, features), h the
previous output (batch, units), c the LSTM's cell state, W the ``kernel`` (features, G*units),
U the ``recurrent_kernel`` (units, G*units), b the ``bias``, sigma the recurrent activation
(sigmoid), and tanh the activation. The projection x_t W + b of every step is computed by the
layer as ONE matrix product over the whole sequence before the loop (``xw`` below); each step then
adds h U and applies the gates.

Backpropagation through time is autograd going back through the loop: every step's ops are
recorded, and ``backward`` visits them from the last step to the first, so the gradient reaching
h_t is the sum of what the output at t and the step t + 1 send back. Nothing here writes a
backward by hand; ``tests/functional/test_recurrent.py`` checks the gradients against finite
differences and PyTorch.
"""
import numpy as np

from ..autograd import Tensor
from ..ops import lift, matmul, split, stack, where
from .activations import sigmoid, tanh


def time_steps(x):
    """The steps of a sequence ``x`` (batch, T, ...) as a list of T tensors (batch, ...).

    Taking ``x[:, t]`` for every t would cost T^2 in the backward pass (each slice sends back a
    gradient the size of the whole sequence); halving the sequence again and again instead makes
    each level of halves send back one sequence's worth: T log T in all."""
    x = lift(x)
    if x.ndim < 2 or x.shape[1] == 0:
        raise ValueError(f"time_steps: expected a sequence (batch, time, ...) with at least one step, "
                         f"got shape {x.shape}")

    def halves(part):
        n = part.shape[1]
        if n == 1:
            return [part[:, 0]]
        return halves(part[:, :n // 2]) + halves(part[:, n // 2:])
    return halves(x)


def simple_rnn_step(xw_t, h, recurrent_kernel, activation=tanh, h_dropped=None):
    """One step of the Elman network: ``h_t = activation(x_t W + b + h_{t-1} U)``.

    ``xw_t`` is x_t W + b; ``h_dropped`` (recurrent dropout) replaces h in the product with U."""
    h_in = h if h_dropped is None else h_dropped
    return activation(xw_t + matmul(h_in, recurrent_kernel))


def lstm_step(xw_t, h, c, recurrent_kernel, activation=tanh, recurrent_activation=sigmoid, h_dropped=None):
    """One LSTM step (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

    With z = x_t W + b + h_{t-1} U split into four blocks of ``units`` columns (Keras's gate order
    i, f, c, o):

        i_t = sigma(z_i)                  input gate: how much of the candidate to write
        f_t = sigma(z_f)                  forget gate: how much of the old cell state to keep
        g_t = tanh(z_c)                   candidate cell state
        o_t = sigma(z_o)                  output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Returns (h_t, c_t). The cell state's path c_{t-1} -> c_t is a product with f_t only, so the
    gradient can travel many steps back without shrinking through tanh' each time."""
    h_in = h if h_dropped is None else h_dropped
    z = xw_t + matmul(h_in, recurrent_kernel)
    z_i, z_f, z_c, z_o = split(z, 4, axis=-1)
    i = recurrent_activation(z_i)
    f = recurrent_activation(z_f)
    g = activation(z_c)
    o = recurrent_activation(z_o)
    c_new = f * c + i * g
    return o * activation(c_new), c_new


def gru_step(xw_t, h, recurrent_kernel, recurrent_bias=None, activation=tanh, recurrent_activation=sigmoid,
             reset_after=True, h_dropped=None):
    """One GRU step (Cho et al. 2014), Keras's gate order z, r, h.

    x_t W + b = [x_z, x_r, x_h] (``xw_t``, each ``units`` wide), U = [U_z, U_r, U_h]:

        z_t = sigma(x_z + h_{t-1} U_z + b'_z)          update gate
        r_t = sigma(x_r + h_{t-1} U_r + b'_r)          reset gate
        reset_after=True (Keras 3's default, PyTorch's and cuDNN's GRU):
            hh_t = tanh(x_h + r_t * (h_{t-1} U_h + b'_h))
        reset_after=False (the 2014 paper):
            hh_t = tanh(x_h + (r_t * h_{t-1}) U_h)
        h_t = z_t * h_{t-1} + (1 - z_t) * hh_t

    b' (``recurrent_bias``) is the second row of the (2, 3 units) bias with reset_after=True and
    absent otherwise. ``recurrent_kernel`` is U whole with reset_after=True, and the pair
    (U_zr, U_h) = (U[:, :2 units], U[:, 2 units:]) otherwise (cut once, before the loop)."""
    h_in = h if h_dropped is None else h_dropped
    x_z, x_r, x_h = split(xw_t, 3, axis=-1)
    if reset_after:
        inner = matmul(h_in, recurrent_kernel)
        if recurrent_bias is not None:
            inner = inner + recurrent_bias
        r_z, r_r, r_h = split(inner, 3, axis=-1)
        z = recurrent_activation(x_z + r_z)
        r = recurrent_activation(x_r + r_r)
        hh = activation(x_h + r * r_h)
    else:
        u_zr, u_h = recurrent_kernel
        r_z, r_r = split(matmul(h_in, u_zr), 2, axis=-1)
        z = recurrent_activation(x_z + r_z)
        r = recurrent_activation(x_r + r_r)
        hh = activation(x_h + matmul(r * h_in, u_h))
    return z * h + (1 - z) * hh


def recurrence(step, inputs, initial_states, mask=None, go_backwards=False, return_sequences=False,
               zero_output_for_mask=False):
    """Run ``step`` along a sequence (Keras's ``backend.rnn``).

    ``step(input_t, states) -> (output_t, new_states)``; ``inputs``: the list of the T step
    inputs (``time_steps``); ``initial_states``: a list of tensors (batch, size). With
    ``go_backwards`` the steps run from the last to the first, and the outputs are kept in that
    order (the returned sequence is reversed, as in Keras).

    ``mask`` (batch, T) booleans (False = padding): at a masked step a sample keeps its states
    (``s_t = s_{t-1}``), and its output is the previous output (the first state), or zeros when
    ``zero_output_for_mask`` (what ``Bidirectional`` asks for when it returns sequences). So a
    sample padded at the end returns the output of its last real step, and padding in front
    leaves the initial state untouched.

    Returns (last output, the outputs stacked on axis 1 or None unless ``return_sequences``,
    the final states)."""
    states = list(initial_states)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (states[0].shape[0], len(inputs)):
            raise ValueError(f"recurrence: a mask of shape {mask.shape} does not fit a batch of "
                             f"{states[0].shape[0]} sequences of {len(inputs)} steps")
    order = range(len(inputs) - 1, -1, -1) if go_backwards else range(len(inputs))
    outputs, output = [], None
    for t in order:
        output, new_states = step(inputs[t], states)
        if mask is not None and not mask[:, t].all():
            keep = mask[:, t][:, None]                    # (batch, 1), broadcast over the units
            if zero_output_for_mask:
                output = where(keep, output, Tensor.wrap(np.zeros(output.shape, dtype=output.dtype)))
            else:
                output = where(keep, output, states[0])
            new_states = [where(keep, new, old) for new, old in zip(new_states, states)]
        states = list(new_states)
        if return_sequences:
            outputs.append(output)
    sequence = stack(outputs, axis=1) if return_sequences else None
    return output, sequence, states


__all__ = ["time_steps", "simple_rnn_step", "lstm_step", "gru_step", "recurrence"]
