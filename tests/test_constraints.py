"""Constraints (``scratchnn/constraints.py``): Keras's formulas, shapes and dtypes kept,
get/serialize and argument errors.
"""
import numpy as np
import pytest

from scratchnn import constraints as C

# ----------------------------------------------------------------- constraints
EPS = C.EPSILON


def _columns(norms, rows=4, seed=0):
    """A (rows, len(norms)) matrix whose columns have the given norms."""
    m = np.random.default_rng(seed).normal(size=(rows, len(norms)))
    return m / np.linalg.norm(m, axis=0) * np.asarray(norms, dtype=float)


def test_max_norm():
    w = _columns([0.5, 1.0, 3.0, 10.0])
    out = C.MaxNorm(max_value=2.0)(w)
    norms = np.linalg.norm(out, axis=0)
    np.testing.assert_allclose(norms, [0.5, 1.0, 2.0, 2.0], rtol=1e-6)
    # columns within the bound: unchanged up to Keras's epsilon, w * n / (eps + n)
    np.testing.assert_allclose(out[:, :2], w[:, :2], rtol=2e-7)
    np.testing.assert_array_equal(out[:, 1], w[:, 1] * (1.0 / (EPS + 1.0)))
    np.testing.assert_allclose(out[:, 3], w[:, 3] * 2.0 / (EPS + 10.0), rtol=1e-15)
    # axis=1 constrains rows; a conv kernel's filters with axis=(0, 1, 2)
    np.testing.assert_allclose(np.linalg.norm(C.MaxNorm(1.0, axis=1)(w.T), axis=1), [0.5, 1, 1, 1], rtol=1e-6)
    k = np.random.default_rng(1).normal(size=(3, 3, 4, 5))
    out = C.MaxNorm(1.5, axis=[0, 1, 2])(k)
    np.testing.assert_allclose(np.sqrt((out ** 2).sum(axis=(0, 1, 2))), 1.5, rtol=1e-6)
    assert C.MaxNorm().get_config() == {"max_value": 2.0, "axis": 0}


def test_constraints_keep_shape_and_dtype():
    w = _columns([0.5, 3.0]).astype(np.float32)
    for c in (C.MaxNorm(), C.NonNeg(), C.UnitNorm(), C.MinMaxNorm()):
        out = c(w)
        assert isinstance(out, np.ndarray) and out.shape == w.shape and out.dtype == np.float32
    assert C.Constraint()(w) is w


def test_non_neg():
    w = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, -1e-30]])
    np.testing.assert_array_equal(C.NonNeg()(w), [[0.0, 0.0, 2.0], [3.0, 0.0, 0.0]])


def test_unit_norm():
    w = _columns([0.1, 1.0, 7.0])
    out = C.UnitNorm()(w)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(out, w / (EPS + np.linalg.norm(w, axis=0)), rtol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(C.UnitNorm(axis=1)(w.T), axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(C.UnitNorm()(np.zeros((3, 2))), 0.0)    # no division by zero


def test_min_max_norm():
    w = _columns([0.5, 1.5, 3.0, 0.0])
    out = C.MinMaxNorm(min_value=1.0, max_value=2.0)(w)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [1.0, 1.5, 2.0, 0.0], rtol=1e-6, atol=1e-12)
    half = C.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(w)       # half way to the bounds
    np.testing.assert_allclose(np.linalg.norm(half, axis=0), [0.75, 1.5, 2.5, 0.0], rtol=1e-6, atol=1e-12)
    # the formula, epsilon included
    n = np.linalg.norm(w, axis=0, keepdims=True)
    target = 0.5 * np.clip(n, 1.0, 2.0) + 0.5 * n
    np.testing.assert_allclose(half, w * target / (EPS + n), rtol=1e-15)
    # directions are kept
    np.testing.assert_allclose(out[:, :3] / np.linalg.norm(out[:, :3], axis=0),
                               w[:, :3] / np.linalg.norm(w[:, :3], axis=0), rtol=1e-12)
    assert C.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}


@pytest.mark.parametrize("name, cls", [("max_norm", C.MaxNorm), ("non_neg", C.NonNeg),
                                       ("unit_norm", C.UnitNorm), ("min_max_norm", C.MinMaxNorm),
                                       ("MaxNorm", C.MaxNorm),
                                       ("NonNeg", C.NonNeg), ("UnitNorm", C.UnitNorm),
                                       ("MinMaxNorm", C.MinMaxNorm)])
def test_constraint_names(name, cls):
    assert type(C.get(name)) is cls
    assert getattr(C, cls.__name__) is cls


@pytest.mark.parametrize("c", [C.MaxNorm(3.0, axis=1), C.NonNeg(), C.UnitNorm(axis=[0, 1]),
                               C.MinMaxNorm(0.5, 2.0, 0.3, axis=(0, 1))], ids=repr)
def test_constraint_round_trip(c):
    config = C.serialize(c)
    assert config == {"class_name": type(c).__name__, "config": c.get_config()}
    rebuilt = C.get(config)
    assert type(rebuilt) is type(c) and rebuilt.get_config() == c.get_config()
    w = np.random.default_rng(5).normal(size=(3, 4, 2))
    np.testing.assert_array_equal(rebuilt(w), c(w))
    assert C.get(c) is c and type(C.get(type(c))) is type(c)


def test_constraint_other_identifiers():
    assert C.max_norm is C.MaxNorm and C.non_neg is C.NonNeg
    assert C.unit_norm is C.UnitNorm and C.min_max_norm is C.MinMaxNorm
    assert C.get(None) is None
    clip = np.tanh
    assert C.get(clip) is clip
    with pytest.raises(ValueError, match="unknown constraint 'maxnorm2'.*'max_norm'.*'min_max_norm'"):
        C.get("maxnorm2")
    with pytest.raises(ValueError, match="could not interpret"):
        C.get(3)
    with pytest.raises(ValueError, match="Constraint instances"):
        C.serialize(clip)


@pytest.mark.parametrize("make, argument", [
    (lambda: C.MaxNorm(max_value=-1), "`max_value`"), (lambda: C.MaxNorm(axis="0"), "`axis`"),
    (lambda: C.UnitNorm(axis=[]), "`axis`"), (lambda: C.MinMaxNorm(min_value=-0.5), "`min_value`"),
    (lambda: C.MinMaxNorm(min_value=2.0, max_value=1.0), "`max_value`"),
    (lambda: C.MinMaxNorm(rate=1.5), "`rate`"), (lambda: C.MaxNorm(max_value=float("nan")), "`max_value`"),
])
def test_constraint_bad_arguments(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()
