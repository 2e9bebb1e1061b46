"""Convolution and pooling layers, channels last ``(N, H, W, C)`` (Keras names, arguments, defaults).

The computation lives in ``scratchnn.functional.conv`` (``conv2d``, ``max_pool2d``,
``avg_pool2d``), whose docstring explains the sliding window, im2col and the backward pass.
"""
import numpy as np

from .. import functional as F
from ..autograd import Tensor
from ..backend import fast_kernels_enabled
from ..windows import output_size, pair
from .base import Layer, format_shape
from .core import KernelBiasMixin


def _padding(value, who):
    padding = str(value).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{who}: padding must be 'valid' or 'same', got {value!r}")
    return padding


def _channels_last(data_format, who):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{who}: only data_format='channels_last' (N, H, W, C) is supported, "
                         f"got {data_format!r}")


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
        _channels_last(data_format, who)
        self.filters = filters
        self.kernel_size = pair(kernel_size, "kernel_size", who)
        self.strides = pair(strides, "strides", who)
        self.dilation_rate = pair(dilation_rate, "dilation_rate", who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 with dilation_rate > 1 is not supported (as in Keras)")
        self.padding = _padding(padding, who)
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
        values and gradients, with the ReLU and its gradient on the 4x smaller pooled array. Only
        these classes exactly (a subclass may compute something else), built, and unobserved (no
        hooks, no activity regularizer, no ``call`` replaced on the instance): hooks see every
        layer's own output."""
        if not (fast_kernels_enabled() and type(self) is Conv2D and type(next_layer) is MaxPooling2D
                and self.built and next_layer.built and self.activation in (F.relu, F.linear)
                and not self.observed and not next_layer.observed
                and "call" not in vars(self) and "call" not in vars(next_layer)):
            return None
        return lambda x, training=False: self.call_then_max_pool(x, next_layer)

    def call_then_max_pool(self, inputs, pool):
        """``pool(self(inputs))`` for a MaxPooling2D layer ``pool``, as one op
        (``F.conv2d_max_pool``: the same values and gradients, with the ReLU and its gradient on
        the pooled array). ``Sequential`` runs a Conv2D followed by a MaxPooling2D this way.
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


class _Pooling2D(Layer):
    _fn = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        _channels_last(data_format, who)
        self.pool_size = pair(pool_size, "pool_size", who)
        self.strides = self.pool_size if strides is None else pair(strides, "strides", who)
        self.padding = _padding(padding, who)

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
