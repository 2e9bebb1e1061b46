"""``Bidirectional`` and ``TimeDistributed`` (``scratchnn/layers/wrappers.py``): Bidirectional equals
a hand-built forward layer plus a go_backwards layer with its sequence flipped back, for every
merge mode, with return_sequences/return_state and masks; equality with PyTorch's bidirectional
LSTM (values and gradients); gradcheck; errors; config and save/load. TimeDistributed equals the
layer applied to each step.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.autograd import Tensor, get_mask
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, assert_config_round_trip, requires_torch, torch


def _pair(bi, **kwargs):
    """A forward and a go_backwards layer holding the Bidirectional's weights."""
    forward = L.LSTM(3, dtype="float64", **kwargs)
    backward = L.LSTM(3, dtype="float64", go_backwards=True, **kwargs)
    forward(np.zeros((1, 2, 4)))
    backward(np.zeros((1, 2, 4)))
    forward.set_weights(bi.forward_layer.get_weights())
    backward.set_weights(bi.backward_layer.get_weights())
    return forward, backward


def _bidirectional(merge_mode="concat", **kwargs):
    set_random_seed(0)
    bi = L.Bidirectional(L.LSTM(3, dtype="float64", bias_initializer="random_normal", **kwargs),
                         merge_mode=merge_mode, dtype="float64")
    bi(np.zeros((1, 2, 4)))
    return bi


MERGES = {"concat": lambda a, b: np.concatenate([a, b], -1), "sum": np.add, "mul": np.multiply,
          "ave": lambda a, b: (a + b) / 2}


@pytest.mark.parametrize("merge_mode", list(MERGES) + [None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_equals_a_forward_and_a_reversed_layer(rng, merge_mode, return_sequences):
    bi = _bidirectional(merge_mode, return_sequences=return_sequences)
    forward, backward = _pair(bi, return_sequences=return_sequences)
    x = rng.normal(size=(2, 5, 4))
    y, y_rev = forward(x).data, backward(x).data
    if return_sequences:
        y_rev = y_rev[:, ::-1]                            # the backward sequence, in the input's order
    out = bi(x)
    if merge_mode is None:
        assert isinstance(out, list) and len(out) == 2
        assert_close(out[0], y, rtol=1e-12)
        assert_close(out[1], y_rev, rtol=1e-12)
    else:
        assert_close(out, MERGES[merge_mode](y, y_rev), rtol=1e-12)
        expected = bi.compute_output_shape((None, 5, 4))
        assert tuple(expected[1:]) == out.shape[1:]


def test_return_state_gives_forward_then_backward_states_and_initial_state_splits(rng):
    bi = _bidirectional(return_sequences=True, return_state=True)
    forward, backward = _pair(bi, return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 5, 4))
    init = [rng.normal(size=(2, 3)) for _ in range(4)]
    out, *states = bi(x, initial_state=init)
    _, fh, fc = forward(x, initial_state=init[:2])
    _, bh, bc = backward(x, initial_state=init[2:])
    assert len(states) == 4
    for a, b in zip(states, (fh, fc, bh, bc)):
        assert_close(a, b.data, rtol=1e-12)
    assert out.shape == (2, 5, 6)
    assert [s[1:] for s in bi.compute_output_shape((None, 5, 4))] == [(5, 6), (3,), (3,), (3,), (3,)]


def test_with_a_mask_masked_steps_output_zeros_and_the_mask_goes_on(rng):
    bi = _bidirectional(return_sequences=True)
    x = rng.normal(size=(2, 5, 4))
    mask = np.array([[True, True, True, False, False], [True] * 5])
    out = bi(x, mask=mask)
    assert not out.data[0, 3:].any()
    np.testing.assert_array_equal(get_mask(out), mask)
    # the backward layer starts at each sample's last real step: as on the cut sequence
    assert_close(bi(x[:1, :3]).data, out.data[:1, :3], rtol=1e-12)
    last = _bidirectional()
    assert get_mask(last(x, mask=mask)) is None
    assert_close(last(x, mask=mask).data[:1], last(x[:1, :3]).data, rtol=1e-12)


@requires_torch
def test_concat_equals_pytorch_bidirectional_lstm(rng):
    bi = _bidirectional(return_sequences=True)
    x = rng.normal(size=(2, 5, 4))
    module = torch.nn.LSTM(4, 3, batch_first=True, bidirectional=True, dtype=torch.float64)
    params = {}
    for suffix, inner in (("", bi.forward_layer), ("_reverse", bi.backward_layer)):
        kernel, recurrent, bias = inner.get_weights()
        params.update({f"weight_ih_l0{suffix}": kernel.T, f"weight_hh_l0{suffix}": recurrent.T,
                       f"bias_ih_l0{suffix}": bias, f"bias_hh_l0{suffix}": np.zeros_like(bias)})
    for name, value in params.items():
        getattr(module, name).data = torch.tensor(np.ascontiguousarray(value))
    r = rng.normal(size=(2, 5, 6))
    tx = torch.tensor(x, requires_grad=True)
    seq, _ = module(tx)
    (seq * torch.tensor(r)).sum().backward()
    ours = Tensor(x, requires_grad=True, dtype=np.float64)
    out = bi(ours)
    (out * Tensor(r, dtype=np.float64)).sum().backward()
    assert_close(out, seq.detach().numpy())
    assert_close(ours.grad, tx.grad.numpy())
    assert_close(bi.backward_layer.weights[0].grad, module.weight_ih_l0_reverse.grad.numpy().T)


def test_gradcheck_with_a_mask(rng):
    set_random_seed(0)
    bi = L.Bidirectional(L.GRU(2, return_sequences=True, dtype="float64"), merge_mode="mul", dtype="float64")
    mask = np.array([[True, True, False], [True, True, True]])
    assert snn.gradcheck(lambda x: bi(x, mask=mask), rng.normal(size=(2, 3, 3)))


def test_weights_names_and_errors():
    bi = L.Bidirectional(L.LSTM(3, name="enc"), input_shape=(5, 4))
    assert bi.built and [w.name for w in bi.weights][::3] == ["forward_enc/lstm_cell/kernel",
                                                              "backward_enc/lstm_cell/kernel"]
    assert bi.count_params() == 2 * L.LSTM(3, input_shape=(5, 4)).count_params()
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        L.Bidirectional(L.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="layer must be a recurrent layer"):
        L.Bidirectional(L.Dense(3))
    with pytest.raises(ValueError, match="must differ in go_backwards"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3))
    with pytest.raises(ValueError, match="same return_sequences, got True and False"):
        L.Bidirectional(L.LSTM(3, return_sequences=True), backward_layer=L.LSTM(3, go_backwards=True))
    generic = L.Bidirectional(L.RNN(L.GRUCell(2, name="cell"), name="rnn"), input_shape=(5, 4))
    assert [w.name for w in generic.weights][::3] == ["forward_rnn/cell/kernel", "backward_rnn/cell/kernel"]
    custom = L.Bidirectional(L.LSTM(3), backward_layer=L.GRU(2, go_backwards=True))
    assert custom(np.zeros((2, 4, 5), dtype=np.float32)).shape == (2, 5)
    with pytest.raises(ValueError, match="expects sequences of shape \\(batch, time, 5\\)"):
        custom(np.zeros((2, 4, 6), dtype=np.float32))


