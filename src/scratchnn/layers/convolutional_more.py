"""More convolution and pooling layers (Keras names, arguments, defaults; channels last only):
``Conv2DTranspose``, ``DepthwiseConv2D``, ``Conv1D``, ``MaxPooling1D``,
``GlobalAveragePooling2D``, ``GlobalMaxPooling2D``.

The computation lives in ``scratchnn.functional.conv_more`` (its docstring gives the
formulas of the transposed and depthwise convolutions and their backward passes).
"""
from .. import functional as F
from ..functional import conv_more as _cm
from ..windows import output_size, pair
from .base import Layer, format_shape
from .convolutional import _channels_last, _padding
from .core import KernelBiasMixin


def _positive_int(value, name, who):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return value


def _pair_for(value, name, who):
    try:
        return pair(value, name)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{who}: {err}") from None


class _WeightedConv(KernelBiasMixin, Layer):
    """What the convolution layers with a kernel and a bias share: the activation, the
    initializers/regularizers/constraints (``prefix`` = 'kernel' or 'depthwise', as Keras names
    the arguments), the rank and channel checks, and their part of the config."""
    _rank = 4                 # input rank: (N, H, W, C)
    _what = "images of shape (batch, height, width, channels)"
    _prefix = "kernel"

    @property
    def _who(self):
        return f"{type(self).__name__} '{self.name}'"

    def _in_channels(self):
        """The number of input channels the kernel was built for."""
        raise NotImplementedError

    def _check_input(self, shape):
        if len(shape) != self._rank:
            raise ValueError(f"{self._who} expects {self._what}, got shape {format_shape(shape)}")
        if self.built and shape[-1] != self._in_channels():
            raise ValueError(f"{self._who} was built for {self._in_channels()} input channels, "
                             f"got input of shape {format_shape(shape)}")
        if self.built:
            self.compute_output_shape(shape)                  # the kernel must still fit

    def _weights_config(self):
        return self._kernel_config(self._prefix)


