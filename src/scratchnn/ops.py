"""The primitive differentiable operations: each a ``Function`` with its derivative.

Notation in the docstrings: ``g`` is the gradient arriving from above
(d loss / d out); each ``backward`` returns d loss / d input = g * d out / d input
(the chain rule), written out for that operation.  Broadcasting is undone by the
engine (``autograd.unbroadcast``), so a backward may return gradients in the
output's shape.

Every function here also accepts Python numbers, lists and ndarrays: they are
lifted to constant tensors with the floating-point dtype of the tensor they meet
(so ``x32 * 0.5`` stays float32).
"""
import builtins
import numbers

import numpy as np

from .autograd import Function, Tensor
from .backend import DEFAULT_FLOAT, array_module


def lift(value, like=None):
    """A constant (number, list, ndarray) as a tensor; floats follow ``like``'s float dtype."""
    if isinstance(value, Tensor):
        return value
    xp = array_module(like.data) if like is not None else np
    arr = xp.asarray(value)
    if like is not None and like.data.dtype.kind == "f":
        if arr.dtype != like.data.dtype and arr.dtype.kind in "biuf":
            arr = arr.astype(like.data.dtype)
    elif arr.dtype.kind == "f" and arr.dtype != DEFAULT_FLOAT:
        arr = arr.astype(DEFAULT_FLOAT)
    return Tensor.wrap(arr)


def _operands(a, b):
    if not isinstance(a, Tensor):
        a = lift(a, b if isinstance(b, Tensor) else None)
    if not isinstance(b, Tensor):
        b = lift(b, a)
    return a, b


def _expand_reduced(g, shape, axis, keepdims):
    """Undo a reduction's shape change: re-insert reduced axes, broadcast to ``shape``."""
    if not keepdims and axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


# --------------------------------------------------------------- arithmetic
class Add(Function):
    """out = a + b;  da = g,  db = g."""
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """out = a - b;  da = g,  db = -g."""
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_grad[1] else None)


class Mul(Function):
    """out = a * b;  da = g * b,  db = g * a."""
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return (g * self.b if self.needs_grad[0] else None,
                g * self.a if self.needs_grad[1] else None)


class Div(Function):
    """out = a / b;  da = g / b,  db = -g * a / b^2."""
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        ga = g / self.b
        return ga, (-ga * self.a / self.b if self.needs_grad[1] else None)


class Neg(Function):
    """out = -x;  dx = -g."""
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class PowScalar(Function):
    """out = x ** p for a constant p;  dx = g * p * x^(p-1)."""
    def forward(self, x, p):
        self.x, self.p = x, p
        return x ** p

    def backward(self, g):
        if self.p == 0:                   # x^0 = 1 is constant (even at x = 0, where x^-1 is inf)
            return self.xp.zeros_like(g)
        return g * (self.p * self.x ** (self.p - 1))


class Pow(Function):
    """out = a ** b;  da = g * b * a^(b-1),  db = g * a^b * ln(a)  (0 where a = 0 and b >= 0)."""
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        xp, a, b = self.xp, self.a, self.b
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):   # the masked entries may be inf/nan
            if self.needs_grad[0]:        # b = 0: a^0 is constant, even at a = 0
                ga = g * xp.where(b == 0, 0.0, b * a ** (b - 1))
            if self.needs_grad[1]:        # a = 0: 0^b is 0 (or 1) for b >= 0, flat in b (as PyTorch)
                gb = g * xp.where((a == 0) & (b >= 0), 0.0, self.out * xp.log(a))
        return ga, gb


