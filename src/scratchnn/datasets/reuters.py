"""Reuters newswires, as ``keras.datasets.reuters``: 11,228 short news stories, each a list of
word ids, labelled with one of 46 topics (``get_label_names()``).

    from scratchnn.datasets import reuters
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000, test_split=0.2)

Keras's files (``reuters.npz``, ``reuters_word_index.json``), fetched, checked and read safely
as ``imdb`` describes (mirror layout ``<mirror>/reuters/reuters.npz``); the arguments act as
``word_sequences`` describes. The stories are shuffled once with ``seed``, then the first
``int(n * (1 - test_split))`` of those kept are the training split.
"""
import numpy as np

from ._registry import REUTERS, REUTERS_WORD_INDEX
from .safe_pickle import load_npz
from .word_sequences import as_object_array, encode_texts, fetch_file, load_word_index

__all__ = ["load_data", "get_word_index", "get_label_names", "LABEL_NAMES"]

#: The 46 topics, in the order of the labels.
LABEL_NAMES = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
               "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi",
               "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
               "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei",
               "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3, verbose=True):
    """``(x_train, y_train), (x_test, y_test)``: ``x`` 1-D object arrays of lists of word ids,
    ``y`` integer topic labels (0..45). Arguments as in ``imdb.load_data``, plus ``test_split``
    (the fraction kept for testing, in [0, 1))."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ValueError(f"reuters.load_data: `test_split` must be a number in [0, 1), got {test_split!r}.")
    arrays = load_npz(fetch_file("reuters", REUTERS, verbose=verbose), what=f"reuters/{REUTERS}")
    x, y = arrays["x"], np.asarray(arrays["y"])
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    texts, kept = encode_texts(list(x), num_words=num_words, skip_top=skip_top, maxlen=maxlen,
                               start_char=start_char, oov_char=oov_char, index_from=index_from)
    y = y[kept]
    cut = int(len(texts) * (1 - test_split))
    return (as_object_array(texts[:cut]), y[:cut]), (as_object_array(texts[cut:]), y[cut:])


def get_word_index(path="reuters_word_index.json", verbose=True):
    """``{word: rank}``; in ``load_data``'s ids, word ``w`` is ``word_index[w] + index_from``."""
    return load_word_index("reuters", REUTERS_WORD_INDEX, verbose=verbose)


def get_label_names():
    """The 46 topic names, indexed by label."""
    return LABEL_NAMES
