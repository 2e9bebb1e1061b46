"""Randomness of a fit: ``random_state`` -> a generator of its own (``generator_for``), made scratchnn's
global generator while the fit draws initial weights, shuffles and dropout masks (``drawing_from``).

With ``random_state`` (an int) a fit is repeatable and leaves the global generator
(``scratchnn.random``) as it was; with ``random_state=None`` it draws from the global generator.
"""
import contextlib
import numbers

import numpy as np

from .. import random as _random


def drawing_from(generator):
    """Make ``generator`` scratchnn's global random generator for the block (initializers, dropout
    and shuffling draw from it), then put the previous one back. ``None``: leave it as it is."""
    return contextlib.nullcontext() if generator is None else _random.using(generator)


def generator_for(random_state):
    """A new ``numpy.random.Generator`` for a fit: None -> None (use the global one); an int -> seeded
    with it; a ``RandomState`` or ``Generator`` -> seeded with a number drawn from it (so successive
    fits differ, as scikit-learn's estimators do with a RandomState)."""
    if random_state is None:
        return None
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be None, a non-negative integer, a "
                             f"numpy.random.RandomState or a Generator, got {random_state!r}")
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(np.iinfo(np.int32).max)))
    if isinstance(random_state, np.random.Generator):
        return np.random.default_rng(int(random_state.integers(np.iinfo(np.int64).max)))
    raise ValueError(f"random_state must be None, a non-negative integer, a numpy.random.RandomState "
                     f"or a Generator, got {type(random_state).__name__}: {random_state!r}")

