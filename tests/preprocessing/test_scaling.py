"""``scratchnn/preprocessing/scaling.py``: StandardScaler and MinMaxScaler against
scikit-learn, dtype rules, errors, and normalize_images.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn import preprocessing as P
from scratchnn.autograd import Tensor


def _sk(module):
    return pytest.importorskip(f"sklearn.{module}")


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
