"""Regularizers (values, gradients, PyTorch's weight decay), constraints (Keras formulas), get/serialize."""
import numpy as np
import pytest
from conftest import requires_torch, torch

import scratchnn as snn
from scratchnn import constraints as C
from scratchnn import regularizers as R
from scratchnn.autograd import Tensor

W = np.array([[0.5, -1.5, 2.0], [-0.25, 3.0, -0.75]])      # no zeros: |w| is differentiable everywhere


def _leaf(x, dtype=np.float64):
    return Tensor(np.array(x, dtype=dtype), requires_grad=True, dtype=dtype)


# ----------------------------------------------------------------- values by hand
def test_values_equal_the_formulas():
    w = _leaf(W)
    abs_sum, sq_sum = np.abs(W).sum(), (W ** 2).sum()        # 8.0 and 15.5625
    assert R.L1(0.3)(w).item() == pytest.approx(0.3 * abs_sum, rel=1e-15)
    assert R.L2(0.2)(w).item() == pytest.approx(0.2 * sq_sum, rel=1e-15)     # no 1/2 factor
    assert R.L1L2(l1=0.3, l2=0.2)(w).item() == pytest.approx(0.3 * abs_sum + 0.2 * sq_sum, rel=1e-15)
    assert R.L1L2(l2=0.2)(w).item() == pytest.approx(0.2 * sq_sum, rel=1e-15)
    assert R.L1()(w).item() == pytest.approx(0.01 * abs_sum)
    assert R.L2()(w).item() == pytest.approx(0.01 * sq_sum)
    zero = R.L1L2()(w)
    assert isinstance(zero, Tensor) and zero.shape == () and zero.item() == 0.0


def test_penalties_are_scalar_tensors_of_the_weights_dtype():
    for reg in (R.L1(), R.L2(), R.L1L2(0.1, 0.1), R.OrthogonalRegularizer()):
        out32 = reg(_leaf(W, np.float32))
        assert isinstance(out32, Tensor) and out32.shape == () and out32.dtype == np.float32
        assert reg(W).dtype == np.float64             # a plain array is accepted (as a constant)


def test_orthogonal_regularizer_value():
    w = np.random.default_rng(0).normal(size=(4, 6))
    for mode, m in (("rows", w), ("columns", w.T)):
        v = m / np.linalg.norm(m, axis=1, keepdims=True)
        cos = v @ v.T
        n = m.shape[0]
        expected = 0.05 * np.abs(cos[~np.eye(n, dtype=bool)]).sum() / 2 / (n * (n - 1) / 2)
        assert R.OrthogonalRegularizer(0.05, mode)(_leaf(w)).item() == pytest.approx(expected, rel=1e-12)
    q = np.linalg.qr(np.random.default_rng(1).normal(size=(6, 6)))[0]
    assert R.OrthogonalRegularizer(1.0, "columns")(q).item() == pytest.approx(0.0, abs=1e-12)
    rows_scaled = q * np.arange(1.0, 7.0)[:, None]        # orthogonal rows of different norms
    assert R.OrthogonalRegularizer(1.0, "rows")(rows_scaled).item() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="2-D"):
        R.OrthogonalRegularizer()(np.ones(3))
    with pytest.raises(ValueError, match="at least 2"):
        R.OrthogonalRegularizer(mode="columns")(np.ones((3, 1)))


# ----------------------------------------------------------------- gradients
@pytest.mark.parametrize("reg", [R.L1(0.3), R.L2(0.2), R.L1L2(0.3, 0.2), R.OrthogonalRegularizer(0.5, "rows"),
                                 R.OrthogonalRegularizer(0.5, "columns")], ids=repr)
def test_gradcheck(reg):
    assert snn.gradcheck(reg, W)


def test_l2_gradient_is_exactly_2_l2_w():
    for dtype in (np.float64, np.float32):
        w = _leaf(np.random.default_rng(2).normal(size=(5, 7)), dtype)
        R.L2(0.37)(w).backward()
        expected = 2 * (dtype(0.37) * w.data)             # the same rounding as l2 * w + l2 * w
        assert w.grad.dtype == dtype
        np.testing.assert_array_equal(w.grad, expected)
        np.testing.assert_allclose(w.grad, 2 * 0.37 * w.data, rtol=1e-6)


def test_l1_gradient_is_l1_sign_w():
    w = _leaf(W)
    R.L1(0.3)(w).backward()
    np.testing.assert_array_equal(w.grad, 0.3 * np.sign(W))


