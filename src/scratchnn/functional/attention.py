"""Scaled dot-product attention: each query reads a weighted average of the values, weighted by
how well it matches each key.

For queries q (..., Tq, d), keys k (..., Tk, d) and values v (..., Tk, dv):

    S = q k^T * scale                  (..., Tq, Tk)   scale = 1 / sqrt(d) by default
    S[i, j] = -inf where query i may not attend to key j (the mask)
    P = softmax(S, axis=-1)            each row sums to 1 over the keys it may attend to
    out = P v                          (..., Tq, dv)

The leading axes (batch, heads) broadcast, as in ``matmul``.

Masks (Keras's and PyTorch's convention): a boolean ``mask`` broadcastable to (..., Tq, Tk),
True where query i **may** attend to key j. ``causal=True`` also forbids every key j > i (a
position sees itself and the past). When Tq != Tk the causal mask is aligned top-left, as
PyTorch's ``is_causal`` and Keras's ``use_causal_mask`` do: query i sees keys 0 .. i, whatever Tk.
A query that may attend to no key at all (a fully masked row, e.g. a padded position) gets an
output of zeros and sends no gradient back, never NaN (softmax of a row of -inf would be 0/0).

Dropout (``training=True``, ``dropout`` > 0) zeroes attention weights with probability
``dropout`` and scales the others by 1 / (1 - dropout): out = (P * m / (1 - dropout)) v.

Two implementations of the same numbers:

* ``scaled_dot_product_attention_reference``: the formulas above composed from ``matmul``,
  ``where``, ``softmax`` and ``dropout``; autograd differentiates each step;
* ``scaled_dot_product_attention``: one op, ``ScaledDotProductAttention``, whose backward is
  written out (derivation in its docstring); it records one node instead of six and keeps only
  P, not every intermediate. Tests check both against PyTorch and against each other. While
  fast kernels are on, ``kernels/attention.py`` computes the same op with the mask added as a
  0 / -inf bias and the softmax in place.
"""
import math

import numpy as np

from ..autograd import Function, Tensor
from ..backend import fast_kernels_enabled
from ..kernels import attention as fast
from ..ops import lift, matmul, mul, transpose, where
from .activations import softmax
from .nn import dropout as dropout_fn
from .nn import dropout_mask


def _check_qkv(q, k, v):
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2 or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: query {q.shape}, key {k.shape} and value "
                         f"{v.shape} do not fit: expected query (..., Tq, d), key (..., Tk, d) and "
                         "value (..., Tk, dv) (the same d for query and key, the same Tk for key and value)")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"scaled_dot_product_attention: the leading axes of query {q.shape}, key "
                         f"{k.shape} and value {v.shape} do not broadcast") from None
    return batch + (q.shape[-2], k.shape[-2])


def checked_mask(mask, scores_shape):
    """``mask`` as a boolean array that broadcasts to ``scores_shape`` (..., Tq, Tk), or None;
    a TypeError or ValueError naming what is wrong otherwise."""
    if mask is None:
        return None
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != bool:
        raise TypeError(f"scaled_dot_product_attention: mask must be boolean (True = may attend), "
                        f"got dtype {mask.dtype}")
    try:
        fits = np.broadcast_shapes(mask.shape, scores_shape) == tuple(scores_shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"scaled_dot_product_attention: mask of shape {mask.shape} does not "
                         f"broadcast to the scores' shape {tuple(scores_shape)} (..., Tq, Tk)")
    return mask


def allowed_positions(mask, causal, scores_shape):
    """The boolean array (broadcast to ``scores_shape`` (..., Tq, Tk)) of the (query, key) pairs
    that may attend: ``mask`` (True = may attend) and, if ``causal``, key j <= query i (top-left
    aligned). None when nothing is masked."""
    allowed = None
    mask = checked_mask(mask, scores_shape)
    if mask is not None:
        allowed = np.broadcast_to(mask, scores_shape)
    if causal:
        tq, tk = scores_shape[-2:]
        lower = np.arange(tk)[None, :] <= np.arange(tq)[:, None]     # key j <= query i
        allowed = np.broadcast_to(lower, scores_shape) if allowed is None else allowed & lower
    return allowed


def _softmax_inputs(allowed):
    """(where the scores are kept, which rows have a key): a row with no key to attend to is
    given all its keys in the softmax (so no 0/0), then its weights are set to 0."""
    has_key = allowed.any(axis=-1, keepdims=True)
    return allowed | ~has_key, has_key


def _arguments(q, k, v, dropout, scale):
    q = lift(q)
    k, v = lift(k, q), lift(v, q)
    scores_shape = _check_qkv(q, k, v)
    if not 0 <= dropout < 1:
        raise ValueError(f"scaled_dot_product_attention: dropout must be in [0, 1), got {dropout!r}")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return q, k, v, scores_shape, scale


