"""Preparing data for a model: encoders, scalers, splits and mini-batches.

Everything here works on NumPy arrays (a ``Tensor`` is unwrapped to its ``.data``)
and follows scikit-learn's conventions, so that code written against one runs
against the other.  Import every name from ``scratchnn.preprocessing``; each one
lives in the module named for its job:

* ``encoding``: labels and categories: ``one_hot`` (with ``to_categorical``, from
  ``scratchnn.utils``), ``LabelEncoder``, ``OneHotEncoder``, ``get_dummies``;
* ``scaling``: feature scaling: ``StandardScaler``, ``MinMaxScaler``, ``normalize_images``;
* ``splitting``: splitting a data set: ``train_test_split``, ``KFold``, ``StratifiedKFold``;
* ``batching``: feeding a training loop: ``batches`` (a ``BatchIterator``);
* ``dataset``: ``Dataset``, a small ``tf.data.Dataset`` (``from_tensor_slices``, ``shuffle``,
  ``batch``, ``map``, ...; its engine is ``dataset_nodes``, its nested elements ``structure``);
* ``sequence``: ``PyDataset`` (``Sequence``), Keras's base class for batches made by index;
* ``directory_datasets``: ``image_dataset_from_directory``, ``text_dataset_from_directory``
  (a folder with one sub-folder per class, as a ``Dataset``);
* ``image``: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` (Pillow, imported when used);
* ``sequence_padding``: ``pad_sequences`` (lists of different lengths as one array, as Keras pads them);
* ``text``: text to ids: ``CharTokenizer`` (one id per character), and the standardize /
  split / vocabulary steps of ``scratchnn.layers.TextVectorization``;
* ``text_windows``: a language model's training batches: ``TextWindows`` (random windows of a
  token array with their next tokens, nanoGPT's ``get_batch``) and ``windows_at``;
* ``validation``: what the modules above share: ``NotFittedError``, the ``Fittable``
  base class of the encoders and scalers, the input checks and ``check_random_state``.

Transformers learn what they need in ``fit`` (the mean of every feature, the list
of categories...) and store it in attributes whose names end in ``_``; ``transform``
then applies exactly the same mapping to any later data.  Fit on the *training*
data only, so that nothing about the test data leaks into the model.

Randomness: ``random_state`` is ``None`` (draw from scratchnn's global generator,
which ``scratchnn.utils.set_random_seed`` reseeds), an ``int`` seed, or a
``numpy.random.Generator``.
"""
from ..utils import to_categorical
from .batching import BatchIterator, batches
from .dataset import Dataset
from .directory_datasets import image_dataset_from_directory, text_dataset_from_directory
from .encoding import LabelEncoder, OneHotEncoder, get_dummies, one_hot
from .image import array_to_img, img_to_array, load_img, save_img
from .scaling import MinMaxScaler, StandardScaler, normalize_images
from .sequence import PyDataset, Sequence
from .sequence_padding import pad_sequences
from .splitting import KFold, StratifiedKFold, train_test_split
from .text import CharTokenizer
from .text_windows import TextWindows, windows_at
from .validation import NotFittedError

__all__ = ["NotFittedError", "to_categorical", "one_hot", "LabelEncoder", "OneHotEncoder",
           "get_dummies", "StandardScaler", "MinMaxScaler", "normalize_images", "train_test_split",
           "KFold", "StratifiedKFold", "BatchIterator", "batches", "Dataset", "PyDataset", "Sequence",
           "CharTokenizer", "TextWindows", "pad_sequences", "load_img", "img_to_array", "array_to_img",
           "save_img", "image_dataset_from_directory", "text_dataset_from_directory",
           "windows_at"]
