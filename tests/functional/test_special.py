"""``erf`` (``scratchnn/functional/_special.py``, used by GELU): against ``math.erf`` in
float64 and float32, and at the infinities.
"""
import math

import numpy as np

from scratchnn.functional._special import erf


# ---------------------------------------------------------------------- erf
def test_erf_float64_matches_math_erf():
    x = np.concatenate([np.linspace(-10, 10, 4001), [-3.0, 3.0, -1e-300, 1e-300, 0.0, -0.0,
                                                      2.9999999999, 3.0000000001, 26.9, 27.5]])
    expected = np.array([math.erf(v) for v in x])
    got = erf(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)


def test_erf_of_infinities():
    got = erf(np.array([np.inf, -np.inf]))
    np.testing.assert_array_equal(got, [1.0, -1.0])
    got32 = erf(np.array([np.inf, -np.inf], dtype=np.float32))
    np.testing.assert_array_equal(got32, [1.0, -1.0])


def test_erf_float32_matches_math_erf():
    x = np.linspace(-10, 10, 4001).astype(np.float32)
    expected = np.array([math.erf(float(v)) for v in x])
    got = erf(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.astype(np.float64), expected, rtol=0, atol=2e-7)
