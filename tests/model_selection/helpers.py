"""Data, model-building functions and scorers shared by the model_selection tests (module
level: picklable, for ``n_jobs > 1``). ``CALLS`` records the builds; ``conftest.py`` clears it.

Tiny MLPs, one or two epochs: the point is the bookkeeping, not the accuracy.
"""
import threading

import numpy as np

import scratchnn as snn
from scratchnn import layers
from scratchnn.datasets import load_breast_cancer, load_diabetes, load_iris


def _standardized(x):
    return ((x - x.mean(axis=0)) / x.std(axis=0)).astype(np.float32)


_BC = load_breast_cancer()
# Every second row: 285 samples (both classes), enough for 2-3 folds and fast.
X_BC, Y_BC = _standardized(_BC.x)[::2], _BC.y[::2]
_IRIS = load_iris()
X_IRIS, Y_IRIS = _standardized(_IRIS.x), _IRIS.y
_DIA = load_diabetes()
X_DIA = _standardized(_DIA.x)
Y_DIA = ((_DIA.y - _DIA.y.mean()) / _DIA.y.std()).astype(np.float32)

CALLS = []          # what the builders were called with (in this process)
SEEN = []           # what recording_scorer was given to score (in this process)


# ------------------------------------------------------------------ builders (module level: picklable)
def build_binary(units=4, activation="relu", depth=1):
    """A small sigmoid classifier for the breast-cancer table (30 features)."""
    CALLS.append({"units": units, "activation": activation, "depth": depth})
    stack = [layers.Input((30,))]
    stack += [layers.Dense(units, activation=activation) for _ in range(depth)]
    stack.append(layers.Dense(1, activation="sigmoid"))
    model = snn.Sequential(stack)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_iris(units=4):
    CALLS.append({"units": units})
    model = snn.Sequential([layers.Input((4,)), layers.Dense(units, activation="relu"),
                            layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_regressor(units=4):
    CALLS.append({"units": units})
    model = snn.Sequential([layers.Input((10,)), layers.Dense(units, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


SHARED_ADAM = snn.optimizers.Adam(learning_rate=0.01)


def build_sharing_an_optimizer(units=4, shared=True):
    """Compiles every model with one optimizer kept between calls (``shared``), or with a new one."""
    model = snn.Sequential([layers.Input((30,)), layers.Dense(units, activation="relu"),
                            layers.Dense(1, activation="sigmoid")])
    optimizer = SHARED_ADAM if shared else snn.optimizers.Adam(learning_rate=0.01)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_failing(units=4):
    if units == 3:
        raise RuntimeError("three units are unlucky")
    return build_binary(units)


def lr_scorer(model, x, y):
    """A 'score' that reports what reached the optimizer: its learning rate."""
    return model.optimizer.learning_rate


def steps_scorer(model, x, y):
    """Steps per epoch of the last fit: ceil(n_train / batch_size)."""
    return model.history.params["steps"]


def epochs_scorer(model, x, y):
    return len(model.history.epoch)


def sgd_momentum_scorer(model, x, y):
    return getattr(model.optimizer, "momentum", -1.0) if type(model.optimizer).__name__ == "SGD" else -1.0


def constant_scorer(model, x, y):
    return 0.5


def recording_scorer(model, x, y):
    """Records the rows it is given (the test rows as the model sees them); scores 0.5."""
    SEEN.append(np.array(x, copy=True))
    return 0.5


def _weights(model):
    return [w.copy() for w in model.get_weights()]


TIMES = ("mean_fit_time", "std_fit_time", "mean_score_time")


def without_times(rows):
    """A search's ``results_`` without the seconds (which differ from run to run)."""
    return [{k: v for k, v in row.items() if k not in TIMES} for row in rows]


RUNNING = {"now": 0, "most": 0}     # fits inside the scorer at once (in this process's threads)
_COUNTING = threading.Lock()


def overlap_scorer(model, x, y):
    """Scores 0.5, after counting how many fits are scoring at this moment (threads of this
    process): with one fit at a time, ``RUNNING['most']`` stays 1."""
    with _COUNTING:
        RUNNING["now"] += 1
        RUNNING["most"] = max(RUNNING["most"], RUNNING["now"])
    try:
        threading.Event().wait(0.02)            # give another thread the chance to come in
        return 0.5
    finally:
        with _COUNTING:
            RUNNING["now"] -= 1
