"""``TransformerEncoder`` and ``TransformerDecoder`` (``scratchnn/layers/transformer.py``): equal to
PyTorch's ``TransformerEncoderLayer``/``TransformerDecoderLayer`` loaded with the same weights
(values and gradients, float64; post-norm and pre-norm; padding and causal masks), keras-hub's
sublayers and weight order, gradcheck, causality, errors that name the layer, config, training,
save and load.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, requires_torch, torch

D, HEADS, FF = 8, 2, 12


def _random_weights(layer, rng):
    """Non-trivial values everywhere (biases, layer norm scales), so that no weight hides."""
    layer.set_weights([w + rng.normal(scale=0.3, size=w.shape) for w in layer.get_weights()])


def _built(cls, rng, encoder_dim=None, **kwargs):
    set_random_seed(0)
    layer = cls(FF, HEADS, dtype="float64", **kwargs)
    if cls is L.TransformerEncoder:
        layer(np.zeros((1, 3, D)))
    else:
        layer(np.zeros((1, 3, D)), None if encoder_dim is None else np.zeros((1, 2, encoder_dim)))
    _random_weights(layer, rng)
    return layer


# ------------------------------------------------------------------ PyTorch, loaded with our weights
def _attention_params(w):
    """Keras-layout attention weights -> torch.nn.MultiheadAttention's packed parameters."""
    wq, bq, wk, bk, wv, bv, wo, bo = w
    in_w = np.concatenate([k.reshape(k.shape[0], -1).T for k in (wq, wk, wv)])
    in_b = np.concatenate([b.reshape(-1) for b in (bq, bk, bv)])
    return in_w, in_b, wo.reshape(-1, wo.shape[-1]).T, bo


def _attention_grads(module, wq_shape):
    """torch grads of a MultiheadAttention -> the 8 Keras-layout gradients."""
    d = wq_shape[0]
    gw, gb = module.in_proj_weight.grad.numpy(), module.in_proj_bias.grad.numpy()
    out = []
    for i in range(3):
        out += [gw[i * d:(i + 1) * d].T.reshape(wq_shape), gb[i * d:(i + 1) * d].reshape(wq_shape[1:])]
    return out + [module.out_proj.weight.grad.numpy().T.reshape(wq_shape[1:] + (d,)),
                  module.out_proj.bias.grad.numpy()]


def _set(param, value):
    with torch.no_grad():
        param.copy_(torch.tensor(value))


#: where each part's weights are in ``get_weights()`` (keras-hub's orders): the attentions, the
#: layer norms (torch's norm1, norm2[, norm3]) and the two Dense (kernel, bias, kernel, bias)
LAYOUTS = {"encoder": ([(0, 8)], [(8, 10), (10, 12)], (12, 16)),
           "decoder_only": ([(0, 8)], [(8, 10), (14, 16)], (10, 14)),
           "decoder": ([(0, 8), (10, 18)], [(8, 10), (18, 20), (24, 26)], (20, 24))}


def _torch_layer(ours, kind):
    """PyTorch's TransformerEncoderLayer (TransformerDecoderLayer for kind 'decoder') with our weights."""
    w = ours.get_weights()
    kwargs = dict(d_model=D, nhead=HEADS, dim_feedforward=FF, dropout=0.0, batch_first=True,
                  norm_first=ours.normalize_first, layer_norm_eps=ours.layer_norm_epsilon)
    attention_at, norms_at, dense_at = LAYOUTS[kind]
    if kind == "decoder":
        module = torch.nn.TransformerDecoderLayer(**kwargs).double()
        modules = [module.self_attn, module.multihead_attn]
        norm_modules = [module.norm1, module.norm2, module.norm3]
    else:
        module = torch.nn.TransformerEncoderLayer(**kwargs).double()
        modules, norm_modules = [module.self_attn], [module.norm1, module.norm2]
    attentions = [(m, w[a:b]) for m, (a, b) in zip(modules, attention_at)]
    norms = [(m, w[a:b]) for m, (a, b) in zip(norm_modules, norms_at)]
    dense = w[dense_at[0]:dense_at[1]]
    for attention, weights in attentions:
        in_w, in_b, out_w, out_b = _attention_params(weights)
        _set(attention.in_proj_weight, in_w), _set(attention.in_proj_bias, in_b)
        _set(attention.out_proj.weight, out_w), _set(attention.out_proj.bias, out_b)
    for norm, (gamma, beta) in norms:
        _set(norm.weight, gamma), _set(norm.bias, beta)
    _set(module.linear1.weight, dense[0].T), _set(module.linear1.bias, dense[1])
    _set(module.linear2.weight, dense[2].T), _set(module.linear2.bias, dense[3])
    return module, attentions, norms


