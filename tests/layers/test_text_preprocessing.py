"""``StringLookup`` and ``TextVectorization`` (``scratchnn/layers/text_preprocessing.py``) against
the examples of Keras's documentation (vocabulary order, ids, padding and truncation, OOV,
``max_tokens``), the inverse lookup, configs, and argument errors.
"""
import json

import numpy as np
import pytest

from scratchnn import layers as L
from scratchnn.datasets import tiny_shakespeare
from scratchnn.preprocessing import CharTokenizer, NotFittedError


# ----------------------------------------------------------------------------- Keras's examples

def test_text_vectorization_adapt_example():
    layer = L.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    # counts: bar 2, baz 2, then bada, boom, foo 1 each; ties by decreasing token
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    out = layer([["foo qux bar"], ["qux baz"]])
    np.testing.assert_array_equal(out, [[4, 1, 3, 0], [1, 2, 0, 0]], strict=False)
    assert out.dtype == np.int64 and out.shape == (2, 4)
    assert layer.get_vocabulary(include_special_tokens=False) == ["baz", "bar", "foo", "boom", "bada"]
    assert layer.vocabulary_size() == 7


def test_text_vectorization_given_vocabulary_example():
    layer = L.TextVectorization(max_tokens=5000, output_sequence_length=4,
                                vocabulary=["earth", "wind", "and", "fire"])
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    np.testing.assert_array_equal(layer(["Fire, and WIND!"]), [[5, 4, 3, 0]])
    same = L.TextVectorization(vocabulary=["", "[UNK]", "earth", "wind"])   # special tokens recognised
    assert same.get_vocabulary() == ["", "[UNK]", "earth", "wind"]


