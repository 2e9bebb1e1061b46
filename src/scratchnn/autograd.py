"""Reverse-mode automatic differentiation: ``Tensor``, ``Function``, ``backward``.

How it works, in four sentences:

1. A ``Tensor`` wraps an array (``.data``) and, if it ``requires_grad``, the
   ``Function`` that produced it (``._ctx``).  Tensors a user creates are leaves.
2. Every operation is a ``Function`` subclass with ``forward`` (arrays in, one
   array out) and ``backward`` (the gradient of the output in, one gradient per
   input out).  ``Function.apply`` runs ``forward`` and, when a gradient will be
   needed, records the inputs: the graph is built as the code runs
   ("define-by-run").
3. ``loss.backward()`` sorts the recorded functions so that each comes after
   everything that uses its output (a topological order, found with an explicit
   stack, so a chain of 100,000 ops needs no recursion), then calls each
   ``backward`` once, summing the gradients of a tensor used several times.
4. A gradient that arrives in a broadcast shape is summed back to its input's
   shape (``unbroadcast``), so no op has to care about broadcasting.

The operators and methods of ``Tensor`` (``+``, ``@``, ``.sum()``...) are thin
wrappers around the functions in ``scratchnn.ops``; the formulas live there.
"""
import contextlib
import functools
import weakref

import numpy as np

from .backend import DEFAULT_FLOAT, array_module

_grad_enabled = True


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled):
        self.enabled = enabled
        self.saved = []           # a stack: the same object may be entered again while inside

    def __enter__(self):
        global _grad_enabled
        self.saved.append(_grad_enabled)
        _grad_enabled = self.enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.saved.pop()
        return False

    def __call__(self, func):
        # A fresh context per call, so that a decorated function is re-entrant.
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with _GradMode(self.enabled):
                return func(*args, **kwargs)
        return wrapper


def no_grad():
    """Context manager (or decorator) inside which no graph is recorded.

    Use it for inference and for updating weights::

        with no_grad():
            y = model(x)
    """
    return _GradMode(False)


