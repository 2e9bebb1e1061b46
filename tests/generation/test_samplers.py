"""The samplers (``scratchnn/generation/samplers.py``): greedy = argmax, the exact support of
top-k and top-p (masked logits are -inf), the drawn frequencies against the softmax, seeding,
the effect of the temperature on the entropy, and argument errors.

Statistical tests draw many tokens at once from a fixed seed; their margins are several times
the standard error, so they fail only when the distribution is wrong.
"""
import numpy as np
import pytest

from scratchnn.generation import samplers as S
from scratchnn.utils import set_random_seed

LOGITS = np.array([2.0, -1.0, 0.5, 3.0, 0.0, 1.0, -2.0, 2.5])
# dyadic probabilities: the cumulative sums of the top-p tests are exact in floating point
DYADIC = np.log(np.array([0.0625, 0.5, 0.0625, 0.125, 0.25]))     # ranks: 1, 4, 3, then 0 and 2


def _draws(sampler, logits, n=20000):
    return sampler(np.tile(logits, (n, 1)))


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _entropy(p):
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def test_greedy_and_temperature_zero_take_the_argmax():
    batch = np.array([LOGITS, -LOGITS, np.zeros(8)])
    expected = [3, 6, 0]                                  # ties: the lowest id
    np.testing.assert_array_equal(S.GreedySampler()(batch), expected)
    for sampler in (S.RandomSampler(temperature=0.0), S.TopKSampler(k=3, temperature=0),
                    S.TopPSampler(p=0.5, temperature=0)):
        np.testing.assert_array_equal(sampler(batch), expected)
    assert S.GreedySampler()(LOGITS) == 3 and isinstance(S.GreedySampler()(LOGITS), int)
    np.testing.assert_array_equal(S.GreedySampler().probabilities(LOGITS), np.eye(8)[3])


@pytest.mark.parametrize("k", [1, 3, 8, 20])
def test_top_k_keeps_exactly_k_logits_and_masks_the_rest_with_minus_inf(k):
    kept = S.keep_top_k(LOGITS[None], k)[0]
    top = set(np.argsort(-LOGITS)[:min(k, 8)])
    assert set(np.flatnonzero(np.isfinite(kept))) == top
    assert np.isneginf(kept[list(set(range(8)) - top)]).all()
    np.testing.assert_array_equal(kept[list(top)], LOGITS[list(top)])
    ties = S.keep_top_k(np.zeros((1, 6)), 4)[0]           # all tied: still exactly k, the lowest ids
    np.testing.assert_array_equal(np.isfinite(ties), [1, 1, 1, 1, 0, 0])


def test_top_k_draws_cover_exactly_the_k_most_likely_tokens_with_renormalized_frequencies():
    sampler = S.TopKSampler(k=3, seed=0)
    ids = _draws(sampler, LOGITS)
    assert set(ids.tolist()) == {3, 7, 0}                 # every one of the 3, never another
    expected = _softmax(LOGITS[[3, 7, 0]])
    observed = np.bincount(ids, minlength=8)[[3, 7, 0]] / len(ids)
    np.testing.assert_allclose(observed, expected, atol=0.015)    # standard error <= 0.0036
    probs = sampler.probabilities(LOGITS)
    np.testing.assert_allclose(probs[[3, 7, 0]], expected)
    assert probs.sum() == pytest.approx(1.0) and (probs[[1, 2, 4, 5, 6]] == 0).all()


@pytest.mark.parametrize("p, support", [
    (0.1, {1}), (0.5, {1}), (0.6, {1, 4}), (0.75, {1, 4}), (0.76, {1, 4, 3}), (0.875, {1, 4, 3}),
    (0.9, {1, 4, 3, 0}), (1.0, {0, 1, 2, 3, 4}),
])
def test_top_p_keeps_the_smallest_set_reaching_p(p, support):
    kept = S.keep_top_p(DYADIC[None], p)[0]
    assert set(np.flatnonzero(np.isfinite(kept))) == support
    assert np.isneginf(kept[list(set(range(5)) - support)]).all()
    ids = _draws(S.TopPSampler(p=p, seed=1), DYADIC, n=4000)
    assert set(ids.tolist()) == support


def test_top_p_keeps_at_least_one_token_and_combines_with_top_k():
    peaked = np.array([[10.0, 0.0, 0.0]])
    assert np.isfinite(S.keep_top_p(peaked, 1e-9)).sum() == 1
    sampler = S.TopPSampler(p=0.9, k=2, seed=0)              # top-k first: {1, 4}, then p = 0.9 of those
    assert set(_draws(sampler, DYADIC, n=4000).tolist()) == {1, 4}


