"""Samplers: how the next token is chosen from a language model's next-token logits
(keras-hub's names: ``GreedySampler``, ``RandomSampler``, ``TopKSampler``, ``TopPSampler``).

    sampler = TopKSampler(k=5, temperature=0.8, seed=0)
    next_ids = sampler(logits)            # logits (batch, vocab) -> int64 ids (batch,)

Each step of each sampler, for logits ``z`` (one row per sequence):

1. temperature: ``z / T``; the probabilities are ``softmax(z / T)``. ``T < 1`` sharpens them
   (``T -> 0``: all the mass on the largest logit), ``T > 1`` flattens them (``T -> inf``:
   uniform). ``T = 0`` means greedy: the largest logit is taken, no randomness;
2. filtering (``filter_logits``): top-k keeps exactly the ``k`` largest logits (ties: the lower
   id first); top-p (nucleus) keeps the smallest set of most likely tokens whose probabilities
   add up to at least ``p`` (always at least one token). Every other logit becomes ``-inf``
   (never a large negative number: its probability must be exactly 0);
3. drawing: ``argmax(z + g)`` with ``g`` independent Gumbel(0, 1) noise, which picks token ``i``
   with probability exactly ``softmax(z)_i`` (the Gumbel-max trick) and can never pick a
   ``-inf`` logit.

``seed``: an int (the sampler's own generator: the same seed repeats the same draws), a
``numpy.random.Generator``, or None (scratchnn's global generator, which
``scratchnn.utils.set_random_seed`` reseeds).
"""
import numbers

import numpy as np

from .. import random as _random
from ..autograd import Tensor

__all__ = ["Sampler", "GreedySampler", "RandomSampler", "TopKSampler", "TopPSampler", "get",
           "softmax", "check_temperature", "check_top_k", "check_top_p"]


# ----------------------------------------------------------------------------- argument checks

def check_temperature(temperature, who="temperature"):
    """``temperature`` as a float, checked to be finite and >= 0."""
    ok = isinstance(temperature, numbers.Real) and not isinstance(temperature, bool)
    if not ok or not np.isfinite(float(temperature)) or temperature < 0:
        raise ValueError(f"{who} must be a finite number >= 0 (0 = greedy), got {temperature!r}")
    return float(temperature)


def check_top_k(k, who="top_k"):
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{who} must be an integer >= 1, got {k!r}")
    return int(k)


def check_top_p(p, who="top_p"):
    ok = isinstance(p, numbers.Real) and not isinstance(p, bool)
    if not ok or not 0.0 < float(p) <= 1.0:
        raise ValueError(f"{who} must be a number in (0, 1], got {p!r}")
    return float(p)


def _generator(seed):
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise ValueError(f"seed must be None, a non-negative int or a numpy.random.Generator, got {seed!r}")


def _as_logits(logits, who):
    """``logits`` as a float64 array of shape (batch, vocab), and whether it was one row."""
    array = np.asarray(logits.data if isinstance(logits, Tensor) else logits)
    if array.ndim not in (1, 2) or array.shape[-1] == 0 or array.dtype.kind not in "iuf":
        raise ValueError(f"{who}: expected logits of shape (vocab,) or (batch, vocab) holding numbers, got "
                         f"shape {array.shape} and dtype {array.dtype}")
    array = array.astype(np.float64)
    if np.isnan(array).any() or np.isposinf(array).any():
        raise ValueError(f"{who}: the logits hold NaN or +inf")
    return (array[None] if array.ndim == 1 else array), array.ndim == 1


def softmax(logits, temperature=1.0):
    """``softmax(logits / temperature)`` over the last axis (``-inf`` logits get probability 0);
    temperature 0 puts all the mass on the largest logit (the first one, on ties)."""
    z = np.asarray(logits, dtype=np.float64)
    temperature = check_temperature(temperature)
    if temperature == 0.0:
        return (np.arange(z.shape[-1]) == z.argmax(axis=-1)[..., None]).astype(np.float64)
    z = z / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- samplers

