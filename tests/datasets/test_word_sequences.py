"""``imdb`` and ``reuters`` (and ``word_sequences``, their shared rules), on small files of the
published formats in a local mirror: Keras's argument semantics, the word index, the checks."""
import io
import json
import os

import numpy as np
import pytest

from scratchnn.datasets import DatasetUnavailableError, imdb, reuters
from scratchnn.datasets.safe_pickle import UnsafePickleError
from scratchnn.datasets.word_sequences import encode_texts


def ragged(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = [list(x) for x in lists]
    return out


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def keras_rule(texts, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    """Keras's steps 2-4, one word at a time (what the vectorised version must reproduce)."""
    xs = [([start_char] if start_char is not None else []) + [w + index_from for w in t] for t in texts]
    kept = [not maxlen or len(x) < maxlen for x in xs]
    xs = [x for x, k in zip(xs, kept) if k]
    bound = num_words or max(max(x) for x in xs if x)
    if oov_char is not None:
        xs = [[w if skip_top <= w < bound else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < bound] for x in xs]
    return xs, kept


RNG = np.random.default_rng(1)
TEXTS = [list(RNG.integers(1, 40, RNG.integers(0, 12))) for _ in range(30)]


@pytest.mark.parametrize("kwargs", [
    dict(num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3),
    dict(num_words=20, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3),
    dict(num_words=25, skip_top=6, maxlen=8, start_char=1, oov_char=2, index_from=3),
    dict(num_words=15, skip_top=0, maxlen=6, start_char=None, oov_char=None, index_from=0),
    dict(num_words=30, skip_top=5, maxlen=None, start_char=7, oov_char=None, index_from=2),
])
def test_encode_texts_follows_keras_rule(kwargs):
    got, kept = encode_texts(TEXTS, **kwargs)
    expected, expected_kept = keras_rule(TEXTS, **kwargs)
    assert got == expected and kept.tolist() == expected_kept


def test_num_words_replaces_rare_ids_and_maxlen_filters():
    (texts, kept) = encode_texts([[1, 2, 30], [5], [1, 1, 1, 1, 1]], num_words=10, maxlen=5)
    assert texts == [[1, 4, 5, 2], [1, 8]] and kept.tolist() == [True, True, False]


@pytest.mark.parametrize("name, value", [("num_words", -1), ("maxlen", 2.5), ("skip_top", None),
                                         ("index_from", -3), ("oov_char", "x")])
def test_bad_arguments_are_named(name, value):
    with pytest.raises(ValueError, match=f"`{name}`"):
        encode_texts(TEXTS, **{name: value})


@pytest.fixture
def small_imdb(keras_mirror):
    rng = np.random.default_rng(0)
    train = [list(rng.integers(1, 50, rng.integers(1, 15))) for _ in range(12)]
    test = [list(rng.integers(1, 50, rng.integers(1, 15))) for _ in range(8)]
    y_train, y_test = rng.integers(0, 2, 12), rng.integers(0, 2, 8)
    keras_mirror("imdb", {"imdb.npz": npz_bytes(x_train=ragged(train), y_train=y_train, x_test=ragged(test),
                                                y_test=y_test),
                          "imdb_word_index.json": json.dumps({"the": 1, "and": 2, "film": 3}).encode()})
    return train, test, y_train, y_test


def keras_imdb(train, test, y_train, y_test, seed=113, **kwargs):
    rng = np.random.RandomState(seed)
    i = np.arange(len(train)); rng.shuffle(i)
    j = np.arange(len(test)); rng.shuffle(j)
    xs, kept = keras_rule([train[k] for k in i] + [test[k] for k in j], **kwargs)
    n = sum(kept[:len(train)])
    ys = np.concatenate([y_train[i], y_test[j]])[np.array(kept)]
    return (xs[:n], ys[:n]), (xs[n:], ys[n:])


@pytest.mark.parametrize("kwargs", [dict(), dict(num_words=20, maxlen=10),
                                    dict(skip_top=3, index_from=2, seed=5)])
def test_imdb_load_data_matches_keras(small_imdb, kwargs):
    args = dict(num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3)
    args.update(kwargs)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(verbose=False, **args)
    (ex_train, ey_train), (ex_test, ey_test) = keras_imdb(*small_imdb, **args)
    assert x_train.dtype == object and x_train.ndim == 1
    assert list(x_train) == ex_train and list(x_test) == ex_test
    np.testing.assert_array_equal(y_train, ey_train)
    np.testing.assert_array_equal(y_test, ey_test)
    if args["num_words"]:
        assert max(max(x) for x in x_train) < args["num_words"]
    if args["maxlen"]:
        assert max(len(x) for x in x_train) < args["maxlen"]


def test_imdb_maxlen_that_keeps_nothing_and_the_word_index(small_imdb):
    with pytest.raises(ValueError, match="increase maxlen"):
        imdb.load_data(maxlen=2, verbose=False)
    assert imdb.get_word_index(verbose=False) == {"the": 1, "and": 2, "film": 3}


def test_a_tampered_file_is_refused_before_it_is_read(small_imdb, keras_mirror, tmp_path):
    folder = keras_mirror("imdb", {})
    evil = ragged([[1], [2]])

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    evil[0] = Evil()
    (folder / "imdb.npz").write_bytes(npz_bytes(x_train=evil, y_train=np.zeros(2), x_test=evil,
                                                y_test=np.zeros(2)))
    with pytest.raises(DatasetUnavailableError, match="checksum mismatch"):
        imdb.load_data(verbose=False)                   # the published hash does not match: never parsed
    keras_mirror("imdb", {"imdb.npz": (folder / "imdb.npz").read_bytes()})   # even with a matching hash:
    with pytest.raises(UnsafePickleError, match="system"):
        imdb.load_data(verbose=False)
    assert not (tmp_path / "pwned").exists()


def test_reuters_load_data_split_word_index_and_labels(keras_mirror):
    rng = np.random.default_rng(2)
    texts = [list(rng.integers(1, 60, rng.integers(1, 20))) for _ in range(25)]
    labels = rng.integers(0, 46, 25)
    keras_mirror("reuters", {"reuters.npz": npz_bytes(x=ragged(texts), y=labels),
                             "reuters_word_index.json": json.dumps({"said": 1}).encode()})
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=30, maxlen=15, test_split=0.3,
                                                             verbose=False)
    order = np.arange(25); np.random.RandomState(113).shuffle(order)
    xs, kept = keras_rule([texts[k] for k in order], num_words=30, skip_top=0, maxlen=15, start_char=1,
                          oov_char=2, index_from=3)
    ys = labels[order][np.array(kept)]
    cut = int(len(xs) * 0.7)
    assert list(x_train) == xs[:cut] and list(x_test) == xs[cut:]
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), ys)
    assert len(y_train) == cut
    assert reuters.get_word_index(verbose=False) == {"said": 1}
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"
    with pytest.raises(ValueError, match="`test_split`"):
        reuters.load_data(test_split=1.0, verbose=False)


def test_keras_namespace():
    from scratchnn import keras
    assert keras.datasets.imdb is imdb and keras.datasets.reuters is reuters
