"""``keras.layers``: the layers of ``scratchnn.layers``.

``keras.layers.experimental.preprocessing`` holds the preprocessing and augmentation layers under
the path tf.keras 2.3-2.5 programs use (``layers.experimental.preprocessing.RandomFlip(...)``):
the very same classes."""
import types

from ..layers import *  # noqa: F401,F403
from ..layers import __all__  # noqa: F401
from .. import layers as _layers

experimental = types.SimpleNamespace(preprocessing=types.SimpleNamespace(**{
    name: getattr(_layers, name) for name in (
        "Rescaling", "Normalization", "TextVectorization", "StringLookup", "RandomFlip", "RandomCrop",
        "RandomContrast", "RandomBrightness", "RandomTranslation", "RandomRotation", "RandomZoom", "Resizing",
        "CenterCrop")}))
