"""Activation functions, each with its formula and its derivative.

Written as in a course: ``f(x)`` is the activation, ``f'(x)`` its derivative,
and the backward pass of each is ``dx = g * f'(x)`` (``g`` = gradient from above).
The ones whose derivative is cheapest written from the output (sigmoid, tanh,
softmax) keep their output for the backward pass.

``backward_graph`` (second derivatives, ``grad(..., create_graph=True)``) is the same
derivative written with Tensor operations on the input ``self.inputs[0]``; a 0/1 derivative
(relu) is a constant mask.
"""
import numpy as np

from ..autograd import Function, Tensor
from ..backend import fast_kernels_enabled
from ..kernels import activations as fast
from ..ops import lift, exp, minimum, reshape, where
from ..ops import max as reduce_max
from ..registry import Registry
from ._special import erf, erf_tensor

# SELU's constants (Klambauer et al., 2017), as in Keras and PyTorch.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# Python floats, not NumPy float64 scalars: under NumPy 2 a float64 scalar would
# promote float32 arrays to float64.
_SQRT_HALF = float(np.sqrt(0.5))
_SQRT_2_OVER_PI = float(np.sqrt(2 / np.pi))
_INV_SQRT_2PI = float(1 / np.sqrt(2 * np.pi))


def logistic(x, xp=np):
    """Numerically stable logistic function on an array: never computes exp of a large positive number."""
    e = xp.exp(-xp.abs(x))                   # in (0, 1]: no overflow
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    """f(x) = 1 / (1 + e^-x);  f'(x) = f(x) (1 - f(x)) <= 0.25."""
    def forward(self, x):
        self.y = logistic(x, self.xp)
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)

    def backward_graph(self, g):
        y = Sigmoid.apply(self.inputs[0])
        return g * y * (1 - y)


class Tanh(Function):
    """f(x) = (e^x - e^-x) / (e^x + e^-x);  f'(x) = 1 - f(x)^2 <= 1."""
    def forward(self, x):
        self.y = self.xp.tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)

    def backward_graph(self, g):
        y = Tanh.apply(self.inputs[0])
        return g * (1 - y * y)


class ReLU(Function):
    """f(x) = max(0, x);  f'(x) = 1 if x > 0 else 0."""
    def forward(self, x):
        self.x = x
        return self.xp.maximum(x, 0)

    def backward(self, g):
        return g * (self.x > 0)          # a multiply by the 0/1 mask: many times faster than where()

    def backward_graph(self, g):
        return g * Tensor.wrap((self.x > 0).astype(g.dtype))


class LeakyReLU(Function):
    """f(x) = x if x > 0 else alpha x;  f'(x) = 1 if x > 0 else alpha."""
    def forward(self, x, alpha):
        self.x, self.alpha = x, alpha
        return self.xp.where(x > 0, x, x * alpha)

    def backward(self, g):
        slope = (self.x > 0).astype(g.dtype)         # 1 where x > 0, else alpha
        slope *= 1 - self.alpha
        slope += self.alpha
        return g * slope

    def backward_graph(self, g):
        return g * Tensor.wrap(self.xp.where(self.x > 0, 1.0, self.alpha).astype(g.dtype))


class ELU(Function):
    """f(x) = x if x > 0 else alpha (e^x - 1);  f'(x) = 1 if x > 0 else alpha e^x = f(x) + alpha.

    With ``scale`` (SELU): f is multiplied by ``scale`` and so is f'.
    """
    def forward(self, x, alpha, scale):
        xp = self.xp
        self.x, self.alpha, self.scale = x, alpha, scale
        self.neg = alpha * xp.expm1(xp.minimum(x, 0))   # alpha (e^x - 1) for x <= 0; no overflow
        return scale * xp.where(x > 0, x, self.neg)

    def backward(self, g):
        return g * (self.scale * self.xp.where(self.x > 0, 1, self.neg + self.alpha))

    def backward_graph(self, g):
        x = self.inputs[0]                              # alpha e^x for x <= 0, 1 above
        return g * (self.scale * where(self.x > 0, 1.0, self.alpha * exp(minimum(x, 0.0))))


