"""A fake model and a scripted ``fit`` that drive the callbacks without training anything."""
import numpy as np

from scratchnn.callbacks import CallbackList


class FakeOptimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate


class FakeModel:
    """What callbacks use of a model: stop_training, optimizer.learning_rate, get/set_weights, history."""

    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.history = None
        self.weights = [np.zeros(3)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def fit(callbacks, values, key="val_loss", model=None, extra=None):
    """Run ``fit``'s epoch protocol with ``logs[key] = values[epoch]``; the weights after epoch
    e are ``[e, e, e]``. Returns (model, epochs run, History, the logs each epoch ended with)."""
    model = model or FakeModel()
    cbs = CallbackList(callbacks, add_history=True, model=model, verbose=0, epochs=len(values), steps=1)
    model.stop_training = False
    cbs.on_train_begin()
    ran, seen_logs = [], []
    for epoch, value in enumerate(values):
        cbs.on_epoch_begin(epoch)
        model.weights = [np.full(3, float(epoch))]
        logs = {"loss": 1.0, key: value, **(extra or {})}
        cbs.on_epoch_end(epoch, logs)
        ran.append(epoch)
        seen_logs.append(logs)
        if model.stop_training:
            break
    cbs.on_train_end(seen_logs[-1] if seen_logs else None)
    return model, ran, model.history, seen_logs
