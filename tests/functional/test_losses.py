"""Loss functions (``scratchnn/functional/losses.py``): gradients, agreement with PyTorch,
Keras's semantics (computed by hand), softmax/sigmoid fusion, reductions and sample weights,
input validation, dtypes.
"""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn import Tensor, gradcheck

from tests.helpers import assert_close, requires_torch, torch

tF = torch.nn.functional if torch is not None else None

EPS = 1e-7
REDUCTIONS = ["mean", "sum", "none"]


# ------------------------------------------------------------------ inputs
def _away_from(e, points, margin=1e-2):
    """Move values of ``e`` at least ``margin`` away from each of ``points``."""
    e = e.copy()
    for p in points:
        near = np.abs(e - p) < margin
        e[near] = p + np.where(e[near] >= p, 2 * margin, -2 * margin)
    return e


def _regression(rng, shape, scale=1.0, kinks=()):
    t = rng.standard_normal(shape)
    e = _away_from(rng.standard_normal(shape) * scale, kinks)
    return t, t + e


def _onehot(labels, n):
    return np.eye(n)[labels]


def _distribution(rng, shape):
    d = rng.uniform(0.1, 1.0, shape)
    return d / d.sum(axis=-1, keepdims=True)


# id -> (loss function with its options, input maker rng -> (y_true, y_pred))
CASES = {
    "mse": (F.mean_squared_error, lambda r: _regression(r, (4, 3))),
    "mae": (F.mean_absolute_error, lambda r: _regression(r, (4, 3), kinks=(0.0,))),
    "sse": (F.sum_squared_error, lambda r: _regression(r, (4, 3))),
    "huber_delta1": (lambda t, p, **kw: F.huber(t, p, delta=1.0, **kw),
                     lambda r: _regression(r, (4, 3), 1.5, kinks=(-1.0, 1.0))),
    "huber_delta2": (lambda t, p, **kw: F.huber(t, p, delta=2.0, **kw),
                     lambda r: _regression(r, (4, 3), 3.0, kinks=(-2.0, 2.0))),
    "bce_logits": (lambda t, p, **kw: F.binary_crossentropy(t, p, from_logits=True, **kw),
                   lambda r: (r.integers(0, 2, (4, 3)).astype(float), r.standard_normal((4, 3)) * 3)),
    "bce_probs": (lambda t, p, **kw: F.binary_crossentropy(t, p, from_logits=False, **kw),
                  lambda r: (r.uniform(0, 1, (4, 3)), r.uniform(0.05, 0.95, (4, 3)))),
    "cce_logits": (lambda t, p, **kw: F.categorical_crossentropy(t, p, from_logits=True, **kw),
                   lambda r: (_distribution(r, (4, 5)), r.standard_normal((4, 5)) * 2)),
    "cce_probs": (lambda t, p, **kw: F.categorical_crossentropy(t, p, from_logits=False, **kw),
                  lambda r: (_onehot(r.integers(0, 5, 4), 5), r.uniform(0.05, 1.0, (4, 5)))),
    "scce_logits": (lambda t, p, **kw: F.sparse_categorical_crossentropy(t, p, from_logits=True, **kw),
                    lambda r: (r.integers(0, 5, 4), r.standard_normal((4, 5)) * 2)),
    "scce_probs": (lambda t, p, **kw: F.sparse_categorical_crossentropy(t, p, from_logits=False, **kw),
                   lambda r: (r.integers(0, 5, 4), r.uniform(0.05, 1.0, (4, 5)))),
    "scce_logits_pixels": (
        lambda t, p, **kw: F.sparse_categorical_crossentropy(t, p, from_logits=True, **kw),
        lambda r: (r.integers(0, 3, (2, 2, 2)), r.standard_normal((2, 2, 2, 3)))),
    "cce_logits_pixels": (
        lambda t, p, **kw: F.categorical_crossentropy(t, p, from_logits=True, **kw),
        lambda r: (_onehot(r.integers(0, 3, (2, 2, 2)), 3), r.standard_normal((2, 2, 2, 3)))),
    # a language model's outputs: logits (batch, T, vocabulary), the next ids (batch, T)
    "scce_logits_sequence": (
        lambda t, p, **kw: F.sparse_categorical_crossentropy(t, p, from_logits=True, **kw),
        lambda r: (r.integers(0, 5, (3, 4)), r.standard_normal((3, 4, 5)) * 2)),
}
NAMES = list(CASES)