def test_string_lookup_examples():
    data = [["a", "c", "d"], ["d", "z", "b"]]
    np.testing.assert_array_equal(L.StringLookup(vocabulary=["a", "b", "c", "d"])(data),
                                  [[1, 3, 4], [4, 0, 2]])
    layer = L.StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    np.testing.assert_array_equal(layer(data), [[5, 3, 1], [1, 2, 4]])
    vocab = ["a", "b", "c", "d"]
    one_hot = L.StringLookup(vocabulary=vocab, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(["a", "b", "c", "d", "z"]), np.eye(5)[[1, 2, 3, 4, 0]])
    counted = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
    np.testing.assert_array_equal(L.StringLookup(vocabulary=vocab, output_mode="multi_hot")(counted),
                                  [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    out = L.StringLookup(vocabulary=vocab, output_mode="count")(counted)
    np.testing.assert_array_equal(out, [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    assert out.dtype == np.float32


def test_string_lookup_invert_example_and_forward_inverse_pair():
    vocab = ["a", "b", "c", "d"]
    inverse = L.StringLookup(vocabulary=vocab, invert=True)
    out = inverse([[1, 3, 4], [4, 0, 2]])
    assert out.dtype == object and out.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]
    forward = L.StringLookup(vocabulary=vocab)
    round_trip = inverse(forward([["a", "c", "d"], ["d", "z", "b"]]))
    assert round_trip.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]
    assert inverse([7, -1]).tolist() == ["[UNK]", "[UNK]"]           # ids outside the vocabulary


def test_inverse_lookup_of_a_text_vectorization():
    vectorize = L.TextVectorization(output_sequence_length=5)
    vectorize.adapt(["the cat sat", "the dog sat on the cat"])
    words = L.StringLookup(vocabulary=vectorize.get_vocabulary(), mask_token="", invert=True)
    assert words.get_vocabulary() == vectorize.get_vocabulary()
    ids = vectorize(["The cat sat on the mat."])
    assert words(ids).tolist() == [["the", "cat", "sat", "on", "the"]]
    assert words(vectorize(["a mat"])).tolist() == [["[UNK]", "[UNK]", "", "", ""]]


# ----------------------------------------------------------------------------- lengths, OOV, max_tokens

def test_padding_and_truncation():
    vocab = ["a", "b", "c"]
    fixed = L.TextVectorization(vocabulary=vocab, output_sequence_length=3)
    np.testing.assert_array_equal(fixed(["a", "a b c c b a", ""]), [[2, 0, 0], [2, 3, 4], [0, 0, 0]])
    free = L.TextVectorization(vocabulary=vocab)
    np.testing.assert_array_equal(free(["c", "b a x"]), [[4, 0, 0], [3, 2, 1]])   # longest text of the batch
    assert free([""]).shape == (1, 0)
    np.testing.assert_array_equal(free("b  c"), [3, 4])                         # one text: 1-D
    assert fixed.compute_output_shape((None, 1)) == (None, 3)


def test_out_of_vocabulary_tokens_are_one_and_max_tokens_caps_the_vocabulary():
    layer = L.TextVectorization(max_tokens=4)
    layer.adapt(["x y y z z z", "z y w"])
    assert layer.get_vocabulary() == ["", "[UNK]", "z", "y"]          # max_tokens counts '' and [UNK]
    np.testing.assert_array_equal(layer(["w x y z never"]), [[1, 1, 3, 2, 1]])
    with pytest.raises(ValueError, match="vocabulary of 5 tokens .* larger than max_tokens=4"):
        L.TextVectorization(max_tokens=4, vocabulary=["a", "b", "c"])
    lookup = L.StringLookup(max_tokens=3)
    lookup.adapt(["p", "q", "q", "r", "r", "r"])
    assert lookup.get_vocabulary() == ["[UNK]", "r", "q"]


def test_character_split_and_standardize_options():
    chars = L.TextVectorization(split="character", standardize=None)
    chars.adapt(["ab ba", "Aa"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "b", "A", " "]   # a 3, b 2, then 'A' > ' '
    np.testing.assert_array_equal(chars(["a A!"]), [[2, 5, 4, 1]])
    lower = L.TextVectorization(split="character")
    lower.adapt(["Ab, a"])
    assert lower.get_vocabulary() == ["", "[UNK]", "a", "b", " "]          # lower-cased, ',' stripped
    assert lower.tokenize(["Hi, yo"]) == [["h", "i", " ", "y", "o"]]
    whole = L.TextVectorization(split=None, standardize="lower")
    whole.adapt(["New York", "new york", "Paris"])
    assert whole.get_vocabulary() == ["", "[UNK]", "new york", "paris"]


def test_character_vectorization_of_tiny_shakespeare_agrees_with_char_tokenizer():
    text = tiny_shakespeare.load_data()[:20000]
    layer = L.TextVectorization(split="character", standardize=None)
    layer.adapt([text])
    vocab = layer.get_vocabulary(include_special_tokens=False)
    counts = {c: text.count(c) for c in set(text)}
    assert sorted(vocab) == sorted(counts)
    assert [counts[c] for c in vocab] == sorted(counts.values(), reverse=True)     # most frequent first
    ids = layer([text[:300]])[0]
    tok = CharTokenizer(vocabulary=vocab)
    np.testing.assert_array_equal(ids - 2, tok.encode(text[:300]))          # same order, shifted by 2


def test_multi_hot_and_count_text_vectorization():
    layer = L.TextVectorization(output_mode="count", max_tokens=6, pad_to_max_tokens=True)
    layer.adapt(["a b b", "c"])
    assert layer.get_vocabulary() == ["[UNK]", "b", "c", "a"]
    out = layer(["b b z", "a", ""])
    np.testing.assert_array_equal(out, [[1, 2, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0]])
    multi = L.TextVectorization(output_mode="multi_hot", vocabulary=["b", "c", "a"])
    np.testing.assert_array_equal(multi(["b b z"]), [[1, 1, 0, 0]])


def test_adapt_from_batches_and_string_lookup_mask_token():
    layer = L.TextVectorization()
    layer.adapt(batch for batch in (["to be"], np.array(["or not to be"])))
    assert layer.get_vocabulary() == ["", "[UNK]", "to", "be", "or", "not"]
    masked = L.StringLookup(vocabulary=["a", "b"], mask_token="")
    np.testing.assert_array_equal(masked([["a", "", "q"]]), [[2, 0, 1]])
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b"]
    counted = L.StringLookup(vocabulary=["a", "b"], mask_token="", output_mode="count")
    np.testing.assert_array_equal(counted([["a", "", "q", "a"]]), [[1, 2, 0]])   # the mask is dropped


# ----------------------------------------------------------------------------- configs and errors

def test_config_round_trip_keeps_the_adapted_vocabulary():
    layer = L.TextVectorization(max_tokens=10, output_sequence_length=6, split="character")
    layer.adapt(["hello there"])
    data = json.loads(json.dumps(L.serialize(layer)))
    clone = L.deserialize(data)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(clone(["the hello"]), layer(["the hello"]))
    with pytest.raises(ValueError, match="a callable standardize cannot be saved"):
        L.TextVectorization(standardize=str.lower).get_config()


def test_errors_name_the_layer_and_the_argument():
    with pytest.raises(NotFittedError, match="no vocabulary yet; call adapt"):
        L.TextVectorization()(["a"])
    with pytest.raises(ValueError, match="max_tokens must be None or an integer > 1, got 1"):
        L.TextVectorization(max_tokens=1)
    with pytest.raises(ValueError, match="output_sequence_length must be None or an integer >= 1, got 0"):
        L.TextVectorization(output_sequence_length=0)
    with pytest.raises(ValueError, match="output_sequence_length is only for output_mode='int'"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="split must be 'whitespace', 'character', None or a callable"):
        L.TextVectorization(split="words")
    with pytest.raises(ValueError, match="output_mode must be 'int', 'multi_hot' or 'count', got 'tf_idf'"):
        L.TextVectorization(output_mode="tf_idf")
    with pytest.raises(ValueError, match="num_oov_indices must be 0 or 1"):
        L.StringLookup(num_oov_indices=2)
    with pytest.raises(ValueError, match=r"the vocabulary repeats \['a'\]"):
        L.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="the mask token '' is in the vocabulary at index 1"):
        L.StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="cannot adapt a layer built with a vocabulary"):
        L.TextVectorization(vocabulary=["a"]).adapt(["a"])
    strict = L.StringLookup(vocabulary=["a"], num_oov_indices=0)
    np.testing.assert_array_equal(strict(["a"]), [0])
    with pytest.raises(ValueError, match=r"not in the vocabulary and num_oov_indices=0: \['b'\]"):
        strict(["a", "b"])
    with pytest.raises(TypeError, match="expected strings, got int"):
        L.TextVectorization(vocabulary=["a"])([1, 2])
    with pytest.raises(ValueError, match=r"expected a str, a batch of texts \(batch,\) or \(batch, 1\)"):
        L.TextVectorization(vocabulary=["a"])([["a", "b"]])


def test_a_failed_adapt_or_set_vocabulary_changes_nothing():
    layer = L.StringLookup()
    layer.adapt(["a", "b", "b"])
    before = layer.get_vocabulary()
    with pytest.raises(ValueError, match="the data holds no token"):
        layer.adapt(["[UNK]"])
    with pytest.raises(ValueError, match="repeats"):
        layer.set_vocabulary(["x", "x"])
    assert layer.get_vocabulary() == before
