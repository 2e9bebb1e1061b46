"""The shipped tabular datasets (``scratchnn.datasets.tabular``) and the toy generators
(``scratchnn.datasets.toy``): values against scikit-learn's, shapes and dtypes, seeding, the
geometry of each generator, and argument errors. No network; scikit-learn is only an oracle."""
import re

import numpy as np
import pytest

import scratchnn.datasets as ds
from scratchnn.datasets import _fetch, tabular, toy
from scratchnn.utils import set_random_seed

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


def test_datasets_package_lists_and_locates_shipped_sets(tmp_path, monkeypatch):
    monkeypatch.setenv(_fetch.ENV_HOME, str(tmp_path))
    assert ds.list() == ["mnist", "fashion_mnist", "breast_cancer", "iris", "diabetes"]
    assert (ds.path("iris") / "iris.csv.gz").is_file()
    assert ds.path("mnist") == tmp_path / "datasets" / "mnist"  # downloaded sets unchanged
    files = ds.download("Diabetes", verbose=False)
    assert list(files) == ["diabetes.csv.gz"] and files["diabetes.csv.gz"].is_file()
    assert not (tmp_path / "datasets").exists()  # nothing was fetched or cached
    expected = ("unknown dataset 'wine'; expected one of ['fashion_mnist', 'mnist'] (downloaded) "
                "or ['breast_cancer', 'iris', 'diabetes'] (shipped with the package).")
    for call in (ds.path, ds.download):
        with pytest.raises(ValueError, match=re.escape(expected)):
            call("wine")
    assert ds.tabular is tabular and ds.toy is toy and {"tabular", "toy"} <= set(ds.__all__)
    for name in ("load_breast_cancer", "load_iris", "load_diabetes", "logic_gate", "spirals", "moons",
                 "circles", "blobs", "linear_regression", "polynomial_regression"):
        assert name in ds.__all__ and callable(getattr(ds, name))


# ----------------------------------------------------------------------------- generators

GENERATORS = {
    "spirals": lambda rs: toy.spirals(50, random_state=rs),
    "moons": lambda rs: toy.moons(50, noise=0.1, random_state=rs),
    "circles": lambda rs: toy.circles(50, noise=0.1, random_state=rs),
    "blobs": lambda rs: toy.blobs(50, random_state=rs),
    "linear_regression": lambda rs: toy.linear_regression(50, random_state=rs),
    "polynomial_regression": lambda rs: toy.polynomial_regression(50, random_state=rs),
}
REGRESSION = ("linear_regression", "polynomial_regression")


def _equal(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b))


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generator_dtypes_shapes_and_seeds(name):
    make = GENERATORS[name]
    x, y = make(0)
    assert x.dtype == np.float32 and len(x) == 50
    if name in REGRESSION:
        assert x.shape == (50, 1) and y.shape == (50, 1) and y.dtype == np.float32
    else:
        assert x.shape == (50, 2) and y.shape == (50,) and y.dtype == np.int64
    assert _equal(make(0), (x, y))                                   # same seed, same data
    assert not _equal(make(1), (x, y))                               # another seed, other data
    assert _equal(make(np.random.default_rng(0)), (x, y))            # a Generator is used as given
    rng = np.random.default_rng(7)
    assert not _equal(make(rng), make(rng))                          # ... and advanced


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generators_follow_set_random_seed(name, restore_global_rng):
    make = GENERATORS[name]
    set_random_seed(123)
    first, second = make(None), make(None)
    set_random_seed(123)
    assert _equal(make(None), first) and _equal(make(None), second)
    assert not _equal(first, second)


@pytest.mark.parametrize("gate, rule", [("and", lambda a, b: a & b), ("or", lambda a, b: a | b),
                                        ("nand", lambda a, b: 1 - (a & b)), ("nor", lambda a, b: 1 - (a | b)),
                                        ("xor", lambda a, b: a ^ b)])
def test_logic_gate_truth_tables(gate, rule):
    x, y = toy.logic_gate(gate.upper())
    assert x.dtype == np.float32 and y.dtype == np.float32 and x.shape == (4, 2) and y.shape == (4, 1)
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y[:, 0].tolist() == [rule(int(a), int(b)) for a, b in x]


