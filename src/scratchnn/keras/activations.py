"""``keras.activations``: the activation functions, with ``get``."""
from ..functional.activations import (elu, exponential, gelu, hard_sigmoid, leaky_relu, linear,  # noqa: F401
                                      log_softmax, mish, relu, relu6, selu, sigmoid, silu, softmax,
                                      softplus, softsign, swish, tanh)
from ..functional.activations import get_activation as get  # noqa: F401
