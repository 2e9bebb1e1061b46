"""``MultiHeadAttention`` (``scratchnn/layers/attention.py``): Keras 3's weight shapes, names and
order; equality with multi-head attention written in PyTorch from the same Keras-layout weights
(values and gradients, float64) with padding, attention and causal masks; gradcheck; the
returned scores; dropout; errors that name the shapes; config, training and save/load.
"""
import math

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.models import load_model
from scratchnn.saving import custom_object_scope
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, requires_torch, torch


def _mha(query_shape, value_shape=None, key_shape=None, **kwargs):
    """A float64 layer built for the shapes, with non-zero biases (zeros would hide bias bugs)."""
    set_random_seed(0)
    layer = L.MultiHeadAttention(dtype="float64", bias_initializer="random_normal", **kwargs)
    layer.build(query_shape, value_shape, key_shape)
    return layer


def test_weights_have_keras_shapes_names_and_order():
    layer = _mha((None, 4, 6), (None, 5, 3), (None, 5, 2), num_heads=2, key_dim=4, value_dim=7)
    names = [w.name.split("/", 1)[1] for w in layer.weights]
    assert names == ["query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
                     "attention_output/kernel", "attention_output/bias"]
    assert [w.shape for w in layer.weights] == [(6, 2, 4), (2, 4), (2, 2, 4), (2, 4), (3, 2, 7), (2, 7),
                                                (2, 7, 6), (6,)]
    assert layer.count_params() == (6 * 8 + 8) + (2 * 8 + 8) + (3 * 14 + 14) + (14 * 6 + 6)
    plain = _mha((None, 4, 6), num_heads=3, key_dim=2, use_bias=False, output_shape=5)
    assert [w.shape for w in plain.weights] == [(6, 3, 2), (6, 3, 2), (6, 3, 2), (3, 2, 5)]
    assert plain.value_dim == 2 and plain.compute_output_shape((None, 4, 6)) == (None, 4, 5)
    wide = _mha((None, 4, 6), num_heads=2, key_dim=3, output_shape=(2, 5))
    assert wide.output_kernel.shape == (2, 3, 2, 5) and wide.output_bias.shape == (2, 5)
    assert wide(np.ones((1, 4, 6)), np.ones((1, 3, 6))).shape == (1, 4, 2, 5)


def _torch_mha(layer, query, value, key, allowed, r):
    """Multi-head attention in PyTorch from the layer's Keras-layout weights: output and the
    gradients of sum(output * r) with respect to the inputs and every weight; and the scores."""
    tensors = [torch.tensor(a, requires_grad=True) for a in [query, value, key] + layer.get_weights()]
    tq, tv, tk, wq, bq, wk, bk, wv, bv, wo, bo = tensors
    q = torch.einsum("btd,dnh->bnth", tq, wq) + bq[None, :, None, :]
    k = torch.einsum("btd,dnh->bnth", tk, wk) + bk[None, :, None, :]
    v = torch.einsum("btd,dnh->bnth", tv, wv) + bv[None, :, None, :]
    mask = None if allowed is None else torch.tensor(allowed)
    heads = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                             scale=1 / math.sqrt(layer.key_dim))
    out = torch.einsum("bnth,nho->bto", heads, wo) + bo
    (out * torch.tensor(r)).sum().backward()
    scores = (q @ k.transpose(-1, -2) / math.sqrt(layer.key_dim))
    if mask is not None:
        scores = scores.masked_fill(~mask, -math.inf)
    probs = torch.nan_to_num(torch.softmax(scores, dim=-1), nan=0.0)  # a fully masked row: zeros
    return out.detach().numpy(), [t.grad.numpy() for t in tensors], probs.detach().numpy()


def _padding(rng, b, t):
    keep = rng.random((b, t)) > 0.3
    keep[:, 0] = True
    return keep