def _key_transposed(k):
    return transpose(k, tuple(range(k.ndim - 2)) + (k.ndim - 1, k.ndim - 2))


def attention_weights(q, k, mask=None, causal=False, scale=None):
    """P = softmax(q k^T * scale, masked) of shape (..., Tq, Tk), composed from ops (differentiable);
    a fully masked row is all zeros. ``scale`` defaults to 1 / sqrt(d)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = matmul(q, _key_transposed(k)) * scale
    allowed = allowed_positions(mask, causal, scores.shape)
    if allowed is None:
        return softmax(scores, axis=-1)
    kept, has_key = _softmax_inputs(allowed)
    weights = softmax(where(kept, scores, -np.inf), axis=-1)
    return mul(weights, Tensor.wrap(has_key.astype(weights.dtype))) if not has_key.all() else weights


def scaled_dot_product_attention_reference(q, k, v, mask=None, causal=False, dropout=0.0, training=False,
                                           scale=None, rng=None):
    """The readable attention (see the module docstring), step by step with autograd's ops."""
    q, k, v, _, scale = _arguments(q, k, v, dropout, scale)
    weights = attention_weights(q, k, mask, causal, scale)
    return matmul(dropout_fn(weights, dropout, training=training, rng=rng), v)


class ScaledDotProductAttention(Function):
    """out = D(P) v with P = softmax(S), S = q k^T * scale (masked), D the dropout multiplier.

    Backward, with G = dL/d(out) (shapes as in the module docstring, ^T swaps the last two axes):

        dv = D(P)^T G                       (out is linear in v)
        dP = (G v^T) * D                    (the dropout multiplier passes through)
        dS = P * (dP - sum_j(dP * P))       (softmax's Jacobian, dP_i/dS_j = P_i (delta_ij - P_j),
                                             applied row by row: dS_j = sum_i dP_i P_i (delta_ij - P_j))
        dq = dS k * scale,   dk = dS^T q * scale.

    Masked pairs have P = 0, hence dS = 0: no gradient flows through them; a fully masked row has
    P = 0 everywhere and sends nothing back.
    """

    def forward(self, q, k, v, allowed, scale, drop):
        xp = self.xp
        scores = (q @ xp.swapaxes(k, -1, -2)) * scale
        if allowed is not None:
            kept, has_key = _softmax_inputs(allowed)
            scores = xp.where(kept, scores, -xp.inf)
        e = xp.exp(scores - scores.max(axis=-1, keepdims=True))
        p = e / e.sum(axis=-1, keepdims=True)
        if allowed is not None and not has_key.all():
            p *= has_key
        dropped = p if drop is None else p * drop
        if self.needs_grad:
            self.q, self.k, self.v, self.p, self.dropped = q, k, v, p, dropped
            self.scale, self.drop = scale, drop
        return dropped @ v

    def backward(self, g):
        q, k, v, p, scale, xp = self.q, self.k, self.v, self.p, self.scale, self.xp
        dv = xp.swapaxes(self.dropped, -1, -2) @ g if self.needs_grad[2] else None
        if not (self.needs_grad[0] or self.needs_grad[1]):
            return None, None, dv
        dp = g @ xp.swapaxes(v, -1, -2)
        if self.drop is not None:
            dp = dp * self.drop
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
        dq = (ds @ k) * scale if self.needs_grad[0] else None
        dk = (xp.swapaxes(ds, -1, -2) @ q) * scale if self.needs_grad[1] else None
        return dq, dk, dv


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, dropout=0.0, training=False, scale=None,
                                 rng=None):
    """Attention of queries ``q`` (..., Tq, d) over keys ``k`` (..., Tk, d) and values ``v``
    (..., Tk, dv): softmax(q k^T * scale, masked) v, shape (..., Tq, dv), as one op.

    ``mask``: boolean, broadcastable to (..., Tq, Tk), True = may attend. ``causal``: query i
    attends to keys j <= i (top-left aligned when Tq != Tk, as PyTorch). A fully masked row gives
    zeros. ``dropout`` on the attention weights only when ``training`` (drawn from ``rng``, else
    scratchnn's generator). ``scale`` defaults to 1 / sqrt(d). See the module docstring.
    """
    q, k, v, scores_shape, scale = _arguments(q, k, v, dropout, scale)
    mask = checked_mask(mask, scores_shape)
    drop = dropout_mask(scores_shape, dropout, q.dtype, rng) if training and dropout > 0 else None
    if fast_kernels_enabled() and q.dtype == k.dtype == v.dtype:
        bias, may_empty = fast.score_bias(mask, causal, *scores_shape[-2:], q.dtype)
        return fast.FastScaledDotProductAttention.apply(q, k, v, bias=bias, may_empty=may_empty,
                                                         scale=scale, drop=drop)
    allowed = allowed_positions(mask, causal, scores_shape)
    return ScaledDotProductAttention.apply(q, k, v, allowed=allowed, scale=scale, drop=drop)
