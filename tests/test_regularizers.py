"""Regularizers (``scratchnn/regularizers.py``): values, gradients, PyTorch's weight decay,
get/serialize.
"""
import numpy as np
import pytest

import scratchnn as snn
from scratchnn import regularizers as R
from scratchnn.autograd import Tensor

from tests.helpers import requires_torch, torch

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