CASES = {  # name: (query shape, value shape, key shape or None, layer kwargs, masks maker)
    "self": ((2, 5, 6), (2, 5, 6), None, {}, lambda rng: {}),
    "cross_key": ((2, 3, 6), (2, 5, 4), (2, 5, 3), {"value_dim": 5}, lambda rng: {}),
    "causal": ((2, 5, 6), (2, 5, 6), None, {}, lambda rng: {"use_causal_mask": True}),
    "causal_cross": ((2, 3, 6), (2, 5, 4), None, {}, lambda rng: {"use_causal_mask": True}),
    "padding": ((3, 5, 6), (3, 4, 6), None, {"output_shape": 3},
                lambda rng: {"query_mask": _padding(rng, 3, 5), "value_mask": _padding(rng, 3, 4)}),
    "key_mask_and_attention_mask": ((2, 4, 6), (2, 4, 6), (2, 4, 6), {},
                                    lambda rng: {"key_mask": _padding(rng, 2, 4),
                                                 "attention_mask": rng.random((2, 4, 4)) > 0.2}),
    "padding_causal": ((2, 5, 6), (2, 5, 6), None, {},
                       lambda rng: {"value_mask": _padding(rng, 2, 5), "use_causal_mask": True}),
}


def _allowed(case_masks, tq, tk):
    """The (B, 1, Tq, Tk) mask the Keras rules give: query, value and key masks, attention mask,
    causal (key j <= query i), combined with AND."""
    allowed = np.ones((1, 1, tq, tk), bool)
    if "query_mask" in case_masks:
        allowed = allowed & case_masks["query_mask"][:, None, :, None]
    for name in ("value_mask", "key_mask"):
        if name in case_masks:
            allowed = allowed & case_masks[name][:, None, None, :]
    if "attention_mask" in case_masks:
        allowed = allowed & case_masks["attention_mask"][:, None]
    if case_masks.get("use_causal_mask"):
        allowed = allowed & np.tril(np.ones((tq, tk), bool))
    return None if allowed.all() else allowed


def _case(rng, name):
    q_shape, v_shape, k_shape, kwargs, masks = CASES[name]
    layer = _mha(q_shape, v_shape, k_shape, num_heads=3, key_dim=4, **kwargs)
    query, value = rng.normal(size=q_shape), rng.normal(size=v_shape)
    key = value if k_shape is None else rng.normal(size=k_shape)
    return layer, query, value, key, k_shape is not None, masks(rng)


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_multi_head_attention_in_torch(rng, name):
    layer, query, value, key, separate_key, masks = _case(rng, name)
    inputs = [Tensor(a, requires_grad=True, dtype=np.float64) for a in (query, value, key)]
    kw = dict(masks, key=inputs[2] if separate_key else None)
    out, scores = layer(inputs[0], inputs[1], return_attention_scores=True, **kw)
    fused = layer(Tensor(query, dtype=np.float64), value, **kw)
    r = rng.normal(size=out.shape)
    (out * Tensor(r, dtype=np.float64)).sum().backward()
    allowed = _allowed(masks, query.shape[1], value.shape[1])
    want_out, want_grads, want_scores = _torch_mha(layer, query, value, key, allowed, r)
    assert_close(out, want_out, what="output")
    assert_close(fused, want_out, what="output without scores (the attention op)")
    assert_close(scores, want_scores, what="scores")
    if not separate_key:                          # key is value: its gradient arrives through value
        want_grads[1] = want_grads[1] + want_grads[2]
    grads = [inputs[0].grad, inputs[1].grad] + ([inputs[2].grad] if separate_key else [])
    for got, want, what in zip(grads, want_grads, ["d query", "d value", "d key"]):
        assert_close(got, want, what=what)
    for w, want in zip(layer.weights, want_grads[3:]):
        assert_close(w.grad, want, what=w.name)


def test_gradient_through_the_op_equals_the_scores_path(rng):
    """The two paths (the attention op; the composed scores path of return_attention_scores)."""
    layer, query, value, key, _, masks = _case(rng, "padding_causal")
    results = []
    for scores in (False, True):
        for w in layer.weights:
            w.zero_grad()
        x = Tensor(query, requires_grad=True, dtype=np.float64)
        out = layer(x, value, return_attention_scores=scores, **masks)
        out = out[0] if scores else out
        out.sum().backward()
        results.append([out.data, x.grad] + [w.grad.copy() for w in layer.weights])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["cross_key", "padding", "padding_causal"])
