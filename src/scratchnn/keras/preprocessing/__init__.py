"""``keras.preprocessing``: the legacy (Keras 2) preprocessing namespace; ``image`` holds
``ImageDataGenerator``."""
from . import image

__all__ = ["image"]
