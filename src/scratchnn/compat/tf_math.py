"""``tf.math``, ``tf.linalg`` and ``tf.nn`` on scratchnn's tensors.

The activations that a layer can take as ``activation=`` are scratchnn's own functions where
the signatures agree (``tf.nn.relu is scratchnn.functional.relu``: it serializes as 'relu', and
the fast kernels recognise it); where TensorFlow's signature differs (``tf.nn.softmax(logits,
axis=None)``), a small function of the same ``__name__`` calls scratchnn's, so a saved layer
names it 'softmax' too. One difference remains: ``tf.nn.leaky_relu``'s slope is 0.2, and a layer
saved with it reloads with ``keras.activations.leaky_relu``'s (0.3 in scratchnn).
"""
import collections

import numpy as np

from .. import functional as F
from ..autograd import Tensor
from ..keras import ops
from ..ops import lift
from . import tf_tensors as T
from .tf_namespace import Namespace

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def _unary(op, name, doc):
    def unary(x, name=None):
        return op(x)
    unary.__name__, unary.__doc__ = name, doc
    return unary


log, log1p = _unary(ops.log, "log", "ln x."), _unary(ops.log1p, "log1p", "ln(1 + x).")
sin, cos = _unary(ops.sin, "sin", "sin x."), _unary(ops.cos, "cos", "cos x.")
tan, erf = _unary(ops.tan, "tan", "tan x."), _unary(ops.erf, "erf", "The error function.")
reciprocal, rsqrt = _unary(ops.reciprocal, "reciprocal", "1 / x."), _unary(ops.rsqrt, "rsqrt", "1 / sqrt x.")
round, floor, ceil = (_unary(ops.round, "round", "Nearest integer (no gradient)."),
                      _unary(ops.floor, "floor", "Round down (no gradient)."),
                      _unary(ops.ceil, "ceil", "Round up (no gradient)."))
is_nan, is_finite, is_inf = (_unary(ops.isnan, "is_nan", "x is NaN."),
                             _unary(ops.isfinite, "is_finite", "x is finite."),
                             _unary(ops.isinf, "is_inf", "x is +-inf."))


def top_k(input, k=1, sorted=True, name=None):
    """The ``k`` largest values of the last axis and their indices: ``TopKV2(values, indices)``."""
    values, indices = ops.top_k(input, k, sorted)
    return TopKV2(values, indices)