class MatMul(Function):
    """out = a @ b (batched over leading axes);  da = g @ b^T,  db = a^T @ g.

    A 1-D operand is treated as a row (left) or column (right) vector, as in NumPy.
    """
    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs operands with at least one dimension; use * for scalars")
        ka, kb = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            raise ValueError(f"inner dimensions differ: {ka} (last axis of the first) "
                             f"vs {kb} (second-to-last axis of the second)")
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:                  # dot product: out = sum_k a_k b_k
            return (g * b if self.needs_grad[0] else None, g * a if self.needs_grad[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a            # (..., n, k)
        b2 = b[:, None] if b.ndim == 1 else b            # (..., k, m)
        if a.ndim == 1:
            g = g[..., None, :]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if self.needs_grad[0]:
            ga = g @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(axis=0)
        if self.needs_grad[1]:
            gb = a2.swapaxes(-1, -2) @ g
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(axis=0)
        return ga, gb


def add(a, b):
    """Elementwise ``a + b`` with broadcasting."""
    return Add.apply(*_operands(a, b))


def sub(a, b):
    """Elementwise ``a - b`` with broadcasting."""
    return Sub.apply(*_operands(a, b))


def mul(a, b):
    """Elementwise ``a * b`` with broadcasting."""
    return Mul.apply(*_operands(a, b))


def div(a, b):
    """Elementwise ``a / b`` with broadcasting."""
    return Div.apply(*_operands(a, b))


def neg(x):
    """``-x``."""
    return Neg.apply(lift(x))


def power(a, b):
    """``a ** b``; a constant Python-number exponent takes the simpler ``PowScalar``."""
    if isinstance(a, Tensor) and isinstance(b, numbers.Real) and not isinstance(b, bool):
        if isinstance(b, np.generic):      # a NumPy float64 scalar would promote float32 to float64
            b = b.item()
        return PowScalar.apply(a, p=b)
    return Pow.apply(*_operands(a, b))


def matmul(a, b):
    """Matrix product ``a @ b``; leading axes are batch axes and broadcast."""
    return MatMul.apply(*_operands(a, b))


# ------------------------------------------------------------- elementwise
class Exp(Function):
    """out = e^x;  dx = g * e^x."""
    def forward(self, x):
        self.out = self.xp.exp(x)
        return self.out

    def backward(self, g):
        return g * self.out


class Log(Function):
    """out = ln x;  dx = g / x."""
    def forward(self, x):
        self.x = x
        return self.xp.log(x)

    def backward(self, g):
        return g / self.x


class Sqrt(Function):
    """out = sqrt(x);  dx = g / (2 sqrt(x))."""
    def forward(self, x):
        self.out = self.xp.sqrt(x)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


class Abs(Function):
    """out = |x|;  dx = g * sign(x)  (0 at x = 0, as PyTorch)."""
    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, g):
        return g * self.xp.sign(self.x)


class Clip(Function):
    """out = min(max(x, lo), hi);  dx = g where lo <= x <= hi, else 0 (as PyTorch's clamp)."""
    def forward(self, x, lo, hi):
        self.x, self.lo, self.hi = x, lo, hi
        if lo is None and hi is None:
            return x.copy()
        return self.xp.clip(x, lo, hi)

    def backward(self, g):
        inside = True
        if self.lo is not None:
            inside = self.x >= self.lo
        if self.hi is not None:
            inside = inside & (self.x <= self.hi)
        return self.xp.where(inside, g, 0)


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


class AsType(Function):
    """out = x converted to another dtype;  dx = g converted back."""
    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)


def exp(x):
    """Elementwise e^x."""
    return Exp.apply(lift(x))


def log(x):
    """Elementwise natural logarithm."""
    return Log.apply(lift(x))


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
    return Maximum.apply(*_operands(a, b))


def minimum(a, b):
    """Elementwise minimum of two tensors (broadcasting)."""
    return Minimum.apply(*_operands(a, b))


def where(cond, x, y):
    """``x`` where ``cond`` is true, else ``y`` (all three broadcast)."""
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    x, y = _operands(x, y)
    return Where.apply(x, y, cond=cond.astype(bool, copy=False))


def astype(x, dtype):
    """``x`` converted to ``dtype``."""
    return AsType.apply(lift(x), dtype=np.dtype(dtype))


def compare(a, b, name):
    """Elementwise comparison (``name`` is a NumPy ufunc such as 'less'): a boolean tensor, no gradient."""
    a, b = _operands(a, b)
    return Tensor.wrap(getattr(array_module(a.data), name)(a.data, b.data))


# --------------------------------------------------------------- reductions
class Sum(Function):
    """out = sum of x over ``axis``;  dx = g copied back to every summed element."""
    def forward(self, x, axis, keepdims):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(self, g):
        return _expand_reduced(g, self.shape, self.axis, self.keepdims)


class Mean(Function):
    """out = mean of x over ``axis`` (N elements each);  dx = g / N for every element."""
    def forward(self, x, axis, keepdims):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        out = x.mean(axis=axis, keepdims=keepdims)
        self.n = x.size // builtins.max(out.size, 1) if x.size else 1
        return out

    def backward(self, g):
        return _expand_reduced(g / self.n, self.shape, self.axis, self.keepdims)


