"""The preprocessing layers (``scratchnn/layers/preprocessing.py``): Rescaling and
Normalization (adapt, constant features, gradients, errors).
"""
import numpy as np
import pytest

from scratchnn import layers as L
from scratchnn.gradcheck import gradcheck


# ================================================================ preprocessing layers
def test_rescaling_maps_pixels_and_passes_gradients():
    layer = L.Rescaling(1 / 255, offset=-0.5)
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_allclose(layer(x).data, x / 255 - 0.5, rtol=1e-6)
    assert gradcheck(lambda t: L.Rescaling(2.5, offset=1.0, dtype="float64")(t),
                     np.random.default_rng(0).normal(size=(3, 4)))


def test_normalization_adapt_matches_standard_scaling(rng):
    x = rng.normal(loc=[3.0, -2.0, 100.0], scale=[2.0, 0.1, 30.0], size=(200, 3)).astype(np.float32)
    layer = L.Normalization()
    layer.adapt(x)
    expected = (x.astype(np.float64) - x.mean(0)) / x.std(0)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-4, atol=1e-5)
    assert layer.weights and not layer.trainable_weights         # mean/variance are saved, not trained
    np.testing.assert_allclose(layer.variance.data, x.astype(np.float64).var(0), rtol=1e-5)
    back = L.Normalization(mean=layer.mean.data, variance=layer.variance.data, invert=True)
    np.testing.assert_allclose(back(layer(x)).data, x, rtol=1e-4, atol=1e-3)


def test_normalization_constant_feature_and_axis_none(rng):
    x = np.c_[np.full(10, 7.0), rng.normal(size=10)]
    out = L.Normalization(dtype="float64")
    out.adapt(x)
    np.testing.assert_array_equal(out(x).data[:, 0], 0.0)        # std 0 -> divided by 1e-7, x - mean = 0
    scalar = L.Normalization(axis=None, dtype="float64")
    scalar.adapt(x)
    np.testing.assert_allclose(scalar(x).data, (x - x.mean()) / x.std())


def test_normalization_gradient_and_errors(rng):
    layer = L.Normalization(mean=[1.0, -1.0], variance=[4.0, 0.25], dtype="float64")
    assert gradcheck(lambda t: layer(t), rng.normal(size=(5, 2)))
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=[0.0])
    with pytest.raises(ValueError, match="variance must be >= 0"):
        L.Normalization(mean=[0.0], variance=[-1.0])
    built = L.Normalization()
    built.adapt(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="built for 3 features, adapt got 2"):
        built.adapt(rng.normal(size=(4, 2)))