def test_logic_gate_unknown_name():
    with pytest.raises(ValueError, match=re.escape("unknown logic gate 'xnr'; expected one of "
                                                   "['and', 'or', 'nand', 'nor', 'xor']")):
        toy.logic_gate("xnr")
    with pytest.raises(ValueError, match="unknown logic gate 3"):
        toy.logic_gate(3)


def _sorted_rows(x, y):
    table = np.column_stack([y, np.round(np.asarray(x, dtype=np.float64), 6)])
    return table[np.lexsort(table.T[::-1])]


@pytest.mark.parametrize("n", [1, 2, 7, 100, 101])
def test_moons_and_circles_match_sklearn_geometry(n):
    sk = pytest.importorskip("sklearn.datasets")
    for ours, theirs in [(toy.moons(n, random_state=0), sk.make_moons(n, random_state=0)),
                         (toy.circles(n, factor=0.5, random_state=0),
                          sk.make_circles(n, factor=0.5, random_state=0))]:
        assert np.bincount(ours[1], minlength=2).tolist() == np.bincount(theirs[1], minlength=2).tolist()
        np.testing.assert_allclose(_sorted_rows(*ours), _sorted_rows(*theirs), atol=2e-6)
    # unshuffled, even the order is sklearn's
    x, y = toy.moons(n, shuffle=False)
    xs, ys = sk.make_moons(n, shuffle=False)
    np.testing.assert_allclose(x, xs, atol=1e-6)
    assert y.tolist() == ys.tolist()


def test_moons_and_circles_noise_level():
    clean = toy.moons(20000, random_state=3)
    noisy = toy.moons(20000, noise=0.1, random_state=3)  # same shuffle, then noise on top
    assert np.array_equal(clean[1], noisy[1])
    assert np.std(noisy[0] - clean[0]) == pytest.approx(0.1, rel=0.03)
    x, y = toy.circles(1000, factor=0.3, random_state=0)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, rtol=1e-6)


def test_spirals_balanced_and_on_two_arms():
    x, y = toy.spirals(201, noise=0.0, turns=2.0, random_state=0)
    assert np.bincount(y).tolist() == [101, 100]
    # noise-free: a point of arm k at radius r has polar angle pi r + k pi (mod 2 pi)
    r = np.hypot(x[:, 0], x[:, 1]).astype(np.float64)
    angle = np.arctan2(x[:, 1], x[:, 0]).astype(np.float64)
    off = np.angle(np.exp(1j * (angle - np.pi * r - np.pi * y)))
    assert np.abs(off).max() < 1e-4
    assert r.max() <= 4.0 + 1e-5 and r.max() > 3.5  # 2 turns: radius up to 2 * turns


def test_spirals_with_noise_are_nonlinear_but_follow_their_arm():
    x, y = toy.spirals(4000, noise=0.2, random_state=1)
    x64 = x.astype(np.float64)
    r, angle = np.hypot(x64[:, 0], x64[:, 1]), np.arctan2(x64[:, 1], x64[:, 0])
    nearer_arm = (np.abs(np.angle(np.exp(1j * (angle - np.pi * r)))) > np.pi / 2).astype(int)
    assert (nearer_arm == y).mean() > 0.95            # the arm rule classifies almost every point
    design = np.column_stack([x64, np.ones(len(x))])
    w = np.linalg.lstsq(design, 2.0 * y - 1, rcond=None)[0]
    assert ((design @ w > 0) == y).mean() < 0.75      # a linear boundary does not


def test_linear_regression_noise_and_line():
    x, y = toy.linear_regression(20000, slope=-1.5, intercept=4.0, noise=0.7, x_range=(1, 5), random_state=0)
    assert x.min() >= 1 and x.max() <= 5 and x.std() == pytest.approx(4 / np.sqrt(12), rel=0.03)
    residual = y[:, 0].astype(np.float64) - (-1.5 * x[:, 0] + 4.0)
    assert residual.std() == pytest.approx(0.7, rel=0.03) and abs(residual.mean()) < 0.03
    slope, intercept = np.polyfit(x[:, 0], y[:, 0], 1)
    assert slope == pytest.approx(-1.5, abs=0.03) and intercept == pytest.approx(4.0, abs=0.1)
    x0, y0 = toy.linear_regression(10, noise=0.0, random_state=0)
    np.testing.assert_allclose(y0, 2.0 * x0 + 1.0, rtol=1e-6)
    assert np.array_equal(x0, toy.linear_regression(10, noise=5.0, random_state=0)[0])  # noise moves only y


