"""The shipped tabular datasets (``scratchnn/datasets/tabular.py``): values against
scikit-learn's, shapes, dtypes, metadata, fresh arrays.
"""
import re

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import tabular

SHAPES = {"breast_cancer": (569, 30), "iris": (150, 4), "diabetes": (442, 10)}
LOADERS = {"breast_cancer": ds.load_breast_cancer, "iris": ds.load_iris, "diabetes": ds.load_diabetes}


# ----------------------------------------------------------------------------- tabular

@pytest.mark.parametrize("name", list(SHAPES))
def test_tabular_equals_sklearn(name):
    sk = pytest.importorskip("sklearn.datasets")
    ref = getattr(sk, f"load_{name}")()  # diabetes: scaled=True, sklearn's default
    data = LOADERS[name]()
    np.testing.assert_array_equal(data.x, ref.data.astype(np.float32), strict=True)
    np.testing.assert_array_equal(data.y, ref.target.astype(data.y.dtype), strict=True)
    if name == "diabetes":
        assert np.array_equal(data.y, ref.target)  # integer-valued targets: float32 is exact
    assert data.feature_names == [str(n) for n in ref.feature_names]
    if name != "diabetes":
        assert data.target_names == [str(n) for n in ref.target_names]


@pytest.mark.parametrize("name", list(SHAPES))
def test_tabular_shapes_dtypes_and_metadata(name):
    data = tabular.load(name)
    n, d = SHAPES[name]
    assert data.name == name
    assert data.x.shape == (n, d) and data.x.dtype == np.float32 and data.x.flags.c_contiguous
    assert data.y.shape == (n,)
    assert len(data.feature_names) == d and all(isinstance(f, str) and f for f in data.feature_names)
    assert isinstance(data.description, str) and len(data.description) > 40
    if name == "diabetes":
        assert data.y.dtype == np.float32 and data.target_names == [] and data.task == "regression"
    else:
        assert data.y.dtype == np.int64 and data.task == "classification"
        assert sorted(set(data.y.tolist())) == list(range(len(data.target_names)))
    assert f"{n} samples x {d} features" in repr(data)


def test_tabular_unpacks_as_x_y():
    iris = ds.load_iris()
    x, y = iris
    assert x is iris.x and y is iris.y
    with pytest.raises(ValueError, match="not enough values to unpack"):
        x, y, z = iris


def test_tabular_class_counts_and_known_values():
    cancer = ds.load_breast_cancer()
    assert np.bincount(cancer.y).tolist() == [212, 357]
    assert cancer.target_names == ["malignant", "benign"]
    assert cancer.feature_names[0] == "mean radius" and cancer.feature_names[-1] == "worst fractal dimension"
    assert cancer.x[0, :3].tolist() == pytest.approx([17.99, 10.38, 122.8], rel=1e-6)
    iris = ds.load_iris()
    assert np.bincount(iris.y).tolist() == [50, 50, 50]
    assert iris.target_names == ["setosa", "versicolor", "virginica"]
    assert iris.x[0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2], rel=1e-6)
    diabetes = ds.load_diabetes()
    assert diabetes.feature_names == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert diabetes.y[:3].tolist() == [151.0, 75.0, 141.0]
    assert diabetes.y.min() == 25 and diabetes.y.max() == 346
    # the scaled version: every column centred with unit Euclidean norm
    np.testing.assert_allclose(diabetes.x.astype(np.float64).mean(axis=0), 0, atol=1e-8)
    np.testing.assert_allclose(np.linalg.norm(diabetes.x.astype(np.float64), axis=0), 1, rtol=1e-6)


def test_tabular_load_by_name_gives_fresh_arrays():
    a = tabular.load("Breast-Cancer")
    a.x[:] = 0
    b = ds.load_breast_cancer()
    assert a.name == b.name == "breast_cancer" and b.x[0, 0] == np.float32(17.99)
    with pytest.raises(ValueError, match=re.escape("unknown tabular dataset 'wine'; expected one of "
                                                   "['breast_cancer', 'iris', 'diabetes']")):
        tabular.load("wine")
