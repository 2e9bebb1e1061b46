"""Normalization: batch normalization (training and inference) and layer normalization.

Both standardize x over some axes R and then scale and shift it, feature by feature:

    mu = mean_R(x),   v = mean_R((x - mu)^2)        (the biased variance: divided by m = |R|)
    x_hat = (x - mu) / sqrt(v + eps),   y = gamma * x_hat + beta

* batch normalization (``batch_norm_train``) takes R = every axis but the channel axis: the
  statistics are per channel, over the batch (and the image's pixels, after a convolution);
* layer normalization (``layer_norm``) takes R = the feature axes: the statistics are per sample.

The backward pass, written once for both (s = 1 / sqrt(v + eps), g = dL/dy)
--------------------------------------------------------------------------
1. y = gamma * x_hat + beta gives directly
       dgamma = sum of g * x_hat,   dbeta = sum of g     (summed over the axes gamma is shared by)
   and the gradient reaching x_hat, g_hat = g * gamma.
2. x_hat_j depends on x_i directly, through mu and through v.  With dmu/dx_i = 1/m and
   dv/dx_i = 2 (x_i - mu) / m (the mu-path of v cancels, since sum_j (x_j - mu) = 0):
       d x_hat_j / d x_i = s * (delta_ij - 1/m - x_hat_i * x_hat_j / m).
3. Summing g_hat_j times that over j (the chain rule) gives the closed form
       dx = s * (g_hat - mean_R(g_hat) - x_hat * mean_R(g_hat * x_hat)).
   Read it as: the gradient, minus its mean (mu moved with x), minus its component along x_hat
   (v moved with x).  For batch normalization gamma is constant over R, so
       dx = (gamma * s) * (g - mean_R(g) - x_hat * mean_R(g * x_hat)),
   and mean_R(g) = dbeta / m, mean_R(g * x_hat) = dgamma / m reuse the sums of step 1.

At inference batch normalization uses fixed statistics (the moving averages), so it is an
affine map per channel, y = x * a + b with a = gamma * s, b = beta - mean * a (``batch_norm``).

Everything is computed in the input's dtype: float32 stays float32.
"""
from ..autograd import Function
from ..backend import fast_kernels_enabled
from ..kernels import normalization as fast
from ..ops import backward_by_recomputing, lift, mean, sqrt


def _channel_axis(ndim, axis, name):
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ValueError(f"{name}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for an input with {ndim} axes")
    return axis % ndim


def _norm_axes(ndim, axis, name):
    """``axis`` (an int or a sequence of ints) as a sorted tuple of non-negative axes."""
    axes = (axis,) if isinstance(axis, int) and not isinstance(axis, bool) else tuple(axis)
    if not axes:
        raise ValueError(f"{name}: axis must name at least one axis")
    out = []
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool) or not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a!r} is out of range for an input with {ndim} axes")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def _param(value, x, shape, what, name, default):
    """gamma/beta/mean/variance as a tensor of ``shape`` in x's dtype (a constant if None)."""
    if value is None:
        return lift(x.xp.full(shape, default, dtype=x.dtype), x)
    value = lift(value, x)
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"{name}: {what} must have shape {tuple(shape)} to match an input of shape "
                         f"{tuple(x.shape)}, got shape {tuple(value.shape)}")
    return value


def _channel_sum(xp, reduce, bshape, a, b=None):
    """sum(a) (or sum(a * b)) over the axes ``reduce``, shaped ``bshape`` (keepdims)."""
    if fast_kernels_enabled():
        return fast.channel_sum(xp, reduce, bshape, a, b)
    return (a if b is None else a * b).sum(axis=reduce, keepdims=True)


def _per_channel_layout(xp, x, axis, bshape):
    """(view of x, per_channel) for elementwise work with per-channel vectors (shape (C,) or
    ``bshape``): ``view op per_channel(v)`` broadcasts v along the channel axis: here x itself
    and v reshaped to ``bshape`` (the fast kernel uses a wider view of the same numbers)."""
    if fast_kernels_enabled():
        return fast.per_channel_layout(xp, x, axis, bshape)
    return x, lambda v: v.reshape(bshape)


