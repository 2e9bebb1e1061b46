"""Smoothing a noisy per-step curve (mini-batch losses) so that its trend can be read."""
import numpy as np


def moving_average(values, window):
    """Mean of the last ``window`` values at every step (fewer at the start)."""
    c = np.cumsum(np.insert(np.asarray(values, dtype=np.float64), 0, 0.0))
    i = np.arange(1, len(values) + 1)
    lo = np.maximum(0, i - window)
    return (c[i] - c[lo]) / (i - lo)
