"""Pooling layers, channels last (Keras names, arguments, defaults): ``MaxPooling2D``,
``AveragePooling2D``, ``MaxPooling1D``, ``AveragePooling1D``, ``GlobalAveragePooling2D``,
``GlobalMaxPooling2D``, ``GlobalAveragePooling1D`` (mask-aware), ``GlobalMaxPooling1D``.

The computation lives in ``scratchnn.functional.conv`` (``max_pool2d``, ``avg_pool2d``) and
``scratchnn.functional.conv_variants`` (``max_pool1d``, ``avg_pool1d``, global pooling).
"""
from .. import functional as F
from ..functional import conv_variants as _cv
from ..windows import output_size, pair
from .base import Layer, format_shape
from .images import check_channels_last, check_padding


class _Pooling2D(Layer):
    _fn = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        check_channels_last(data_format, who)
        self.pool_size = pair(pool_size, "pool_size", who)
        self.strides = self.pool_size if strides is None else pair(strides, "strides", who)
        self.padding = check_padding(padding, who)

    def _check_input(self, shape):
        if len(shape) != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images of shape "
                             f"(batch, height, width, channels), got shape {format_shape(shape)}")
        self.compute_output_shape(shape)             # the window must fit this input

    def build(self, input_shape):
        self._check_input(input_shape)
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        return type(self)._fn(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images of shape "
                             f"(batch, height, width, channels), got shape {format_shape(input_shape)}")
        n, h, w, c = input_shape
        out = [None if size is None else output_size(size, k, s, self.padding)
               for size, k, s in zip((h, w), self.pool_size, self.strides)]
        if any(o is not None and o < 1 for o in out):
            ph, pw = self.pool_size
            raise ValueError(f"{type(self).__name__} '{self.name}': a {ph}x{pw} "
                             f"window with padding '{self.padding}' does not fit input of shape "
                             f"{format_shape(input_shape)}: the output would be empty")
        return (n, out[0], out[1], c)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """Max pooling: each output is the largest value of its ``pool_size`` window (per channel);
    ``strides`` defaults to ``pool_size``. It keeps the strongest response of each region."""
    _fn = staticmethod(F.max_pool2d)


class AveragePooling2D(_Pooling2D):
    """Average pooling: each output is the mean of its ``pool_size`` window (per channel)."""
    _fn = staticmethod(F.avg_pool2d)


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D


class _Pooling1D(Layer):
    _fn = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        check_channels_last(data_format, who)
        self.pool_size = (_cv.single_int(pool_size, "pool_size", who),)
        self.strides = self.pool_size if strides is None else (_cv.single_int(strides, "strides", who),)
        self.padding = check_padding(padding, who)

    def _check_input(self, shape):
        if len(shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects sequences of shape "
                             f"(batch, steps, channels), got shape {format_shape(shape)}")
        self.compute_output_shape(shape)

    def build(self, input_shape):
        self._check_input(input_shape)

    def call(self, inputs, training=False):
        return type(self)._fn(inputs, self.pool_size[0], self.strides[0], self.padding)

    def compute_output_shape(self, input_shape):
        n, length, c = input_shape
        if length is None:
            return (n, None, c)
        out = output_size(length, self.pool_size[0], self.strides[0], self.padding)
        if out < 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': a window of {self.pool_size[0]} with "
                             f"padding '{self.padding}' does not fit input of shape "
                             f"{format_shape(input_shape)}: the output would be empty")
        return (n, out, c)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling1D(_Pooling1D):
    """Max pooling over sequences: each output is the largest value of its ``pool_size``
    window of steps (per channel); ``strides`` defaults to ``pool_size``."""
    _fn = staticmethod(F.max_pool1d)


class AveragePooling1D(_Pooling1D):
    """Average pooling over sequences: each output is the mean of its ``pool_size`` window of steps
    (per channel); ``strides`` defaults to ``pool_size``."""
    _fn = staticmethod(F.avg_pool1d)


class _GlobalPooling1D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(data_format, f"{type(self).__name__} '{self.name}'")
        self.keepdims = bool(keepdims)

    def _check_input(self, shape):
        if len(shape) != 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects sequences of shape "
                             f"(batch, steps, channels), got shape {format_shape(shape)}")

    def build(self, input_shape):
        self._check_input(input_shape)

    def compute_output_shape(self, input_shape):
        n, c = input_shape[0], input_shape[-1]
        return (n, 1, c) if self.keepdims else (n, c)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean of each channel over the steps: (N, L, C) -> (N, C) ((N, 1, C) with ``keepdims``).

    Mask-aware, as in Keras: given a mask (from ``Embedding(mask_zero=True)``), the mean is over
    the real steps only, so padding does not dilute it (the classic Embedding + pooling text
    classifier). The output has no time axis, so no mask."""

    def call(self, inputs, mask=None, training=False):
        return F.global_avg_pool1d(inputs, mask, keepdims=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The maximum of each channel over the steps: (N, L, C) -> (N, C) ((N, 1, C) with ``keepdims``).
    As in Keras it does not use a mask (padding takes part in the maximum)."""

    def call(self, inputs, training=False):
        return F.global_max_pool1d(inputs, keepdims=self.keepdims)


class _GlobalPooling2D(Layer):
    _fn = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(data_format, f"{type(self).__name__} '{self.name}'")
        self.keepdims = bool(keepdims)

    def _check_input(self, shape):
        if len(shape) != 4:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images of shape "
                             f"(batch, height, width, channels), got shape {format_shape(shape)}")

    def build(self, input_shape):
        self._check_input(input_shape)

    def call(self, inputs, training=False):
        return type(self)._fn(inputs, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        n, c = input_shape[0], input_shape[-1]
        return (n, 1, 1, c) if self.keepdims else (n, c)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each channel over the whole image: (N, H, W, C) -> (N, C)
    ((N, 1, 1, C) with ``keepdims=True``). Replaces Flatten + Dense heads in modern CNNs."""
    _fn = staticmethod(F.global_avg_pool2d)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The maximum of each channel over the whole image: (N, H, W, C) -> (N, C)
    ((N, 1, 1, C) with ``keepdims=True``). Pixels that tie for the maximum share its gradient
    equally (as Keras/TensorFlow's ``reduce_max``)."""
    _fn = staticmethod(F.global_max_pool2d)


MaxPool1D, AvgPool1D = MaxPooling1D, AveragePooling1D
GlobalAvgPool1D, GlobalMaxPool1D = GlobalAveragePooling1D, GlobalMaxPooling1D
GlobalAvgPool2D, GlobalMaxPool2D = GlobalAveragePooling2D, GlobalMaxPooling2D
