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

The operators and methods of ``Tensor`` (``+``, ``@``, ``.sum()``...) are the
functions of ``scratchnn.ops``, where the formulas live; ``ops`` attaches them to
``Tensor`` when it is imported, so this module depends on nothing but the backend.
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


class HookHandle:
    """What ``register_hook``, ``add_forward_hook``, ... return: ``handle.remove()`` takes the hook
    away again; ``with layer.add_forward_hook(f): ...`` removes it when the block ends."""

    def __init__(self, hooks, hook):
        self._hooks, self.hook = hooks, hook

    def remove(self):
        """Remove the hook (doing it twice is harmless)."""
        for i, known in enumerate(self._hooks):
            if known is self.hook:
                del self._hooks[i]
                return

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    @classmethod
    def attach(cls, owner, attribute, hook, who):
        """Append ``hook`` to the list ``owner.<attribute>`` (made on first use: the class holds an
        empty tuple, so objects without hooks pay nothing) and return its handle."""
        if not callable(hook):
            raise TypeError(f"{who}: hook must be callable, got {hook!r}")
        hooks = getattr(owner, attribute)
        if isinstance(hooks, tuple):
            hooks = list(hooks)
            setattr(owner, attribute, hooks)
        hooks.append(hook)
        return cls(hooks, hook)


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

    ``backward_graph(self, grad)`` (for ``grad(..., create_graph=True)``: second derivatives)
    is the same formula written with Tensor ops on ``grad`` and ``self.inputs``, so that the
    gradient has a graph too; ``ops`` gives every op a default (see ``ops/second_order.py``).
    """
    inputs = None          # the input Tensors, kept only while a graph is recorded
    needs_grad = ()
    out_ref = None         # weak reference to the output, set by Tensor.retain_grad()
    hooks = None           # functions called with the output's gradient (Tensor.register_hook)

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

    ``source_logits`` is ``('softmax', z)`` or ``('sigmoid', z)`` when the tensor is the output of
    that activation applied to ``z`` (else None): a cross-entropy given these probabilities
    uses ``z`` instead, as Keras does, for a stable value and the fused ``p - y`` gradient.

    A layer may attach a padding mask to the tensor it returns (``Embedding(mask_zero=True)``
    does): read it with ``get_mask(t)``, attach one with ``set_mask(t, mask)``.
    """
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "source_logits", "_hooks", "_keras_mask",
                 "__weakref__")
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
        self.source_logits = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def wrap(cls, array):
        """A constant tensor around ``array`` as it is: no copy, no dtype conversion (the fast
        path for data that is already an array of the right dtype, such as a batch)."""
        return cls._make(array, None)

    @classmethod
    def _make(cls, data, ctx):
        """Wrap an op's output array without any conversion (the fast path)."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t.source_logits = None
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

    def zero_grad(self):
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

    def retain_grad(self):
        """Also keep ``.grad`` for this non-leaf tensor during the next ``backward``."""
        if self._ctx is not None:
            self._ctx.out_ref = weakref.ref(self)
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` with d(loss)/d(this tensor) whenever ``backward`` computes it.

        ``grad`` is an array of this tensor's shape, to look at (not to modify). For a leaf (a
        weight) the hook sees each gradient that arrives, before it is added to ``.grad``; for
        the output of an op it sees the total gradient of that output. Returns a ``HookHandle``
        (``handle.remove()``). A layer's ``add_backward_hook`` is built on this.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook(): this tensor does not require grad, so backward never "
                               "computes its gradient")
        if self._ctx is not None:
            if self._ctx.hooks is None:
                self._ctx.hooks = []
            hooks = self._ctx.hooks
        else:
            hooks = getattr(self, "_hooks", None)
            if hooks is None:
                hooks = self._hooks = []
        hooks.append(hook)
        return HookHandle(hooks, hook)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __array__(self, dtype=None, copy=None):
        """The NumPy array protocol (``np.asarray(t)``, ``np.array(t)``), NumPy 2's signature.

        ``copy=None`` (``np.asarray``): share ``.data`` when no conversion is needed;
        ``copy=True`` (``np.array``): always a new array; ``copy=False``: never a copy, so a
        ``ValueError`` when one is needed (another dtype, or a scalar result such as a loss,
        whose value is a NumPy scalar rather than an array)."""
        data = self.data
        if copy is False:
            if not isinstance(data, np.ndarray):
                raise ValueError(f"copy=False, but this tensor holds a scalar ({type(data).__name__}), not "
                                 "an array: making an array of it is a copy. Use np.asarray(t) to allow it")
            if dtype is not None and np.dtype(dtype) != data.dtype:
                raise ValueError(f"copy=False, but converting this tensor from {data.dtype} to "
                                 f"{np.dtype(dtype)} is a copy. Use np.asarray(t, dtype) to allow it")
            return data
        if copy:
            return np.array(data, dtype=dtype)          # np.array(t) snapshots the values
        return np.asarray(data, dtype=dtype)            # np.asarray(t) shares them

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __format__(self, spec):
        """``f"{loss:.4f}"`` formats a one-element tensor's value, as NumPy formats a scalar."""
        if not spec:
            return str(self)
        if self.data.size != 1:
            raise TypeError(f"unsupported format string {spec!r} for a tensor of {self.data.size} values "
                            "(as NumPy: format one value, e.g. t[0])")
        return format(self.data.item(), spec)

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
    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Compute the gradient of this tensor with respect to every leaf it depends on.

        ``grad`` is ``d(something)/d(self)``; it may be omitted for a one-element
        tensor such as a loss (it is then 1).  Gradients are *added* to each
        leaf's ``.grad``, so call ``zero_grad()`` between steps.  The graph is
        freed afterwards unless ``retain_graph=True``.  (``.grad`` holds arrays: for second
        derivatives use ``grad(..., create_graph=True)``.)
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): .grad holds arrays, which have no "
                                      "graph; use scratchnn.autograd.grad(..., create_graph=True)")
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
            for hook in list(getattr(self, "_hooks", None) or ()):
                hook(grad)
            self.grad = grad.copy() if self.grad is None else self.grad + grad
            return
        _run_backward(self._ctx, grad, retain_graph)

    # -------------------------------------------------- operators and methods
    # ``+``, ``@``, ``x[i]``, ``.sum()``, ``.reshape()``, ... are the functions of
    # ``scratchnn.ops`` (where each formula and derivative is written); ops.py attaches them
    # to this class when it is imported (the table at its end), so that this engine needs no op.
    def argmax(self, axis=None): return Tensor(self.data.argmax(axis=axis))
    def argmin(self, axis=None): return Tensor(self.data.argmin(axis=axis))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """The gradients of ``outputs`` with respect to ``inputs``, and nothing else.

    ``outputs``: a Tensor or a list of them (their gradients are summed, as for sum(outputs));
    ``inputs``: a list of Tensors, leaves (weights) or intermediate results; ``grad_outputs``:
    d(something)/d(output) for each output (default: ones, i.e. the gradient of the sum of its
    elements). Returns one array per input, ``None`` where no recorded operation connects it to
    an output. Unlike ``backward``, no ``.grad`` is changed and no hook runs: this is what
    ``tf.GradientTape.gradient`` is built on. The graph is freed unless ``retain_graph=True``.

    ``create_graph=True``: the gradients are Tensors with a graph (each op's ``backward_graph``),
    to differentiate again: y = x^3, ``dy, = grad(y, [x], create_graph=True)`` is 3x^2 and
    ``grad(dy, [x])`` is 6x (the graph is kept: ``retain_graph`` defaults to ``create_graph``).
    """
    retain_graph = create_graph if retain_graph is None else retain_graph
    single = isinstance(outputs, Tensor)
    outputs = [outputs] if single else list(outputs)
    inputs = list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for t in outputs + inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): outputs and inputs must be Tensors, got {type(t).__name__}")
    seeds, direct = {}, [None] * len(inputs)
    for out, g in zip(outputs, grad_outputs):
        xp = array_module(out.data)
        if not (create_graph and isinstance(g, Tensor)):   # (with create_graph, g keeps its graph)
            g = xp.ones_like(out.data) if g is None else xp.asarray(getattr(g, "data", g), out.data.dtype)
            g = Tensor._make(g, None) if create_graph else g
        if g.shape != out.shape:
            raise ValueError(f"grad(): an output gradient has shape {g.shape}, expected the output's "
                             f"shape {out.shape}")
        for i, t in enumerate(inputs):          # an output that is itself an input: d out / d out
            if t is out:
                direct[i] = (g if create_graph else g.copy()) if direct[i] is None else direct[i] + g
        if out._ctx is not None:
            seeds[out._ctx] = g if out._ctx not in seeds else seeds[out._ctx] + g
    with _GradMode(create_graph or _grad_enabled):      # create_graph: the backward is recorded
        found = _propagate(seeds, retain_graph, inputs, create_graph) if seeds else [None] * len(inputs)
    return [d if f is None else f if d is None else f + d for f, d in zip(found, direct)]