class GELU(Function):
    """Gaussian Error Linear Unit: f(x) = x Phi(x), Phi the standard normal CDF.

    exact:        Phi(x) = (1 + erf(x / sqrt 2)) / 2,  f'(x) = Phi(x) + x phi(x),
                  phi(x) = e^(-x^2/2) / sqrt(2 pi)
    approximate:  f(x) = x (1 + tanh(u)) / 2,  u = sqrt(2/pi) (x + 0.044715 x^3),
                  f'(x) = (1 + tanh u)/2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2

    (``kernels/activations.py`` computes the exact one in float32 faster, f'(x) with f(x).)
    """
    def forward(self, x, approximate):
        xp = self.xp
        self.x, self.approximate = x, approximate
        self.derivative = None
        if not approximate and fast.applies(x) and fast_kernels_enabled():
            y, derivative = fast.gelu_forward(x, derivative=bool(self.needs_grad))
            if self.needs_grad:
                self.derivative = derivative
            return y
        if approximate:
            self.t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + erf(x * _SQRT_HALF))
        return x * self.cdf

    def backward(self, g):
        x, xp = self.x, self.xp
        if self.derivative is not None:
            return g * self.derivative
        if self.approximate:
            t = self.t
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = xp.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (self.cdf + x * pdf)

    def backward_graph(self, g):
        x = self.inputs[0]
        if self.approximate:
            t = Tanh.apply(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        cdf = 0.5 * (1 + erf_tensor(x * _SQRT_HALF))
        return g * (cdf + x * exp(-0.5 * x * x) * _INV_SQRT_2PI)


class Softplus(Function):
    """f(x) = ln(1 + e^x)  (computed as logaddexp(0, x): no overflow);  f'(x) = sigmoid(x)."""
    def forward(self, x):
        self.x = x
        return self.xp.logaddexp(0, x)

    def backward(self, g):
        return g * logistic(self.x, self.xp)

    def backward_graph(self, g):
        return g * Sigmoid.apply(self.inputs[0])


class SiLU(Function):
    """Swish / SiLU: f(x) = x sigmoid(x);  f'(x) = s(x) (1 + x (1 - s(x))), s = sigmoid."""
    def forward(self, x):
        self.x, self.s = x, logistic(x, self.xp)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))

    def backward_graph(self, g):
        x = self.inputs[0]
        s = Sigmoid.apply(x)
        return g * (s * (1 + x * (1 - s)))


class Softmax(Function):
    """y_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j (the shift changes nothing but avoids overflow).

    Jacobian dy_i/dx_j = y_i (delta_ij - y_j), so  dx = y * (g - sum(g * y)).
    """
    def forward(self, x, axis):
        xp = self.xp
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        self.y, self.axis = e / e.sum(axis=axis, keepdims=True), axis
        return self.y

    def backward(self, g):
        y = self.y
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))

    def backward_graph(self, g):
        y = Softmax.apply(self.inputs[0], axis=self.axis)
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^(x_j)  (computed after subtracting the max: stable);
    dx = g - softmax(x) * sum(g)."""
    def forward(self, x, axis):
        xp = self.xp
        shifted = x - x.max(axis=axis, keepdims=True)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.y

    def backward(self, g):
        return g - self.xp.exp(self.y) * g.sum(axis=self.axis, keepdims=True)

    def backward_graph(self, g):
        y = LogSoftmax.apply(self.inputs[0], axis=self.axis)
        return g - exp(y) * g.sum(axis=self.axis, keepdims=True)


# ---------------------------------------------------------------- functions
def linear(x):
    """Identity: f(x) = x, f'(x) = 1 (the output of a regression network)."""
    return lift(x)


def step(x):
    """Heaviside step (the perceptron's activation): 1 if x > 0 else 0.

    Its derivative is 0 almost everywhere, so no gradient flows through it:
    this is why the perceptron has its own learning rule and MLPs use sigmoid.
    """
    x = lift(x)
    return Tensor.wrap((x.data > 0).astype(x.data.dtype))   # a constant: no graph


def sigmoid(x):
    """Logistic sigmoid, s(x) = 1 / (1 + e^-x), in (0, 1).

    s'(x) = s(x)(1 - s(x)), at most 0.25 (at x = 0): stacking many sigmoid
    layers multiplies gradients by <= 0.25 each, which makes them vanish.
    Stable for large |x| (it never evaluates e^x for large positive x).
    """
    x = lift(x)
    out = Sigmoid.apply(x)
    out.source_logits = ("sigmoid", x)
    return out


def tanh(x):
    """Hyperbolic tangent, in (-1, 1);  tanh'(x) = 1 - tanh(x)^2, at most 1 (at x = 0)."""
    return Tanh.apply(lift(x))


def relu(x):
    """Rectified linear unit, max(0, x);  relu'(x) = 1 for x > 0, 0 for x <= 0.

    The gradient does not shrink for positive inputs (no vanishing), but a unit
    whose input is always negative never learns again (a "dead" ReLU).
    """
    return ReLU.apply(lift(x))


def leaky_relu(x, alpha=0.3):
    """x for x > 0, alpha * x otherwise (Keras's default alpha is 0.3, PyTorch's 0.01);
    derivative 1 or alpha."""
    return LeakyReLU.apply(lift(x), alpha=alpha)


