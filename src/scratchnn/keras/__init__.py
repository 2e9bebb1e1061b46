"""A tf.keras-compatible namespace over scratchnn: change the import, keep the program.

    from scratchnn import keras
    model = keras.models.Sequential([keras.layers.Dense(10, activation='softmax')])

The modules mirror Keras's layout (``keras.layers``, ``keras.optimizers``, ...)
and hold the very same objects as ``scratchnn.layers`` etc.
"""
from . import (activations, callbacks, constraints, datasets, initializers, layers, losses, metrics,
               models, ops, optimizers, preprocessing, random, regularizers, saving, utils)
from ..version import __version__ as SCRATCHNN_VERSION
from .layers import Input, KerasTensor
from .models import Model, Sequential

#: The Keras API whose behaviour this namespace follows, with scratchnn's own version as a local
#: label (PEP 440): ``keras.__version__.split('.')[0] == '3'`` holds, and it says what runs.
__version__ = f"3.10.0+scratchnn.{SCRATCHNN_VERSION}"

__all__ = ["activations", "callbacks", "constraints", "datasets", "initializers", "layers", "losses",
           "metrics", "models", "ops", "optimizers", "preprocessing", "random", "regularizers", "saving",
           "utils",
           "Input", "KerasTensor", "Model", "Sequential"]
