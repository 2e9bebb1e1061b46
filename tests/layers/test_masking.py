"""Implicit masks (``scratchnn/layers/masking.py`` and ``Layer.__call__``), as in Keras: the padding
that ``Embedding(mask_zero=True)`` marks passes through the layers that keep the time axis, a layer
that does not support masking drops it with a warning, a ``call`` with a ``mask`` argument receives
it, ``MultiHeadAttention`` and the transformer blocks take it as their padding masks (the same
outputs as the explicit masks; equal to PyTorch with ``key_padding_mask``), padding never changes
the real tokens' outputs, a fully padded sequence gives finite values, and a transformer trains on
padded sequences with the padding left out of the loss.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.layers import get_mask, set_mask
from scratchnn.utils import set_random_seed

from tests.helpers import assert_close, requires_torch, torch

pytestmark = pytest.mark.usefixtures("restore_global_rng")

IDS = np.array([[4, 7, 2, 0, 0, 0],       # 3 real tokens, then padding
                [1, 0, 0, 0, 0, 0],
                [5, 3, 8, 9, 6, 2],       # no padding
                [0, 0, 0, 0, 0, 0]])      # nothing but padding
REAL = IDS != 0


def _embedding(dim=8, vocab=10):
    set_random_seed(0)
    return L.Embedding(vocab, dim, mask_zero=True, dtype="float64")


# ------------------------------------------------------------------ propagation through layers
def test_the_embedding_mask_passes_through_the_layers_that_keep_the_time_axis():
    x = _embedding()(IDS)
    np.testing.assert_array_equal(get_mask(x), REAL)
    for layer in (L.Dense(5, dtype="float64"), L.Dropout(0.5), L.LayerNormalization(dtype="float64"),
                  L.Activation("tanh"), L.ReLU(), L.Softmax(), L.PositionEmbedding(6, dtype="float64"),
                  L.SinusoidalPositionEncoding(dtype="float64")):
        y = layer(x, training=True)
        assert y is not x
        np.testing.assert_array_equal(get_mask(y), REAL, err_msg=type(layer).__name__)
        x = y
    assert get_mask(L.Embedding(10, 4)(IDS)) is None                  # mask_zero=False: no mask
    assert get_mask(L.Dense(3)(np.ones((2, 4)))) is None             # nothing to pass on


def test_sequential_passes_the_mask_to_its_output():
    model = snn.Sequential([L.Input(shape=(6,)), L.Embedding(10, 4, mask_zero=True), L.Dense(3)])
    out = model(IDS)
    np.testing.assert_array_equal(get_mask(out), REAL)


def test_a_layer_that_does_not_support_masking_drops_the_mask_with_a_warning():
    x = _embedding()(IDS)
    flatten = L.Flatten(name="flat")
    with pytest.warns(UserWarning, match=r"layer 'flat' \(Flatten\) got an input with a mask but does not "
                                         r"support masking"):
        out = flatten(x)
    assert get_mask(out) is None and out.shape == (4, 48)


class _Recorder(L.Layer):
    """Records the mask its ``call`` receives; passes it on (``supports_masking`` set in __init__)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = "never called"

    def call(self, inputs, mask=None, training=False):
        self.seen = mask
        return inputs * 2.0


class _LastStepsOnly(L.Layer):
    """Makes a new mask: only the last two time steps of each sequence count."""

    def call(self, inputs, training=False):
        return inputs + 0.0

    def compute_mask(self, inputs, previous_mask=None):
        mask = np.zeros(inputs.shape[:2], dtype=bool)
        mask[:, -2:] = True
        return mask if previous_mask is None else mask & previous_mask


def test_supports_masking_follows_keras_3():
    assert L.Layer().supports_masking is False                        # the default
    assert _LastStepsOnly().supports_masking is True                  # compute_mask overridden
    assert L.Embedding(5, 2).supports_masking is True
    assert L.Flatten().supports_masking is False and L.Dense(2).supports_masking is True
    dense = L.Dense(2)
    dense.supports_masking = False                                    # an instance can opt out
    assert dense.supports_masking is False and L.Dense(2).supports_masking is True
    assert _Recorder().supports_masking is True                       # set in __init__