def enable_grad():
    """Context manager (or decorator) that turns recording back on inside ``no_grad``."""
    return _GradMode(True)


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``.

    If ``x`` of shape ``(3, 1)`` was broadcast to ``(2, 3, 4)``, each element of
    ``x`` was used 2 * 4 times, so its gradient is the sum of those 8 gradients.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Function:
    """One differentiable operation.

    Subclasses implement::

        forward(self, *arrays, **params) -> array       # may save what backward needs on self
        backward(self, grad) -> gradient or tuple of gradients, one per input
                                (None for an input that needs none)

    ``self.needs_grad[i]`` tells ``backward`` whether input ``i`` wants a
    gradient, so it can skip work; it is set before ``forward`` runs and is
    empty when no graph is recorded, so ``forward`` can skip saving what only
    ``backward`` needs (``if self.needs_grad: ...``); ``self.xp`` is the array
    module (NumPy).
    A gradient may be returned in the broadcast (output) shape: the engine sums
    it back to the input's shape.  ``backward`` must not modify ``grad`` in place.
    """
    inputs = None          # the input Tensors, kept only while a graph is recorded
    needs_grad = ()
    out_ref = None         # weak reference to the output, set by Tensor.retain_grad()

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' data; record the graph if a gradient is needed."""
        fn = cls()
        fn.xp = array_module(inputs[0].data)
        record = False
        if _grad_enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                fn.needs_grad, record = needs, True
        try:
            out = fn.forward(*[t.data for t in inputs], **params)
        except ValueError as err:
            shapes = " and ".join(str(t.shape) for t in inputs)
            raise ValueError(f"{cls.__name__.lower()}: cannot apply to shapes {shapes}: {err}") from None
        if record:
            fn.inputs = inputs
            return Tensor._make(out, fn)
        return Tensor._make(out, None)

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__} backward>"


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is anything
    ``numpy.asarray`` accepts.  Floating-point data become float32 unless a
    ``dtype`` is given (``dtype=np.float64`` keeps double precision, as
    gradient checks need); integers and booleans keep their type.  The array
    is shared, not copied, when no conversion is needed.

    After ``loss.backward()``, every leaf tensor with ``requires_grad=True``
    holds ``d loss / d tensor`` in ``.grad`` (an array of the same shape).
    """
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_logits", "__weakref__")
    __array_ufunc__ = None        # ndarray (op) Tensor -> Tensor's reflected operator
    __hash__ = object.__hash__    # tensors are keys in optimizer state, even with __eq__

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        xp = array_module(data)
        if dtype is not None:
            data = xp.asarray(data, dtype=dtype)
        else:
            data = xp.asarray(data)
            if data.dtype.kind == "f" and data.dtype != DEFAULT_FLOAT:
                data = data.astype(DEFAULT_FLOAT)
        self.data = data
        self.grad = None
        self._ctx = None
        self._logits = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, ctx):
        """Wrap an op's output array without any conversion (the fast path)."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t._logits = None
        t.requires_grad = ctx is not None
        return t

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place; only floating-point tensors can have gradients."""
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients; this one has dtype "
                f"{self.data.dtype}. Convert it first, e.g. Tensor(x, dtype='float32').")
        self.requires_grad = bool(requires_grad)
        return self

    # ----------------------------------------------------------------- basics
    shape = property(lambda self: self.data.shape, doc="Shape of the data, a tuple.")
    dtype = property(lambda self: self.data.dtype, doc="NumPy dtype of the data.")
    ndim = property(lambda self: self.data.ndim, doc="Number of dimensions.")
    size = property(lambda self: self.data.size, doc="Number of elements.")
    is_leaf = property(lambda self: self._ctx is None, doc="True for tensors not produced by a recorded op.")
    xp = property(lambda self: array_module(self.data), doc="The array module of the data (NumPy).")

    def numpy(self):
        """The data as a NumPy array (shared, not copied)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only a tensor with one element has a Python value; "
                             f"this one has shape {self.shape}")
        return self.data.item()

    def detach(self):
        """A new leaf tensor sharing the data, cut off from the graph."""
        return Tensor._make(self.data, None)

    def astype(self, dtype):
        """A copy converted to ``dtype`` (differentiable between float types)."""
        return ops.astype(self, dtype)

    def zero_grad(self):
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

    def retain_grad(self):
        """Also keep ``.grad`` for this non-leaf tensor during the next ``backward``."""
        if self._ctx is not None:
            self._ctx.out_ref = weakref.ref(self)
        return self

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __array__(self, dtype=None, copy=None):
        arr = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return arr.copy() if copy else arr          # np.array(t) copies, np.asarray(t) shares

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        body = np.array2string(np.asarray(self.data), separator=", ", prefix="Tensor(")
        extra = ""
        if self.data.dtype != DEFAULT_FLOAT:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ------------------------------------------------------------- backward
    def backward(self, grad=None, retain_graph=False):
        """Compute the gradient of this tensor with respect to every leaf it depends on.

        ``grad`` is ``d(something)/d(self)``; it may be omitted for a one-element
        tensor such as a loss (it is then 1).  Gradients are *added* to each
        leaf's ``.grad``, so call ``zero_grad()`` between steps.  The graph is
        freed afterwards unless ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no graph; create the "
                "inputs with requires_grad=True (and not inside no_grad()).")
        xp = array_module(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without `grad` needs a tensor with one element (a loss), but this "
                    f"one has shape {self.shape}: reduce it first (.sum(), .mean()) or pass "
                    f"grad= an array of shape {self.shape}.")
            grad = xp.ones_like(self.data)
        else:
            grad = grad.data if isinstance(grad, Tensor) else grad
            grad = xp.asarray(grad, dtype=self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape}, expected the tensor's "
                                 f"shape {self.shape}")
        if self._ctx is None:
            self.grad = grad.copy() if self.grad is None else self.grad + grad
            return
        _run_backward(self._ctx, grad, retain_graph)

    # ------------------------------------------------------------ operators
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, other): return ops.power(self, other)
    def __rpow__(self, other): return ops.power(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return ops.abs(self)
    def __getitem__(self, index): return ops.getitem(self, index)
    # comparisons give boolean tensors and carry no gradient
    def __eq__(self, other): return ops.compare(self, other, "equal")
    def __ne__(self, other): return ops.compare(self, other, "not_equal")
    def __lt__(self, other): return ops.compare(self, other, "less")
    def __le__(self, other): return ops.compare(self, other, "less_equal")
    def __gt__(self, other): return ops.compare(self, other, "greater")
    def __ge__(self, other): return ops.compare(self, other, "greater_equal")

    # -------------------------------------------------------------- methods
    T = property(lambda self: ops.transpose(self), doc="The tensor with its axes reversed.")
    def reshape(self, *shape): return ops.reshape(self, shape[0] if len(shape) == 1 else shape)
    def transpose(self, *axes): return ops.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)
    def permute(self, *axes): return ops.transpose(self, axes[0] if len(axes) == 1 else axes)
    def flatten(self, start_axis=0): return ops.flatten(self, start_axis)
    def squeeze(self, axis=None): return ops.squeeze(self, axis)
    def unsqueeze(self, axis): return ops.expand_dims(self, axis)
    def expand_dims(self, axis): return ops.expand_dims(self, axis)
    def broadcast_to(self, shape): return ops.broadcast_to(self, shape)
    def sum(self, axis=None, keepdims=False): return ops.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return ops.mean(self, axis, keepdims)
    def var(self, axis=None, keepdims=False): return ops.var(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return ops.max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return ops.min(self, axis, keepdims)
    def exp(self): return ops.exp(self)
    def log(self): return ops.log(self)
    def sqrt(self): return ops.sqrt(self)
    def abs(self): return ops.abs(self)
    def clip(self, min=None, max=None): return ops.clip(self, min, max)
    def split(self, indices_or_sections, axis=0): return ops.split(self, indices_or_sections, axis)
    def argmax(self, axis=None): return Tensor(self.data.argmax(axis=axis))
    def argmin(self, axis=None): return Tensor(self.data.argmin(axis=axis))


def _topological_order(root):
    """Functions reachable from ``root``, each listed after all functions it depends on.

    Depth-first search with an explicit stack (no recursion): a function is
    appended once all its inputs' functions are appended (post-order).
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        fn, inputs_done = stack.pop()
        if inputs_done:
            order.append(fn)
            continue
        if fn in seen:
            continue
        if fn.inputs is None:
            raise RuntimeError(
                "backward(): the graph through this tensor was already freed by an earlier "
                "backward(); call backward(retain_graph=True) the first time to keep it.")
        seen.add(fn)
        stack.append((fn, True))
        for t in fn.inputs:
            if t._ctx is not None and t._ctx not in seen:
                stack.append((t._ctx, False))
    return order


