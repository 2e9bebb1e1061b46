"""Numerical gradient checking: compare backpropagation with finite differences.

For a function f and an input x, the central difference

    df/dx_i  ~  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

has error O(eps^2).  ``gradcheck`` computes it for every element of every
floating-point input, in float64, and compares it with the gradient that
``backward()`` gives.  A non-scalar output is reduced to the scalar
``sum(out * r)`` with a fixed random ``r``, so every output element is checked.
"""
import numpy as np

from .autograd import Tensor, no_grad


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message names the worst element."""


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check ``fn(*inputs)``'s gradients against central differences.

    ``inputs`` are arrays or tensors; floating-point ones are converted to
    float64 tensors and checked, others (integer labels, say) are passed as they
    are.  Returns True, or raises ``GradcheckError`` naming the input, the
    element, the analytic and the numerical value of the worst mismatch
    (an element fails when |analytic - numeric| > atol + rtol * |numeric|).

        >>> gradcheck(lambda x: (x * x).sum(), np.random.randn(3, 4))
        True
    """
    tensors = []
    for x in inputs:
        arr = x.data if isinstance(x, Tensor) else np.asarray(x)
        if arr.dtype.kind == "f":
            # C order, so that reshape(-1) below is a view that perturbs the input itself
            tensors.append(Tensor(np.array(arr, dtype=np.float64, order="C"), requires_grad=True,
                                  dtype=np.float64))
        else:
            tensors.append(x)
    checked = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no floating-point input to check")

    out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    weights = np.random.default_rng(seed).standard_normal(out.shape)

    def scalar(*args):
        return float(np.sum(np.asarray(fn(*args).data, dtype=np.float64) * weights))

    (out * weights).sum().backward()

    worst = None
    with no_grad():
        for i in checked:
            x = tensors[i].data
            analytic = tensors[i].grad if tensors[i].grad is not None else np.zeros_like(x)
            numeric = np.zeros_like(x)
            flat = x.reshape(-1)          # a view: perturbing it perturbs the input
            for j in range(flat.size):
                saved = flat[j]
                flat[j] = saved + eps
                up = scalar(*tensors)
                flat[j] = saved - eps
                down = scalar(*tensors)
                flat[j] = saved
                numeric.reshape(-1)[j] = (up - down) / (2 * eps)
            excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
            excess = np.where(np.isnan(excess), np.inf, excess)    # a NaN is the worst mismatch
            if excess.size and (worst is None or excess.max() > worst[0]):
                k = int(np.argmax(excess))
                worst = (excess.reshape(-1)[k], i, np.unravel_index(k, x.shape),
                         analytic.reshape(-1)[k], numeric.reshape(-1)[k])
    if worst is not None and (worst[0] > 0 or not np.isfinite(worst[3])):
        _, i, index, a, n = worst
        raise GradcheckError(
            f"gradient mismatch for input {i} at index {tuple(int(v) for v in index)}: "
            f"analytic {a:.10g}, numerical {n:.10g} (difference {abs(a - n):.3g}, "
            f"allowed {atol + rtol * abs(n):.3g})")
    return True
