"""``keras.preprocessing``: the older home of Keras's data helpers, kept by course notebooks
(``keras.preprocessing.sequence.pad_sequences``, ``keras.preprocessing.image.load_img``). The
same functions are in ``keras.utils``."""
from . import image, sequence

__all__ = ["image", "sequence"]
