"""``GPT`` (``scratchnn/models/gpt.py``): its layers and parameter count, causality, GPT-2's
initialization, PyTorch's numbers from the same weights (logits, loss and every gradient), the loss
and metrics on (batch, T, V) logits with (batch, T) targets, learning a pattern with ``fit``, the
same training with fast kernels on and off, ``save``/``load_model`` bit for bit (optimizer
included), ``generate`` on it, and the argument checks.
"""
import math

import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.generation import generate
from scratchnn.layers import Embedding, LayerNormalization, TransformerDecoder
from scratchnn.losses import SparseCategoricalCrossentropy
from scratchnn.models import GPT, load_model
from scratchnn.preprocessing import TextWindows

from tests.helpers import requires_torch, torch

V, T = 11, 8


def _gpt(seed=0, **kwargs):
    snn.utils.set_random_seed(seed)
    args = {"sequence_length": T, "num_layers": 2, "num_heads": 2, "hidden_dim": 8, **kwargs}
    model = GPT(V, **args)
    model.build((None, args["sequence_length"]))
    return model


def _compiled(model, **kwargs):
    model.compile(optimizer=snn.optimizers.AdamW(1e-2), loss=SparseCategoricalCrossentropy(from_logits=True),
                  **kwargs)
    return model


def _ids(rng, batch=3, length=T):
    return rng.integers(0, V, size=(batch, length))


# ----------------------------------------------------------------------------- architecture
def test_layers_parameters_and_output_shape(rng):
    model = _gpt(num_layers=3, intermediate_dim=20)
    kinds = [type(layer) for layer in model.layers]
    assert kinds[:2] == [Embedding, snn.layers.PositionEmbedding]
    assert kinds.count(TransformerDecoder) == 3 and kinds[-2:] == [LayerNormalization, snn.layers.Dense]
    blocks = model.transformer_layers
    assert all(block.normalize_first and block.activation.__name__ == "gelu" for block in blocks)
    d, i, n_layers = 8, 20, 3
    per_block = 4 * d * d + 4 * d + 4 * d + 2 * d * i + i + d
    assert model.count_params() == V * d + T * d + n_layers * per_block + 2 * d + d * V + V
    out = model(_ids(rng, 4, 5))                           # any length up to sequence_length
    assert out.shape == (4, 5, V) and out.dtype == np.float32
    assert model.input_shape == (None, None) and model.predict(_ids(rng, 2, 3), verbose=0).shape == (2, 3, V)
    assert model.compute_output_shape((None, 5)) == (None, 5, V)
    assert GPT(V, hidden_dim=12, num_heads=3).intermediate_dim == 48          # 4 * hidden_dim


def test_the_logits_at_position_t_depend_on_tokens_up_to_t_only(rng):
    model = _gpt()
    ids = _ids(rng, 1)
    base = model(ids).data
    for t in range(T):
        changed = ids.copy()
        changed[0, t] = (changed[0, t] + 1) % V
        out = model(changed).data
        np.testing.assert_array_equal(out[0, :t], base[0, :t])              # the past is untouched
        assert not np.allclose(out[0, t], base[0, t])                       # position t sees its token


def test_initialization_is_gpt2s():
    model = _gpt(seed=1, num_layers=4, hidden_dim=64, num_heads=4)
    stds = {w.name: w.data.std() for w in model.weights if w.data.ndim >= 2}
    for name in ("token_embedding/embeddings", "position_embedding/embeddings", "lm_head/kernel"):
        assert stds[name] == pytest.approx(0.02, rel=0.15)
    scaled = 0.02 / math.sqrt(2 * 4)                       # the projections into the residual stream
    block = model.transformer_layers[0]
    residual = [w for w in block.weights
                if w.name.endswith(("attention_output/kernel", "output_dense/kernel"))]
    others = [w for w in block.weights if w.name.endswith(("query/kernel", "intermediate_dense/kernel"))]
    assert len(residual) == len(others) == 2
    for w in residual:
        assert w.data.std() == pytest.approx(scaled, rel=0.15)
    for w in others:
        assert w.data.std() == pytest.approx(0.02, rel=0.15)
    biases = [w for w in model.weights if w.name.endswith("bias") or w.name.endswith("beta")]
    assert all(not w.data.any() for w in biases)


