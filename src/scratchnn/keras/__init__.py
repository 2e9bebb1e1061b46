"""A tf.keras-compatible namespace over scratchnn: change the import, keep the program.

    from scratchnn import keras
    model = keras.models.Sequential([keras.layers.Dense(10, activation='softmax')])

The modules mirror Keras's layout (``keras.layers``, ``keras.optimizers``, ...)
and hold the very same objects as ``scratchnn.layers`` etc.
"""
from . import (activations, callbacks, constraints, datasets, initializers, layers, losses, metrics,
               models, ops, optimizers, regularizers, saving, utils)
from .layers import Input
from .models import Model, Sequential

__all__ = ["activations", "callbacks", "constraints", "datasets", "initializers", "layers", "losses",
           "metrics", "models", "ops", "optimizers", "regularizers", "saving", "utils",
           "Input", "Model", "Sequential"]