# -------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name, reduction, weighted, rng):
    loss, make = CASES[name]
    y_true, y_pred = make(rng)
    w = rng.uniform(0.5, 2.0, y_pred.shape[0]) if weighted else None
    assert gradcheck(lambda p: loss(y_true, p, reduction=reduction, sample_weight=w), y_pred)


def test_gradcheck_wrt_targets():
    """Soft targets get gradients too (fused kernels return dt)."""
    rng = np.random.default_rng(5)
    z = rng.standard_normal((3, 4))
    t = _distribution(rng, (3, 4))
    assert gradcheck(lambda t_, z_: F.categorical_crossentropy(t_, z_, from_logits=True), t, z)
    tb = rng.uniform(0, 1, (3, 4))
    assert gradcheck(lambda t_, z_: F.binary_crossentropy(t_, z_, from_logits=True), tb, z)


# ---------------------------------------------------------------- PyTorch
def _torch_cases():
    """id -> (scratchnn loss, y_true, y_pred, torch fn(pred, true, reduction), mean of last axis?)"""
    r = np.random.default_rng(99)
    t, p = _regression(r, (6, 4), 1.5, kinks=(0.0, -1.0, 1.0))
    t2, p2 = _regression(r, (6, 4), 3.0, kinks=(-2.0, 2.0))
    labels = r.integers(0, 4, 6)
    pix_labels = r.integers(0, 4, (2, 3, 3))
    pix_logits = r.standard_normal((2, 3, 3, 4)) * 2

    def channels_first(x):
        return x.permute(0, 3, 1, 2)

    return {
        "mse": (F.mean_squared_error, t, p, lambda a, b, red: tF.mse_loss(a, b, reduction=red), True),
        "mse_3d": (F.mean_squared_error, t.reshape(2, 3, 4), p.reshape(2, 3, 4),
                   lambda a, b, red: tF.mse_loss(a, b, reduction=red), True),
        "mae": (F.mean_absolute_error, t, p, lambda a, b, red: tF.l1_loss(a, b, reduction=red), True),
        "huber_delta1": (lambda *a, **k: F.huber(*a, delta=1.0, **k), t, p,
                         lambda a, b, red: tF.huber_loss(a, b, reduction=red, delta=1.0), True),
        "huber_delta2": (lambda *a, **k: F.huber(*a, delta=2.0, **k), t2, p2,
                         lambda a, b, red: tF.huber_loss(a, b, reduction=red, delta=2.0), True),
        "bce_logits": (lambda *a, **k: F.binary_crossentropy(*a, from_logits=True, **k),
                       r.uniform(0, 1, (6, 4)), r.standard_normal((6, 4)) * 4,
                       lambda a, b, red: tF.binary_cross_entropy_with_logits(a, b, reduction=red), True),
        "bce_probs": (lambda *a, **k: F.binary_crossentropy(*a, from_logits=False, **k),
                      r.integers(0, 2, (6, 4)).astype(float), r.uniform(2e-7, 1 - 2e-7, (6, 4)),
                      lambda a, b, red: tF.binary_cross_entropy(a, b, reduction=red), True),
        "bce_probs_near_edges": (
            lambda *a, **k: F.binary_crossentropy(*a, from_logits=False, **k),
            np.array([[0.0, 1.0, 1.0, 0.0]]), np.array([[2e-7, 2e-7, 1 - 2e-7, 1 - 2e-7]]),
            lambda a, b, red: tF.binary_cross_entropy(a, b, reduction=red), True),
        "cce_logits": (lambda *a, **k: F.categorical_crossentropy(*a, from_logits=True, **k),
                       _distribution(r, (6, 4)), r.standard_normal((6, 4)) * 3,
                       lambda a, b, red: tF.cross_entropy(a, b, reduction=red), False),
        "cce_logits_pixels": (
            lambda *a, **k: F.categorical_crossentropy(*a, from_logits=True, **k),
            _distribution(r, (2, 3, 3, 4)), pix_logits,
            lambda a, b, red: tF.cross_entropy(channels_first(a), channels_first(b), reduction=red),
            False),
        "scce_logits": (lambda *a, **k: F.sparse_categorical_crossentropy(*a, from_logits=True, **k),
                        labels, r.standard_normal((6, 4)) * 3,
                        lambda a, b, red: tF.cross_entropy(a, b, reduction=red), False),
        "scce_logits_pixels": (
            lambda *a, **k: F.sparse_categorical_crossentropy(*a, from_logits=True, **k),
            pix_labels, pix_logits,
            lambda a, b, red: tF.cross_entropy(channels_first(a), b, reduction=red), False),
        "scce_logits_sequence": (       # (batch, T, vocabulary) logits; torch wants (batch, vocabulary, T)
            lambda *a, **k: F.sparse_categorical_crossentropy(*a, from_logits=True, **k),
            r.integers(0, 7, (3, 5)), r.standard_normal((3, 5, 7)) * 2,
            lambda a, b, red: tF.cross_entropy(a.transpose(1, 2), b, reduction=red), False),
    }


