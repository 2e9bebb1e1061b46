"""Text preprocessing layers (Keras names, arguments and vocabulary order): ``StringLookup``
(strings <-> ids) and ``TextVectorization`` (texts -> standardized, split, looked-up ids).

    vectorize = TextVectorization(max_tokens=5000, output_sequence_length=4)
    vectorize.adapt(["foo bar", "bar baz", "baz bada boom"])
    vectorize.get_vocabulary()        # ['', '[UNK]', 'baz', 'bar', 'foo', 'boom', 'bada']
    vectorize(["foo qux bar", "qux baz"])
    # array([[4, 1, 3, 0],
    #        [1, 2, 0, 0]])
    words = StringLookup(vocabulary=vectorize.get_vocabulary(), mask_token="", invert=True)
    words([[4, 1, 3, 0]])             # array([['foo', '[UNK]', 'bar', '']], dtype=object)

They are not differentiable: they take strings (or ids) and return NumPy arrays (int64 ids,
float32 counts, or str objects), not Tensors. Use them on the data before ``fit``, as Keras
advises outside TensorFlow; an ``Embedding`` then takes the ids. Their vocabulary is part of
``get_config()``, so a saved layer keeps it.

``adapt(data)`` counts the tokens of ``data`` and keeps the most frequent: by decreasing count,
ties by decreasing token (Keras: "ties broken by sort order of the tokens (high to low)"). The
special tokens come first: in ``output_mode="int"`` the padding (mask) token ``""`` at 0 and the
out-of-vocabulary token ``"[UNK]"`` at 1; ``max_tokens`` counts them.
"""
import collections
import numbers

import numpy as np

from ..autograd import Tensor
from ..preprocessing.text import STANDARDIZE_MODES, frequency_vocabulary, split, standardize
from ..preprocessing.validation import NotFittedError, preview
from .base import Layer

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _strings(data, who):
    """``data`` (a str, nested lists/tuples or an array of str/bytes) as an object array of str."""
    if isinstance(data, Tensor):
        data = data.data
    array = np.array(data, dtype=object)
    flat = array.reshape(-1)
    for i, item in enumerate(flat):
        if isinstance(item, bytes):
            flat[i] = item.decode("utf-8")
        elif not isinstance(item, str):
            raise TypeError(f"{who}: expected strings, got {type(item).__name__} {item!r}")
    return flat.reshape(array.shape)


def _check_max_tokens(who, max_tokens, pad_to_max_tokens, output_mode):
    if max_tokens is not None and (not isinstance(max_tokens, numbers.Integral)
                                   or isinstance(max_tokens, bool) or max_tokens <= 1):
        raise ValueError(f"{who}: max_tokens must be None or an integer > 1, got {max_tokens!r}")
    if pad_to_max_tokens and (max_tokens is None or output_mode == "int"):
        raise ValueError(f"{who}: pad_to_max_tokens needs max_tokens and an output_mode other than "
                         f"'int', got max_tokens={max_tokens!r}, output_mode={output_mode!r}")


#: the id of a mask token outside output_mode="int": it is dropped from the counts
_DROPPED = -2


class _StringLayer(Layer):
    """A layer on strings: called on NumPy data (no Tensor, no graph, nothing to build), its
    output a NumPy array of ids or strings; forward hooks still see each call."""

    def __call__(self, inputs, training=False):
        outputs = self.call(inputs, training=training)
        if self._forward_hooks:
            self.run_hooks(inputs, outputs)
        return outputs


