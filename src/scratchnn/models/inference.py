"""The inference plan: ``predict`` on a ``Sequential`` as a list of NumPy steps, no graph.

``model.predict`` only needs the forward pass at ``training=False``: no autograd nodes, no
gradient buffers, no per-layer shape checks on every batch (``predict`` checks the data once),
no dropout. With fast kernels on, a ``Sequential`` made of the layers below compiles itself
once into such a plan, and ``predict`` runs each batch through it:

* ``Dense``: ``y = x W + b`` with ``np.matmul(x, W, out=buffer)``, ``buffer += b`` and the
  activation in place (ReLU: ``max(y, 0)``; softmax: ``e^(y - max) / sum``), the buffer
  allocated once per plan and reused batch after batch;
* ``Conv2D`` (+ ``MaxPooling2D``): the convolution op of the layer (the same fused
  convolution + pooling that ``Sequential`` uses), run without a graph;
* ``BatchNormalization`` at inference is the affine map
  ``y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta = s x + t``, with
  ``s = gamma / sqrt(moving_variance + epsilon)`` and ``t = beta - s moving_mean``. Right after a
  ``Dense`` or a ``Conv2D`` without activation it is *folded* into that layer:
  ``(x W + b) s + t = x (W s) + (b s + t)``, so it costs nothing (W s scales each output column);
  then ``Activation('relu')`` + ``MaxPooling2D`` after a folded ``Conv2D`` run as the one fused op;
* ``Dropout`` does nothing at inference: it is left out; ``Flatten``, ``Reshape``: a reshape.

The folded weights are computed from the current weights at the start of every ``predict`` call
(``prepare``), so training, ``set_weights`` or ``load_weights`` between calls is always seen. The
plan itself (which steps, their buffers) is rebuilt when the layers change (``Sequential.add``,
``pop``, a new activation) or the fast-kernel setting changes. A model with any other layer, a
layer a hook watches, an activity regularizer or a ``call`` replaced on an instance has no plan:
``predict`` then runs the layers one by one, as ``set_fast_kernels(False)`` always does (the
readable reference the plan is tested equal to; folding BatchNormalization changes the float
rounding only: equal to about 1e-6 relative).
"""
import numpy as np

from .. import functional as F
from ..autograd import Tensor, no_grad
from ..backend import fast_kernels_enabled
from ..layers.convolutional import Conv2D
from ..layers.core import Activation, Dense, Dropout, Flatten, Reshape
from ..layers.normalization import BatchNormalization
from ..layers.pooling import MaxPooling2D

#: The layer classes a plan is made of (exactly these classes: a subclass may compute otherwise).
PLANNED = (Dense, Conv2D, BatchNormalization, Activation, Dropout, Flatten, Reshape, MaxPooling2D)
#: Activations a plan applies in place (others run as their function, without a graph).
IN_PLACE = {F.linear: "linear", F.relu: "relu", F.softmax: "softmax"}


def plannable(layer):
    """Whether ``layer`` can be a step of a plan: one of ``PLANNED`` exactly, built, float32 or
    float64 (float16 layers keep their own casts), unobserved (no hook, no activity regularizer)
    and with its class's own ``call``."""
    return (type(layer) in PLANNED and layer.built and layer.dtype in (np.float32, np.float64)
            and not layer.observed and "call" not in vars(layer) and "__call__" not in vars(layer))


def plan_key(layers):
    """What a plan depends on besides weight values: the layers, their activations and weight
    objects, and the fast-kernel setting. A plan whose key differs is rebuilt."""
    return (fast_kernels_enabled(),) + tuple(
        (id(layer), getattr(layer, "activation", None), tuple(id(w) for w in layer.weights))
        for layer in layers)


def bn_scale_shift(bn):
    """(s, t) with BatchNormalization at inference = ``x * s + t`` (float64 sums, then the
    layer's dtype): s = gamma / sqrt(moving_variance + epsilon), t = beta - s * moving_mean."""
    var = bn.moving_variance.data.astype(np.float64)
    s = 1.0 / np.sqrt(var + bn.epsilon)
    if bn.gamma is not None:
        s = s * bn.gamma.data
    t = -s * bn.moving_mean.data
    if bn.beta is not None:
        t = t + bn.beta.data
    return s, t


