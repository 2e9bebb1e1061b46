"""The models and helpers the text lessons share (``scratchnn/lab/_language.py``): the causal
transformer sees no future token, its attention maps are causal softmax weights, the windows are
the text shifted by one, and the validation loss is the library's cross-entropy.
"""
import numpy as np
import pytest

from scratchnn import losses
from scratchnn.autograd import Tensor
from scratchnn.lab._language import (CausalTransformer, causal_mask, compile_language_model, cross_entropy,
                                     validation_curve, windows)
from scratchnn.utils import set_random_seed


@pytest.fixture
def model():
    set_random_seed(0)
    m = CausalTransformer(7, 6, dim=8, num_heads=2, num_layers=2)
    m.ensure_built((6,))
    return m


def test_causal_mask_lets_each_position_see_itself_and_the_past():
    mask = causal_mask(2, 4)
    assert mask.shape == (2, 4, 4)
    np.testing.assert_array_equal(mask[1], np.tril(np.ones((4, 4), dtype=bool)))


def test_no_position_sees_a_later_token(model):
    ids = np.array([[1, 2, 3, 4, 5, 6]])
    changed = ids.copy()
    changed[0, 3] = 0
    before, after = model.logits(ids), model.logits(changed)
    np.testing.assert_array_equal(before[:, :3], after[:, :3])        # positions 0..2 cannot see position 3
    assert not np.allclose(before[:, 3:], after[:, 3:])


def test_positions_matter_only_with_a_position_embedding():
    set_random_seed(0)
    with_positions = CausalTransformer(5, 4, dim=8, num_heads=1, num_layers=1)
    set_random_seed(0)
    without = CausalTransformer(5, 4, dim=8, num_heads=1, num_layers=1, positions=False)
    repeated = np.array([[2, 2, 2, 2]])
    # Without positions, every position of a repeated token has the same keys, queries and values.
    logits = without.logits(repeated)[0]
    np.testing.assert_allclose(logits, np.broadcast_to(logits[0], logits.shape), rtol=1e-5, atol=1e-6)
    logits = with_positions.logits(repeated)[0]
    assert not np.allclose(logits, np.broadcast_to(logits[0], logits.shape), atol=1e-4)
    assert len(without.weights) == len(with_positions.weights) - 1


def test_attention_scores_are_causal_softmax_weights(model):
    scores = model.attention_scores(np.array([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]]))
    assert len(scores) == 2 and all(s.shape == (2, 2, 6, 6) for s in scores)
    for s in scores:
        np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-5)
        assert np.all(s[..., np.triu_indices(6, k=1)[0], np.triu_indices(6, k=1)[1]] == 0)
        assert np.all(s[..., 0, 0] == pytest.approx(1.0))                # the first token sees only itself


def test_answer_start_returns_the_answer_positions_only():
    set_random_seed(0)
    m = CausalTransformer(7, 6, dim=8, num_heads=2, num_layers=1, answer_start=4)
    ids = np.array([[1, 2, 3, 4, 5, 6]])
    out = m(ids).data
    assert out.shape == (1, 2, 7)
    np.testing.assert_array_equal(out, m.logits(ids)[:, 4:])


def test_windows_are_the_text_and_its_next_tokens():
    ids = np.arange(100) * 3
    x, y = windows(ids, 8, 50, np.random.default_rng(0))
    assert x.shape == y.shape == (50, 8)
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:])
    np.testing.assert_array_equal(np.diff(x, axis=1), 3)                 # consecutive tokens of the text
    assert y.max() <= ids[-1] and x.min() >= 0
    x, y = windows(ids, 99, 20, np.random.default_rng(1))                # the only window that fits
    np.testing.assert_array_equal(x[0], ids[:99])
    np.testing.assert_array_equal(y[0], ids[1:])


def test_cross_entropy_is_the_library_loss(model):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 7, size=(10, 6)), rng.integers(0, 7, size=(10, 6))
    expected = losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(Tensor(x))).item()
    assert cross_entropy(model, x, y, batch_size=3) == pytest.approx(expected, rel=1e-5)


def test_validation_curve_records_every_few_steps_and_the_last(model):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 7, size=(40, 6)), rng.integers(0, 7, size=(40, 6))
    compile_language_model(model, 1e-2)
    values = []
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0,
              callbacks=[validation_curve(model, x[:8], y[:8], 3, 10, values)])
    assert [s for s, _ in values] == [3, 6, 9, 10]
    assert values[-1][1] == pytest.approx(cross_entropy(model, x[:8], y[:8]))