def test_random_sampler_frequencies_follow_the_softmax():
    for temperature in (0.5, 1.0, 2.0):
        ids = _draws(S.RandomSampler(temperature=temperature, seed=2), LOGITS, n=40000)
        observed = np.bincount(ids, minlength=8) / len(ids)
        np.testing.assert_allclose(observed, _softmax(LOGITS / temperature), atol=0.012)


def test_higher_temperature_gives_higher_sample_entropy():
    temperatures = [0.25, 0.5, 1.0, 2.0, 4.0]
    entropies = []
    for temperature in temperatures:
        ids = _draws(S.RandomSampler(temperature=temperature, seed=3), LOGITS, n=20000)
        entropy = _entropy(np.bincount(ids, minlength=8) / len(ids))
        assert entropy == pytest.approx(_entropy(_softmax(LOGITS / temperature)), abs=0.03)
        entropies.append(entropy)
    assert all(a + 0.1 < b for a, b in zip(entropies, entropies[1:]))      # strictly and clearly rising
    assert entropies[-1] < np.log(8) and entropies[0] > 0


def test_seeded_sampling_repeats_exactly(restore_global_rng):
    batch = np.tile(LOGITS, (50, 1))
    for make in (lambda s: S.RandomSampler(seed=s), lambda s: S.TopKSampler(k=4, seed=s),
                 lambda s: S.TopPSampler(p=0.8, seed=s)):
        a, b, c = make(7), make(7), make(8)
        first = [a(batch) for _ in range(3)]
        np.testing.assert_array_equal(np.stack(first), np.stack([b(batch) for _ in range(3)]))
        assert not np.array_equal(np.stack(first), np.stack([c(batch) for _ in range(3)]))
    set_random_seed(11)
    unseeded = S.RandomSampler()(batch)
    set_random_seed(11)
    np.testing.assert_array_equal(S.RandomSampler()(batch), unseeded)   # None: the global generator


def test_softmax_with_temperature():
    np.testing.assert_allclose(S.softmax(LOGITS, 2.0), _softmax(LOGITS / 2))
    np.testing.assert_array_equal(S.softmax(LOGITS, 0), np.eye(8)[3])
    np.testing.assert_array_equal(S.softmax(np.array([0.0, -np.inf])), [1.0, 0.0])


@pytest.mark.parametrize("make, message", [
    (lambda: S.RandomSampler(temperature=-0.5),
     r"RandomSampler: temperature must be a finite number >= 0 \(0 = greedy\), got -0.5"),
    (lambda: S.RandomSampler(temperature=float("nan")), "temperature must be a finite number >= 0"),
    (lambda: S.RandomSampler(temperature=True), "temperature must be a finite number >= 0"),
    (lambda: S.TopKSampler(k=0), "TopKSampler: k must be an integer >= 1, got 0"),
    (lambda: S.TopKSampler(k=2.5), "TopKSampler: k must be an integer >= 1, got 2.5"),
    (lambda: S.TopPSampler(p=0), r"TopPSampler: p must be a number in \(0, 1\], got 0"),
    (lambda: S.TopPSampler(p=1.5), r"TopPSampler: p must be a number in \(0, 1\], got 1.5"),
    (lambda: S.TopPSampler(p=-0.1), r"p must be a number in \(0, 1\]"),
    (lambda: S.TopPSampler(p=0.5, k=0), "TopPSampler: k must be an integer >= 1"),
    (lambda: S.RandomSampler(seed=-1), "seed must be None, a non-negative int"),
    (lambda: S.get("beam"), r"unknown sampler 'beam'; expected a Sampler or one of \['greedy'"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_logits_are_refused():
    with pytest.raises(ValueError, match="the logits hold NaN or \\+inf"):
        S.RandomSampler(seed=0)(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match=r"logits of shape \(vocab,\) or \(batch, vocab\).*\(1, 2, 3\)"):
        S.GreedySampler()(np.zeros((1, 2, 3)))


def test_get_and_repr():
    assert isinstance(S.get("top_k"), S.TopKSampler) and S.get("top_k").k == 5
    assert S.get("TOP_P").p == 0.1
    sampler = S.TopPSampler(p=0.9, seed=4)
    assert S.get(sampler) is sampler
    assert repr(sampler) == "TopPSampler(p=0.9, k=None, temperature=1.0, seed=4)"
