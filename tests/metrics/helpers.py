"""Helpers of the metrics tests: Keras reports float32 values; batches of uneven sizes."""
import numpy as np


def f32(x):
    """``x`` rounded to float32, as a Python float (Keras reports float32 values)."""
    return float(np.float32(x))


def feed(metric, batches, weights=None):
    """Reset, feed ``batches`` of (y_true, y_pred) (with per-batch weights), return result()."""
    metric.reset_state()
    for i, (yt, yp) in enumerate(batches):
        metric.update_state(yt, yp, sample_weight=None if weights is None else weights[i])
    return metric.result()


def split(arrays, sizes):
    """Cut each array into consecutive batches of the given sizes; returns lists per array."""
    edges = np.cumsum([0] + list(sizes))
    assert edges[-1] == len(arrays[0])
    return [[a[s:e] for s, e in zip(edges[:-1], edges[1:])] for a in arrays]


SIZES = [7, 32, 1, 19, 13, 28]          # 100 samples in batches of uneven sizes
N, C = sum(SIZES), 5


# --------------------------------------------------------------- epoch accumulation
def weighted_mean(values, w):
    return np.sum(values * w) / np.sum(w)