class Var(Function):
    """out = mean((x - mean(x))^2) over ``axis`` (population variance, as NumPy's ddof=0);
    dx = g * 2 (x - mean(x)) / N."""
    def forward(self, x, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims
        self.centered = x - x.mean(axis=axis, keepdims=True)
        out = (self.centered * self.centered).mean(axis=axis, keepdims=keepdims)
        self.n = x.size // builtins.max(out.size, 1) if x.size else 1
        return out

    def backward(self, g):
        g = _expand_reduced(g, self.centered.shape, self.axis, self.keepdims)
        return g * self.centered * (2.0 / self.n)


class Max(Function):
    """out = max of x over ``axis``;  dx = g at the maximum (shared equally between ties,
    as PyTorch's amax), 0 elsewhere."""
    reduce = "max"

    def forward(self, x, axis, keepdims):
        if x.size == 0:
            raise ValueError(f"{self.reduce}() of an empty tensor")
        self.x, self.axis = x, axis
        self.out = getattr(x, self.reduce)(axis=axis, keepdims=True)
        if keepdims:
            return self.out
        return self.out.reshape(()) if axis is None else self.out.squeeze(axis)

    def backward(self, g):
        hit = self.x == self.out
        count = hit.sum(axis=self.axis, keepdims=True)
        return self.xp.where(hit, g.reshape(self.out.shape) / count, 0)


class Min(Max):
    """out = min of x over ``axis``;  dx = g at the minimum (shared equally between ties)."""
    reduce = "min"


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (int, tuple or None for all)."""
    return Sum.apply(lift(x), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    return Mean.apply(lift(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance over ``axis`` (divides by N, as ``numpy.var``)."""
    return Var.apply(lift(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis``."""
    return Max.apply(lift(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    return Min.apply(lift(x), axis=_axis(axis), keepdims=keepdims)


# ------------------------------------------------------------------- shapes
class Reshape(Function):
    """out = x with a new shape (same elements in the same order);  dx = g reshaped back."""
    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


class Transpose(Function):
    """out = x with its axes permuted;  dx = g with the inverse permutation."""
    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, g):
        return g.transpose(None if self.axes is None else np.argsort(self.axes))


class BroadcastTo(Function):
    """out = x repeated along broadcast axes;  dx = g summed over them (done by the engine)."""
    def forward(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def backward(self, g):
        return g


def _is_basic_index(index):
    """True if ``x[index]`` is basic indexing (slices, ints, None, ...): no element repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral))
               or (isinstance(i, np.ndarray) and i.dtype == bool) for i in items)


class GetItem(Function):
    """out = x[index];  dx = zeros with g scattered back to the indexed positions.

    With integer-array indexing an element may be picked several times
    (``x[[0, 0, 1]]``): its gradients are *added* (``np.add.at``), not overwritten.
    """
    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, g):
        gx = self.xp.zeros(self.shape, dtype=self.dtype)
        if _is_basic_index(self.index):
            gx[self.index] = g
        else:
            self.xp.add.at(gx, self.index, g)
        return gx


class Concatenate(Function):
    """out = the inputs joined along ``axis``;  each input gets its slice of g."""
    def forward(self, *arrays, axis):
        self.axis = axis
        self.offsets = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return self.xp.concatenate(arrays, axis=axis)

    def backward(self, g):
        return tuple(self.xp.split(g, self.offsets, axis=self.axis))


class Stack(Function):
    """out = the inputs stacked along a new ``axis``;  input i gets g[..., i, ...]."""
    def forward(self, *arrays, axis):
        self.axis = axis
        return self.xp.stack(arrays, axis=axis)

    def backward(self, g):
        n = g.shape[self.axis]
        return tuple(part.squeeze(self.axis) for part in self.xp.split(g, n, axis=self.axis))


class Pad(Function):
    """out = x surrounded by a constant;  dx = the centre of g (the pad gets no gradient)."""
    def forward(self, x, pad_width, value):
        self.window = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return self.xp.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, g):
        return g[self.window]


def reshape(x, shape):
    """The same elements in a new shape (one entry may be -1)."""
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    return Reshape.apply(lift(x), shape=shape)


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    x = lift(x)
    if axes is not None:
        axes = tuple(int(a) % builtins.max(x.ndim, 1) for a in axes)   # -1 -> ndim-1: invertible
    return Transpose.apply(x, axes=axes)


permute = transpose


def flatten(x, start_axis=0):
    """Merge the axes from ``start_axis`` on into one (``start_axis=1`` keeps the batch axis)."""
    x = lift(x)
    return reshape(x, x.shape[:start_axis] + (-1,))


