"""Activations as ONNX nodes: every name of ``scratchnn.functional.ACTIVATIONS``, and the
activation layers (``Activation``, ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``, ``Maxout``).

Each works on a tensor in either layout; softmax and log-softmax take the physical axis of
the logical one (the channels of a channels-first image are axis 1).
"""
import math

import numpy as np

from .. import functional as F
from ..functional.activations import SELU_ALPHA, SELU_SCALE
from ..layers.activations import ELU, LeakyReLU, Maxout, ReLU, Softmax
from ..layers.core import Activation
from .graph import ExportError
from .registry import CONVERTERS


def _scalar(graph, value, hint):
    return graph.const(np.asarray(value), hint)


def _gelu(g, x, hint):
    """x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, the exact GELU (Gelu is an op only from opset 20)."""
    scaled = g.op("Mul", [x, _scalar(g, math.sqrt(0.5), f"{hint}/1_over_sqrt2")], f"{hint}/scaled")
    cdf = g.op("Add", [g.op("Erf", [scaled], f"{hint}/erf"), _scalar(g, 1.0, f"{hint}/one")], f"{hint}/1_erf")
    half_x = g.op("Mul", [x, _scalar(g, 0.5, f"{hint}/half")], f"{hint}/half_x")
    return g.op("Mul", [half_x, cdf], hint)


def _relu6(g, x, hint):
    return g.op("Clip", [x, _scalar(g, 0.0, f"{hint}/min"), _scalar(g, 6.0, f"{hint}/max")], hint)


def _step(g, x, hint):
    positive = g.op("Greater", [x, _scalar(g, 0.0, f"{hint}/zero")], f"{hint}/positive")
    return g.op("Cast", [positive], hint, to=g.float_type)


def _silu(g, x, hint):
    return g.op("Mul", [x, g.op("Sigmoid", [x], f"{hint}/sigmoid")], hint)


def _mish(g, x, hint):
    return g.op("Mul", [x, g.op("Tanh", [g.op("Softplus", [x], f"{hint}/softplus")], f"{hint}/tanh")], hint)


def _unary(op_type, **attributes):
    return lambda g, x, hint: g.op(op_type, [x], hint, **attributes)


#: name -> fn(graph, x_name, hint) for the element-wise activations (softmax and log_softmax,
#: which need an axis, are in ``activation``).
ELEMENTWISE = {
    "sigmoid": _unary("Sigmoid"), "tanh": _unary("Tanh"), "relu": _unary("Relu"),
    "leaky_relu": _unary("LeakyRelu", alpha=0.3),          # F.leaky_relu's default, Keras's
    "elu": _unary("Elu", alpha=1.0), "selu": _unary("Selu", alpha=SELU_ALPHA, gamma=SELU_SCALE),
    "gelu": _gelu, "softplus": _unary("Softplus"), "silu": _silu, "swish": _silu,
    "softsign": _unary("Softsign"), "hard_sigmoid": _unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    "relu6": _relu6, "exponential": _unary("Exp"), "mish": _mish, "step": _step,
}


def activation_name(fn):
    """The registered name of an activation function, or None for one that is not registered."""
    return F.ACTIVATIONS.name_of(fn)


def activation(g, x, fn, hint, axis=-1):
    """The Value of ``fn(x)`` for an activation function of ``F.ACTIVATIONS`` (``axis``: the
    logical axis of softmax / log_softmax). A function not registered there is refused by name."""
    name = activation_name(fn)
    if name == "linear":
        return x
    if name in ("softmax", "log_softmax"):
        op_type = "Softmax" if name == "softmax" else "LogSoftmax"
        return x.with_name(g.op(op_type, [x.name], hint, axis=x.physical_axis(axis)))
    if name not in ELEMENTWISE:
        raise ExportError(f"{hint}: the activation {getattr(fn, '__name__', fn)!r} has no ONNX converter "
                          f"(known: linear, softmax, log_softmax, {', '.join(sorted(ELEMENTWISE))})")
    return x.with_name(ELEMENTWISE[name](g, x.name, hint))


def check_activation(layer, fn, hint):
    """Refuse an activation without a converter before any node is written."""
    name = activation_name(fn)
    if name not in ELEMENTWISE and name not in ("linear", "softmax", "log_softmax"):
        raise ExportError(f"layer '{layer.name}' ({type(layer).__name__}): the activation "
                          f"{getattr(fn, '__name__', fn)!r} has no ONNX converter")


@CONVERTERS.register(Activation)
def convert_activation(g, layer, inputs):
    return activation(g, inputs[0], layer.activation, layer.name)


@CONVERTERS.register(ReLU)
def convert_relu(g, layer, inputs):
    """f(x) = min(max_value, x) for x >= threshold, negative_slope (x - threshold) otherwise."""
    x, hint = inputs[0], layer.name
    if layer.negative_slope == 0 and layer.threshold == 0:
        out = g.op("Relu", [x.name], f"{hint}/relu")
    else:
        threshold = _scalar(g, layer.threshold, f"{hint}/threshold")
        below = g.op("Mul", [g.op("Sub", [x.name, threshold], f"{hint}/shifted"),
                             _scalar(g, layer.negative_slope, f"{hint}/negative_slope")], f"{hint}/below")
        above = g.op("GreaterOrEqual", [x.name, threshold], f"{hint}/above_threshold")
        out = g.op("Where", [above, x.name, below], f"{hint}/relu")
    if layer.max_value is not None:
        out = g.op("Min", [out, _scalar(g, layer.max_value, f"{hint}/max_value")], f"{hint}/clipped")
    return x.with_name(out)


@CONVERTERS.register(LeakyReLU)
def convert_leaky_relu(g, layer, inputs):
    """The layer's own slope (Keras's default 0.3, not ONNX's 0.01)."""
    return inputs[0].with_name(g.op("LeakyRelu", [inputs[0].name], layer.name, alpha=layer.negative_slope))


@CONVERTERS.register(ELU)
def convert_elu(g, layer, inputs):
    return inputs[0].with_name(g.op("Elu", [inputs[0].name], layer.name, alpha=layer.alpha))


@CONVERTERS.register(Softmax)
def convert_softmax(g, layer, inputs):
    x = inputs[0]
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    if len(axes) != 1:
        raise ExportError(f"layer '{layer.name}' (Softmax): a softmax over several axes {layer.axis} "
                          "has no ONNX converter (ONNX's Softmax takes one axis)")
    return x.with_name(g.op("Softmax", [x.name], layer.name, axis=x.physical_axis(axes[0])))


@CONVERTERS.register(Maxout)
def convert_maxout(g, layer, inputs):
    """(..., units * pieces) -> Reshape (..., units, pieces) -> ReduceMax over the pieces."""
    x = g.channels_last(inputs[0], layer.name)
    pieces = x.shape[-1] // layer.num_units
    shape = g.ints([0] * (x.rank - 1) + [layer.num_units, pieces], f"{layer.name}/shape")
    grouped = g.op("Reshape", [x.name, shape], f"{layer.name}/groups")
    out = g.reduce("ReduceMax", grouped, [x.rank], layer.name, keepdims=0)
    return x.with_name(out, shape=tuple(x.shape[:-1]) + (layer.num_units,))
