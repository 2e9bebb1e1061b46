"""``import scratchnn.compat.tensorflow as tf``: the part of TensorFlow that courses use, on
scratchnn's own tensors and autograd. This is not TensorFlow, and no module named
``tensorflow`` is installed; anything outside this surface raises one clear line.

What it provides:

* ``tf.keras`` (scratchnn's Keras-like API; ``tf.keras.ops`` included);
* ``tf.__version__``: "2.16.0+scratchnn", the TensorFlow API this surface follows (TF 2.16, the
  first with Keras 3), marked as scratchnn's;
* dtypes (``tf.float32``, ``tf.int32``, ... are NumPy dtypes; ``tf.string`` for string tensors,
  which hold text and refuse arithmetic: ``compat/tf_strings.py``), ``tf.newaxis``, ``tf.Tensor``
  (scratchnn's ``Tensor``), ``tf.Variable`` (``assign``, ``assign_add``, ``assign_sub``);
* tensor functions (``tf.constant``, ``tf.ones``, ``tf.reshape``, ``tf.matmul``, ``tf.reduce_sum``,
  ``tf.one_hot``, ``tf.argmax``, ... see ``compat/tf_tensors.py``), ``tf.math``, ``tf.linalg``,
  ``tf.nn`` (activations usable as ``activation=``, the cross-entropies with logits, ...);
* ``tf.data.Dataset`` (``scratchnn.preprocessing.Dataset``: ``from_tensor_slices``, ``shuffle``,
  ``batch``, ``map``, ...; ``fit`` takes it);
* ``tf.GradientTape`` (custom training loops), ``tf.function`` (runs eagerly) and ``tf.Module``;
* ``tf.config`` (one CPU, no GPU), ``tf.random``, ``tf.random_normal_initializer`` and kin,
  ``tf.print``, ``tf.test.is_gpu_available``.
"""
from .. import keras
from . import tf_tensors
from .tf_autodiff import GradientTape, TensorSpec, UnconnectedGradients, function
from .tf_math import linalg, math, nn
from .tf_module import Module
from .tf_namespace import DTYPES, as_dtype, dtypes, not_provided
from .tf_runtime import (config, constant_initializer, glorot_uniform_initializer, ones_initializer,
                         random, random_normal_initializer, random_uniform_initializer, test,
                         zeros_initializer)
from .tf_runtime import tf_print
from .tf_data import data
from .tf_strings import TEXT_FUNCTIONS, StringTensor, refusing_text, string
from .tf_tensors import *  # noqa: F403

# TensorFlow 2's short names for the Keras modules (``tf.optimizers.Adam()``, ``tf.losses...``)
optimizers, losses, metrics, initializers = keras.optimizers, keras.losses, keras.metrics, keras.initializers

__version__ = "2.16.0+scratchnn"
VERSION = __version__
newaxis = None
print = tf_print                         # noqa: A001  (TensorFlow's name: tf.print)
globals().update(DTYPES)                 # tf.float32, tf.int32, ..., tf.bool

# TensorFlow 2's top-level names for these tf.math functions (tf.sigmoid, tf.tanh, ...)
TOP_LEVEL_MATH = ("sigmoid", "tanh", "sin", "cos", "tan", "floor", "round")
globals().update({name: getattr(math, name) for name in TOP_LEVEL_MATH})

# a string tensor given to a tf.* tensor function that computes on numbers: one clear TypeError
globals().update({name: refusing_text(getattr(tf_tensors, name), f"tf.{name}")
                  for name in tf_tensors.__all__ if name not in TEXT_FUNCTIONS})


def equal(x, y, name=None):
    """``x == y`` element by element, a boolean tensor (numbers or text)."""
    if isinstance(x, StringTensor) or isinstance(y, StringTensor):
        return x == y if isinstance(x, StringTensor) else y == x
    return tf_tensors.equal(x, y)


def not_equal(x, y, name=None):
    """``x != y`` element by element, a boolean tensor (numbers or text)."""
    if isinstance(x, StringTensor) or isinstance(y, StringTensor):
        return x != y if isinstance(x, StringTensor) else y != x
    return tf_tensors.not_equal(x, y)


# ``from ... import *`` must not replace Python's own range, abs, pow, round, print, bool, float:
# those are tf.range, tf.bool, ... only
__all__ = (["keras", "data", "string", "__version__", "newaxis", "dtypes", "as_dtype", "GradientTape",
            "TensorSpec", "UnconnectedGradients", "function", "Module", "math", "linalg", "nn", "config",
            "random", "test",
            "random_normal_initializer", "random_uniform_initializer", "constant_initializer",
            "zeros_initializer", "ones_initializer", "glorot_uniform_initializer"]
           + [n for n in sorted(DTYPES) + tf_tensors.__all__ + list(TOP_LEVEL_MATH)
              if n not in ("range", "abs", "pow", "round", "bool", "float")])


def __getattr__(name):
    raise not_provided(f"tf.{name}")
