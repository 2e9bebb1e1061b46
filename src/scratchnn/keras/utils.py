"""``keras.utils``: ``to_categorical``, ``set_random_seed``, ``pad_sequences``, ``get_file``,
``plot_model`` / ``model_to_dot``, ``load_img`` / ``img_to_array`` / ``array_to_img`` / ``save_img``,
``image_dataset_from_directory``, ``text_dataset_from_directory``, ``PyDataset`` and ``Sequence``."""
from ..datasets.downloads import get_file  # noqa: F401
from ..inspect import model_to_dot, plot_model  # noqa: F401
from ..preprocessing import (PyDataset, Sequence, array_to_img, image_dataset_from_directory,  # noqa: F401
                             img_to_array, load_img, pad_sequences, save_img, text_dataset_from_directory)
from ..utils import set_random_seed, to_categorical  # noqa: F401
