"""Elementwise functions (exp, log, log1p, sqrt, sin, cos, abs, clip, maximum, where, casts) and
comparisons.

Each ``backward_graph`` is the derivative written with Tensor operations on ``self.inputs``,
for second derivatives (``grad(..., create_graph=True)``); where a derivative is a 0/1 mask
(abs, clip, maximum, where), the mask is a constant: its own derivative is 0."""
import numpy as np

from ..autograd import Function, Tensor
from ..backend import array_module
from .constants import lift, operands


class Exp(Function):
    """out = e^x;  dx = g * e^x."""
    def forward(self, x):
        self.out = self.xp.exp(x)
        return self.out

    def backward(self, g):
        return g * self.out

    def backward_graph(self, g):
        return g * exp(self.inputs[0])


class Log(Function):
    """out = ln x;  dx = g / x."""
    def forward(self, x):
        self.x = x
        return self.xp.log(x)

    def backward(self, g):
        return g / self.x

    def backward_graph(self, g):
        return g / self.inputs[0]


class Log1p(Function):
    """out = ln(1 + x), accurate for tiny x;  dx = g / (1 + x)."""
    def forward(self, x):
        self.x = x
        return self.xp.log1p(x)

    def backward(self, g):
        return g / (1 + self.x)

    def backward_graph(self, g):
        return g / (1 + self.inputs[0])


class Sin(Function):
    """out = sin x;  dx = g * cos x."""
    def forward(self, x):
        self.x = x
        return self.xp.sin(x)

    def backward(self, g):
        return g * self.xp.cos(self.x)

    def backward_graph(self, g):
        return g * cos(self.inputs[0])


class Cos(Function):
    """out = cos x;  dx = -g * sin x."""
    def forward(self, x):
        self.x = x
        return self.xp.cos(x)

    def backward(self, g):
        return -g * self.xp.sin(self.x)

    def backward_graph(self, g):
        return -g * sin(self.inputs[0])


class Sqrt(Function):
    """out = sqrt(x);  dx = g / (2 sqrt(x))."""
    def forward(self, x):
        self.out = self.xp.sqrt(x)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)

    def backward_graph(self, g):
        return g / (2 * sqrt(self.inputs[0]))


class Abs(Function):
    """out = |x|;  dx = g * sign(x)  (0 at x = 0, as PyTorch)."""
    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, g):
        return g * self.xp.sign(self.x)

    def backward_graph(self, g):
        return g * Tensor.wrap(self.xp.sign(self.x))


class Clip(Function):
    """out = min(max(x, lo), hi);  dx = g where lo <= x <= hi, else 0 (as PyTorch's clamp)."""
    def forward(self, x, lo, hi):
        self.x, self.lo, self.hi = x, lo, hi
        if lo is None and hi is None:
            return x.copy()
        return self.xp.clip(x, lo, hi)

    def backward(self, g):
        return self.xp.where(self.inside(), g, 0)

    def backward_graph(self, g):
        return where(self.inside(), g, 0.0)

    def inside(self):
        """The mask lo <= x <= hi (True where a bound is None)."""
        inside = True
        if self.lo is not None:
            inside = self.x >= self.lo
        if self.hi is not None:
            inside = inside & (self.x <= self.hi)
        return self.xp.broadcast_to(inside, self.x.shape)


class Maximum(Function):
    """out = max(a, b) elementwise;  the larger input gets g, a tie splits it g/2 + g/2."""
    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.maximum(a, b)

    def backward(self, g):
        xp, a, b = self.xp, self.a, self.b
        half = g * 0.5
        ga = xp.where(a > b, g, xp.where(a == b, half, 0)) if self.needs_grad[0] else None
        gb = xp.where(b > a, g, xp.where(a == b, half, 0)) if self.needs_grad[1] else None
        return ga, gb

    def backward_graph(self, g):
        a, b = self.a, self.b             # arrays: only their order matters
        half = g * 0.5
        ga = where(a > b, g, where(a == b, half, 0.0)) if self.needs_grad[0] else None
        gb = where(b > a, g, where(a == b, half, 0.0)) if self.needs_grad[1] else None
        return ga, gb


class Minimum(Maximum):
    """out = min(a, b) elementwise;  the smaller input gets g, a tie splits it g/2 + g/2."""
    def forward(self, a, b):
        self.a, self.b = -a, -b           # min(a, b) = -max(-a, -b): same routing of g
        return self.xp.minimum(a, b)


class Where(Function):
    """out = x where cond else y;  dx = g where cond,  dy = g elsewhere (cond has no gradient)."""
    def forward(self, x, y, cond):
        self.cond = cond
        return self.xp.where(cond, x, y)

    def backward(self, g):
        xp, c = self.xp, self.cond
        return (xp.where(c, g, 0) if self.needs_grad[0] else None,
                xp.where(c, 0, g) if self.needs_grad[1] else None)

    def backward_graph(self, g):
        c = self.cond
        return (where(c, g, 0.0) if self.needs_grad[0] else None,
                where(c, 0.0, g) if self.needs_grad[1] else None)


class AsType(Function):
    """out = x converted to another dtype;  dx = g converted back."""
    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)

    backward_graph = backward            # Tensor.astype is this op again


def exp(x):
    """Elementwise e^x."""
    return Exp.apply(lift(x))


def log(x):
    """Elementwise natural logarithm."""
    return Log.apply(lift(x))


def log1p(x):
    """Elementwise ln(1 + x)."""
    return Log1p.apply(lift(x))


def sin(x):
    """Elementwise sine (radians)."""
    return Sin.apply(lift(x))


def cos(x):
    """Elementwise cosine (radians)."""
    return Cos.apply(lift(x))


def sqrt(x):
    """Elementwise square root."""
    return Sqrt.apply(lift(x))


def abs(x):
    """Elementwise absolute value."""
    return Abs.apply(lift(x))


def clip(x, min=None, max=None):
    """Limit values to ``[min, max]`` (either bound may be None)."""
    return Clip.apply(lift(x), lo=min, hi=max)


def maximum(a, b):
    """Elementwise maximum of two tensors (broadcasting)."""
    return Maximum.apply(*operands(a, b))


def minimum(a, b):
    """Elementwise minimum of two tensors (broadcasting)."""
    return Minimum.apply(*operands(a, b))


def where(cond, x, y):
    """``x`` where ``cond`` is true, else ``y`` (all three broadcast)."""
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    x, y = operands(x, y)
    return Where.apply(x, y, cond=cond.astype(bool, copy=False))


def astype(x, dtype):
    """``x`` converted to ``dtype``."""
    return AsType.apply(lift(x), dtype=np.dtype(dtype))


def compare(a, b, name):
    """Elementwise comparison (``name`` is a NumPy ufunc such as 'less'): a boolean tensor, no gradient."""
    a, b = operands(a, b)
    return Tensor.wrap(getattr(array_module(a.data), name)(a.data, b.data))
