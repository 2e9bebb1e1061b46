"""Tests of scratchnn.preprocessing, with scikit-learn as the oracle where it has the same tool."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn import preprocessing as P
from scratchnn import utils
from scratchnn.autograd import Tensor


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


# ----------------------------------------------------------------------------- to_categorical / one_hot

def test_to_categorical_is_reexported_and_one_hot_matches():
    assert P.to_categorical is utils.to_categorical
    y = np.array([0, 2, 1, 2])
    expected = np.eye(3, dtype=np.float32)[y]
    out = P.one_hot(y)
    assert out.dtype == np.float32
    assert np.array_equal(out, expected)
    assert np.array_equal(P.one_hot(y, 5), P.to_categorical(y, 5))
    assert P.one_hot(y, dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="num_classes=2"):
        P.one_hot(y, 2)


# ----------------------------------------------------------------------------- LabelEncoder

label_lists = st.one_of(
    st.lists(st.integers(-5, 5), min_size=1, max_size=30),
    st.lists(st.sampled_from(["cat", "dog", "bird", "ant", "Zebra"]), min_size=1, max_size=30),
    st.lists(st.floats(-3, 3, allow_nan=False, width=32), min_size=1, max_size=30),
)


@settings(max_examples=40)
@given(labels=label_lists)
def test_label_encoder_matches_sklearn(labels):
    sk = _sk("preprocessing")
    y = np.array(labels)
    ours, theirs = P.LabelEncoder(), sk.LabelEncoder()
    codes = ours.fit_transform(y)
    assert np.array_equal(ours.classes_, theirs.fit(y).classes_)
    assert np.array_equal(codes, theirs.transform(y))
    assert codes.dtype == np.int64
    assert np.array_equal(ours.inverse_transform(codes), y)
    assert np.array_equal(ours.inverse_transform(codes[::-1]), theirs.inverse_transform(codes[::-1]))


def test_label_encoder_strings_example_and_column_vector():
    enc = P.LabelEncoder().fit(["cat", "dog", "cat", "bird"])
    assert enc.classes_.tolist() == ["bird", "cat", "dog"]
    assert enc.transform(np.array([["dog"], ["bird"]])).tolist() == [2, 0]     # (n, 1) is accepted
    assert enc.inverse_transform([1, 1.0]).tolist() == ["cat", "cat"]
    assert enc.transform([]).shape == (0,)


def test_label_encoder_errors():
    enc = P.LabelEncoder()
    with pytest.raises(P.NotFittedError, match=r"LabelEncoder.transform.*call fit"):
        enc.transform(["a"])
    enc.fit(["b", "a", "c"])
    with pytest.raises(ValueError, match=r"not seen during fit: \['q', 'z'\].*"
                                         r"known classes: \['a', 'b', 'c'\]"):
        enc.transform(["a", "z", "q", "z"])
    many = [f"u{i}" for i in range(9)]
    with pytest.raises(ValueError, match=r"'u4', \.\.\. \(9 in all\)"):
        enc.transform(many)
    with pytest.raises(ValueError, match=r"\[0, 2\].*3 classes.*out-of-range codes \[-1, 3\]"):
        enc.inverse_transform([0, 3, -1])
    with pytest.raises(ValueError, match="codes must be integers.*0.5"):
        enc.inverse_transform([0.5])
    with pytest.raises(ValueError, match=r"1-D array of labels, got shape \(2, 2\)"):
        enc.fit([["a", "b"], ["c", "d"]])
    with pytest.raises(TypeError, match="all be strings or all be numbers"):
        P.LabelEncoder().fit(np.array(["a", 1], dtype=object))


def test_not_fitted_error_is_a_runtime_error():
    assert issubclass(P.NotFittedError, RuntimeError)
    for transformer in (P.OneHotEncoder(), P.StandardScaler(), P.MinMaxScaler()):
        with pytest.raises(RuntimeError, match=f"{type(transformer).__name__} is not fitted.*call fit"):
            transformer.transform([[1.0]])
        with pytest.raises(P.NotFittedError):
            transformer.inverse_transform([[1.0]])


# ----------------------------------------------------------------------------- OneHotEncoder

@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 25), n_cols=st.integers(1, 4))
def test_one_hot_encoder_matches_sklearn(seed, n, n_cols):
    sk = _sk("preprocessing")
    rng = np.random.default_rng(seed)
    strings = rng.choice(np.array(["red", "green", "blue", "x"]), size=(n, n_cols))
    numbers = rng.integers(-2, 3, size=(n, n_cols))
    for X in (strings, numbers):
        ours = P.OneHotEncoder().fit(X)
        theirs = sk.OneHotEncoder(sparse_output=False).fit(X)
        assert [c.tolist() for c in ours.categories_] == [c.tolist() for c in theirs.categories_]
        out = ours.transform(X)
        assert out.dtype == np.float32
        assert np.array_equal(out, theirs.transform(X))
        assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()
        names = [f"f{j}" for j in range(n_cols)]
        assert ours.get_feature_names_out(names).tolist() == theirs.get_feature_names_out(names).tolist()
        assert np.array_equal(ours.inverse_transform(out), X)
        assert np.array_equal(ours.inverse_transform(out), theirs.inverse_transform(out))


def test_one_hot_encoder_ignore_unknown_matches_sklearn():
    sk = _sk("preprocessing")
    fit_X = np.array([["a", "x"], ["b", "y"], ["a", "y"]])
    new_X = np.array([["b", "z"], ["q", "x"], ["q", "w"]])
    ours = P.OneHotEncoder(handle_unknown="ignore").fit(fit_X)
    theirs = sk.OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(fit_X)
    out = ours.transform(new_X)
    assert np.array_equal(out, theirs.transform(new_X))
    assert out.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    back = ours.inverse_transform(out)
    assert back.tolist() == theirs.inverse_transform(out).tolist() == [["b", None], [None, "x"], [None, None]]


def test_one_hot_encoder_numbers_float_names_and_given_categories():
    sk = _sk("preprocessing")
    X = np.array([[1.5, 0.0], [2.0, 1.0], [1.5, 1.0]])
    ours, theirs = P.OneHotEncoder().fit(X), sk.OneHotEncoder(sparse_output=False).fit(X)
    names = ours.get_feature_names_out(["w", "v"]).tolist()
    assert names == theirs.get_feature_names_out(["w", "v"]).tolist()
    assert ours.get_feature_names_out(["w", "v"]).tolist() == ["w_1.5", "w_2.0", "v_0.0", "v_1.0"]
    mixed = np.array([["a", 1], ["b", 2], ["a", 2]], dtype=object)       # a string and a number column
    ours, theirs = P.OneHotEncoder().fit(mixed), sk.OneHotEncoder(sparse_output=False).fit(mixed)
    assert ours.get_feature_names_out().tolist() == theirs.get_feature_names_out().tolist()
    assert np.array_equal(ours.transform(mixed), theirs.transform(mixed))
    assert ours.inverse_transform(ours.transform(mixed)).tolist() == mixed.tolist()
    # explicit categories, a string column in a chosen (unsorted) order
    S = np.array([["M"], ["S"], ["L"]])
    enc = P.OneHotEncoder(categories=[["S", "M", "L", "XL"]]).fit(S)
    assert enc.transform(S).tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]]
    assert enc.get_feature_names_out().tolist() == ["x0_S", "x0_M", "x0_L", "x0_XL"]
    assert P.OneHotEncoder(dtype=np.int8).fit(S).transform(S).dtype == np.int8


def test_one_hot_encoder_errors():
    enc = P.OneHotEncoder().fit(np.array([["a", "x"], ["b", "y"]]))
    with pytest.raises(ValueError, match=r"unknown categories \['z'\] in column 1.*\['x', 'y'\].*'ignore'"):
        enc.transform(np.array([["a", "z"]]))
    with pytest.raises(ValueError, match="X has 3 features.*fitted with 2 features"):
        enc.transform(np.array([["a", "x", "x"]]))
    with pytest.raises(ValueError, match=r"2-D array.*got shape \(2,\).*reshape\(-1, 1\)"):
        enc.transform(np.array(["a", "x"]))
    with pytest.raises(ValueError, match="must have 4 columns.*got 3"):
        enc.inverse_transform(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="row 0 has no category set in the block of column 0"):
        enc.inverse_transform(np.array([[0, 0, 1, 0]]))
    with pytest.raises(ValueError, match="input_features has 1 names.*2 features"):
        enc.get_feature_names_out(["only"])
    with pytest.raises(ValueError, match="handle_unknown must be 'error' or 'ignore', got 'warn'"):
        P.OneHotEncoder(handle_unknown="warn")
    with pytest.raises(ValueError, match="categories has 1 entries but X has 2 columns"):
        P.OneHotEncoder(categories=[["a"]]).fit(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match=r"column 0 contains values missing from categories\[0\]: \['b'\]"):
        P.OneHotEncoder(categories=[["a"]]).fit(np.array([["a"], ["b"]]))
    # an object column of numbers meeting a string (and strings meeting numbers) is simply unknown
    mixed = np.array([["a", 1], ["b", 2]], dtype=object)
    with pytest.raises(ValueError, match=r"unknown categories \['zz'\] in column 1"):
        P.OneHotEncoder().fit(mixed).transform(np.array([["a", "zz"]], dtype=object))
    ignore = P.OneHotEncoder(handle_unknown="ignore").fit(mixed)
    assert ignore.transform(np.array([["b", "zz"], ["a", 2]], dtype=object)).tolist() == [[0, 1, 0, 0],
                                                                                          [1, 0, 0, 1]]
    ignore = P.OneHotEncoder(handle_unknown="ignore").fit(np.array([["1"], ["2"]]))
    assert ignore.transform(np.array([[1]])).tolist() == [[0, 0]]


# ----------------------------------------------------------------------------- get_dummies

def test_get_dummies_dict_with_string_and_numeric_columns():
    data = {"age": np.array([31, 42, 25]), "city": np.array(["Rome", "Oslo", "Oslo"]),
            "height": np.array([1.5, 1.8, 1.7], dtype=np.float32)}
    array, names = P.get_dummies(data)
    assert names == ["age", "height", "city_Oslo", "city_Rome"]
    assert array.dtype == np.float64                  # int64 + float32 -> float64: nothing rounded
    expected = np.array([[31, 1.5, 0, 1], [42, 1.8, 1, 0], [25, 1.7, 1, 0]])
    np.testing.assert_array_equal(array[:, [0, 2, 3]], expected[:, [0, 2, 3]])
    np.testing.assert_array_equal(array[:, 1], data["height"])    # float32 values, exactly

    array, names = P.get_dummies({"size": ["S", "M", "S"], "n": np.array([1.0, 2.0, 3.0], np.float32)},
                                 prefix="sz", prefix_sep=":", drop_first=True)
    assert names == ["n", "sz:S"]                     # "M" (first in sorted order) dropped
    assert array.dtype == np.float32
    assert array.tolist() == [[1, 1], [2, 0], [3, 1]]

    # a numeric column listed in columns is encoded; the others pass through
    array, names = P.get_dummies({"k": [3, 1, 3], "v": [0.5, 0.25, 1.0]}, columns=["k"], prefix={"k": "key"})
    assert names == ["v", "key_1", "key_3"]
    assert array.tolist() == [[0.5, 0, 1], [0.25, 1, 0], [1.0, 0, 1]]


def test_get_dummies_with_a_dataframe_like_object():
    class Column:
        def __init__(self, values): self.values, self.dtype = np.asarray(values), np.asarray(values).dtype
        def to_numpy(self): return self.values

    class Frame:                                       # the little of a DataFrame that get_dummies uses
        columns = ["c", "x"]
        def __getitem__(self, name): return Column({"c": ["b", "a"], "x": [7, 8]}[name])

    array, names = P.get_dummies(Frame())
    assert names == ["x", "c_a", "c_b"]
    assert array.tolist() == [[7, 0, 1], [8, 1, 0]]


def test_get_dummies_errors():
    with pytest.raises(ValueError, match=r"same length, got \{'a': 2, 'b': 3\}"):
        P.get_dummies({"a": ["x", "y"], "b": [1, 2, 3]})
    with pytest.raises(ValueError, match=r"columns \['nope'\] are not in data.*\['a'\]"):
        P.get_dummies({"a": ["x"]}, columns=["nope"])
    with pytest.raises(ValueError, match="column 'a' has dtype <U1 and is not encoded"):
        P.get_dummies({"a": ["x"], "b": ["y"]}, columns=["b"])
    with pytest.raises(ValueError, match="prefix has 2 entries but 1 columns"):
        P.get_dummies({"a": ["x"]}, prefix=["p", "q"])
    with pytest.raises(TypeError, match="dict of column name"):
        P.get_dummies(np.zeros((2, 2)))


# ----------------------------------------------------------------------------- scalers

def _matrix(seed, n, d, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(3.0, 5.0, size=(n, d))
    X[:, 0] = 0.1                                      # a constant column (inexact in binary)
    return X.astype(dtype)


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), d=st.integers(1, 5),
       with_mean=st.booleans(), with_std=st.booleans())
def test_standard_scaler_matches_sklearn(seed, n, d, with_mean, with_std):
    sk = _sk("preprocessing")
    X = _matrix(seed, n, d)
    ours = P.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    theirs = sk.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-9, atol=1e-9)
    for name in ("mean_", "var_", "scale_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=name)
    assert ours.n_samples_seen_ == theirs.n_samples_seen_ == n
    Z = ours.transform(X)
    np.testing.assert_allclose(ours.inverse_transform(Z), X, rtol=1e-12, atol=1e-12)
    if with_std:
        assert ours.scale_[0] == 1.0                   # the constant column is not divided by ~0


def test_standard_scaler_dtype_rules_and_statistics():
    sk = _sk("preprocessing")
    X = _matrix(0, 50, 3)
    for dtype, out_dtype in [(np.float64, np.float64), (np.float32, np.float32), (np.int64, np.float32),
                             (np.uint8, np.float32), (np.float16, np.float32), (bool, np.float32)]:
        Xd = (X > 3) if dtype is bool else (np.abs(X) if dtype is np.uint8 else X).astype(dtype)
        scaler = P.StandardScaler().fit(Xd)
        Z = scaler.transform(Xd)
        assert Z.dtype == out_dtype, dtype
        assert scaler.inverse_transform(Z).dtype == out_dtype
        assert scaler.mean_.dtype == np.float64
        reference = sk.StandardScaler().fit_transform(Xd.astype(np.float64))
        np.testing.assert_allclose(Z, reference, rtol=1e-5, atol=1e-5)
    Z = P.StandardScaler().fit_transform(X[:, 1:])
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    assert P.StandardScaler().fit_transform(Tensor(X[:, 1:])).dtype == np.float32   # a tensor's float32 data


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), d=st.integers(1, 5),
       feature_range=st.sampled_from([(0, 1), (-1, 1), (2.5, 7)]), clip=st.booleans())
def test_min_max_scaler_matches_sklearn(seed, n, d, feature_range, clip):
    sk = _sk("preprocessing")
    X = _matrix(seed, n, d)
    new = _matrix(seed + 1, 7, d) * 3                 # outside the fitted range: clip matters
    ours = P.MinMaxScaler(feature_range, clip=clip).fit(X)
    theirs = sk.MinMaxScaler(feature_range=feature_range, clip=clip).fit(X)
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.transform(new), theirs.transform(new), rtol=1e-9, atol=1e-9)
    assert np.all(ours.transform(X)[:, 0] == feature_range[0])      # the constant column
    if clip:
        out = ours.transform(new)
        assert out.min() >= feature_range[0] and out.max() <= feature_range[1]
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X)), X, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.inverse_transform(new), theirs.inverse_transform(new), rtol=1e-9)


def test_min_max_scaler_float32_and_int():
    sk = _sk("preprocessing")
    X = _matrix(3, 30, 4, np.float32)
    out = P.MinMaxScaler().fit_transform(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, sk.MinMaxScaler().fit_transform(X), rtol=1e-5, atol=1e-6)
    ints = np.array([[0, 10], [5, 10], [10, 10]])
    out = P.MinMaxScaler().fit_transform(ints)
    assert out.dtype == np.float32
    assert out.tolist() == [[0, 0], [0.5, 0], [1, 0]]


@pytest.mark.parametrize("scaler", [P.StandardScaler(), P.MinMaxScaler()], ids=repr)
def test_scaler_errors(scaler):
    name = type(scaler).__name__
    scaler.fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match=f"{name}.transform: X has 2 features.*fitted with 3 features"):
        scaler.transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"2-D array of shape \(n_samples, n_features\), got shape \(3,\)"):
        scaler.transform(np.ones(3))
    with pytest.raises(ValueError, match="contains 1 NaN or infinite"):
        scaler.fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="must hold numbers.*<U1"):
        scaler.fit(np.array([["a"]]))
    with pytest.raises(ValueError, match="0 samples"):
        scaler.fit(np.ones((0, 3)))


def test_min_max_scaler_rejects_bad_feature_range():
    with pytest.raises(ValueError, match=r"feature_range.*min < max, got \(1, 0\)"):
        P.MinMaxScaler((1, 0))
    assert repr(P.MinMaxScaler((-1, 1))) == "MinMaxScaler(feature_range=(-1, 1), clip=False)"


# ----------------------------------------------------------------------------- normalize_images

def test_normalize_images():
    images = np.array([[0, 51, 255]], dtype=np.uint8)
    out = P.normalize_images(images)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([[0, 0.2, 1]], dtype=np.float32))
    out64 = P.normalize_images(images.astype(np.float64), dtype="float64")
    assert out64.dtype == np.float64 and out64.tolist() == [[0, 0.2, 1]]
    assert P.normalize_images(np.array([255], dtype=np.int64)).tolist() == [1.0]
    with pytest.raises(ValueError, match="values must be in \\[0, 255\\], got values from -1 to 3"):
        P.normalize_images(np.array([-1, 3]))
    with pytest.raises(ValueError, match="from 0.0 to 256.0"):
        P.normalize_images(np.array([0.0, 256.0]))
    with pytest.raises(ValueError, match="must be in"):
        P.normalize_images(np.array([np.nan, 3.0]))
    with pytest.raises(ValueError, match="floating-point dtype, got int32"):
        P.normalize_images(images, dtype="int32")
    with pytest.raises(ValueError, match="got dtype <U1"):
        P.normalize_images(np.array(["a"]))


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


# ----------------------------------------------------------------------------- batches

@settings(max_examples=40)
@given(n=st.integers(0, 50), batch_size=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans())
def test_batches_cover_every_sample_once(n, batch_size, drop_last, shuffle):
    x, y = np.arange(n * 3).reshape(n, 3), np.arange(n)
    it = P.batches(x, y, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, random_state=0)
    got = list(it)
    assert len(got) == len(it) == (n // batch_size if drop_last else -(-n // batch_size))
    sizes = [len(yb) for _, yb in got]
    assert all(s == batch_size for s in sizes[:-1])
    if got:
        assert sizes[-1] == (batch_size if drop_last or n % batch_size == 0 else n % batch_size)
    seen = np.concatenate([yb for _, yb in got]) if got else np.array([], dtype=int)
    assert len(seen) == len(np.unique(seen)) == sum(sizes)
    if not drop_last:
        assert np.array_equal(np.sort(seen), y)
    for xb, yb in got:
        assert np.array_equal(xb[:, 0] // 3, yb)        # rows stay aligned
    if not shuffle:
        assert np.array_equal(seen, y[:len(seen)])


def test_batches_single_array_partial_batch_and_shuffle():
    it = P.batches(np.arange(10), batch_size=4)
    assert isinstance(it, P.BatchIterator)
    assert [b.tolist() for b in it] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b.tolist() for b in P.batches(np.arange(10), batch_size=4, drop_last=True)] == \
        [[0, 1, 2, 3], [4, 5, 6, 7]]
    run_1 = P.batches(np.arange(20), batch_size=5, shuffle=True, random_state=4)
    run_2 = P.batches(np.arange(20), batch_size=5, shuffle=True, random_state=4)
    first_1, second_1 = [b.tolist() for b in run_1], [b.tolist() for b in run_1]
    first_2, second_2 = [b.tolist() for b in run_2], [b.tolist() for b in run_2]
    assert first_1 == first_2 and second_1 == second_2          # repeatable with a seed
    assert first_1 != second_1                                  # a new order every epoch
    assert first_1 != [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19]]


def test_batches_errors():
    with pytest.raises(ValueError, match=r"same number of samples.*lengths \[3, 2\]"):
        P.batches(np.arange(3), np.arange(2))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        P.batches(np.arange(3), batch_size=0)
    with pytest.raises(ValueError, match="at least one array"):
        P.batches()


def test_to_categorical_rejects_non_positive_num_classes():
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer, got -1"):
        P.one_hot([0, 1], num_classes=-1)
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer, got 0"):
        P.one_hot([], num_classes=0)
