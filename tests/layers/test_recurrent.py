"""The recurrent layers (``scratchnn/layers/recurrent.py``, ``recurrent_cells.py``): Keras 3's weight
names, shapes and gate order; equality with ``torch.nn.RNN``/``LSTM``/``GRU`` fed the same weights
(converted from Keras's layout) for outputs, final states and the gradients with respect to the
inputs, the initial states and every weight (float64); masks against PyTorch's packed sequences;
gradcheck with and without masks; go_backwards, return_sequences/return_state, stateful, dropout;
errors; config and save/load; a masked LSTM that learns a toy sentiment task.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.autograd import Tensor, get_mask
from scratchnn.backend import fast_kernels
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, assert_config_round_trip, requires_torch, torch

KINDS = {"simple_rnn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}


@pytest.fixture(params=[True, False], ids=["fused", "readable"])
def loop(request):
    """Each test that takes it runs twice: with the loop as one op (kernels/recurrent.py) and with
    the readable step-by-step code (functional/recurrent.py)."""
    with fast_kernels(request.param):
        yield request.param


def _layer(kind, units=3, features=4, **kwargs):
    """A float64 layer built for ``features``, with a random (non-zero) bias."""
    set_random_seed(0)
    layer = KINDS[kind](units, dtype="float64", bias_initializer="random_normal", **kwargs)
    layer(np.zeros((1, 2, features)))
    return layer


# ============================================================ weights
def test_weights_have_keras_names_shapes_and_gate_layout():
    lstm = L.LSTM(5, name="lstm")
    lstm(np.zeros((2, 3, 4), dtype=np.float32))
    assert [w.name for w in lstm.weights] == ["lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel",
                                              "lstm/lstm_cell/bias"]
    assert [w.shape for w in lstm.weights] == [(4, 20), (5, 20), (20,)]
    bias = lstm.bias.data                                   # unit_forget_bias: 1 for f, 0 elsewhere
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    assert not L.LSTM(5, unit_forget_bias=False, input_shape=(3, 4)).bias.data.any()
    rk = lstm.recurrent_kernel.data                         # orthogonal (5, 20): orthonormal rows
    np.testing.assert_allclose(rk @ rk.T, np.eye(5), atol=1e-5)
    gru = L.GRU(5, input_shape=(3, 4))
    assert [w.shape for w in gru.weights] == [(4, 15), (5, 15), (2, 15)]
    assert [w.shape for w in L.GRU(5, reset_after=False, input_shape=(3, 4)).weights] == [(4, 15), (5, 15),
                                                                                          (15,)]
    rnn = L.SimpleRNN(5, use_bias=False, input_shape=(3, 4))
    assert [w.shape for w in rnn.weights] == [(4, 5), (5, 5)]
    assert lstm.count_params() == 4 * 5 * (4 + 5 + 1) and gru.count_params() == 3 * 5 * (4 + 5 + 2)
    assert lstm.units == 5 and lstm.activation is snn.functional.tanh and gru.reset_after
    assert L.GRU(2, use_cudnn=False, input_shape=(3, 4)).count_params() == 3 * 2 * (4 + 2 + 2)  # Keras 3 arg


# ============================================================ PyTorch
def _to_torch_layout(kind, weights, units):
    """Keras-layout weights -> PyTorch's weight_ih, weight_hh, bias_ih, bias_hh (numpy)."""
    kernel, recurrent, bias = weights
    if kind == "gru":                                  # Keras z, r, h -> PyTorch r, z, n
        order = np.r_[units:2 * units, 0:units, 2 * units:3 * units]
        return kernel[:, order].T, recurrent[:, order].T, bias[0][order], bias[1][order]
    return kernel.T, recurrent.T, bias, np.zeros_like(bias)


def _from_torch_layout(kind, grads, units):
    """PyTorch's gradients of weight_ih, weight_hh, bias_ih, bias_hh -> Keras's layout."""
    g_ih, g_hh, g_bih, g_bhh = grads
    if kind == "gru":
        back = np.argsort(np.r_[units:2 * units, 0:units, 2 * units:3 * units])
        return [g_ih.T[:, back], g_hh.T[:, back], np.stack([g_bih[back], g_bhh[back]])]
    return [g_ih.T, g_hh.T, g_bih]


