"""``scratchnn/preprocessing/splitting.py``: train_test_split, KFold and StratifiedKFold against
scikit-learn (sizes, stratification, shuffling, errors).
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn import preprocessing as P
from scratchnn import utils


def _sk(module):
    return pytest.importorskip(f"sklearn.{module}")


def _folds(splitter, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)       # small classes: tested separately
        return [(train, test) for train, test in splitter.split(X, y)]


def _assert_partition(folds, n):
    """Every sample is in exactly one test fold, and train = the complement of test."""
    tests = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(tests), np.arange(n))
    for train, test in folds:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
        assert np.intersect1d(train, test).size == 0


# ----------------------------------------------------------------------------- train_test_split

sizes = st.one_of(st.none(), st.floats(0.05, 0.95), st.integers(1, 60))


def _sk_split_or_error(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ValueError:
        return None


@settings(max_examples=60)
@given(n=st.integers(2, 60), test_size=sizes, train_size=sizes)
def test_train_test_split_unshuffled_equals_sklearn(n, test_size, train_size):
    ms = _sk("model_selection")
    if test_size is None and train_size is None:
        test_size = 0.25                              # sklearn's default differs from ours (0.2)
    X, y = np.arange(n * 2).reshape(n, 2), np.arange(n) * 10
    expected = _sk_split_or_error(ms.train_test_split, X, y, test_size=test_size, train_size=train_size,
                                  shuffle=False)
    if expected is None:
        with pytest.raises(ValueError):
            P.train_test_split(X, y, test_size=test_size, train_size=train_size, shuffle=False)
        return
    ours = P.train_test_split(X, y, test_size=test_size, train_size=train_size, shuffle=False)
    assert len(ours) == 4
    for a, b in zip(ours, expected):
        assert np.array_equal(a, b)


@settings(max_examples=60)
@given(n=st.integers(2, 60), test_size=sizes, train_size=sizes, seed=st.integers(0, 1000))
def test_train_test_split_shuffled_sizes_equal_sklearn(n, test_size, train_size, seed):
    ms = _sk("model_selection")
    X = np.arange(n)
    sk_test_size = 0.2 if test_size is None and train_size is None else test_size   # sklearn's default: 0.25
    expected = _sk_split_or_error(ms.train_test_split, X, test_size=sk_test_size, train_size=train_size,
                                  random_state=0)
    if expected is None:
        with pytest.raises(ValueError):
            P.train_test_split(X, test_size=test_size, train_size=train_size, random_state=seed)
        return
    train, test = P.train_test_split(X, test_size=test_size, train_size=train_size, random_state=seed)
    assert (len(train), len(test)) == (len(expected[0]), len(expected[1]))
    assert np.intersect1d(train, test).size == 0
    assert len(np.unique(np.concatenate([train, test]))) == len(train) + len(test)
    if test_size is None or train_size is None:       # one size given: the other is the rest
        assert np.array_equal(np.sort(np.concatenate([train, test])), X)


def test_train_test_split_default_is_20_percent_and_rows_stay_aligned():
    X, y = np.arange(100).reshape(50, 2), np.arange(50)
    X_train, X_test, y_train, y_test = P.train_test_split(X, y, random_state=3)
    assert (len(X_train), len(X_test)) == (40, 10)
    assert np.array_equal(X_train[:, 0] // 2, y_train) and np.array_equal(X_test[:, 0] // 2, y_test)
    assert not np.array_equal(y_train, np.arange(40))          # shuffled
    lists = P.train_test_split([1, 2, 3, 4, 5], shuffle=False)
    assert [part.tolist() for part in lists] == [[1, 2, 3, 4], [5]]


def test_train_test_split_random_state_repeatability():
    X = np.arange(30)
    a = P.train_test_split(X, random_state=7)
    b = P.train_test_split(X, random_state=7)
    c = P.train_test_split(X, random_state=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    d = P.train_test_split(X, random_state=np.random.default_rng(7))
    assert all(np.array_equal(p, q) for p, q in zip(a, d))
    utils.set_random_seed(11)
    e = P.train_test_split(X)
    utils.set_random_seed(11)
    f = P.train_test_split(X)
    assert all(np.array_equal(p, q) for p, q in zip(e, f))


def _class_counts(labels, classes):
    return [int(np.sum(labels == c)) for c in classes]


def test_train_test_split_stratified_counts_equal_sklearn():
    ms = _sk("model_selection")
    # class counts 50/30/20 and 63/25/12: fractional parts differ, so the allocation has no ties
    for counts, test_size in [((50, 30, 20), 0.25), ((63, 25, 12), 0.3), ((7, 5, 4), 6)]:
        y = np.repeat(np.arange(len(counts)), counts)
        np.random.default_rng(0).shuffle(y)
        X = np.arange(len(y))
        _, _, y_train, y_test = P.train_test_split(X, y, test_size=test_size, stratify=y, random_state=1)
        _, _, sk_train, sk_test = ms.train_test_split(X, y, test_size=test_size, stratify=y, random_state=1)
        classes = np.arange(len(counts))
        assert _class_counts(y_train, classes) == _class_counts(sk_train, classes)
        assert _class_counts(y_test, classes) == _class_counts(sk_test, classes)


@settings(max_examples=40)
@given(counts=st.lists(st.integers(2, 30), min_size=2, max_size=4), test_size=st.floats(0.2, 0.6),
       seed=st.integers(0, 1000))
def test_train_test_split_stratified_within_one_of_sklearn(counts, test_size, seed):
    ms = _sk("model_selection")
    y = np.repeat(np.array(["a", "b", "c", "d"][:len(counts)]), counts)
    X = np.arange(len(y))
    expected = _sk_split_or_error(ms.train_test_split, X, y, test_size=test_size, stratify=y, random_state=0)
    if expected is None:
        with pytest.raises(ValueError):
            P.train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
        return
    x_train, x_test, y_train, y_test = P.train_test_split(X, y, test_size=test_size, stratify=y,
                                                          random_state=seed)
    classes = np.unique(y)
    assert (len(y_train), len(y_test)) == (len(expected[2]), len(expected[3]))
    for ours, theirs in ((y_train, expected[2]), (y_test, expected[3])):
        diff = np.abs(np.subtract(_class_counts(ours, classes), _class_counts(theirs, classes)))
        assert diff.max() <= 1
    assert np.array_equal(y[x_train], y_train) and np.array_equal(y[x_test], y_test)
    assert np.array_equal(np.sort(np.concatenate([x_train, x_test])), X)


def test_train_test_split_errors():
    with pytest.raises(ValueError, match=r"same number of samples.*lengths \[3, 4\]"):
        P.train_test_split(np.arange(3), np.arange(4))
    with pytest.raises(ValueError, match="stratify requires shuffle=True"):
        P.train_test_split(np.arange(10), stratify=np.arange(10) % 2, shuffle=False)
    with pytest.raises(ValueError, match=r"test_size=1.5 must be a float in \(0, 1\)"):
        P.train_test_split(np.arange(10), test_size=1.5)
    with pytest.raises(ValueError, match="train_size=10 must be a positive int smaller than the number of "
                                         r"samples \(10\)"):
        P.train_test_split(np.arange(10), train_size=10)
    with pytest.raises(ValueError, match="6 \\+ 6 = 12 samples, but there are only 10"):
        P.train_test_split(np.arange(10), train_size=6, test_size=6)
    with pytest.raises(ValueError, match="training set would be empty"):
        P.train_test_split(np.arange(1), test_size=0.5)
    with pytest.raises(ValueError, match=r"at least 2 members.*\[2\]"):
        P.train_test_split(np.arange(5), stratify=[0, 0, 1, 1, 2])
    with pytest.raises(ValueError, match="random_state must be None.*got 'seed'"):
        P.train_test_split(np.arange(5), random_state="seed")
    with pytest.raises(ValueError, match="at least one array"):
        P.train_test_split()


# ----------------------------------------------------------------------------- KFold / StratifiedKFold

@settings(max_examples=60)
@given(n=st.integers(2, 60), k=st.integers(2, 10))
def test_kfold_unshuffled_equals_sklearn(n, k):
    ms = _sk("model_selection")
    if k > n:
        with pytest.raises(ValueError, match=f"n_splits={k} is greater than the number of samples "
                                             f"n_samples={n}"):
            P.KFold(k).split(np.zeros(n))
        return
    ours, theirs = _folds(P.KFold(k), np.zeros((n, 2))), _folds(ms.KFold(k), np.zeros((n, 2)))
    assert len(ours) == len(theirs) == P.KFold(k).get_n_splits() == k
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs):
        assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)


@settings(max_examples=40)
@given(n=st.integers(5, 60), k=st.integers(2, 5), seed=st.integers(0, 1000))
def test_kfold_shuffled_partition_and_repeatability(n, k, seed):
    ms = _sk("model_selection")
    folds = _folds(P.KFold(k, shuffle=True, random_state=seed), np.zeros(n))
    _assert_partition(folds, n)
    sizes = [len(test) for _, test in folds]
    assert sizes == [len(test) for _, test in _folds(ms.KFold(k, shuffle=True, random_state=0), np.zeros(n))]
    again = _folds(P.KFold(k, shuffle=True, random_state=seed), np.zeros(n))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))


def test_kfold_shuffle_actually_shuffles_and_uses_global_seed():
    n = 40
    plain = _folds(P.KFold(4), np.zeros(n))
    shuffled = _folds(P.KFold(4, shuffle=True, random_state=0), np.zeros(n))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(plain, shuffled))
    utils.set_random_seed(5)
    first = _folds(P.KFold(4, shuffle=True), np.zeros(n))
    utils.set_random_seed(5)
    second = _folds(P.KFold(4, shuffle=True), np.zeros(n))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, second))


def _labels(counts, seed, names=None):
    y = np.repeat(np.arange(len(counts)) if names is None else np.array(names[:len(counts)]), counts)
    np.random.default_rng(seed).shuffle(y)
    return y


@settings(max_examples=60)
@given(counts=st.lists(st.integers(1, 25), min_size=1, max_size=5), k=st.integers(2, 6),
       seed=st.integers(0, 1000), strings=st.booleans())
def test_stratified_kfold_unshuffled_equals_sklearn(counts, k, seed, strings):
    ms = _sk("model_selection")
    y = _labels(counts, seed, ["pear", "apple", "fig", "kiwi", "date"] if strings else None)
    X = np.zeros((len(y), 1))
    try:
        theirs = _folds(ms.StratifiedKFold(k), X, y)
    except ValueError:
        with pytest.raises(ValueError, match=f"n_splits={k}"):
            _folds(P.StratifiedKFold(k), X, y)
        return
    ours = _folds(P.StratifiedKFold(k), X, y)
    assert len(ours) == k
    for (a_train, a_test), (b_train, b_test) in zip(ours, theirs):
        assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)


@settings(max_examples=40)
@given(counts=st.lists(st.integers(5, 30), min_size=2, max_size=4), k=st.integers(2, 5),
       seed=st.integers(0, 1000))
def test_stratified_kfold_shuffled(counts, k, seed):
    ms = _sk("model_selection")
    y = _labels(counts, seed)
    X = np.zeros(len(y))
    ours = _folds(P.StratifiedKFold(k, shuffle=True, random_state=seed), X, y)
    theirs = _folds(ms.StratifiedKFold(k, shuffle=True, random_state=seed), X, y)
    _assert_partition(ours, len(y))
    classes = np.arange(len(counts))
    for (_, a_test), (_, b_test) in zip(ours, theirs):
        diff = np.subtract(_class_counts(y[a_test], classes), _class_counts(y[b_test], classes))
        assert np.abs(diff).max() <= 1
    again = _folds(P.StratifiedKFold(k, shuffle=True, random_state=seed), X, y)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(ours, again))
    plain = _folds(P.StratifiedKFold(k), X, y)
    different = _folds(P.StratifiedKFold(k, shuffle=True, random_state=seed + 1), X, y)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(plain, different))


def test_stratified_kfold_small_classes_and_errors():
    y = np.array([0] * 10 + [1] * 2)
    with pytest.warns(UserWarning, match="least populated class in y has only 2 members.*n_splits=3"):
        folds = [pair for pair in P.StratifiedKFold(3).split(np.zeros(12), y)]
    assert len(folds) == 3
    with pytest.raises(ValueError, match="n_splits=4 is greater than the number of members of every class"):
        P.StratifiedKFold(4).split(np.zeros(6), np.array([0, 0, 0, 1, 1, 1]))
    with pytest.raises(ValueError, match="n_splits=7 is greater than the number of samples n_samples=6"):
        P.StratifiedKFold(7).split(np.zeros(6), np.zeros(6))
    with pytest.raises(ValueError, match="looks continuous.*0.5"):
        P.StratifiedKFold(2).split(np.zeros(4), np.array([0.5, 1, 2, 3]))
    with pytest.raises(ValueError, match="y .*is required"):
        P.StratifiedKFold(2).split(np.zeros(4))
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        P.StratifiedKFold(2).split(np.zeros(4), np.zeros(3))


def test_kfold_constructor_errors():
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2, got 1"):
        P.KFold(1)
    with pytest.raises(ValueError, match="random_state=3 has no effect with shuffle=False"):
        P.StratifiedKFold(3, random_state=3)
    assert repr(P.KFold(3)) == "KFold(n_splits=3, shuffle=False, random_state=None)"
    assert P.StratifiedKFold(4).get_n_splits() == 4


def test_kfold_works_as_a_sklearn_cv():
    ms = _sk("model_selection")
    linear = _sk("linear_model")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    ours = ms.cross_val_score(linear.LogisticRegression(), X, y, cv=P.StratifiedKFold(4))
    theirs = ms.cross_val_score(linear.LogisticRegression(), X, y, cv=ms.StratifiedKFold(4))
    np.testing.assert_allclose(ours, theirs)
