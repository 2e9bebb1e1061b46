"""``boston_housing.load_data`` on a small file of the published format: Keras's shuffle and split."""
import io

import numpy as np
import pytest

from scratchnn.datasets import boston_housing


@pytest.fixture
def small_boston(keras_mirror):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(31, 13)), rng.uniform(5, 50, 31)
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y)
    keras_mirror("boston_housing", {"boston_housing.npz": buffer.getvalue()})
    return x, y


@pytest.mark.parametrize("test_split, seed", [(0.2, 113), (0.5, 7), (0.0, 113)])
def test_shuffle_and_split_as_keras(small_boston, test_split, seed):
    x, y = small_boston
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=test_split, seed=seed,
                                                                    verbose=False)
    order = np.arange(31)
    np.random.RandomState(seed).shuffle(order)
    cut = int(31 * (1 - test_split))
    assert len(x_train) == cut and x_test.shape == (31 - cut, 13)
    np.testing.assert_array_equal(x_train, x[order][:cut])
    np.testing.assert_array_equal(y_test, y[order][cut:])
    np.testing.assert_array_equal(y_train, y[order][:cut])


def test_bad_test_split(small_boston):
    with pytest.raises(ValueError, match=r"`test_split` must be a number in \[0, 1\), got 1.5"):
        boston_housing.load_data(test_split=1.5, verbose=False)