def _torch_run(kind, layer, x, r_seq, r_states, initial=None, lengths=None):
    """PyTorch's RNN/LSTM/GRU with the layer's weights: sequence, final states, and the gradients of
    sum(seq * r_seq) + sum(state_i * r_states_i) for x, the initial states and the weights."""
    units, features = layer.units, x.shape[-1]
    module = {"simple_rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](
        features, units, batch_first=True, dtype=torch.float64)
    for param, value in zip((module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0),
                            _to_torch_layout(kind, layer.get_weights(), units)):
        param.data = torch.tensor(np.ascontiguousarray(value))
    tx = torch.tensor(x, requires_grad=True)
    n_states = 2 if kind == "lstm" else 1
    init = [torch.tensor(s[None], requires_grad=True) for s in
            (initial if initial is not None else [np.zeros((x.shape[0], units))] * n_states)]
    hx = tuple(init) if kind == "lstm" else init[0]
    if lengths is None:
        seq, final = module(tx, hx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first=True,
                                                         enforce_sorted=False)
        seq, final = module(packed, hx)
        seq, _ = torch.nn.utils.rnn.pad_packed_sequence(seq, batch_first=True, total_length=x.shape[1])
    final = list(final) if kind == "lstm" else [final]
    final = [f[0] for f in final]
    loss = (seq * torch.tensor(r_seq)).sum()
    loss = loss + sum((f * torch.tensor(r)).sum() for f, r in zip(final, r_states))
    loss.backward()
    weight_grads = _from_torch_layout(kind, [p.grad.numpy() for p in (
        module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0)], units)
    return (seq.detach().numpy(), [f.detach().numpy() for f in final], tx.grad.numpy(),
            [t.grad.numpy()[0] for t in init], weight_grads)


def _ours(layer, x, r_seq, r_states, initial=None, mask=None):
    tx = Tensor(x, requires_grad=True, dtype=np.float64)
    init = None if initial is None else [Tensor(s, requires_grad=True, dtype=np.float64) for s in initial]
    for w in layer.weights:
        w.grad = None
    seq, *states = layer(tx, initial_state=init, mask=mask)
    loss = (seq * Tensor(r_seq, dtype=np.float64)).sum()
    for s, r in zip(states, r_states):
        loss = loss + (s * Tensor(r, dtype=np.float64)).sum()
    loss.backward()
    return (seq.data, [s.data for s in states], tx.grad, None if init is None else [t.grad for t in init],
            [w.grad for w in layer.weights])


def _compare(ours, theirs, with_initial=True):
    seq, states, gx, ginit, gw = ours
    t_seq, t_states, t_gx, t_ginit, t_gw = theirs
    assert_close(seq, t_seq, what="sequence")
    for a, b in zip(states, t_states):
        assert_close(a, b, what="final state")
    assert_close(gx, t_gx, what="d/dx")
    if with_initial:
        for a, b in zip(ginit, t_ginit):
            assert_close(a, b, what="d/d initial state")
    for a, b, name in zip(gw, t_gw, ("kernel", "recurrent_kernel", "bias")):
        assert_close(a, b, what=f"d/d {name}")


@requires_torch
@pytest.mark.parametrize("kind", list(KINDS))
def test_equals_pytorch_outputs_states_and_gradients(loop, rng, kind):
    layer = _layer(kind, units=3, features=4, return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 6, 4))
    n_states = 2 if kind == "lstm" else 1
    initial = [rng.normal(size=(2, 3)) for _ in range(n_states)]
    r_seq, r_states = rng.normal(size=(2, 6, 3)), [rng.normal(size=(2, 3)) for _ in range(n_states)]
    _compare(_ours(layer, x, r_seq, r_states, initial), _torch_run(kind, layer, x, r_seq, r_states, initial))


@requires_torch
@pytest.mark.parametrize("kind", list(KINDS))
def test_right_padded_mask_equals_pytorch_packed_sequences(loop, rng, kind):
    """Padding at the end: each sample's final states (and the last output) are those of its last
    real step, as PyTorch's pack_padded_sequence computes; gradients too."""
    layer = _layer(kind, units=3, features=4, return_sequences=True, return_state=True)
    lengths = [6, 3, 1]
    x = rng.normal(size=(3, 6, 4))
    mask = np.arange(6)[None, :] < np.array(lengths)[:, None]
    n_states = 2 if kind == "lstm" else 1
    r_states = [rng.normal(size=(3, 3)) for _ in range(n_states)]
    r_seq = rng.normal(size=(3, 6, 3)) * mask[..., None]       # PyTorch pads with zeros: compare real steps
    ours = _ours(layer, x, r_seq, r_states, mask=mask)
    theirs = _torch_run(kind, layer, x, r_seq, r_states, lengths=lengths)
    ours = (ours[0] * mask[..., None],) + ours[1:]
    _compare(ours, theirs, with_initial=False)


