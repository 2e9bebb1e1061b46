"""Adadelta: Adagrad with decaying averages, step sizes in the units of the weights."""
import numpy as np

from ..kernels import optimizers as fast
from ._checks import check_number
from .base import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), Keras 3 form.

    Two moving averages start at 0: ``Eg`` of squared gradients, ``Ed`` of squared updates::

        Eg <- rho * Eg + (1 - rho) * g^2
        d  <- sqrt(Ed + epsilon) / sqrt(Eg + epsilon) * g
        Ed <- rho * Ed + (1 - rho) * d^2
        w  <- w - lr * d

    The paper has no learning rate (``lr = 1``); Keras defaults to ``lr=0.001``,
    ``epsilon=1e-7``, PyTorch to ``lr=1.0``, ``eps=1e-6``. The formula is the same in both,
    so equal ``lr``/``epsilon`` give equal trajectories.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adadelta"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.rho = check_number("rho", rho, 0.0, 1.0)
        self.epsilon = check_number("epsilon", epsilon, 0.0)

    def slot_specs(self):
        return [("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]

    def update_step(self, grad, w, state, lr):
        rho, eps = self.rho, self.epsilon
        eg, ed = state["accumulated_grad"], state["accumulated_delta_var"]
        eg[...] = rho * eg + (1 - rho) * grad ** 2
        d = np.sqrt((ed + eps) / (eg + eps)) * grad
        ed[...] = rho * ed + (1 - rho) * d ** 2
        w -= lr * d

    def fast_update_step(self, grad, w, state, lr):
        fast.adadelta(grad, w, state["accumulated_grad"], state["accumulated_delta_var"], self.rho,
                         self.epsilon, lr, self._work(w, 2))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