def _torch_grads(module, attentions, norms, kind, count):
    """The torch gradients, placed in our weight order."""
    attention_at, norms_at, dense_at = LAYOUTS[kind]
    grads = [None] * count
    for (attention, weights), (a, b) in zip(attentions, attention_at):
        grads[a:b] = _attention_grads(attention, weights[0].shape)
    for (norm, _), (a, b) in zip(norms, norms_at):
        grads[a:b] = [norm.weight.grad.numpy(), norm.bias.grad.numpy()]
    grads[dense_at[0]:dense_at[1]] = [module.linear1.weight.grad.numpy().T, module.linear1.bias.grad.numpy(),
                                      module.linear2.weight.grad.numpy().T, module.linear2.bias.grad.numpy()]
    return grads


def _compare(ours, kind, x, r, our_kwargs, torch_kwargs, memory=None):
    module, attentions, norms = _torch_layer(ours, kind)
    inputs = [Tensor(x, requires_grad=True, dtype=np.float64)]
    xt = [torch.tensor(x, requires_grad=True)]
    if memory is not None:
        inputs.append(Tensor(memory, requires_grad=True, dtype=np.float64))
        xt.append(torch.tensor(memory, requires_grad=True))
    out = ours(*inputs, **our_kwargs)
    (out * Tensor(r, dtype=np.float64)).sum().backward()
    out_t = module(*xt, **torch_kwargs)
    (out_t * torch.tensor(r)).sum().backward()
    assert_close(out, out_t.detach().numpy(), what="output")
    for got, want in zip(inputs, xt):
        assert_close(got.grad, want.grad.numpy(), what="d input")
    for w, want in zip(ours.weights, _torch_grads(module, attentions, norms, kind, len(ours.weights))):
        assert_close(w.grad, want, what=w.name)


@requires_torch
@pytest.mark.parametrize("normalize_first", [False, True], ids=["post_norm", "pre_norm"])
@pytest.mark.parametrize("masked", [False, True], ids=["no_mask", "padding"])
def test_encoder_matches_torch_encoder_layer(rng, normalize_first, masked):
    encoder = _built(L.TransformerEncoder, rng, normalize_first=normalize_first)
    x, r = rng.normal(size=(3, 5, D)), rng.normal(size=(3, 5, D))
    pad = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool) if masked else None
    _compare(encoder, "encoder", x, r, {"padding_mask": pad},
             {"src_key_padding_mask": None if pad is None else torch.tensor(~pad)})


@requires_torch
@pytest.mark.parametrize("normalize_first", [False, True], ids=["post_norm", "pre_norm"])
def test_decoder_only_matches_torch_with_a_causal_mask(rng, normalize_first):
    decoder = _built(L.TransformerDecoder, rng, normalize_first=normalize_first)
    assert len(decoder.weights) == 16                       # no cross-attention
    x, r = rng.normal(size=(2, 6, D)), rng.normal(size=(2, 6, D))
    pad = np.array([[1] * 6, [1, 1, 1, 1, 0, 0]], bool)
    future = torch.triu(torch.ones(6, 6, dtype=torch.bool), 1)         # torch: True = may NOT attend
    _compare(decoder, "decoder_only", x, r, {"decoder_padding_mask": pad},   # torch: an encoder layer
             {"src_mask": future, "src_key_padding_mask": torch.tensor(~pad)})