TORCH_NAMES = ["mse", "mse_3d", "mae", "huber_delta1", "huber_delta2", "bce_logits", "bce_probs",
               "bce_probs_near_edges", "cce_logits", "cce_logits_pixels", "scce_logits",
               "scce_logits_pixels", "scce_logits_sequence"]


def _torch_target(y_true):
    if np.asarray(y_true).dtype.kind in "iu":
        return torch.tensor(y_true, dtype=torch.long)
    return torch.tensor(y_true, dtype=torch.float64)


@requires_torch
def test_torch_cases_are_all_run():
    assert sorted(TORCH_NAMES) == sorted(_torch_cases())


@requires_torch
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", TORCH_NAMES)
def test_matches_torch(name, reduction, weighted, rng):
    loss, y_true, y_pred, ref, mean_last = _torch_cases()[name]
    ps = Tensor(y_pred, requires_grad=True, dtype=np.float64)
    pt = torch.tensor(y_pred, requires_grad=True)
    tt = _torch_target(y_true)

    # torch's per-element losses -> scratchnn's per-sample (per-pixel) losses
    per = ref(pt, tt, "none")
    if mean_last:
        per = per.mean(dim=-1)
    w = rng.uniform(0.5, 2.0, per.shape[0]) if weighted else None
    if weighted:
        per = per * torch.tensor(w).reshape((-1,) + (1,) * (per.ndim - 1))
    if reduction == "none":
        expected = per
    elif reduction == "sum":
        expected = per.sum()
    elif weighted:
        expected = per.sum() / per.numel()
    else:
        expected = ref(pt, tt, "mean")      # torch's own mean over every element

    out = loss(y_true, ps, reduction=reduction, sample_weight=w)
    assert_close(out, expected.detach().numpy(), what=f"{name} {reduction} value")
    g = rng.standard_normal(tuple(expected.shape))
    out.backward(g)
    expected.backward(torch.tensor(g))
    assert_close(ps.grad, pt.grad.numpy(), what=f"{name} {reduction} gradient")


@requires_torch
def test_sse_is_half_the_summed_squares():
    rng = np.random.default_rng(3)
    t, p = _regression(rng, (5, 3))
    ps = Tensor(p, requires_grad=True, dtype=np.float64)
    pt = torch.tensor(p, requires_grad=True)
    out = F.sum_squared_error(t, ps, reduction="none")
    ref = 0.5 * ((pt - torch.tensor(t)) ** 2).sum(dim=-1)
    assert_close(out, ref.detach().numpy())
    assert_close(F.sum_squared_error(t, p, reduction="mean"), 0.5 * ((p - t) ** 2).sum(-1).mean())
    g = rng.standard_normal(5)
    out.backward(g)
    ref.backward(torch.tensor(g))
    assert_close(ps.grad, pt.grad.numpy())


