"""``keras.preprocessing``: the older home of Keras's data helpers, kept by course notebooks
(``keras.preprocessing.sequence.pad_sequences``, ``keras.preprocessing.image.load_img`` and
``ImageDataGenerator``). The functions are also in ``keras.utils``."""
from ...preprocessing import image_dataset_from_directory, text_dataset_from_directory
from . import image, sequence

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory"]
