"""IMDB movie reviews (Maas et al., 2011), as ``keras.datasets.imdb``: 25,000 training and
25,000 test reviews, each a list of word ids, labelled 1 (positive) or 0 (negative).

    from scratchnn.datasets import imdb
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)
    word_index = imdb.get_word_index()          # {"the": 1, "and": 2, ...}

The files are Keras's own (``imdb.npz``, ``imdb_word_index.json`` from
``https://storage.googleapis.com/tensorflow/tf-keras-datasets/``), cached under
``$SCRATCHNN_HOME/datasets/imdb/`` and looked for first in ``$SCRATCHNN_DATASET_MIRRORS``
(``<mirror>/imdb/imdb.npz``); each is checked against the hash Keras publishes before it is
read, and the reviews (a pickled object array) are read with ``safe_pickle``, which rebuilds
NumPy arrays and nothing else. How the arguments change the ids: ``word_sequences``.
"""
import numpy as np

from ._registry import IMDB, IMDB_WORD_INDEX
from .safe_pickle import load_npz
from .word_sequences import as_object_array, encode_texts, fetch_file, load_word_index

__all__ = ["load_data", "get_word_index"]


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, verbose=True, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: each ``x`` a 1-D object array of lists of word
    ids, each ``y`` an integer array of 0/1 labels.

    * ``num_words``: keep the ``num_words`` most frequent words; rarer ids become ``oov_char``;
    * ``skip_top``: ids below it (the most frequent words) become ``oov_char`` too;
    * ``maxlen``: keep only reviews shorter than ``maxlen`` (the start mark counts);
    * ``seed``: the shuffle of each split; ``start_char``: the id put before each review;
    * ``oov_char``: the id of a word left out (None: drop it); ``index_from``: added to every id.

    ``path`` is accepted for Keras's sake (the cache name is always ``imdb.npz``).
    Raises ``ValueError`` if ``maxlen`` leaves a split empty.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unexpected keyword arguments {sorted(kwargs)}.")
    arrays = load_npz(fetch_file("imdb", IMDB, verbose=verbose), what=f"imdb/{IMDB}")
    rng = np.random.RandomState(seed)
    splits = []
    for x_name, y_name in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = arrays[x_name], np.asarray(arrays[y_name])
        order = np.arange(len(x))
        rng.shuffle(order)
        splits.append((x[order], y[order]))
    (x_train, y_train), (x_test, y_test) = splits
    texts, kept = encode_texts(list(x_train) + list(x_test), num_words=num_words, skip_top=skip_top,
                               maxlen=maxlen, start_char=start_char, oov_char=oov_char, index_from=index_from)
    n_train = int(kept[:len(x_train)].sum())
    if maxlen and (not n_train or n_train == len(texts)):
        raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen} in one of the splits; "
                         "increase maxlen.")
    y_train, y_test = y_train[kept[:len(x_train)]], y_test[kept[len(x_train):]]
    return (as_object_array(texts[:n_train]), y_train), (as_object_array(texts[n_train:]), y_test)


def get_word_index(path="imdb_word_index.json", verbose=True):
    """``{word: rank}`` (1 = the most frequent word). In ``load_data``'s ids, word ``w`` is
    ``word_index[w] + index_from``."""
    return load_word_index("imdb", IMDB_WORD_INDEX, verbose=verbose)
