"""Small utilities with Keras's names: ``to_categorical``, ``set_random_seed``; and
``format_percent``, how scratchnn writes a probability as a percentage."""
import numpy as np

from . import random as _random
from .autograd import Tensor


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels: label k becomes a vector with a 1 at index k.

    ``to_categorical([0, 2], 3)`` -> ``[[1, 0, 0], [0, 0, 1]]``.  A trailing axis of
    length 1 is dropped first, as Keras does.
    """
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if num_classes is not None and (not isinstance(num_classes, (int, np.integer)) or num_classes < 1):
        raise ValueError(f"to_categorical: num_classes must be a positive integer, got {num_classes!r}")
    if y.dtype.kind == "f":
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError("to_categorical: labels must be integers, got non-integer values")
    elif y.dtype.kind not in "iub":
        raise ValueError(f"to_categorical: labels must be integers, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {int(y.min())}")
    top = int(y.max()) + 1 if y.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(f"to_categorical: label {top - 1} does not fit num_classes={num_classes}")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def set_random_seed(seed):
    """Seed everything scratchnn draws at random (initializers, dropout, shuffling) and
    NumPy's global generator, so that a script is repeatable. Bit for bit, the runs must also use
    the same number of threads (BLAS sums in another order with another count, and the automatic
    count follows the machine's load at each ``fit``): fix it with ``$SCRATCHNN_NUM_THREADS`` or
    ``scratchnn.backend.set_num_threads(n)`` when the two runs may see different loads."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative integer, got {seed!r}")
    _random.set_seed(int(seed))


def format_percent(fraction, decimals=0):
    """``fraction`` (0.996) as a percentage with ``decimals`` decimals ("99.6%" for 1 decimal).

    Rounding never claims certainty that is not there. A value below 1 is never written "100%":
    more decimals are shown until it differs (0.996 with 0 decimals is "99.6%", 0.9996 "99.96%"),
    up to 4 more, beyond which the last digit is cut rather than rounded ("99.9999%"); only
    exactly 1 is "100%". A value above 0 that would round to 0 is written "<1%" (``decimals=0``),
    "<0.1%" (1), ...; only exactly 0 is "0%". NaN and infinities are written "nan%", "inf%".
    """
    value = 100.0 * float(fraction)
    if not np.isfinite(value):
        return f"{value}%"
    text = f"{value:.{decimals}f}"
    if 0 < value and float(text) == 0:
        return f"<{10.0 ** -decimals:.{decimals}f}%"
    places = decimals
    while float(text) >= 100 and value < 100 and places < decimals + 4:
        places += 1
        text = f"{value:.{places}f}"
    if float(text) >= 100 and value < 100:          # still "100": cut instead of rounding
        text = f"{np.floor(value * 10 ** places) / 10 ** places:.{places}f}"
    return text + "%"


#: How many bytes of an array a check (``np.isfinite``) looks at in one go: checking an array of
#: any size then needs at most about this much extra memory (a whole-array ``np.isfinite`` would add a
#: quarter of a float32 input's size, half a float64 one's once cast).
CHUNK_BYTES = 4 * 2**20


def array_chunks(arr):
    """``(offset, view)`` pairs that cover ``arr`` in C order, each view about ``CHUNK_BYTES``
    (``offset``: the flat index of the view's first element). No copy of the whole array."""
    if arr.flags.c_contiguous:
        flat = arr.reshape(-1)                     # a view
        step = max(1, CHUNK_BYTES // flat.itemsize)
        for start in range(0, flat.size, step):
            yield start, flat[start:start + step]
        return
    row = arr[0].size if len(arr) else 1          # not contiguous: groups of whole samples
    rows = max(1, CHUNK_BYTES // max(1, row * arr.itemsize))
    for start in range(0, len(arr), rows):
        yield start * row, arr[start:start + rows]


