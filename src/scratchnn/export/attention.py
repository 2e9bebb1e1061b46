"""Embeddings, attention and the transformer blocks as ONNX nodes.

Sequences are (batch, T, D) with T known only at run time: the position tables are sliced to
``Shape(x)[-2]`` rows, the causal mask is built from two ``Range``s. Masks (True = may attend)
become an additive choice before the softmax, ``Where(allowed, scores, -1e9)`` (exp of the
shifted -1e9 is exactly 0 in float32, as the layer's -inf), and with padding masks the weights
are multiplied by the mask afterwards, so that a query that may attend to nothing gets a zero
attention output, as the layer gives it.
"""
import math

import numpy as np

from ..layers.attention import MultiHeadAttention
from ..layers.embedding import Embedding, PositionEmbedding, SinusoidalPositionEncoding
from ..layers.transformer import TransformerDecoder, TransformerEncoder
from .activations import check_activation
from .graph import ExportError, Value
from .registry import CONVERTERS

_MASKED = -1e9


def ids_type(g):
    return g.onnx.TensorProto.INT64


def dim(g, x, axis, hint):
    """The size of logical ``axis`` of x at run time, as a 1-element int64 tensor."""
    shape = g.op("Shape", [x.name], f"{hint}/shape")
    axis = axis % x.rank
    return g.op("Slice", [shape, g.ints([axis], f"{hint}/start"), g.ints([axis + 1], f"{hint}/end")],
                f"{hint}/size")


def _unsqueeze(g, x, axes, hint):
    return g.op("Unsqueeze", [x, g.ints(axes, f"{hint}/axes")], hint)


@CONVERTERS.register(Embedding, takes_ids=lambda layer: True)
def convert_embedding(g, layer, inputs):
    """Gather: row ids[...] of the (input_dim, output_dim) table. Float ids are cast to int64;
    with ``mask_zero`` the output carries the mask ids != 0."""
    ids = inputs[0]
    name = ids.name if ids.elem_type == ids_type(g) else g.op("Cast", [ids.name], f"{layer.name}/ids",
                                                              to=ids_type(g))
    table = g.weight(layer.embeddings, f"{layer.name}/embeddings")
    out = Value(g.op("Gather", [table, name], layer.name, axis=0), tuple(ids.shape) + (layer.output_dim,),
                g.float_type)
    if layer.mask_zero:
        zero = g.ints(0, f"{layer.name}/padding_id")
        padding = g.op("Equal", [name, zero], f"{layer.name}/is_padding")
        out.mask = g.op("Not", [padding], f"{layer.name}/mask")
    return out


@CONVERTERS.register(PositionEmbedding)
def convert_position_embedding(g, layer, inputs):
    """Rows 0 .. T-1 of the table, broadcast to x's shape (B, T, D)."""
    x = g.channels_last(inputs[0], layer.name)
    table = g.weight(layer.position_embeddings, f"{layer.name}/embeddings")
    rows = g.op("Slice", [table, g.ints([0], f"{layer.name}/first"), dim(g, x, -2, f"{layer.name}/length"),
                          g.ints([0], f"{layer.name}/axis")], f"{layer.name}/rows")
    return x.with_name(g.op("Expand", [rows, g.op("Shape", [x.name], f"{layer.name}/x_shape")], layer.name))


