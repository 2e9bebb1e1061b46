"""Feature scaling: put every feature on a comparable scale before training.

* ``StandardScaler``: ``(x - mean) / std`` per column (mean 0, standard deviation 1);
* ``MinMaxScaler``: a linear map of each column's training range onto ``feature_range``;
* ``normalize_images``: pixel values 0..255 -> floats in [0, 1].

The scalers learn their statistics in ``fit`` (on the training data only) and apply
the same mapping to any later data in ``transform``.
"""
import numbers

import numpy as np

from .validation import Fittable, as_array, check_2d

__all__ = ["StandardScaler", "MinMaxScaler", "normalize_images"]


def _output_dtype(X):
    """The dtype rule of the scalers: float64 stays float64, everything else becomes float32."""
    return np.dtype(np.float64) if X.dtype == np.float64 else np.dtype(np.float32)


class StandardScaler(Fittable):
    """Standardize features: subtract each column's mean and divide by its standard deviation.

    ``z = (x - mean_) / scale_`` with, over the ``n`` training rows,

        mean_ = (1/n) * sum_i x_i
        var_  = (1/n) * sum_i (x_i - mean_)**2        (the population variance)
        scale_ = sqrt(var_)

    so every transformed training column has mean 0 and standard deviation 1,
    which makes gradient descent treat all features alike.  A constant column
    (zero variance, up to rounding) gets ``scale_ = 1``: it is centred to 0, never
    divided by 0.

    ``with_mean=False`` skips the centring and ``with_std=False`` the division
    (``var_`` and ``scale_`` are then ``None``, and ``mean_`` too if both are off).

    Output dtype: float64 if the input is float64, otherwise float32 (float32,
    float16, integer and boolean input all give float32, the dtype models train
    in).  The statistics themselves are computed and stored in float64.
    Missing values (NaN) are rejected.
    """
    repr_params = ("with_mean", "with_std")
    fitted_attribute = "n_samples_seen_"

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        """Compute ``mean_``, ``var_`` and ``scale_`` of every column of ``X``.  Returns ``self``."""
        X = check_2d(X, "StandardScaler.fit", numeric=True)
        n = X.shape[0]
        if n == 0:
            raise ValueError("StandardScaler.fit: X has 0 samples; at least 1 is needed")
        X64 = X.astype(np.float64, copy=False)
        mean = X64.mean(axis=0)
        var = X64.var(axis=0)
        # Variance that is within rounding error of 0 (the error of summing n numbers of size |mean|
        # is about n * |mean| * eps) means the column is constant.
        eps = np.finfo(np.float64).eps
        constant = var <= n * eps * var + (n * mean * eps) ** 2
        self.n_samples_seen_ = n
        self.n_features_in_ = X.shape[1]
        self.mean_ = mean if (self.with_mean or self.with_std) else None
        self.var_ = var if self.with_std else None
        self.scale_ = np.where(constant, 1.0, np.sqrt(var)) if self.with_std else None
        return self

    def transform(self, X):
        """``(X - mean_) / scale_`` (each step only if enabled)."""
        self.check_fitted("transform")
        X = check_2d(X, "StandardScaler.transform", numeric=True)
        self.check_n_features(X, "StandardScaler.transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        if self.with_mean:
            out -= self.mean_.astype(dtype)
        if self.with_std:
            out /= self.scale_.astype(dtype)
        return out

    def inverse_transform(self, X):
        """Undo ``transform``: ``X * scale_ + mean_``."""
        self.check_fitted("inverse_transform")
        X = check_2d(X, "StandardScaler.inverse_transform", numeric=True)
        self.check_n_features(X, "StandardScaler.inverse_transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        if self.with_std:
            out *= self.scale_.astype(dtype)
        if self.with_mean:
            out += self.mean_.astype(dtype)
        return out


class MinMaxScaler(Fittable):
    """Rescale each feature linearly so that its training range becomes ``feature_range``.

    With ``feature_range = (a, b)`` and each column's training minimum and maximum,

        x_scaled = a + (x - data_min_) * (b - a) / (data_max_ - data_min_)

    computed as ``x * scale_ + min_`` with ``scale_ = (b - a) / data_range_`` and
    ``min_ = a - data_min_ * scale_``.  A constant column (range 0, up to rounding)
    uses a range of 1 instead, so all its values map to ``a``.  Later data may fall
    outside ``(a, b)``; ``clip=True`` clips it into the range.

    Attributes after ``fit``: ``data_min_``, ``data_max_``, ``data_range_``,
    ``scale_``, ``min_`` (float64), ``n_samples_seen_``, ``n_features_in_``.
    Output dtype: float64 for float64 input, float32 otherwise (as ``StandardScaler``).
    """
    repr_params = ("feature_range", "clip")
    fitted_attribute = "scale_"

    def __init__(self, feature_range=(0, 1), clip=False):
        ok = (isinstance(feature_range, (tuple, list)) and len(feature_range) == 2
              and all(isinstance(v, numbers.Real) for v in feature_range)
              and feature_range[0] < feature_range[1])
        if not ok:
            raise ValueError(f"MinMaxScaler: feature_range must be a pair (min, max) of numbers with "
                             f"min < max, got {feature_range!r}")
        self.feature_range = feature_range
        self.clip = clip

    def fit(self, X, y=None):
        """Compute each column's minimum and maximum, then ``scale_`` and ``min_``.  Returns ``self``."""
        X = check_2d(X, "MinMaxScaler.fit", numeric=True)
        if X.shape[0] == 0:
            raise ValueError("MinMaxScaler.fit: X has 0 samples; at least 1 is needed")
        low, high = self.feature_range
        X64 = X.astype(np.float64, copy=False)
        self.data_min_ = X64.min(axis=0)
        self.data_max_ = X64.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        # A range within a few rounding errors of 0 counts as a constant column.
        eps = np.finfo(X.dtype if X.dtype.kind == "f" else np.float64).eps
        safe_range = np.where(self.data_range_ < 10 * eps, 1.0, self.data_range_)
        self.scale_ = (high - low) / safe_range
        self.min_ = low - self.data_min_ * self.scale_
        self.n_samples_seen_ = X.shape[0]
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """``X * scale_ + min_``, clipped to ``feature_range`` if ``clip``."""
        self.check_fitted("transform")
        X = check_2d(X, "MinMaxScaler.transform", numeric=True)
        self.check_n_features(X, "MinMaxScaler.transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        out *= self.scale_.astype(dtype)
        out += self.min_.astype(dtype)
        if self.clip:
            np.clip(out, self.feature_range[0], self.feature_range[1], out=out)
        return out

    def inverse_transform(self, X):
        """Undo ``transform``: ``(X - min_) / scale_``."""
        self.check_fitted("inverse_transform")
        X = check_2d(X, "MinMaxScaler.inverse_transform", numeric=True)
        self.check_n_features(X, "MinMaxScaler.inverse_transform")
        dtype = _output_dtype(X)
        out = X.astype(dtype, copy=True)
        out -= self.min_.astype(dtype)
        out /= self.scale_.astype(dtype)
        return out


def normalize_images(x, dtype="float32"):
    """Pixel values 0..255 (e.g. uint8 images) -> floats in [0, 1]: ``x.astype(dtype) / 255``.

    The contract is deliberately simple: the input must hold numbers between 0 and
    255 (integers or floats), and it is always divided by 255, whatever its dtype.
    Data already in [0, 1] must therefore not be passed again: it would be divided
    twice.  Values below 0 or above 255 (and NaN) raise a ``ValueError``.
    """
    x = as_array(x)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"normalize_images: dtype must be a floating-point dtype, got {dtype}")
    if x.dtype.kind not in "iuf":
        raise ValueError(f"normalize_images: x must hold pixel values (integers or floats in 0..255), "
                         f"got dtype {x.dtype}")
    if x.dtype != np.uint8 and x.size:                      # uint8 is in range by construction
        low, high = x.min(), x.max()
        if not (low >= 0 and high <= 255):                  # also catches NaN
            raise ValueError(f"normalize_images: pixel values must be in [0, 255], got values from {low} "
                             f"to {high}")
    return x.astype(dtype) / dtype.type(255)