# ------------------------------------------- Keras semantics, by hand (the spec)
def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _logsumexp(a):
    m = a.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=-1, keepdims=True)))[..., 0]


PROBS_WITH_EDGES = np.array([[0.0, 1.0, 0.0],
                             [1.0, 0.0, 0.0],
                             [0.2, 0.3, 0.5],
                             [2.0, 1.0, 1.0],      # not normalised
                             [0.0, 0.5, 0.5]])
LABELS = np.array([0, 0, 2, 1, 0])               # rows 0 and 4 pick a zero probability


def test_cce_from_probabilities_keras_formula():
    t = _onehot(LABELS, 3)
    t[2] = [0.2, 0.3, 0.5]                          # a soft target too
    p = _clip(PROBS_WITH_EDGES / PROBS_WITH_EDGES.sum(axis=-1, keepdims=True))
    expected = -(t * np.log(p)).sum(axis=-1)
    got = F.categorical_crossentropy(t, Tensor(PROBS_WITH_EDGES, dtype=np.float64), reduction="none")
    assert np.all(np.isfinite(got.data))
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    np.testing.assert_allclose(
        F.categorical_crossentropy(t, Tensor(PROBS_WITH_EDGES, dtype=np.float64)).data,
        expected.mean(), rtol=1e-12)


def test_scce_from_probabilities_keras_formula():
    lp = np.log(_clip(PROBS_WITH_EDGES))
    expected = _logsumexp(lp) - lp[np.arange(len(LABELS)), LABELS]
    got = F.sparse_categorical_crossentropy(LABELS, Tensor(PROBS_WITH_EDGES, dtype=np.float64),
                                            reduction="none")
    assert np.all(np.isfinite(got.data))
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    np.testing.assert_allclose(
        F.sparse_categorical_crossentropy(LABELS, Tensor(PROBS_WITH_EDGES, dtype=np.float64)).data,
        expected.mean(), rtol=1e-12)


def test_bce_from_probabilities_keras_formula():
    p = np.array([[0.0, 1.0, 0.0, 1.0], [0.3, 0.7, 1.0, 0.0]])
    t = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.5, 0.25]])
    pc = _clip(p)
    expected = (-(t * np.log(pc) + (1 - t) * np.log(1 - pc))).mean(axis=-1)
    got = F.binary_crossentropy(t, Tensor(p, dtype=np.float64), reduction="none")
    assert np.all(np.isfinite(got.data))
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    np.testing.assert_allclose(F.binary_crossentropy(t, Tensor(p, dtype=np.float64)).data,
                               expected.mean(), rtol=1e-12)


def test_probability_gradients_are_finite_at_exact_zero_and_one():
    p = Tensor(PROBS_WITH_EDGES / PROBS_WITH_EDGES.sum(-1, keepdims=True), requires_grad=True,
               dtype=np.float64)
    F.sparse_categorical_crossentropy(LABELS, p).backward()
    assert np.all(np.isfinite(p.grad))
    q = Tensor(np.array([[0.0, 1.0], [1.0, 0.0]]), requires_grad=True, dtype=np.float64)
    F.binary_crossentropy(np.array([[1.0, 0.0], [1.0, 0.0]]), q).backward()
    assert np.all(np.isfinite(q.grad))


def test_keras_doc_example_sparse_categorical_crossentropy():
    y_true = [1, 2]
    y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    none = F.sparse_categorical_crossentropy(y_true, Tensor(y_pred, dtype=np.float64), reduction="none")
    np.testing.assert_allclose(none.data, [0.0513, 2.303], atol=1e-3)
    mean = F.sparse_categorical_crossentropy(y_true, Tensor(y_pred, dtype=np.float64))
    np.testing.assert_allclose(mean.data, 1.177, atol=1e-3)