def folded(layer, bn):
    """The kernel and bias (arrays; bias None if the layer has none and no ``bn``) of ``layer`` with
    the BatchNormalization ``bn`` that follows it folded in: ``(x W + b) s + t = x (W s) + (b s + t)``."""
    kernel = layer.kernel.data
    bias = layer.bias.data if layer.bias is not None else None
    if bn is None:
        return kernel, bias
    s, t = bn_scale_shift(bn)
    t = t if bias is None else bias * s + t
    return (kernel * s).astype(kernel.dtype), t.astype(kernel.dtype)


#: Up to this many columns ``row_max`` takes the maximum column by column.
FEW_COLUMNS = 32


def row_max(y):
    """``y.max(axis=-1, keepdims=True)``, the same numbers. NumPy reduces a short last axis slowly
    (about 45 us for 1000 rows of 10 classes, more than the softmax's exp); for at most
    ``FEW_COLUMNS`` columns, k - 1 elementwise ``maximum`` passes over the columns are 3-4x faster."""
    k = y.shape[-1]
    if k > FEW_COLUMNS or k == 0 or y.size == 0:
        return y.max(axis=-1, keepdims=True)
    columns = y.reshape(-1, k).T                  # column j: a strided view of every row's j-th value
    out = columns[0].copy()
    for j in range(1, k):
        np.maximum(out, columns[j], out=out)
    return out.reshape(y.shape[:-1] + (1,))


def apply_activation(y, name, fn):
    """The activation on ``y`` in place where it can (``name`` from ``IN_PLACE``), else ``fn(y)``
    without a graph; returns the result."""
    if name == "linear":
        return y
    if name == "relu":
        np.maximum(y, 0, out=y)
        return y
    if name == "softmax":             # as F.softmax: e^(y - max) / sum, the same operations
        y -= row_max(y)
        np.exp(y, out=y)
        y /= y.sum(axis=-1, keepdims=True)
        return y
    return fn(Tensor(y)).data


class DenseStep:
    """``activation(x W + b)`` into a reused buffer; a BatchNormalization after it (with no
    activation between) folded into W and b."""

    def __init__(self, layer, bn=None, activation=None):
        self.layer, self.bn = layer, bn
        fn = activation if activation is not None else layer.activation
        self.fn, self.name = fn, IN_PLACE.get(fn)
        self.buffer = None

    def prepare(self):
        kernel, bias = folded(self.layer, self.bn)
        self.kernel, self.bias = kernel, bias

    def __call__(self, x):
        if x.ndim != 2:                    # (batch, T, features): the layer's own op
            y = F.dense(Tensor(x), Tensor(self.kernel),
                        None if self.bias is None else Tensor(self.bias)).data
            return apply_activation(y, self.name, self.fn)
        n, dtype = x.shape[0], np.result_type(x, self.kernel)
        if self.buffer is None or self.buffer.shape[0] < n or self.buffer.dtype != dtype:
            self.buffer = np.empty((n, self.kernel.shape[1]), dtype=dtype)
        y = self.buffer[:n]
        np.matmul(x, self.kernel, out=y)
        if self.bias is not None:
            y += self.bias
        return apply_activation(y, self.name, self.fn)


class ConvStep:
    """A Conv2D, a BatchNormalization folded into it, its (or a following) activation, and a
    following MaxPooling2D, as the layer's convolution op (fused with the pooling)."""

    def __init__(self, layer, bn=None, activation=None, pool=None):
        self.layer, self.bn, self.pool = layer, bn, pool
        self.fn = activation if activation is not None else layer.activation
        self.relu = self.fn is F.relu

    def prepare(self):
        kernel, bias = folded(self.layer, self.bn)
        self.kernel, self.bias = Tensor(kernel), None if bias is None else Tensor(bias)

    def __call__(self, x):
        conv, x = self.layer, Tensor(x)
        args = dict(strides=conv.strides, padding=conv.padding, dilation_rate=conv.dilation_rate,
                    relu=self.relu)
        if self.pool is not None and self.fn in (F.relu, F.linear):
            pool = self.pool
            return F.conv2d_max_pool(x, self.kernel, self.bias, **args, pool_size=pool.pool_size,
                                     pool_strides=pool.strides, pool_padding=pool.padding).data
        y = F.conv2d(x, self.kernel, self.bias, **args).data
        if not self.relu:
            y = apply_activation(y, IN_PLACE.get(self.fn), self.fn)
        if self.pool is not None:
            y = self.pool.call(Tensor(y)).data
        return y


