"""The library's random number generator: one place to seed everything.

Initializers without their own seed, dropout masks and shuffling all draw from
``generator()``.  ``set_seed(seed)`` replaces it, so that a script that calls it
first is repeatable (``scratchnn.utils.set_random_seed`` calls it too).

Tools that must not disturb a user's random sequence (looking at a model's gradients, a
grid search that seeds each fit) save and restore the state with ``get_state``/``set_state``
or the ``preserved()`` block; ``using(generator)`` makes the library draw from another
generator for the duration of a block (a scikit-learn estimator's own ``random_state``).
"""
import contextlib

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


class RandomState:
    """What ``get_state`` saves: which generator is the global one, where it is in its sequence,
    and NumPy's legacy global state (``np.random.seed``)."""

    def __init__(self):
        self.generator = _generator
        self.position = _generator.bit_generator.state
        self.legacy = np.random.get_state()


def get_state():
    """The current random state (``set_state`` puts it back, even after ``set_seed``)."""
    return RandomState()


def set_state(state):
    """Make ``state.generator`` the global generator again, at the saved position; restore
    NumPy's legacy state too."""
    global _generator
    _generator = state.generator
    _generator.bit_generator.state = state.position
    np.random.set_state(state.legacy)


@contextlib.contextmanager
def preserved():
    """``with preserved(): ...``: whatever the block draws or seeds, the random state is as
    before once it ends."""
    state = get_state()
    try:
        yield
    finally:
        set_state(state)


@contextlib.contextmanager
def using(rng):
    """``with using(rng): ...``: the library draws from ``rng`` (a ``numpy.random.Generator``)
    inside the block; the previous global generator is back afterwards."""
    global _generator
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"using(): expected a numpy.random.Generator, got {type(rng).__name__}")
    saved = _generator
    _generator = rng
    try:
        yield rng
    finally:
        _generator = saved