class Conv2DTranspose(_WeightedConv):
    """Transposed 2-D convolution: ``y = activation(conv2d_transpose(x, kernel) + bias)``.

    Each input pixel stamps its kernel-weighted copy into a ``kernel_size`` window of the
    output, windows ``strides`` apart: the layer upsamples (the adjoint of a strided Conv2D,
    used in decoders). Kernel (kh, kw, filters, C_in), as in Keras; parameters
    kh*kw*filters*C_in + filters. Output size: 'valid' (H - 1)*s + max(kh, s), 'same' H*s,
    or (H - 1)*s + kh + p ('valid') / (H - 1)*s + kh % 2 + p ('same') with ``output_padding`` p.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        who = self._who
        self.filters = _positive_int(filters, "filters", who)
        _channels_last(data_format, who)
        self.kernel_size = _pair_for(kernel_size, "kernel_size", who)
        self.strides = _pair_for(strides, "strides", who)
        self.dilation_rate = _pair_for(dilation_rate, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 with dilation_rate > 1 is not supported (as in Keras)")
        self.padding = _padding(padding, who)
        self.output_padding = _cm.check_output_padding(output_padding, self.strides, who)
        self._set_kernel_args(activation, use_bias, kernel_initializer, bias_initializer,
                                kernel_regularizer, bias_regularizer, activity_regularizer,
                                kernel_constraint, bias_constraint)

    def _in_channels(self):
        return self.kernel.shape[3]

    def build(self, input_shape):
        self._check_input(input_shape)
        self.compute_output_shape(input_shape)
        self._add_kernel_and_bias(self.kernel_size + (self.filters, input_shape[-1]), self.filters)

    def call(self, inputs, training=False):
        y = F.conv2d_transpose(inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                               output_padding=self.output_padding, dilation_rate=self.dilation_rate)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        (ho, wo), _ = _cm.transpose_geometry((h, w), self.kernel_size, self.strides, self.padding,
                                             self.output_padding, self.dilation_rate, self._who)
        return (n, ho, wo, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "output_padding": None if self.output_padding is None else list(self.output_padding),
                "dilation_rate": list(self.dilation_rate), **self._weights_config()}


class DepthwiseConv2D(_WeightedConv):
    """Depthwise 2-D convolution: each input channel is convolved with its own
    ``depth_multiplier`` filters (channels do not mix), ``y = activation(depthwise_conv2d(x) + b)``.

    Kernel (kh, kw, C, depth_multiplier) (Keras names the weight 'kernel' and its arguments
    ``depthwise_*``); output channels C*depth_multiplier, channel ch*M + m from input channel
    ch; parameters kh*kw*C*M + C*M. The cheap spatial half of a separable convolution.
    """
    _prefix = "depthwise"

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        who = self._who
        self.depth_multiplier = _positive_int(depth_multiplier, "depth_multiplier", who)
        _channels_last(data_format, who)
        self.kernel_size = _pair_for(kernel_size, "kernel_size", who)
        self.strides = _pair_for(strides, "strides", who)
        self.dilation_rate = _pair_for(dilation_rate, "dilation_rate", who)
        self.padding = _padding(padding, who)
        self._set_kernel_args(activation, use_bias, depthwise_initializer, bias_initializer,
                                depthwise_regularizer, bias_regularizer, activity_regularizer,
                                depthwise_constraint, bias_constraint)

    def _in_channels(self):
        return self.kernel.shape[2]

    def build(self, input_shape):
        self._check_input(input_shape)
        self.compute_output_shape(input_shape)
        c = input_shape[-1]
        self._add_kernel_and_bias(self.kernel_size + (c, self.depth_multiplier), c * self.depth_multiplier)

    def call(self, inputs, training=False):
        y = F.depthwise_conv2d(inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                               dilation_rate=self.dilation_rate)
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        out = []
        for size, k, s, d, axis in zip((h, w), self.kernel_size, self.strides, self.dilation_rate,
                                       ("height", "width")):
            o = None if size is None else output_size(size, k, s, self.padding, d)
            if o is not None and o < 1:
                kh, kw = self.kernel_size
                raise ValueError(f"{self._who}: a {kh}x{kw} kernel (dilation "
                                 f"{self.dilation_rate}) with padding '{self.padding}' does not fit input of "
                                 f"shape {format_shape(input_shape)} along the {axis}")
            out.append(o)
        return (n, out[0], out[1], None if c is None else c * self.depth_multiplier)

    def get_config(self):
        return {**super().get_config(), "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "depth_multiplier": self.depth_multiplier,
                "dilation_rate": list(self.dilation_rate), **self._weights_config()}


def _one_for(value, name, who):
    return (_cm._one(value, name, who),)


class Conv1D(_WeightedConv):
    """1-D convolution over sequences (N, steps, channels): ``filters`` kernels of length
    ``kernel_size`` slide along the steps, ``y = activation(conv1d(x, kernel) + bias)``.

    Kernel (k, C_in, filters), as in Keras; parameters k*C_in*filters + filters.
    ``padding='causal'`` pads (k - 1)*dilation zeros on the left only, so an output never
    sees a later step (as in WaveNet).
    """
    _rank = 3
    _what = "sequences of shape (batch, steps, channels)"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        who = self._who
        self.filters = _positive_int(filters, "filters", who)
        if groups != 1:
            raise ValueError(f"{who}: groups={groups!r} is not supported (only 1)")
        _channels_last(data_format, who)
        self.kernel_size = _one_for(kernel_size, "kernel_size", who)
        self.strides = _one_for(strides, "strides", who)
        self.dilation_rate = _one_for(dilation_rate, "dilation_rate", who)
        if self.strides[0] > 1 and self.dilation_rate[0] > 1:
            raise ValueError(f"{who}: strides > 1 with dilation_rate > 1 is not supported (as in Keras)")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same", "causal"):
            raise ValueError(f"{who}: padding must be 'valid', 'same' or 'causal', got {padding!r}")
        self._set_kernel_args(activation, use_bias, kernel_initializer, bias_initializer,
                                kernel_regularizer, bias_regularizer, activity_regularizer,
                                kernel_constraint, bias_constraint)

    def _in_channels(self):
        return self.kernel.shape[1]

    def build(self, input_shape):
        self._check_input(input_shape)
        self.compute_output_shape(input_shape)
        self._add_kernel_and_bias(self.kernel_size + (input_shape[-1], self.filters), self.filters)

    def call(self, inputs, training=False):
        y = F.conv1d(inputs, self.kernel, self.bias, strides=self.strides[0], padding=self.padding,
                     dilation_rate=self.dilation_rate[0])
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        n, length, _ = input_shape
        (k,), (s,), (d,) = self.kernel_size, self.strides, self.dilation_rate
        if length is None:
            return (n, None, self.filters)
        if self.padding == "causal":
            out = output_size(length + (k - 1) * d, k, s, "valid", d)
        else:
            out = output_size(length, k, s, self.padding, d)
        if out < 1:
            raise ValueError(f"{self._who}: a kernel of {k} (dilation {d}) with padding '{self.padding}' "
                             f"does not fit input of shape {format_shape(input_shape)}: it is longer than "
                             f"the {length} steps")
        return (n, out, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "dilation_rate": list(self.dilation_rate), **self._weights_config()}


class MaxPooling1D(Layer):
    """Max pooling over sequences: each output is the largest value of its ``pool_size``
    window of steps (per channel); ``strides`` defaults to ``pool_size``."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = f"MaxPooling1D '{self.name}'"
        _channels_last(data_format, who)
        self.pool_size = _one_for(pool_size, "pool_size", who)
        self.strides = self.pool_size if strides is None else _one_for(strides, "strides", who)
        self.padding = _padding(padding, who)

    def _check_input(self, shape):
        if len(shape) != 3:
            raise ValueError(f"MaxPooling1D '{self.name}' expects sequences of shape "
                             f"(batch, steps, channels), got shape {format_shape(shape)}")
        self.compute_output_shape(shape)

    def build(self, input_shape):
        self._check_input(input_shape)

    def call(self, inputs, training=False):
        return F.max_pool1d(inputs, self.pool_size[0], self.strides[0], self.padding)

    def compute_output_shape(self, input_shape):
        n, length, c = input_shape
        if length is None:
            return (n, None, c)
        out = output_size(length, self.pool_size[0], self.strides[0], self.padding)
        if out < 1:
            raise ValueError(f"MaxPooling1D '{self.name}': a window of {self.pool_size[0]} with padding "
                             f"'{self.padding}' does not fit input of shape {format_shape(input_shape)}: "
                             f"the output would be empty")
        return (n, out, c)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class _GlobalPooling2D(Layer):
    _fn = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, f"{type(self).__name__} '{self.name}'")
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


MaxPool1D = MaxPooling1D
GlobalAvgPool2D, GlobalMaxPool2D = GlobalAveragePooling2D, GlobalMaxPooling2D
