"""The recurrent layers' loop over time as ONE op with a hand-written backpropagation through time.

The readable code (``scratchnn.functional.recurrent``) records every step's ops in the autograd
graph (about 20 per LSTM step) and the engine walks them back one by one. Here the whole loop is a
single ``Function``: the forward pass keeps the gates of every step in (T, batch, ...) buffers,
and the backward pass runs the steps in reverse with the derivatives written out below. Same
numbers as the readable code (tested equal in ``tests/kernels/test_recurrent.py``, values and
gradients, with masks, go_backwards, recurrent dropout and initial states), several times faster.

Used for the built-in cells with their default activations (tanh and sigmoid): ``SimpleRNNCell``,
``LSTMCell``, ``GRUCell`` with reset_after=True. The input projection xw = x W + b is computed
before (one matrix product) and is this op's input; so are U, the initial states and the GRU's
recurrent bias b'. With m the step's mask (1 = real step), s the states, and for a masked step
s_t = m s_new + (1 - m) s_{t-1}, the derivatives are, with dh the gradient reaching h_t:

    dh_new = m dh,  and (1 - m) dh goes straight to h_{t-1}
    LSTM:  dc_new = m dc + dh_new o (1 - tanh(c_new)^2)
           dz = [dc_new g i(1-i),  dc_new c_{t-1} f(1-f),  dc_new i (1-g^2),  dh_new tanh(c_new) o(1-o)]
           dc_{t-1} = dc_new f + (1 - m) dc
    GRU:   dz_gate = dh_new (h_{t-1} - hh) z(1-z),  da_h = dh_new (1-z) (1 - hh^2),
           da_r = da_h (h_{t-1} U_h + b'_h) r(1-r),  dxw = [dz_gate, da_r, da_h],
           d(h U + b') = [dz_gate, da_r, da_h r],  and dh_new z goes straight to h_{t-1}
    SimpleRNN:  dz = dh_new (1 - h_new^2)
    all:   dxw_t = dz (d(h U + b') for the GRU),  dU += h_{t-1}^T dz,  dh_{t-1} += dz U^T

dU is summed over the steps at the end, as one (units, T batch) x (T batch, G units) product.
"""
import numpy as np

from ..autograd import Function