@requires_torch
@pytest.mark.parametrize("kind", list(KINDS))
def test_go_backwards_equals_pytorch_on_the_reversed_sequence(loop, rng, kind):
    layer = _layer(kind, go_backwards=True, return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 5, 4))
    n_states = 2 if kind == "lstm" else 1
    r_seq, r_states = rng.normal(size=(2, 5, 3)), [rng.normal(size=(2, 3)) for _ in range(n_states)]
    seq, states, gx, _, gw = _ours(layer, x, r_seq, r_states)
    t_seq, t_states, t_gx, _, t_gw = _torch_run(kind, layer, x[:, ::-1].copy(), r_seq, r_states)
    assert_close(seq, t_seq, what="sequence (in processing order)")
    assert_close(gx, t_gx[:, ::-1], what="d/dx")
    for a, b in zip(states + gw, t_states + t_gw):
        assert_close(a, b)


@requires_torch
def test_gru_reset_before_equals_the_2014_equations_in_pytorch(rng):
    """reset_after=False: hh = tanh(x_h + (r * h) U_h), written out in PyTorch."""
    layer = _layer("gru", reset_after=False, return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 4, 4))
    kernel, recurrent, bias = [torch.tensor(w, requires_grad=True) for w in layer.get_weights()]
    h = torch.zeros(2, 3, dtype=torch.float64)
    outs = []
    for t in range(4):
        xw = torch.tensor(x[:, t]) @ kernel + bias
        z = torch.sigmoid(xw[:, :3] + h @ recurrent[:, :3])
        r = torch.sigmoid(xw[:, 3:6] + h @ recurrent[:, 3:6])
        hh = torch.tanh(xw[:, 6:] + (r * h) @ recurrent[:, 6:])
        h = z * h + (1 - z) * hh
        outs.append(h)
    r_seq = rng.normal(size=(2, 4, 3))
    (torch.stack(outs, 1) * torch.tensor(r_seq)).sum().backward()
    seq, _, _, _, gw = _ours(layer, x, r_seq, [])
    assert_close(seq, torch.stack(outs, 1).detach().numpy())
    for a, b in zip(gw, (kernel, recurrent, bias)):
        assert_close(a, b.grad.numpy())


# ============================================================ gradcheck
@pytest.mark.parametrize("kind", list(KINDS) + ["gru_reset_before"])
@pytest.mark.parametrize("masked", [False, True])
def test_gradcheck_inputs_and_weights(loop, rng, kind, masked):
    extra = {"reset_after": False} if kind == "gru_reset_before" else {}
    layer = _layer(kind.replace("_reset_before", ""), units=2, features=3, return_sequences=True, **extra)
    x = rng.normal(size=(2, 4, 3))
    mask = np.array([[True, True, False, True], [False, True, True, False]]) if masked else None
    assert snn.gradcheck(lambda x: layer(x, mask=mask), x)
    cell, names = layer.cell, ["kernel", "recurrent_kernel", "bias"]

    def with_weights(*weights):
        saved = [getattr(cell, n) for n in names]
        for n, w in zip(names, weights):
            setattr(cell, n, w)
        try:
            return layer(Tensor(x, dtype=np.float64), mask=mask)
        finally:
            for n, w in zip(names, saved):
                setattr(cell, n, w)
    assert snn.gradcheck(with_weights, *layer.get_weights())


# ============================================================ masks, shapes, options
@pytest.mark.parametrize("kind", list(KINDS))
def test_masked_steps_carry_the_previous_output_and_states(loop, rng, kind):
    layer = _layer(kind, return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 5, 4))
    mask = np.array([[True, False, True, False, False], [False, False, True, True, True]])
    seq, *states = layer(x, mask=mask)
    seq = seq.data
    np.testing.assert_array_equal(seq[0, 1], seq[0, 0])
    np.testing.assert_array_equal(seq[0, 4], seq[0, 2])
    assert not seq[1, :2].any()                      # padding in front: the zero initial state
    np.testing.assert_array_equal(states[0].data, seq[:, -1])
    assert get_mask(layer(x, mask=mask)[0]) is mask or np.array_equal(get_mask(layer(x, mask=mask)[0]), mask)
    # the last output of a sample equals that of the sample cut at its last real step
    short = _layer(kind)
    np.testing.assert_allclose(short(x[:1, [0, 2]]).data, seq[:1, -1], rtol=1e-12)
    zero = _layer(kind, return_sequences=True, zero_output_for_mask=True)
    out = zero(x, mask=mask).data
    assert not out[0, [1, 3, 4]].any() and not out[1, :2].any()
    np.testing.assert_array_equal(out[0, [0, 2]], seq[0, [0, 2]])


