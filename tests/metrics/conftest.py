"""The ``data`` fixture of the metrics tests: 100 samples of every kind of target."""
import numpy as np
import pytest

from tests.metrics.helpers import C, N


@pytest.fixture
def data(rng):
    logits = rng.normal(size=(N, C))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.where(rng.random(N) < 0.6, probs.argmax(axis=1), rng.integers(0, C, N))
    return {
        "probs": probs.astype(np.float32),
        "labels": labels,
        "onehot": np.eye(C, dtype=np.float32)[labels],
        "weights": rng.uniform(0, 2, N),
        "bin_true": (rng.random((N, 1)) < 0.4).astype(np.float32),
        "bin_pred": rng.random((N, 1)).astype(np.float32),
        "reg_true": rng.normal(size=(N, 3)).astype(np.float32),
        "reg_pred": rng.normal(size=(N, 3)).astype(np.float32),
    }
