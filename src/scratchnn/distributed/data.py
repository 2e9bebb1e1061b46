"""Each rank's share of the data: ``shard``.

With ``R`` ranks, rank ``r`` takes the samples ``r, r + R, r + 2R, ...`` (a stride of ``R``)
of the first ``R * (n // R)`` samples: every rank gets ``n // R`` of them (the ``n % R < R``
last samples are left out), so every rank makes the same number of steps per epoch and the
average of the ranks' mean gradients is the mean gradient of all their samples.

Striding keeps each shard spread over the whole data set (a data set sorted by class or by date
gives every rank some of each), and, without shuffling, makes the ranks' batches add up to the
batches of one process: with a batch of ``B`` per rank, step ``k`` of the ``R`` ranks together
uses the samples ``k R B .. (k + 1) R B - 1``, exactly the ``k``-th batch of ``R B`` samples of one
process on the unsharded data. The global batch is ``R * B``: choose ``B`` (``batch_size`` in
``fit``) as the global batch you want divided by the number of ranks.
"""
import numpy as np

from .comm import Collectives


def shard(*arrays, comm=None):
    """This rank's share of ``arrays`` (x, y, sample weights: the same number of samples each; a
    None stays None): one array for one argument, a tuple for several.

        x_part, y_part = distributed.shard(x, y)
    """
    if not arrays:
        raise TypeError("shard() needs at least one array: shard(x) or shard(x, y)")
    c = Collectives(comm)
    given = [a for a in arrays if a is not None]
    if not given:
        raise ValueError("shard(): every argument is None; give the arrays to split between the ranks")
    lengths = [len(a) for a in given]
    if len(set(lengths)) > 1:
        raise ValueError(f"shard(): the arrays have different numbers of samples: {lengths}")
    n = lengths[0]
    per_rank = n // c.size
    if per_rank == 0:
        raise ValueError(f"shard(): {n} samples cannot be shared by {c.size} ranks (at least one each)")
    parts = tuple(None if a is None else _take(a, c.rank, c.size, per_rank) for a in arrays)
    return parts[0] if len(parts) == 1 else parts


def _take(array, rank, size, count):
    index = slice(rank, rank + size * count, size)
    if isinstance(array, (list, tuple)):
        return np.asarray(array)[index]
    return array[index]
