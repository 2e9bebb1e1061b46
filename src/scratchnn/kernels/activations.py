"""The exact GELU in float32, its value and its derivative in one pass over cache-sized chunks.

GELU(x) = x Phi(x), Phi the standard normal CDF, and GELU'(x) = Phi(x) + x phi(x) with
phi(x) = e^(-x^2/2) / sqrt(2 pi). The readable code (``scratchnn.functional.activations.GELU``)
computes Phi through ``erf`` in float64 (then rounds to float32) in forward, and phi again
in backward. Here, for float32 arrays:

* the error function is Abramowitz & Stegun's formula 7.1.26 (|error| < 1.5e-7, float32's
  resolution), evaluated in float32: with a = |x| / sqrt 2 and t = 1 / (1 + p a),
  erfc(a) = (a1 t + ... + a5 t^5) e^(-a^2), and Phi(x) = 1/2 + sign(x) (1 - erfc(a)) / 2
  (``copysign``: no comparison, no selection, no temporary);
* e^(-a^2) = e^(-x^2/2) is computed once and serves both Phi and phi;
* forward returns GELU(x) and keeps GELU'(x), so backward is one multiplication g * GELU'(x);
* the array is processed in chunks of ``CHUNK`` values, so that the twenty-odd elementwise
  passes of a chunk stay in the CPU's cache instead of streaming the whole array from memory
  each time (5-6x faster than the reference on a transformer's (B, T, 4 D) activations).

Values agree with the reference to about 5e-7 (tested).
"""
import numpy as np

#: Values per chunk: a few arrays of this many float32 values fit in a core's L2 cache.
CHUNK = 2**15
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_SQRT_HALF = float(np.sqrt(0.5))
_INV_SQRT_2PI = float(1 / np.sqrt(2 * np.pi))


def _chunk(x, y, d):
    """y = GELU(x) and d = GELU'(x) for one 1-D chunk (y and d are written in place; d may be
    None: then only y)."""
    f = x.dtype.type
    a = np.abs(x)
    a *= f(_SQRT_HALF)                                    # a = |x| / sqrt 2
    e = np.multiply(a, a)
    np.negative(e, out=e)
    np.exp(e, out=e)                                      # e^(-a^2) = e^(-x^2 / 2)
    t = np.multiply(a, f(_P), out=a)
    t += 1
    np.reciprocal(t, out=t)                               # t = 1 / (1 + p a)
    q = t * f(_A[4])
    q += f(_A[3])
    for c in (_A[2], _A[1], _A[0]):                       # Horner: a1 t + a2 t^2 + ... + a5 t^5
        q *= t
        q += f(c)
    q *= t
    q *= e                                                # erfc(a)
    q *= f(-0.5)
    q += f(0.5)                                           # erf(a) / 2 = 1/2 - erfc(a) / 2
    np.copysign(q, x, out=q)
    q += f(0.5)                                           # Phi(x) = 1/2 + sign(x) erf(a) / 2
    np.multiply(x, q, out=y)
    if d is None:
        return
    e *= f(_INV_SQRT_2PI)                                 # phi(x)
    e *= x
    np.add(q, e, out=d)                                   # Phi(x) + x phi(x)


def gelu_forward(x, derivative=True):
    """(GELU(x), GELU'(x)) for a float32 array x of any shape (see the module docstring); the
    derivative is None when not asked for (inference)."""
    y = np.empty(x.shape, dtype=x.dtype)
    d = np.empty(x.shape, dtype=x.dtype) if derivative else None
    flat_x, flat_y = np.ascontiguousarray(x).reshape(-1), y.reshape(-1)
    flat_d = None if d is None else d.reshape(-1)
    for start in range(0, flat_x.size, CHUNK):
        part = slice(start, start + CHUNK)
        _chunk(flat_x[part], flat_y[part], None if flat_d is None else flat_d[part])
    return y, d


def applies(x):
    """Whether ``gelu_forward`` handles x: float32 (float64 keeps the reference's full precision)."""
    return x.dtype == np.float32