def test_keras_doc_example_categorical_crossentropy():
    y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    none = F.categorical_crossentropy(y_true, Tensor(y_pred, dtype=np.float64), reduction="none")
    np.testing.assert_allclose(none.data, [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(F.categorical_crossentropy(y_true, y_pred).data, 1.177, atol=1e-3)


def test_keras_doc_example_binary_crossentropy():
    y_true = np.array([[0.0, 1.0], [0.0, 0.0]])
    y_pred = np.array([[0.6, 0.4], [0.4, 0.6]])
    none = F.binary_crossentropy(y_true, Tensor(y_pred, dtype=np.float64), reduction="none")
    np.testing.assert_allclose(none.data, [0.916, 0.714], atol=1e-3)
    np.testing.assert_allclose(F.binary_crossentropy(y_true, y_pred).data, 0.815, atol=1e-3)
    logits = np.array([-18.6, 0.51, 2.94, -12.8])
    np.testing.assert_allclose(
        F.binary_crossentropy([0.0, 1.0, 0.0, 0.0], Tensor(logits, dtype=np.float64),
                              from_logits=True).data, 0.865, atol=1e-3)


# ----------------------------------------------------------------- fusion
BIG = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, -1e4], [-1e4, 1e4, 0.0], [3.0, -2.0, 0.5]])
BIG_LABELS = np.array([0, 2, 0, 1])


def _lse_minus_picked(z, labels):
    return _logsumexp(z) - z[np.arange(len(labels)), labels]


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def test_scce_on_softmax_output_uses_logits():
    z = Tensor(BIG, requires_grad=True, dtype=np.float64)
    out = F.sparse_categorical_crossentropy(BIG_LABELS, F.softmax(z), reduction="none")
    expected = _lse_minus_picked(BIG, BIG_LABELS)         # 0, 2e4, 2e4, ...: clipping would give 16.1
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert out.data[1] == pytest.approx(2e4)


def test_cce_on_softmax_output_uses_logits():
    z = Tensor(BIG, requires_grad=True, dtype=np.float64)
    out = F.categorical_crossentropy(_onehot(BIG_LABELS, 3), F.softmax(z), reduction="none")
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, _lse_minus_picked(BIG, BIG_LABELS), rtol=1e-12)


def test_bce_on_sigmoid_output_uses_logits():
    zs = np.array([[1e4, -1e4, 1e4], [-1e4, 0.5, -2.0]])
    t = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    z = Tensor(zs, requires_grad=True, dtype=np.float64)
    out = F.binary_crossentropy(t, F.sigmoid(z), reduction="none")
    per = np.maximum(zs, 0) - zs * t + np.log1p(np.exp(-np.abs(zs)))
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, per.mean(axis=-1), rtol=1e-12)
    assert out.data[0] == pytest.approx(2e4 / 3)


@pytest.mark.parametrize("kind", ["scce", "cce"])
def test_softmax_fusion_gradient_is_p_minus_onehot_over_n(kind, rng):
    z_np = np.concatenate([BIG, rng.standard_normal((4, 3)) * 3])
    labels = np.concatenate([BIG_LABELS, rng.integers(0, 3, 4)])
    z = Tensor(z_np, requires_grad=True, dtype=np.float64)
    if kind == "scce":
        loss = F.sparse_categorical_crossentropy(labels, F.softmax(z))
    else:
        loss = F.categorical_crossentropy(_onehot(labels, 3), F.softmax(z))
    loss.backward()
    expected = (_softmax(z_np) - _onehot(labels, 3)) / len(labels)
    np.testing.assert_allclose(z.grad, expected, rtol=0, atol=1e-12)


