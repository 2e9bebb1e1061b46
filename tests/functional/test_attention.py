"""``F.scaled_dot_product_attention`` and its readable reference (``scratchnn/functional/attention.py``):
the formula by hand, gradcheck of both, PyTorch's ``scaled_dot_product_attention`` (values and
gradients, float64) with causal and padding masks, the one-op version equal to the reference,
fully masked rows (zeros, never NaN), dropout, and the checks on the arguments. Every test runs
three implementations: the readable op (fast kernels off), the fast kernel
(``kernels/attention.py``, fast kernels on) and the reference composed of ops.
"""
import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.functional.attention import ScaledDotProductAttention, scaled_dot_product_attention_reference
from scratchnn.kernels.attention import FastScaledDotProductAttention

from tests.helpers import assert_close, graph_functions, requires_torch, torch


def _with_kernels(fast):
    def attend(*args, **kwargs):
        with fast_kernels(fast):
            return F.scaled_dot_product_attention(*args, **kwargs)
    return attend


IMPLEMENTATIONS = {"op": _with_kernels(False), "kernel": _with_kernels(True),
                   "reference": scaled_dot_product_attention_reference}
#: the one op each implementation records (the reference records several, neither of these)
OPS = {"op": ScaledDotProductAttention, "kernel": FastScaledDotProductAttention}


def _qkv(rng, batch=(2, 3), tq=4, tk=5, d=6, dv=3):
    return (rng.normal(size=batch + (tq, d)), rng.normal(size=batch + (tk, d)),
            rng.normal(size=batch + (tk, dv)))


def _padding_mask(rng, batch=2, tk=5):
    """(batch, 1, 1, Tk): key j of sample b is padding when False; every sample keeps a key."""
    keep = rng.random((batch, 1, 1, tk)) > 0.4
    keep[..., 0] = True
    return keep


