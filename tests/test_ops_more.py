"""The primitive ops added for ``keras.ops`` and the ``tf`` surface: ``prod``, ``cumsum``,
``sin``, ``cos``, ``log1p``, ``einsum`` (``scratchnn.ops``) and the differentiable ``F.erf``; each checked by
gradcheck in float64 and against PyTorch (values and gradients), as in ``test_ops.py``."""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn import Tensor, gradcheck

from tests.helpers import assert_close, requires_torch, torch
from tests.test_ops import assert_same_as_torch


def _dims(t, axis):
    return tuple(range(t.ndim)) if axis is None else axis


def _torch_prod(t, axis, keepdims):
    dims = sorted(a % max(t.ndim, 1) for a in np.atleast_1d(_dims(t, axis)))
    for d in reversed(dims):
        t = torch.prod(t, dim=d, keepdim=True)
    return t if keepdims else t.reshape([n for i, n in enumerate(t.shape) if i not in dims])


CASES = [
    ("sin", F.sin, lambda t: torch.sin(t), "normal", (3, 4)),
    ("cos", F.cos, lambda t: torch.cos(t), "normal", (2, 3, 2)),
    ("log1p", F.log1p, lambda t: torch.log1p(t), "positive", (5,)),
    ("erf", F.erf, lambda t: torch.erf(t), "normal", (3, 4)),
    ("erf-wide", lambda x: F.erf(x * 3), lambda t: torch.erf(t * 3), "normal", (4, 4)),
    ("cumsum-axis0", lambda x: F.cumsum(x, 0), lambda t: torch.cumsum(t, 0), "normal", (3, 4)),
    ("cumsum-axis-1", lambda x: F.cumsum(x, -1), lambda t: torch.cumsum(t, -1), "normal", (2, 3, 4)),
    ("cumsum-flat", lambda x: F.cumsum(x), lambda t: torch.cumsum(t.reshape(-1), 0), "normal", (3, 4)),
] + [
    (f"einsum-{spec}", (lambda *t, s=spec: F.einsum(s, *t)), (lambda *t, s=spec: torch.einsum(s, *t)),
     "normal", shapes)
    for spec, shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->i", [(2, 3)]), ("ij,ij->", [(2, 3), (2, 3)]),
                         ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]), ("ij,k->ijk", [(2, 3), (4,)]),
                         ("ij,jk", [(2, 3), (3, 2)]), ("ji", [(3, 2)]), ("i,i,i->", [(3,), (3,), (3,)])]
] + [
    (f"prod-axis={axis}-keepdims={keep}", (lambda x, a=axis, k=keep: F.prod(x, a, k)),
     (lambda t, a=axis, k=keep: _torch_prod(t, a, k)), "normal", (2, 3, 4))
    for axis in (None, 0, -1, (0, 2)) for keep in (False, True)
]


def _input(domain, shape, rng):
    if isinstance(shape, list):                                     # several operands
        return [_input(domain, s, rng) for s in shape]
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    return rng.standard_normal(shape)


@pytest.mark.parametrize("name, sn, pt, domain, shape", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, sn, pt, domain, shape, rng):
    inputs = _input(domain, shape, rng)
    assert gradcheck(sn, *(inputs if isinstance(shape, list) else [inputs]))


@requires_torch
@pytest.mark.parametrize("name, sn, pt, domain, shape", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, sn, pt, domain, shape, rng):
    inputs = _input(domain, shape, rng)
    assert_same_as_torch(sn, pt, inputs if isinstance(shape, list) else [inputs], rng)


@requires_torch
@pytest.mark.parametrize("zeros", [[(1, 2)], [(1, 2), (1, 0)]], ids=["one-zero", "two-zeros"])
def test_prod_gradient_with_zeros_matches_torch(zeros, rng):
    """No division by x: a zero in the product gives the product of the others (and two zeros
    give zero gradients everywhere in that row), as PyTorch does."""
    x = rng.standard_normal((3, 4))
    for i, j in zeros:
        x[i, j] = 0.0
    assert_same_as_torch(lambda t: F.prod(t, 1), lambda t: torch.prod(t, 1), [x], rng)


def test_prod_gradient_with_a_zero_by_hand():
    x = Tensor([2.0, 0.0, 5.0], requires_grad=True, dtype=np.float64)
    F.prod(x).backward()
    assert_close(x.grad, [0.0, 10.0, 0.0])


def test_cumsum_rejects_an_axis_out_of_range():
    with pytest.raises(ValueError, match=r"cumsum: axis 2 is out of range for a tensor of shape \(3, 4\)"):
        F.cumsum(np.ones((3, 4)), 2)


def test_float32_stays_float32():
    x = Tensor(np.linspace(-0.9, 0.9, 6).astype(np.float32), requires_grad=True)
    for fn in (F.erf, F.sin, F.cos, F.log1p, F.cumsum, F.prod):
        y = fn(x)
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32
        x.grad = None


@pytest.mark.parametrize("spec, shapes, message", [
    ("...ij,jk->...ik", [(2, 3), (3, 4)], "ellipsis"),
    ("ii->i", [(3, 3)], "name each axis once"),
    ("ij,jk->ik", [(2, 3)], "names 2 operands, got 1"),
    ("ijk,jk->i", [(2, 3), (3, 4)], "operand 'ijk' names 3 axes"),
])
def test_einsum_errors(spec, shapes, message):
    with pytest.raises(ValueError, match=message):
        F.einsum(spec, *[np.ones(s) for s in shapes])


def test_numpy_reductions_of_a_tensor_give_tensors():
    """``np.mean(t, axis=0)`` calls ``t.mean(axis=0, dtype=None, out=None)``: it works, keeps the
    graph, and refuses ``out=`` clearly."""
    x = Tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    m = np.mean(x, axis=0)
    assert isinstance(m, Tensor) and m.requires_grad
    np.testing.assert_allclose(m.data, [2.0, 3.5])
    assert float(np.sum(x)) == 11.0 and float(np.max(x)) == 5.0 and float(np.min(x)) == 1.0
    np.testing.assert_allclose(np.var(x, axis=1).data, [0.25, 1.0])
    assert np.sum(x, dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="out= is not supported"):
        np.sum(x, out=np.zeros(()))