@CONVERTERS.register(SinusoidalPositionEncoding)
def convert_sinusoidal_position_encoding(g, layer, inputs):
    """PE(p, 2k) = sin(p / w^(2k/D)), PE(p, 2k+1) = cos(...), computed in float64 as the layer
    does (positions from a Range over the run-time length), then rounded and broadcast."""
    x = g.channels_last(inputs[0], layer.name)
    features = x.shape[-1]
    even = 2 * (np.arange(features) // 2)
    denominators = layer.max_wavelength ** (even / features)
    length = g.op("Squeeze", [dim(g, x, -2, f"{layer.name}/length"), g.ints([0], f"{layer.name}/sq_axes")],
                  f"{layer.name}/length_scalar")
    positions = g.op("Range", [g.ints(0, f"{layer.name}/start"), length, g.ints(1, f"{layer.name}/delta")],
                     f"{layer.name}/positions")
    positions = g.op("Cast", [positions], f"{layer.name}/positions_f64", to=g.onnx.TensorProto.DOUBLE)
    angles = g.op("Div", [_unsqueeze(g, positions, [1], f"{layer.name}/column"),
                          g.const(denominators, f"{layer.name}/wavelengths", dtype=np.float64)],
                  f"{layer.name}/angles")
    is_sine = g.const(np.arange(features) % 2 == 0, f"{layer.name}/is_sine", dtype=bool)
    sines, cosines = g.op("Sin", [angles], f"{layer.name}/sin"), g.op("Cos", [angles], f"{layer.name}/cos")
    table = g.op("Where", [is_sine, sines, cosines], f"{layer.name}/table")
    table = g.op("Cast", [table], f"{layer.name}/table_cast", to=g.float_type)
    return x.with_name(g.op("Expand", [table, g.op("Shape", [x.name], f"{layer.name}/x_shape")], layer.name))


def _project(g, x, kernel, bias, hint):
    """x (B, T, d) times kernel (d, N, h) (+ bias (N, h)) -> (B, N, T, h): one head per slice."""
    d, n, h = kernel.shape
    out = g.op("MatMul", [x.name, g.weight(kernel, f"{hint}/kernel", shape=(d, n * h))], f"{hint}/matmul")
    if bias is not None:
        out = g.op("Add", [out, g.weight(bias, f"{hint}/bias", shape=(n * h,))], f"{hint}/bias_add")
    out = g.op("Reshape", [out, g.ints([0, 0, n, h], f"{hint}/heads_shape")], f"{hint}/heads")
    return g.op("Transpose", [out], f"{hint}/by_head", perm=[0, 2, 1, 3])


def _allowed(g, query, value, causal, hint):
    """The boolean mask (broadcastable to (B, N, Tq, Tk)) of the pairs that may attend, or None;
    and whether it holds a padding mask (then a row may be fully masked)."""
    masks = []
    if query.mask is not None:
        masks.append(_unsqueeze(g, query.mask, [1, 3], f"{hint}/query_mask"))
    if value.mask is not None:
        masks.append(_unsqueeze(g, value.mask, [1, 2], f"{hint}/value_mask"))
    padding = bool(masks)
    if causal:
        one = g.ints(1, f"{hint}/one")
        zero = g.ints(0, f"{hint}/zero")
        tq, tk = (g.op("Squeeze", [dim(g, v, 1, f"{hint}/{w}"), g.ints([0], f"{hint}/{w}_axes")],
                       f"{hint}/{w}_len") for v, w in ((query, "tq"), (value, "tk")))
        rows = _unsqueeze(g, g.op("Range", [zero, tq, one], f"{hint}/rows"), [1], f"{hint}/rows_col")
        cols = _unsqueeze(g, g.op("Range", [zero, tk, one], f"{hint}/cols"), [0], f"{hint}/cols_row")
        masks.append(g.op("LessOrEqual", [cols, rows], f"{hint}/causal"))
    if not masks:
        return None, False
    allowed = masks[0]
    for i, mask in enumerate(masks[1:]):
        allowed = g.op("And", [allowed, mask], f"{hint}/allowed_{i}")
    return allowed, padding


def attention(g, layer, query, value, key=None, causal=False):
    """``layer(query, value, key)`` (a MultiHeadAttention) on Values (B, T, d); the padding
    masks are those the query and the value carry, as the layer's implicit masks."""
    hint = layer.name
    query, value = g.channels_last(query, hint), g.channels_last(value, hint)
    key = value if key is None else g.channels_last(key, hint)
    q = _project(g, query, layer.query_kernel, layer.query_bias, f"{hint}/query")
    k = _project(g, key, layer.key_kernel, layer.key_bias, f"{hint}/key")
    v = _project(g, value, layer.value_kernel, layer.value_bias, f"{hint}/value")
    k_t = g.op("Transpose", [k], f"{hint}/key_t", perm=[0, 1, 3, 2])
    scores = g.op("Mul", [g.op("MatMul", [q, k_t], f"{hint}/qk"),
                          g.const(1.0 / math.sqrt(layer.key_dim), f"{hint}/scale")], f"{hint}/scores")
    allowed, padding = _allowed(g, query, value, causal, hint)
    if allowed is not None:
        scores = g.op("Where", [allowed, scores, g.const(_MASKED, f"{hint}/masked")], f"{hint}/masked_scores")
    weights = g.op("Softmax", [scores], f"{hint}/weights", axis=-1)
    if padding:
        weights = g.op("Mul", [weights, g.op("Cast", [allowed], f"{hint}/allowed_f", to=g.float_type)],
                       f"{hint}/weights_masked")
    heads = g.op("Transpose", [g.op("MatMul", [weights, v], f"{hint}/heads")], f"{hint}/by_position",
                 perm=[0, 2, 1, 3])
    n, hv = layer.output_kernel.shape[:2]
    out_dims = tuple(layer.output_kernel.shape[2:])
    size = int(np.prod(out_dims))
    heads = g.op("Reshape", [heads, g.ints([0, 0, n * hv], f"{hint}/concat_shape")], f"{hint}/concat")
    kernel = g.weight(layer.output_kernel, f"{hint}/output_kernel", shape=(n * hv, size))
    out = g.op("MatMul", [heads, kernel], f"{hint}/output")
    if layer.output_bias is not None:
        out = g.op("Add", [out, g.weight(layer.output_bias, f"{hint}/output_bias", shape=(size,))],
                   f"{hint}/output_bias_add")
    if len(out_dims) > 1:
        shape = g.ints([0, 0] + list(out_dims), f"{hint}/output_shape")
        out = g.op("Reshape", [out, shape], f"{hint}/reshaped")
    return Value(out, tuple(query.shape[:2]) + out_dims, query.elem_type, mask=query.mask)


@CONVERTERS.register(MultiHeadAttention)
def convert_multi_head_attention(g, layer, inputs):
    """inputs: [query] (self-attention), [query, value] or [query, value, key]; no causal mask
    (a functional model's node would pass ``use_causal_mask`` to ``attention``)."""
    query = inputs[0]
    value = inputs[1] if len(inputs) > 1 else query
    key = inputs[2] if len(inputs) > 2 else None
    return attention(g, layer, query, value, key)


def _sublayers(block, names):
    """The block's sublayers by name (the public surface: ``sublayers()`` and ``name``)."""
    found = {layer.name: layer for layer in block.sublayers()}
    missing = [name for name in names if name not in found]
    if missing:
        raise ExportError(f"layer '{block.name}' ({type(block).__name__}) has no sublayer "
                          f"{', '.join(missing)}: it was not built the usual way")
    return [found[name] for name in names]


def _add(g, x, y, hint):
    return Value(g.op("Add", [x.name, y.name], hint), x.shape, x.elem_type)


def _residual(g, block, x, norm, branch, hint):
    """x + branch(norm(x)) (pre-norm) or norm(x + branch(x)) (post-norm); the sum carries x's mask."""
    inner = g.convert(norm, [x]) if block.normalize_first else x
    inner.mask = x.mask
    out = _add(g, x, branch(inner), f"{hint}/residual")
    out.mask = x.mask
    if not block.normalize_first:
        out = g.convert(norm, [out])
        out.mask = x.mask
    return out


def _feedforward(g, block, x, intermediate, output, norm):
    def branch(inner):
        return g.convert(output, [g.convert(intermediate, [inner])])
    return _residual(g, block, x, norm, branch, f"{block.name}/feedforward")


@CONVERTERS.register(TransformerEncoder)
def convert_transformer_encoder(g, layer, inputs):
    """Self-attention then feed-forward, each a residual step (see ``layers/transformer.py``)."""
    check_activation(layer, layer.activation, layer.name)
    x = g.channels_last(inputs[0], layer.name)
    attn, attn_norm, ff_norm, inner, outer = _sublayers(layer, (
        "self_attention_layer", "self_attention_layer_norm", "feedforward_layer_norm",
        "feedforward_intermediate_dense", "feedforward_output_dense"))
    x = _residual(g, layer, x, attn_norm, lambda q: attention(g, attn, q, q), f"{layer.name}/self_attention")
    return _feedforward(g, layer, x, inner, outer, ff_norm)


@CONVERTERS.register(TransformerDecoder)
def convert_transformer_decoder(g, layer, inputs):
    """Causal self-attention, [cross-attention on inputs[1], the encoder's outputs,] feed-forward."""
    check_activation(layer, layer.activation, layer.name)
    x = g.channels_last(inputs[0], layer.name)
    names = [s.name for s in layer.sublayers()]
    has_cross = "cross_attention" in names
    if has_cross != (len(inputs) > 1):
        raise ExportError(f"layer '{layer.name}' (TransformerDecoder) was built "
                          f"{'with' if has_cross else 'without'} cross-attention but is given "
                          f"{len(inputs)} input(s)")
    attn, attn_norm, inner, outer, ff_norm = _sublayers(layer, (
        "self_attention", "self_attention_layer_norm", "feedforward_intermediate_dense",
        "feedforward_output_dense", "feedforward_layer_norm"))
    x = _residual(g, layer, x, attn_norm, lambda q: attention(g, attn, q, q, causal=True),
                  f"{layer.name}/self_attention")
    if has_cross:
        cross, cross_norm = _sublayers(layer, ("cross_attention", "cross_attention_layer_norm"))
        memory = g.channels_last(inputs[1], layer.name)
        x = _residual(g, layer, x, cross_norm, lambda q: attention(g, cross, q, memory),
                      f"{layer.name}/cross_attention")
    return _feedforward(g, layer, x, inner, outer, ff_norm)