def test_sigmoid_fusion_gradient_is_p_minus_t_over_count(rng):
    z_np = np.concatenate([np.array([[1e4, -1e4, 0.0]]), rng.standard_normal((3, 3)) * 3])
    t = rng.integers(0, 2, (4, 3)).astype(float)
    z = Tensor(z_np, requires_grad=True, dtype=np.float64)
    F.binary_crossentropy(t, F.sigmoid(z)).backward()
    np.testing.assert_allclose(z.grad, (_sigmoid(z_np) - t) / t.size, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["scce", "cce", "bce"])
def test_from_logits_with_activation_output_warns_and_uses_logits(kind):
    z_np = BIG
    if kind == "scce":
        loss, y, act = F.sparse_categorical_crossentropy, BIG_LABELS, F.softmax
    elif kind == "cce":
        loss, y, act = F.categorical_crossentropy, _onehot(BIG_LABELS, 3), F.softmax
    else:
        loss, y, act = F.binary_crossentropy, (BIG > 0).astype(float), F.sigmoid
    z = Tensor(z_np, dtype=np.float64)
    with pytest.warns(UserWarning, match="from_logits"):
        out = loss(y, act(z), from_logits=True, reduction="none")
    expected = loss(y, z, from_logits=True, reduction="none")
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-12)


def test_softmax_over_other_axis_is_not_fused():
    """softmax over axis 0 gives probabilities along the wrong axis: they are used as such."""
    z = np.random.default_rng(0).standard_normal((3, 3))
    p = F.softmax(Tensor(z, dtype=np.float64), axis=0)
    out = F.sparse_categorical_crossentropy([0, 1, 2], p, reduction="none")
    lp = np.log(_clip(p.data))
    np.testing.assert_allclose(out.data, _lse_minus_picked(lp, np.array([0, 1, 2])), rtol=1e-12)


# ----------------------------------------------- reductions and sample weights
ALL_LOSSES = {
    "mse": F.mean_squared_error, "mae": F.mean_absolute_error, "sse": F.sum_squared_error,
    "huber": F.huber, "bce": F.binary_crossentropy, "cce": F.categorical_crossentropy,
    "scce": F.sparse_categorical_crossentropy,
}


def _example(name, rng, n=4):
    if name == "scce":
        return rng.integers(0, 3, n), rng.uniform(0.1, 1.0, (n, 3))
    if name == "cce":
        return _onehot(rng.integers(0, 3, n), 3), rng.uniform(0.1, 1.0, (n, 3))
    if name == "bce":
        return rng.integers(0, 2, (n, 3)).astype(float), rng.uniform(0.1, 0.9, (n, 3))
    return _regression(rng, (n, 3), 2.0)


@pytest.mark.parametrize("name", list(ALL_LOSSES))
def test_reductions_and_weights(name, rng):
    loss = ALL_LOSSES[name]
    y_true, y_pred = _example(name, rng)
    w = np.array([0.5, 2.0, 0.0, 3.0])
    per = loss(y_true, y_pred, reduction="none").data
    assert per.shape == (4,)
    np.testing.assert_allclose(loss(y_true, y_pred).data, per.mean(), rtol=1e-6)
    np.testing.assert_allclose(loss(y_true, y_pred, reduction="sum").data, per.sum(), rtol=1e-6)
    np.testing.assert_allclose(loss(y_true, y_pred, reduction="none", sample_weight=w).data,
                               w * per, rtol=1e-6)
    np.testing.assert_allclose(loss(y_true, y_pred, reduction="sum", sample_weight=w).data,
                               (w * per).sum(), rtol=1e-6)
    # Keras's sum_over_batch_size: divided by the number of values, not by the sum of weights
    np.testing.assert_allclose(loss(y_true, y_pred, reduction="mean", sample_weight=w).data,
                               (w * per).sum() / 4, rtol=1e-6)
    # a weight of shape (N, 1) is the same as (N,)
    np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=w[:, None]).data,
                               (w * per).sum() / 4, rtol=1e-6)


