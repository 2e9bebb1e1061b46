"""Second derivatives: what ``grad(..., create_graph=True)`` does with an op that has no
``backward_graph``, and ``backward_by_recomputing`` for ops whose forward is easily rewritten
with primitive ops (a convolution).

With ``create_graph=True`` the engine calls each op's ``backward_graph(g)``: the op's derivative
written with Tensor operations (``g * b`` instead of ``g.data * self.b``), so the gradient it
returns is recorded too and can be differentiated again. The common ops have one, beside their
``backward``. For the others, ``arrays_backward_graph`` (every op's default) runs the array
``backward`` and marks each gradient that depends on a graph with ``SecondOrderUnavailable``:
the first derivative is still exact, and differentiating it again raises an error naming the
op, instead of silently treating the gradient as a constant (a wrong second derivative).
"""
from ..autograd import Function, Tensor, enable_grad, grad


class SecondOrderUnavailable(Function):
    """Stands in the graph for a gradient computed by an op's array ``backward``; its own backward
    raises: the op has no second derivative."""
    def backward(self, grad):
        raise NotImplementedError(
            f"second derivatives are not available for {self.op}: its derivative is written for "
            f"arrays only (it has no backward_graph), so its gradient cannot be differentiated again. "
            f"Build the function from operations that have one (add, mul, matmul, exp, tanh, ...), "
            f"or check the second derivative by finite differences of the gradient")


def arrays_backward_graph(fn, g):
    """``fn.backward`` on arrays, its gradients as Tensors (``g`` is a Tensor); a gradient that
    depends on a recorded tensor (``g`` or an input) gets a ``SecondOrderUnavailable`` parent."""
    in_grads = fn.backward(g.data)
    depends = tuple(t for t in (g,) + tuple(fn.inputs) if t.requires_grad)
    wrapped = []
    for gi in in_grads if isinstance(in_grads, tuple) else (in_grads,):
        parent = None
        if gi is not None and depends:
            parent = SecondOrderUnavailable()
            parent.op, parent.inputs, parent.needs_grad = type(fn).__name__, depends, (True,) * len(depends)
        wrapped.append(None if gi is None else Tensor._make(gi, parent))
    return tuple(wrapped)


def backward_by_recomputing(fn, g, compute):
    """``fn``'s input gradients, with a graph: the gradients of ``compute(*fn.inputs)``, the op's
    forward written again with primitive ops (each with its ``backward_graph``), for the output
    gradient ``g``. It runs the forward once more, and only under ``create_graph``: the op's own
    fast ``forward``/``backward`` stay as they are for first derivatives."""
    # an input that no longer requires grad (a constant a tape watched only inside its block) but
    # whose gradient is asked for: a fresh leaf with its values stands in for it
    inputs = [t if t.requires_grad or not need else Tensor._make(t.data, None).requires_grad_()
              for t, need in zip(fn.inputs, fn.needs_grad)]
    with enable_grad():
        out = compute(*inputs)
        grads = grad(out, inputs, grad_outputs=[g], create_graph=True)
    return tuple(gi if need else None for gi, need in zip(grads, fn.needs_grad))
