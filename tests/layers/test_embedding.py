"""``Embedding`` (``scratchnn/layers/embedding.py``): Keras's defaults and weight, any id shape
and length, the padding mask, errors that name the layer, training in a model, save and load.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import initializers as I
from scratchnn import layers as L
from scratchnn.autograd import Tensor
from scratchnn.models import load_model
from scratchnn.utils import set_random_seed

from tests.helpers import assert_config_round_trip


def test_defaults_are_keras_and_the_weight_is_the_table():
    set_random_seed(0)
    layer = L.Embedding(100, 16)
    assert isinstance(layer.embeddings_initializer, I.RandomUniform)
    assert (layer.embeddings_initializer.minval, layer.embeddings_initializer.maxval) == (-0.05, 0.05)
    assert layer.mask_zero is False and layer.compute_mask(np.array([[0, 1]])) is None
    out = layer(np.array([[3, 0, 99]]))
    assert out.shape == (1, 3, 16) and out.dtype == np.float32
    assert [w.name for w in layer.weights] == [f"{layer.name}/embeddings"]
    table = layer.embeddings.data
    assert table.shape == (100, 16) and np.abs(table).max() <= 0.05 and table.std() > 0.02
    assert layer.count_params() == 1600
    np.testing.assert_array_equal(out.data[0], table[[3, 0, 99]])


def test_sequences_of_any_length_and_rank(rng):
    layer = L.Embedding(10, 4)
    assert layer(rng.integers(0, 10, size=(2, 5))).shape == (2, 5, 4)
    assert layer(rng.integers(0, 10, size=(3, 7))).shape == (3, 7, 4)      # another length
    assert layer(rng.integers(0, 10, size=(2, 3, 2))).shape == (2, 3, 2, 4)
    assert layer.compute_output_shape((None, 7)) == (None, 7, 4)


def test_mask_zero_marks_padding(rng):
    layer = L.Embedding(10, 4, mask_zero=True)
    ids = np.array([[5, 2, 0, 0], [1, 0, 3, 0]])
    mask = layer.compute_mask(ids)
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, ids != 0)
    np.testing.assert_array_equal(layer.compute_mask(ids.astype(np.float32)), ids != 0)


@pytest.mark.parametrize("ids, match", [
    (np.array([[1, 12]]), r"Embedding 'words': token id 12 is outside the vocabulary of 10 tokens"),
    (np.array([[-3, 1]]), r"Embedding 'words': token id -3 is outside the vocabulary of 10"),
    (np.array([[1.5, 2.0]]), r"Embedding 'words': token ids must be whole numbers, got 1.5"),
])
def test_bad_ids_name_the_layer_the_id_and_the_vocabulary_and_build_nothing(ids, match):
    layer = L.Embedding(10, 4, name="words")
    with pytest.raises(ValueError, match=match):
        layer(ids)
    assert not layer.built and layer.weights == []
    layer(np.array([[1, 2]]))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=match):
        layer(ids)
    np.testing.assert_array_equal(layer.get_weights()[0], before[0])


@pytest.mark.parametrize("args, match", [((0, 4), "input_dim must be a positive integer, got 0"),
                                         ((10, 2.5), "output_dim must be a positive integer, got 2.5")])
def test_bad_sizes_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        L.Embedding(*args)


def test_config_round_trip(rng):
    layer = L.Embedding(12, 3, mask_zero=True, embeddings_regularizer="l2")
    assert_config_round_trip(layer, rng.integers(0, 12, size=(2, 5)))


def _token_task(rng, n=256, vocab=20, length=6):
    """Label 1 when token 1 occurs in the sequence; tokens 15..19 never occur."""
    x = rng.integers(0, 15, size=(n, length))
    y = (x == 1).any(axis=1).astype(np.int64)
    return x, y


def _model(vocab=20, length=6):
    return snn.Sequential([L.Input(shape=(length,)), L.Embedding(vocab, 4), L.Flatten(),
                           L.Dense(2, activation="softmax")])


def test_fit_learns_through_the_embedding_and_unused_rows_stay(rng):
    x, y = _token_task(rng)
    set_random_seed(0)
    model = _model()
    table0 = model.layers[0].embeddings.data.copy()
    model.compile(snn.optimizers.SGD(0.5), "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    table = model.layers[0].embeddings.data
    np.testing.assert_array_equal(table[15:], table0[15:])     # never looked up: no gradient
    assert not np.array_equal(table[1], table0[1])


def test_save_and_load_round_trip(rng, tmp_path):
    x, y = _token_task(rng, n=64)
    set_random_seed(0)
    model = _model()
    model.compile(snn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "e.scratchnn")
    loaded = load_model(tmp_path / "e.scratchnn")
    assert type(loaded.layers[0]) is L.Embedding
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ============================================================ positions
def test_position_embedding_gives_the_rows_of_the_positions(rng):
    layer = L.PositionEmbedding(6, dtype="float64")
    x = Tensor(rng.normal(size=(3, 4, 5)), dtype=np.float64)
    out = layer(x)
    table = layer.position_embeddings.data
    assert table.shape == (6, 5) and layer.count_params() == 30
    assert out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out.data, np.broadcast_to(table[:4], (3, 4, 5)))
    np.testing.assert_array_equal(layer(x[:, :2], start_index=3).data[1], table[3:5])
    r = rng.normal(size=(3, 4, 5))
    (layer(x) * Tensor(r, dtype=np.float64)).sum().backward()
    want = np.zeros((6, 5))
    want[:4] = r.sum(axis=0)                                        # summed over the batch
    np.testing.assert_allclose(layer.position_embeddings.grad, want, rtol=1e-12)


def test_position_embedding_too_long_names_both_lengths_and_builds_nothing():
    layer = L.PositionEmbedding(5, name="pos")
    with pytest.raises(ValueError, match=r"'pos': a sequence of length 7 \(from position 0\) is longer than "
                                         r"the layer's sequence_length 5"):
        layer(np.zeros((2, 7, 3)))
    assert not layer.built and layer.weights == []
    layer(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"length 3 \(from position 3\) is longer than .* sequence_length 5"):
        layer(np.zeros((2, 3, 3)), start_index=3)
    with pytest.raises(ValueError, match=r"expects inputs \(\.\.\., sequence, 3\), got shape \(2, 4, 4\)"):
        layer(np.zeros((2, 4, 4)))


def test_sinusoidal_encoding_is_the_formula_of_attention_is_all_you_need():
    layer = L.SinusoidalPositionEncoding(dtype="float64")
    out = layer(np.zeros((2, 7, 6))).data
    p, i = np.arange(7)[:, None], np.arange(6)[None, :]
    for k in range(3):                                               # features 2k (sin) and 2k + 1 (cos)
        angle = p[:, 0] / 10000 ** (2 * k / 6)
        np.testing.assert_allclose(out[1, :, 2 * k], np.sin(angle), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(out[0, :, 2 * k + 1], np.cos(angle), rtol=1e-12, atol=1e-15)
    assert layer.weights == [] and i.shape == (1, 6)
    shifted = layer(np.zeros((1, 3, 6)), start_index=4).data[0]
    np.testing.assert_allclose(shifted, out[0, 4:7], rtol=1e-12, atol=1e-15)
    assert L.SinePositionEncoding is L.SinusoidalPositionEncoding
    assert L.SinusoidalPositionEncoding(max_wavelength=100).get_config()["max_wavelength"] == 100


def test_token_and_position_embeddings_train_in_a_model(rng):
    x, y = _token_task(rng)
    set_random_seed(0)

    class Embed(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tokens, self.positions = L.Embedding(20, 4), L.PositionEmbedding(6)

        def call(self, inputs, training=False):
            t = self.tokens(inputs)
            return t + self.positions(t)

    model = snn.Sequential([L.Input(shape=(6,)), Embed(), L.Flatten(), L.Dense(2, activation="softmax")])
    before = model.get_weights()
    assert [w.shape for w in before] == [(20, 4), (6, 4), (24, 2), (2,)]
    model.compile(snn.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert not np.array_equal(model.get_weights()[1], before[1])