def test_call_receives_the_mask_and_compute_mask_makes_the_output_mask():
    x = _embedding()(IDS)
    recorder = _Recorder()
    y = recorder(x)
    np.testing.assert_array_equal(recorder.seen, REAL)
    np.testing.assert_array_equal(get_mask(y), REAL)
    recorder(x.data)                                                  # no mask: call gets None
    assert recorder.seen is None
    explicit = np.ones_like(REAL)
    z = recorder(x, mask=explicit)                                    # an explicit mask wins
    assert recorder.seen is explicit
    np.testing.assert_array_equal(get_mask(z), explicit)
    last = _LastStepsOnly()(x)
    want = REAL.copy()
    want[:, :-2] = False
    np.testing.assert_array_equal(get_mask(last), want)
    assert get_mask(_LastStepsOnly()(x.data)).sum() == 8              # a new mask from nothing


def test_set_mask_carries_a_mask_across_plain_operations():
    emb, pos = _embedding(), L.PositionEmbedding(6, dtype="float64")
    x = emb(IDS)
    summed = x + pos(x)
    assert get_mask(summed) is None                                   # operations carry no mask
    assert set_mask(summed, get_mask(x)) is summed
    np.testing.assert_array_equal(get_mask(L.Dense(2)(summed)), REAL)


# ------------------------------------------------------------------ attention and transformers
def _mha(**kwargs):
    set_random_seed(1)
    return L.MultiHeadAttention(2, 4, dtype="float64", bias_initializer="random_normal", **kwargs)


def test_attention_takes_the_inputs_masks_as_its_query_and_value_masks():
    x = _embedding()(IDS)
    mha = _mha()
    implicit = mha(x, x)
    explicit = mha(x.data, x.data, query_mask=REAL, value_mask=REAL)
    np.testing.assert_array_equal(implicit.data, explicit.data)
    np.testing.assert_array_equal(get_mask(implicit), REAL)          # the query's mask
    assert get_mask(explicit) is None
    unmasked = mha(x.data, x.data)
    assert not np.allclose(unmasked.data[REAL], implicit.data[REAL])  # the padding mattered


def test_attention_with_a_separate_key_takes_the_key_mask():
    rng = np.random.default_rng(0)
    query = Tensor(rng.normal(size=(4, 3, 8)), dtype=np.float64)
    value = _embedding()(IDS)
    key = set_mask(Tensor(rng.normal(size=(4, 6, 8)), dtype=np.float64), np.roll(REAL, 1, axis=1))
    mha = _mha()
    implicit = mha(query, value, key)
    explicit = mha(query, value.data, key.data, value_mask=REAL, key_mask=np.roll(REAL, 1, axis=1))
    np.testing.assert_array_equal(implicit.data, explicit.data)
    assert get_mask(implicit) is None                                 # the query had none
    only_value = mha(query, value.data, key.data, value_mask=REAL)
    assert not np.allclose(only_value.data, implicit.data)


def test_explicit_masks_win_over_the_implicit_ones():
    x = _embedding()(IDS)
    mha = _mha()
    everything = np.ones_like(REAL)
    np.testing.assert_array_equal(mha(x, x, query_mask=everything, value_mask=everything).data,
                                  mha(x.data, x.data).data)


def _stack(dim=8):
    """Embedding(mask_zero) -> two encoder blocks -> Dense, float64 (no position embedding: the
    outputs at the real tokens must not depend on where the padding is)."""
    set_random_seed(2)
    return snn.Sequential([L.Embedding(10, dim, mask_zero=True, dtype="float64"),
                           L.TransformerEncoder(16, 2, dtype="float64"),
                           L.TransformerEncoder(16, 2, normalize_first=True, dtype="float64"),
                           L.Dense(3, dtype="float64")])


def test_the_encoder_uses_the_mask_as_its_padding_mask():
    x = _embedding()(IDS)
    set_random_seed(3)
    encoder = L.TransformerEncoder(16, 2, dtype="float64")
    implicit = encoder(x)
    explicit = encoder(x.data, padding_mask=REAL)
    assert_close(implicit.data[REAL], explicit.data[REAL], rtol=1e-12, what="real tokens")
    np.testing.assert_array_equal(get_mask(implicit), REAL)
    unmasked = encoder(x.data)
    assert not np.allclose(unmasked.data[REAL], implicit.data[REAL])


@pytest.mark.parametrize("with_encoder", [False, True])
def test_the_decoder_uses_the_masks_of_both_sequences(with_encoder):
    rng = np.random.default_rng(1)
    x = _embedding()(IDS)
    memory_mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 0, 0]], dtype=bool)
    memory = Tensor(rng.normal(size=(4, 3, 8)), dtype=np.float64)
    memory = set_mask(memory, memory_mask) if with_encoder else None
    set_random_seed(4)
    decoder = L.TransformerDecoder(16, 2, dtype="float64")
    implicit = decoder(x, memory)
    masks = {"decoder_padding_mask": REAL}
    if with_encoder:
        masks["encoder_padding_mask"] = memory_mask
    explicit = decoder(x.data, None if memory is None else memory.data, **masks)
    assert_close(implicit.data[REAL], explicit.data[REAL], rtol=1e-12, what="real tokens")
    np.testing.assert_array_equal(get_mask(implicit), REAL)


