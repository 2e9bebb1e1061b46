"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

from ..kernels import optimizers as fast
from ._checks import check_number
from .base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), Keras 3 form.

    Moving average ``v`` of ``g^2`` (and, if ``centered``, ``mg`` of ``g``), all starting at 0::

        v   <- rho * v + (1 - rho) * g^2
        mg  <- rho * mg + (1 - rho) * g                    (centered only)
        den <- v + epsilon            or   v - mg^2 + epsilon   (centered)
        inc <- lr * g / sqrt(den)
        w   <- w - inc                                     (momentum == 0)
        m   <- momentum * m + inc;  w <- w - m             (momentum > 0)

    PyTorch (``alpha`` = ``rho``) adds epsilon outside the root, ``sqrt(den') + eps``, and
    keeps its momentum buffer without ``lr`` (``b <- momentum * b + g / (sqrt(den') + eps)``,
    ``w <- w - lr * b``): same trajectory for a constant ``lr`` and ``epsilon -> 0``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="rmsprop"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.rho = check_number("rho", rho, 0.0, 1.0)
        self.momentum = check_number("momentum", momentum, 0.0, 1.0)
        self.epsilon = check_number("epsilon", epsilon, 0.0)
        self.centered = bool(centered)

    def slot_specs(self):
        slots = [("velocity", 0.0)]
        if self.momentum > 0:
            slots.append(("momentum", 0.0))
        if self.centered:
            slots.append(("average_gradient", 0.0))
        return slots

    def update_step(self, grad, w, state, lr):
        rho = self.rho
        v = state["velocity"]
        v[...] = rho * v + (1 - rho) * grad ** 2
        if self.centered:
            mg = state["average_gradient"]
            mg[...] = rho * mg + (1 - rho) * grad
            den = v - mg ** 2 + self.epsilon
        else:
            den = v + self.epsilon
        inc = lr * grad / np.sqrt(den)
        if self.momentum > 0:
            m = state["momentum"]
            m[...] = self.momentum * m + inc
            w -= m
        else:
            w -= inc

    def fast_update_step(self, grad, w, state, lr):
        fast.rmsprop(grad, w, state["velocity"], state.get("average_gradient"), state.get("momentum"),
                        self.rho, self.momentum, self.epsilon, lr, self._work(w, 2))

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