def test_polynomial_regression_noise_and_curve():
    coefficients = (1.0, -2.0, 0.5)  # 1 - 2x + 0.5x^2
    x, y = toy.polynomial_regression(20000, coefficients, noise=0.5, random_state=0)
    assert x.min() >= -3 and x.max() <= 3
    residual = y[:, 0].astype(np.float64) - (1 - 2 * x[:, 0] + 0.5 * x[:, 0] ** 2)
    assert residual.std() == pytest.approx(0.5, rel=0.03)
    np.testing.assert_allclose(np.polyfit(x[:, 0], y[:, 0], 2)[::-1], coefficients, atol=0.03)
    x0, y0 = toy.polynomial_regression(50, (0.0, 0.0, 0.0, 1.0), noise=0.0, random_state=1)
    np.testing.assert_allclose(y0, x0.astype(np.float64) ** 3, rtol=1e-5, atol=1e-6)


def test_blobs_counts_centres_and_spread():
    x, y = toy.blobs(301, centers=3, random_state=0)
    assert np.bincount(y).tolist() == [101, 100, 100] and x.shape == (301, 2)
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    x, y = toy.blobs(20000, centers=centres, cluster_std=[0.5, 2.0], random_state=1)
    assert x.shape == (20000, 3) and np.bincount(y).tolist() == [10000, 10000]
    for k, std in enumerate([0.5, 2.0]):
        np.testing.assert_allclose(x[y == k].mean(axis=0), centres[k], atol=0.1)
        np.testing.assert_allclose(x[y == k].std(axis=0), std, rtol=0.05)
    x, _ = toy.blobs(10, centers=4, n_features=5, center_box=(2, 3), cluster_std=0.0, random_state=2)
    assert x.shape == (10, 5) and x.min() >= 2 and x.max() <= 3


@pytest.mark.parametrize("call, message", [
    (lambda: toy.moons(0), "n_samples must be an integer >= 1, got 0"),
    (lambda: toy.spirals(10.5), "n_samples must be an integer >= 1, got 10.5"),
    (lambda: toy.circles(True), "n_samples must be an integer >= 1, got True"),
    (lambda: toy.moons(10, noise=-0.1), "noise must be a finite number >= 0 or None, got -0.1"),
    (lambda: toy.spirals(10, noise=float("nan")), "noise must be a finite number >= 0, got nan"),
    (lambda: toy.spirals(10, turns=0), "turns must be a finite number > 0, got 0"),
    (lambda: toy.circles(10, factor=1.0), "factor must be in [0, 1), got 1.0"),
    (lambda: toy.circles(10, factor=-0.5), "factor must be a finite number >= 0, got -0.5"),
    (lambda: toy.moons(10, random_state=-1), "random_state must be None, a non-negative int or a "
                                             "numpy.random.Generator, got -1"),
    (lambda: toy.blobs(10, random_state="seed"), "random_state must be None, a non-negative int or a "
                                                 "numpy.random.Generator, got 'seed'"),
    (lambda: toy.blobs(10, centers=0), "centers must be an integer >= 1, got 0"),
    (lambda: toy.blobs(10, centers=[1, 2]), "centers must be an integer >= 1 or a non-empty (k, d) array"),
    (lambda: toy.blobs(10, cluster_std=[1, 2]), "cluster_std must be a number >= 0 or 3 of them"),
    (lambda: toy.blobs(10, cluster_std=-1), "cluster_std must be a number >= 0 or 3 of them"),
    (lambda: toy.blobs(10, center_box=(1, 1)), "center_box must be a pair (low, high) with low < high, "
                                               "got (1, 1)"),
    (lambda: toy.linear_regression(10, x_range=(3, -3)), "x_range must be a pair (low, high) with "
                                                        "low < high, got (3, -3)"),
    (lambda: toy.linear_regression(10, x_range=5), "x_range must be a pair (low, high)"),
    (lambda: toy.linear_regression(10, slope="2"), "slope must be a finite number, got '2'"),
    (lambda: toy.linear_regression(10, noise=-1), "noise must be a finite number >= 0, got -1"),
    (lambda: toy.polynomial_regression(10, coefficients=()), "coefficients must be a non-empty sequence"),
    (lambda: toy.polynomial_regression(10, coefficients=["a"]), "coefficients must be a non-empty sequence"),
])
def test_argument_errors(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
