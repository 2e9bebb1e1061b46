"""Feeding a training loop: mini-batches of aligned arrays.

* ``batches``: the function to call,
  ``for xb, yb in batches(x, y, batch_size=64, shuffle=True): ...``;
* ``BatchIterator``: what it returns; iterable once per epoch (a new order each
  time when shuffling), with ``len()`` the number of batches.
"""
from .. import random as _random
from .validation import as_array, check_positive_int, check_random_state, num_samples

__all__ = ["BatchIterator", "batches"]


class BatchIterator:
    """Iterate over aligned arrays in mini-batches of ``batch_size`` samples.

    Each step yields a tuple with the same rows of every array (``(x_batch, y_batch)``),
    or the batch itself if a single array was given.  The last batch is smaller
    when ``batch_size`` does not divide the number of samples, unless
    ``drop_last=True`` skips it.  ``len()`` is the number of batches:
    ``ceil(n / batch_size)``, or ``floor(n / batch_size)`` with ``drop_last``.

    ``shuffle=True`` draws a new order on every pass (every ``for`` loop, i.e.
    every epoch).  With an int ``random_state`` the generator is created once, so
    successive epochs differ but the whole sequence repeats from run to run;
    ``None`` uses scratchnn's global generator; ``random_state`` is ignored when
    ``shuffle=False``.  Without shuffling the batches are views (slices), not copies.
    """

    def __init__(self, *arrays, batch_size=32, shuffle=False, drop_last=False, random_state=None):
        who = "batches"
        if not arrays:
            raise ValueError(f"{who}: at least one array is required")
        self.arrays = [as_array(a) for a in arrays]
        lengths = [num_samples(a, f"arrays[{i}]", who) for i, a in enumerate(self.arrays)]
        if len(set(lengths)) > 1:
            raise ValueError(f"{who}: all arrays must have the same number of samples (first axis), got "
                             f"lengths {lengths}")
        self.n_samples = lengths[0]
        self.batch_size = check_positive_int(batch_size, "batch_size", who)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._rng = None
        if self.shuffle and random_state is not None:
            self._rng = check_random_state(random_state, who)

    def __len__(self):
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)          # ceil without floats

    def __iter__(self):
        n, size = self.n_samples, self.batch_size
        order = None
        if self.shuffle:
            rng = self._rng if self._rng is not None else _random.generator()
            order = rng.permutation(n)
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):                     # a loop over batches, not samples
            rows = slice(start, start + size) if order is None else order[start:start + size]
            batch = tuple(a[rows] for a in self.arrays)
            yield batch[0] if len(batch) == 1 else batch


def batches(*arrays, batch_size=32, shuffle=False, drop_last=False, random_state=None):
    """Mini-batches of aligned arrays: ``for xb, yb in batches(x, y, batch_size=64, shuffle=True): ...``

    Returns a ``BatchIterator`` (iterable once per epoch, with ``len()``); see it
    for the details of shuffling, the last partial batch and ``drop_last``.
    """
    return BatchIterator(*arrays, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                         random_state=random_state)