# ----------------------------------------------------------------------------- PyTorch
def _torch_gpt(weights, ids, num_heads):
    """nanoGPT's forward pass written with torch.nn.functional, on scratchnn's weights (their order:
    embeddings, then per block q, k, v, output, layer norm, feed-forward, layer norm, then the head)."""
    nn = torch.nn.functional
    w = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in weights]
    it = iter(w)
    x = next(it)[ids] + next(it)[:ids.shape[1]]
    b, t, d = x.shape
    blocks = (len(w) - 6) // 16
    for _ in range(blocks):
        q_k, q_b, k_k, k_b, v_k, v_b, o_k, o_b = (next(it) for _ in range(8))
        g1, b1, f1_k, f1_b, f2_k, f2_b, g2, b2 = (next(it) for _ in range(8))
        h = nn.layer_norm(x, (d,), g1, b1, eps=1e-5)
        q, k, v = ((h @ kk.reshape(d, d) + bb.reshape(d)).view(b, t, num_heads, -1).transpose(1, 2)
                   for kk, bb in ((q_k, q_b), (k_k, k_b), (v_k, v_b)))
        y = nn.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + y @ o_k.reshape(d, d) + o_b
        h = nn.layer_norm(x, (d,), g2, b2, eps=1e-5)
        x = x + nn.gelu(h @ f1_k + f1_b) @ f2_k + f2_b
    g, beta, head_k, head_b = (next(it) for _ in range(4))
    return nn.layer_norm(x, (d,), g, beta, eps=1e-5) @ head_k + head_b, w


@requires_torch
def test_equals_a_pytorch_gpt_with_the_same_weights(rng):
    """Logits, the loss on the next tokens and the gradient of every weight."""
    model = _gpt(seed=2)
    for w in model.weights:                                   # biases and norms away from 0 and 1
        w.assign(w.data + rng.normal(0, 0.1, w.shape).astype(np.float32))
    ids = _ids(rng, 3, T + 1)
    x, y = ids[:, :-1], ids[:, 1:]
    logits = model(x, training=True)
    loss = F.sparse_categorical_crossentropy(y, logits, from_logits=True)
    loss.backward()
    t_logits, t_weights = _torch_gpt(model.get_weights(), torch.tensor(x), num_heads=2)
    t_loss = torch.nn.functional.cross_entropy(t_logits.reshape(-1, V), torch.tensor(y).reshape(-1))
    t_loss.backward()
    np.testing.assert_allclose(logits.data, t_logits.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert float(loss.data) == pytest.approx(t_loss.item(), rel=1e-5)
    for w, tw in zip(model.weights, t_weights):
        np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=w.name)


