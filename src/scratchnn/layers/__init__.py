"""Layers, one concern per module (Keras names, arguments and defaults).

``get(identifier)`` / ``serialize(layer)`` / ``deserialize(config)`` map layers to and
from ``{'class_name': ..., 'config': ...}`` dicts through the ``LAYERS`` registry (class
name -> class); custom layers are found by class name once registered with
``register(cls)`` or ``@scratchnn.saving.register_serializable()``. A model class
(``Sequential``) adds itself to ``LAYERS`` too, so a model used as a layer loads back.
"""
from ..registry import Registry, custom
from .activations import ELU, LeakyReLU, Maxout, ReLU, Softmax
from .base import Layer, Variable
from .masking import get_mask, set_mask
from .convolutional import Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D
from .pooling import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalMaxPool1D,
                      GlobalMaxPool2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPool1D, MaxPool2D,
                      MaxPooling1D, MaxPooling2D)
from .core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Masking, Reshape
from .merging import (Add, Average, Concatenate, ConstantOperation, Dot, Maximum, Minimum, Multiply, Subtract,
                      add, average, concatenate, dot, multiply, subtract)
from .merging import maximum_ as maximum
from .merging import minimum_ as minimum
from .symbolic import KerasTensor
from .attention import MultiHeadAttention
from .augmentation import (CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip,
                           RandomRotation, RandomTranslation, RandomZoom, Resizing)
from .embedding import Embedding, PositionEmbedding, SinePositionEncoding, SinusoidalPositionEncoding
from .normalization import BatchNormalization, LayerNormalization, SpatialDropout2D
from .preprocessing import Normalization, Rescaling
from .reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from .text_preprocessing import StringLookup, TextVectorization
from .transformer import TransformerDecoder, TransformerEncoder
from .recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .wrappers import Bidirectional, TimeDistributed

#: Layer classes by class name (files store each layer under its class name).
LAYERS = Registry("layer", base=Layer, example="Dense")
for _cls in (InputLayer, Dense, Flatten, Activation, Dropout, Reshape, ReLU, LeakyReLU, ELU, Softmax, Maxout,
             Rescaling, Normalization, Conv2D, MaxPooling2D, AveragePooling2D, Conv2DTranspose,
             DepthwiseConv2D, Conv1D, MaxPooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D,
             UpSampling2D, ZeroPadding2D, Cropping2D, BatchNormalization, LayerNormalization,
             SpatialDropout2D, Embedding, MultiHeadAttention, PositionEmbedding, SinusoidalPositionEncoding,
             TransformerEncoder, TransformerDecoder, StringLookup, TextVectorization,
             Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, ConstantOperation,
             SimpleRNNCell, LSTMCell, GRUCell, RNN, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed,
             AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, Masking,
             RandomFlip, RandomCrop, RandomContrast, RandomBrightness, RandomTranslation, RandomRotation,
             RandomZoom, Resizing, CenterCrop):
    LAYERS.add(_cls)
del _cls


def register(cls):
    """Make a custom Layer subclass known by its class name (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register() takes a Layer subclass, got {cls!r}")
    return LAYERS.add(cls)


def serialize(layer):
    """``{'class_name': 'Dense', 'config': layer.get_config()}``."""
    return {"class_name": custom.name_of(type(layer)) or type(layer).__name__, "config": layer.get_config()}


def deserialize(config):
    """A new layer from ``serialize``'s dict."""
    cls = LAYERS.lookup(config.get("class_name"))
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """A layer instance from an instance (returned as is) or a serialized dict."""
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"cannot interpret {identifier!r} as a layer")


__all__ = ["LAYERS", "Layer", "Variable", "Input", "InputLayer", "Dense", "Flatten", "Activation", "Dropout",
           "Reshape", "ReLU", "LeakyReLU", "ELU", "Softmax", "Maxout", "Rescaling", "Normalization",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D", "register", "serialize",
           "deserialize", "get"]
__all__ += ["Conv2DTranspose", "DepthwiseConv2D", "Conv1D", "MaxPooling1D", "MaxPool1D",
            "GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
            "UpSampling2D", "ZeroPadding2D", "Cropping2D"]
__all__ += ["BatchNormalization", "LayerNormalization", "SpatialDropout2D"]
__all__ += ["StringLookup", "TextVectorization"]
__all__ += ["get_mask", "set_mask"]
__all__ += ["Embedding", "MultiHeadAttention", "PositionEmbedding", "SinusoidalPositionEncoding",
            "SinePositionEncoding", "TransformerEncoder", "TransformerDecoder"]
__all__ += ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
            "ConstantOperation", "add", "subtract", "multiply", "average", "maximum", "minimum",
            "concatenate", "dot", "KerasTensor"]
__all__ += ["SimpleRNNCell", "LSTMCell", "GRUCell", "RNN", "SimpleRNN", "LSTM", "GRU", "Bidirectional",
            "TimeDistributed", "AveragePooling1D", "AvgPool1D", "GlobalAveragePooling1D",
            "GlobalMaxPooling1D",
            "GlobalAvgPool1D", "GlobalMaxPool1D"]
__all__ += ["Masking"]
__all__ += ["RandomFlip", "RandomCrop", "RandomContrast", "RandomBrightness", "RandomTranslation",
            "RandomRotation", "RandomZoom", "Resizing", "CenterCrop"]
