"""Seeds: every fit of a search is seeded, so that a search repeats exactly.

Every fit seeds scratchnn's random generator (initial weights, dropout, shuffling) from
``random_state`` and the fold number (``derive_seed``), so a search repeats exactly, and its
results do not depend on ``n_jobs``. Every candidate sees the same seed on a given fold (same
folds, same initial-weight draws): differences between candidates come from the
hyper-parameters, not from luck of the draw. Your own global generator is restored afterwards
(``own_random_state``).
"""
import os
from numbers import Integral

import numpy as np

from .. import random as _random


def derive_seed(base, *keys):
    """A 31-bit seed from ``base`` and ``keys`` (independent streams per fold, for the refit, ...)."""
    return int(np.random.SeedSequence([base, *keys]).generate_state(1)[0] >> 1)


def base_seed(random_state):
    if random_state is None:
        return int.from_bytes(os.urandom(4), "little") >> 1
    if not isinstance(random_state, Integral) or isinstance(random_state, bool) or random_state < 0:
        raise ValueError(f"random_state must be a non-negative integer or None, got {random_state!r}")
    return int(random_state)


def own_random_state():
    """Restore scratchnn's and NumPy's global generators after the fits have reseeded them."""
    return _random.preserved()
