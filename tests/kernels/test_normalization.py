"""``scratchnn/kernels/normalization.py``: batch normalization's per-channel passes on
``channel_rows``'s wide view give the very same numbers as working row by row."""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.kernels import normalization


@pytest.mark.parametrize("shape", [(12, 32), (6, 5, 5, 8), (7, 3)])
def test_batch_norm_wide_rows_give_the_very_same_numbers(rng, monkeypatch, shape):
    """Batch norm works on ``channel_rows``'s wide view (fewer, longer NumPy loops): values and
    gradients are bit-identical to working row by row."""
    c = shape[-1]
    x, gamma, beta, r = (rng.normal(size=s).astype(np.float32) for s in (shape, c, c, shape))
    results = []
    for wide in (True, False):
        if not wide:          # the kernel, made to work row by row
            monkeypatch.setattr(normalization, "channel_rows", lambda a, c: (a.reshape(-1, c), 1))
        xs, gs, bs = (Tensor(a, requires_grad=True) for a in (x, gamma, beta))
        with fast_kernels(True):
            y, mean, var = F.batch_norm_train(xs, gs, bs)
            (y * Tensor(r)).sum().backward()
            z = F.batch_norm(xs.data, gamma, beta, mean, var)
        results.append([y.data, mean.data, var.data, xs.grad.data, gs.grad.data, bs.grad.data, z.data])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