def sigmoid(x):
    """1 / (1 + e^-x), never computing e^x of a large positive number (as ``F.sigmoid``)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class FusedRecurrence(Function):
    """The loop of ``functional.recurrent.recurrence`` with a built-in cell's step, as one op.

    Inputs: xw (batch, T, G units), U (units, G units), h0 (batch, units), then c0 for the LSTM
    and b' (G units,) for the GRU. Output: one (batch, R, units) array holding the outputs (all T
    steps in processing order, or the last one) followed by the final states; the caller slices it.
    """

    def forward(self, xw, kernel, h0, *extra, kind, mask, go_backwards, return_sequences, zero_output, rec):
        batch, steps, _ = xw.shape
        u = kernel.shape[0]
        x = xw.transpose(1, 0, 2)
        m = None if mask is None else mask.T[:, :, None].astype(xw.dtype)        # (T, batch, 1)
        if go_backwards:
            x = x[::-1]
            m = None if m is None else m[::-1]
        c0 = extra[0] if kind == "lstm" else None
        rb = extra[0] if kind == "gru" and extra else None
        self.kind, self.m, self.rec, self.go_backwards = kind, m, rec, go_backwards
        self.return_sequences, self.zero_output, self.kernel = return_sequences, zero_output, kernel
        self.shape = xw.shape
        dtype = xw.dtype
        states_h = np.empty((steps + 1, batch, u), dtype=dtype)       # h after each step (masked)
        states_h[0] = h0
        new_h = np.empty((steps, batch, u), dtype=dtype)              # h_new before the mask
        gates = np.empty((steps, batch, kernel.shape[1]), dtype=dtype)
        if kind == "lstm":
            states_c = np.empty((steps + 1, batch, u), dtype=dtype)
            states_c[0] = c0
            tanh_c = np.empty((steps, batch, u), dtype=dtype)
            self.states_c, self.tanh_c = states_c, tanh_c
        if kind == "gru":
            inner_h = np.empty((steps, batch, u), dtype=dtype)
            self.inner_h = inner_h
        for t in range(steps):
            h = states_h[t]
            h_in = h if rec is None else h * rec
            if kind == "gru":
                inner = h_in @ kernel
                if rb is not None:
                    inner += rb
                z = gates[t]
                np.add(x[t], inner, out=z)
                z[:, :2 * u] = sigmoid(z[:, :2 * u])                 # update z, reset r
                inner_h[t] = inner[:, 2 * u:]
                z[:, 2 * u:] = np.tanh(x[t][:, 2 * u:] + z[:, u:2 * u] * inner_h[t])      # hh
                zg, hh = z[:, :u], z[:, 2 * u:]
                hn = zg * h + (1 - zg) * hh
            else:
                z = gates[t]
                np.matmul(h_in, kernel, out=z)
                z += x[t]
                if kind == "lstm":
                    z[:, :2 * u] = sigmoid(z[:, :2 * u])
                    np.tanh(z[:, 2 * u:3 * u], out=z[:, 2 * u:3 * u])
                    z[:, 3 * u:] = sigmoid(z[:, 3 * u:])
                    cn = z[:, u:2 * u] * states_c[t] + z[:, :u] * z[:, 2 * u:3 * u]
                    np.tanh(cn, out=tanh_c[t])
                    hn = z[:, 3 * u:] * tanh_c[t]
                else:
                    np.tanh(z, out=z)
                    hn = z
            new_h[t] = hn
            if m is None:
                states_h[t + 1] = hn
                if kind == "lstm":
                    states_c[t + 1] = cn
            else:
                states_h[t + 1] = m[t] * hn + (1 - m[t]) * h
                if kind == "lstm":
                    states_c[t + 1] = m[t] * cn + (1 - m[t]) * states_c[t]
        self.states_h, self.new_h, self.gates = states_h, new_h, gates
        if m is not None and zero_output:
            outputs = m * new_h
        else:
            outputs = states_h[1:]
        outputs = outputs if return_sequences else outputs[-1:]
        final = [states_h[-1]] + ([states_c[-1]] if kind == "lstm" else [])
        return np.concatenate([outputs] + [f[None] for f in final], axis=0).transpose(1, 0, 2).copy()

    def backward(self, g):
        kind, m, rec, kernel = self.kind, self.m, self.rec, self.kernel
        batch, steps, width = self.shape
        u = kernel.shape[0]
        g = g.transpose(1, 0, 2)                                     # (R, batch, units)
        n_out = steps if self.return_sequences else 1
        d_out, dh = g[:n_out], g[n_out].copy()
        dc = g[n_out + 1].copy() if kind == "lstm" else None
        dx = np.empty((steps, batch, width), dtype=g.dtype)
        # d(h U + b') of every step; dU and db' are summed over all steps at the end (one product)
        d_inners = np.empty_like(dx) if kind == "gru" else dx
        for t in range(steps - 1, -1, -1):
            out_grad = d_out[t] if self.return_sequences else (d_out[0] if t == steps - 1 else None)
            if out_grad is not None and not (m is not None and self.zero_output):
                dh = dh + out_grad                                   # the output is h_t itself
            if m is None:
                dhn, carry_h = dh, None
            else:
                dhn, carry_h = m[t] * dh, (1 - m[t]) * dh
                if self.zero_output and out_grad is not None:
                    dhn = dhn + m[t] * out_grad
            h = self.states_h[t]
            z = self.gates[t]
            if kind == "lstm":
                i, f, gg, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
                tc = self.tanh_c[t]
                dcn = dhn * o * (1 - tc * tc)
                dcn += dc if m is None else m[t] * dc
                dz = dx[t]
                dz[:, :u] = dcn * gg * i * (1 - i)
                dz[:, u:2 * u] = dcn * self.states_c[t] * f * (1 - f)
                dz[:, 2 * u:3 * u] = dcn * i * (1 - gg * gg)
                dz[:, 3 * u:] = dhn * tc * o * (1 - o)
                dc = dcn * f if m is None else dcn * f + (1 - m[t]) * dc
                d_inner = dz
            elif kind == "gru":
                zg, r, hh = z[:, :u], z[:, u:2 * u], z[:, 2 * u:]
                dz = dx[t]
                dz[:, :u] = dhn * (h - hh) * zg * (1 - zg)
                da_h = dhn * (1 - zg) * (1 - hh * hh)
                dz[:, u:2 * u] = da_h * self.inner_h[t] * r * (1 - r)
                dz[:, 2 * u:] = da_h
                d_inner = d_inners[t]
                d_inner[...] = dz
                d_inner[:, 2 * u:] *= r
            else:
                hn = z
                dz = dx[t]
                np.multiply(dhn, 1 - hn * hn, out=dz)
                d_inner = dz
            dh_in = d_inner @ kernel.T
            if rec is not None:
                dh_in *= rec
            dh = dh_in
            if kind == "gru":
                dh += dhn * zg
            if carry_h is not None:
                dh += carry_h
        h_in = self.states_h[:-1] if rec is None else self.states_h[:-1] * rec
        dkernel = h_in.reshape(-1, u).T @ d_inners.reshape(-1, width) if self.needs_grad[1] else None
        if self.go_backwards:
            dx = dx[::-1]
        grads = [dx.transpose(1, 0, 2), dkernel, dh]
        if kind == "lstm":
            grads.append(dc)
        if kind == "gru":
            grads.append(d_inners.sum(axis=(0, 1)))
        return tuple(grads[:len(self.needs_grad)])


def fused_recurrence(kind, xw, kernel, states, recurrent_bias=None, mask=None, go_backwards=False,
                     return_sequences=False, zero_output_for_mask=False, rec=None):
    """(last output, sequence or None, final states) as ``functional.recurrent.recurrence`` gives
    them for the cell ``kind`` ('simple', 'lstm' or 'gru' with reset_after=True), from Tensors xw
    (batch, T, G units), U, the initial states, and the GRU's b' (a Tensor or None); ``rec`` is
    the recurrent dropout multiplier (batch, units) or None."""
    inputs = [xw, kernel, *states]
    if kind == "gru" and recurrent_bias is not None:
        inputs.append(recurrent_bias)
    mask = None if mask is None or mask.all() else mask
    packed = FusedRecurrence.apply(*inputs, kind=kind, mask=mask, go_backwards=go_backwards,
                                   return_sequences=return_sequences, zero_output=zero_output_for_mask,
                                   rec=rec)
    steps = xw.shape[1]
    n_out = steps if return_sequences else 1
    sequence = packed[:, :steps] if return_sequences else None
    last = packed[:, n_out - 1]
    final = [packed[:, n_out + k] for k in range(len(states))]
    return last, sequence, final


__all__ = ["FusedRecurrence", "fused_recurrence", "sigmoid"]
