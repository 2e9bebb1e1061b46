"""``shard``: every rank's share of the samples (no MPI needed: the rank and size are all it reads)."""
import numpy as np
import pytest

from scratchnn import distributed

from tests.distributed.helpers import FakeComm


def test_each_rank_takes_every_size_th_sample_and_as_many_as_the_others():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    parts = [distributed.shard(x, y, comm=FakeComm(rank=r, size=3)) for r in range(3)]
    for r, (xr, yr) in enumerate(parts):
        np.testing.assert_array_equal(yr, [r, r + 3, r + 6])            # sample 9 (10 % 3) left out
        np.testing.assert_array_equal(xr, x[yr])
    assert sorted(np.concatenate([yr for _, yr in parts]).tolist()) == list(range(9))


def test_without_shuffling_the_ranks_batches_make_up_one_process_batches():
    """Batch k of R ranks with batch B, together, is batch k of one process with batch R * B."""
    n, ranks, b = 48, 4, 3
    y = np.arange(n)
    shards = [distributed.shard(y, comm=FakeComm(rank=r, size=ranks)) for r in range(ranks)]
    for k in range(n // (ranks * b)):
        together = np.concatenate([s[k * b:(k + 1) * b] for s in shards])
        assert sorted(together.tolist()) == list(range(k * ranks * b, (k + 1) * ranks * b))


def test_none_lists_and_one_array():
    part = distributed.shard([[1], [2], [3], [4]], comm=FakeComm(rank=1, size=2))
    np.testing.assert_array_equal(part, [[2], [4]])
    x, y, w = distributed.shard(np.arange(4), None, np.ones(4), comm=FakeComm(rank=0, size=2))
    assert y is None and x.tolist() == [0, 2] and w.tolist() == [1, 1]


def test_bad_input_is_refused_with_the_numbers():
    with pytest.raises(ValueError, match=r"different numbers of samples: \[4, 3\]"):
        distributed.shard(np.arange(4), np.arange(3), comm=FakeComm())
    with pytest.raises(ValueError, match="3 samples cannot be shared by 4 ranks"):
        distributed.shard(np.arange(3), comm=FakeComm(rank=0, size=4))
    with pytest.raises(TypeError, match="needs at least one array"):
        distributed.shard(comm=FakeComm())
    with pytest.raises(ValueError, match="every argument is None"):
        distributed.shard(None, comm=FakeComm())