def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or those named)."""
    x = lift(x)
    try:
        shape = x.data.squeeze(axis=_axis(axis)).shape
    except ValueError as err:
        raise ValueError(f"squeeze: cannot squeeze axis {axis} of shape {x.shape}: {err}") from None
    return reshape(x, shape)


def expand_dims(x, axis):
    """Insert a new axis of length 1 at ``axis``."""
    x = lift(x)
    return reshape(x, np.expand_dims(x.data, _axis(axis)).shape)


unsqueeze = expand_dims


def broadcast_to(x, shape):
    """Repeat ``x`` along axes of length 1 (and new leading axes) to ``shape``."""
    return BroadcastTo.apply(lift(x), shape=tuple(shape))


def getitem(x, index):
    """``x[index]``: basic slicing, integer-array and boolean-mask indexing."""
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, list):
        index = np.asarray(index)
    return GetItem.apply(x, index=index)


def _tensors(seq, name):
    seq = list(seq)
    if not seq:
        raise ValueError(f"{name}: needs at least one tensor")
    like = next((t for t in seq if isinstance(t, Tensor)), None)
    return [lift(t, like) for t in seq]


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis."""
    return Concatenate.apply(*_tensors(tensors, "concatenate"), axis=axis)


def stack(tensors, axis=0):
    """Join tensors of equal shape along a new axis."""
    return Stack.apply(*_tensors(tensors, "stack"), axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into a list of tensors, like ``numpy.split`` (each part backpropagates)."""
    x = lift(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(f"split: axis {axis} of length {n} cannot be split into "
                             f"{indices_or_sections} equal parts")
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    lead = (slice(None),) * (axis % x.ndim)
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def pad(x, pad_width, constant_values=0):
    """Pad with a constant: ``pad_width`` as in ``numpy.pad`` (int, (before, after) or one pair per axis)."""
    x = lift(x)
    width = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if (width < 0).any():
        raise ValueError(f"pad: pad widths must be >= 0, got {pad_width}")
    return Pad.apply(x, pad_width=tuple(map(tuple, width.tolist())), value=constant_values)


# --------------------------------------------------------------- Tensor's operators and methods
class TensorMethods:
    """The operators and methods of ``Tensor``: each is one of the functions above.

    They are attached to ``Tensor`` right below (``autograd`` defines the engine and needs no
    op), so ``a + b`` is ``add(a, b)``, ``x.sum(1)`` is ``sum(x, 1)``, ``x[i]`` is ``getitem``.
    """
    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return sub(self, other)
    def __rsub__(self, other): return sub(other, self)
    def __mul__(self, other): return mul(self, other)
    def __rmul__(self, other): return mul(other, self)
    def __truediv__(self, other): return div(self, other)
    def __rtruediv__(self, other): return div(other, self)
    def __pow__(self, other): return power(self, other)
    def __rpow__(self, other): return power(other, self)
    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)
    def __neg__(self): return neg(self)
    def __pos__(self): return self
    def __abs__(self): return abs(self)
    def __getitem__(self, index): return getitem(self, index)
    # comparisons give boolean tensors and carry no gradient
    def __eq__(self, other): return compare(self, other, "equal")
    def __ne__(self, other): return compare(self, other, "not_equal")
    def __lt__(self, other): return compare(self, other, "less")
    def __le__(self, other): return compare(self, other, "less_equal")
    def __gt__(self, other): return compare(self, other, "greater")
    def __ge__(self, other): return compare(self, other, "greater_equal")

    T = property(lambda self: transpose(self), doc="The tensor with its axes reversed.")
    def astype(self, dtype):
        """A copy converted to ``dtype`` (differentiable between float types)."""
        return astype(self, dtype)
    def reshape(self, *shape): return reshape(self, shape[0] if len(shape) == 1 else shape)
    def transpose(self, *axes): return transpose(self, (axes[0] if len(axes) == 1 else axes) or None)
    def permute(self, *axes): return transpose(self, axes[0] if len(axes) == 1 else axes)
    def flatten(self, start_axis=0): return flatten(self, start_axis)
    def squeeze(self, axis=None): return squeeze(self, axis)
    def unsqueeze(self, axis): return expand_dims(self, axis)
    def expand_dims(self, axis): return expand_dims(self, axis)
    def broadcast_to(self, shape): return broadcast_to(self, shape)
    def sum(self, axis=None, keepdims=False): return sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return mean(self, axis, keepdims)
    def var(self, axis=None, keepdims=False): return var(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return min(self, axis, keepdims)
    def exp(self): return exp(self)
    def log(self): return log(self)
    def sqrt(self): return sqrt(self)
    def abs(self): return abs(self)
    def clip(self, min=None, max=None): return clip(self, min, max)
    def split(self, indices_or_sections, axis=0): return split(self, indices_or_sections, axis)


for _name, _method in vars(TensorMethods).items():
    # (a class that defines __eq__ gets __hash__ = None: Tensor keeps hashing by identity)
    if _name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__hash__"):
        setattr(Tensor, _name, _method)
del _name, _method