def test_config_round_trip_and_a_model_saves_and_loads(rng, tmp_path):
    x = rng.normal(size=(2, 4, 5))
    assert_config_round_trip(L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="ave"), x)
    assert_config_round_trip(L.Bidirectional(L.LSTM(3), backward_layer=L.SimpleRNN(3, go_backwards=True)), x)
    assert_config_round_trip(L.Bidirectional(L.RNN(L.LSTMCell(2), return_sequences=True)), x)
    ids = rng.integers(0, 9, size=(16, 6))
    y = (ids[:, 0] > 4).astype(np.int64)
    set_random_seed(0)
    model = snn.models.Sequential([L.Embedding(9, 4, mask_zero=True),
                                   L.Bidirectional(L.LSTM(3, return_sequences=True)),
                                   L.GlobalAveragePooling1D(), L.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(ids, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "bi.scratchnn")
    loaded = load_model(tmp_path / "bi.scratchnn")
    assert type(loaded.layers[1]) is L.Bidirectional
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))


# ============================================================ TimeDistributed
def test_time_distributed_applies_the_same_layer_at_every_step(rng):
    dense = L.Dense(3, activation="tanh", dtype="float64")
    td = L.TimeDistributed(dense, dtype="float64")
    x = rng.normal(size=(2, 4, 5))
    out = td(x)
    assert out.shape == (2, 4, 3) and td.weights == dense.weights
    for t in range(4):
        assert_close(out.data[:, t], dense(x[:, t]).data, rtol=1e-12)
    frames = L.TimeDistributed(L.Conv2D(2, 3, dtype="float64"), dtype="float64")
    video = rng.normal(size=(2, 3, 5, 5, 1))
    assert frames(video).shape == (2, 3, 3, 3, 2)
    assert frames.compute_output_shape((None, 3, 5, 5, 1)) == (None, 3, 3, 3, 2)
    assert snn.gradcheck(lambda v: frames(v), video[:1, :2])
    masked = td(Tensor(x, dtype=np.float64), mask=np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool))
    assert get_mask(masked) is not None
    with pytest.raises(ValueError, match="expects inputs of shape \\(batch, time, 5, 5, 1\\)"):
        frames(rng.normal(size=(2, 3, 6, 5, 1)))
    assert_config_round_trip(L.TimeDistributed(L.Dense(3)), x)
