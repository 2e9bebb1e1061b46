"""``keras.random``: seeds as in Keras 3 (int: the same numbers each call; SeedGenerator: a stream)."""
import numpy as np
import pytest

from scratchnn import keras
from scratchnn.utils import set_random_seed


def test_an_int_seed_repeats_and_a_seed_generator_advances():
    a = keras.random.normal((3, 4), seed=7)
    np.testing.assert_array_equal(a.data, keras.random.normal((3, 4), seed=7).data)
    assert a.dtype == np.float32
    gen = keras.random.SeedGenerator(1337)
    first, second = keras.random.uniform((5,), seed=gen), keras.random.uniform((5,), seed=gen)
    assert not np.array_equal(first.data, second.data)
    again = keras.random.SeedGenerator(1337)
    np.testing.assert_array_equal(keras.random.uniform((5,), seed=again).data, first.data)
    set_random_seed(3)
    x = keras.random.normal((4,))
    set_random_seed(3)
    np.testing.assert_array_equal(keras.random.normal((4,)).data, x.data)


def test_the_distributions_and_their_ranges():
    u = keras.random.uniform((20000,), minval=2.0, maxval=3.0, seed=0).data
    assert 2.0 <= u.min() and u.max() < 3.0 and abs(u.mean() - 2.5) < 0.01
    t = keras.random.truncated_normal((20000,), stddev=2.0, seed=0).data
    assert np.abs(t).max() <= 4.0 and 1.5 < t.std() < 1.8           # cut at two standard deviations
    r = keras.random.randint((1000,), 3, 6, seed=0).data
    assert set(np.unique(r)) == {3, 4, 5} and r.dtype == np.int32
    c = keras.random.categorical(np.log([[0.0001, 0.9998, 0.0001]]), 500, seed=0).data
    assert c.shape == (1, 500) and (c == 1).mean() > 0.99


def test_dropout_is_inverted():
    x = keras.ops.ones((200, 50))
    y = keras.random.dropout(x, rate=0.5, seed=keras.random.SeedGenerator(0))
    values = np.unique(y.data)
    assert set(values) <= {0.0, 2.0} and abs((y.data == 0).mean() - 0.5) < 0.05
    with pytest.raises(ValueError, match="seed must be None, an int or a SeedGenerator"):
        keras.random.normal((2,), seed="x")
