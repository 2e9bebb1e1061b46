"""``kernels/embedding.py``: the sorted scatter-add gives the sums of ``np.add.at`` (the readable
reference), for repeated, missing, unsorted and empty ids, in float64 and float32.
"""
import numpy as np
import pytest

from scratchnn.kernels.embedding import scatter_add_rows


def _reference(ids, rows, num_rows):
    out = np.zeros((num_rows, rows.shape[1]), dtype=rows.dtype)
    np.add.at(out, ids, rows)
    return out


@pytest.mark.parametrize("n, vocab, dim", [(1, 3, 2), (50, 4, 3), (200, 1000, 8), (0, 5, 3)])
def test_scatter_add_rows_equals_add_at(rng, n, vocab, dim):
    ids = rng.integers(0, vocab, size=n)
    rows = rng.normal(size=(n, dim))
    got = scatter_add_rows(np, ids, rows, vocab)
    assert got.shape == (vocab, dim) and got.dtype == np.float64
    np.testing.assert_allclose(got, _reference(ids, rows, vocab), rtol=1e-13, atol=1e-13)


def test_scatter_add_rows_exact_on_whole_numbers_and_keeps_float32(rng):
    ids = rng.integers(0, 6, size=300)
    rows = rng.integers(-50, 50, size=(300, 4)).astype(np.float32)     # exact in any order
    got = scatter_add_rows(np, ids, rows, 9)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, _reference(ids, rows, 9))
    assert not got[6:].any()                                            # ids never seen: zeros
