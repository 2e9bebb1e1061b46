"""Text to integer ids: a character tokenizer for character-level language models, and the
string steps that ``scratchnn.layers.TextVectorization`` is built from.

    from scratchnn.preprocessing import CharTokenizer
    tok = CharTokenizer().fit(text)           # the distinct characters of text, sorted
    ids = tok.encode("To be")                 # int64 array, one id per character
    tok.decode(ids)                           # 'To be'
    tok.vocabulary_size                       # 65 for tiny Shakespeare

``CharTokenizer`` is nanoGPT's ``stoi``/``itos`` pair as an object: id ``i`` is the ``i``-th
character of ``vocabulary_``. Encoding and decoding are vectorized (the text as an array of
Unicode code points), so a million characters take milliseconds.

The helpers ``standardize``, ``split`` and ``frequency_vocabulary`` are Keras's text steps:
lower-casing and stripping ASCII punctuation (the characters of ``string.punctuation``),
splitting on whitespace runs or into characters, and ordering tokens by decreasing count,
ties broken by decreasing token (``"z"`` before ``"a"``), as Keras's ``adapt`` does.
"""
import collections
import string

import numpy as np

from .validation import Fittable, as_array, preview

__all__ = ["CharTokenizer", "standardize", "split", "frequency_vocabulary", "STANDARDIZE_MODES",
           "SPLIT_MODES", "PUNCTUATION"]

#: What ``"strip_punctuation"`` removes: the 32 ASCII punctuation characters.
PUNCTUATION = string.punctuation
STANDARDIZE_MODES = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT_MODES = ("whitespace", "character")
_STRIP = str.maketrans("", "", PUNCTUATION)


