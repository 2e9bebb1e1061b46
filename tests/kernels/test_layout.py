"""``scratchnn/kernels/layout.py``: ``channel_rows`` views the rows side by side."""
import numpy as np


def test_channel_rows_views_rows_side_by_side():
    from scratchnn.kernels import channel_rows
    for (m, c), r in {(12, 32): 4, (7, 3): 1, (64, 5): 64, (16, 300): 1, (0, 4): 1, (1024, 1): 256}.items():
        a = np.arange(m * c, dtype=np.float32).reshape(m, c)
        view, got = channel_rows(a, c)
        assert got == r and view.shape == (m // r, r * c) and np.shares_memory(view, a) | (m == 0)
        np.testing.assert_array_equal(view + np.tile(np.arange(c, dtype=np.float32), r),
                                      (a + np.arange(c, dtype=np.float32)).reshape(view.shape))