def get_mask(x):
    """The mask attached to ``x`` (a boolean array, True = a real time step, False = padding), or
    None: a tensor without one, or anything that is not a Tensor.

    Layers attach masks to their outputs (Keras's implicit masking): ``Embedding(mask_zero=True)``
    marks the positions of token id 0; the layers that keep the time axis (Dense, Dropout,
    LayerNormalization, the activations, ...) pass it on; the attention and transformer layers use
    it as their padding mask; a loss ignores the masked positions. The mask lives in the attribute
    ``_keras_mask``, where Keras keeps it; ``get_mask`` is the way to read it."""
    return getattr(x, "_keras_mask", None)


def set_mask(x, mask):
    """Attach ``mask`` to the Tensor ``x`` (None removes it) and return ``x``.

    ``mask``: booleans (numbers count as True when non-zero; a Tensor gives its values) whose
    shape is the first axes of ``x``'s: (batch, time) for ``x`` of shape (batch, time, features).
    A custom model that computes a new tensor from a masked one with plain operations (``x + p``)
    keeps the mask with ``set_mask(x + p, get_mask(x))``: operations do not carry masks, layers do.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"set_mask: a mask can only be attached to a Tensor, got {type(x).__name__}")
    if mask is not None:
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if mask.dtype != bool:
            mask = mask != 0
        if mask.shape != x.shape[:mask.ndim]:
            raise ValueError(f"set_mask: a mask of shape {mask.shape} does not fit a tensor of shape "
                             f"{x.shape}: its shape must be the tensor's first axes, such as (batch, time) "
                             "for (batch, time, features)")
    x._keras_mask = mask
    return x


def _topological_order(roots):
    """Functions reachable from ``roots`` (a list), each listed after all functions it depends on.

    Depth-first search with an explicit stack (no recursion): a function is
    appended once all its inputs' functions are appended (post-order).
    """
    order, seen = [], set()
    stack = [(root, False) for root in reversed(roots)]
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
    """Propagate ``grad`` (the gradient of ``root``'s output) down to the leaves' ``.grad``."""
    _propagate({root: grad}, retain_graph)


def _propagate(seeds, retain_graph, sources=None, create_graph=False):
    """The backward pass from ``seeds`` ({function: gradient of its output}).

    ``sources`` None (``backward``): every leaf that requires grad accumulates its gradient in
    ``.grad``, and the hooks run. ``sources`` a list of tensors (``grad``): returns their
    gradients (None where no path leads), computes nothing that leads to none of them, changes
    no ``.grad`` and runs no hook. ``create_graph``: the gradients are Tensors (``grad`` only).
    """
    order = _topological_order(list(seeds))
    grads = dict(seeds)                     # function -> gradient of its output
    handed_out = set()                      # ids of arrays already given to a leaf's .grad
    if sources is not None:
        found = [None] * len(sources)
        leaf_slot = {id(t): i for i, t in enumerate(sources) if t._ctx is None}
        fn_slot = {t._ctx: i for i, t in enumerate(sources) if t._ctx is not None}
        leads = set(fn_slot)                # the functions from which a source can be reached
        for fn in order:                    # (each function comes after its inputs' functions)
            if any(id(t) in leaf_slot or t._ctx in leads for t in fn.inputs):
                leads.add(fn)
    for fn in reversed(order):
        g = grads.pop(fn, None)
        if sources is None:
            _output_hooks(fn, g)
        elif g is not None and fn in fn_slot:
            found[fn_slot[fn]] = g
        if g is not None and (sources is None or fn in leads):
            needs = fn.needs_grad
            if sources is not None:         # ask backward only for the inputs that lead somewhere
                fn.needs_grad = tuple(n and (id(t) in leaf_slot or t._ctx in leads)
                                      for n, t in zip(needs, fn.inputs))
            in_grads = fn.backward_graph(g) if create_graph else fn.backward(g)
            fn.needs_grad = needs
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for t, gi in zip(fn.inputs, in_grads):
                if gi is None or not (t.requires_grad or (sources is not None and id(t) in leaf_slot)):
                    continue
                data = t.data
                if gi.shape != data.shape:
                    gi = unbroadcast(gi, data.shape)
                if gi.dtype != data.dtype:
                    gi = gi.astype(data.dtype)
                ctx = t._ctx
                if ctx is not None:
                    prev = grads.get(ctx)
                    grads[ctx] = gi if prev is None else prev + gi
                elif sources is not None:   # a source leaf: sum its gradients, touch no .grad
                    if id(t) in leaf_slot:
                        i = leaf_slot[id(t)]
                        found[i] = (gi if create_graph else gi.copy()) if found[i] is None else found[i] + gi
                else:                       # a leaf: accumulate into .grad, never aliased
                    for hook in list(getattr(t, "_hooks", None) or ()):
                        hook(gi)
                    if t.grad is not None:
                        t.grad = t.grad + gi
                    elif gi is g or not gi.flags.owndata or id(gi) in handed_out or retain_graph:
                        t.grad = gi.copy()  # may be shared (passed through, a view, saved)
                    else:
                        t.grad = gi         # a fresh array made by this backward: no copy
                    handed_out.add(id(t.grad))
        if not retain_graph:                # free the inputs and whatever forward saved
            fn.__dict__.clear()
    return found if sources is not None else None


def _output_hooks(fn, g):
    """The hooks on ``fn``'s output (``register_hook``), and its ``.grad`` if ``retain_grad``."""
    if g is None:
        return
    for hook in list(fn.hooks or ()):
        hook(g)
    out = fn.out_ref() if fn.out_ref is not None else None
    if out is not None:
        out.grad = g.copy() if out.grad is None else out.grad + g
