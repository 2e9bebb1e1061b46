"""``keras.random``: Keras 3's random ops on scratchnn's generators.

``seed`` may be None (scratchnn's global generator: ``keras.utils.set_random_seed`` makes runs
repeatable), an int (the same numbers at every call, as in Keras) or a ``SeedGenerator`` (a
stream of its own, advancing at each call: the way a layer draws, e.g. a dropout layer written by
hand).
"""
import numbers

import numpy as np

from .. import functional as F
from .. import random as _random
from ..autograd import Tensor
from ..backend import DEFAULT_FLOAT

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "dropout", "shuffle",
           "categorical"]


class SeedGenerator:
    """A stream of random numbers of its own: ``SeedGenerator(1337)`` gives the same stream in
    every run, each draw from it different from the last."""

    def __init__(self, seed=None, name=None, **kwargs):
        self.seed = seed
        self.name = name
        self.rng = np.random.default_rng(seed)


def _rng(seed):
    if isinstance(seed, SeedGenerator):
        return seed.rng
    if seed is None:
        return _random.generator()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"keras.random: seed must be None, an int or a SeedGenerator, got {seed!r}")


def _shape(shape):
    return tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))


def _out(values, dtype):
    return Tensor(np.asarray(values, dtype=np.dtype(dtype) if dtype is not None else DEFAULT_FLOAT))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of N(mean, stddev^2)."""
    return _out(_rng(seed).normal(mean, stddev, _shape(shape)), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of U[minval, maxval)."""
    return _out(_rng(seed).uniform(minval, maxval, _shape(shape)), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """N(mean, stddev^2) redrawn until within two standard deviations of the mean (as Keras)."""
    rng, shape = _rng(seed), _shape(shape)
    values = rng.standard_normal(shape)
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
    return _out(mean + stddev * values, dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers in [minval, maxval)."""
    return Tensor(_rng(seed).integers(minval, maxval, _shape(shape)).astype(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row, drawn from softmax(logits)."""
    z = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    rng = _rng(seed)
    cumulative = np.cumsum(p, axis=-1)
    draws = rng.random((p.shape[0], int(num_samples), 1))
    return Tensor((draws > cumulative[:, None, :]).sum(axis=-1).astype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout (differentiable): each value is zeroed with probability ``rate`` and the
    rest scaled by 1 / (1 - rate)."""
    x = inputs if isinstance(inputs, Tensor) else Tensor(np.asarray(inputs, dtype=DEFAULT_FLOAT))
    return F.dropout(x, rate, training=True, rng=_rng(seed), noise_shape=noise_shape)


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order."""
    data = np.asarray(getattr(x, "data", x))
    order = _rng(seed).permutation(data.shape[axis])
    return Tensor(np.take(data, order, axis=axis))