def test_penalty_gradient_flows_into_the_loss():
    x = np.random.default_rng(3).normal(size=W.shape)
    w = _leaf(W)
    loss = (w * x).sum() + R.L1L2(l1=0.1, l2=0.2)(w)
    loss.backward()
    np.testing.assert_allclose(w.grad, x + 0.1 * np.sign(W) + 0.4 * W, rtol=1e-13)


@requires_torch
def test_l2_equals_torch_weight_decay_of_twice_the_factor():
    # an SGD step on (loss + L2(l2)) == torch SGD on loss with weight_decay = 2 * l2
    l2, lr = 0.05, 0.1
    x = np.random.default_rng(4).normal(size=W.shape)
    w = _leaf(W)
    ((w * x).sum() + R.L2(l2)(w)).backward()
    ours = W - lr * w.grad
    tw = torch.tensor(W, requires_grad=True)
    opt = torch.optim.SGD([tw], lr=lr, weight_decay=2 * l2)
    (tw * torch.tensor(x)).sum().backward()
    opt.step()
    np.testing.assert_allclose(ours, tw.detach().numpy(), rtol=1e-13)
    # ...and PyTorch's own penalty form wd/2 * sum(w^2) has the same gradient
    tw2 = torch.tensor(W, requires_grad=True)
    (2 * l2 / 2 * (tw2 ** 2).sum()).backward()
    w2 = _leaf(W)
    R.L2(l2)(w2).backward()
    np.testing.assert_allclose(w2.grad, tw2.grad.numpy(), rtol=1e-14)


# ----------------------------------------------------------------- get / serialize / arguments
@pytest.mark.parametrize("name, cls, config", [
    ("l1", R.L1, {"l1": 0.01}), ("l2", R.L2, {"l2": 0.01}), ("l1_l2", R.L1L2, {"l1": 0.01, "l2": 0.01}),
    ("L1", R.L1, {"l1": 0.01}), ("L2", R.L2, {"l2": 0.01}), ("L1L2", R.L1L2, {"l1": 0.0, "l2": 0.0}),
    ("orthogonal_regularizer", R.OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
    ("OrthogonalRegularizer", R.OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
])
def test_regularizer_names_and_defaults(name, cls, config):
    reg = R.get(name)
    assert type(reg) is cls and reg.get_config() == config
    assert R.serialize(reg) == {"class_name": cls.__name__, "config": config}


@pytest.mark.parametrize("reg", [R.L1(0.2), R.L2(1e-4), R.L1L2(0.3, 0.0), R.l1_l2(l2=0.5),
                                 R.OrthogonalRegularizer(0.1, "columns")], ids=repr)
def test_regularizer_round_trip(reg):
    config = R.serialize(reg)
    rebuilt = R.get(config)
    assert type(rebuilt) is type(reg) and rebuilt.get_config() == reg.get_config()
    assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()
    assert rebuilt(W).item() == reg(W).item()
    assert R.get(reg) is reg and type(R.get(type(reg))) is type(reg)


def test_regularizer_aliases_and_other_identifiers():
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.orthogonal_regularizer is R.OrthogonalRegularizer
    assert R.l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}
    assert R.L1(None).l1 == 0.01 and R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.get(None) is None

    def my_reg(w):
        return (w * w).sum()
    assert R.get(my_reg) is my_reg
    with pytest.raises(ValueError, match="unknown regularizer 'l3'.*'l1'.*'l1_l2'.*'l2'"):
        R.get("l3")
    with pytest.raises(ValueError, match="could not interpret"):
        R.get(0.01)
    with pytest.raises(ValueError, match="Regularizer instances"):
        R.serialize(my_reg)


@pytest.mark.parametrize("make, argument", [
    (lambda: R.L1(-0.1), "`l1`"), (lambda: R.L2(float("nan")), "`l2`"), (lambda: R.L2(float("inf")), "`l2`"),
    (lambda: R.L1L2(l1=0.1, l2=-1), "`l2`"), (lambda: R.L1L2(l1="a"), "`l1`"), (lambda: R.L1(True), "`l1`"),
    (lambda: R.OrthogonalRegularizer(factor=-1.0), "`factor`"),
    (lambda: R.OrthogonalRegularizer(mode="diagonal"), "`mode`"),
])
def test_regularizer_bad_arguments(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


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