# ----------------------------------------------------------------------------- training
def test_loss_and_metrics_on_sequences_average_every_position(rng):
    """(batch, T, V) logits against (batch, T) targets: the mean over batch * T positions, as Keras's
    sum-over-batch-size; a per-window sample weight scales each window's T losses."""
    model = _compiled(_gpt(), metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    ids = _ids(rng, 6, T + 1)
    x, y = ids[:, :-1], ids[:, 1:]
    z = model.predict(x, verbose=0).astype(np.float64)
    log_p = z - z.max(-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_p, y[..., None], -1)[..., 0]              # (6, T)
    loss, accuracy, top5 = model.evaluate(x, y, batch_size=6, verbose=0)
    assert loss == pytest.approx(nll.mean(), rel=1e-5)
    assert accuracy == pytest.approx((z.argmax(-1) == y).mean())
    rank = (z > np.take_along_axis(z, y[..., None], -1)).sum(-1)
    assert top5 == pytest.approx((rank < 5).mean())
    weights = np.array([1.0, 0.0, 2.0, 1.0, 0.0, 3.0])
    weighted = model.evaluate(x, y, sample_weight=weights, batch_size=6, verbose=0)[0]
    assert weighted == pytest.approx((nll * weights[:, None]).sum() / nll.size, rel=1e-5)


def test_fit_learns_a_repeating_text():
    """The period-5 sequence 0 1 2 3 4 0 1 ...: once the model has read one period it can predict
    every next token; the loss must fall far below log(V)."""
    tokens = np.arange(400) % 5
    model = _compiled(_gpt(seed=3))
    history = model.fit(TextWindows(tokens, T, batch_size=8, steps=30, seed=0), epochs=4, verbose=0)
    losses = history.history["loss"]
    assert losses[0] > 1.0 and losses[-1] < 0.2 < math.log(V)
    x, y = next(iter(TextWindows(tokens, T, batch_size=4, steps=1, seed=1)))
    predicted = model.predict(x, verbose=0).argmax(-1)
    np.testing.assert_array_equal(predicted[:, 5:], y[:, 5:])               # after one full period


def test_training_is_the_same_with_fast_kernels_on_and_off(rng):
    ids = _ids(rng, 4, T + 1)
    weights = []
    for fast in (True, False):
        model = _compiled(_gpt(seed=4))
        with fast_kernels(fast):
            for _ in range(3):
                model.train_on_batch(ids[:, :-1], ids[:, 1:])
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_dropout_only_in_training(rng):
    model = _gpt(dropout=0.3)
    ids = _ids(rng)
    np.testing.assert_array_equal(model(ids).data, model(ids).data)
    assert not np.allclose(model(ids, training=True).data, model(ids).data)


# ----------------------------------------------------------------------------- saving
def test_save_and_load_model_round_trip_bit_for_bit(rng, tmp_path):
    ids = _ids(rng, 4, T + 1)
    model = _compiled(_gpt(seed=5, dropout=0.1))
    model.train_on_batch(ids[:, :-1], ids[:, 1:])
    path = model.save(tmp_path / "gpt.scratchnn")
    before = snn.random.generator().bit_generator.state, np.random.get_state()[1].copy()
    loaded = load_model(path)
    after = snn.random.generator().bit_generator.state, np.random.get_state()[1]
    assert before[0] == after[0] and np.array_equal(before[1], after[1])     # loading drew no number
    assert type(loaded) is GPT and loaded.get_config() == model.get_config()
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    x = ids[:, :-1]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with snn.random.preserved():
        model.train_on_batch(ids[:, :-1], ids[:, 1:])        # the optimizer's moments came along:
    loaded.train_on_batch(ids[:, :-1], ids[:, 1:])           # the next step is the same step
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- generation
def test_greedy_generation_is_the_argmax_path_and_repeats(rng):
    model = _gpt(seed=6)
    prompt = _ids(rng, 1, 3)[0]
    out = generate(model, prompt, max_new_tokens=10, temperature=0, block_size=T)
    assert out.shape == (13,) and out.dtype == np.int64
    np.testing.assert_array_equal(out[:3], prompt)
    np.testing.assert_array_equal(out, generate(model, prompt, 10, temperature=0, block_size=T))
    ids = list(prompt)                                       # independently: argmax of the last logits
    for _ in range(10):
        ids.append(int(model.predict(np.array([ids[-T:]]), verbose=0)[0, -1].argmax()))
    np.testing.assert_array_equal(out, ids)


def test_sampled_generation_repeats_with_a_seed(rng):
    model = _gpt(seed=7)
    prompt = _ids(rng, 2, 4)
    a = generate(model, prompt, 30, temperature=1.5, top_k=5, seed=3, block_size=T)
    b = generate(model, prompt, 30, temperature=1.5, top_k=5, seed=3, block_size=T)
    c = generate(model, prompt, 30, temperature=1.5, top_k=5, seed=4, block_size=T)
    assert a.shape == (2, 34)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_a_window_longer_than_sequence_length_is_refused_and_block_size_crops_it(rng):
    model = _gpt()
    with pytest.raises(ValueError, match=f"length {T + 1} .* longer than the layer's sequence_length {T}"):
        model(_ids(rng, 1, T + 1))
    out = generate(model, _ids(rng, 1, T + 3)[0], 2, temperature=0, block_size=T)
    assert out.shape == (T + 5,)


@pytest.mark.parametrize("kwargs, message", [
    ({"vocabulary_size": 0}, "vocabulary_size must be a positive integer, got 0"),
    ({"num_layers": 2.0}, "num_layers must be a positive integer, got 2.0"),
    ({"hidden_dim": 10, "num_heads": 4}, r"hidden_dim \(10\) must be a multiple of num_heads \(4\)"),
    ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\), got 1.0"),
    ({"initializer_range": 0}, "initializer_range must be a number > 0"),
])
def test_bad_arguments_are_named(kwargs, message):
    args = {"vocabulary_size": V, **kwargs}
    with pytest.raises(ValueError, match=f"GPT: {message}"):
        GPT(**args)


def test_a_prompt_id_outside_the_vocabulary_is_named():
    with pytest.raises(ValueError, match=f"token id {V} is outside the vocabulary of {V}"):
        _gpt()(Tensor(np.array([[1, V]])))