def _codes(text):
    """The Unicode code points of ``text`` as a uint32 array (no Python loop per character)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _text(codes):
    return np.ascontiguousarray(codes, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


class CharTokenizer(Fittable):
    """One id per character.

    * ``CharTokenizer().fit(text)``: the vocabulary is the sorted distinct characters of ``text``
      (nanoGPT's ``sorted(set(text))``); ``CharTokenizer(vocabulary="abc ")``: the given
      characters, in the given order (a ``str`` or a sequence of one-character strings, no
      repeats); ``fit`` then keeps it.
    * ``encode(text)``: int64 array of ids; ``decode(ids)``: the ``str`` (ids of any integer
      dtype, a ``Tensor`` too; a 2-D array gives a list of strings, one per row).
    * ``vocabulary_`` (tuple of characters, id = position) and ``vocabulary_size``.

    ``unknown`` says what ``encode`` does with a character outside the vocabulary:

    * ``"error"`` (default): a ``ValueError`` listing the unknown characters (a model cannot
      embed an id it has no row for, so silence here would only move the failure);
    * ``"ignore"``: such characters are dropped (the ids are shorter than the text);
    * a single character, e.g. ``"?"``: such characters are encoded as that character. ``fit``
      adds it to the vocabulary; a given ``vocabulary`` must contain it.
    """
    fitted_attribute = "vocabulary_"

    def __init__(self, vocabulary=None, unknown="error"):
        if not (unknown in ("error", "ignore") or (isinstance(unknown, str) and len(unknown) == 1)):
            raise ValueError("CharTokenizer: unknown must be 'error', 'ignore' or a single character, "
                             f"got {unknown!r}")
        self.unknown = unknown
        self.vocabulary = None if vocabulary is None else self._check_vocabulary(vocabulary)
        if self.vocabulary is not None:
            self._set_vocabulary(self.vocabulary)

    def _check_vocabulary(self, vocabulary):
        chars = list(vocabulary)
        bad = [c for c in chars if not (isinstance(c, str) and len(c) == 1)]
        if bad or not chars:
            raise ValueError("CharTokenizer: vocabulary must be a non-empty str or sequence of single "
                             f"characters, got {preview(bad) if bad else repr(vocabulary)}")
        repeated = sorted(c for c, n in collections.Counter(chars).items() if n > 1)
        if repeated:
            raise ValueError(f"CharTokenizer: vocabulary has repeated characters {repeated}")
        if len(self.unknown) == 1 and self.unknown not in chars:
            raise ValueError(f"CharTokenizer: the replacement character unknown={self.unknown!r} must be in "
                             "the vocabulary")
        return "".join(chars)

    def _set_vocabulary(self, chars):
        self.vocabulary_ = tuple(chars)
        self._code_of_id = _codes("".join(chars))
        self._order = np.argsort(self._code_of_id, kind="stable")
        self._sorted_codes = self._code_of_id[self._order]

    @property
    def vocabulary_size(self):
        """The number of ids (``len(vocabulary_)``)."""
        self.check_fitted("vocabulary_size")
        return len(self.vocabulary_)

    def fit(self, text):
        """Learn the vocabulary: the sorted distinct characters of ``text`` (a ``str``), plus the
        replacement character if ``unknown`` is one. With a vocabulary given to the constructor,
        ``fit`` keeps it. Returns ``self``."""
        if self.vocabulary is not None:
            return self
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharTokenizer.fit: expected a non-empty str, got {type(text).__name__} "
                             f"{preview([text]) if not isinstance(text, str) else repr(text)}")
        codes = np.unique(_codes(text))
        if len(self.unknown) == 1:
            codes = np.union1d(codes, _codes(self.unknown))
        self._set_vocabulary(_text(codes))
        return self

    def encode(self, text):
        """The ids (int64, 1-D) of the characters of ``text``; see ``unknown`` for characters
        outside the vocabulary."""
        self.check_fitted("encode")
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected a str, got {type(text).__name__}")
        codes = _codes(text)
        where = np.minimum(np.searchsorted(self._sorted_codes, codes), len(self._sorted_codes) - 1)
        known = self._sorted_codes[where] == codes
        ids = self._order[where].astype(np.int64)
        if not known.all():
            if self.unknown == "error":
                missing = sorted(set(_text(np.unique(codes[~known]))))
                raise ValueError(f"CharTokenizer.encode: {len(missing)} character(s) not in the vocabulary: "
                                 f"{preview(missing, 10)}; pass unknown='ignore' or a replacement "
                                 "character to accept them")
            if self.unknown == "ignore":
                ids = ids[known]
            else:
                ids[~known] = self.vocabulary_.index(self.unknown)
        return ids

    def decode(self, ids):
        """The text of ``ids`` (a ``str``); for a 2-D array, a list with the text of each row.
        An id outside ``0 .. vocabulary_size - 1`` raises a ``ValueError``."""
        self.check_fitted("decode")
        ids = as_array(ids)
        if ids.ndim == 2:
            return [self.decode(row) for row in ids]
        if ids.ndim > 2 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"CharTokenizer.decode: expected a 1-D or 2-D array of integer ids, got "
                             f"shape {ids.shape} and dtype {ids.dtype}")
        ids = ids.reshape(-1).astype(np.int64)
        bad = (ids < 0) | (ids >= len(self.vocabulary_))
        if bad.any():
            raise ValueError(f"CharTokenizer.decode: ids must be in [0, {len(self.vocabulary_) - 1}], got "
                             f"{preview(np.unique(ids[bad]))}")
        return _text(self._code_of_id[ids])

    # scikit-learn names, so that ``fit_transform`` works
    transform = encode
    inverse_transform = decode

    def __repr__(self):
        size = f", vocabulary_size={len(self.vocabulary_)}" if hasattr(self, "vocabulary_") else ""
        return f"CharTokenizer(unknown={self.unknown!r}{size})"


# ----------------------------------------------------------------------------- Keras's text steps

def standardize(text, mode):
    """``text`` (a ``str``) standardized as Keras's ``TextVectorization`` does: ``mode`` is
    ``"lower_and_strip_punctuation"``, ``"lower"``, ``"strip_punctuation"`` (the ASCII
    punctuation ``PUNCTUATION`` is deleted, not replaced by spaces: ``"don't"`` -> ``"dont"``),
    None (unchanged) or a callable ``str -> str``."""
    if mode is None:
        return text
    if callable(mode):
        out = mode(text)
        if not isinstance(out, str):
            raise TypeError(f"standardize: the callable must return a str, got {type(out).__name__}")
        return out
    if mode == "lower":
        return text.lower()
    if mode == "strip_punctuation":
        return text.translate(_STRIP)
    if mode == "lower_and_strip_punctuation":
        return text.lower().translate(_STRIP)
    raise ValueError(f"standardize: mode must be one of {list(STANDARDIZE_MODES)}, None or a callable, "
                     f"got {mode!r}")


def split(text, mode):
    """The tokens of ``text`` (a list of ``str``): ``"whitespace"``: the words between runs of
    whitespace (none empty); ``"character"``: every character, spaces included; None: the whole
    text as one token; or a callable ``str -> list of str``."""
    if mode == "whitespace":
        return text.split()
    if mode == "character":
        return list(text)
    if mode is None:
        return [text]
    if callable(mode):
        tokens = list(mode(text))
        if not all(isinstance(t, str) for t in tokens):
            raise TypeError("split: the callable must return a sequence of str")
        return tokens
    raise ValueError(f"split: mode must be one of {list(SPLIT_MODES)}, None or a callable, got {mode!r}")


def frequency_vocabulary(counts, max_size=None, exclude=()):
    """The tokens of ``counts`` (a mapping token -> count, e.g. a ``collections.Counter``) by
    decreasing count, ties by decreasing token (Keras's ``adapt`` order, which keeps a vocabulary
    the same from run to run), at most ``max_size`` of them; tokens in ``exclude`` (the special
    tokens) are left out."""
    items = [(count, token) for token, count in collections.Counter(counts).items() if token not in exclude]
    items.sort(reverse=True)
    tokens = [token for _, token in items]
    return tokens if max_size is None else tokens[:max_size]

