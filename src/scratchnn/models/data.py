"""Getting data into ``fit``/``evaluate``/``predict``: checks, splits and batches.

Arrays (or lists) are checked once, up front, so that a mistake is reported before
anything is trained: lengths of x and y, NaN/Inf values, batch size.  Batches are
taken with one fancy-indexing copy each and converted to float32 one batch at a
time (no float32 copy of the whole data set).  Generators and other iterables of
``(x, y)`` or ``(x, y, sample_weight)`` batches are accepted as well.
"""
import math

import numpy as np

from ..autograd import Tensor
from ..backend import DEFAULT_FLOAT


def as_array(value, name):
    """An ndarray from an array, list or Tensor (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value.data
    try:
        arr = np.asarray(value)
    except ValueError as err:   # ragged lists
        raise ValueError(f"{name} cannot be converted to an array: {err}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a batch axis, got a scalar")
    return arr


def check_finite(arr, name):
    """Refuse NaN or Inf in a float array, naming the first bad sample."""
    if arr is not None and arr.dtype.kind == "f":
        finite = np.isfinite(arr.reshape(len(arr), -1)).all(axis=1) if arr.ndim > 1 else np.isfinite(arr)
        if not finite.all():
            i = int(np.argmin(finite))
            raise ValueError(f"{name} contains NaN or Inf values (first at sample {i}); clean or "
                             "impute the data before training")


def check_batch_size(batch_size, default=32):
    if batch_size is None:
        return default
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def validation_split_arrays(arrays, validation_split):
    """Split off the last ``validation_split`` fraction (before any shuffling), as Keras does."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
    n = len(arrays[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"{n} samples cannot be split into training and validation sets with "
                         f"validation_split={validation_split}")
    train = tuple(None if a is None else a[:split_at] for a in arrays)
    val = tuple(None if a is None else a[split_at:] for a in arrays)
    return train, val


def to_float_batch(xb):
    """A batch of inputs as float32 (integer images, float64 arrays)."""
    return xb if xb.dtype == DEFAULT_FLOAT else xb.astype(DEFAULT_FLOAT)


class ArrayData:
    """(x, y, sample_weight) arrays served in batches, shuffled per epoch if asked."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, max_steps=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size, self.shuffle = batch_size, shuffle
        n = len(x)
        for name, arr in (("y", y), ("sample_weight", sample_weight)):
            if arr is not None and len(arr) != n:
                raise ValueError(f"x and {name} have different numbers of samples: {n} and {len(arr)}")
        self.num_samples = n
        self.max_steps = max_steps          # steps_per_epoch: end each epoch after this many batches

    @property
    def steps(self):
        full = math.ceil(self.num_samples / self.batch_size)
        return full if self.max_steps is None else min(full, self.max_steps)

    def batches(self, rng=None):
        n, bs = self.num_samples, self.batch_size
        order = rng.permutation(n) if self.shuffle else None
        for start in range(0, self.steps * bs, bs):
            idx = order[start:start + bs] if order is not None else slice(start, start + bs)
            yield (to_float_batch(self.x[idx]),
                   None if self.y is None else self.y[idx],
                   None if self.sample_weight is None else self.sample_weight[idx])


class IterableData:
    """Batches from a generator or any iterable of ``x`` / ``(x, y)`` / ``(x, y, w)``.

    A re-iterable (a list, a Sequence-like object) is iterated afresh each epoch;
    a one-shot generator needs ``steps`` (batches per epoch), as in Keras.
    """

    def __init__(self, source, steps=None):
        self.source, self.steps = source, steps
        self._iterator = None
        self.one_shot = iter(source) is source

    def batches(self, rng=None):
        if self.steps is None:
            if self.one_shot and self._iterator is not None:
                raise ValueError("the generator is exhausted after one epoch; pass steps_per_epoch "
                                 "(or a re-iterable such as a list) to train for several epochs")
            self._iterator = iterator = iter(self.source)
            for item in iterator:
                yield self._unpack(item)
            return
        if self._iterator is None or not self.one_shot:
            self._iterator = iter(self.source)
        for _ in range(self.steps):
            try:
                item = next(self._iterator)
            except StopIteration:
                if self.one_shot:
                    return
                self._iterator = iter(self.source)
                item = next(self._iterator)
            yield self._unpack(item)

    @staticmethod
    def _unpack(item):
        if not isinstance(item, (tuple, list)):
            item = (item,)
        if not 1 <= len(item) <= 3:
            raise ValueError(f"a batch must be x, (x, y) or (x, y, sample_weight); got {len(item)} items")
        x = as_array(item[0], "x")
        y = as_array(item[1], "y") if len(item) > 1 else None
        w = as_array(item[2], "sample_weight") if len(item) > 2 else None
        return to_float_batch(x), y, w


def is_array_like(x):
    if isinstance(x, list) and x and isinstance(x[0], tuple):
        return False          # a list of (x, y[, sample_weight]) batches
    if isinstance(x, (np.ndarray, list, Tensor)):
        return True
    return hasattr(x, "__array__") and not hasattr(x, "__next__")
