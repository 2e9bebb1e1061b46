"""Convolution layers, channels last ``(N, H, W, C)`` (Keras names, arguments, defaults):
``Conv2D``, ``Conv2DTranspose``, ``DepthwiseConv2D``, ``Conv1D``.

The computation lives in ``scratchnn.functional.conv`` (``conv2d``: the sliding window, im2col
and the backward pass, in its docstring) and ``scratchnn.functional.conv_variants`` (the
transposed and depthwise convolutions' formulas and backward passes).
"""
import numpy as np

from .. import functional as F
from ..autograd import Tensor
from ..backend import fast_kernels_enabled
from ..functional import conv_variants as _cv
from ..windows import output_size, pair
from .base import Layer, format_shape
from .core import KernelBiasMixin
from .fused import ConvBatchNorm, batch_norm_fuses
from .images import check_channels_last, check_padding
from .pooling import MaxPooling2D


class Conv2D(KernelBiasMixin, Layer):
    """2-D convolution: ``y = activation(conv2d(x, kernel) + bias)``.

    ``filters`` kernels of shape ``kernel_size`` slide over the image with ``strides``; each
    produces one output channel. Kernel shape (kh, kw, C_in, filters), as in Keras; parameters
    kh * kw * C_in * filters + filters. ``padding='same'`` keeps H/strides x W/strides.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        who = f"Conv2D '{self.name}'"
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ValueError(f"{who}: filters must be a positive integer, got {filters!r}")
        if groups != 1:
            raise ValueError(f"{who}: groups={groups!r} is not supported (only 1)")
        check_channels_last(data_format, who)
        self.filters = filters
        self.kernel_size = pair(kernel_size, "kernel_size", who)
        self.strides = pair(strides, "strides", who)
        self.dilation_rate = pair(dilation_rate, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 with dilation_rate > 1 is not supported (as in Keras)")
        self.padding = check_padding(padding, who)
        self._set_kernel_args(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint)

    def _check_input(self, shape):
        if len(shape) != 4:
            raise ValueError(f"Conv2D '{self.name}' expects images of shape (batch, height, width, "
                             f"channels), got shape {format_shape(shape)}")
        if self.built and shape[-1] != self.kernel.shape[2]:
            raise ValueError(f"Conv2D '{self.name}' was built for {self.kernel.shape[2]} input channels, "
                             f"got input of shape {format_shape(shape)}")
        self.compute_output_shape(shape)             # the kernel must fit this input too

    def build(self, input_shape):
        self._check_input(input_shape)
        self.compute_output_shape(input_shape)          # the kernel must fit the input
        kh, kw = self.kernel_size
        self._add_kernel_and_bias((kh, kw, input_shape[-1], self.filters), self.filters)

    def call(self, inputs, training=False):
        fuse = self.activation is F.relu          # the common case: one fused op, one array
        y = F.conv2d(inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                     dilation_rate=self.dilation_rate, relu=fuse)
        return y if fuse else self.activation(y)

    def fuse_with(self, next_layer):
        """With fast kernels on (``scratchnn.backend.set_fast_kernels``), a Conv2D with ReLU or no
        activation followed by a MaxPooling2D runs as one op, ``call_then_max_pool``: the same
        values and gradients, with the ReLU and its gradient on the 4x smaller pooled array. A
        Conv2D without activation followed by a BatchNormalization runs with it (and a ReLU and a
        'valid' MaxPooling2D after them) as a ``ConvBatchNorm`` (``layers/fused.py``). Only these
        classes exactly (a subclass may compute something else), built, and unobserved (no
        hooks, no activity regularizer, no ``call`` replaced on the instance): hooks see every
        layer's own output."""
        if not fast_kernels_enabled():
            return None
        if type(self) is Conv2D and batch_norm_fuses(self, next_layer):
            return ConvBatchNorm(self, next_layer)
        if not (type(self) is Conv2D and type(next_layer) is MaxPooling2D
                and self.built and next_layer.built and self.activation in (F.relu, F.linear)
                and not self.observed and not next_layer.observed
                and "call" not in vars(self) and "call" not in vars(next_layer)):
            return None
        return lambda x, training=False: self.call_then_max_pool(x, next_layer)

    def call_then_max_pool(self, inputs, pool):
        """``pool(self(inputs))`` for a MaxPooling2D layer ``pool``, as one op
        (``F.conv2d_max_pool``: the same values and gradients to float rounding, with the ReLU and
        its gradient on the pooled array). ``Sequential`` runs a Conv2D followed by a MaxPooling2D
        this way.
        Like ``Layer.__call__`` for each layer, it makes a Tensor of this layer's dtype from an
        array or a list, and checks the shapes (or builds the layers at their first call)."""
        if not isinstance(pool, MaxPooling2D):
            raise TypeError(f"Conv2D '{self.name}'.call_then_max_pool: pool must be a MaxPooling2D layer, "
                            f"got {type(pool).__name__}")
        if not isinstance(inputs, Tensor):
            inputs = Tensor(inputs, dtype=self.dtype if np.asarray(inputs).dtype.kind in "fiub" else None)
        for layer, shape in ((self, inputs.shape), (pool, self.compute_output_shape(inputs.shape))):
            if layer.built:
                layer._check_input(shape)
            else:
                layer._build_once(shape)
        return F.conv2d_max_pool(inputs, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                                 dilation_rate=self.dilation_rate, relu=self.activation is F.relu,
                                 pool_size=pool.pool_size, pool_strides=pool.strides,
                                 pool_padding=pool.padding)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"Conv2D '{self.name}' expects images of shape (batch, height, width, "
                             f"channels), got shape {format_shape(input_shape)}")
        n, h, w, _ = input_shape
        out = []
        for size, k, s, d, axis in zip((h, w), self.kernel_size, self.strides, self.dilation_rate,
                                       ("height", "width")):
            if size is None:
                out.append(None)
                continue
            o = output_size(size, k, s, self.padding, d)
            if o < 1:
                kh, kw = self.kernel_size
                raise ValueError(f"Conv2D '{self.name}': a {kh}x{kw} kernel (dilation {self.dilation_rate}) "
                                 f"with padding '{self.padding}' does not fit input of shape "
                                 f"{format_shape(input_shape)} along the {axis}")
            out.append(o)
        return (n, out[0], out[1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "dilation_rate": list(self.dilation_rate), **self._kernel_config()}


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
        check_channels_last(data_format, who)
        self.kernel_size = _pair_for(kernel_size, "kernel_size", who)
        self.strides = _pair_for(strides, "strides", who)
        self.dilation_rate = _pair_for(dilation_rate, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 with dilation_rate > 1 is not supported (as in Keras)")
        self.padding = check_padding(padding, who)
        self.output_padding = _cv.check_output_padding(output_padding, self.strides, who)
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
        (ho, wo), _ = _cv.transpose_geometry((h, w), self.kernel_size, self.strides, self.padding,
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
        check_channels_last(data_format, who)
        self.kernel_size = _pair_for(kernel_size, "kernel_size", who)
        self.strides = _pair_for(strides, "strides", who)
        self.dilation_rate = _pair_for(dilation_rate, "dilation_rate", who)
        self.padding = check_padding(padding, who)
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
    return (_cv.single_int(value, name, who),)


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
        check_channels_last(data_format, who)
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
