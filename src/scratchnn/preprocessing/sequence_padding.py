"""``pad_sequences``: sequences of different lengths as one rectangular array, as Keras does it.

    pad_sequences([[1, 2, 3], [4, 5], []], maxlen=4)
    # [[0, 1, 2, 3],
    #  [0, 0, 4, 5],
    #  [0, 0, 0, 0]]

Each row ``i`` holds the kept part of sequence ``i`` (of length ``k_i = min(len_i, maxlen)``):

* ``truncating="pre"`` keeps the *last* ``k_i`` elements, ``"post"`` the first ``k_i``;
* ``padding="pre"`` puts them at the end of the row (``value`` fills the ``maxlen - k_i``
  columns before them), ``"post"`` at its start.

How it is computed without a loop over elements: each sequence is cut to its kept part (one
pass over the sequences: a slice each), and the kept parts are joined into one flat array. The
cells they fill form, in row-major order, exactly the boolean mask ``column >= maxlen - k_i``
(pre padding) or ``column < k_i`` (post padding), built for all rows at once by broadcasting;
``out[mask] = flat`` writes every element in one assignment.
"""
import numpy as np

__all__ = ["pad_sequences"]

_SIDES = ("pre", "post")


def _kept_parts(sequences, maxlen, truncating, dtype):
    """The kept part of each sequence as an array of ``dtype`` (a slice, then one conversion per
    sequence), and the shape of one element (``()`` for sequences of numbers)."""
    if isinstance(sequences, np.ndarray) and sequences.dtype != object and sequences.ndim >= 2:
        cut = sequences[:, -maxlen:] if truncating == "pre" and maxlen else sequences[:, :maxlen]
        return list(cut.astype(dtype, copy=False)), sequences.shape[2:]
    parts, sample_shape = [], None
    for position, sequence in enumerate(sequences):
        try:
            length = len(sequence)
        except TypeError:
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables (lists, arrays); the "
                             f"element at position {position} is {sequence!r} "
                             f"({type(sequence).__name__}).") from None
        if length and sample_shape is None:
            sample_shape = np.asarray(sequence[:1], dtype=dtype).shape[1:]
        kept = length if maxlen is None else min(length, maxlen)
        part = sequence[length - kept:] if truncating == "pre" else sequence[:kept]
        parts.append(np.asarray(part, dtype=dtype))
    sample_shape = () if sample_shape is None else sample_shape
    for position, part in enumerate(parts):
        if not len(part):
            parts[position] = part.reshape((0, *sample_shape))
        elif part.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: every element of a sequence must have the same shape; the "
                             f"first non-empty sequence's elements have shape {sample_shape}, those of "
                             f"the sequence at position {position} have shape {part.shape[1:]}.")
    return parts, sample_shape


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (and cut) a list of sequences to one length: an array of shape
    ``(len(sequences), maxlen, *element_shape)``.

    * ``sequences``: a list (or object array) of sequences: lists or arrays of numbers, or of
      equally shaped arrays; an empty sequence gives a row of ``value``;
    * ``maxlen``: the length of every row; None: the longest sequence's length;
    * ``dtype``: of the result (``"int32"``; ``"float32"`` keeps fractions; ``object`` for strings);
    * ``padding``: ``"pre"`` (fill before the sequence) or ``"post"`` (after it);
    * ``truncating``: ``"pre"`` (drop the first elements of a longer sequence) or ``"post"``
      (drop its last ones);
    * ``value``: what fills the padding (cast to ``dtype``).

    Same semantics as ``keras.utils.pad_sequences``; an empty ``sequences`` gives an array of
    shape ``(0, maxlen or 0)``.
    """
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(f"pad_sequences: `{name}` must be 'pre' or 'post', got {side!r}.")
    if maxlen is not None:
        if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
            raise ValueError("pad_sequences: `maxlen` must be None or a non-negative integer, "
                             f"got {maxlen!r}.")
        maxlen = int(maxlen)
    dtype = np.dtype(dtype)
    if isinstance(value, str) and dtype.kind not in "OUS":
        raise ValueError(f"pad_sequences: `dtype` {dtype} cannot hold the padding `value` {value!r} (a str); "
                         "use dtype=object for strings of any length.")
    parts, sample_shape = _kept_parts(sequences, maxlen, truncating, dtype)
    kept = np.array([len(p) for p in parts], dtype=np.int64)   # k_i
    if maxlen is None:
        maxlen = int(kept.max()) if len(kept) else 0
    out = np.full((len(parts), maxlen, *sample_shape), value, dtype=dtype)
    if kept.sum():
        columns = np.arange(maxlen)
        mask = columns >= (maxlen - kept)[:, None] if padding == "pre" else columns < kept[:, None]
        out[mask] = np.concatenate(parts)
    return out
