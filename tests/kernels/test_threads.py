"""``scratchnn/kernels/threads.py``: ``parallel_batches`` covers every row once, re-raises a
worker's error, and reads ``$SCRATCHNN_NUM_THREADS``. (The conv kernels' batch-parallel passes
are tested in ``tests/functional/test_conv.py``.)
"""
import numpy as np
import pytest

from scratchnn.kernels import threads as threads_module


def test_parallel_batches_covers_every_row_once_and_reraises(monkeypatch):
    monkeypatch.setattr(threads_module, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "4")
    seen = np.zeros(10, int)

    def mark(lo, hi):
        seen[lo:hi] += 1
    threads_module.parallel_batches(mark, 10, 100)
    assert seen.tolist() == [1] * 10

    def fail(lo, hi):
        if lo > 0:
            raise ValueError(f"rows {lo}:{hi}")
    with pytest.raises(ValueError, match="rows"):
        threads_module.parallel_batches(fail, 10, 100)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="SCRATCHNN_NUM_THREADS must be a positive integer, got 'many'"):
        threads_module.parallel_batches(mark, 10, 100)