def _run_backward(root, grad, retain_graph):
    """Propagate ``grad`` (the gradient of ``root``'s output) down to the leaves."""
    grads = {root: grad}                    # function -> gradient of its output
    handed_out = set()                      # ids of arrays already given to a leaf's .grad
    for fn in reversed(_topological_order(root)):
        g = grads.pop(fn, None)
        if fn.out_ref is not None and g is not None:
            out = fn.out_ref()
            if out is not None:
                out.grad = g.copy() if out.grad is None else out.grad + g
        if g is not None:
            in_grads = fn.backward(g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for t, gi in zip(fn.inputs, in_grads):
                if gi is None or not t.requires_grad:
                    continue
                data = t.data
                if gi.shape != data.shape:
                    gi = unbroadcast(gi, data.shape)
                if gi.dtype != data.dtype:
                    gi = gi.astype(data.dtype)
                ctx = t._ctx
                if ctx is None:             # a leaf: accumulate into .grad, never aliased
                    if t.grad is not None:
                        t.grad = t.grad + gi
                    elif gi is g or not gi.flags.owndata or id(gi) in handed_out or retain_graph:
                        t.grad = gi.copy()  # may be shared (passed through, a view, saved)
                    else:
                        t.grad = gi         # a fresh array made by this backward: no copy
                    handed_out.add(id(t.grad))
                else:
                    prev = grads.get(ctx)
                    grads[ctx] = gi if prev is None else prev + gi
        if not retain_graph:                # free the inputs and whatever forward saved
            fn.__dict__.clear()


from . import ops  # noqa: E402  (ops builds on Function and Tensor defined above)