def test_padding_changes_nothing_at_the_real_tokens():
    """Neither the padding's embedding, nor what is stored at padded positions, nor how much
    padding follows changes a real token's output."""
    model = _stack()
    want = model(IDS).data
    table = model.layers[0].embeddings
    table.data[0] += np.random.default_rng(0).normal(scale=3.0, size=8)      # the padding's vector
    moved = model(IDS).data
    assert_close(moved[REAL], want[REAL], rtol=1e-12, what="padding row changed")
    assert not np.allclose(moved[~REAL], want[~REAL])
    x = model.layers[0](IDS)
    garbage = 50.0 * np.random.default_rng(1).normal(size=x.shape)
    noisy = set_mask(Tensor(np.where(REAL[..., None], x.data, garbage), dtype=np.float64), REAL)
    out = noisy
    for layer in model.layers[1:]:
        out = layer(out)
    assert_close(out.data[REAL], moved[REAL], rtol=1e-10, what="garbage at padded positions")
    longer = np.concatenate([IDS, np.zeros((4, 5), dtype=IDS.dtype)], axis=1)   # more padding
    assert_close(model(longer).data[:, :6][REAL], moved[REAL], rtol=1e-10, what="longer padding")


def test_a_sequence_of_nothing_but_padding_gives_finite_values_and_gradients():
    x = _embedding()(IDS)
    mha = _mha()
    out = mha(x, x)
    np.testing.assert_array_equal(out.data[3], np.broadcast_to(mha.output_bias.data, (6, 8)))
    model = _stack()
    for w in model.weights:
        w.requires_grad = True
    y = model(IDS, training=True)
    assert np.isfinite(y.data).all()
    y.sum().backward()
    for w in model.weights:
        assert w.grad is not None and np.isfinite(w.grad).all(), w.name


# ------------------------------------------------------------------ PyTorch
@requires_torch
def test_embedding_then_attention_equals_torch_with_a_key_padding_mask():
    """torch.nn.MultiheadAttention with key_padding_mask (True = ignore: the inverted mask), on the
    same embedded ids: equal outputs at the real tokens, and equal gradients of the embedding table
    and every weight for a loss on the real tokens (torch does not mask padded queries; their
    outputs are padding in both)."""
    rng = np.random.default_rng(5)
    emb, mha = _embedding(), _mha()
    x = emb(IDS[:3])                                                  # torch refuses a row of padding only
    real = REAL[:3]
    out = mha(x, x)
    r = rng.normal(size=out.shape) * real[..., None]
    (out * Tensor(r, dtype=np.float64)).sum().backward()

    wq, bq, wk, bk, wv, bv, wo, bo = mha.get_weights()
    module = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    with torch.no_grad():
        module.in_proj_weight.copy_(torch.tensor(np.concatenate([w.reshape(8, 8).T for w in (wq, wk, wv)])))
        module.in_proj_bias.copy_(torch.tensor(np.concatenate([b.reshape(8) for b in (bq, bk, bv)])))
        module.out_proj.weight.copy_(torch.tensor(wo.reshape(8, 8).T))
        module.out_proj.bias.copy_(torch.tensor(bo))
    table = torch.tensor(emb.embeddings.data, requires_grad=True)
    xt = table[torch.tensor(IDS[:3])]
    out_t, _ = module(xt, xt, xt, key_padding_mask=torch.tensor(~real))
    (out_t * torch.tensor(r)).sum().backward()
    assert_close(out.data[real], out_t.detach().numpy()[real], what="outputs at the real tokens")
    assert_close(emb.embeddings.grad, table.grad.numpy(), what="embedding table gradient")
    d = 8
    gw = module.in_proj_weight.grad.numpy()
    assert_close(mha.query_kernel.grad, gw[:d].T.reshape(8, 2, 4), what="query kernel gradient")
    assert_close(mha.value_kernel.grad, gw[2 * d:].T.reshape(8, 2, 4), what="value kernel gradient")
    assert_close(mha.output_kernel.grad, module.out_proj.weight.grad.numpy().T.reshape(2, 4, 8),
                 what="output kernel gradient")


