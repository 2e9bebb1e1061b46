"""The per-layer statistics of ``scratchnn.inspect``, each a formula on arrays.

For a layer ``l``: ``activation_mean``/``activation_std`` of its output ``a_l``; ``dead_fraction``
(ReLU layers) the fraction of units that are 0 for every sample; ``gradient_norm`` the L2 norm
``||dL/dW_l||_2`` of the gradient of its kernels; ``weight_mean``/``weight_std`` of its kernels
and histograms of them. ``W_l``, the layer's *kernels*, are its trainable weights with two or
more axes (the Dense or convolution kernel, not the bias); a layer without one
(BatchNormalization) uses all its trainable weights.
"""
import math

import numpy as np

#: The quantities a ``TrainingMonitor`` records per layer (the columns of ``monitor.csv``).
METRICS = ("activation_mean", "activation_std", "dead_fraction", "gradient_norm", "weight_mean",
           "weight_std", "update_ratio")


def kernels(layer):
    """The weights a layer's statistics are computed on: its trainable weights with 2+ axes
    (kernels), or all its trainable weights when it has none (e.g. BatchNormalization)."""
    trainable = [w for w in layer.weights if w.trainable]
    found = [w for w in trainable if w.data.ndim >= 2]
    return found or trainable


def is_relu(layer):
    """Whether the layer's output is a plain ReLU (or ReLU6), whose units can die."""
    return layer.output_activation() in ("relu", "relu6")


def finite(values):
    values = np.asarray(values, dtype=np.float64).ravel()
    return values[np.isfinite(values)]


def mean_std(values):
    """Mean and standard deviation in float64 (NaN when a value is NaN or infinite)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return math.nan, math.nan
    return float(values.mean()), float(values.std())


def dead_fraction(out):
    """Fraction of units (last axis) that are 0 for every sample (and every position)."""
    out = np.asarray(out)
    if out.ndim < 2 or out.shape[-1] == 0:
        return math.nan
    dead = ~np.any(out.reshape(-1, out.shape[-1]) != 0, axis=0)
    return float(dead.mean())


def activation_stats(layer, out):
    mean, std = mean_std(out)
    stats = {"activation_mean": mean, "activation_std": std}
    if is_relu(layer):
        stats["dead_fraction"] = dead_fraction(out)
    return stats


def flat(arrays):
    """Several arrays as one 1-D float64 array."""
    if not arrays:
        return np.zeros(0)
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def l2(arrays):
    """sqrt(sum of squares) over several arrays, in float64: ||[a1, a2, ...]||_2."""
    return math.sqrt(sum(float(np.vdot(a, a)) for a in (np.asarray(x, dtype=np.float64) for x in arrays)))


def weight_stats(layer):
    found = kernels(layer)
    if not found:
        return {}
    mean, std = mean_std(flat([w.data for w in found]))
    return {"weight_mean": mean, "weight_std": std}


def rms(stats):
    """Root mean square of the weights from their mean and standard deviation: sqrt(mean^2 + std^2)."""
    return math.sqrt(stats["weight_mean"] ** 2 + stats["weight_std"] ** 2)


def histogram(values, bins):
    """``(edges, counts)`` of the finite values as lists (empty lists when none is finite)."""
    values = finite(values)
    if values.size == 0:
        return [], []
    lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return edges.tolist(), counts.tolist()


def grad_norm(layer):
    """||dL/dW||_2 of the layer's kernels from their ``.grad`` (None when none has a gradient)."""
    grads = [w.grad for w in kernels(layer) if w.grad is not None]
    return l2(grads) if grads else None
