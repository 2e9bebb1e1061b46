"""``keras.ops`` (``from scratchnn.keras import ops``): Keras 3's NumPy-like op namespace on
scratchnn's tensors and autograd.

    x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    ops.sum(ops.square(x), axis=-1)        # a scratchnn Tensor: Tensor([ 5., 25.])

Every op takes Tensors, NumPy arrays, lists or numbers and returns a ``scratchnn.Tensor``; the
differentiable ones (arithmetic, reductions, shapes, indexing, activations) record the graph
for ``backward`` / ``tf.GradientTape``. The modules follow Keras's: ``core``, ``numpy``, ``nn``,
``math`` (``norm`` from ``linalg`` lives there too).
"""
from . import core, math, nn, numpy, numpy_more
from .core import *  # noqa: F403
from .math import *  # noqa: F403
from .nn import *  # noqa: F403
from .numpy import *  # noqa: F403
from .numpy_more import *  # noqa: F403

__all__ = core.__all__ + numpy.__all__ + numpy_more.__all__ + nn.__all__ + math.__all__


def __getattr__(name):
    raise AttributeError(f"keras.ops.{name} is not part of scratchnn's keras.ops (this is scratchnn, not "
                         f"Keras); the ops it has: scratchnn.keras.ops.__all__")
