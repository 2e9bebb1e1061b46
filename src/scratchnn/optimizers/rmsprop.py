"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

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
        inc, t = self._work(w, 2)
        np.multiply(grad, grad, out=t)
        t *= 1.0 - rho
        v *= rho
        v += t                                   # v = rho v + (1 - rho) g^2
        if self.centered:
            mg = state["average_gradient"]
            np.multiply(grad, 1.0 - rho, out=t)
            mg *= rho
            mg += t                              # mg = rho mg + (1 - rho) g
            np.multiply(mg, mg, out=t)
            np.subtract(v, t, out=t)             # v - mg^2
            t += self.epsilon
        else:
            np.add(v, self.epsilon, out=t)
        np.sqrt(t, out=t)
        np.divide(grad, t, out=inc)
        inc *= lr                                # inc = lr g / sqrt(den)
        if self.momentum > 0:
            m = state["momentum"]
            m *= self.momentum
            m += inc
            w -= m
        else:
            w -= inc

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
