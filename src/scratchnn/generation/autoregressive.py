"""``generate``: extend prompts one token at a time with a language model (the loop of
nanoGPT's ``generate`` and keras-hub's ``CausalLM.generate``).

    from scratchnn.generation import generate
    ids = generate(model, tok.encode("ROMEO:"), max_new_tokens=200, temperature=0.8, top_k=10,
                   seed=0, block_size=64)
    print(tok.decode(ids))

At each step the model reads the sequence so far (its last ``block_size`` tokens, if given: a
transformer with learned positions cannot read more than it was trained on), its logits at the
last position are handed to a sampler (``generation.samplers``), and the chosen token is
appended. No key/value cache: each step runs the model on the whole window again, which is
simple and fine for the small models of the lessons.
"""
import numbers

import numpy as np

from ..autograd import Tensor, no_grad
from . import samplers as _samplers

__all__ = ["generate", "make_sampler"]


def make_sampler(temperature=1.0, top_k=None, top_p=None, seed=None):
    """The sampler that ``generate``'s arguments describe: temperature 0 -> ``GreedySampler``;
    otherwise ``TopPSampler`` if ``top_p`` (with ``top_k`` applied first, if given), else
    ``TopKSampler`` if ``top_k``, else ``RandomSampler``."""
    temperature = _samplers.check_temperature(temperature, "generate: temperature")
    if top_k is not None:
        _samplers.check_top_k(top_k, "generate: top_k")
    if top_p is not None:
        _samplers.check_top_p(top_p, "generate: top_p")
    if temperature == 0.0:
        return _samplers.GreedySampler()
    if top_p is not None:
        return _samplers.TopPSampler(p=top_p, k=top_k, temperature=temperature, seed=seed)
    if top_k is not None:
        return _samplers.TopKSampler(k=top_k, temperature=temperature, seed=seed)
    return _samplers.RandomSampler(temperature=temperature, seed=seed)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _prompt(prompt_ids):
    ids = np.asarray(prompt_ids.data if isinstance(prompt_ids, Tensor) else prompt_ids)
    if ids.ndim not in (1, 2) or ids.shape[-1] == 0:
        raise ValueError(f"generate: prompt_ids must be a non-empty sequence of token ids, (T,) or "
                         f"(batch, T), got shape {ids.shape}")
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind != "f" or not np.array_equal(ids, np.round(ids)):
            raise ValueError(f"generate: prompt_ids must be integer token ids, got dtype {ids.dtype}")
    if (ids < 0).any():
        raise ValueError("generate: prompt_ids must be >= 0 (token ids)")
    return ids.astype(np.int64)


def _next_logits(model, context):
    with no_grad():
        out = model(context)
    logits = np.asarray(out.data if isinstance(out, Tensor) else out)
    if logits.ndim == 3 and logits.shape[:2] == context.shape:
        return logits[:, -1, :]
    if logits.ndim == 2 and logits.shape[0] == context.shape[0]:
        return logits
    raise ValueError(f"generate: the model must map token ids of shape (batch, T) to logits of shape "
                     f"(batch, T, vocab) (or the next-token logits (batch, vocab)); for input shape "
                     f"{context.shape} it returned shape {logits.shape}")


def generate(model, prompt_ids, max_new_tokens, temperature=1.0, top_k=None, top_p=None, seed=None,
             block_size=None, sampler=None):
    """The prompt followed by ``max_new_tokens`` generated token ids.

    * ``model``: any callable mapping int64 ids (batch, T) to logits (batch, T, vocab) (a
      scratchnn model, or a function); it runs under ``no_grad()``;
    * ``prompt_ids``: (T,) or (batch, T) ids; the result has the same rank, int64,
      ``T + max_new_tokens`` long;
    * ``temperature`` (0 = greedy: argmax at each step), ``top_k`` (keep exactly the k most
      likely tokens), ``top_p`` (keep the smallest set reaching probability p), ``seed`` (an
      int: the same seed repeats the same text; None: scratchnn's global generator): see
      ``generation.samplers``. Or pass ``sampler`` (a ``Sampler`` or its name), and none of them;
    * ``block_size``: the model reads at most the last ``block_size`` tokens.

    Bad arguments raise a ``ValueError`` naming them before the model runs.
    """
    if not _is_int(max_new_tokens) or max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be an integer >= 0, got {max_new_tokens!r}")
    if block_size is not None and (not _is_int(block_size) or block_size < 1):
        raise ValueError(f"generate: block_size must be None or an integer >= 1, got {block_size!r}")
    if sampler is not None:
        if (temperature, top_k, top_p, seed) != (1.0, None, None, None):
            raise ValueError("generate: pass either sampler= or temperature/top_k/top_p/seed, not both")
        sampler = _samplers.get(sampler)
    else:
        sampler = make_sampler(temperature, top_k, top_p, seed)
    ids = _prompt(prompt_ids)
    single = ids.ndim == 1
    ids = ids[None] if single else ids
    out = np.empty((ids.shape[0], ids.shape[1] + int(max_new_tokens)), dtype=np.int64)
    out[:, :ids.shape[1]] = ids
    for t in range(ids.shape[1], out.shape[1]):
        context = out[:, :t] if block_size is None else out[:, max(0, t - block_size):t]
        out[:, t] = sampler(_next_logits(model, context))
    return out[0] if single else out
