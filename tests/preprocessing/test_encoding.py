"""``scratchnn/preprocessing/encoding.py``: one_hot / to_categorical, LabelEncoder,
OneHotEncoder and get_dummies, with scikit-learn as the oracle where it has the same tool.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn import preprocessing as P
from scratchnn import utils


def _sk(module):
    return pytest.importorskip(f"sklearn.{module}")


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


def test_to_categorical_rejects_non_positive_num_classes():
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer, got -1"):
        P.one_hot([0, 1], num_classes=-1)
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer, got 0"):
        P.one_hot([], num_classes=0)
