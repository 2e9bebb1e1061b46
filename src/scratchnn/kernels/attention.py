"""Scaled dot-product attention with the mask as an additive bias and the softmax in place.

The readable op (``scratchnn.functional.attention.ScaledDotProductAttention``) builds a boolean
array of the allowed (query, key) pairs of the scores' full shape (B, heads, Tq, Tk), checks
every row for a key, and selects -inf with ``where``: several passes and temporaries of the
scores' size. Here the mask is a float array of 0 (may attend) and -inf (may not), of the
mask's own broadcast shape, (Tq, Tk) for the causal mask alone (made once per length and kept),
added to the scores; the softmax is computed in place in the scores' buffer; and the backward
pass reuses its buffers. Same numbers as the reference (tested), 5-10x faster on a small GPT's
shapes.

    S = q k^T * scale + bias         bias[i, j] = 0 or -inf
    P = softmax(S)                   a row with no allowed key (all -inf) gives P = 0
    out = D(P) v                     D: the dropout multiplier, if any

    dv = D(P)^T g,   dP = (g v^T) D,   dS = P (dP - rowsum(dP P)),
    dq = dS k * scale,   dk = dS^T q * scale.
"""
import numpy as np

from ..autograd import Function

_causal_cache = {}       # (Tq, Tk, dtype) -> the (Tq, Tk) causal bias, read-only


def causal_bias(tq, tk, dtype):
    """The (tq, tk) array with 0 where key j <= query i and -inf elsewhere (top-left aligned)."""
    key = (tq, tk, np.dtype(dtype).str)
    bias = _causal_cache.get(key)
    if bias is None:
        lower = np.arange(tk)[None, :] <= np.arange(tq)[:, None]
        bias = np.where(lower, 0.0, -np.inf).astype(dtype)
        bias.flags.writeable = False
        if len(_causal_cache) > 64:
            _causal_cache.clear()
        _causal_cache[key] = bias
    return bias


def score_bias(mask, causal, tq, tk, dtype):
    """(bias, may_empty): the additive bias of a boolean ``mask`` (True = may attend,
    broadcastable to (..., tq, tk); already checked) and/or the causal mask, or None; and
    whether some query may be left with no key at all (only a given mask can do that)."""
    if mask is None:
        return (causal_bias(tq, tk, dtype) if causal else None), False
    allowed = mask
    if causal:
        allowed = allowed & (np.arange(tk)[None, :] <= np.arange(tq)[:, None])
    return np.where(allowed, dtype.type(0), dtype.type(-np.inf)), True


class FastScaledDotProductAttention(Function):
    """softmax(q k^T * scale + bias) v with the dropout multiplier ``drop`` (or None): the numbers
    of ``ScaledDotProductAttention`` (see the module docstring)."""

    def forward(self, q, k, v, bias, may_empty, scale, drop):
        xp = self.xp
        f = q.dtype.type
        s = q @ xp.swapaxes(k, -1, -2)
        s *= f(scale)
        if bias is not None:
            s += bias
        top = s.max(axis=-1, keepdims=True)
        empty = None
        if may_empty:
            empty = top == -np.inf
            if empty.any():
                top[empty] = 0                     # exp(-inf - 0) = 0: the row sums to 0
            else:
                empty = None
        s -= top
        xp.exp(s, out=s)
        total = s.sum(axis=-1, keepdims=True)
        if empty is not None:
            total[empty] = 1                       # 0 / 1: a row with no key gets weights 0
        s /= total
        p = s
        dropped = p if drop is None else p * drop
        if self.needs_grad:
            self.q, self.k, self.v, self.p, self.dropped = q, k, v, p, dropped
            self.scale, self.drop = scale, drop
        return dropped @ v

    def backward(self, g):
        q, k, v, p, xp = self.q, self.k, self.v, self.p, self.xp
        f = p.dtype.type
        dv = xp.swapaxes(self.dropped, -1, -2) @ g if self.needs_grad[2] else None
        if not (self.needs_grad[0] or self.needs_grad[1]):
            return None, None, dv
        ds = g @ xp.swapaxes(v, -1, -2)                         # dP
        if self.drop is not None:
            ds *= self.drop
        ds -= xp.einsum("...ij,...ij->...i", ds, p)[..., None]  # dP - rowsum(dP P)
        ds *= p                                                  # dS
        dq = dk = None
        if self.needs_grad[0]:
            dq = ds @ k
            dq *= f(self.scale)
        if self.needs_grad[1]:
            dk = xp.swapaxes(ds, -1, -2) @ q
            dk *= f(self.scale)
        return dq, dk, dv
