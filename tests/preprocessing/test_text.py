"""Text to ids (``scratchnn/preprocessing/text.py``): ``CharTokenizer`` against nanoGPT's
``stoi``/``itos`` dictionaries on tiny Shakespeare, its handling of unknown characters and bad
input; the standardize / split / frequency-order steps of ``TextVectorization``.
"""
import collections

import numpy as np
import pytest

from scratchnn.datasets import tiny_shakespeare
from scratchnn.preprocessing import CharTokenizer, NotFittedError
from scratchnn.preprocessing.text import frequency_vocabulary, split, standardize


@pytest.fixture(scope="module")
def text():
    return tiny_shakespeare.load_data()


def test_char_tokenizer_matches_dictionaries_on_tiny_shakespeare(text):
    tok = CharTokenizer().fit(text)
    chars = sorted(set(text))                       # nanoGPT's prepare.py, written independently
    stoi = {c: i for i, c in enumerate(chars)}
    assert tok.vocabulary_ == tuple(chars) and tok.vocabulary_size == 65
    ids = tok.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    np.testing.assert_array_equal(ids[:5000], [stoi[c] for c in text[:5000]])
    np.testing.assert_array_equal(np.bincount(ids, minlength=65), [text.count(c) for c in chars])
    assert tok.decode(ids) == text
    assert tok.decode(ids[:14].astype(np.int32)) == "First Citizen:"        # any integer dtype


def test_given_vocabulary_keeps_its_order_and_fit_keeps_it():
    tok = CharTokenizer(vocabulary="ba ")
    np.testing.assert_array_equal(tok.encode("a b"), [1, 2, 0])
    assert tok.fit("xyz") is tok and tok.vocabulary_ == ("b", "a", " ")
    assert CharTokenizer(vocabulary=["x", "y"]).decode([[1, 0], [0, 0]]) == ["yx", "xx"]


def test_characters_outside_the_basic_plane_round_trip():
    sample = "naïve café — 日本 🙂"
    tok = CharTokenizer().fit(sample)
    assert tok.vocabulary_ == tuple(sorted(set(sample)))
    assert tok.decode(tok.encode(sample)) == sample and len(tok.encode(sample)) == len(sample)


def test_unknown_characters_error_ignore_or_replace():
    with pytest.raises(ValueError, match=r"2 character\(s\) not in the vocabulary: \['!', 'z'\]"):
        CharTokenizer().fit("abc").encode("a!z!")
    np.testing.assert_array_equal(CharTokenizer(unknown="ignore").fit("abc").encode("a!cz"), [0, 2])
    tok = CharTokenizer(unknown="?").fit("abc")
    assert tok.vocabulary_ == ("?", "a", "b", "c")        # the replacement joins the sorted vocabulary
    assert tok.decode(tok.encode("a!cz")) == "a?c?"
    with pytest.raises(ValueError, match=r"unknown='\?' must be in the vocabulary"):
        CharTokenizer(vocabulary="ab", unknown="?")


@pytest.mark.parametrize("vocabulary, message", [
    ("", "non-empty str or sequence of single characters"),
    (["a", "bc"], r"single characters, got \['bc'\]"),
    ("abca", r"repeated characters \['a'\]"),
])
def test_bad_vocabularies_are_refused(vocabulary, message):
    with pytest.raises(ValueError, match=message):
        CharTokenizer(vocabulary=vocabulary)


def test_bad_calls_are_refused():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        CharTokenizer().encode("a")
    with pytest.raises(ValueError, match="unknown must be 'error', 'ignore' or a single character"):
        CharTokenizer(unknown="replace")
    tok = CharTokenizer().fit("ab")
    with pytest.raises(ValueError, match=r"ids must be in \[0, 1\], got \[-1, 2\]"):
        tok.decode([0, 2, -1])
    with pytest.raises(ValueError, match="integer ids, got shape \\(2,\\) and dtype float64"):
        tok.decode([0.5, 1.0])
    with pytest.raises(TypeError, match="expected a str, got list"):
        tok.encode(["a"])
    with pytest.raises(ValueError, match="CharTokenizer.fit: expected a non-empty str"):
        CharTokenizer().fit("")
    assert repr(tok) == "CharTokenizer(unknown='error', vocabulary_size=2)"


def test_standardize_modes():
    text = "Don't STOP, me-now!"
    assert standardize(text, "lower_and_strip_punctuation") == "dont stop menow"
    assert standardize(text, "lower") == "don't stop, me-now!"
    assert standardize(text, "strip_punctuation") == "Dont STOP menow"
    assert standardize(text, None) == text
    assert standardize(text, str.upper) == "DON'T STOP, ME-NOW!"
    with pytest.raises(ValueError, match="mode must be one of"):
        standardize(text, "upper")


def test_split_modes():
    assert split("  to be\tor\nnot ", "whitespace") == ["to", "be", "or", "not"]
    assert split("a b", "character") == ["a", " ", "b"]
    assert split("a b", None) == ["a b"]
    assert split("a-b", lambda t: t.split("-")) == ["a", "b"]
    with pytest.raises(ValueError, match="split: mode must be one of"):
        split("a", "words")


def test_frequency_vocabulary_orders_by_count_then_by_decreasing_token():
    counts = collections.Counter("a c d d z b".split())
    assert frequency_vocabulary(counts) == ["d", "z", "c", "b", "a"]
    assert frequency_vocabulary(counts, max_size=2) == ["d", "z"]
    assert frequency_vocabulary({"": 9, "x": 1, "[UNK]": 5}, exclude={"", "[UNK]"}) == ["x"]
