"""Activation layers with parameters: ReLU, LeakyReLU, ELU, Softmax, Maxout."""
from .. import functional as F
from ..ops import clip, where
from .base import Layer


class _Elementwise(Layer):
    supports_masking = True           # one value in, one value out: a mask on the input passes on

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    """Rectified linear unit with Keras's options:
    f(x) = min(max_value, x) for x >= threshold, negative_slope * (x - threshold) otherwise.
    With the defaults, f(x) = max(0, x)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: max_value must be >= 0, got {max_value!r}")
        if negative_slope < 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0, got {negative_slope!r}")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs, training=False):
        if self.negative_slope == 0 and self.threshold == 0:
            out = F.relu(inputs)
        else:
            shifted = inputs - self.threshold
            out = where(inputs.data >= self.threshold, inputs, shifted * self.negative_slope)
        return out if self.max_value is None else clip(out, None, self.max_value)

    def output_activation(self):
        if self.negative_slope == 0 and self.threshold == 0 and self.max_value in (None, 6):
            return "relu" if self.max_value is None else "relu6"
        return None

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """f(x) = x for x > 0, negative_slope * x otherwise (Keras default 0.3; ``alpha`` is
    accepted as the Keras 2 name)."""

    def __init__(self, negative_slope=0.3, alpha=None, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = float(alpha if alpha is not None else negative_slope)
        if not self.negative_slope >= 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {self.negative_slope!r}")

    def call(self, inputs, training=False):
        return F.leaky_relu(inputs, self.negative_slope)

    def output_activation(self):
        return "leaky_relu"

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """f(x) = x for x > 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs, training=False):
        return F.elu(inputs, self.alpha)

    def output_activation(self):
        return "elu"

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Softmax along ``axis``: scores to probabilities that sum to 1."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, training=False):
        return F.softmax(inputs, axis=self.axis)

    def output_activation(self):
        return "softmax"

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Maxout(Layer):
    """Maxout: splits the last axis into ``num_units`` groups of consecutive values and
    outputs each group's maximum, so (batch, num_units * k) becomes (batch, num_units).
    Put it after a Dense layer of num_units * k units (Goodfellow et al., 2013)."""

    def __init__(self, num_units, **kwargs):
        super().__init__(**kwargs)
        if num_units <= 0:
            raise ValueError(f"Maxout: num_units must be positive, got {num_units!r}")
        self.num_units = int(num_units)

    def build(self, input_shape):
        n = input_shape[-1]
        if n is None or n % self.num_units:
            raise ValueError(f"Maxout '{self.name}': the last axis ({n}) must be a multiple of "
                             f"num_units={self.num_units}")

    def call(self, inputs, training=False):
        return F.maxout(inputs, inputs.shape[-1] // self.num_units)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.num_units,)

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units}
