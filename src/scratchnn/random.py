"""The library's random number generator: one place to seed everything.

Initializers without their own seed, dropout masks and shuffling all draw from
``generator()``.  ``set_seed(seed)`` replaces it, so that a script that calls it
first is repeatable (``scratchnn.utils.set_random_seed`` calls it too).
"""
import numpy as np

_generator = np.random.default_rng()


def generator():
    """The global ``numpy.random.Generator`` (reseeded by ``set_seed``)."""
    return _generator


def set_seed(seed):
    """Reseed the global generator (and NumPy's legacy global state, for user code that uses it)."""
    global _generator
    _generator = np.random.default_rng(seed)
    np.random.seed(seed % 2**32 if seed is not None else None)


def make_rng(seed=None):
    """A generator for an object with an optional ``seed``: its own if seeded, else the global one."""
    return np.random.default_rng(seed) if seed is not None else _generator