def count_nonzero(input, axis=None, keepdims=None, dtype=np.int64, name=None):
    """How many elements are non-zero (int64)."""
    data = np.asarray(getattr(input, "data", input))
    out = np.count_nonzero(data, axis=axis, keepdims=bool(keepdims))
    return Tensor.wrap(np.asarray(out, dtype=ops.standardize_dtype(dtype)))


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y is 0."""
    x, y = lift(x), lift(y)
    safe = ops.where(ops.equal(y, 0), 1.0, y)
    return ops.where(ops.equal(y, 0), 0.0, x / safe)


def squared_difference(x, y, name=None):
    """(x - y)^2."""
    d = lift(x) - y
    return d * d


def log_sigmoid(x, name=None):
    """log(sigmoid(x)), stable."""
    return ops.log_sigmoid(x)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=np.int32, name=None):
    """counts[i, j] = how many samples of class ``labels`` i were predicted as j (``weights``
    sums those instead); ``num_classes`` defaults to the largest label or prediction + 1."""
    labels = np.asarray(ops.convert_to_numpy(labels)).astype(np.int64).ravel()
    predictions = np.asarray(ops.convert_to_numpy(predictions)).astype(np.int64).ravel()
    if labels.shape != predictions.shape:
        raise ValueError(f"tf.math.confusion_matrix: labels ({labels.size}) and predictions "
                         f"({predictions.size}) must have as many elements")
    if num_classes is None:
        num_classes = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    if labels.size and (min(labels.min(), predictions.min()) < 0
                        or max(labels.max(), predictions.max()) >= num_classes):
        raise ValueError(f"tf.math.confusion_matrix: labels and predictions must be in [0, {num_classes})")
    counts = np.zeros((num_classes, num_classes), dtype=ops.standardize_dtype(dtype))
    w = np.ones(labels.size) if weights is None else np.asarray(ops.convert_to_numpy(weights)).ravel()
    np.add.at(counts, (labels, predictions), w.astype(counts.dtype))
    return Tensor.wrap(counts)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """x / sqrt(max(sum(x^2), epsilon)) over ``axis`` (all axes when None)."""
    x = lift(x)
    return x * ops.rsqrt(ops.maximum(ops.sum(x * x, axis=axis, keepdims=True), epsilon))


def _with_axis(fn, name):
    def activation(logits, axis=None, name=None):
        return fn(logits, axis=-1 if axis is None else axis)
    activation.__name__ = name
    activation.__doc__ = (f"``{name}`` along ``axis`` (the last when None); as an ``activation=``, "
                          f"saved as {name!r}.")
    return activation


softmax = _with_axis(F.softmax, "softmax")
log_softmax = _with_axis(F.log_softmax, "log_softmax")


def leaky_relu(features, alpha=0.2, name=None):
    """x for x > 0, alpha * x otherwise (TensorFlow's default slope: 0.2)."""
    return F.leaky_relu(features, alpha=alpha)


def gelu(features, approximate=False, name=None):
    """x Phi(x) (exact by default, as ``tf.nn.gelu``)."""
    return F.gelu(features, approximate=approximate)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """The binary cross-entropy of each element given logits (no reduction)."""
    return ops.binary_crossentropy(labels, logits, from_logits=True)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """The cross-entropy of each sample for class distributions ``labels`` (no reduction)."""
    return ops.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """The cross-entropy of each sample for integer ``labels`` (no reduction)."""
    return ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero each element with probability ``rate`` and scale the rest by 1 / (1 - rate) (always
    active, as ``tf.nn.dropout``)."""
    rng = np.random.default_rng(seed) if seed is not None else None
    return F.dropout(lift(x), rate, training=True, rng=rng, noise_shape=noise_shape)


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) over ``axes``."""
    return ops.moments(x, axes, keepdims=keepdims)


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` (``bias`` along the last axis)."""
    return lift(value) + bias


def embedding_lookup(params, ids, max_norm=None, name=None):
    """The rows of ``params`` at ``ids`` (differentiable in ``params``)."""
    return ops.take(params, ids, axis=0)


_SHARED = {name: getattr(T, name) for name in (
    "add", "subtract", "multiply", "divide", "truediv", "pow", "negative", "square", "sqrt", "exp",
    "abs", "sign", "maximum", "minimum", "equal", "not_equal", "greater", "greater_equal", "less",
    "less_equal", "logical_and", "logical_or", "logical_not", "argmax", "argmin", "cumsum",
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_std",
    "reduce_variance", "reduce_any", "reduce_all", "reduce_logsumexp", "add_n")}

math = Namespace("math", {
    **_SHARED, "log": log, "log1p": log1p, "sin": sin, "cos": cos, "tan": tan, "erf": erf,
    "reciprocal": reciprocal, "rsqrt": rsqrt, "round": round, "floor": floor, "ceil": ceil,
    "is_nan": is_nan, "is_finite": is_finite, "is_inf": is_inf, "top_k": top_k,
    "count_nonzero": count_nonzero, "divide_no_nan": divide_no_nan, "l2_normalize": l2_normalize,
    "squared_difference": squared_difference, "log_sigmoid": log_sigmoid,
    "confusion_matrix": confusion_matrix,
    "sigmoid": F.sigmoid, "tanh": F.tanh, "softplus": F.softplus, "softmax": softmax,
    "log_softmax": log_softmax,
})

linalg = Namespace("linalg", {
    "matmul": T.matmul, "norm": T.norm, "einsum": T.einsum, "eye": T.eye, "l2_normalize": l2_normalize,
    "matrix_transpose": lambda a, name=None: ops.swapaxes(a, -1, -2),
})

nn = Namespace("nn", {
    "relu": F.relu, "relu6": F.relu6, "sigmoid": F.sigmoid, "tanh": F.tanh, "elu": F.elu, "selu": F.selu,
    "softplus": F.softplus, "softsign": F.softsign, "silu": F.silu, "swish": F.swish, "gelu": gelu,
    "leaky_relu": leaky_relu, "softmax": softmax, "log_softmax": log_softmax,
    "sigmoid_cross_entropy_with_logits": sigmoid_cross_entropy_with_logits,
    "softmax_cross_entropy_with_logits": softmax_cross_entropy_with_logits,
    "sparse_softmax_cross_entropy_with_logits": sparse_softmax_cross_entropy_with_logits,
    "l2_normalize": l2_normalize, "dropout": dropout, "moments": moments, "bias_add": bias_add,
    "embedding_lookup": embedding_lookup, "top_k": top_k, "log_sigmoid": log_sigmoid,
})