def test_the_mask_of_an_embedding_reaches_the_layer_and_its_output():
    model = snn.models.Sequential([L.Embedding(10, 4, mask_zero=True), L.LSTM(3, return_sequences=True)])
    ids = np.array([[3, 5, 0, 0], [1, 2, 3, 4]])
    out = model(ids)
    np.testing.assert_array_equal(get_mask(out), ids != 0)
    np.testing.assert_array_equal(out.data[0, 2], out.data[0, 1])
    last = snn.models.Sequential([L.Embedding(10, 4, mask_zero=True), L.GRU(3)])
    assert get_mask(last(ids)) is None


@pytest.mark.parametrize("kind", list(KINDS))
def test_output_shapes(kind):
    x = np.zeros((2, 7, 4), dtype=np.float32)
    n_states = 2 if kind == "lstm" else 1
    assert KINDS[kind](3)(x).shape == (2, 3)
    assert KINDS[kind](3, return_sequences=True)(x).shape == (2, 7, 3)
    out = KINDS[kind](3, return_state=True)(x)
    assert isinstance(out, tuple) and [o.shape for o in out] == [(2, 3)] * (1 + n_states)
    layer = KINDS[kind](3, return_sequences=True, return_state=True)
    assert layer.compute_output_shape((None, 7, 4)) == ((None, 7, 3),) + ((None, 3),) * n_states
    assert layer(x[:, :2])[0].shape == (2, 2, 3)              # any length after building
    assert out[0].dtype == np.float32


def test_stateful_layer_continues_from_the_last_batch(loop, rng):
    layer = _layer("lstm", stateful=True)
    plain = _layer("lstm")
    x = rng.normal(size=(2, 6, 4))
    layer.reset_state()
    layer.states = None
    layer(x[:, :3])
    np.testing.assert_allclose(layer(x[:, 3:]).data, plain(x).data, rtol=1e-12)
    layer.reset_state()
    np.testing.assert_allclose(layer(x[:, :3]).data, plain(x[:, :3]).data, rtol=1e-12)
    with pytest.raises(ValueError, match="stateful.*batch of 2, got a batch of 3"):
        layer(rng.normal(size=(3, 2, 4)))


def test_dropout_only_in_training_one_mask_per_sequence(rng):
    layer = _layer("simple_rnn", units=4, dropout=0.5, recurrent_dropout=0.5, seed=3, return_sequences=True)
    x = rng.normal(size=(3, 5, 4))
    plain = layer(x).data
    np.testing.assert_array_equal(layer(x, training=False).data, plain)
    assert not np.allclose(layer(x, training=True).data, plain)
    # an input feature dropped for a sample is dropped at every step: zeroing it changes nothing
    cell = layer.cell
    dp, _ = cell.dropout_masks(3, 4, True, np.float64)
    assert dp.shape == (3, 4) and set(np.unique(dp)) <= {0.0, 2.0}


def test_generic_rnn_of_a_cell_equals_the_layer(rng):
    lstm = _layer("lstm", return_sequences=True)
    rnn = L.RNN(L.LSTMCell(3, dtype="float64"), return_sequences=True, dtype="float64")
    x = rng.normal(size=(2, 4, 4))
    rnn(x)
    rnn.set_weights(lstm.get_weights())
    np.testing.assert_allclose(rnn(x).data, lstm(x).data, rtol=1e-12)
    h, (h2, c) = rnn.cell(Tensor(x[:, 0], dtype=np.float64), None)       # a cell runs one step
    np.testing.assert_allclose(h.data, lstm(x[:, :1]).data[:, 0], rtol=1e-12)
    assert_config_round_trip(rnn, x)


def test_a_custom_cell_runs_step_by_step(rng):
    class Accumulate(L.Layer):
        state_size = [2]

        def call(self, inputs, states, training=False):
            total = states[0] + inputs
            return total * 2, [total]

    out, state = L.RNN(Accumulate(), return_sequences=True, return_state=True, dtype="float64")(
        rng.normal(size=(1, 3, 2)))
    assert out.shape == (1, 3, 2)
    np.testing.assert_allclose(out.data[0, -1], 2 * state.data[0])


