"""``keras.ops`` neural-network functions: the activations (Keras 3's defaults: ``gelu`` is the
tanh approximation, ``leaky_relu``'s slope is 0.2), ``one_hot``, ``moments`` and the
cross-entropies per sample (no reduction), on ``scratchnn.functional``."""
import numpy as np

from ... import functional as F
from .core import constant_tensor, convert_to_tensor, standardize_dtype

__all__ = ["relu", "relu6", "sigmoid", "tanh", "softplus", "softsign", "silu", "swish", "elu", "selu",
           "gelu", "leaky_relu", "hard_sigmoid", "log_sigmoid", "softmax", "log_softmax", "one_hot",
           "moments", "normalize", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy"]

relu, relu6, sigmoid, tanh = F.relu, F.relu6, F.sigmoid, F.tanh
softplus, softsign, silu, swish, selu = F.softplus, F.softsign, F.silu, F.swish, F.selu
hard_sigmoid = F.hard_sigmoid


def elu(x, alpha=1.0):
    """x for x > 0, alpha (e^x - 1) otherwise."""
    return F.elu(x, alpha)


def gelu(x, approximate=True):
    """x Phi(x); Keras's ops default is the tanh approximation (``approximate=True``)."""
    return F.gelu(x, approximate=approximate)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise."""
    return F.leaky_relu(x, alpha=negative_slope)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -F.softplus(-convert_to_tensor(x))


def softmax(x, axis=-1):
    """Probabilities along ``axis``: e^x_i / sum_j e^x_j."""
    return F.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) computed stably."""
    return F.log_softmax(x, axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels as one-hot vectors (a new axis of length ``num_classes`` at ``axis``);
    a label outside [0, num_classes) gives a row of zeros, as in Keras. No gradient."""
    if sparse:
        raise ValueError("one_hot: sparse tensors are not part of scratchnn")
    labels = np.asarray(getattr(x, "data", x))
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind != "f" or not np.all(np.mod(labels, 1) == 0):
            raise ValueError(f"one_hot: x must hold integer labels, got dtype {labels.dtype}")
        labels = labels.astype(np.int64)
    out = (labels[..., None] == np.arange(int(num_classes))).astype(standardize_dtype(dtype) or np.float32)
    return constant_tensor(np.moveaxis(out, -1, axis) if axis != -1 else out)


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of ``x`` over ``axes``."""
    axes = tuple(np.atleast_1d(axes).tolist())
    return F.mean(x, axes, keepdims), F.var(x, axes, keepdims)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (1 or 2)."""
    x = convert_to_tensor(x)
    if order == 2:
        norm = F.sqrt(F.sum(x * x, axis, keepdims=True))
    elif order == 1:
        norm = F.sum(F.abs(x), axis, keepdims=True)
    else:
        raise ValueError(f"normalize: order must be 1 or 2, got {order!r}")
    return x / F.maximum(norm, 1e-12 if epsilon is None else epsilon)


def binary_crossentropy(target, output, from_logits=False):
    """The binary cross-entropy of each element (Keras's ops reduce nothing)."""
    t, y = convert_to_tensor(target), convert_to_tensor(output)
    per_sample = F.binary_crossentropy(F.reshape(t, t.shape + (1,)), F.reshape(y, y.shape + (1,)),
                                       from_logits=from_logits, reduction="none")
    return F.reshape(per_sample, y.shape)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """The categorical cross-entropy of each sample (class axis ``axis``)."""
    _last_axis(axis, output, "categorical_crossentropy")
    return F.categorical_crossentropy(target, output, from_logits=from_logits, reduction="none")


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """The cross-entropy of each sample for integer labels ``target``."""
    _last_axis(axis, output, "sparse_categorical_crossentropy")
    return F.sparse_categorical_crossentropy(target, output, from_logits=from_logits, reduction="none")


def _last_axis(axis, output, name):
    if axis not in (-1, np.ndim(getattr(output, "data", output)) - 1):
        raise ValueError(f"{name}: only the last axis can be the class axis here, got axis={axis}")
