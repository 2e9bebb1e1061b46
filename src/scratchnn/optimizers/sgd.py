"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from ..kernels import optimizers as fast
from ._checks import check_number
from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional momentum (Keras 3 form).

    With ``g`` the gradient, ``lr`` the learning rate and velocity ``v`` (starts at 0)::

        momentum == 0:   w <- w - lr * g
        otherwise:       v <- momentum * v - lr * g
                         w <- w + v                         (nesterov=False)
                         w <- w + momentum * v - lr * g     (nesterov=True, with the new v)

    PyTorch keeps ``b <- momentum * b + g`` and does ``w <- w - lr * b`` (Nesterov:
    ``w <- w - lr * (g + momentum * b)``). With a constant learning rate ``v = -lr * b``
    and the two give the same trajectory; when ``lr`` changes, Keras's velocity keeps the
    old rates' steps while PyTorch rescales the whole buffer by the new rate.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="SGD"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.momentum = check_number("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)

    def slot_specs(self):
        return [("momentum", 0.0)] if self.momentum > 0 else []

    def update_step(self, grad, w, state, lr):
        if self.momentum == 0:
            w -= lr * grad                       # w <- w - lr g
            return
        v = state["momentum"]
        v[...] = self.momentum * v - lr * grad   # v <- momentum v - lr g
        if self.nesterov:
            w += self.momentum * v - lr * grad   # w <- w + momentum v - lr g
        else:
            w += v                               # w <- w + v

    def fast_update_step(self, grad, w, state, lr):
        fast.sgd(grad, w, state.get("momentum"), lr, self.momentum, self.nesterov, self._work(w, 1))

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
