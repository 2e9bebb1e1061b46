"""Convolution, pooling and image-resizing layers as ONNX nodes.

ONNX's Conv, ConvTranspose, MaxPool and AveragePool read channels-first tensors: each converter
asks ``graph.channels_first(x)`` (a Transpose only when x is not channels-first already, see
``graph.py``) and returns a channels-first Value, so consecutive convolution and pooling layers
share one Transpose in. 'same' padding is TensorFlow's (the odd extra row/column at the
bottom/right): explicit pads when the size is known, ``auto_pad='SAME_UPPER'`` (the same rule)
otherwise. Keras's 'same' average pooling divides by the number of real pixels in each window:
``count_include_pad=0``.
"""
import numpy as np

from ..functional.conv_variants import transpose_geometry
from ..layers.convolutional import Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D
from ..layers.pooling import (AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling1D,
                              MaxPooling2D)
from ..layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from ..windows import same_padding
from .activations import activation, check_activation
from .graph import ExportError
from .registry import CONVERTERS

_INT64_MAX = np.iinfo(np.int64).max


def window_attributes(sizes, kernel, strides, padding, dilation=None):
    """kernel_shape, strides (, dilations) and pads / auto_pad of a sliding window whose input
    has the spatial ``sizes`` (None where unknown) and Keras's ``padding`` ('valid', 'same')."""
    dilation = dilation or (1,) * len(kernel)
    attributes = {"kernel_shape": list(kernel), "strides": list(strides)}
    if any(d != 1 for d in dilation):
        attributes["dilations"] = list(dilation)
    if padding == "valid":
        attributes["pads"] = [0] * (2 * len(kernel))
    elif None in sizes:
        attributes["auto_pad"] = "SAME_UPPER"              # TensorFlow's rule, worked out at run time
    else:
        pairs = [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, strides, dilation)]
        attributes["pads"] = [p[0] for p in pairs] + [p[1] for p in pairs]
    return attributes


def _bias(g, layer):
    return [] if layer.bias is None else [g.weight(layer.bias, f"{layer.name}/bias")]


def _finish(g, layer, x, out):
    """The convolution's output (channels-first) with the layer's activation."""
    y = x.with_name(out, shape=layer.compute_output_shape(x.shape), channels_first=True)
    return activation(g, y, layer.activation, f"{layer.name}/activation")


@CONVERTERS.register(Conv2D)
def convert_conv2d(g, layer, inputs):
    """Conv with the kernel (kh, kw, C_in, filters) as ONNX's (filters, C_in, kh, kw)."""
    check_activation(layer, layer.activation, layer.name)
    x = g.channels_first(inputs[0], layer.name)
    kernel = g.weight(layer.kernel, f"{layer.name}/kernel", transpose=(3, 2, 0, 1))
    attributes = window_attributes(x.shape[1:3], layer.kernel_size, layer.strides, layer.padding,
                                   layer.dilation_rate)
    out = g.op("Conv", [x.name, kernel] + _bias(g, layer), f"{layer.name}/conv", **attributes)
    return _finish(g, layer, x, out)


@CONVERTERS.register(DepthwiseConv2D)
def convert_depthwise_conv2d(g, layer, inputs):
    """Conv with one group per input channel: kernel (kh, kw, C, M) as (C M, 1, kh, kw), output
    channel c M + m from input channel c (as the layer orders them)."""
    check_activation(layer, layer.activation, layer.name)
    x = g.channels_first(inputs[0], layer.name)
    kh, kw, c, m = layer.kernel.shape
    kernel = g.weight(layer.kernel, f"{layer.name}/kernel", transpose=(2, 3, 0, 1), shape=(c * m, 1, kh, kw))
    attributes = window_attributes(x.shape[1:3], layer.kernel_size, layer.strides, layer.padding,
                                   layer.dilation_rate)
    out = g.op("Conv", [x.name, kernel] + _bias(g, layer), f"{layer.name}/conv", group=c, **attributes)
    return _finish(g, layer, x, out)


@CONVERTERS.register(Conv2DTranspose)
def convert_conv2d_transpose(g, layer, inputs):
    """ConvTranspose with the kernel (kh, kw, filters, C_in) as (C_in, filters, kh, kw). The crop
    of each side is the layer's (``transpose_geometry``); what the full output lacks at the
    bottom/right is ``output_padding``."""
    check_activation(layer, layer.activation, layer.name)
    x = g.channels_first(inputs[0], layer.name)
    sizes = x.shape[1:3]
    if None in sizes:
        raise ExportError(f"layer '{layer.name}' (Conv2DTranspose): the input's height and width must be "
                          f"known to export it, got input shape {x.shape}")
    out_hw, crops = transpose_geometry(sizes, layer.kernel_size, layer.strides, layer.padding,
                                       layer.output_padding, layer.dilation_rate, layer.name)
    begins, ends, extra = [], [], []
    for size, out, (before, after), k, s, d in zip(sizes, out_hw, crops, layer.kernel_size, layer.strides,
                                                   layer.dilation_rate):
        full = (size - 1) * s + (k - 1) * d + 1
        missing = out + before + after - full                 # zeros the scatter leaves at the end
        begins.append(before)
        ends.append(after + max(-missing, 0))
        extra.append(max(missing, 0))
    kernel = g.weight(layer.kernel, f"{layer.name}/kernel", transpose=(3, 2, 0, 1))
    attributes = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.strides),
                  "pads": begins + ends, "output_padding": extra}
    if any(d != 1 for d in layer.dilation_rate):
        attributes["dilations"] = list(layer.dilation_rate)
    out = g.op("ConvTranspose", [x.name, kernel] + _bias(g, layer), f"{layer.name}/conv_transpose",
               **attributes)
    return _finish(g, layer, x, out)