def elu(x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha (e^x - 1) otherwise;
    derivative 1 or alpha e^x (smooth at 0 when alpha = 1)."""
    return ELU.apply(lift(x), alpha=alpha, scale=1.0)


def selu(x):
    """Scaled ELU: scale * elu(x, alpha) with alpha = 1.67326..., scale = 1.05070...
    (self-normalising: keeps activations near mean 0, variance 1 with lecun_normal init)."""
    return ELU.apply(lift(x), alpha=SELU_ALPHA, scale=SELU_SCALE)


def gelu(x, approximate=False):
    """Gaussian error linear unit, x * Phi(x) (Phi: standard normal CDF); ``approximate=True``
    uses the tanh formula.  f'(x) = Phi(x) + x phi(x)."""
    return GELU.apply(lift(x), approximate=approximate)


def softplus(x):
    """ln(1 + e^x), a smooth ReLU;  softplus'(x) = sigmoid(x)."""
    return Softplus.apply(lift(x))


def silu(x):
    """SiLU / swish: x * sigmoid(x);  f'(x) = s(x)(1 + x(1 - s(x)))."""
    return SiLU.apply(lift(x))


swish = silu


def softsign(x):
    """x / (1 + |x|), in (-1, 1);  f'(x) = 1 / (1 + |x|)^2."""
    x = lift(x)
    return x / (1 + abs(x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid (Keras 3): relu6(x + 3) / 6, i.e. 0 below -3, 1 above 3;
    derivative 1/6 in between, 0 outside."""
    return relu6(lift(x) + 3) * (1 / 6)


def relu6(x):
    """min(max(0, x), 6);  derivative 1 on (0, 6), 0 outside."""
    return minimum(relu(x), 6)


def exponential(x):
    """e^x;  derivative e^x."""
    return exp(x)


def mish(x):
    """x * tanh(softplus(x));  a smooth, non-monotonic activation."""
    x = lift(x)
    return x * tanh(softplus(x))


def softmax(x, axis=-1, temperature=1.0):
    """Turns scores into probabilities that sum to 1 along ``axis``:
    y_i = e^(x_i / T) / sum_j e^(x_j / T), computed after subtracting the max (no overflow at 1e4).

    ``temperature`` T > 0 divides the scores first (softmax(x / T)): T = 1 is the plain softmax,
    T < 1 sharpens the distribution (towards the one-hot of the largest score), T > 1 flattens it
    (towards uniform). Sampling text with a temperature is this knob; what T -> 0 means (taking
    the argmax) is the sampler's choice, so T must be a positive number here.

    With z = x / T: dy_i/dz_j = y_i (delta_ij - y_j); backward: dx = y * (g - sum(g * y)) / T.
    """
    x = lift(x)
    number = isinstance(temperature, (int, float, np.integer, np.floating))
    if isinstance(temperature, bool) or not number or not 0 < temperature < float("inf"):
        raise ValueError(f"softmax: temperature must be a positive finite number (softmax(x / T): "
                         f"T < 1 sharper, T > 1 flatter), got {temperature!r}")
    if temperature != 1:
        x = x / float(temperature)
    out = Softmax.apply(x, axis=axis)
    if axis == -1 or axis == x.ndim - 1:
        out.source_logits = ("softmax", x)
    return out


def log_softmax(x, axis=-1):
    """log(softmax(x)) computed stably: x_i - max - log sum_j e^(x_j - max).

    backward: dx = g - softmax(x) * sum(g).
    """
    return LogSoftmax.apply(lift(x), axis=axis)


def maxout(x, pieces):
    """Maxout (Goodfellow et al., 2013): the last axis holds ``units * pieces`` values;
    unit i outputs the maximum of its ``pieces`` consecutive values.  The gradient goes
    to the winning piece (shared between ties)."""
    x = lift(x)
    n = x.shape[-1]
    if pieces <= 0 or n % pieces:
        raise ValueError(f"maxout: the last axis ({n}) must be a multiple of pieces={pieces}")
    return reduce_max(reshape(x, x.shape[:-1] + (n // pieces, pieces)), axis=-1)


#: The activation names (Keras's), case-insensitive: ``ACTIVATIONS["relu"]`` is ``relu``.
ACTIVATIONS = Registry("activation", accepts=callable)
for _fn in (linear, step, sigmoid, tanh, relu, leaky_relu, elu, selu, gelu, softplus, silu, softsign,
            hard_sigmoid, relu6, exponential, mish, softmax, log_softmax):
    ACTIVATIONS.add(_fn)
ACTIVATIONS.add(swish, "swish")          # swish is silu under its other name
del _fn


def get_activation(identifier):
    """An activation function from its name ('relu'), a callable, or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        return ACTIVATIONS.lookup(identifier)
    raise ValueError(f"unknown activation {identifier!r}: expected a name (one of {ACTIVATIONS.names()}), "
                     "a callable or None")
