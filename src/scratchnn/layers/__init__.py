"""Layers, one concern per module (Keras names, arguments and defaults).

``get(identifier)`` / ``serialize(layer)`` / ``deserialize(config)`` map layers to and
from ``{'class_name': ..., 'config': ...}`` dicts; custom layers are found by class
name once registered with ``register(cls)``.
"""
from .. import _custom
from .activations import ELU, LeakyReLU, Maxout, ReLU, Softmax
from .base import Layer, Variable
from .convolutional import AveragePooling2D, AvgPool2D, Conv2D, MaxPool2D, MaxPooling2D
from .convolutional_more import (Conv1D, Conv2DTranspose, DepthwiseConv2D, GlobalAveragePooling2D,
                                 GlobalAvgPool2D, GlobalMaxPool2D, GlobalMaxPooling2D, MaxPool1D,
                                 MaxPooling1D)
from .core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from .normalization import BatchNormalization, LayerNormalization, SpatialDropout2D
from .preprocessing import Normalization, Rescaling
from .reshaping import Cropping2D, UpSampling2D, ZeroPadding2D

_REGISTRY = {cls.__name__: cls for cls in (
    InputLayer, Dense, Flatten, Activation, Dropout, Reshape, ReLU, LeakyReLU, ELU, Softmax, Maxout,
    Rescaling, Normalization, Conv2D, MaxPooling2D, AveragePooling2D)}
_REGISTRY.update({cls.__name__: cls for cls in (      # convolutional_more, reshaping
    Conv2DTranspose, DepthwiseConv2D, Conv1D, MaxPooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D,
    UpSampling2D, ZeroPadding2D, Cropping2D)})
_REGISTRY.update({cls.__name__: cls for cls in (      # normalization
    BatchNormalization, LayerNormalization, SpatialDropout2D)})


def register(cls):
    """Make a custom Layer subclass known by its class name (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register() takes a Layer subclass, got {cls!r}")
    _REGISTRY[cls.__name__] = cls
    return cls


def serialize(layer):
    """``{'class_name': 'Dense', 'config': layer.get_config()}``."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config):
    """A new layer from ``serialize``'s dict."""
    name = config.get("class_name")
    cls = _REGISTRY.get(name) or _custom.lookup(
        name, lambda obj: isinstance(obj, type) and issubclass(obj, Layer))
    if cls is None and name == "Sequential":          # a Sequential model used as a layer
        from ..models import Sequential as cls
    if cls is None:
        raise ValueError(f"unknown layer class {name!r}; known: {', '.join(sorted(_REGISTRY))}. "
                         + _custom.HINT.format(name=name))
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """A layer instance from an instance (returned as is) or a serialized dict."""
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"cannot interpret {identifier!r} as a layer")


__all__ = ["Layer", "Variable", "Input", "InputLayer", "Dense", "Flatten", "Activation", "Dropout",
           "Reshape", "ReLU", "LeakyReLU", "ELU", "Softmax", "Maxout", "Rescaling", "Normalization",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D", "register", "serialize",
           "deserialize", "get"]
__all__ += ["Conv2DTranspose", "DepthwiseConv2D", "Conv1D", "MaxPooling1D", "MaxPool1D",
            "GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
            "UpSampling2D", "ZeroPadding2D", "Cropping2D"]
__all__ += ["BatchNormalization", "LayerNormalization", "SpatialDropout2D"]
