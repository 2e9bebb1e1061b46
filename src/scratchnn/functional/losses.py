"""Loss functions: ``loss(y_true, y_pred)``, true values first, as in Keras.

Every loss first computes one value per sample (for an output of shape
``(N, ..., C)`` the last axis is averaged or summed, as Keras does), then
reduces:

* ``reduction='mean'`` (default): sum(w_i * l_i) / (number of values)  (Keras's
  "sum_over_batch_size": the count does not depend on the weights);
* ``'sum'``: sum(w_i * l_i);   ``'none'``: the weighted per-sample values.

``sample_weight`` (shape ``(N,)`` or the per-sample shape) multiplies each value.

Cross-entropies given probabilities clip them to [1e-7, 1 - 1e-7] first (and the
categorical one rescales them to sum to 1), exactly as Keras, so the same
inputs give Keras's numbers.  When the probabilities come straight from
``softmax``/``sigmoid`` in the same graph, the loss uses the logits instead (as
Keras does): the result is stable and the backward pass is a single fused
``p - y``.
"""
import warnings

import numpy as np

from ..autograd import Function, Tensor
from ..ops import lift, abs, clip, exp, log, mean, sum, where
from ..registry import Registry
from .activations import Sigmoid, log_softmax, logistic, softmax

EPSILON = 1e-7      # Keras's backend.epsilon()

REDUCTIONS = ("mean", "sum", "none")


# ------------------------------------------------------------ fused kernels
class SparseSoftmaxCrossEntropy(Function):
    """l = logsumexp(z) - z[y] = -log softmax(z)[y] for integer labels y;
    dz = g * (softmax(z) - onehot(y)), with no one-hot matrix ever built.

    ``reduction`` 'mean' or 'sum' is folded into the kernel (one op in the graph
    instead of three); 'none' returns one loss per row of z.
    """
    def forward(self, z, labels, reduction):
        xp = self.xp
        flat = z.reshape(-1, z.shape[-1])
        self.rows, self.cols = xp.arange(flat.shape[0]), labels.reshape(-1)
        m = flat.max(axis=1, keepdims=True)
        e = xp.exp(flat - m)
        s = e.sum(axis=1, keepdims=True)
        self.p = e / s                                     # softmax, kept for backward
        losses = (xp.log(s) + m)[:, 0] - flat[self.rows, self.cols]
        self.shape, self.reduction = z.shape, reduction
        if reduction == "none":
            return losses.reshape(z.shape[:-1])
        total = losses.sum()
        return total / max(losses.size, 1) if reduction == "mean" else total

    def backward(self, g):
        if self.reduction == "none":
            scale = g.reshape(-1, 1)
        else:
            scale = g / max(self.rows.size, 1) if self.reduction == "mean" else g
        dz = self.p * scale
        dz[self.rows, self.cols] -= scale[:, 0] if self.reduction == "none" else scale
        return dz.reshape(self.shape)

    def backward_graph(self, g):
        """dz = (softmax(z) - onehot(y)) * scale, with Tensor operations (second derivatives)."""
        z = self.inputs[0]
        if self.reduction == "none":
            scale = g.reshape(-1, 1)
        else:
            scale = g / max(self.rows.size, 1) if self.reduction == "mean" else g
        onehot = self.xp.zeros(self.p.shape, dtype=self.p.dtype)
        onehot[self.rows, self.cols] = 1
        p = softmax(z.reshape(-1, self.shape[-1]))
        return ((p - Tensor.wrap(onehot)) * scale).reshape(self.shape)


