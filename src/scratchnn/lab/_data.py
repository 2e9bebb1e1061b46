"""Data the experiments share: MNIST subsets as float32 in [0, 1], cached for the session."""
import functools

import numpy as np

from .. import datasets


@functools.lru_cache(maxsize=2)
def _mnist(name):
    module = getattr(datasets, name)
    (x_train, y_train), (x_test, y_test) = module.load_data(verbose=False)
    return x_train, y_train, x_test, y_test


def mnist(n_train=None, n_test=None, seed=0, flatten=True, name="mnist"):
    """``(x_train, y_train), (x_test, y_test)``: a random ``n_train`` / ``n_test`` subset (all when
    None) of MNIST (or ``name='fashion_mnist'``), pixels scaled to [0, 1] as float32, images
    flattened to 784 values (``flatten=False``: shape (28, 28, 1))."""
    x_train, y_train, x_test, y_test = _mnist(name)
    rng = np.random.default_rng(seed)

    def subset(x, y, n):
        if n is not None and n < len(x):
            idx = np.sort(rng.choice(len(x), size=n, replace=False))
            x, y = x[idx], y[idx]
        x = x.astype(np.float32) / 255.0
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 28, 28, 1)
        return x, y.astype(np.int64)

    return subset(x_train, y_train, n_train), subset(x_test, y_test, n_test)