class StringLookup(_StringLayer):
    """Maps strings to integer ids through a vocabulary (or ids back to strings with ``invert``).

    The ids: ``mask_token`` (if not None, ``output_mode="int"`` only) at 0, then
    ``num_oov_indices`` (0 or 1) out-of-vocabulary ids, then the vocabulary. A string not in it
    gets the OOV id (1 with a mask token, 0 without); with ``num_oov_indices=0`` it raises a
    ``ValueError``. ``invert=True`` maps ids to strings (an id outside the vocabulary gives
    ``oov_token``). ``output_mode``: ``"int"`` (the ids, int64, the input's shape),
    ``"one_hot"`` (one row per string), ``"multi_hot"`` or ``"count"`` (one row per sample over
    the last axis: 1 where a token occurs / how often), float32, ``vocabulary_size()`` columns
    (``max_tokens`` with ``pad_to_max_tokens``).

    The vocabulary is given (``vocabulary=``, special tokens at its start are recognised and
    skipped) or learned by ``adapt(data)``; ``get_vocabulary()`` lists it with the special tokens.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, invert=False, output_mode="int", pad_to_max_tokens=False, **kwargs):
        super().__init__(**kwargs)
        who = f"{type(self).__name__}"
        _check_max_tokens(who, max_tokens, pad_to_max_tokens, output_mode)
        if num_oov_indices not in (0, 1) or isinstance(num_oov_indices, bool):
            raise ValueError(f"{who}: num_oov_indices must be 0 or 1 (scratchnn does not hash "
                             f"out-of-vocabulary strings into several buckets), got {num_oov_indices!r}")
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"{who}: output_mode must be one of {list(OUTPUT_MODES)}, got {output_mode!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{who}: invert=True needs output_mode='int', got {output_mode!r}")
        for name, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and not isinstance(token, str):
                raise ValueError(f"{who}: {name} must be a str or None, got {token!r}")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.num_oov_indices, self.mask_token, self.oov_token = int(num_oov_indices), mask_token, oov_token
        self.invert, self.output_mode = bool(invert), output_mode
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.built = True                       # no weights: the vocabulary is a Python list
        self._tokens = None
        self._given_vocabulary = vocabulary is not None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    # ------------------------------------------------------------------ vocabulary
    def _special_tokens(self):
        mask = [self.mask_token] if self.mask_token is not None and self.output_mode == "int" else []
        return mask + [self.oov_token] * self.num_oov_indices

    def set_vocabulary(self, vocabulary):
        """Use ``vocabulary`` (a list of distinct strings, the special tokens optional at its start)."""
        who = f"{type(self).__name__} '{self.name}'"
        tokens = list(_strings(list(vocabulary), who + ".set_vocabulary").reshape(-1))
        special = self._special_tokens()
        if tokens[:len(special)] == special:
            tokens = tokens[len(special):]
        if not tokens:
            raise ValueError(f"{who}: the vocabulary is empty")
        repeated = sorted(t for t, n in collections.Counter(tokens).items() if n > 1)
        if repeated:
            raise ValueError(f"{who}: the vocabulary repeats {preview(repeated)}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{who}: the mask token {self.mask_token!r} is in the vocabulary at index "
                             f"{tokens.index(self.mask_token)}; it may only come first, as {special}")
        if self.invert and self.oov_token in tokens:
            raise ValueError(f"{who}: the OOV token {self.oov_token!r} is in the vocabulary; it may only "
                             f"come at the start, as {special}")
        size = len(special) + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{who}: a vocabulary of {size} tokens (special tokens included) is larger than "
                             f"max_tokens={self.max_tokens}")
        self._install(tokens)

    def _install(self, tokens):
        self._tokens = list(tokens)
        start = len(self._special_tokens())
        self._index = {token: start + i for i, token in enumerate(self._tokens)}

    def adapt(self, data):
        """Learn the vocabulary from ``data`` (strings of any shape, or an iterable of such
        batches): the most frequent strings first, ties by decreasing string."""
        who = f"{type(self).__name__} '{self.name}'"
        if self._given_vocabulary:
            raise ValueError(f"{who}: cannot adapt a layer built with a vocabulary; create a new layer")
        counts = collections.Counter()
        for batch in _batches(data):
            counts.update(_strings(batch, who + ".adapt").reshape(-1).tolist())
        self._adapt_counts(counts)

    def _adapt_counts(self, counts):
        special = self._special_tokens()
        exclude = {t for t in (self.mask_token, self.oov_token) if t is not None}
        room = None if self.max_tokens is None else self.max_tokens - len(special)
        tokens = frequency_vocabulary(counts, room, exclude)
        if not tokens:
            raise ValueError(f"{type(self).__name__} '{self.name}'.adapt: the data holds no token")
        self._install(tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index = id: the special tokens, then the tokens."""
        self._check_ready("get_vocabulary")
        return (self._special_tokens() if include_special_tokens else []) + list(self._tokens)

    def vocabulary_size(self):
        """The number of ids, special tokens included."""
        self._check_ready("vocabulary_size")
        return len(self._special_tokens()) + len(self._tokens)

    def _check_ready(self, method):
        if self._tokens is None:
            raise NotFittedError(f"{type(self).__name__} '{self.name}'.{method}: no vocabulary yet; call "
                                 "adapt(data) or pass vocabulary=")

    # ------------------------------------------------------------------ calling
    def call(self, inputs, training=False):
        self._check_ready("call")
        if self.invert:
            return self._lookup_strings(inputs)
        return self.encode_ids(self.lookup_ids(_strings(inputs, f"{type(self).__name__} '{self.name}'")))

    def lookup_ids(self, strings):
        """The int64 ids of an object array of str, of the same shape (``output_mode="int"``'s
        output); outside ``"int"`` the mask token gets -2 (dropped by ``encode_ids``)."""
        index = dict(self._index)
        if self.mask_token is not None:
            index[self.mask_token] = 0 if self.output_mode == "int" else _DROPPED
        oov = len(self._special_tokens()) - 1 if self.num_oov_indices else -1
        flat = strings.reshape(-1)
        ids = np.fromiter((index.get(s, oov) for s in flat.tolist()), dtype=np.int64, count=flat.size)
        if oov == -1 and (ids == -1).any():
            raise ValueError(f"{type(self).__name__} '{self.name}': strings not in the vocabulary and "
                             f"num_oov_indices=0: {preview(sorted(set(flat[ids == -1].tolist())))}")
        return ids.reshape(strings.shape)

    def encode_ids(self, ids):
        """``ids`` as ``output_mode`` asks: ``"int"``: unchanged; ``"one_hot"``: a row per id;
        ``"multi_hot"``/``"count"``: a row per sample over the last axis (a 1-D input: each id is
        a sample). Negative ids (a dropped mask token, padding) count for nothing."""
        if self.output_mode == "int":
            return ids
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.output_mode == "one_hot":
            return (ids[..., None] == np.arange(depth)).astype(np.float32)
        ids = ids.reshape(-1, 1) if ids.ndim <= 1 else ids
        rows = ids.reshape(-1, ids.shape[-1])
        # one bincount over all rows: row r's ids are shifted by r * (depth + 1); the extra
        # column of each row collects the negative ids
        shifted = np.where(rows >= 0, rows, depth) + (depth + 1) * np.arange(len(rows))[:, None]
        counts = np.bincount(shifted.reshape(-1), minlength=len(rows) * (depth + 1))
        out = counts.reshape(len(rows), depth + 1)[:, :depth].astype(np.float32)
        if self.output_mode == "multi_hot":
            out = np.minimum(out, np.float32(1.0))
        return out.reshape(ids.shape[:-1] + (depth,))

    def _lookup_strings(self, inputs):
        ids = np.asarray(inputs.data if isinstance(inputs, Tensor) else inputs)
        if ids.size and ids.dtype.kind not in "iu":
            raise ValueError(f"{type(self).__name__} '{self.name}' (invert=True): expected integer ids, got "
                             f"dtype {ids.dtype}")
        table = np.array(self.get_vocabulary(), dtype=object)
        ids = ids.astype(np.int64)
        inside = (ids >= 0) & (ids < len(table))
        out = np.full(ids.shape, self.oov_token, dtype=object)
        out[inside] = table[ids[inside]]
        return out

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        shape = tuple(input_shape) if self.output_mode == "one_hot" else tuple(input_shape)[:-1]
        return shape + (depth,)

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "mask_token": self.mask_token,
                "oov_token": self.oov_token,
                "vocabulary": None if self._tokens is None else list(self._tokens), "invert": self.invert,
                "output_mode": self.output_mode, "pad_to_max_tokens": self.pad_to_max_tokens}