class SoftmaxCrossEntropy(Function):
    """l = -sum_i t_i log softmax(z)_i for target distributions t;
    dz = g * (softmax(z) * sum(t) - t)  (= p - t when t sums to 1),  dt = -g * log softmax(z)."""
    def forward(self, t, z):
        xp = self.xp
        shifted = z - z.max(axis=-1, keepdims=True)
        self.logp = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
        self.t = t
        return -(t * self.logp).sum(axis=-1)

    def backward(self, g):
        g = g[..., None]
        dt = -g * self.logp if self.needs_grad[0] else None
        dz = None
        if self.needs_grad[1]:
            dz = g * (self.xp.exp(self.logp) * self.t.sum(axis=-1, keepdims=True) - self.t)
        return dt, dz

    def backward_graph(self, g):
        t, z = self.inputs
        g, logp = g[..., None], log_softmax(z)
        dt = -g * logp if self.needs_grad[0] else None
        dz = g * (exp(logp) * t.sum(axis=-1, keepdims=True) - t) if self.needs_grad[1] else None
        return dt, dz


class SigmoidCrossEntropy(Function):
    """l = -[t log s(z) + (1 - t) log(1 - s(z))] = max(z, 0) - z t + log(1 + e^-|z|)  (stable);
    dz = g * (s(z) - t),  dt = -g * z."""
    def forward(self, t, z):
        xp = self.xp
        self.t, self.z = t, z
        return xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))

    def backward(self, g):
        dt = -g * self.z if self.needs_grad[0] else None
        dz = g * (logistic(self.z, self.xp) - self.t) if self.needs_grad[1] else None
        return dt, dz

    def backward_graph(self, g):
        t, z = self.inputs
        return (-g * z if self.needs_grad[0] else None,
                g * (Sigmoid.apply(z) - t) if self.needs_grad[1] else None)


# ------------------------------------------------------------------ helpers
def _pair(y_true, y_pred, name):
    """Tensors of the same shape (a trailing axis of 1 on either side is matched, as Keras)."""
    y_pred = lift(y_pred)
    y_true = lift(y_true, y_pred)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape + (1,))
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: y_true has shape {y_true.shape} but y_pred has shape "
                         f"{y_pred.shape}; they must match")
    return y_true, y_pred


def _per_sample(values):
    """Average the last axis into one value per sample (a 1-D input is already per sample)."""
    return mean(values, axis=-1) if values.ndim >= 2 else values


