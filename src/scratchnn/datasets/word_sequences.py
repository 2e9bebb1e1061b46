"""What IMDB and Reuters share: fetching Keras's published files, and turning stored word ids
into the sequences ``load_data`` returns, with Keras's arguments and rules.

The files hold each text as a list of word ranks (1 = the most frequent word). For each text,
in this order (Keras's order, so that the same arguments give the same arrays):

1. the texts are shuffled with ``np.random.RandomState(seed)``;
2. every id ``w`` becomes ``w + index_from``, and ``start_char`` is put in front (ids below
   ``index_from`` are left for padding 0, start 1 and out-of-vocabulary 2);
3. ``maxlen``: only texts *shorter* than ``maxlen`` (start mark included) are kept;
4. an id ``w`` outside ``skip_top <= w < num_words`` becomes ``oov_char`` (or is dropped when
   ``oov_char`` is None). Without ``num_words`` the bound is the largest id of all texts, so
   that id too becomes ``oov_char``: Keras does exactly this, and so do we.

The work is done on one flat array of every id (no loop over words); each split comes back as
a NumPy object array of Python lists (one per text), which ``len``, indexing and
``pad_sequences`` take as Keras's lists.
"""
import json

import numpy as np

from . import _fetch, _registry

__all__ = ["fetch_file", "load_word_index", "encode_texts", "as_object_array"]


def fetch_file(dataset, filename, verbose=True):
    """The verified bytes of ``filename`` of Keras dataset ``dataset`` (cache, mirrors, then
    Keras's download location; the published hash is checked before the bytes are returned)."""
    return _fetch.fetch(_registry.keras_dataset(dataset, filename), verbose=verbose)[filename]


def load_word_index(dataset, filename, verbose=True):
    """``{word: rank}`` read from the JSON file ``filename`` of ``dataset``."""
    index = json.loads(fetch_file(dataset, filename, verbose=verbose).decode("utf-8"))
    if not isinstance(index, dict):
        raise ValueError(f"{dataset}/{filename}: expected a JSON object of word -> index, got "
                         f"{type(index).__name__}.")
    return index


def as_object_array(lists):
    """A 1-D object array holding each element of ``lists`` (never a 2-D array, even when all
    lists have the same length)."""
    out = np.empty(len(lists), dtype=object)
    out[:] = [list(x) for x in lists] if len(lists) else []
    return out


def _check_args(num_words, skip_top, maxlen, start_char, oov_char, index_from):
    for name, value in (("num_words", num_words), ("maxlen", maxlen)):  # 0 means None, as in Keras
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                  or value < 0):
            raise ValueError(f"load_data: `{name}` must be None or a non-negative integer, got {value!r}.")
    for name, value in (("skip_top", skip_top), ("index_from", index_from), ("start_char", start_char),
                        ("oov_char", oov_char)):
        if value is None and name in ("start_char", "oov_char"):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"load_data: `{name}` must be a non-negative integer, got {value!r}.")


def encode_texts(texts, num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3):
    """Steps 2-4 of the module text on ``texts`` (a sequence of lists of ids, already shuffled):
    ``(lists, kept)`` where ``kept`` is the boolean mask of the texts that passed ``maxlen``."""
    _check_args(num_words, skip_top, maxlen, start_char, oov_char, index_from)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    flat = np.concatenate([np.asarray(t, dtype=np.int64).ravel() for t in texts]) if len(texts) else \
        np.zeros(0, np.int64)
    flat = flat + index_from
    if start_char is not None:              # one more id in front of each text
        starts = np.cumsum(lengths) - lengths
        flat = np.insert(flat, starts, start_char)
        lengths = lengths + 1
    kept = np.ones(len(lengths), dtype=bool) if not maxlen else lengths < maxlen
    flat = flat[np.repeat(kept, lengths)]
    lengths = lengths[kept]
    bound = num_words or (int(flat.max()) if len(flat) else 0)
    inside = (flat >= skip_top) & (flat < bound)
    if oov_char is not None:
        flat = np.where(inside, flat, oov_char)
    else:
        row = np.repeat(np.arange(len(lengths)), lengths)
        flat = flat[inside]
        lengths = np.bincount(row[inside], minlength=len(lengths))
    pieces = np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []
    return [p.tolist() for p in pieces], kept