def _by_hand(q, k, v, allowed=None, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if allowed is not None:
        s = np.where(allowed, s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
def test_forward_equals_the_formula(rng, impl):
    q, k, v = _qkv(rng)
    fn = IMPLEMENTATIONS[impl]
    assert_close(fn(Tensor(q, dtype=np.float64), k, v), _by_hand(q, k, v), rtol=1e-12)
    assert_close(fn(Tensor(q, dtype=np.float64), k, v, scale=0.3), _by_hand(q, k, v, scale=0.3), rtol=1e-12)
    lower = np.tril(np.ones((4, 5), bool))                          # key j <= query i
    assert_close(fn(Tensor(q, dtype=np.float64), k, v, causal=True), _by_hand(q, k, v, lower), rtol=1e-12)


CASES = {  # name: (q length, k length, mask maker, causal)
    "plain": (4, 5, None, False),
    "causal": (5, 5, None, True),
    "causal_tq_lt_tk": (3, 5, None, True),
    "causal_tq_gt_tk": (5, 3, None, True),
    "padding": (4, 5, _padding_mask, False),
    "padding_causal": (5, 5, _padding_mask, True),
    "full_mask_2d": (4, 5, lambda rng, **_: np.tril(np.ones((4, 5), bool), -1), False),   # row 0 empty
}


def _case(rng, name):
    tq, tk, make_mask, causal = CASES[name]
    q, k, v = _qkv(rng, tq=tq, tk=tk)
    mask = None if make_mask is None else make_mask(rng, tk=tk)
    return q, k, v, mask, causal


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(rng, impl, name):
    q, k, v, mask, causal = _case(rng, name)
    q, k, v = q[:1, :2], k[:1, :2], v[:1, :2]                        # small: finite differences
    mask = None if mask is None else mask[:1]
    fn = IMPLEMENTATIONS[impl]
    assert snn.gradcheck(lambda a, b, c: fn(a, b, c, mask=mask, causal=causal), q, k, v)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
def test_gradcheck_with_dropout_and_broadcast_batch_axes(rng, impl):
    q = rng.normal(size=(2, 1, 3, 4))                  # heads broadcast against the keys'
    k, v = rng.normal(size=(1, 2, 5, 4)), rng.normal(size=(2, 2, 5, 3))
    fn = IMPLEMENTATIONS[impl]

    def attend(a, b, c):                               # the same dropout mask at every evaluation
        return fn(a, b, c, dropout=0.4, training=True, rng=np.random.default_rng(5))
    assert snn.gradcheck(attend, q, k, v)


def _torch_attention(q, k, v, mask, causal, r):
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    scores_shape = q.shape[:-2] + (q.shape[-2], k.shape[-2])
    allowed = None if mask is None else torch.tensor(np.broadcast_to(mask, scores_shape))
    if causal and allowed is not None:                 # torch takes is_causal or a mask, not both
        allowed = allowed & torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        causal = False
    out = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=allowed, is_causal=causal)
    (out * torch.tensor(r)).sum().backward()
    return out.detach().numpy(), qt.grad.numpy(), kt.grad.numpy(), vt.grad.numpy()


@requires_torch
@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(rng, impl, name):
    q, k, v, mask, causal = _case(rng, name)
    r = rng.normal(size=q.shape[:-1] + (v.shape[-1],))
    tensors = [Tensor(a, requires_grad=True, dtype=np.float64) for a in (q, k, v)]
    out = IMPLEMENTATIONS[impl](*tensors, mask=mask, causal=causal)
    (out * Tensor(r, dtype=np.float64)).sum().backward()
    want = _torch_attention(q, k, v, mask, causal, r)
    for got, expected, what in zip([out] + [t.grad for t in tensors], want, ["out", "dq", "dk", "dv"]):
        assert_close(got, expected, rtol=1e-6, atol=1e-12, what=what)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no_dropout", "dropout"])
def test_the_op_and_the_kernel_equal_the_reference(rng, name, dropout):
    q, k, v, mask, causal = _case(rng, name)
    r = rng.normal(size=q.shape[:-1] + (v.shape[-1],))
    results = []
    for impl in ("op", "kernel", "reference"):
        tensors = [Tensor(a, requires_grad=True, dtype=np.float64) for a in (q, k, v)]
        out = IMPLEMENTATIONS[impl](*tensors, mask=mask, causal=causal, dropout=dropout, training=True,
                                    rng=np.random.default_rng(3))
        kinds = {type(f) for f in graph_functions(out)}
        for op_impl, op in OPS.items():
            assert (op in kinds) == (impl == op_impl)
        (out * Tensor(r, dtype=np.float64)).sum().backward()
        results.append([out.data] + [t.grad for t in tensors])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("causal", [False, True])
def test_the_kernel_equals_the_op_in_float32(rng, causal):
    """The kernel's float32 arithmetic (the softmax in place, the bias added) stays within float32's
    rounding of the readable op, and keeps float32."""
    q, k, v = (a.astype(np.float32) for a in _qkv(rng, tq=6, tk=6))
    r = rng.normal(size=q.shape[:-1] + (v.shape[-1],)).astype(np.float32)
    results = []
    for impl in ("op", "kernel"):
        tensors = [Tensor(a, requires_grad=True) for a in (q, k, v)]
        out = IMPLEMENTATIONS[impl](*tensors, causal=causal)
        (out * Tensor(r)).sum().backward()
        results.append([out.data] + [t.grad for t in tensors])
    for a, b in zip(*results):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
def test_a_fully_masked_row_gives_zeros_and_no_gradient_never_nan(rng, impl):
    q, k, v = _qkv(rng, batch=(1,), tq=3, tk=4)
    mask = np.ones((3, 4), bool)
    mask[1] = False                                     # query 1 may attend to nothing
    tensors = [Tensor(a, requires_grad=True, dtype=np.float64) for a in (q, k, v)]
    with np.errstate(all="raise"):                      # not even an intermediate NaN or 0/0
        out = IMPLEMENTATIONS[impl](*tensors, mask=mask)
        out.sum().backward()
    assert np.array_equal(out.data[0, 1], np.zeros(3))
    assert np.array_equal(tensors[0].grad[0, 1], np.zeros(6))
    assert all(np.isfinite(t.grad).all() for t in tensors)
    assert_close(out.data[0, [0, 2]], _by_hand(q, k, v)[0, [0, 2]], rtol=1e-12)   # other rows: as unmasked


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
def test_dropout_only_in_training(rng, impl):
    q, k, v = _qkv(rng)
    fn = IMPLEMENTATIONS[impl]
    plain = fn(Tensor(q, dtype=np.float64), k, v).data
    np.testing.assert_array_equal(fn(Tensor(q, dtype=np.float64), k, v, dropout=0.5).data, plain)
    dropped = fn(Tensor(q, dtype=np.float64), k, v, dropout=0.5, training=True, rng=np.random.default_rng(0))
    assert not np.allclose(dropped.data, plain)
    means = np.mean([fn(Tensor(q, dtype=np.float64), k, v, dropout=0.5, training=True,
                        rng=np.random.default_rng(s)).data for s in range(400)], axis=0)
    np.testing.assert_allclose(means, plain, atol=0.15)   # inverted dropout: unbiased on average


def test_float32_in_float32_out(rng):
    q, k, v = (a.astype(np.float32) for a in _qkv(rng))
    out = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), causal=True)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, _by_hand(q.astype(np.float64), k, v, np.tril(np.ones((4, 5), bool))),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("impl", sorted(IMPLEMENTATIONS))
def test_bad_arguments_are_named(rng, impl):
    q, k, v = _qkv(rng)
    fn = IMPLEMENTATIONS[impl]
    with pytest.raises(ValueError,
                       match=r"query \(2, 3, 4, 6\), key \(2, 3, 5, 5\) and value \(2, 3, 5, 3\)"):
        fn(q, k[..., :5], v)
    with pytest.raises(ValueError, match=r"query .* and value \(2, 3, 4, 3\) do not fit"):
        fn(q, k, v[..., :4, :])
    with pytest.raises(ValueError, match="leading axes of query"):
        fn(q, k[:, :2], v[:, :2])
    with pytest.raises(TypeError, match="mask must be boolean .* got dtype int64"):
        fn(q, k, v, mask=np.ones((4, 5), dtype=np.int64))
    with pytest.raises(ValueError, match=r"mask of shape \(5, 4\) does not broadcast to the scores' shape "
                                         r"\(2, 3, 4, 5\)"):
        fn(q, k, v, mask=np.ones((5, 4), bool))
    with pytest.raises(ValueError, match="dropout must be in"):
        fn(q, k, v, dropout=1.0)