def reduce_losses(losses, reduction, sample_weight, name):
    """Apply ``sample_weight`` and the ``reduction`` to per-sample losses."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: unknown reduction {reduction!r}; valid: {', '.join(REDUCTIONS)}")
    if sample_weight is not None:
        w = np.asarray(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight)
        w = w.astype(losses.dtype, copy=False)
        if w.ndim == losses.ndim + 1 and w.shape[-1] == 1:
            w = w[..., 0]
        if w.ndim < losses.ndim:
            w = w.reshape(w.shape + (1,) * (losses.ndim - w.ndim))
        try:
            if np.broadcast_shapes(w.shape, losses.shape) != losses.shape:
                raise ValueError("sample_weight would add axes to the losses")
        except ValueError:
            raise ValueError(f"{name}: sample_weight of shape {np.shape(sample_weight)} does not match "
                             f"the per-sample losses of shape {losses.shape}") from None
        losses = losses * w
    if reduction == "none":
        return losses
    total = sum(losses)
    return total if reduction == "sum" else total / max(losses.size, 1)


def _logits_for(y_pred, from_logits, kind, name):
    """The logits to use, or None when ``y_pred`` holds plain probabilities.

    ``y_pred`` itself when ``from_logits``; the input of the ``kind`` ('softmax'
    or 'sigmoid') that produced ``y_pred``, when there is one (as Keras does).
    """
    origin = y_pred.source_logits
    if origin is not None and origin[0] == kind:
        if from_logits:
            warnings.warn(f"{name} got from_logits=True, but y_pred is the output of a {kind}: "
                          f"probabilities, not logits. Using the logits behind the {kind}; remove "
                          f"the {kind} or set from_logits=False.", stacklevel=3)
        return origin[1]
    return y_pred if from_logits else None


# ------------------------------------------------------------- regression
def mean_squared_error(y_true, y_pred, reduction="mean", sample_weight=None):
    """MSE = mean_k (y_k - t_k)^2;  dL/dy_k = 2 (y_k - t_k) / K."""
    t, y = _pair(y_true, y_pred, "mean_squared_error")
    d = y - t
    return reduce_losses(_per_sample(d * d), reduction, sample_weight, "mean_squared_error")


def mean_absolute_error(y_true, y_pred, reduction="mean", sample_weight=None):
    """MAE = mean_k |y_k - t_k|;  dL/dy_k = sign(y_k - t_k) / K (robust to outliers)."""
    t, y = _pair(y_true, y_pred, "mean_absolute_error")
    return reduce_losses(_per_sample(abs(y - t)), reduction, sample_weight, "mean_absolute_error")


def sum_squared_error(y_true, y_pred, reduction="mean", sample_weight=None):
    """SSE = 1/2 sum_k (y_k - t_k)^2 per sample (the textbook's sum of squares);  dL/dy_k = y_k - t_k."""
    t, y = _pair(y_true, y_pred, "sum_squared_error")
    d = y - t
    per = 0.5 * (sum(d * d, axis=-1) if d.ndim >= 2 else d * d)
    return reduce_losses(per, reduction, sample_weight, "sum_squared_error")


def huber(y_true, y_pred, delta=1.0, reduction="mean", sample_weight=None):
    """Huber: with e = y - t,  1/2 e^2 if |e| <= delta, else delta (|e| - delta/2);
    quadratic near 0, linear (outlier-robust) beyond delta.  dL/de = e, or delta sign(e)."""
    t, y = _pair(y_true, y_pred, "huber")
    e = y - t
    a = abs(e)
    values = where(a.data <= delta, 0.5 * e * e, delta * (a - 0.5 * delta))
    return reduce_losses(_per_sample(values), reduction, sample_weight, "huber")


# --------------------------------------------------------- classification
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                        reduction="mean", sample_weight=None):
    """BCE = -[t log p + (1 - t) log(1 - p)], averaged over the last axis.

    With p = sigmoid(z): dBCE/dz = p - t  (the fused backward).
    Probabilities are clipped to [1e-7, 1 - 1e-7] first, as Keras does.
    """
    name = "binary_crossentropy"
    t, y = _pair(y_true, y_pred, name)
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    logits = _logits_for(y, from_logits, "sigmoid", name)
    if logits is not None:
        values = SigmoidCrossEntropy.apply(t, logits)
    else:
        p = clip(y, EPSILON, 1 - EPSILON)
        values = -(t * log(p) + (1 - t) * log(1 - p))
    return reduce_losses(_per_sample(values), reduction, sample_weight, name)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0,
                             reduction="mean", sample_weight=None):
    """CCE = -sum_k t_k log p_k over the class axis (last) for one-hot / distribution targets.

    With p = softmax(z): dCCE/dz = p - t  (the fused backward).  Given
    probabilities, they are rescaled to sum to 1 and clipped to [1e-7, 1 - 1e-7]
    (Keras).  Any leading shape works: (N, C), or (N, H, W, C) per pixel.
    """
    name = "categorical_crossentropy"
    y_pred = lift(y_pred)
    y_true = lift(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        hint = ""
        if y_true.shape == y_pred.shape[:-1] or y_true.shape == y_pred.shape[:-1] + (1,):
            hint = (" y_true looks like integer class labels: use sparse_categorical_crossentropy, "
                    "or one-hot encode the labels (to_categorical).")
        raise ValueError(f"{name}: y_true has shape {y_true.shape} but y_pred has shape "
                         f"{y_pred.shape}; they must match.{hint}")
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + label_smoothing / y_pred.shape[-1]
    logits = _logits_for(y_pred, from_logits, "softmax", name)
    if logits is not None:
        values = SoftmaxCrossEntropy.apply(y_true, logits)
    else:
        p = y_pred / sum(y_pred, axis=-1, keepdims=True)
        p = clip(p, EPSILON, 1 - EPSILON)
        values = -sum(y_true * log(p), axis=-1)
    return reduce_losses(values, reduction, sample_weight, name)


def _class_labels(y_true, y_pred, name):
    """Integer labels of shape y_pred.shape[:-1], validated (integral, within [0, C))."""
    labels = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    n_classes = y_pred.shape[-1]
    if labels.shape == y_pred.shape[:-1] + (1,) and n_classes != 1:
        labels = labels[..., 0]
    if labels.shape != y_pred.shape[:-1]:
        hint = ""
        if labels.shape == y_pred.shape:
            hint = (" y_true looks one-hot encoded: use categorical_crossentropy, or pass the "
                    "class indices (y.argmax(-1)).")
        raise ValueError(f"{name}: y_true has shape {labels.shape} but y_pred has shape "
                         f"{y_pred.shape}; expected integer labels of shape {y_pred.shape[:-1]}.{hint}")
    if labels.dtype.kind not in "iub":
        if labels.dtype.kind != "f" or not np.all(np.mod(labels, 1) == 0):
            raise ValueError(f"{name}: y_true must hold integer class labels, got dtype "
                             f"{labels.dtype} with non-integer values")
    labels = labels.astype(np.intp, copy=False)
    if labels.size and (labels.max() >= n_classes or labels.min() < 0):
        bad = labels[(labels < 0) | (labels >= n_classes)].flat[0]
        raise ValueError(f"{name}: label {bad} is out of range for {n_classes} classes "
                         f"(valid labels: 0 to {n_classes - 1})")
    return labels


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False,
                                    reduction="mean", sample_weight=None):
    """Categorical cross-entropy for integer class labels: l = -log p[y].

    With p = softmax(z): dl/dz = p - onehot(y) (the fused backward); no one-hot
    matrix is ever built.  Given probabilities, Keras's rule is followed: clip
    to [1e-7, 1 - 1e-7], take the log, renormalise.  Labels have shape
    y_pred.shape[:-1]: (N,) for (N, C), (N, H, W) for per-pixel (N, H, W, C).
    """
    name = "sparse_categorical_crossentropy"
    y_pred = lift(y_pred)
    labels = _class_labels(y_true, y_pred, name)
    logits = _logits_for(y_pred, from_logits, "softmax", name)
    if logits is None:        # probabilities: log(clip(p)) act as logits (Keras's formula)
        logits = log(clip(y_pred, EPSILON, 1 - EPSILON))
    if sample_weight is None and reduction in ("mean", "sum"):
        return SparseSoftmaxCrossEntropy.apply(logits, labels=labels, reduction=reduction)
    values = SparseSoftmaxCrossEntropy.apply(logits, labels=labels, reduction="none")
    return reduce_losses(values, reduction, sample_weight, name)


#: The loss functions by name (with Keras's short aliases 'mse', 'mae', ...), case-insensitive.
#: ``scratchnn.losses.LOSSES`` holds the loss *classes* that ``compile(loss=...)`` resolves to.
LOSSES = Registry("loss function", accepts=callable)
for _fn, _aliases in ((mean_squared_error, ("mse",)), (mean_absolute_error, ("mae",)),
                      (sum_squared_error, ("sse",)), (huber, ("huber_loss",)), (binary_crossentropy, ()),
                      (categorical_crossentropy, ()), (sparse_categorical_crossentropy, ())):
    LOSSES.add(_fn, aliases=_aliases)
del _fn, _aliases


def get_loss(identifier):
    """A loss function from its name ('mse', 'sparse_categorical_crossentropy') or a callable."""
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        return LOSSES.lookup(identifier)
    raise ValueError(f"unknown loss {identifier!r}: expected a name (one of {LOSSES.names()}) "
                     "or a callable")
