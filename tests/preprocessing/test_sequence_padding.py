"""``pad_sequences`` (preprocessing/sequence_padding.py): Keras's padding and truncation rules."""
import numpy as np
import pytest

from scratchnn.preprocessing import pad_sequences


def reference(sequences, maxlen, padding, truncating, value, dtype="int32"):
    """The rule written out one sequence at a time (the vectorised version must agree)."""
    out = np.full((len(sequences), maxlen), value, dtype=dtype)
    for i, s in enumerate(sequences):
        s = list(s)
        if not s or not maxlen:
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(kept):] = kept
        else:
            out[i, :len(kept)] = kept
    return out


def test_default_pads_and_truncates_before():
    x = pad_sequences([[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10]], maxlen=4)
    np.testing.assert_array_equal(x, [[0, 1, 2, 3], [0, 0, 4, 5], [0, 0, 0, 0], [7, 8, 9, 10]])
    assert x.dtype == np.int32


def test_post_padding_and_truncation():
    x = pad_sequences([[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]], maxlen=4, padding="post", truncating="post",
                      value=-1)
    np.testing.assert_array_equal(x, [[1, 2, 3, -1], [4, 5, -1, -1], [6, 7, 8, 9]])


def test_maxlen_none_is_the_longest():
    x = pad_sequences([[1], [2, 3, 4], []])
    assert x.shape == (3, 3)
    np.testing.assert_array_equal(x, [[0, 0, 1], [2, 3, 4], [0, 0, 0]])


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [0, 1, 3, 7, None])
def test_agrees_with_the_rule_on_random_sequences(padding, truncating, maxlen):
    rng = np.random.default_rng(0)
    seqs = [list(rng.integers(1, 100, rng.integers(0, 9))) for _ in range(25)]
    expected_len = max(map(len, seqs)) if maxlen is None else maxlen
    got = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=-5)
    np.testing.assert_array_equal(got, reference(seqs, expected_len, padding, truncating, -5))


def test_float_dtype_keeps_fractions_and_int_dtype_casts_them():
    seqs = [[0.5, 1.25], [2.75]]
    np.testing.assert_array_equal(pad_sequences(seqs, dtype="float32", value=0.5),
                                  np.array([[0.5, 1.25], [0.5, 2.75]], np.float32))
    np.testing.assert_array_equal(pad_sequences(seqs), [[0, 1], [0, 2]])


def test_sequences_of_vectors_keep_their_element_shape():
    seqs = [np.ones((2, 3)), np.full((1, 3), 2.0), []]
    x = pad_sequences(seqs, maxlen=3, dtype="float32", padding="post")
    assert x.shape == (3, 3, 3)
    np.testing.assert_array_equal(x[0], [[1] * 3, [1] * 3, [0] * 3])
    np.testing.assert_array_equal(x[1, 0], [2, 2, 2])
    assert not x[2].any()


def test_object_array_of_lists_and_a_2d_array():
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = [1, 2, 3], [4]
    np.testing.assert_array_equal(pad_sequences(ragged, maxlen=2), [[2, 3], [0, 4]])
    np.testing.assert_array_equal(pad_sequences(np.arange(6).reshape(2, 3), maxlen=2, truncating="post"),
                                  [[0, 1], [3, 4]])
    np.testing.assert_array_equal(pad_sequences(np.arange(6).reshape(2, 3), maxlen=2), [[1, 2], [4, 5]])
    np.testing.assert_array_equal(pad_sequences(np.arange(6).reshape(2, 3), maxlen=4, padding="post"),
                                  [[0, 1, 2, 0], [3, 4, 5, 0]])
    assert pad_sequences(np.arange(6).reshape(2, 3), maxlen=0).shape == (2, 0)


def test_empty_input():
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([], maxlen=5).shape == (0, 5)
    np.testing.assert_array_equal(pad_sequences([[], []], maxlen=2, value=7), [[7, 7], [7, 7]])


def test_strings_with_object_dtype():
    x = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert x.tolist() == [["a", "b"], ["<pad>", "c"]]


@pytest.mark.parametrize("kwargs, words", [
    (dict(padding="middle"), "`padding` must be 'pre' or 'post', got 'middle'"),
    (dict(truncating="end"), "`truncating` must be 'pre' or 'post', got 'end'"),
    (dict(maxlen=-1), "`maxlen` must be None or a non-negative integer, got -1"),
    (dict(value="x"), "`dtype` int32 cannot hold the padding `value` 'x'"),
])
def test_bad_arguments_are_named(kwargs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        pad_sequences([[1, 2]], **kwargs)


def test_non_iterable_and_mismatched_elements():
    with pytest.raises(ValueError, match=r"must be a list of iterables.*position 1 is 5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"position 1 have shape \(2,\)"):
        pad_sequences([np.ones((2, 3)), np.ones((1, 2))])


def test_keras_namespaces():
    from scratchnn import keras
    assert keras.utils.pad_sequences is pad_sequences
    assert keras.preprocessing.sequence.pad_sequences is pad_sequences
