"""``MultiHeadAttention`` (Keras 3's names, arguments, weight shapes and order). The attention
itself, its masks and its gradient are in ``scratchnn.functional.attention``.
"""
import contextlib
import math

import numpy as np

from .. import constraints as _constraints
from .. import functional as F
from .. import initializers as _initializers
from .. import regularizers as _regularizers
from ..autograd import Tensor
from ..functional.attention import attention_weights
from .base import Layer, format_shape
from .masking import get_mask
from .core import serialize_or_none


def _positive_int(value, what):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"MultiHeadAttention: {what} must be a positive integer, got {value!r}")
    return int(value)


def _as_bool_mask(mask):
    """A mask as a boolean array (True = may attend); numbers count as True when non-zero (Keras
    casts them to bool)."""
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    return mask if mask.dtype == bool else mask != 0


class MultiHeadAttention(Layer):
    """Multi-head attention ("Attention is all you need", Vaswani et al. 2017), as Keras 3 computes it.

    ``mha(query, value, key=None)`` with query (B, Tq, query_dim), value (B, Tk, value_dim_in) and
    key (B, Tk, key_dim_in) (key defaults to value; ``mha(x, x)`` is self-attention). With
    N = ``num_heads``, h = ``key_dim`` and hv = ``value_dim`` (default key_dim):

        Q_n = query Wq[:, n] + bq[n]      (B, Tq, h)    for each head n
        K_n = key   Wk[:, n] + bk[n]      (B, Tk, h)
        V_n = value Wv[:, n] + bv[n]      (B, Tk, hv)
        P_n = softmax(Q_n K_n^T / sqrt(h), masked)     (B, Tq, Tk): the attention scores
        O_n = dropout(P_n) V_n            (B, Tq, hv)
        out = sum_n O_n Wo[n] + bo        (B, Tq, output_dim)

    Weights, in Keras 3's shapes and order (``get_weights``/``set_weights`` exchange them with
    Keras): query kernel (query_dim, N, h) and bias (N, h); key kernel (key_dim_in, N, h) and
    bias (N, h); value kernel (value_dim_in, N, hv) and bias (N, hv); output kernel (N, hv,
    output_dim) and bias (output_dim,). ``output_shape`` (an int or a tuple) sets output_dim
    (default: query_dim); a tuple gives outputs (B, Tq, *output_shape). Every kernel uses
    ``kernel_initializer``/``_regularizer``/``_constraint``, every bias the bias ones; the
    ``activity_regularizer`` applies to the four projections' outputs (as Keras's sublayers do).

    Masks (boolean, True = may attend), all combined with AND:
    ``attention_mask`` (B, Tq, Tk) (or broadcastable; the same for every head);
    ``query_mask`` (B, Tq) and ``value_mask``/``key_mask`` (B, Tk): padding masks, e.g.
    ``Embedding(..., mask_zero=True).compute_mask(ids)``; ``use_causal_mask=True``: query i sees
    keys j <= i. A masked pair gets weight exactly 0. A query that may attend to nothing (a padded
    query) gets zero attention output, so its output is the output bias; Keras gives such a row
    uniform weights instead; either way it is padding, to be ignored downstream.

    Implicit masks (Keras): a mask attached to an input (``Embedding(mask_zero=True)``'s output,
    ``get_mask(x)``) stands in for a mask not given: the query's for ``query_mask``, the value's for
    ``value_mask``, the key's for ``key_mask`` (when ``key`` is given and is not ``value``). So
    ``mha(x, x)`` on embedded padded ids masks the padding, as ``query_mask=m, value_mask=m`` would.
    The output carries the query's mask.

    ``dropout`` applies to the attention scores in training only (``seed`` makes it repeatable).
    ``return_attention_scores=True`` also returns the scores P (B, N, Tq, Tk), before dropout.

    Looking at the scores from outside (tools, the studio): inside ``with
    mha.record_attention_scores():`` each call also keeps P, as a NumPy array, in
    ``mha.last_attention_scores``, where a forward hook (``add_forward_hook``) reads it after the
    call; the model that holds the layer need not ask for the scores itself. Outside that block a
    call keeps nothing.
    """

    supports_masking = True
    #: The attention scores P (B, N, Tq, Tk) of the latest call made while
    #: ``record_attention_scores()`` was active; None otherwise.
    last_attention_scores = None
    _recording_scores = 0

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = _positive_int(num_heads, "num_heads")
        self.key_dim = _positive_int(key_dim, "key_dim")
        self.value_dim = self.key_dim if value_dim is None else _positive_int(value_dim, "value_dim")
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None:
            dims = (output_shape,) if isinstance(output_shape, (int, np.integer)) else tuple(output_shape)
            output_shape = tuple(_positive_int(d, "output_shape") for d in dims)
        self.output_dims = output_shape
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.projection_regularizer = _regularizers.get(activity_regularizer)
        self.kernel_constraint = _constraints.get(kernel_constraint)
        self.bias_constraint = _constraints.get(bias_constraint)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.shapes = None              # (query, value, key) shapes once built

    # ------------------------------------------------------------------ weights
    def _dense_weights(self, name, kernel_shape, bias_shape):
        kernel = self.add_weight(f"{name}/kernel", kernel_shape, self.kernel_initializer,
                                 self.kernel_regularizer, constraint=self.kernel_constraint)
        bias = None
        if self.use_bias:
            bias = self.add_weight(f"{name}/bias", bias_shape, self.bias_initializer, self.bias_regularizer,
                                   constraint=self.bias_constraint)
        return kernel, bias

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the weights for query (B, Tq, query_dim), value (B, Tk, value_dim_in) and key
        (B, Tk, key_dim_in) (key defaults to value, value to query)."""
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        n, h, hv = self.num_heads, self.key_dim, self.value_dim
        out = self.output_dims or (query_shape[-1],)
        self.query_kernel, self.query_bias = self._dense_weights("query", (query_shape[-1], n, h), (n, h))
        self.key_kernel, self.key_bias = self._dense_weights("key", (key_shape[-1], n, h), (n, h))
        self.value_kernel, self.value_bias = self._dense_weights("value", (value_shape[-1], n, hv), (n, hv))
        self.output_kernel, self.output_bias = self._dense_weights("attention_output", (n, hv) + out, out)
        self.shapes = tuple((None,) + tuple(s[1:]) for s in (query_shape, value_shape, key_shape))
        self.input_shape = self.shapes[0]
        self.built = True

    # ------------------------------------------------------------------ checks
    def _check_shapes(self, query_shape, value_shape, key_shape):
        """query (B, Tq, dq), value (B, Tk, dv), key (B, Tk, dk), with the built feature sizes."""
        shapes = (query_shape, value_shape, key_shape)
        fits = all(len(s) == 3 for s in shapes) and value_shape[:2] == key_shape[:2] \
            and query_shape[0] == value_shape[0]
        if fits and self.shapes is not None:
            fits = all(s[-1] == built[-1] for s, built in zip(shapes, self.shapes))
        if not fits:
            got = (f"query {format_shape(query_shape)}, value {format_shape(value_shape)} and key "
                   f"{format_shape(key_shape)}")
            want = "query (B, Tq, dq), value (B, Tk, dv) and key (B, Tk, dk)"
            if self.shapes is not None:
                want += " with " + ", ".join(f"{symbol} = {s[-1]}" for symbol, s in zip(("dq", "dv", "dk"),
                                                                                      self.shapes))
            raise ValueError(f"MultiHeadAttention '{self.name}': {got} do not fit: expected {want} (the same "
                             "batch size B for all three, the same length Tk for value and key)")

    def _check_input(self, shape):
        """Done by ``_check_shapes`` on all three inputs."""

    def _mask(self, mask, what, expected):
        mask = _as_bool_mask(mask)
        if mask.shape != expected:
            raise ValueError(f"MultiHeadAttention '{self.name}': {what} must have shape "
                             f"{format_shape(expected)}, got {format_shape(mask.shape)}")
        return mask

    def compute_attention_mask(self, query_shape, value_shape, query_mask=None, value_mask=None,
                               key_mask=None, attention_mask=None):
        """The combined boolean mask, broadcastable to the scores (B, N, Tq, Tk), or None
        (the causal mask is added by the attention itself)."""
        (b, tq, _), tk = query_shape, value_shape[1]
        masks = []
        if query_mask is not None:
            masks.append(self._mask(query_mask, "query_mask", (b, tq))[:, None, :, None])
        for what, mask in (("value_mask", value_mask), ("key_mask", key_mask)):
            if mask is not None:
                masks.append(self._mask(mask, what, (b, tk))[:, None, None, :])
        if attention_mask is not None:
            mask = _as_bool_mask(attention_mask)
            try:
                np.broadcast_shapes(mask.shape, (b, tq, tk))
                fits = mask.ndim <= 3
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"MultiHeadAttention '{self.name}': attention_mask of shape "
                                 f"{format_shape(mask.shape)} does not broadcast to (batch, Tq, Tk) = "
                                 f"{format_shape((b, tq, tk))}")
            masks.append(mask.reshape(mask.shape[:-2] + (1,) + mask.shape[-2:]) if mask.ndim == 3 else mask)
        if not masks:
            return None
        combined = masks[0]
        for mask in masks[1:]:
            combined = combined & mask
        return combined

    @contextlib.contextmanager
    def record_attention_scores(self):
        """While active, each call of this layer also stores its attention scores P (B, N, Tq, Tk),
        before dropout, as a NumPy array in ``last_attention_scores`` (the output is unchanged; the
        call computes P explicitly, as with ``return_attention_scores=True``). On leaving the block
        (the outermost one, when nested) ``last_attention_scores`` is None again, so nothing stays
        in memory and calls go back to the fused attention op.

            mha = model.get_layer("self_attention")
            with mha.record_attention_scores(), mha.add_forward_hook(
                    lambda layer, inputs, outputs: maps.append(layer.last_attention_scores)):
                model(ids)
        """
        self._recording_scores += 1
        try:
            yield self
        finally:
            self._recording_scores -= 1
            if not self._recording_scores:
                self.last_attention_scores = None

    # ------------------------------------------------------------------ computing
    def __call__(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
                 attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        query, value = self._as_tensor(query), self._as_tensor(value)
        key = value if key is None else self._as_tensor(key)
        self._check_shapes(query.shape, value.shape, key.shape)
        query_mask = get_mask(query) if query_mask is None else query_mask          # implicit masks
        value_mask = get_mask(value) if value_mask is None else value_mask
        if key_mask is None and key is not value:
            key_mask = get_mask(key)
        mask = self.compute_attention_mask(query.shape, value.shape, query_mask, value_mask, key_mask,
                                           attention_mask)
        if not self.built:
            self.build(query.shape, value.shape, key.shape)
        return super().__call__(query, value, key, allowed=mask, causal=bool(use_causal_mask),
                                return_attention_scores=bool(return_attention_scores), training=training)

    def _as_tensor(self, x):
        return x if isinstance(x, Tensor) else Tensor(x, dtype=self.dtype)

    def _project(self, x, kernel, bias):
        """x (B, T, d) times kernel (d, N, h) plus bias (N, h) -> (B, N, T, h): one head per slice."""
        d, n, h = kernel.shape
        flat_bias = None if bias is None else bias.reshape(n * h)
        y = F.dense(x, kernel.reshape(d, n * h), flat_bias)                    # (B, T, N*h)
        y = y.reshape(x.shape[0], x.shape[1], n, h)
        if self.projection_regularizer is not None:
            self.activity_losses.append(self.projection_regularizer(y))
        return F.transpose(y, (0, 2, 1, 3))

    def call(self, query, value, key, allowed=None, causal=False, return_attention_scores=False,
             training=False):
        """``allowed``: the combined mask (``compute_attention_mask``), True = may attend."""
        self.activity_losses = []
        q = self._project(query, self.query_kernel, self.query_bias)           # (B, N, Tq, h)
        k = self._project(key, self.key_kernel, self.key_bias)                 # (B, N, Tk, h)
        v = self._project(value, self.value_kernel, self.value_bias)           # (B, N, Tk, hv)
        scale = 1.0 / math.sqrt(self.key_dim)
        if return_attention_scores or self._recording_scores:
            scores = attention_weights(q, k, allowed, causal, scale)           # (B, N, Tq, Tk)
            heads = F.matmul(F.dropout(scores, self.dropout, training=training, rng=self._rng), v)
            if self._recording_scores:
                self.last_attention_scores = np.array(scores.data, copy=True)
        else:
            heads = F.scaled_dot_product_attention(q, k, v, mask=allowed, causal=causal,
                                                   dropout=self.dropout, training=training, scale=scale,
                                                   rng=self._rng)
        b, n, tq, hv = heads.shape
        heads = F.transpose(heads, (0, 2, 1, 3)).reshape(b, tq, n * hv)      # (B, Tq, N*hv)
        out_dims = self.output_kernel.shape[2:]
        size = math.prod(out_dims)
        bias = None if self.output_bias is None else self.output_bias.reshape(size)
        out = F.dense(heads, self.output_kernel.reshape(n * hv, size), bias).reshape((b, tq) + out_dims)
        if self.projection_regularizer is not None:
            self.activity_losses.append(self.projection_regularizer(out))
        return (out, scores) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        return query_shape[:-1] + (self.output_dims or query_shape[-1:])

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": None if self.output_dims is None else list(self.output_dims),
                "kernel_initializer": _initializers.serialize(self.kernel_initializer),
                "bias_initializer": _initializers.serialize(self.bias_initializer),
                "kernel_regularizer": serialize_or_none(_regularizers, self.kernel_regularizer),
                "bias_regularizer": serialize_or_none(_regularizers, self.bias_regularizer),
                "activity_regularizer": serialize_or_none(_regularizers, self.projection_regularizer),
                "kernel_constraint": serialize_or_none(_constraints, self.kernel_constraint),
                "bias_constraint": serialize_or_none(_constraints, self.bias_constraint),
                "seed": self.seed}
