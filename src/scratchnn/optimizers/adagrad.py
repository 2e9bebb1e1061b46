"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""
import numpy as np

from ..kernels import optimizers as fast
from ._checks import check_number
from .base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), Keras 3 form.

    Accumulator ``a`` starts at ``initial_accumulator_value``; each update::

        a <- a + g^2
        w <- w - lr * g / sqrt(a + epsilon)

    PyTorch puts epsilon outside the root, ``lr * g / (sqrt(a) + eps)`` (and defaults to
    ``initial_accumulator_value=0``, ``eps=1e-10``); the two agree as ``epsilon -> 0``.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adagrad"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.initial_accumulator_value = check_number("initial_accumulator_value",
                                                      initial_accumulator_value, 0.0)
        self.epsilon = check_number("epsilon", epsilon, 0.0)

    def slot_specs(self):
        return [("accumulator", self.initial_accumulator_value)]

    def update_step(self, grad, w, state, lr):
        a = state["accumulator"]
        a += grad ** 2
        w -= lr * grad / np.sqrt(a + self.epsilon)

    def fast_update_step(self, grad, w, state, lr):
        fast.adagrad(grad, w, state["accumulator"], self.epsilon, lr, self._work(w, 1))

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
