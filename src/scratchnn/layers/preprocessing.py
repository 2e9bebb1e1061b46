"""Preprocessing inside the model: ``Rescaling`` and ``Normalization`` (Keras names and semantics).

Putting the input scaling into the model means a saved model takes raw inputs (pixels in
0..255, features in their own units) and nobody has to remember the training set's mean.
"""
import numpy as np

from .base import Layer, format_shape


class Rescaling(Layer):
    """``y = x * scale + offset``, e.g. ``Rescaling(1/255)`` maps pixels 0..255 to [0, 1]."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = float(scale), float(offset)

    def call(self, inputs, training=False):
        out = inputs * self.scale
        return out + self.offset if self.offset else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """Standardizes each feature: ``y = (x - mean) / max(sqrt(variance), 1e-7)``.

    ``mean`` and ``variance`` are computed from data by ``adapt(x)`` (over every axis but
    ``axis``, i.e. per feature for ``axis=-1``; over everything for ``axis=None``), or given.
    They are non-trainable weights, so they are saved with the model. ``invert=True`` applies
    the inverse ``x * sqrt(variance) + mean`` (to map standardized predictions back).
    """

    epsilon = 1e-7

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is not None and not isinstance(axis, int):
            raise ValueError(f"Normalization: axis must be an int or None, got {axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither (and call adapt())")
        self.axis, self.invert = axis, bool(invert)
        self._init_mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self._init_variance = None if variance is None else np.asarray(variance, dtype=np.float64)
        if self._init_variance is not None and (self._init_variance < 0).any():
            raise ValueError("Normalization: variance must be >= 0")
        self.mean = self.variance = None

    def _stat_shape(self, input_shape):
        if self.axis is None:
            return ()
        axis = self.axis % len(input_shape)
        if axis == 0:
            raise ValueError(f"Normalization '{self.name}': axis {self.axis} is the batch axis")
        if input_shape[axis] is None:
            raise ValueError(f"Normalization '{self.name}': the size of axis {self.axis} of "
                             f"{format_shape(input_shape)} must be known")
        return (input_shape[axis],)

    def build(self, input_shape):
        shape = self._stat_shape(input_shape)
        self.mean = self.add_weight("mean", shape, initializer="zeros", trainable=False)
        self.variance = self.add_weight("variance", shape, initializer="ones", trainable=False)
        if self._init_mean is not None:
            self.mean.assign(np.broadcast_to(self._init_mean, shape))
            self.variance.assign(np.broadcast_to(self._init_variance, shape))

    def adapt(self, data):
        """Set ``mean`` and ``variance`` from ``data`` (an array of samples)."""
        data = np.asarray(data, dtype=np.float64)
        if data.ndim < 1 or len(data) == 0:
            raise ValueError("Normalization.adapt: expected a non-empty batch of samples, "
                             f"got shape {data.shape}")
        if not self.built:
            self._build_once((None,) + data.shape[1:])
        elif self.axis is not None and data.shape[self.axis] != self.mean.shape[0]:
            raise ValueError(f"Normalization '{self.name}': built for {self.mean.shape[0]} features, "
                             f"adapt got {data.shape[self.axis]}")
        if self.axis is None:
            mean, var = data.mean(), data.var()
        else:
            axis = self.axis % data.ndim
            reduce = tuple(a for a in range(data.ndim) if a != axis)
            mean, var = data.mean(axis=reduce), data.var(axis=reduce)
        self.mean.assign(mean)
        self.variance.assign(var)

    def _broadcast(self, var, ndim):
        if self.axis is None:
            return var
        shape = [1] * ndim
        shape[self.axis % ndim] = var.shape[0]
        return var.reshape(shape)

    def call(self, inputs, training=False):
        mean = self._broadcast(self.mean, inputs.ndim)
        std = np.maximum(np.sqrt(self._broadcast(self.variance.data, inputs.ndim)), self.epsilon)
        std = std.astype(inputs.dtype)
        if self.invert:
            return inputs * std + mean
        return (inputs - mean) * (1.0 / std).astype(inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "axis": self.axis, "invert": self.invert}
        if self._init_mean is not None:
            config["mean"] = self._init_mean.tolist()
            config["variance"] = self._init_variance.tolist()
        return config
