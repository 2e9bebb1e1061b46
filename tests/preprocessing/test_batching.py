"""``scratchnn/preprocessing/batching.py``: batches cover every sample once, partial batches,
shuffling, errors.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn import preprocessing as P

sizes = st.one_of(st.none(), st.floats(0.05, 0.95), st.integers(1, 60))


# ----------------------------------------------------------------------------- batches

@settings(max_examples=40)
@given(n=st.integers(0, 50), batch_size=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans())
def test_batches_cover_every_sample_once(n, batch_size, drop_last, shuffle):
    x, y = np.arange(n * 3).reshape(n, 3), np.arange(n)
    it = P.batches(x, y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, random_state=0)
    got = list(it)
    assert len(got) == len(it) == (n // batch_size if drop_last else -(-n // batch_size))
    sizes = [len(yb) for _, yb in got]
    assert all(s == batch_size for s in sizes[:-1])
    if got:
        assert sizes[-1] == (batch_size if drop_last or n % batch_size == 0 else n % batch_size)
    seen = np.concatenate([yb for _, yb in got]) if got else np.array([], dtype=int)
    assert len(seen) == len(np.unique(seen)) == sum(sizes)
    if not drop_last:
        assert np.array_equal(np.sort(seen), y)
    for xb, yb in got:
        assert np.array_equal(xb[:, 0] // 3, yb)        # rows stay aligned
    if not shuffle:
        assert np.array_equal(seen, y[:len(seen)])


def test_batches_single_array_partial_batch_and_shuffle():
    it = P.batches(np.arange(10), batch_size=4)
    assert isinstance(it, P.BatchIterator)
    assert [b.tolist() for b in it] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b.tolist() for b in P.batches(np.arange(10), batch_size=4, drop_last=True)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    run_1 = P.batches(np.arange(20), batch_size=5, shuffle=True, random_state=4)
    run_2 = P.batches(np.arange(20), batch_size=5, shuffle=True, random_state=4)
    first_1, second_1 = [b.tolist() for b in run_1], [b.tolist() for b in run_1]
    first_2, second_2 = [b.tolist() for b in run_2], [b.tolist() for b in run_2]
    assert first_1 == first_2 and second_1 == second_2          # repeatable with a seed
    assert first_1 != second_1                                  # a new order every epoch
    assert first_1 != [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19]]


def test_batches_errors():
    with pytest.raises(ValueError, match=r"same number of samples.*lengths \[3, 2\]"):
        P.batches(np.arange(3), np.arange(2))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        P.batches(np.arange(3), batch_size=0)
    with pytest.raises(ValueError, match="at least one array"):
        P.batches()
