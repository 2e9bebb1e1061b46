"""``scratchnn.random``: the library's one random generator, and how tools leave it alone.

* ``set_seed(seed)`` replaces the global generator and reseeds NumPy's legacy global state;
* ``get_state()`` / ``set_state(state)`` put back which generator is global, its position and the
  legacy state, even after ``set_seed``; ``preserved()`` does it around a block, even on error;
* ``using(rng)`` makes the library draw from ``rng`` inside a block (initializers, dropout, ...).
"""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn import initializers
from scratchnn import random as snn_random

pytestmark = pytest.mark.usefixtures("restore_global_rng")


def next_draws():
    """What the global generator and NumPy's legacy state give next (consumes them)."""
    return snn_random.generator().random(4).tolist(), np.random.rand(2).tolist()


def test_set_seed_makes_both_sequences_repeatable():
    snn_random.set_seed(5)
    first = next_draws()
    snn_random.set_seed(5)
    assert next_draws() == first
    assert first[0] == np.random.default_rng(5).random(4).tolist()
    assert first[1] == np.random.RandomState(5).rand(2).tolist()


def test_set_state_restores_after_set_seed_replaced_the_generator():
    snn_random.set_seed(1)
    snn_random.generator().random(3)                      # somewhere in the middle of its sequence
    original = snn_random.generator()
    state = snn_random.get_state()
    expected = next_draws()
    snn_random.set_seed(2)
    assert snn_random.generator() is not original
    next_draws()
    snn_random.set_state(state)
    assert snn_random.generator() is original
    assert next_draws() == expected
    snn_random.set_state(state)                           # a state can be put back again
    assert next_draws() == expected


def test_preserved_restores_the_state_even_when_the_block_raises():
    state = snn_random.get_state()
    expected = next_draws()
    snn_random.set_state(state)
    with pytest.raises(ValueError, match="inside"):
        with snn_random.preserved():
            next_draws()
            snn_random.set_seed(99)
            next_draws()
            raise ValueError("inside")
    assert snn_random.generator() is state.generator
    assert next_draws() == expected


def test_using_makes_the_library_draw_from_the_given_generator():
    before = snn_random.generator()
    position = before.bit_generator.state
    init = initializers.GlorotUniform()                  # unseeded: draws from the library's generator
    results = []
    for _ in range(2):
        rng = np.random.default_rng(8)
        with snn_random.using(rng) as inside:
            assert inside is rng and snn_random.generator() is rng
            weights = init((3, 4))
            mask = F.dropout(np.ones((2, 50), dtype=np.float32), 0.5).data
        assert rng.bit_generator.state != np.random.default_rng(8).bit_generator.state   # it was drawn from
        results.append((weights, mask))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert set(np.unique(results[0][1])) == {0.0, 2.0}
    assert snn_random.generator() is before and before.bit_generator.state == position   # untouched


def test_using_puts_the_previous_generator_back_on_error():
    before = snn_random.generator()
    with pytest.raises(KeyError):
        with snn_random.using(np.random.default_rng(0)):
            raise KeyError("inside")
    assert snn_random.generator() is before


@pytest.mark.parametrize("not_a_generator", [np.random.RandomState(0), 42, None])
def test_using_refuses_anything_but_a_generator(not_a_generator):
    before = snn_random.generator()
    with pytest.raises(TypeError, match=r"using\(\): expected a numpy.random.Generator, got "
                                        + type(not_a_generator).__name__):
        with snn_random.using(not_a_generator):
            pass
    assert snn_random.generator() is before


def test_make_rng_gives_a_seeded_objects_own_generator_else_the_global_one():
    assert snn_random.make_rng(None) is snn_random.generator()
    own = snn_random.make_rng(4)
    assert own is not snn_random.generator()
    assert own.random(3).tolist() == snn_random.make_rng(4).random(3).tolist()