@pytest.mark.parametrize("name", ["scce", "cce"])
def test_per_pixel_sample_weight_broadcasts(name, rng):
    labels = rng.integers(0, 3, (2, 3, 4))
    logits = rng.standard_normal((2, 3, 4, 3))
    y_true = labels if name == "scce" else _onehot(labels, 3)
    loss = ALL_LOSSES[name]
    w = np.array([0.5, 2.0])
    per = loss(y_true, logits, from_logits=True, reduction="none").data
    assert per.shape == (2, 3, 4)
    np.testing.assert_allclose(per, _lse_minus_picked(logits.reshape(-1, 3), labels.reshape(-1))
                               .reshape(2, 3, 4), rtol=1e-6)
    weighted = loss(y_true, logits, from_logits=True, reduction="none", sample_weight=w).data
    np.testing.assert_allclose(weighted, per * w[:, None, None], rtol=1e-6)
    mean = loss(y_true, logits, from_logits=True, sample_weight=w).data
    np.testing.assert_allclose(mean, (per * w[:, None, None]).sum() / per.size, rtol=1e-6)
    total = loss(y_true, logits, from_logits=True, reduction="sum", sample_weight=w).data
    np.testing.assert_allclose(total, (per * w[:, None, None]).sum(), rtol=1e-6)


@pytest.mark.parametrize("name", list(ALL_LOSSES))
def test_unknown_reduction(name, rng):
    y_true, y_pred = _example(name, rng)
    with pytest.raises(ValueError) as info:
        ALL_LOSSES[name](y_true, y_pred, reduction="avg")
    message = str(info.value)
    for valid in ("mean", "sum", "none"):
        assert valid in message
    assert "avg" in message


LONG_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "sse": "sum_squared_error",
              "huber": "huber", "bce": "binary_crossentropy", "cce": "categorical_crossentropy",
              "scce": "sparse_categorical_crossentropy"}


@pytest.mark.parametrize("weight_shape", [(5,), (3,), (4, 2)], ids=["N+1", "N-1", "Nx2"])
@pytest.mark.parametrize("name", list(ALL_LOSSES))
def test_incompatible_sample_weight(name, weight_shape, rng):
    y_true, y_pred = _example(name, rng)         # 4 samples
    with pytest.raises(ValueError, match=LONG_NAMES[name]):
        ALL_LOSSES[name](y_true, y_pred, reduction="none", sample_weight=np.ones(weight_shape))


@pytest.mark.parametrize("name", ["mse", "scce_pixels"])
def test_sample_weight_with_extra_axes_is_rejected(name, rng):
    """A weight that merely broadcasts against the losses must not enlarge them: with 4
    per-sample losses, a (2, 4) weight would silently give 8 'per-sample' values."""
    if name == "mse":
        y_true, y_pred = _regression(rng, (4, 3))
        loss, weight = F.mean_squared_error, np.ones((2, 4))
        long_name = "mean_squared_error"
    else:
        y_true, y_pred = rng.integers(0, 3, (4, 2, 2)), rng.standard_normal((4, 2, 2, 3))
        loss, weight = F.sparse_categorical_crossentropy, np.ones((3, 4, 2, 2))
        long_name = "sparse_categorical_crossentropy"
    with pytest.raises(ValueError, match=long_name):
        loss(y_true, y_pred, reduction="none", sample_weight=weight)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [10, -1, 11], ids=["10", "-1", "11"])
def test_scce_label_out_of_range(bad):
    labels = np.array([0, 3, bad, 9])
    with pytest.raises(ValueError) as info:
        F.sparse_categorical_crossentropy(labels, np.full((4, 10), 0.1))
    message = str(info.value)
    assert f"label {bad}" in message
    assert "0 to 9" in message and "10 classes" in message


def test_scce_non_integer_labels():
    with pytest.raises(ValueError, match="integer"):
        F.sparse_categorical_crossentropy(np.array([0.0, 0.5, 1.0]), np.full((3, 3), 1 / 3))


def test_scce_one_hot_targets_suggest_categorical():
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        F.sparse_categorical_crossentropy(np.eye(3), np.full((3, 3), 1 / 3))


