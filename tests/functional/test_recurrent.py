"""The recurrent steps and the loop over time (``scratchnn/functional/recurrent.py``): each step equals
PyTorch's cell (``torch.nn.RNNCell``/``LSTMCell``/``GRUCell``) in values and gradients; gradcheck of
each step; ``time_steps`` gives the steps and sends every gradient back; ``recurrence`` with masks
and go_backwards, by hand.
"""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.functional import recurrent as R
from scratchnn.gradcheck import gradcheck

from tests.helpers import assert_close, requires_torch, torch


def _leaf(a):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=True, dtype=np.float64)


def test_time_steps_gives_each_step_and_backpropagates_to_each(rng):
    x = rng.normal(size=(2, 7, 3))
    steps = R.time_steps(Tensor(x, dtype=np.float64))
    assert len(steps) == 7
    for t, step in enumerate(steps):
        np.testing.assert_array_equal(step.data, x[:, t])
    weights = rng.normal(size=7)
    assert gradcheck(lambda a: sum(s * w for s, w in zip(R.time_steps(a), weights)), x)
    assert len(R.time_steps(x[:, :1])) == 1
    with pytest.raises(ValueError, match="at least one step, got shape \\(2, 0, 3\\)"):
        R.time_steps(x[:, :0])


@pytest.mark.parametrize("step", ["simple", "lstm", "gru", "gru_before"])
def test_gradcheck_of_each_step(rng, step):
    u, b = 3, 2
    h, c, h_drop = rng.normal(size=(b, u)), rng.normal(size=(b, u)), rng.normal(size=(b, u))
    if step == "simple":
        assert gradcheck(lambda xw, h, rk: R.simple_rnn_step(xw, h, rk), rng.normal(size=(b, u)), h,
                         rng.normal(size=(u, u)))
        assert gradcheck(lambda h, hd: R.simple_rnn_step(Tensor(np.ones((b, u))), h, np.eye(u), h_dropped=hd),
                         h, h_drop)
    elif step == "lstm":
        assert gradcheck(lambda xw, h, c, rk: F.concatenate(R.lstm_step(xw, h, c, rk), axis=1),
                         rng.normal(size=(b, 4 * u)), h, c, rng.normal(size=(u, 4 * u)))
    elif step == "gru":
        assert gradcheck(lambda xw, h, rk, rb: R.gru_step(xw, h, rk, rb), rng.normal(size=(b, 3 * u)), h,
                         rng.normal(size=(u, 3 * u)), rng.normal(size=3 * u))
    else:
        assert gradcheck(lambda xw, h, zr, hh, hd: R.gru_step(xw, h, (zr, hh), reset_after=False,
                                                              h_dropped=hd),
                         rng.normal(size=(b, 3 * u)), h, rng.normal(size=(u, 2 * u)), rng.normal(size=(u, u)),
                         h_drop)


@requires_torch
@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
def test_each_step_equals_the_pytorch_cell(rng, kind):
    """PyTorch's cells hold W^T, U^T; the GRU's gate order r, z, n is Keras's z, r, h reordered."""
    b, n_in, u = 3, 4, 5
    gates = {"simple": 1, "lstm": 4, "gru": 3}[kind]
    x, h, c = rng.normal(size=(b, n_in)), rng.normal(size=(b, u)), rng.normal(size=(b, u))
    kernel, recurrent = rng.normal(size=(n_in, gates * u)), rng.normal(size=(u, gates * u))
    bias, recurrent_bias = rng.normal(size=gates * u), rng.normal(size=gates * u)
    order = np.r_[u:2 * u, 0:u, 2 * u:3 * u] if kind == "gru" else np.arange(gates * u)
    cell = {"simple": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind](
        n_in, u, dtype=torch.float64)
    cell.weight_ih.data = torch.tensor(np.ascontiguousarray(kernel[:, order].T))
    cell.weight_hh.data = torch.tensor(np.ascontiguousarray(recurrent[:, order].T))
    cell.bias_ih.data = torch.tensor(bias[order])
    cell.bias_hh.data = torch.tensor(recurrent_bias[order] if kind == "gru" else np.zeros(gates * u))
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    theirs = cell(tx, (th, tc))[0] if kind == "lstm" else cell(tx, th)
    r = rng.normal(size=(b, u))
    (theirs * torch.tensor(r)).sum().backward()

    lx, lh, lc, lk, lr = (_leaf(a) for a in (x, h, c, kernel, recurrent))
    lb = _leaf(bias)
    xw = F.dense(lx, lk, lb)
    if kind == "simple":
        ours = R.simple_rnn_step(xw, lh, lr)
    elif kind == "lstm":
        ours = R.lstm_step(xw, lh, lc, lr)[0]
    else:
        ours = R.gru_step(xw, lh, lr, Tensor(recurrent_bias, dtype=np.float64))
    (ours * Tensor(r, dtype=np.float64)).sum().backward()
    assert_close(ours, theirs.detach().numpy(), what="h_t")
    assert_close(lx.grad, tx.grad.numpy(), what="d/dx")
    assert_close(lh.grad, th.grad.numpy(), what="d/dh")
    if kind == "lstm":
        assert_close(lc.grad, tc.grad.numpy(), what="d/dc")
    assert_close(lk.grad[:, order], cell.weight_ih.grad.numpy().T, what="d/dW")
    assert_close(lr.grad[:, order], cell.weight_hh.grad.numpy().T, what="d/dU")


def test_recurrence_masks_and_direction_by_hand():
    """A running sum as the step: easy to follow by hand."""
    def step(x_t, states):
        total = states[0] + x_t
        return total, [total]

    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    init = [Tensor(np.zeros((1, 1)), dtype=np.float64)]
    steps = R.time_steps(Tensor(x, dtype=np.float64))
    last, seq, states = R.recurrence(step, steps, init, return_sequences=True)
    np.testing.assert_array_equal(seq.data.ravel(), [1, 3, 6, 10])
    mask = np.array([[True, False, True, False]])
    last, seq, states = R.recurrence(step, R.time_steps(Tensor(x, dtype=np.float64)), init, mask=mask,
                                     return_sequences=True)
    np.testing.assert_array_equal(seq.data.ravel(), [1, 1, 4, 4])          # masked: carry the last output
    assert last.data.item() == 4 and states[0].data.item() == 4
    _, seq, _ = R.recurrence(step, R.time_steps(Tensor(x, dtype=np.float64)), init, mask=mask,
                             return_sequences=True, zero_output_for_mask=True)
    np.testing.assert_array_equal(seq.data.ravel(), [1, 0, 4, 0])
    last, seq, _ = R.recurrence(step, R.time_steps(Tensor(x, dtype=np.float64)), init, go_backwards=True,
                                return_sequences=True)
    np.testing.assert_array_equal(seq.data.ravel(), [4, 7, 9, 10])        # in processing order
    assert R.recurrence(step, R.time_steps(x), init)[1] is None
    with pytest.raises(ValueError, match="mask of shape \\(1, 3\\) does not fit a batch of 1 sequences of 4"):
        R.recurrence(step, R.time_steps(x), init, mask=mask[:, :3])