# ============================================================ errors
def test_errors_name_the_layer_and_the_shapes(rng):
    with pytest.raises(ValueError, match="units must be a positive integer, got 0"):
        L.LSTM(0)
    with pytest.raises(ValueError, match="dropout must be a number in \\[0, 1\\), got 1.5"):
        L.GRU(2, dropout=1.5)
    layer = L.LSTM(3, name="lstm_x")
    with pytest.raises(ValueError, match="'lstm_x' expects sequences of shape \\(batch, time, features\\)"):
        layer(np.zeros((2, 4)))
    assert not layer.built and layer.weights == []
    layer(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match="shape \\(batch, time, 5\\).*got shape \\(2, 4, 6\\)"):
        layer(np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match="initial_state must hold 2 state\\(s\\)"):
        layer(np.zeros((2, 4, 5)), initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match="initial state must have shape \\(2, 3\\), got \\(2, 4\\)"):
        layer(np.zeros((2, 4, 5)), initial_state=[np.zeros((2, 4)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="mask must have shape \\(batch, time\\) = \\(2, 4\\), got \\(2, 3"):
        layer(np.zeros((2, 4, 5)), mask=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="cell must be a Layer with a state_size"):
        L.RNN("lstm")
    empty = L.GRU(2)
    with pytest.raises(ValueError, match="at least one step, got shape \\(None, 0, 3\\)"):
        empty(np.zeros((2, 0, 3)))
    assert not empty.built and not empty.cell.built


def test_initial_states_take_the_layer_dtype(loop, rng):
    layer = L.LSTM(3, return_state=True)
    h0 = Tensor(rng.normal(size=(2, 3)), requires_grad=True, dtype=np.float64)
    out, h, c = layer(rng.normal(size=(2, 4, 5)).astype(np.float32), initial_state=[h0, np.zeros((2, 3))])
    assert out.dtype == h.dtype == c.dtype == np.float32
    out.sum().backward()
    assert h0.grad.shape == (2, 3) and h0.grad.dtype == np.float64


# ============================================================ config, saving, training
@pytest.mark.parametrize("kind", list(KINDS))
def test_config_round_trip(rng, kind):
    layer = KINDS[kind](3, return_sequences=True, go_backwards=True, recurrent_regularizer="l2",
                        dropout=0.1, dtype="float64")
    config = layer.get_config()
    assert config["units"] == 3 and config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert config["go_backwards"] and config["recurrent_regularizer"] is not None
    assert_config_round_trip(layer, rng.normal(size=(2, 4, 5)))
    layer(rng.normal(size=(2, 4, 5)))
    assert len(layer.losses) == 1                            # the recurrent kernel's L2 penalty


def test_activity_regularizer_sees_the_output_not_the_states(rng):
    layer = _layer("lstm", return_state=True, activity_regularizer=snn.regularizers.L2(0.5))
    out, h, c = layer(rng.normal(size=(2, 4, 4)))
    (penalty,) = layer.activity_losses
    np.testing.assert_allclose(penalty.data, 0.5 * (out.data ** 2).sum(), rtol=1e-12)


def _toy_sentiment(rng, n=600, length=12, vocab=20):
    """Padded token sequences (id 0 = padding, at the end): label 1 when 'good' tokens (ids 1-4)
    outnumber 'bad' ones (ids 5-8); the other ids are neutral."""
    lengths = rng.integers(4, length + 1, size=n)
    ids = rng.integers(1, vocab, size=(n, length))
    ids[np.arange(length)[None, :] >= lengths[:, None]] = 0
    good = ((ids >= 1) & (ids <= 4)).sum(1)
    bad = ((ids >= 5) & (ids <= 8)).sum(1)
    keep = good != bad
    return ids[keep], (good > bad)[keep].astype(np.int64)


def test_masked_lstm_learns_a_toy_sentiment_task_and_saves(rng, tmp_path):
    x, y = _toy_sentiment(rng)
    set_random_seed(0)
    model = snn.models.Sequential([L.Embedding(20, 8, mask_zero=True), L.LSTM(16), L.Dense(1, "sigmoid")])
    model.compile(snn.optimizers.Adam(0.02), "binary_crossentropy", ["accuracy"])
    history = model.fit(x[:400], y[:400], epochs=8, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.8
    _, accuracy = model.evaluate(x[400:], y[400:], verbose=0)
    assert accuracy > 0.7                                   # held out; chance is about 0.5
    model.save(tmp_path / "lstm.scratchnn")
    loaded = load_model(tmp_path / "lstm.scratchnn")
    assert type(loaded.layers[1]) is L.LSTM
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
