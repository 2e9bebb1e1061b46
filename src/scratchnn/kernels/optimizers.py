"""The optimizers' updates as chains of in-place NumPy operations.

Each optimizer's ``update_step`` (``scratchnn/optimizers/``) is written as its formula:
``m[...] = b1 * m + (1 - b1) * g``. NumPy evaluates such an expression one operation at a
time, each into a new temporary array the size of the weight, so one Adam update of a
weight allocates and fills about eight of them. The functions here compute the same update
with every operation written into a state array or one reusable work buffer (``out=``), in
the same order, so the results are the same numbers (tested against the readable
``update_step`` in float64 and float32). They are used while fast kernels are on
(``scratchnn.backend.set_fast_kernels``); ``Optimizer.apply`` picks the kernel of the class
whose ``update_step`` is in use, so a subclass that rewrites ``update_step`` runs its own code.

Arguments: ``grad`` and ``w`` (updated in place) as arrays, the state arrays, the
hyper-parameters, and ``work``: scratch arrays shaped like ``w``.
"""
import numpy as np


def sgd(grad, w, velocity, lr, momentum, nesterov, work):
    """``w -= lr g``; with momentum ``v = momentum v - lr g``, ``w += v`` (Nesterov:
    ``w += momentum v - lr g``)."""
    step = work[0]
    np.multiply(grad, lr, out=step)          # lr * g
    if momentum == 0:
        w -= step
        return
    velocity *= momentum
    velocity -= step                         # v = momentum * v - lr * g
    if nesterov:
        w -= step
        np.multiply(velocity, momentum, out=step)
        w += step                            # w += momentum * v - lr * g
    else:
        w += velocity


def _moments(grad, m, v, b1, b2, tmp):
    """The moving averages of Adam and Nadam, in place: ``m = b1 m + (1 - b1) g``,
    ``v = b2 v + (1 - b2) g^2``."""
    np.multiply(grad, 1.0 - b1, out=tmp)
    m *= b1
    m += tmp
    np.multiply(grad, grad, out=tmp)
    tmp *= 1.0 - b2
    v *= b2
    v += tmp


def adam(grad, w, m, v, v_hat, b1, b2, epsilon, lr_t, work):
    """``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``; (amsgrad: ``v_hat = max(v_hat, v)``);
    ``w -= lr_t (m / (sqrt(v) + eps))``."""
    tmp = work[0]
    _moments(grad, m, v, b1, b2, tmp)
    if v_hat is not None:
        v = np.maximum(v_hat, v, out=v_hat)
    np.sqrt(v, out=tmp)
    tmp += epsilon
    np.divide(m, tmp, out=tmp)
    tmp *= lr_t
    w -= tmp                                 # w -= lr_t m / (sqrt(v) + eps)


def rmsprop(grad, w, v, mg, m, rho, momentum, epsilon, lr, work):
    """``v = rho v + (1 - rho) g^2`` (centered: ``mg = rho mg + (1 - rho) g``, den ``v - mg^2``);
    ``inc = lr g / sqrt(den + eps)``; ``w -= inc`` or with momentum ``m = momentum m + inc``, ``w -= m``."""
    inc, t = work
    np.multiply(grad, grad, out=t)
    t *= 1.0 - rho
    v *= rho
    v += t                                   # v = rho v + (1 - rho) g^2
    if mg is not None:
        np.multiply(grad, 1.0 - rho, out=t)
        mg *= rho
        mg += t                              # mg = rho mg + (1 - rho) g
        np.multiply(mg, mg, out=t)
        np.subtract(v, t, out=t)             # v - mg^2
        t += epsilon
    else:
        np.add(v, epsilon, out=t)
    np.sqrt(t, out=t)
    np.divide(grad, t, out=inc)
    inc *= lr                                # inc = lr g / sqrt(den)
    if momentum > 0:
        m *= momentum
        m += inc
        w -= m
    else:
        w -= inc


def adagrad(grad, w, a, epsilon, lr, work):
    """``a += g^2``; ``w -= lr g / sqrt(a + eps)``."""
    t = work[0]
    np.multiply(grad, grad, out=t)
    a += t                                   # a += g^2
    np.add(a, epsilon, out=t)
    np.sqrt(t, out=t)
    np.divide(grad, t, out=t)
    t *= lr
    w -= t                                   # w -= lr * g / sqrt(a + eps)


def adadelta(grad, w, eg, ed, rho, epsilon, lr, work):
    """``Eg = rho Eg + (1 - rho) g^2``; ``d = sqrt((Ed + eps) / (Eg + eps)) g``;
    ``Ed = rho Ed + (1 - rho) d^2``; ``w -= lr d``."""
    d, t = work
    np.multiply(grad, grad, out=t)
    t *= 1.0 - rho
    eg *= rho
    eg += t                                  # Eg = rho Eg + (1 - rho) g^2
    np.add(ed, epsilon, out=d)
    np.add(eg, epsilon, out=t)
    np.divide(d, t, out=d)
    np.sqrt(d, out=d)
    d *= grad                                # d = sqrt((Ed + eps) / (Eg + eps)) * g
    np.multiply(d, d, out=t)
    t *= 1.0 - rho
    ed *= rho
    ed += t                                  # Ed = rho Ed + (1 - rho) d^2
    d *= lr
    w -= d                                   # w -= lr * d


def nadam(grad, w, m, v, b1, b2, epsilon, lr, m_scale, g_scale, v_scale, work):
    """``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``w -= lr (m_scale m + g_scale g) / (sqrt(v_scale v) + eps)``."""
    step, tmp = work
    _moments(grad, m, v, b1, b2, tmp)
    np.multiply(m, m_scale, out=step)
    np.multiply(grad, g_scale, out=tmp)
    step += tmp                              # m_hat
    np.multiply(v, v_scale, out=tmp)
    np.sqrt(tmp, out=tmp)
    tmp += epsilon                           # sqrt(v_hat) + eps
    np.divide(step, tmp, out=step)
    step *= lr
    w -= step


def adamax(grad, w, m, u, b1, b2, epsilon, lr_t, work):
    """``m = b1 m + (1 - b1) g``; ``u = max(b2 u, |g|)``; ``w -= lr_t m / (u + eps)``."""
    tmp = work[0]
    np.multiply(grad, 1.0 - b1, out=tmp)
    m *= b1
    m += tmp                                 # m = b1 m + (1 - b1) g
    np.abs(grad, out=tmp)
    u *= b2
    np.maximum(u, tmp, out=u)                # u = max(b2 u, |g|)
    np.add(u, epsilon, out=tmp)
    np.divide(m, tmp, out=tmp)
    tmp *= lr_t
    w -= tmp