def test_gradcheck_inputs_and_weights(rng, name):
    layer, query, value, key, separate_key, masks = _case(rng, name)
    query, value, key = query[:2, :3], value[:2, :3], key[:2, :3]
    masks = {k: (v[:2, :3] if k != "attention_mask" else v[:2, :3, :3]) if isinstance(v, np.ndarray) else v
             for k, v in masks.items()}

    def attend(q, v, k):
        return layer(q, v, key=k if separate_key else None, **masks)
    assert snn.gradcheck(attend, query, value, key)

    names = ["query_kernel", "query_bias", "key_kernel", "key_bias", "value_kernel", "value_bias",
             "output_kernel", "output_bias"]

    def with_weights(*weights):
        saved = [getattr(layer, n) for n in names]
        for n, w in zip(names, weights):
            setattr(layer, n, w)
        try:
            return attend(Tensor(query, dtype=np.float64), value, key)
        finally:
            for n, w in zip(names, saved):
                setattr(layer, n, w)
    assert snn.gradcheck(with_weights, *layer.get_weights())


def test_scores_sum_to_one_and_masked_pairs_get_nothing(rng):
    layer = _mha((None, 5, 6), num_heads=2, key_dim=3)
    x = rng.normal(size=(2, 5, 6))
    pad = np.array([[True] * 5, [True, True, True, False, False]])     # sample 1: 2 padded tokens
    out, scores = layer(x, x, query_mask=pad, value_mask=pad, use_causal_mask=True,
                        return_attention_scores=True)
    assert scores.shape == (2, 2, 5, 5)
    p = scores.data
    np.testing.assert_allclose(p[0].sum(-1), 1.0)
    np.testing.assert_allclose(p[1, :, :3].sum(-1), 1.0)
    assert not p[1, :, 3:].any()                                     # padded queries: no weight
    assert not p[..., 3:][1].any() and not np.triu(p[0], 1).any()    # padding, future: no weight
    np.testing.assert_allclose(out.data[1, 3:], np.broadcast_to(layer.output_bias.data, (2, 6)))


def test_record_attention_scores_keeps_the_scores_for_a_forward_hook(rng):
    layer = _mha((None, 4, 6), num_heads=2, key_dim=3)
    x = rng.normal(size=(2, 4, 6))
    plain = layer(x, x, use_causal_mask=True).data
    assert layer.last_attention_scores is None                       # nothing kept when unasked
    seen = []
    with layer.record_attention_scores(), layer.add_forward_hook(
            lambda lyr, inputs, outputs: seen.append(lyr.last_attention_scores)):
        out = layer(x, x, use_causal_mask=True).data
    assert layer.last_attention_scores is None                       # dropped on leaving the block
    np.testing.assert_allclose(out, plain, rtol=1e-12)               # the output is unchanged
    (p,) = seen
    # by hand from the weights: softmax(Q K^T / sqrt(h)) with the future masked, for each head
    q = np.einsum("btd,dnh->bnth", x, layer.query_kernel.data) + layer.query_bias.data[:, None]
    k = np.einsum("btd,dnh->bnth", x, layer.key_kernel.data) + layer.key_bias.data[:, None]
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(3)
    s = np.where(np.tril(np.ones((4, 4), bool)), s, -np.inf)
    expected = np.exp(s - s.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    assert isinstance(p, np.ndarray) and p.shape == (2, 2, 4, 4)
    np.testing.assert_allclose(p, expected, rtol=1e-10)
    np.testing.assert_allclose(p.sum(-1), 1.0)
    assert not np.triu(p, 1).any()


def test_dropout_only_in_training_and_seeded(rng):
    x = rng.normal(size=(2, 6, 4))
    layers = [_mha((None, 6, 4), num_heads=2, key_dim=3, dropout=0.5, seed=7) for _ in range(2)]
    layers[1].set_weights(layers[0].get_weights())
    plain = layers[0](x, x).data
    np.testing.assert_array_equal(layers[0](x, x, training=False).data, plain)
    a, b = (layer(x, x, training=True).data for layer in layers)
    assert not np.allclose(a, plain)
    np.testing.assert_array_equal(a, b)                              # the same seed: the same draws
    assert len(layers[0].random_generators()) == 1


def test_bad_shapes_name_query_value_and_key(rng):
    layer = L.MultiHeadAttention(2, 3, name="att")
    with pytest.raises(ValueError, match=r"'att': query \(2, 4, 6\), value \(2, 5, 6\) and key \(2, 3, 6\) "
                                         r"do not fit"):
        layer(np.ones((2, 4, 6)), np.ones((2, 5, 6)), key=np.ones((2, 3, 6)))
    with pytest.raises(ValueError, match=r"query \(4, 6\), value \(4, 6\) and key \(4, 6\)"):
        layer(np.ones((4, 6)), np.ones((4, 6)))
    assert not layer.built and layer.weights == []
    layer(np.ones((2, 4, 6)), np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"query \(2, 4, 5\), value \(2, 5, 3\) and key \(2, 5, 3\) "
                                         r"do not fit.*dq = 6, dv = 3, dk = 3"):
        layer(np.ones((2, 4, 5)), np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"value_mask must have shape \(2, 5\), got \(2, 4\)"):
        layer(np.ones((2, 4, 6)), np.ones((2, 5, 3)), value_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 5, 4\) does not broadcast to "
                                         r"\(batch, Tq, Tk\) = \(2, 4, 5\)"):
        layer(np.ones((2, 4, 6)), np.ones((2, 5, 3)), attention_mask=np.ones((2, 5, 4), bool))