def test_cce_integer_labels_suggest_sparse():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        F.categorical_crossentropy(np.array([0, 2, 1]), np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        F.categorical_crossentropy(np.array([[0], [2], [1]]), np.full((3, 3), 1 / 3))


@pytest.mark.parametrize("name", ["mse", "mae", "sse", "huber", "bce"])
def test_elementwise_losses_mismatched_shapes(name):
    with pytest.raises(ValueError) as info:
        ALL_LOSSES[name](np.zeros((4, 3)), np.zeros((4, 2)))
    message = str(info.value)
    assert "(4, 3)" in message and "(4, 2)" in message
    assert LONG_NAMES[name] in message


def test_trailing_axis_of_one_is_matched():
    t, p = np.arange(4.0), np.arange(4.0)[:, None] + 1.0
    np.testing.assert_allclose(F.mean_squared_error(t, p).data, 1.0)
    np.testing.assert_allclose(F.mean_squared_error(t[:, None], p[:, 0]).data, 1.0)


def test_get_loss_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        F.get_loss("nope")
    message = str(info.value)
    assert "nope" in message
    for name in ("mse", "mean_squared_error", "sparse_categorical_crossentropy", "huber"):
        assert name in message


def test_get_loss_lookup():
    assert F.get_loss("mse") is F.mean_squared_error
    assert F.get_loss("mae") is F.mean_absolute_error
    assert F.get_loss("sparse_categorical_crossentropy") is F.sparse_categorical_crossentropy
    assert F.get_loss(F.huber) is F.huber
    for name, fn in F.LOSSES.items():
        assert F.get_loss(name) is fn


def test_scce_accepts_integral_float_labels():
    logits = np.random.default_rng(1).standard_normal((3, 4))
    ints = F.sparse_categorical_crossentropy(np.array([1, 2, 0]), logits, from_logits=True)
    floats = F.sparse_categorical_crossentropy(np.array([1.0, 2.0, 0.0]), logits, from_logits=True)
    np.testing.assert_allclose(floats.data, ints.data, rtol=1e-12)


def test_scce_accepts_labels_of_shape_n_by_1():
    logits = np.random.default_rng(2).standard_normal((3, 4))
    flat = F.sparse_categorical_crossentropy(np.array([1, 2, 0]), logits, from_logits=True,
                                             reduction="none")
    column = F.sparse_categorical_crossentropy(np.array([[1], [2], [0]]), logits, from_logits=True,
                                               reduction="none")
    assert column.shape == (3,)
    np.testing.assert_allclose(column.data, flat.data, rtol=1e-12)


# ----------------------------------------------------------------- dtypes
@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(name, rng):
    loss, make = CASES[name]
    y_true, y_pred = make(rng)
    if np.asarray(y_true).dtype.kind == "f":
        y_true = y_true.astype(np.float32)
    p = Tensor(y_pred.astype(np.float32), requires_grad=True)
    out = loss(y_true, p)
    assert out.dtype == np.float32, f"{name}: loss dtype {out.dtype}"
    out.backward()
    assert p.grad.dtype == np.float32, f"{name}: gradient dtype {p.grad.dtype}"
    ref = loss(np.asarray(y_true, dtype=np.float64) if np.asarray(y_true).dtype.kind == "f" else y_true,
               Tensor(y_pred, dtype=np.float64))
    np.testing.assert_allclose(out.data, ref.data, rtol=1e-5)


@pytest.mark.parametrize("kind", ["scce", "cce", "bce"])
def test_float32_fused(kind):
    z = Tensor(BIG.astype(np.float32), requires_grad=True)
    if kind == "scce":
        out = F.sparse_categorical_crossentropy(BIG_LABELS, F.softmax(z))
    elif kind == "cce":
        out = F.categorical_crossentropy(_onehot(BIG_LABELS, 3).astype(np.float32), F.softmax(z))
    else:
        out = F.binary_crossentropy((BIG > 0).astype(np.float32), F.sigmoid(z))
    assert out.dtype == np.float32
    assert np.isfinite(out.data)
    out.backward()
    assert z.grad.dtype == np.float32
