"""Small data and models shared by the tests of ``scratchnn.inspect`` (and of its figures in
``tests/plot/test_training.py``).
"""
import warnings

import numpy as np

import scratchnn as snn
from scratchnn import layers


# ------------------------------------------------------------------ helpers
def blobs(n=200, d=10, k=3, seed=0, noise=1.0):
    """k Gaussian clusters in d dimensions (float32 inputs, integer labels)."""
    r = np.random.default_rng(seed)
    centres = r.normal(0, 3, (k, d))
    y = r.integers(0, k, n)
    return (centres[y] + noise * r.normal(size=(n, d))).astype(np.float32), y


def mlp(d=10, hidden=(16, 8), k=3, activation="relu", seed=0, **dense_kwargs):
    snn.utils.set_random_seed(seed)
    stack = [layers.Input((d,))] + [layers.Dense(h, activation=activation, **dense_kwargs) for h in hidden]
    return snn.Sequential(stack + [layers.Dense(k, activation="softmax")])


def compiled(model, optimizer="adam"):
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def quiet_fit(model, x, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(x, y, verbose=0, **kwargs)


def numpy_forward(model, x):
    """The MLP's layer outputs computed by hand: relu(x W + b), ..., softmax(x W + b)."""
    outs, a = [], x.astype(np.float64)
    for layer in model.layers:
        z = a @ layer.kernel.data.astype(np.float64) + layer.bias.data
        if layer is model.layers[-1]:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = np.maximum(z, 0)
        outs.append(a)
    return outs


def kernel_sizes(model):
    return [layer.kernel.data.size for layer in model.layers]


def axes_by_gid(fig):
    return {ax.get_gid(): ax for ax in fig.axes if ax.get_gid()}
