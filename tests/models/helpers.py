"""Small data and models shared by the tests of ``scratchnn.models`` and of the training
callbacks. Models are made repeatable by seeding scratchnn's global generator before they are
built; two models meant to start from the same point get the same weights with ``set_weights``.
"""
import numpy as np

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.layers import Dense
from scratchnn.optimizers import schedules
from scratchnn.utils import set_random_seed


# ----------------------------------------------------------------------------- small problems
def blobs(n=60, n_in=4, k=3, seed=0, spread=0.6):
    """``n`` points in ``k`` Gaussian blobs: x float32 (n, n_in), integer labels (n,)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 2.0, (k, n_in))
    y = np.arange(n) % k
    x = centers[y] + rng.normal(0, spread, (n, n_in))
    return x.astype(np.float32), y


def mlp(n_in=4, hidden=8, n_out=3, out="softmax", seed=0, **dense_kwargs):
    """A built ``n_in``-``hidden``-``n_out`` MLP (relu hidden layer), seeded."""
    set_random_seed(seed)
    return snn.Sequential([Dense(hidden, activation="relu", input_shape=(n_in,), **dense_kwargs),
                           Dense(n_out, activation=out, **dense_kwargs)])


def twin(model, make):
    """A second model from ``make()`` with ``model``'s current weights."""
    other = make()
    other.set_weights(model.get_weights())
    return other


def weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb))


def assert_weights_close(a, b, rtol=1e-6, atol=1e-7):
    wa = a.get_weights() if hasattr(a, "get_weights") else a
    wb = b.get_weights() if hasattr(b, "get_weights") else b
    assert len(wa) == len(wb)
    for i, (u, v) in enumerate(zip(wa, wb)):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol, err_msg=f"weight {i}")


def state(model):
    """Everything a failing call must leave alone: weight values and every ``built`` flag."""
    return ([w.data.copy() for w in model.weights],
            [model.built] + [layer.built for layer in model.layers])


def assert_unchanged(model, before):
    weights, built = state(model)
    assert built == before[1], "a failing call changed the built state"
    assert len(weights) == len(before[0]), "a failing call created or removed weights"
    for w, w0 in zip(weights, before[0]):
        np.testing.assert_array_equal(w, w0)


def compiled_mlp(built=True, metrics=None):
    if built:
        model = mlp()
    else:
        set_random_seed(0)
        model = snn.Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics)
    return model


# ----------------------------------------------------------------------------- a seeded classifier with a
# learning-rate schedule, and a model that diverges (determinism, checkpoints, NaN, Ctrl-C)
def training_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1)
    return x, y


def training_model(seed=3):
    snn.utils.set_random_seed(seed)
    model = snn.Sequential([L.Input((8,)), L.Dense(16, activation="relu"), L.Dropout(0.3),
                            L.Dense(3, activation="softmax")])
    lr = schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.9)
    model.compile(optimizer=snn.optimizers.Adam(learning_rate=lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


FIT = dict(epochs=6, batch_size=16, validation_split=0.2, verbose=0)


def diverging_model():
    snn.utils.set_random_seed(0)
    model = snn.Sequential([L.Input((8,)), L.Dense(1)])
    model.compile(optimizer=snn.optimizers.SGD(learning_rate=1e6), loss="mse")
    x, _ = training_data()
    return model, x, (x[:, :1] * 1e3)
