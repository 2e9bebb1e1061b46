"""Text generation with a trained language model: the ``generate`` loop and the samplers that
pick each next token (greedy, random with a temperature, top-k, top-p).

    from scratchnn.generation import generate, TopKSampler
    ids = generate(model, prompt_ids, max_new_tokens=100, temperature=0.8, top_k=10, seed=0)
    ids = generate(model, prompt_ids, max_new_tokens=100, sampler=TopKSampler(k=10, seed=0))

* ``samplers``: ``GreedySampler``, ``RandomSampler``, ``TopKSampler(k)``, ``TopPSampler(p)``
  (keras-hub's names), each a callable from next-token logits (batch, vocab) to ids (batch,);
  ``softmax(logits, temperature)`` gives the probabilities a temperature makes;
* ``generate``: the loop (prompt -> prompt + new tokens), for any model mapping ids
  (batch, T) to logits (batch, T, vocab).

This package sits above ``models`` in the layers of scratchnn (ARCHITECTURE.md): it drives a
trained model, like ``model_selection`` does, and nothing below it needs it.
"""
from . import samplers
from .autoregressive import generate, make_sampler
from .samplers import GreedySampler, RandomSampler, Sampler, TopKSampler, TopPSampler, softmax

__all__ = ["generate", "make_sampler", "samplers", "Sampler", "GreedySampler", "RandomSampler",
           "TopKSampler", "TopPSampler", "softmax"]