class LayerStep:
    """Any other planned layer: its ``call`` at ``training=False``, without a graph."""

    def __init__(self, layer):
        self.layer = layer

    def prepare(self):
        pass

    def __call__(self, x):
        return self.layer.call(Tensor(x), training=False).data


class ScaleShiftStep:
    """A BatchNormalization on its own (nothing to fold it into): ``x * s + t`` on the last axis."""

    def __init__(self, layer):
        self.layer = layer

    def prepare(self):
        s, t = bn_scale_shift(self.layer)
        self.s, self.t = s.astype(self.layer.moving_mean.dtype), t.astype(self.layer.moving_mean.dtype)

    def __call__(self, x):
        y = x * self.s
        y += self.t
        return y


def compile_steps(layers):
    """The steps for ``layers`` (all ``plannable``): folds each BatchNormalization on the last
    axis into the Dense/Conv2D before it when that one has no activation, takes an Activation
    and a MaxPooling2D after a Conv2D into its step, and leaves Dropout out."""
    steps, i = [], 0
    while i < len(layers):
        layer = layers[i]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if type(layer) is Dropout:
            i += 1
            continue
        if type(layer) in (Dense, Conv2D):
            bn = activation = pool = None
            j = i + 1
            if (layer.activation is F.linear and type(nxt) is BatchNormalization
                    and nxt.axis in (-1, len(nxt._built_shape) - 1)):
                bn, j = nxt, j + 1
            after = layers[j] if j < len(layers) else None
            if layer.activation is F.linear and type(after) is Activation:
                activation, j = after.activation, j + 1
            after = layers[j] if j < len(layers) else None
            if type(layer) is Conv2D and type(after) is MaxPooling2D:
                pool, j = after, j + 1
            steps.append(DenseStep(layer, bn, activation) if type(layer) is Dense
                         else ConvStep(layer, bn, activation, pool))
            i = j
            continue
        if type(layer) is BatchNormalization and layer.axis in (-1, len(layer._built_shape) - 1):
            steps.append(ScaleShiftStep(layer))
        elif type(layer) is Activation and IN_PLACE.get(layer.activation) in ("relu", "softmax"):
            steps.append(ActivationStep(layer.activation))
        else:
            steps.append(LayerStep(layer))
        i += 1
    return steps


class ActivationStep:
    """An Activation layer in place (its input is a buffer of the plan or a fresh array)."""

    def __init__(self, fn):
        self.fn, self.name = fn, IN_PLACE.get(fn)

    def prepare(self):
        pass

    def __call__(self, x):
        return apply_activation(np.array(x, copy=True), self.name, self.fn)


class InferencePlan:
    """The steps of a ``Sequential``'s forward pass at inference (see the module docstring).
    ``prepare()`` reads the current weights (once per ``predict``); ``plan(x)`` runs a batch
    (a NumPy array) and returns the output, which may be a buffer the next batch overwrites."""

    def __init__(self, layers, dtype):
        self.key = plan_key(layers)
        self.layers = list(layers)
        self.dtype = np.dtype(dtype)
        self.steps = compile_steps(self.layers)

    def prepare(self):
        for step in self.steps:
            step.prepare()

    def predict(self, x):
        """``plan(x)`` in an array of its own (the next batch reuses the plan's buffers)."""
        return np.array(self(x), copy=True)

    def __call__(self, x):
        x = np.asarray(x)
        if x.dtype != self.dtype and x.dtype.kind in "fiub":
            x = x.astype(self.dtype)
        with no_grad():
            for step in self.steps:
                x = step(x)
        return x


def inference_plan(model, layers):
    """The plan for ``model`` (a ``Sequential`` with ``layers``), or None where it has none: fast
    kernels off, a layer not plannable, hooks on the model. The plan is kept on the model
    (``model._inference_plan``) and rebuilt when ``plan_key`` changes."""
    if not fast_kernels_enabled() or not layers or model.observed:
        return None
    if not all(plannable(layer) for layer in layers):
        return None
    plan = getattr(model, "_inference_plan", None)
    if plan is None or plan.key != plan_key(layers):
        plan = InferencePlan(layers, layers[0].dtype)
        model._inference_plan = plan
    return plan
