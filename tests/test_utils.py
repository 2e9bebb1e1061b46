"""``scratchnn/utils.py``: ``to_categorical`` (against NumPy and scikit-learn) and
``set_random_seed``.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.utils import format_percent, set_random_seed, to_categorical


# ======================================================================== utils
def test_to_categorical_values():
    out = to_categorical([0, 2, 1, 2])
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])
    assert out.dtype == np.float32
    assert to_categorical([1, 0], num_classes=4).shape == (2, 4)
    np.testing.assert_array_equal(to_categorical([1, 0], num_classes=4), np.eye(4)[[1, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([[2], [0]])), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 3.0])), np.eye(4)[[1, 3]])
    assert to_categorical([1, 2], dtype="int32").dtype == np.int32
    assert to_categorical(np.array([[0, 1], [2, 1]])).shape == (2, 2, 3)


def test_to_categorical_matches_numpy_and_sklearn(rng):
    y = rng.integers(0, 10, size=500)
    np.testing.assert_array_equal(to_categorical(y, 10), np.eye(10, dtype=np.float32)[y])
    sk = pytest.importorskip("sklearn.preprocessing")
    enc = sk.OneHotEncoder(categories=[list(range(10))], sparse_output=False)
    np.testing.assert_array_equal(to_categorical(y.reshape(-1, 1), 10), enc.fit_transform(y.reshape(-1, 1)))


@pytest.mark.parametrize("labels, kwargs", [([0, -1, 2], {}), ([0, 3], {"num_classes": 3}),
                                            ([0.5, 1.0], {}), (["a", "b"], {})])
def test_to_categorical_bad_labels_raise(labels, kwargs):
    with pytest.raises(ValueError):
        to_categorical(np.array(labels), **kwargs)


def test_set_random_seed_makes_dense_weights_repeatable():
    def weights(seed):
        set_random_seed(seed)
        model = snn.Sequential([L.Dense(5, activation="relu"), L.Dense(2)])
        model(np.zeros((1, 3)))
        return [w.data.copy() for w in model.weights]

    first, second, other = weights(0), weights(0), weights(1)
    assert len(first) == 4
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    with pytest.raises(ValueError):
        set_random_seed(-1)


@pytest.mark.parametrize("fraction, decimals, text", [
    (0.996, 0, "99.6%"), (0.9996, 1, "99.96%"), (1.0, 0, "100%"), (1.0, 1, "100.0%"),
    (0.5, 0, "50%"), (0.62, 1, "62.0%"), (0.99999999, 0, "99.9999%"), (0.004, 0, "<1%"),
    (0.0004, 1, "<0.1%"), (0.0, 1, "0.0%"), (0.994, 0, "99%"), (float("nan"), 0, "nan%"),
])
def test_format_percent_never_rounds_to_a_certainty_that_is_not_there(fraction, decimals, text):
    # 0.996 was written "100%" under a picture the model was 99.6% sure of
    assert format_percent(fraction, decimals) == text
    assert format_percent(np.float32(fraction), decimals) == format_percent(float(np.float32(fraction)),
                                                                             decimals)
