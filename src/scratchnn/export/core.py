"""The core layers as ONNX nodes: Dense, Dropout, Flatten, Reshape, Rescaling, Normalization,
BatchNormalization and LayerNormalization (their inference form).
"""
import numpy as np

from ..layers.core import Dense, Dropout, Flatten, InputLayer, Reshape
from ..layers.normalization import BatchNormalization, LayerNormalization, SpatialDropout2D
from ..layers.preprocessing import Normalization, Rescaling
from .activations import activation, check_activation
from .registry import CONVERTERS


@CONVERTERS.register(Dense)
def convert_dense(g, layer, inputs):
    """y = activation(x W + b): Gemm for (batch, features), MatMul + Add for more axes."""
    check_activation(layer, layer.activation, layer.name)
    x = g.channels_last(inputs[0], layer.name)
    kernel = g.weight(layer.kernel, f"{layer.name}/kernel")
    bias = None if layer.bias is None else g.weight(layer.bias, f"{layer.name}/bias")
    if x.rank == 2:
        out = g.op("Gemm", [x.name, kernel] + ([bias] if bias else []), f"{layer.name}/gemm")
    else:
        out = g.op("MatMul", [x.name, kernel], f"{layer.name}/matmul")
        if bias:
            out = g.op("Add", [out, bias], f"{layer.name}/bias_add")
    y = x.with_name(out, shape=tuple(x.shape[:-1]) + (layer.units,))
    return activation(g, y, layer.activation, f"{layer.name}/activation")


@CONVERTERS.register(Dropout, SpatialDropout2D, InputLayer)
def convert_identity(g, layer, inputs):
    """Nothing at inference: the input passes through (Dropout, SpatialDropout2D, Input)."""
    return inputs[0]


@CONVERTERS.register(Flatten)
def convert_flatten(g, layer, inputs):
    """(batch, d1, d2, ...) -> (batch, d1 d2 ...) in scratchnn's (channels-last) order."""
    x = g.channels_last(inputs[0], layer.name)
    return x.with_name(g.op("Flatten", [x.name], layer.name, axis=1),
                       shape=layer.compute_output_shape(x.shape))


@CONVERTERS.register(Reshape)
def convert_reshape(g, layer, inputs):
    """Each sample to ``target_shape`` (0 keeps the batch size, -1 as in the layer)."""
    x = g.channels_last(inputs[0], layer.name)
    shape = g.ints([0] + list(layer.target_shape), f"{layer.name}/shape")
    out = g.op("Reshape", [x.name, shape], layer.name)
    return x.with_name(out, shape=layer.compute_output_shape(x.shape))


@CONVERTERS.register(Rescaling)
def convert_rescaling(g, layer, inputs):
    """y = x * scale + offset (in either layout)."""
    x = inputs[0]
    out = g.op("Mul", [x.name, g.const(layer.scale, f"{layer.name}/scale")], f"{layer.name}/scaled")
    if layer.offset:
        out = g.op("Add", [out, g.const(layer.offset, f"{layer.name}/offset")], f"{layer.name}/offset_add")
    return x.with_name(out)


@CONVERTERS.register(Normalization)
def convert_normalization(g, layer, inputs):
    """y = (x - mean) / max(sqrt(variance), 1e-7), or x * std + mean with ``invert``; the same
    float32 numbers as the layer's ``call`` (std rounded to the model's type, then 1 / std)."""
    x = inputs[0]
    mean = np.asarray(layer.mean.data)
    std = np.maximum(np.sqrt(np.asarray(layer.variance.data)), layer.epsilon).astype(g.dtype)
    mean_name = g.const(g.broadcastable(mean, x, layer.axis), f"{layer.name}/mean")
    if layer.invert:
        scaled = g.op("Mul", [x.name, g.const(g.broadcastable(std, x, layer.axis), f"{layer.name}/std")],
                      f"{layer.name}/scaled")
        return x.with_name(g.op("Add", [scaled, mean_name], layer.name))
    inverse = (1.0 / std).astype(g.dtype)
    centred = g.op("Sub", [x.name, mean_name], f"{layer.name}/centred")
    return x.with_name(g.op("Mul", [centred, g.const(g.broadcastable(inverse, x, layer.axis),
                                                     f"{layer.name}/inverse_std")], layer.name))


@CONVERTERS.register(BatchNormalization)
def convert_batch_normalization(g, layer, inputs):
    """Inference form, folded per channel: y = x * s + t with s = gamma / sqrt(moving_variance
    + epsilon), t = beta - moving_mean * s (computed in float64, then rounded), in either layout."""
    x = inputs[0]
    variance = np.asarray(layer.moving_variance.data, dtype=np.float64)
    mean = np.asarray(layer.moving_mean.data, dtype=np.float64)
    gamma = 1.0 if layer.gamma is None else np.asarray(layer.gamma.data, dtype=np.float64)
    beta = 0.0 if layer.beta is None else np.asarray(layer.beta.data, dtype=np.float64)
    scale = gamma / np.sqrt(variance + layer.epsilon)
    shift = beta - mean * scale
    axis = layer.axis % x.rank
    scaled = g.op("Mul", [x.name, g.const(g.broadcastable(scale, x, axis), f"{layer.name}/scale")],
                  f"{layer.name}/scaled")
    return x.with_name(g.op("Add", [scaled, g.const(g.broadcastable(shift, x, axis), f"{layer.name}/shift")],
                            layer.name))


@CONVERTERS.register(LayerNormalization)
def convert_layer_normalization(g, layer, inputs):
    """y = gamma (x - mean) / sqrt(var + epsilon) + beta over the layer's axes (the layer's
    epsilon): ONNX's LayerNormalization (opset 17) when the axes are the last ones, else the
    formula with ReduceMean."""
    x = g.channels_last(inputs[0], layer.name)
    axes = sorted(a % x.rank for a in (layer.axis if isinstance(layer.axis, list) else [layer.axis]))
    params = tuple(x.shape[a] for a in axes)
    gamma = np.ones(params) if layer.gamma is None else np.asarray(layer.gamma.data)
    beta = np.zeros(params) if layer.beta is None else np.asarray(layer.beta.data)
    trailing = axes == list(range(axes[0], x.rank))
    if trailing and g.opset >= 17:
        out = g.op("LayerNormalization", [x.name, g.const(gamma, f"{layer.name}/gamma"),
                                          g.const(beta, f"{layer.name}/beta")], layer.name,
                   axis=axes[0], epsilon=layer.epsilon)
        return x.with_name(out)
    # gamma / beta broadcast against x: their axes in place, 1 elsewhere (batch axis dropped)
    shape = [x.shape[a] if a in axes else 1 for a in range(1, x.rank)]
    mean = g.reduce("ReduceMean", x.name, axes, f"{layer.name}/mean")
    centred = g.op("Sub", [x.name, mean], f"{layer.name}/centred")
    variance = g.reduce("ReduceMean", g.op("Mul", [centred, centred], f"{layer.name}/squared"), axes,
                        f"{layer.name}/variance")
    std = g.op("Sqrt", [g.op("Add", [variance, g.const(layer.epsilon, f"{layer.name}/epsilon")],
                             f"{layer.name}/variance_eps")], f"{layer.name}/std")
    normalized = g.op("Div", [centred, std], f"{layer.name}/normalized")
    gamma_name = g.const(gamma.reshape(shape), f"{layer.name}/gamma")
    scaled = g.op("Mul", [normalized, gamma_name], f"{layer.name}/scaled")
    return x.with_name(g.op("Add", [scaled, g.const(beta.reshape(shape), f"{layer.name}/beta")], layer.name))
