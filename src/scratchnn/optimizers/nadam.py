"""Nadam: Adam with Nesterov momentum."""
import numpy as np

from ..kernels import optimizers as fast
from ._checks import check_beta, check_number
from .base import Optimizer


class Nadam(Optimizer):
    """Nadam (Dozat, 2015), Keras 3 form.

    Moments ``m``, ``v`` start at 0 and the momentum product ``P`` at 1. At step
    ``t = iterations + 1``, with the momentum schedule ``mu(k) = beta_1 * (1 - 0.5 * 0.96^k)``::

        P     <- P * mu(t)                       (once per step, for all variables)
        m     <- beta_1 * m + (1 - beta_1) * g
        v     <- beta_2 * v + (1 - beta_2) * g^2
        m_hat <- mu(t+1) * m / (1 - P * mu(t+1)) + (1 - mu(t)) * g / (1 - P)
        v_hat <- v / (1 - beta_2^t)
        w     <- w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Note the moment ``m`` itself uses the constant ``beta_1``. PyTorch's ``NAdam`` computes
    the same with ``momentum_decay=1.0`` (its default 0.004 uses ``0.96^(0.004 k)``), with
    epsilon likewise added to ``sqrt(v_hat)``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="nadam"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_number("epsilon", epsilon, 0.0)
        self._u_product = 1.0

    def slot_specs(self):
        return [("momentum", 0.0), ("velocity", 0.0)]

    def global_state(self):
        return [("u_product", self._u_product)]

    def _mu(self, k):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** k)

    def _before_update(self, lr):
        self._u_product *= self._mu(self.iterations + 1)

    def update_step(self, grad, w, state, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations + 1
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        p_t = self._u_product                    # already includes mu(t)
        m, v = state["momentum"], state["velocity"]
        m[...] = b1 * m + (1 - b1) * grad
        v[...] = b2 * v + (1 - b2) * grad ** 2
        m_hat = mu_next * m / (1 - p_t * mu_next) + (1 - mu_t) * grad / (1 - p_t)
        v_hat = v / (1 - b2 ** t)
        w -= lr * m_hat / (np.sqrt(v_hat) + self.epsilon)

    def fast_update_step(self, grad, w, state, lr):
        t = self.iterations + 1
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        p_t = self._u_product
        fast.nadam(grad, w, state["momentum"], state["velocity"], self.beta_1, self.beta_2, self.epsilon, lr,
                   mu_next / (1.0 - p_t * mu_next), (1.0 - mu_t) / (1.0 - p_t),
                   1.0 / (1.0 - self.beta_2 ** t), self._work(w, 2))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