# ------------------------------------------------------------ batch norm, training
class BatchNormTrain(Function):
    """Batch normalization with the batch's own statistics (training mode), one fused op.

    forward(x, gamma, beta, axis, epsilon, stats): gamma and beta have shape (C,), C =
    x.shape[axis].  The statistics are taken over every axis but ``axis``:
        mu = mean(x),  v = mean((x - mu)^2)  (biased),  x_hat = (x - mu) / sqrt(v + eps)
        y = gamma * x_hat + beta.
    A Function returns one array, so the batch mean and variance (each (C,)) are appended to
    the list ``stats`` when one is given (``batch_norm_train`` does this).

    backward (see the module docstring for the derivation), s = 1 / sqrt(v + eps), means over
    the m reduced elements of each channel:
        dx     = gamma * s * (g - mean(g) - x_hat * mean(g * x_hat))
        dgamma = sum(g * x_hat),   dbeta = sum(g).
    """

    def forward(self, x, gamma, beta, axis=-1, epsilon=1e-3, stats=None):
        xp = self.xp
        axis = axis % x.ndim
        self.axis, self.epsilon = axis, epsilon
        reduce = tuple(a for a in range(x.ndim) if a != axis)
        bshape = [1] * x.ndim
        bshape[axis] = x.shape[axis]
        m = x.size // x.shape[axis]
        view, per_channel = _per_channel_layout(xp, x, axis, bshape)
        mean = _channel_sum(xp, reduce, bshape, x) / m
        x_hat = view - per_channel(mean)
        centered = x_hat.reshape(x.shape)
        var = _channel_sum(xp, reduce, bshape, centered, centered) / m
        inv_std = 1.0 / xp.sqrt(var + x.dtype.type(epsilon))
        x_hat *= per_channel(inv_std)
        y = x_hat * per_channel(gamma)
        y += per_channel(beta)
        if stats is not None:
            stats.extend((mean.reshape(-1), var.reshape(-1)))
        if self.needs_grad:                         # only backward needs these
            self.x_hat, self.inv_std, self.gamma = x_hat, inv_std, gamma
            self.reduce, self.m, self.bshape, self.per_channel = reduce, m, bshape, per_channel
        return y.reshape(x.shape)

    def backward(self, g):
        x_hat, reduce, bshape, per_channel = self.x_hat, self.reduce, self.bshape, self.per_channel
        dbeta = _channel_sum(self.xp, reduce, bshape, g)
        dgamma = _channel_sum(self.xp, reduce, bshape, g, x_hat.reshape(g.shape))
        dx = None
        if self.needs_grad[0]:
            dx = g.reshape(x_hat.shape) - per_channel(dbeta / self.m)
            dx -= x_hat * per_channel(dgamma / self.m)
            dx *= per_channel(self.gamma.reshape(bshape) * self.inv_std)
            dx = dx.reshape(g.shape)
        return (dx, dgamma.reshape(-1) if self.needs_grad[1] else None,
                dbeta.reshape(-1) if self.needs_grad[2] else None)

    def backward_graph(self, g):
        """Second derivatives: the gradients of ``normalize_graph`` (the formulas with Tensor ops)."""
        reduce = tuple(a for a in range(g.ndim) if a != self.axis)
        return backward_by_recomputing(self, g, lambda x, gamma, beta: normalize_graph(
            x, gamma, beta, reduce, self.epsilon, [self.axis]))


def normalize_graph(x, gamma, beta, axes, epsilon, param_axes, mu=None, var=None):
    """gamma * (x - mu) / sqrt(var + epsilon) + beta with Tensor operations (each with its
    ``backward_graph``), the statistics over ``axes`` unless given; gamma, beta, mu and var
    hold the axes ``param_axes`` of x. The normalizations' ``backward_graph`` differentiate it."""
    pshape = [x.shape[i] if i in param_axes else 1 for i in range(x.ndim)]
    if mu is None:
        mu = mean(x, axes, keepdims=True)
        var = mean((x - mu) * (x - mu), axes, keepdims=True)
    else:
        mu, var = mu.reshape(pshape), var.reshape(pshape)
    return (x - mu) / sqrt(var + epsilon) * gamma.reshape(pshape) + beta.reshape(pshape)


