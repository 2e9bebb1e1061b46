"""The primitive differentiable operations: each a ``Function`` with its derivative.

Notation in the docstrings: ``g`` is the gradient arriving from above
(d loss / d out); each ``backward`` returns d loss / d input = g * d out / d input
(the chain rule), written out for that operation.  Broadcasting is undone by the
engine (``autograd.unbroadcast``), so a backward may return gradients in the
output's shape.

Every function here also accepts Python numbers, lists and ndarrays: they are
lifted to constant tensors with the floating-point dtype of the tensor they meet
(so ``x32 * 0.5`` stays float32).

The modules: ``constants.py`` (``lift``), ``arithmetic.py``, ``elementwise.py``,
``reductions.py``, ``shapes.py``, ``second_order.py`` (what ``create_graph`` does with ops
without a ``backward_graph``, and ``backward_by_recomputing``).
Importing this package attaches the operators and methods of ``Tensor`` (``+``, ``@``, ``x[i]``,
``.sum()``, ...): the table at the end of this file; and gives every ``Function`` its default
``backward_graph`` (used by ``grad(..., create_graph=True)``).
"""
from ..autograd import Function, Tensor
from .arithmetic import (Add, Div, Einsum, MatMul, Mul, Neg, Pow, PowScalar, Sub, add, div, einsum, matmul,
                         mul, neg, power, sub)
from .constants import lift
from .elementwise import (Abs, AsType, Clip, Cos, Exp, Log, Log1p, Maximum, Minimum, Sin, Sqrt, Where, abs,
                          astype, clip, compare, cos, exp, log, log1p, maximum, minimum, sin, sqrt, where)
from .reductions import CumSum, Max, Mean, Min, Prod, Sum, Var, cumsum, max, mean, min, prod, sum, var
from .second_order import SecondOrderUnavailable, arrays_backward_graph, backward_by_recomputing
from .shapes import (BroadcastTo, Concatenate, GetItem, Pad, Reshape, Stack, Transpose, broadcast_to,
                     concatenate, expand_dims, flatten, getitem, pad, permute, reshape, split, squeeze,
                     stack, transpose, unsqueeze)


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
    # ``dtype`` and ``out`` are there for NumPy: ``np.mean(t, axis=0)`` calls ``t.mean(axis=0,
    # dtype=None, out=None)``
    def sum(self, axis=None, keepdims=False, dtype=None, out=None):
        return _numpy_call(sum(self, axis, keepdims), dtype, out, "sum")
    def mean(self, axis=None, keepdims=False, dtype=None, out=None):
        return _numpy_call(mean(self, axis, keepdims), dtype, out, "mean")
    def var(self, axis=None, keepdims=False, dtype=None, out=None, ddof=0):
        if ddof != 0:
            raise TypeError("var: only ddof=0 (divide by N) is supported on a Tensor")
        return _numpy_call(var(self, axis, keepdims), dtype, out, "var")
    def max(self, axis=None, keepdims=False, out=None):
        return _numpy_call(max(self, axis, keepdims), None, out, "max")
    def min(self, axis=None, keepdims=False, out=None):
        return _numpy_call(min(self, axis, keepdims), None, out, "min")
    def exp(self): return exp(self)
    def log(self): return log(self)
    def sqrt(self): return sqrt(self)
    def abs(self): return abs(self)
    def clip(self, min=None, max=None): return clip(self, min, max)
    def split(self, indices_or_sections, axis=0): return split(self, indices_or_sections, axis)


def _numpy_call(result, dtype, out, name):
    """A reduction called by NumPy (``np.sum(t)``): ``out`` cannot be honoured (a Tensor is not
    written into an array), ``dtype`` converts the result."""
    if out is not None:
        raise TypeError(f"{name}: out= is not supported for a scratchnn Tensor; use the returned Tensor")
    return result if dtype is None else astype(result, dtype)


for _name, _method in vars(TensorMethods).items():
    # (a class that defines __eq__ gets __hash__ = None: Tensor keeps hashing by identity)
    if _name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__hash__"):
        setattr(Tensor, _name, _method)
del _name, _method

Function.backward_graph = arrays_backward_graph   # an op with a Tensor-op derivative overrides it