@CONVERTERS.register(Conv1D)
def convert_conv1d(g, layer, inputs):
    """Conv over (N, C, L) with the kernel (k, C_in, filters) as (filters, C_in, k); 'causal'
    pads (k - 1) d zeros at the start only."""
    check_activation(layer, layer.activation, layer.name)
    x = g.channels_first(inputs[0], layer.name)
    kernel = g.weight(layer.kernel, f"{layer.name}/kernel", transpose=(2, 1, 0))
    if layer.padding == "causal":
        (k,), (d,) = layer.kernel_size, layer.dilation_rate
        attributes = {"kernel_shape": [k], "strides": list(layer.strides), "pads": [(k - 1) * d, 0]}
        if d != 1:
            attributes["dilations"] = [d]
    else:
        attributes = window_attributes(x.shape[1:2], layer.kernel_size, layer.strides, layer.padding,
                                       layer.dilation_rate)
    out = g.op("Conv", [x.name, kernel] + _bias(g, layer), f"{layer.name}/conv", **attributes)
    return _finish(g, layer, x, out)


@CONVERTERS.register(MaxPooling2D, AveragePooling2D, MaxPooling1D)
def convert_pooling(g, layer, inputs):
    """MaxPool / AveragePool (count_include_pad=0: Keras's 'same' averages the real pixels only)."""
    x = g.channels_first(inputs[0], layer.name)
    attributes = window_attributes(x.shape[1:-1], layer.pool_size, layer.strides, layer.padding)
    if isinstance(layer, AveragePooling2D):
        out = g.op("AveragePool", [x.name], layer.name, count_include_pad=0, **attributes)
    else:
        out = g.op("MaxPool", [x.name], layer.name, **attributes)
    return x.with_name(out, shape=layer.compute_output_shape(x.shape), channels_first=True)


@CONVERTERS.register(GlobalAveragePooling2D, GlobalMaxPooling2D)
def convert_global_pooling(g, layer, inputs):
    """GlobalAveragePool / GlobalMaxPool: (N, C, H, W) -> (N, C, 1, 1), flattened to (N, C)
    unless ``keepdims``."""
    x = g.channels_first(inputs[0], layer.name)
    op_type = "GlobalAveragePool" if isinstance(layer, GlobalAveragePooling2D) else "GlobalMaxPool"
    pooled = g.op(op_type, [x.name], f"{layer.name}/pooled")
    shape = layer.compute_output_shape(x.shape)
    if layer.keepdims:
        return x.with_name(pooled, shape=shape, channels_first=True)
    return x.with_name(g.op("Flatten", [pooled], layer.name, axis=1), shape=shape, channels_first=False)


def _spatial_axes(x):
    """The physical axes of height and width."""
    return [x.physical_axis(1), x.physical_axis(2)]


@CONVERTERS.register(ZeroPadding2D)
def convert_zero_padding(g, layer, inputs):
    """Pad with zeros (in either layout)."""
    x = inputs[0]
    begins, ends = [0] * 4, [0] * 4
    (top, bottom), (left, right) = layer.padding
    for axis, (before, after) in zip(_spatial_axes(x), ((top, bottom), (left, right))):
        begins[axis], ends[axis] = before, after
    out = g.op("Pad", [x.name, g.ints(begins + ends, f"{layer.name}/pads")], layer.name, mode="constant")
    return x.with_name(out, shape=layer.compute_output_shape(x.shape))


@CONVERTERS.register(Cropping2D)
def convert_cropping(g, layer, inputs):
    """Slice off the borders (in either layout)."""
    x = inputs[0]
    (top, bottom), (left, right) = layer.cropping
    starts, ends = [top, left], [-bottom if bottom else _INT64_MAX, -right if right else _INT64_MAX]
    out = g.op("Slice", [x.name, g.ints(starts, f"{layer.name}/starts"), g.ints(ends, f"{layer.name}/ends"),
                         g.ints(_spatial_axes(x), f"{layer.name}/axes")], layer.name)
    return x.with_name(out, shape=layer.compute_output_shape(x.shape))


@CONVERTERS.register(UpSampling2D)
def convert_upsampling(g, layer, inputs):
    """Resize, nearest neighbour, each pixel repeated into a (sh, sw) block (in either layout)."""
    x = inputs[0]
    scales = [1.0] * 4
    for axis, size in zip(_spatial_axes(x), layer.size):
        scales[axis] = float(size)
    scales_name = g.const(np.asarray(scales, dtype=np.float32), f"{layer.name}/scales", dtype=np.float32)
    out = g.op("Resize", [x.name, "", scales_name], layer.name, mode="nearest",
               coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return x.with_name(out, shape=layer.compute_output_shape(x.shape))