def batch_norm_train(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Batch normalization in training mode: normalize with the batch's statistics.

    Returns ``(y, batch_mean, batch_var)``: ``y`` is differentiable with respect to x, gamma
    and beta; the statistics (shape (C,), the *biased* variance, as Keras uses for its moving
    average) are constants, for updating the moving averages.  gamma/beta of None mean 1/0.
    """
    x = lift(x)
    if x.dtype.kind != "f":
        x = lift(x.data.astype("float32"))
    axis = _channel_axis(x.ndim, axis, "batch_norm_train")
    c = (x.shape[axis],)
    gamma = _param(gamma, x, c, "gamma", "batch_norm_train", 1.0)
    beta = _param(beta, x, c, "beta", "batch_norm_train", 0.0)
    stats = []
    y = BatchNormTrain.apply(x, gamma, beta, axis=axis, epsilon=float(epsilon), stats=stats)
    return y, lift(stats[0], x), lift(stats[1], x)


# ----------------------------------------------------------- batch norm, inference
class BatchNorm(Function):
    """Batch normalization with given statistics (inference): y = x * a + b per channel, with
    s = 1 / sqrt(variance + eps), a = gamma * s, b = beta - mean * a.  x_hat = (x - mean) * s.

    backward (sums over every axis but the channel axis):
        dx = g * a,   dgamma = sum(g * x_hat),   dbeta = sum(g),
        dmean = -a * sum(g),   dvariance = -gamma * s^3 / 2 * sum(g * (x - mean)).
    """

    def forward(self, x, gamma, beta, mean, variance, axis=-1, epsilon=1e-3):
        xp = self.xp
        axis = axis % x.ndim
        self.axis, self.epsilon = axis, epsilon
        bshape = [1] * x.ndim
        bshape[axis] = x.shape[axis]
        inv_std = (1.0 / xp.sqrt(variance + x.dtype.type(epsilon))).reshape(bshape)
        a = gamma.reshape(bshape) * inv_std
        b = beta.reshape(bshape) - mean.reshape(bshape) * a
        view, per_channel = _per_channel_layout(xp, x, axis, bshape)
        y = view * per_channel(a)
        y += per_channel(b)
        y = y.reshape(x.shape)
        if self.needs_grad:
            self.reduce = tuple(i for i in range(x.ndim) if i != axis)
            self.a, self.inv_std, self.gamma = a, inv_std, gamma.reshape(bshape)
            if self.needs_grad[1] or self.needs_grad[4]:
                self.centered = x - mean.reshape(bshape)
        return y

    def backward(self, g):
        need, reduce = self.needs_grad, self.reduce
        dx = g * self.a if need[0] else None
        dgamma = dvar = None
        if need[1] or need[4]:
            gc = (g * self.centered).sum(axis=reduce).reshape(-1)      # sum(g * (x - mean))
            s = self.inv_std.reshape(-1)
            dgamma = gc * s if need[1] else None
            dvar = -0.5 * self.gamma.reshape(-1) * s ** 3 * gc if need[4] else None
        gsum = g.sum(axis=reduce).reshape(-1) if need[2] or need[3] else None
        dbeta = gsum if need[2] else None
        dmean = -self.a.reshape(-1) * gsum if need[3] else None
        return dx, dgamma, dbeta, dmean, dvar

    def backward_graph(self, g):
        return backward_by_recomputing(self, g, lambda x, gamma, beta, mu, var: normalize_graph(
            x, gamma, beta, None, self.epsilon, [self.axis], mu, var))


def batch_norm(x, gamma, beta, mean, variance, epsilon=1e-3, axis=-1):
    """Batch normalization with fixed statistics (inference mode):
    ``y = gamma * (x - mean) / sqrt(variance + epsilon) + beta``, per channel of ``axis``.

    gamma, beta, mean and variance have shape (C,), C = x.shape[axis]; gamma/beta of None mean
    1/0.  Differentiable with respect to all five (see ``BatchNorm``).
    """
    x = lift(x)
    if x.dtype.kind != "f":
        x = lift(x.data.astype("float32"))
    axis = _channel_axis(x.ndim, axis, "batch_norm")
    c = (x.shape[axis],)
    params = [_param(v, x, c, what, "batch_norm", default) for v, what, default in (
        (gamma, "gamma", 1.0), (beta, "beta", 0.0), (mean, "mean", 0.0), (variance, "variance", 1.0))]
    return BatchNorm.apply(x, *params, axis=axis, epsilon=float(epsilon))


# ------------------------------------------------------------------- layer norm
class LayerNorm(Function):
    """Layer normalization over the axes ``axes`` (a sorted tuple), one fused op.

    forward(x, gamma, beta, axes, epsilon): gamma and beta have the shape of x at ``axes``
    (e.g. (F,) for the last axis); the statistics are per sample, over ``axes``:
        x_hat = (x - mean) / sqrt(var + eps),   y = gamma * x_hat + beta.

    backward (module docstring), s = 1 / sqrt(var + eps), g_hat = g * gamma, means over ``axes``:
        dx     = s * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))
        dgamma = sum(g * x_hat),   dbeta = sum(g)   (summed over the other axes).

    Over the last axis, with fast kernels on, ``kernels/normalization.py`` computes the same
    formulas with the per-row means as matrix-vector products.
    """

    def forward(self, x, gamma, beta, axes=(-1,), epsilon=1e-3):
        xp = self.xp
        axes = tuple(sorted(a % x.ndim for a in axes))
        self.norm_axes, self.epsilon = axes, epsilon
        self.fast = axes == (x.ndim - 1,) and x.dtype == gamma.dtype == beta.dtype and fast_kernels_enabled()
        if self.fast:                   # the last axis (a transformer's): kernels/normalization.py
            y, self.x_hat, self.inv_std = fast.layer_norm_forward(x, gamma, beta, epsilon)
            self.gamma = gamma
            return y
        pshape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
        mean = x.mean(axis=axes, keepdims=True)
        x_hat = x - mean
        var = xp.mean(x_hat * x_hat, axis=axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + x.dtype.type(epsilon))
        x_hat *= inv_std
        gamma_b = gamma.reshape(pshape)
        y = x_hat * gamma_b
        y += beta.reshape(pshape)
        if self.needs_grad:
            self.x_hat, self.inv_std, self.gamma_b, self.axes = x_hat, inv_std, gamma_b, axes
            self.others = tuple(i for i in range(x.ndim) if i not in axes)
            self.param_shape = gamma.shape
        return y

    def backward(self, g):
        if self.fast:
            return fast.layer_norm_backward(g, self.x_hat, self.inv_std, self.gamma, self.needs_grad)
        need, x_hat, others = self.needs_grad, self.x_hat, self.others
        dx = dgamma = dbeta = None
        if need[0]:
            g_hat = g * self.gamma_b
            dx = g_hat - g_hat.mean(axis=self.axes, keepdims=True)
            g_hat *= x_hat
            dx -= x_hat * g_hat.mean(axis=self.axes, keepdims=True)
            dx *= self.inv_std
        if need[1]:
            dgamma = (g * x_hat).sum(axis=others).reshape(self.param_shape)
        if need[2]:
            dbeta = g.sum(axis=others).reshape(self.param_shape)
        return dx, dgamma, dbeta

    def backward_graph(self, g):
        axes = self.norm_axes
        return backward_by_recomputing(self, g, lambda x, gamma, beta: normalize_graph(
            x, gamma, beta, axes, self.epsilon, axes))


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Layer normalization: standardize each sample over ``axis`` (an int or a sequence of ints),
    then ``y = gamma * x_hat + beta``.  gamma/beta have the shape of x at those axes (in
    increasing axis order); None means 1/0.  Keras's LayerNormalization default epsilon is 1e-3.
    """
    x = lift(x)
    if x.dtype.kind != "f":
        x = lift(x.data.astype("float32"))
    axes = _norm_axes(x.ndim, axis, "layer_norm")
    shape = tuple(x.shape[a] for a in axes)
    gamma = _param(gamma, x, shape, "gamma", "layer_norm", 1.0)
    beta = _param(beta, x, shape, "beta", "layer_norm", 0.0)
    return LayerNorm.apply(x, gamma, beta, axes=axes, epsilon=float(epsilon))
