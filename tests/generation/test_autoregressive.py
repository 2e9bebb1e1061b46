"""``generate`` (``scratchnn/generation/autoregressive.py``) with a bigram model written here (the
next-token logits are a row of a fixed table, picked by the last token): the greedy path
recomputed independently, the supports of top-k and top-p at every step, block_size cropping,
seeding, temperature and entropy, a scratchnn model, and argument errors.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import layers as L
from scratchnn.generation import GreedySampler, TopKSampler, generate, make_sampler, samplers

V = 12
TABLE = np.random.default_rng(0).normal(0.0, 2.0, size=(V, V))    # TABLE[a, b]: logit of b after a


def bigram(ids):
    """(batch, T) ids -> (batch, T, V) logits: the row of each token."""
    ids = np.asarray(ids)
    assert ids.ndim == 2 and ids.dtype == np.int64
    return TABLE[ids]


class Recorder:
    """A bigram model that records the shape and last tokens of every input it is given."""

    def __init__(self):
        self.contexts = []

    def __call__(self, ids):
        self.contexts.append(np.array(ids))
        return bigram(ids)


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def test_temperature_zero_follows_the_argmax_path():
    out = generate(bigram, [3, 5], max_new_tokens=15, temperature=0)
    expected, last = [3, 5], 5
    for _ in range(15):                                  # independently: argmax of the last token's row
        last = int(np.argmax(TABLE[last]))
        expected.append(last)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.int64 and out.shape == (17,)
    np.testing.assert_array_equal(generate(bigram, [3, 5], 15, top_k=1, seed=9), expected)   # k=1 is greedy
    np.testing.assert_array_equal(generate(bigram, [3, 5], 15, sampler="greedy"), expected)


def test_batched_prompts_keep_their_rows_and_shape():
    prompts = np.array([[1, 2, 3], [4, 4, 4]])
    out = generate(bigram, prompts, max_new_tokens=6, temperature=0)
    assert out.shape == (2, 9)
    np.testing.assert_array_equal(out[:, :3], prompts)
    np.testing.assert_array_equal(out[1], generate(bigram, [4, 4, 4], 6, temperature=0))
    np.testing.assert_array_equal(generate(bigram, prompts, 0), prompts)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_every_top_k_token_is_among_the_k_most_likely_after_its_predecessor(k):
    out = generate(bigram, np.arange(V)[:, None].repeat(2, axis=1), max_new_tokens=40, top_k=k, seed=k)
    seen = set()
    for row in out:
        for prev, nxt in zip(row[1:-1], row[2:]):
            top = set(np.argsort(-TABLE[prev], kind="stable")[:k].tolist())
            assert int(nxt) in top
            seen.add((int(prev), int(nxt)))
    if k > 1:   # more than one successor was actually used for some token
        assert any(len({n for p, n in seen if p == a}) > 1 for a in range(V))


def test_every_top_p_token_is_in_the_nucleus_of_its_predecessor():
    p = 0.6
    out = generate(bigram, np.arange(V)[:, None], max_new_tokens=40, top_p=p, seed=1)
    for row in out:
        for prev, nxt in zip(row[:-1], row[1:]):
            probs = _softmax(TABLE[prev])
            order = np.argsort(-probs, kind="stable")
            cumulative = np.cumsum(probs[order])
            size = int(np.searchsorted(cumulative, p)) + 1      # smallest prefix reaching p
            assert int(nxt) in set(order[:size].tolist())


def test_block_size_crops_the_context_the_model_reads():
    model = Recorder()
    out = generate(model, [1, 2, 3, 4, 5], max_new_tokens=4, temperature=0, block_size=3)
    assert [c.shape for c in model.contexts] == [(1, 3)] * 4
    for step, context in enumerate(model.contexts):
        np.testing.assert_array_equal(context[0], out[step + 2:step + 5])    # the last 3 tokens
    model = Recorder()
    generate(model, [1], max_new_tokens=4, temperature=0)
    assert [c.shape[1] for c in model.contexts] == [1, 2, 3, 4]          # no block_size: all of it


def test_seeded_generation_repeats_exactly():
    a = generate(bigram, [0, 1], 30, temperature=1.3, top_k=5, seed=123)
    b = generate(bigram, [0, 1], 30, temperature=1.3, top_k=5, seed=123)
    c = generate(bigram, [0, 1], 30, temperature=1.3, top_k=5, seed=124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    sampler_run = generate(bigram, [0, 1], 30, sampler=TopKSampler(k=5, temperature=1.3, seed=123))
    np.testing.assert_array_equal(sampler_run, a)


def test_temperature_raises_the_entropy_of_the_next_token():
    prompt = np.full((20000, 1), 7)
    entropies = []
    for temperature in (0.3, 1.0, 3.0):
        new = generate(bigram, prompt, 1, temperature=temperature, seed=5)[:, 1]
        freq = np.bincount(new, minlength=V) / len(new)
        freq = freq[freq > 0]
        entropy = float(-(freq * np.log(freq)).sum())
        exact = _softmax(TABLE[7] / temperature)
        assert entropy == pytest.approx(float(-(exact * np.log(exact)).sum()), abs=0.05)
        entropies.append(entropy)
    assert entropies[0] + 0.2 < entropies[1] and entropies[1] + 0.2 < entropies[2]


class Bigram(L.Layer):
    """The same idea as a scratchnn layer: a (V, V) weight, one row per input token."""

    def build(self, input_shape):
        self.table = self.add_weight("table", (V, V), initializer="zeros")

    def call(self, inputs, training=False):
        assert not snn.is_grad_enabled()           # generate runs the model without a graph
        return self.table[inputs.data.astype(np.int64)]


def test_a_scratchnn_model_generates_under_no_grad():
    model = snn.Sequential([L.Input((None,)), Bigram()])
    model.layers[-1].table.assign(TABLE.astype(np.float32))
    out = generate(model, [[3, 5]], max_new_tokens=10, temperature=0, block_size=4)
    np.testing.assert_array_equal(out, generate(bigram, [[3, 5]], 10, temperature=0))


def test_make_sampler_picks_the_sampler_of_the_arguments():
    assert isinstance(make_sampler(0, top_k=3), GreedySampler)
    assert type(make_sampler(1.0)) is samplers.RandomSampler
    assert make_sampler(0.7, top_k=3).k == 3 and make_sampler(0.7, top_k=3).temperature == 0.7
    nucleus = make_sampler(1.0, top_k=3, top_p=0.5)
    assert isinstance(nucleus, samplers.TopPSampler) and (nucleus.p, nucleus.k) == (0.5, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": -1.0}, r"generate: temperature must be a finite number >= 0 \(0 = greedy\), got -1.0"),
    ({"top_k": 0}, "generate: top_k must be an integer >= 1, got 0"),
    ({"top_p": 0.0}, r"generate: top_p must be a number in \(0, 1\], got 0.0"),
    ({"top_p": 1.01}, r"generate: top_p must be a number in \(0, 1\], got 1.01"),
    ({"max_new_tokens": -1}, "generate: max_new_tokens must be an integer >= 0, got -1"),
    ({"block_size": 0}, "generate: block_size must be None or an integer >= 1, got 0"),
    ({"prompt_ids": []}, r"prompt_ids must be a non-empty sequence of token ids, \(T,\) or \(batch, T\)"),
    ({"prompt_ids": [0.5, 1.0]}, "prompt_ids must be integer token ids, got dtype float64"),
    ({"prompt_ids": [[[1]]]}, r"got shape \(1, 1, 1\)"),
    ({"sampler": "greedy", "temperature": 0.5}, "pass either sampler= or temperature/top_k/top_p/seed"),
])
def test_bad_arguments_are_named_before_the_model_runs(kwargs, message):
    model = Recorder()
    arguments = {"prompt_ids": [1, 2], "max_new_tokens": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate(model, **arguments)
    assert model.contexts == []


def test_a_model_with_the_wrong_output_shape_is_named():
    with pytest.raises(ValueError, match=r"logits of shape \(batch, T, vocab\).*input shape \(1, 2\) it "
                                         r"returned shape \(2, 1, 12\)"):
        generate(lambda ids: TABLE[ids].transpose(1, 0, 2), [1, 2], 3)
