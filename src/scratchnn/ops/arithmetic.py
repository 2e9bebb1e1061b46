"""Arithmetic: ``+ - * /``, ``-x``, powers and the matrix product, each with its derivative.

Each ``backward_graph`` is its ``backward`` written with Tensor operations on the inputs
(``self.inputs``), for second derivatives (``grad(..., create_graph=True)``)."""
import numbers

import numpy as np

from ..autograd import Function, Tensor
from .constants import lift, operands
from .elementwise import log, where
from .shapes import broadcast_to, transpose


class Add(Function):
    """out = a + b;  da = g,  db = g."""
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g

    backward_graph = backward            # written for arrays and Tensors alike


class Sub(Function):
    """out = a - b;  da = g,  db = -g."""
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_grad[1] else None)

    backward_graph = backward


class Mul(Function):
    """out = a * b;  da = g * b,  db = g * a."""
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return (g * self.b if self.needs_grad[0] else None,
                g * self.a if self.needs_grad[1] else None)

    def backward_graph(self, g):
        a, b = self.inputs
        return (g * b if self.needs_grad[0] else None, g * a if self.needs_grad[1] else None)


class Div(Function):
    """out = a / b;  da = g / b,  db = -g * a / b^2."""
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        ga = g / self.b
        return ga, (-ga * self.a / self.b if self.needs_grad[1] else None)

    def backward_graph(self, g):
        a, b = self.inputs
        ga = g / b
        return ga, (-ga * a / b if self.needs_grad[1] else None)


class Neg(Function):
    """out = -x;  dx = -g."""
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g

    backward_graph = backward


class PowScalar(Function):
    """out = x ** p for a constant p;  dx = g * p * x^(p-1)."""
    def forward(self, x, p):
        self.x, self.p = x, p
        return x ** p

    def backward(self, g):
        if self.p == 0:                   # x^0 = 1 is constant (even at x = 0, where x^-1 is inf)
            return self.xp.zeros_like(g)
        return g * (self.p * self.x ** (self.p - 1))

    def backward_graph(self, g):
        if self.p == 0:
            return g * 0.0
        return g * (self.p * self.inputs[0] ** (self.p - 1))


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

    def backward_graph(self, g):
        a, b = self.inputs
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_grad[0]:
                ga = g * where(b.data == 0, 0.0, b * a ** (b - 1))
            if self.needs_grad[1]:
                gb = g * where((a.data == 0) & (b.data >= 0), 0.0, a ** b * log(a))
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
        return self.grads(g, self.a, self.b, lambda m: m.swapaxes(-1, -2))

    def backward_graph(self, g):
        a, b = self.inputs
        return self.grads(g, a, b, lambda m: transpose(m, (*range(m.ndim - 2), m.ndim - 1, m.ndim - 2)))

    def grads(self, g, a, b, swap):
        """The formulas, for arrays or Tensors (``swap`` exchanges the last two axes)."""
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
            ga = g @ swap(b2)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(axis=0)
        if self.needs_grad[1]:
            gb = swap(a2) @ g
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(axis=0)
        return ga, gb


class Einsum(Function):
    """out = einsum(spec, x_1, ..., x_n): products of the operands summed over the letters that
    are not in the output ("ij,jk->ik" is the matrix product).

    d out / d x_i: the same sum with x_i left out and g in its place, giving x_i's letters:
    dx_i = einsum("out,<the others>->x_i's letters", g, the others). A letter that only x_i has
    (summed inside it, as j in "ij->i") is broadcast back: each of those elements got g.
    """
    def forward(self, *arrays, inputs, output):
        self.arrays, self.specs, self.output = arrays, inputs, output
        return self.xp.einsum(",".join(inputs) + "->" + output, *arrays, optimize=True)

    def backward(self, g):
        xp = self.xp
        return self.grads(g, self.arrays, lambda s, *arrays: xp.einsum(s, *arrays, optimize=True),
                          xp.broadcast_to)

    def backward_graph(self, g):
        return self.grads(g, self.inputs, einsum, broadcast_to)

    def grads(self, g, operands, contract, broadcast):
        """The formula, for arrays (``xp.einsum``) or Tensors (``einsum``)."""
        grads = []
        for i, spec in enumerate(self.specs):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            others = [s for k, s in enumerate(self.specs) if k != i]
            known = set(self.output).union(*others)
            kept = "".join(c for c in spec if c in known)
            gi = contract(",".join([self.output] + others) + "->" + kept,
                          g, *[a for k, a in enumerate(operands) if k != i])
            shape = [operands[i].shape[k] if c in known else 1 for k, c in enumerate(spec)]
            grads.append(broadcast(gi.reshape(shape), operands[i].shape))
        return tuple(grads)


def parse_einsum(subscripts, n_operands):
    """``"ij,jk->ik"`` as (["ij", "jk"], "ik"); without "->", the output is the letters that occur
    once, in alphabetical order (NumPy's rule). Ellipses and a letter repeated inside one operand
    (a diagonal) are not supported."""
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise ValueError(f"einsum: ellipsis ('...') is not supported, got {subscripts!r}; name every "
                         "axis")
    inputs, _, output = spec.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != n_operands:
        raise ValueError(f"einsum: {subscripts!r} names {len(inputs)} operands, got {n_operands}")
    if "->" not in spec:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for part in inputs + [output]:
        if len(set(part)) != len(part) or not part.isalpha() and part:
            raise ValueError(f"einsum: each operand and the output must name each axis once with a "
                             f"letter, got {part!r} in {subscripts!r}")
    return inputs, output


def einsum(subscripts, *operands):
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; ``"bij,bkj->bik"`` a batched
    product with the second transposed; ``"i,i->"`` a dot product."""
    tensors = [lift(t) for t in operands]
    like = next((t for t in tensors if t.dtype.kind == "f"), None)
    tensors = [lift(t.data, like) if t.dtype.kind != "f" and like is not None else t for t in tensors]
    inputs, output = parse_einsum(subscripts, len(tensors))
    for spec, t in zip(inputs, tensors):
        if len(spec) != t.ndim:
            raise ValueError(f"einsum: operand {spec!r} names {len(spec)} axes, but the tensor has shape "
                             f"{t.shape}")
    return Einsum.apply(*tensors, inputs=inputs, output=output)


def add(a, b):
    """Elementwise ``a + b`` with broadcasting."""
    return Add.apply(*operands(a, b))


def sub(a, b):
    """Elementwise ``a - b`` with broadcasting."""
    return Sub.apply(*operands(a, b))


def mul(a, b):
    """Elementwise ``a * b`` with broadcasting."""
    return Mul.apply(*operands(a, b))


def div(a, b):
    """Elementwise ``a / b`` with broadcasting."""
    return Div.apply(*operands(a, b))


def neg(x):
    """``-x``."""
    return Neg.apply(lift(x))


def power(a, b):
    """``a ** b``; a constant Python-number exponent takes the simpler ``PowScalar``."""
    if isinstance(a, Tensor) and isinstance(b, numbers.Real) and not isinstance(b, bool):
        if isinstance(b, np.generic):      # a NumPy float64 scalar would promote float32 to float64
            b = b.item()
        return PowScalar.apply(a, p=b)
    return Pow.apply(*operands(a, b))


def matmul(a, b):
    """Matrix product ``a @ b``; leading axes are batch axes and broadcast."""
    return MatMul.apply(*operands(a, b))