# ------------------------------------------------------------------ training
def _majority_task(rng, n=320, t=8):
    """Tokens 1 and 2 in sequences of 2 to t real tokens, then padding (id 0). The label at every
    real position is 1 when the sequence holds more 2s than 1s, else 0; the labels at padded
    positions are random (the loss must ignore them)."""
    lengths = rng.integers(2, t + 1, size=n)
    ids = rng.integers(1, 3, size=(n, t))
    real = np.arange(t) < lengths[:, None]
    ids = np.where(real, ids, 0)
    more_twos = ((ids == 2).sum(1) > (ids == 1).sum(1)).astype(np.int64)
    labels = np.where(real, more_twos[:, None], rng.integers(0, 2, size=(n, t)))
    return ids, labels, real


def _encoder_model():
    set_random_seed(0)
    model = snn.Sequential([L.Input(shape=(8,)), L.Embedding(3, 8, mask_zero=True),
                            L.TransformerEncoder(16, 2), L.Dense(2)])
    model.compile(snn.optimizers.Adam(0.01), snn.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_a_transformer_encoder_trains_on_padded_sequences_and_ignores_the_padding_labels(rng):
    ids, labels, real = _majority_task(rng)
    model = _encoder_model()
    history = model.fit(ids, labels, epochs=12, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    test_ids, test_labels, test_real = _majority_task(np.random.default_rng(99), n=200)
    predicted = model.predict(test_ids, verbose=0).argmax(-1)
    assert (predicted == test_labels)[test_real].mean() > 0.9
    # the loss (of one batch) is that of the real positions alone (an explicit computation) ...
    logits = model.predict(test_ids, verbose=0).astype(np.float64)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    per_token = -np.take_along_axis(log_p, test_labels[..., None], -1)[..., 0]
    loss = model.evaluate(test_ids, test_labels, batch_size=200, verbose=0)
    assert loss == pytest.approx(per_token[test_real].mean(), rel=1e-4, abs=1e-6)     # float32 values
    assert per_token.mean() > 10 * loss                                 # the padding's labels are random
    # ... so other labels at the padded positions train exactly the same weights
    other = np.where(real, labels, 1 - labels)
    twin = _encoder_model()
    twin.fit(ids, other, epochs=2, batch_size=32, verbose=0)
    first = _encoder_model()
    first.fit(ids, labels, epochs=2, batch_size=32, verbose=0)
    for a, b in zip(first.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_metrics_count_only_the_real_time_steps(rng):
    """Keras's metrics read the output's mask: accuracy over the real tokens alone, here where the
    padding's labels are random (counting them would pull accuracy towards 50%)."""
    ids, labels, real = _majority_task(rng)
    model = _encoder_model()
    model.compile(snn.optimizers.Adam(0.01), snn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    model.fit(ids, labels, epochs=3, batch_size=32, verbose=0)
    test_ids, test_labels, test_real = _majority_task(np.random.default_rng(7), n=200)
    right = model.predict(test_ids, verbose=0).argmax(-1) == test_labels
    weights = np.linspace(0.5, 2.0, 200)
    logs = model.evaluate(test_ids, test_labels, batch_size=64, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(right[test_real].mean(), abs=1e-6)
    assert abs(logs["accuracy"] - right.mean()) > 0.02              # the padding would have counted
    logs = model.evaluate(test_ids, test_labels, sample_weight=weights, batch_size=64, verbose=0,
                          return_dict=True)
    w = weights[:, None] * test_real
    assert logs["weighted_accuracy"] == pytest.approx((right * w).sum() / w.sum(), abs=1e-6)
    assert logs["accuracy"] == pytest.approx(right[test_real].mean(), abs=1e-6)
    batch = model.test_on_batch(test_ids, test_labels, return_dict=True)
    assert batch["accuracy"] == pytest.approx(right[test_real].mean(), abs=1e-6)


def test_a_layer_that_splits_its_input_gives_each_output_its_own_mask():
    """keras.io's masking guide: ``compute_mask`` returning ``ops.split(mask, 2, axis=1)``."""
    from scratchnn import keras
    from scratchnn.keras import ops

    class TemporalSplit(keras.layers.Layer):
        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else ops.split(mask, 2, axis=1)

    ids = np.array([[5, 3, 0, 0], [7, 0, 0, 0]])
    embedded = keras.layers.Embedding(10, 3, mask_zero=True)(ids)
    first, second = TemporalSplit()(embedded)
    np.testing.assert_array_equal(get_mask(first), [[True, True], [True, False]])
    np.testing.assert_array_equal(get_mask(second), [[False, False], [False, False]])
