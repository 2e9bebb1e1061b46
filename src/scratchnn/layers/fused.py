"""Layers that run together as one op: ``Conv2D -> BatchNormalization [-> ReLU] [-> MaxPooling2D]``.

``Sequential`` asks each layer whether it runs together with the next (``layer.fuse_with``), and
then asks the answer whether it also takes the layer after (``fused.fuse_with(next_layer)``).
``Conv2D.fuse_with`` answers for a following BatchNormalization with a ``ConvBatchNorm``, which
takes a following ReLU and then a following 'valid' MaxPooling2D. Running it is the same as
calling the layers one after the other (the same values, gradients and moving statistics, to
float rounding; tested), faster:

* in training (``training=True`` and the BatchNormalization trainable), one op,
  ``kernels.conv_bn.FastConvBatchNorm``, with the normalization's backward pass computed on
  the pooled gradient (its docstring has the formulas); the moving statistics are updated as
  ``BatchNormalization.call`` does;
* at inference the normalization is an affine map per channel, y = a z + b with
  a = gamma / sqrt(moving_variance + eps) and b = beta - moving_mean * a, so it folds into the
  convolution: kernel' = kernel * a (each output channel scaled), bias' = (bias - moving_mean) a
  + beta, and the block is one convolution (with its ReLU and pooling fused, ``F.conv2d`` /
  ``F.conv2d_max_pool``).

Only these classes exactly (a subclass may compute something else), built, float32 or float64,
and unobserved (no hooks, no activity regularizer, no ``call`` replaced on the instance):
hooks see every layer's own output.
"""
import numpy as np

from .. import functional as F
from ..autograd import Tensor, no_grad
from ..kernels.conv_bn import FastConvBatchNorm
from ..ops import lift
from ..windows import paddings
from .activations import ReLU
from .core import Activation
from .normalization import BatchNormalization
from .pooling import MaxPooling2D


def runs_alone(layer):
    """Whether ``layer`` must run on its own: not built, watched (hooks, an activity regularizer),
    or its ``call`` replaced on the instance."""
    return not layer.built or layer.observed or "call" in vars(layer)


def is_plain_relu(layer):
    """An ``Activation('relu')`` or a ``ReLU()`` with its defaults: y = max(x, 0)."""
    if type(layer) is Activation:
        return layer.activation is F.relu
    return type(layer) is ReLU and layer.max_value is None and layer.negative_slope == 0 \
        and layer.threshold == 0


def batch_norm_fuses(conv, bn):
    """Whether ``conv`` (a Conv2D, checked by the caller) and the next layer ``bn`` can run as
    a ``ConvBatchNorm``: a BatchNormalization over the channels, same float dtype, no activation
    between them."""
    return (type(bn) is BatchNormalization and not runs_alone(bn) and not runs_alone(conv)
            and conv.activation is F.linear and bn.axis in (-1, 3)
            and conv.dtype == bn.dtype and conv.dtype in (np.float32, np.float64))


class ConvBatchNorm:
    """``pool(relu(bn(conv(x))))`` (relu and pool optional) as one op; see the module docstring."""

    def __init__(self, conv, bn, relu=None, pool=None):
        self.conv, self.bn, self.relu, self.pool = conv, bn, relu, pool

    @property
    def layers(self):
        """The layers this runs, in order."""
        return [layer for layer in (self.conv, self.bn, self.relu, self.pool) if layer is not None]

    def fuse_with(self, next_layer):
        """A longer run with ``next_layer`` (a plain ReLU after the normalization, a 'valid'
        MaxPooling2D after that), or None."""
        if self.pool is not None or runs_alone(next_layer):
            return None
        if self.relu is None and is_plain_relu(next_layer):
            return ConvBatchNorm(self.conv, self.bn, next_layer)
        if type(next_layer) is MaxPooling2D and next_layer.padding == "valid":
            return ConvBatchNorm(self.conv, self.bn, self.relu, next_layer)
        return None

    def __call__(self, inputs, training=False):
        conv, bn, pool = self.conv, self.bn, self.pool
        if not isinstance(inputs, Tensor):
            inputs = conv._as_tensor_input(inputs)
        conv._check_input(inputs.shape)
        shape = conv.compute_output_shape(inputs.shape)
        for layer in self.layers[1:]:
            layer._check_input(shape)
        if inputs.dtype != conv.dtype:           # what each layer makes of it: the layers' own way
            for layer in self.layers:
                inputs = layer(inputs, training=training)
            return inputs
        relu = self.relu is not None
        if training and bn.trainable:
            return self._train(inputs, relu)
        a = bn.gamma if bn.gamma is not None else 1.0
        a = a / ((bn.moving_variance + bn.epsilon) ** 0.5)
        shift = bn.beta if bn.beta is not None else 0.0
        bias = (conv.bias - bn.moving_mean) * a if conv.bias is not None else bn.moving_mean * a * -1.0
        kernel, bias = conv.kernel * a, bias + shift
        args = dict(strides=conv.strides, padding=conv.padding, dilation_rate=conv.dilation_rate, relu=relu)
        if pool is None:
            return F.conv2d(inputs, kernel, bias, **args)
        return F.conv2d_max_pool(inputs, kernel, bias, **args, pool_size=pool.pool_size,
                                 pool_strides=pool.strides, pool_padding=pool.padding)

    def _train(self, inputs, relu):
        conv, bn, pool = self.conv, self.bn, self.pool
        pads = paddings(inputs.shape[1:3], conv.kernel_size, conv.strides, conv.padding, conv.dilation_rate)
        args = [inputs, lift(conv.kernel, inputs)] + ([] if conv.bias is None else [lift(conv.bias, inputs)])
        params = dict(strides=conv.strides, pads=pads, dilation=conv.dilation_rate)
        channels = (conv.filters,)
        gamma = lift(bn.gamma if bn.gamma is not None else np.ones(channels, dtype=conv.dtype), inputs)
        beta = lift(bn.beta if bn.beta is not None else np.zeros(channels, dtype=conv.dtype), inputs)
        stats = []
        out = FastConvBatchNorm.apply(*args, gamma, beta, **params, epsilon=bn.epsilon, relu=relu,
                                      pool=None if pool is None else (pool.pool_size, pool.strides),
                                      stats=stats)
        with no_grad():
            m = bn.momentum
            for moving, batch in ((bn.moving_mean, stats[0]), (bn.moving_variance, stats[1])):
                moving.assign(moving.data * m + batch.astype(moving.dtype) * (1.0 - m))
        return out
