"""``pad_sequences``: sequences of different lengths as one rectangular array, as Keras does it.

    pad_sequences([[1, 2, 3], [4, 5], []], maxlen=4)
    # [[0, 1, 2, 3],
    #  [0, 0, 4, 5],
    #  [0, 0, 0, 0]]

Each row ``i`` holds the kept part of sequence ``i`` (of length ``k_i = min(len_i, maxlen)``):

* ``truncating="pre"`` keeps the *last* ``k_i`` elements, ``"post"`` the first ``k_i``;
* ``padding="pre"`` puts them at the end of the row (``value`` fills the ``maxlen - k_i``
  columns before them), ``"post"`` at its start.

How it is computed without a loop over elements: all sequences are joined into one flat array;
element ``j`` of sequence ``i`` (``0 <= j < len_i``) is kept when ``j >= len_i - k_i`` (pre
truncation) or ``j < k_i`` (post), and lands in column ``j - (len_i - k_i)`` or ``j``, shifted
right by ``maxlen - k_i`` for pre padding. One fancy-indexed assignment writes them all.
"""
import numpy as np

__all__ = ["pad_sequences"]

_SIDES = ("pre", "post")


def _as_arrays(sequences, dtype):
    """Each sequence as an array of ``dtype`` (one pass over the sequences, not the elements),
    and the shape of one element (``()`` for sequences of numbers)."""
    if isinstance(sequences, np.ndarray) and sequences.dtype != object and sequences.ndim >= 2:
        return list(sequences.astype(dtype, copy=False)), sequences.shape[2:]
    arrays, sample_shape = [], None
    for position, sequence in enumerate(sequences):
        try:
            len(sequence)
        except TypeError:
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables (lists, arrays); the "
                             f"element at position {position} is {sequence!r} "
                             f"({type(sequence).__name__}).") from None
        array = np.asarray(sequence, dtype=dtype)
        if len(array) and sample_shape is None:
            sample_shape = array.shape[1:]
        arrays.append(array)
    sample_shape = () if sample_shape is None else sample_shape
    for position, array in enumerate(arrays):
        if not len(array):
            arrays[position] = array.reshape((0, *sample_shape))
        elif array.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: every element of a sequence must have the same shape; the "
                             f"first non-empty sequence's elements have shape {sample_shape}, those of "
                             f"the sequence at position {position} have shape {array.shape[1:]}.")
    return arrays, sample_shape


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
    arrays, sample_shape = _as_arrays(sequences, dtype)
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    if maxlen is None:
        maxlen = int(lengths.max()) if len(lengths) else 0
    out = np.full((len(arrays), maxlen, *sample_shape), value, dtype=dtype)
    if not lengths.sum() or not maxlen:
        return out
    flat = np.concatenate(arrays)
    kept = np.minimum(lengths, maxlen)                            # k_i
    row = np.repeat(np.arange(len(arrays)), lengths)              # i, for each element
    starts = np.cumsum(lengths) - lengths
    position = np.arange(len(flat)) - np.repeat(starts, lengths)  # j, for each element
    if truncating == "pre":
        dropped = np.repeat(lengths - kept, lengths)              # len_i - k_i
        keep = position >= dropped
        column = position - dropped
    else:
        keep = position < np.repeat(kept, lengths)
        column = position
    if padding == "pre":
        column = column + np.repeat(maxlen - kept, lengths)
    out[row[keep], column[keep]] = flat[keep]
    return out
