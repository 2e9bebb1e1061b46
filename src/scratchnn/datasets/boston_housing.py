"""Boston housing prices (Harrison and Rubinfeld, 1978; StatLib), as
``keras.datasets.boston_housing``: 506 districts, 13 features, the median home value in k$.

    from scratchnn.datasets import boston_housing
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()   # 404 and 102 rows

One of the features, "B", was built from the share of Black residents on the assumption that
segregation affects prices: the data set is best kept for teaching what such a variable does.
Keras's file ``boston_housing.npz``, fetched and checked as ``imdb`` describes (mirror layout
``<mirror>/boston_housing/boston_housing.npz``); it holds plain arrays (no pickle).
"""
import numpy as np

from ._registry import BOSTON_HOUSING
from .safe_pickle import load_npz
from .word_sequences import fetch_file

__all__ = ["load_data"]


def load_data(path="boston_housing.npz", test_split=0.2, seed=113, verbose=True):
    """``(x_train, y_train), (x_test, y_test)``: float64 arrays of shapes (n, 13) and (n,).

    The rows are shuffled with ``np.random.RandomState(seed)``; the first
    ``int(506 * (1 - test_split))`` are the training split (Keras's rule)."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ValueError("boston_housing.load_data: `test_split` must be a number in [0, 1), "
                         f"got {test_split!r}.")
    arrays = load_npz(fetch_file("boston_housing", BOSTON_HOUSING, verbose=verbose),
                      what=f"boston_housing/{BOSTON_HOUSING}")
    x, y = arrays["x"], arrays["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
