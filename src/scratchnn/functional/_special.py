"""Special functions that NumPy lacks, vectorised: the error function ``erf``.

erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt, needed by the exact GELU.

* float64: to full double precision (|error| < 1e-15), by the everywhere-convergent
  series  erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))  for
  |x| < 3, and the continued fraction
  erfc(x) = e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))  beyond.
* float32 and narrower: Abramowitz & Stegun formula 7.1.26 (|error| < 1.5e-7,
  about float32's resolution), a handful of array passes.

``Erf`` / ``erf_tensor`` is the differentiable op on tensors (``F.erf``, ``keras.ops.erf``).
"""
import numpy as np

from ..autograd import Function
from ..ops import exp, lift

_SERIES_TERMS = 60       # enough for |x| < 3 in double precision (checked by the tests)
_CF_DEPTH = 60           # continued-fraction depth for |x| >= 3
_CUTOFF = 3.0


def erf(x):
    """The error function of an array, elementwise (result has x's float dtype)."""
    x = np.asarray(x)
    if x.dtype == np.float64:
        return _erf64(x)
    # evaluated in float64 (1 - poly e^(-a^2) would lose digits in float32), returned in x's dtype
    return _erf_fast(x.astype(np.float64)).astype(x.dtype, copy=False)


def _erf_fast(x):
    # A&S 7.1.26: erf(a) ~ 1 - (a1 t + a2 t^2 + a3 t^3 + a4 t^4 + a5 t^5) e^(-a^2), t = 1/(1 + p a)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-a * a))


def _erf64(x):
    a = np.abs(x)
    out = np.empty_like(a)
    small = a < _CUTOFF
    s = a[small]
    term, total, two_s2 = s.copy(), s.copy(), 2.0 * s * s
    for n in range(1, _SERIES_TERMS):
        term = term * two_s2 / (2 * n + 1)
        total = total + term
    out[small] = (2.0 / np.sqrt(np.pi)) * np.exp(-s * s) * total
    big = ~small
    b = np.minimum(a[big], 27.0)             # erfc(27) underflows to 0 anyway
    f = b.copy()
    for k in range(_CF_DEPTH, 0, -1):
        f = b + (k / 2.0) / f
    out[big] = 1.0 - np.exp(-b * b) / (np.sqrt(np.pi) * f)
    return np.copysign(out, x)


class Erf(Function):
    """out = erf(x);  dx = g * 2/sqrt(pi) * e^(-x^2)."""
    def forward(self, x):
        self.x = x
        return erf(x)

    def backward(self, g):
        return g * ((2 / np.sqrt(np.pi)) * np.exp(-self.x * self.x)).astype(self.x.dtype, copy=False)

    def backward_graph(self, g):
        x = self.inputs[0]
        return g * (float(2 / np.sqrt(np.pi)) * exp(-(x * x)))


def erf_tensor(x):
    """The error function of a tensor (or array), differentiable: a Tensor."""
    return Erf.apply(lift(x))