@pytest.mark.parametrize("args, match", [((0, 3), "num_heads must be a positive integer, got 0"),
                                         ((2, 3.0), "key_dim must be a positive integer"),
                                         ((2, 3, None, 1.5), r"dropout must be in \[0, 1\)")])
def test_bad_arguments_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        L.MultiHeadAttention(*args)


def test_config_round_trip_gives_the_same_layer(rng):
    layer = L.MultiHeadAttention(2, 3, value_dim=4, dropout=0.1, output_shape=5, kernel_regularizer="l2",
                                 seed=3)
    q, v = rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 3, 2))
    out = layer(q, v).data
    config = layer.get_config()
    clone = L.deserialize(L.serialize(layer))
    assert type(clone) is L.MultiHeadAttention and clone.get_config() == config
    clone(q, v)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(q, v).data, out)
    assert len(layer.losses) == 4                                     # the four kernels' penalties


class _SelfAttention(L.Layer):
    """A block holding a MultiHeadAttention: x + mha(x, x)."""

    def __init__(self, num_heads=2, key_dim=4, **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.key_dim = num_heads, key_dim
        self.attention = L.MultiHeadAttention(num_heads, key_dim)

    def call(self, inputs, training=False):
        return inputs + self.attention(inputs, inputs, use_causal_mask=True)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim}


def _sequence_task(rng, n=128, t=5, d=3):
    """The target at step i is the mean of the first feature over steps 0..i (needs attention)."""
    x = rng.normal(size=(n, t, d)).astype(np.float32)
    y = np.cumsum(x[:, :, 0], axis=1) / np.arange(1, t + 1)
    return x, y.astype(np.float32)


def test_fit_trains_every_attention_weight_and_save_load_round_trips(rng, tmp_path):
    x, y = _sequence_task(rng)
    set_random_seed(0)
    model = snn.Sequential([L.Input(shape=(5, 3)), _SelfAttention(), L.Dense(1), L.Reshape((5,))])
    assert len(model.weights) == 8 + 2
    before = model.get_weights()
    model.compile(snn.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert all(not np.array_equal(w, w0) for w, w0 in zip(model.get_weights(), before))
    with custom_object_scope({"_SelfAttention": _SelfAttention}):
        model.save(tmp_path / "a.scratchnn")
        loaded = load_model(tmp_path / "a.scratchnn")
    assert isinstance(loaded.layers[0].attention, L.MultiHeadAttention)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
