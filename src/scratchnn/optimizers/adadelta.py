"""Adadelta: Adagrad with decaying averages, step sizes in the units of the weights."""
import numpy as np

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
        eg, ed = state["accumulated_grad"], state["accumulated_delta_var"]
        rho, eps = self.rho, self.epsilon
        d, t = self._work(w, 2)
        np.multiply(grad, grad, out=t)
        t *= 1.0 - rho
        eg *= rho
        eg += t                                  # Eg = rho Eg + (1 - rho) g^2
        np.add(ed, eps, out=d)
        np.add(eg, eps, out=t)
        np.divide(d, t, out=d)
        np.sqrt(d, out=d)
        d *= grad                                # d = sqrt((Ed + eps) / (Eg + eps)) * g
        np.multiply(d, d, out=t)
        t *= 1.0 - rho
        ed *= rho
        ed += t                                  # Ed = rho Ed + (1 - rho) d^2
        d *= lr
        w -= d                                   # w -= lr * d

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
