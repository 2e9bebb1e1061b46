"""Adam, and AdamW (Adam with decoupled weight decay)."""
import math

import numpy as np

from ..kernels import optimizers as fast
from ._checks import check_beta, check_number
from .base import Optimizer


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014), Keras 3 form.

    Moments ``m``, ``v`` start at 0; at step ``t = iterations + 1``::

        m    <- beta_1 * m + (1 - beta_1) * g
        v    <- beta_2 * v + (1 - beta_2) * g^2
        vhat <- max(vhat, v);  v_used = vhat      (amsgrad; otherwise v_used = v)
        lr_t <- lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w    <- w - lr_t * m / (sqrt(v_used) + epsilon)

    Epsilon is added to the *uncorrected* ``sqrt(v)`` (the paper's "epsilon hat"). PyTorch
    adds it to the bias-corrected ``sqrt(v / (1 - beta_2^t))``: the two agree as
    ``epsilon -> 0`` (Keras's epsilon is effectively ``sqrt(1 - beta_2^t)`` times larger).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adam"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_number("epsilon", epsilon, 0.0)
        self.amsgrad = bool(amsgrad)

    def slot_specs(self):
        slots = [("momentum", 0.0), ("velocity", 0.0)]
        if self.amsgrad:
            slots.append(("velocity_hat", 0.0))
        return slots

    def update_step(self, grad, w, state, lr):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations + 1
        m, v = state["momentum"], state["velocity"]
        m[...] = b1 * m + (1 - b1) * grad
        v[...] = b2 * v + (1 - b2) * grad ** 2
        if self.amsgrad:
            v_hat = state["velocity_hat"]
            v_hat[...] = np.maximum(v_hat, v)
            v = v_hat
        lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w -= lr_t * m / (np.sqrt(v) + self.epsilon)

    def fast_update_step(self, grad, w, state, lr):
        t = self.iterations + 1
        lr_t = lr * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        fast.adam(grad, w, state["momentum"], state["velocity"], state.get("velocity_hat"), self.beta_1,
                     self.beta_2, self.epsilon, lr_t, self._work(w, 1))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2017), Keras 3 form.

    Before the Adam step of ``Adam``'s docstring, every update first shrinks the weights::

        w <- w - lr * weight_decay * w

    (the decay is scaled by the learning rate, as in Keras and PyTorch, and never enters
    the moments). Keras defaults to ``weight_decay=0.004``, PyTorch to ``0.01``.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adamw"):
        if weight_decay is None:
            raise ValueError("`weight_decay` must be a finite number >= 0 for AdamW, got None "
                             "(use Adam for no weight decay).")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm,
                         clipvalue, global_clipnorm, name)