class Sampler:
    """Base class: ``sampler(logits)`` returns the next token ids (int64, one per row; a plain
    int for 1-D logits). Subclasses override ``filter_logits`` (which tokens may be drawn)."""

    def __init__(self, temperature=1.0, seed=None):
        self.temperature = check_temperature(temperature, f"{type(self).__name__}: temperature")
        self.seed = seed
        self._rng = _generator(seed)

    @property
    def rng(self):
        """The generator drawn from: the sampler's own, or scratchnn's global one (looked up now)."""
        return self._rng if self._rng is not None else _random.generator()

    def filter_logits(self, logits):
        """The logits (batch, vocab) after temperature scaling, with ``-inf`` where a token may
        not be drawn. Here: all tokens may be."""
        return logits / self.temperature

    def probabilities(self, logits):
        """The probability of each token being drawn next: (batch, vocab), rows summing to 1."""
        z, single = _as_logits(logits, type(self).__name__)
        p = self._greedy(z) if self.temperature == 0.0 else softmax(self.filter_logits(z))
        return p[0] if single else p

    @staticmethod
    def _greedy(z):
        return (np.arange(z.shape[1]) == z.argmax(axis=1)[:, None]).astype(np.float64)

    def __call__(self, logits):
        z, single = _as_logits(logits, type(self).__name__)
        if self.temperature == 0.0:
            ids = z.argmax(axis=1)
        else:
            ids = self.draw(self.filter_logits(z))
        ids = ids.astype(np.int64)
        return int(ids[0]) if single else ids

    def draw(self, logits):
        """One token per row, token ``i`` with probability ``softmax(logits)_i`` (Gumbel-max)."""
        return np.argmax(logits + self.rng.gumbel(size=logits.shape), axis=1)

    def get_config(self):
        seed = None if isinstance(self.seed, np.random.Generator) else self.seed   # a generator is not data
        return {"temperature": self.temperature, "seed": seed}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class GreedySampler(Sampler):
    """Always the most likely token (the largest logit; the lowest id on ties). Deterministic:
    the same prompt always gives the same text, often stuck in loops."""

    def __init__(self):
        super().__init__(temperature=0.0)

    def get_config(self):
        return {}


class RandomSampler(Sampler):
    """A token drawn from the whole distribution ``softmax(logits / temperature)``."""


class TopKSampler(Sampler):
    """A token drawn from the ``k`` most likely ones only (their probabilities renormalized);
    ``k`` larger than the vocabulary keeps every token."""

    def __init__(self, k=5, temperature=1.0, seed=None):
        super().__init__(temperature, seed)
        self.k = check_top_k(k, "TopKSampler: k")

    def filter_logits(self, logits):
        return keep_top_k(super().filter_logits(logits), self.k)

    def get_config(self):
        return {"k": self.k, **super().get_config()}


class TopPSampler(Sampler):
    """Nucleus sampling: a token drawn from the smallest set of most likely tokens whose
    probabilities add up to at least ``p`` (at least one token). ``k`` (optional) first keeps
    the ``k`` most likely tokens only."""

    def __init__(self, p=0.1, k=None, temperature=1.0, seed=None):
        super().__init__(temperature, seed)
        self.p = check_top_p(p, "TopPSampler: p")
        self.k = None if k is None else check_top_k(k, "TopPSampler: k")

    def filter_logits(self, logits):
        z = super().filter_logits(logits)
        if self.k is not None:
            z = keep_top_k(z, self.k)
        return keep_top_p(z, self.p)

    def get_config(self):
        return {"p": self.p, "k": self.k, **super().get_config()}


def keep_top_k(logits, k):
    """``logits`` (batch, vocab) with all but the ``k`` largest of each row set to ``-inf``
    (exactly ``min(k, vocab)`` kept; on ties the lower id is kept)."""
    order = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    out = np.full_like(logits, -np.inf)
    np.put_along_axis(out, order, np.take_along_axis(logits, order, axis=1), axis=1)
    return out


def keep_top_p(logits, p):
    """``logits`` (batch, vocab) with ``-inf`` outside the nucleus: the most likely tokens, in
    decreasing order, up to and including the first at which the cumulative probability
    reaches ``p``."""
    order = np.argsort(-logits, axis=1, kind="stable")
    probs = np.take_along_axis(softmax(logits), order, axis=1)
    before = np.cumsum(probs, axis=1) - probs              # the mass of the tokens ranked above
    keep_sorted = before < p
    keep_sorted[:, 0] = True                               # always at least the most likely token
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return np.where(keep, logits, -np.inf)


_NAMES = {"greedy": GreedySampler, "random": RandomSampler, "top_k": TopKSampler, "top_p": TopPSampler}


def get(identifier):
    """A sampler from a ``Sampler`` (returned as is) or a name: ``"greedy"``, ``"random"``,
    ``"top_k"`` (k=5), ``"top_p"`` (p=0.1), keras-hub's defaults."""
    if isinstance(identifier, Sampler):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _NAMES:
        return _NAMES[identifier.lower()]()
    raise ValueError(f"unknown sampler {identifier!r}; expected a Sampler or one of {list(_NAMES)}")