@requires_torch
@pytest.mark.parametrize("normalize_first", [False, True], ids=["post_norm", "pre_norm"])
def test_encoder_decoder_matches_torch_decoder_layer(rng, normalize_first):
    decoder = _built(L.TransformerDecoder, rng, encoder_dim=D, normalize_first=normalize_first)
    assert len(decoder.weights) == 26
    x, memory, r = rng.normal(size=(2, 5, D)), rng.normal(size=(2, 4, D)), rng.normal(size=(2, 5, D))
    dec_pad = np.array([[1] * 5, [1, 1, 1, 0, 0]], bool)
    enc_pad = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    future = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
    _compare(decoder, "decoder", x, r,
             {"decoder_padding_mask": dec_pad, "encoder_padding_mask": enc_pad},
             {"tgt_mask": future, "tgt_key_padding_mask": torch.tensor(~dec_pad),
              "memory_key_padding_mask": torch.tensor(~enc_pad)}, memory=memory)


# ------------------------------------------------------------------ structure
def test_sublayers_and_weights_follow_keras_hub():
    set_random_seed(0)
    encoder = L.TransformerEncoder(FF, HEADS)
    encoder(np.zeros((2, 4, D)))
    assert [layer.name for layer in encoder.sublayers()] == [
        "self_attention_layer", "self_attention_layer_norm", "self_attention_dropout",
        "feedforward_layer_norm", "feedforward_intermediate_dense", "feedforward_output_dense",
        "feedforward_dropout"]
    assert encoder.sublayers()[0].key_dim == D // HEADS
    assert encoder.count_params() == 4 * (D * D + D) + 2 * (2 * D) + (D * FF + FF) + (FF * D + D)
    decoder = L.TransformerDecoder(FF, HEADS)
    decoder(np.zeros((2, 4, D)), np.zeros((2, 3, 5)))
    names = [w.name for w in decoder.weights]
    assert names[8:10] == ["self_attention_layer_norm/gamma", "self_attention_layer_norm/beta"]
    assert names[10] == "cross_attention/query/kernel" and decoder.weights[12].shape == (5, HEADS, D // HEADS)
    assert names[-2:] == ["feedforward_layer_norm/gamma", "feedforward_layer_norm/beta"]


def test_any_sequence_length_after_building(rng):
    encoder = _built(L.TransformerEncoder, rng)
    assert encoder(rng.normal(size=(2, 7, D))).shape == (2, 7, D)
    decoder = _built(L.TransformerDecoder, rng, encoder_dim=3)
    assert decoder(rng.normal(size=(1, 9, D)), rng.normal(size=(1, 2, 3))).shape == (1, 9, D)


@pytest.mark.parametrize("cls", [L.TransformerEncoder, L.TransformerDecoder])
def test_gradcheck(rng, cls):
    layer = _built(cls, rng, **({"normalize_first": True} if cls is L.TransformerDecoder else {}))
    pad = np.array([[1, 1, 0], [1, 1, 1]], bool)
    key = "padding_mask" if cls is L.TransformerEncoder else "decoder_padding_mask"
    assert snn.gradcheck(lambda x: layer(x, **{key: pad}), rng.normal(size=(2, 3, D)))


def test_decoder_is_causal_and_the_encoder_is_not(rng):
    decoder = _built(L.TransformerDecoder, rng)
    encoder = _built(L.TransformerEncoder, rng)
    x = rng.normal(size=(1, 6, D))
    changed = x.copy()
    changed[0, 4:] += 1.0                                    # change the future only
    np.testing.assert_allclose(decoder(changed).data[0, :4], decoder(x).data[0, :4], rtol=1e-12)
    assert not np.allclose(decoder(changed).data[0, 4:], decoder(x).data[0, 4:])
    assert not np.allclose(encoder(changed).data[0, :4], encoder(x).data[0, :4])
    assert not np.allclose(decoder(changed, use_causal_mask=False).data[0, :4],
                           decoder(x, use_causal_mask=False).data[0, :4])


def test_return_attention_scores_of_the_encoder(rng):
    encoder = _built(L.TransformerEncoder, rng)
    pad = np.array([[1, 1, 1, 0]], bool)
    out, scores = encoder(rng.normal(size=(1, 4, D)), padding_mask=pad, return_attention_scores=True)
    assert out.shape == (1, 4, D) and scores.shape == (1, HEADS, 4, 4)
    assert not scores.data[..., 3].any()                     # no position attends to the padding
    np.testing.assert_allclose(scores.data.sum(-1), 1.0)


def test_bad_arguments_and_inputs_name_the_layer(rng):
    encoder = L.TransformerEncoder(FF, HEADS, name="enc")
    with pytest.raises(ValueError, match=r"'enc': the feature size 1 of the inputs must be at least "
                                         r"num_heads = 2"):
        encoder(np.zeros((2, 3, 1)))
    encoder(np.zeros((2, 3, D)))
    with pytest.raises(ValueError, match=r"'enc': padding_mask must have shape \(2, 3\), got \(2, 4\)"):
        encoder(np.zeros((2, 3, D)), padding_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError,
                       match=r"'enc' expects inputs \(batch, sequence, 8\), got shape \(2, 3, 5\)"):
        encoder(np.zeros((2, 3, 5)))
    decoder = L.TransformerDecoder(FF, HEADS, name="dec")
    decoder(np.zeros((2, 3, D)))
    with pytest.raises(ValueError, match=r"'dec' was built without cross-attention, so call it as "
                                         r"decoder\(decoder_sequence\)"):
        decoder(np.zeros((2, 3, D)), np.zeros((2, 3, D)))
    with pytest.raises(ValueError, match="intermediate_dim must be a positive integer"):
        L.TransformerEncoder(0, 2)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        L.TransformerDecoder(4, 2, dropout=1.0)


def test_config_round_trip_rebuilds_the_cross_attention(rng):
    decoder = _built(L.TransformerDecoder, rng, encoder_dim=3, normalize_first=True, activation="gelu")
    clone = L.deserialize(L.serialize(decoder))
    assert clone.built and len(clone.weights) == 26 and clone.get_config() == decoder.get_config()
    clone.set_weights(decoder.get_weights())
    x, memory = rng.normal(size=(2, 4, D)), rng.normal(size=(2, 5, 3))
    np.testing.assert_array_equal(clone(x, memory).data, decoder(x, memory).data)


def _copy_task(rng, n=96, t=6):
    """The target at step i is the token at step t - 1 - i (the sequence reversed): only attention
    can move a token to another position."""
    ids = rng.integers(1, 5, size=(n, t))
    return ids, ids[:, ::-1].copy()


def test_encoder_trains_in_a_model_and_round_trips_through_a_file(rng, tmp_path):
    x, y = _copy_task(rng)
    set_random_seed(0)
    model = snn.Sequential([L.Input(shape=(6,)), L.Embedding(5, D), L.TransformerEncoder(FF, HEADS),
                            L.Dense(5, activation="softmax")])
    assert model.layers[1].built and len(model.weights) == 1 + 16 + 2
    before = model.get_weights()
    model.compile(snn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.9 * history.history["loss"][0]
    assert all(not np.array_equal(w, w0) for w, w0 in zip(model.get_weights(), before))
    model.save(tmp_path / "t.scratchnn")
    loaded = load_model(tmp_path / "t.scratchnn")
    assert type(loaded.layers[1]) is L.TransformerEncoder
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