def _batches(data):
    """``data`` as a sequence of batches: an array, str or list is one batch; any other iterable
    (a generator of batches) is many."""
    if isinstance(data, (str, bytes, list, tuple, np.ndarray, Tensor)):
        return [data]
    try:
        return iter(data)
    except TypeError:
        raise TypeError(f"adapt: expected strings or an iterable of batches of strings, got "
                        f"{type(data).__name__}") from None


class TextVectorization(_StringLayer):
    """Texts -> token ids (Keras's ``TextVectorization``): each text is standardized, split into
    tokens and each token looked up in the vocabulary.

    * ``standardize``: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
      ``"strip_punctuation"`` (ASCII punctuation deleted), None, or a callable ``str -> str``;
    * ``split``: ``"whitespace"`` (default), ``"character"`` (every character, spaces
      included), None (the whole text is one token) or a callable ``str -> list of str``;
    * ``output_mode="int"``: the ids (int64) of each text's tokens, padded with 0 (the ``""``
      token) and truncated (the first tokens kept) to ``output_sequence_length``, or padded to
      the longest text of the batch when it is None; a token not in the vocabulary is 1
      (``"[UNK]"``). ``"multi_hot"`` / ``"count"``: one float32 row of ``vocabulary_size()``
      (``max_tokens`` with ``pad_to_max_tokens``) per text, vocabulary ``["[UNK]", ...]``;
    * ``max_tokens``: the largest vocabulary, the special tokens included (``adapt`` keeps the
      ``max_tokens - 2`` most frequent tokens in ``"int"`` mode).

    Input: a str (one text: output (T,)), a list or array of texts (batch,), or (batch, 1).
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace",
                 output_mode="int", output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 **kwargs):
        who = "TextVectorization"
        if not (standardize is None or callable(standardize) or standardize in STANDARDIZE_MODES):
            raise ValueError(f"{who}: standardize must be one of {list(STANDARDIZE_MODES)}, None or a "
                             f"callable, got {standardize!r}")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(f"{who}: split must be 'whitespace', 'character', None or a callable, "
                             f"got {split!r}")
        if output_mode not in ("int", "multi_hot", "count"):
            raise ValueError(f"{who}: output_mode must be 'int', 'multi_hot' or 'count', got {output_mode!r}")
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(f"{who}: output_sequence_length is only for output_mode='int', got "
                                 f"output_mode={output_mode!r}")
            length = output_sequence_length
            if not isinstance(length, numbers.Integral) or isinstance(length, bool) or length < 1:
                raise ValueError(f"{who}: output_sequence_length must be None or an integer >= 1, got "
                                 f"{output_sequence_length!r}")
        _check_max_tokens(who, max_tokens, pad_to_max_tokens, output_mode)
        super().__init__(**kwargs)
        self._lookup = StringLookup(max_tokens=max_tokens, mask_token="" if output_mode == "int" else None,
                                    output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                                    vocabulary=vocabulary, name=f"{self.name}/lookup")
        self.max_tokens, self.standardize, self.split = self._lookup.max_tokens, standardize, split
        self.output_mode, self.pad_to_max_tokens = output_mode, bool(pad_to_max_tokens)
        self.output_sequence_length = None if output_sequence_length is None else int(output_sequence_length)
        self.built = True

    def tokenize(self, texts):
        """The standardized tokens of each text (texts of any shape, read in order): a list of
        lists of str (no lookup)."""
        texts = _strings(texts, f"TextVectorization '{self.name}'.tokenize").reshape(-1)
        return [split(standardize(t, self.standardize), self.split) for t in texts.tolist()]

    def adapt(self, data):
        """Learn the vocabulary from texts (or an iterable of batches of texts)."""
        who = f"TextVectorization '{self.name}'"
        if self._lookup._given_vocabulary:
            raise ValueError(f"{who}: cannot adapt a layer built with a vocabulary; create a new layer")
        counts = collections.Counter()
        for batch in _batches(data):
            for tokens in self.tokenize(_strings(batch, who + ".adapt")):
                counts.update(tokens)
        self._lookup._adapt_counts(counts)

    def set_vocabulary(self, vocabulary):
        self._lookup.set_vocabulary(vocabulary)

    def get_vocabulary(self, include_special_tokens=True):
        """``['', '[UNK]', most frequent token, ...]`` in ``"int"`` mode (``['[UNK]', ...]`` otherwise)."""
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup.vocabulary_size()

    def call(self, inputs, training=False):
        who = f"TextVectorization '{self.name}'"
        self._lookup._check_ready("call")
        texts = _strings(inputs, who)
        single = texts.ndim == 0
        if texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        elif texts.ndim > 1 or single:
            if not single:
                raise ValueError(f"{who}: expected a str, a batch of texts (batch,) or (batch, 1), got shape "
                                 f"{texts.shape}")
            texts = texts.reshape(1)
        token_lists = self.tokenize(texts)
        length = self.output_sequence_length
        if length is None or self.output_mode != "int":
            length = max((len(t) for t in token_lists), default=0)
        # every kept token of every text looked up at once, then put in its (row, column)
        kept = [tokens[:length] for tokens in token_lists]
        counts = np.array([len(k) for k in kept], dtype=np.int64)
        flat = np.array([token for k in kept for token in k], dtype=object)
        rows = np.repeat(np.arange(len(kept)), counts)
        columns = np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)
        pad = 0 if self.output_mode == "int" else -1           # -1: counts for nothing
        ids = np.full((len(kept), length), pad, dtype=np.int64)
        ids[rows, columns] = self._lookup.lookup_ids(flat)
        out = self._lookup.encode_ids(ids) if self.output_mode != "int" else ids
        return out[0] if single else out

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size())

    def get_config(self):
        for name in ("standardize", "split"):
            if callable(getattr(self, name)):
                raise ValueError(f"TextVectorization '{self.name}': a callable {name} cannot be saved in a "
                                 "config; standardize or split the texts before the layer instead")
        lookup = self._lookup
        return {**super().get_config(), "max_tokens": self.max_tokens, "standardize": self.standardize,
                "split": self.split, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": None if lookup._tokens is None else list(lookup._tokens)}


__all__ = ["StringLookup", "TextVectorization"]
