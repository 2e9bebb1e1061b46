"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from ..kernels import optimizers as fast
from ._checks import check_beta, check_number
from .base import Optimizer


class Adamax(Optimizer):
    """Adamax (Kingma and Ba, 2014, section 7.1), Keras 3 form.

    ``m`` and ``u`` start at 0; at step ``t = iterations + 1``::

        m <- beta_1 * m + (1 - beta_1) * g
        u <- max(beta_2 * u, |g|)
        w <- w - lr * m / ((1 - beta_1^t) * (u + epsilon))

    PyTorch puts epsilon inside the max, ``u <- max(beta_2 * u, |g| + eps)``, and divides
    by ``u``; the two agree as ``epsilon -> 0``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adamax"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_number("epsilon", epsilon, 0.0)

    def slot_specs(self):
        return [("momentum", 0.0), ("norm", 0.0)]

    def update_step(self, grad, w, state, lr):
        b1, t = self.beta_1, self.iterations + 1
        m, u = state["momentum"], state["norm"]
        m[...] = b1 * m + (1 - b1) * grad
        u[...] = np.maximum(self.beta_2 * u, np.abs(grad))
        w -= lr * m / ((1 - b1 ** t) * (u + self.epsilon))

    def fast_update_step(self, grad, w, state, lr):
        t = self.iterations + 1
        fast.adamax(grad, w, state["momentum"], state["norm"], self.beta_1, self.beta_2, self.epsilon,
                       lr / (1.0 - self.beta_1 ** t), self._work(w, 1))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
