"""Every primitive op of ``scratchnn.ops``, checked twice.

(a) ``test_gradcheck``: ``scratchnn.gradcheck`` (central differences) on random
    float64 inputs, for several shapes / axes / broadcasting patterns;
(b) ``test_matches_torch``: the same computation built in PyTorch on the same
    float64 inputs: the forward values and the gradient of every input (after
    backpropagating the same random upstream gradient) agree to 1e-6 relative.

Both tests run over one table of ``Case``s (grouped below by kind of op), so
every op is checked both ways.  Cases whose gradient is not defined by finite
differences (ties in max/min/maximum/minimum) have their own tests at the end,
against PyTorch's convention (a tie splits the gradient evenly) and by hand.
"""
import operator
from typing import Callable, NamedTuple

import numpy as np
import pytest

import scratchnn
import scratchnn.functional as F
from scratchnn import Tensor, gradcheck

from tests.helpers import assert_close, requires_torch, torch


# ------------------------------------------------------------------ the table
class Case(NamedTuple):
    id: str
    sn: Callable          # the computation on scratchnn tensors
    pt: Callable          # the same computation on torch tensors
    inputs: tuple         # one (shape, domain) per input; see make_inputs
    gc: dict = {}         # extra keyword arguments for gradcheck

    def param(self):
        return pytest.param(self, id=self.id)


def make_inputs(case, rng):
    """Random float64 arrays for ``case.inputs``.

    Domains: ``normal`` (standard normal), ``positive`` (uniform in [0.5, 2]),
    ``nonzero`` (|x| in [0.5, 2], random sign: for 1/x, abs),
    ``distinct`` (a shuffled grid with step 0.37, shifted by 0.11 per input:
    no two values of one input, nor of two inputs, are closer than 0.11, and
    none is within 0.04 of the clip bounds +-0.5, -1 used below: for max/min,
    maximum/minimum and clip, whose gradient jumps at ties and bounds).
    """
    arrays = []
    for k, (shape, domain) in enumerate(case.inputs):
        n = int(np.prod(shape, dtype=int))
        if domain == "normal":
            a = rng.standard_normal(shape)
        elif domain == "positive":
            a = rng.uniform(0.5, 2.0, shape)
        elif domain == "nonzero":
            a = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)
        elif domain == "distinct":
            a = ((rng.permutation(n) - n // 2) * 0.37 + 0.11 * k + 0.07).reshape(shape)
        else:  # pragma: no cover - a typo in the table
            raise ValueError(domain)
        arrays.append(np.asarray(a, dtype=np.float64))
    return arrays


def fmt(shape):
    return str(tuple(shape)).replace(" ", "")


def _dims(t, axis):
    """NumPy-style ``axis`` (None, int, tuple) as a torch ``dim`` (None -> all dims)."""
    return tuple(range(t.ndim)) if axis is None else axis


def torch_pad(t, pairs, value=0.0):
    """numpy.pad-style ((before, after) per axis, first axis first) with torch's F.pad,
    which takes a flat list starting from the LAST axis."""
    flat = [w for pair in reversed(pairs) for w in pair]
    return torch.nn.functional.pad(t, flat, value=value)


def N(*shape):
    return (shape, "normal")


def P(*shape):
    return (shape, "positive")


def NZ(*shape):
    return (shape, "nonzero")


def D(*shape):
    return (shape, "distinct")


# ---- binary elementwise ops, with broadcasting of size-1 / missing dims on both sides
BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((3, 1), (2, 1, 4)),
    ((2, 1, 4), (3, 1)),
    ((1,), (2, 3)),
    ((2, 3), (1, 1)),
    ((), (3,)),
    ((3,), ()),
    ((), ()),
]

# name -> (scratchnn fn, torch fn, domain of a, domain of b)
BINARY = {
    "add": (operator.add, operator.add, "normal", "normal"),
    "F.add": (F.add, torch.add if torch else None, "normal", "normal"),
    "sub": (operator.sub, operator.sub, "normal", "normal"),
    "F.sub": (F.sub, torch.sub if torch else None, "normal", "normal"),
    "mul": (operator.mul, operator.mul, "normal", "normal"),
    "F.mul": (F.mul, torch.mul if torch else None, "normal", "normal"),
    "div": (operator.truediv, operator.truediv, "normal", "nonzero"),
    "F.div": (F.div, torch.div if torch else None, "normal", "nonzero"),
    "pow(tensor**tensor,positive base)": (operator.pow, operator.pow, "positive", "normal"),
    "F.power(tensor,tensor)": (F.power, torch.pow if torch else None, "positive", "normal"),
    "maximum": (F.maximum, lambda a, b: torch.maximum(a, b), "distinct", "distinct"),
    "minimum": (F.minimum, lambda a, b: torch.minimum(a, b), "distinct", "distinct"),
}

BINARY_CASES = [
    Case(f"binary-{name}-{fmt(sa)}&{fmt(sb)}", sn, pt, ((sa, da), (sb, db)))
    for name, (sn, pt, da, db) in BINARY.items()
    for sa, sb in BROADCAST_PAIRS
]

# ---- binary ops with one Python-number operand (reflected operators, lift)
SCALAR_OPERAND_CASES = [
    Case("scalar-operand-x+1.5", lambda x: x + 1.5, lambda x: x + 1.5, (N(3, 4),)),
    Case("scalar-operand-1.5+x(radd)", lambda x: 1.5 + x, lambda x: 1.5 + x, (N(3, 4),)),
    Case("scalar-operand-x-1.5", lambda x: x - 1.5, lambda x: x - 1.5, (N(3, 4),)),
    Case("scalar-operand-1.5-x(rsub)", lambda x: 1.5 - x, lambda x: 1.5 - x, (N(3, 4),)),
    Case("scalar-operand-x*2.5", lambda x: x * 2.5, lambda x: x * 2.5, (N(3, 4),)),
    Case("scalar-operand-2.5*x(rmul)", lambda x: 2.5 * x, lambda x: 2.5 * x, (N(3, 4),)),
    Case("scalar-operand-x/2.5", lambda x: x / 2.5, lambda x: x / 2.5, (N(3, 4),)),
    Case("scalar-operand-2.5/x(rtruediv)", lambda x: 2.5 / x, lambda x: 2.5 / x, (NZ(3, 4),)),
    Case("scalar-operand-maximum(x,0.0)", lambda x: F.maximum(x, 0.0),
         lambda x: torch.maximum(x, torch.tensor(0.0)), (D(3, 4),)),
    Case("scalar-operand-minimum(0.0,x)", lambda x: F.minimum(0.0, x),
         lambda x: torch.minimum(torch.tensor(0.0), x), (D(3, 4),)),
]

# ---- powers: tensor ** scalar (PowScalar), scalar ** tensor (Pow with a constant base)
POW_CASES = [
    Case(f"pow-x**{p!r}-{fmt(s)}", (lambda x, p=p: x ** p), (lambda x, p=p: x ** p), ((s, dom),))
    for p, dom in [(2, "normal"), (3, "normal"), (2.0, "normal"), (0.5, "positive"),
                   (-1, "nonzero"), (-0.5, "positive"), (1.7, "positive")]
    for s in [(), (5,), (3, 4)]
] + [
    Case("pow-F.power(x,2)", lambda x: F.power(x, 2), lambda x: torch.pow(x, 2), (N(3, 4),)),
    Case("pow-x**np.float64(0.5)", lambda x: x ** np.float64(0.5), lambda x: x ** 0.5, (P(3, 4),)),
    Case("pow-2.0**x(rpow)-(3,4)", lambda x: 2.0 ** x, lambda x: 2.0 ** x, (N(3, 4),)),
    Case("pow-2.0**x(rpow)-()", lambda x: 2.0 ** x, lambda x: 2.0 ** x, (N(),)),
    Case("pow-F.power(0.7,x)", lambda x: F.power(0.7, x), lambda x: torch.pow(0.7, x), (N(2, 3),)),
]

# ---- unary elementwise ops
UNARY = {
    "neg(-x)": (operator.neg, operator.neg, "normal"),
    "F.neg": (F.neg, torch.neg if torch else None, "normal"),
    "exp": (F.exp, lambda t: torch.exp(t), "normal"),
    "x.exp()": (lambda x: x.exp(), lambda t: t.exp(), "normal"),
    "log(positive)": (F.log, lambda t: torch.log(t), "positive"),
    "x.log()": (lambda x: x.log(), lambda t: t.log(), "positive"),
    "sqrt(positive)": (F.sqrt, lambda t: torch.sqrt(t), "positive"),
    "x.sqrt()": (lambda x: x.sqrt(), lambda t: t.sqrt(), "positive"),
    "abs(nonzero)": (F.abs, lambda t: torch.abs(t), "nonzero"),
    "abs(x)": (abs, abs, "nonzero"),
    "clip(-0.5,0.5)": (lambda x: F.clip(x, -0.5, 0.5), lambda t: torch.clamp(t, -0.5, 0.5), "distinct"),
    "x.clip(-1,0.5)": (lambda x: x.clip(-1, 0.5), lambda t: t.clamp(-1, 0.5), "distinct"),
    "clip(min=-0.5)": (lambda x: F.clip(x, min=-0.5), lambda t: torch.clamp(t, min=-0.5), "distinct"),
    "clip(max=0.5)": (lambda x: F.clip(x, max=0.5), lambda t: torch.clamp(t, max=0.5), "distinct"),
    "clip(None,None)": (lambda x: F.clip(x), lambda t: t.clone(), "normal"),
}

UNARY_CASES = [
    Case(f"unary-{name}-{fmt(s)}", sn, pt, ((s, dom),))
    for name, (sn, pt, dom) in UNARY.items()
    for s in [(), (7,), (3, 4), (2, 3, 4)]
]

# ---- matrix products, incl. 1-D operands and broadcast batch dims
MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4, 5), (2, 5, 3)),
    ((2, 3, 4), (2, 4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (5, 4, 2)),
]

MATMUL_CASES = [
    Case(f"matmul-{how}-{fmt(sa)}@{fmt(sb)}", sn, pt, (N(*sa), N(*sb)))
    for sa, sb in MATMUL_SHAPES
    for how, sn, pt in [("@", operator.matmul, operator.matmul),
                        ("F.matmul", F.matmul, lambda a, b: torch.matmul(a, b))]
]

# ---- reductions over axis None / int / negative int / tuple, keepdims False / True
AXES = [None, 0, 1, 2, -1, -2, (0, 2), (-1, 0), (0, 1, 2)]

REDUCTIONS = {
    # name -> (scratchnn method, torch fn(t, dims, keepdim), domain)
    "sum": (F.sum, lambda t, d, k: torch.sum(t, dim=d, keepdim=k), "normal"),
    "mean": (F.mean, lambda t, d, k: torch.mean(t, dim=d, keepdim=k), "normal"),
    "var": (F.var, lambda t, d, k: torch.var(t, dim=d, correction=0, keepdim=k), "normal"),
    "max": (F.max, lambda t, d, k: torch.amax(t, dim=d, keepdim=k), "distinct"),
    "min": (F.min, lambda t, d, k: torch.amin(t, dim=d, keepdim=k), "distinct"),
}


def _reduction_case(name, shape, axis, keepdims, method=False):
    fn, pt, dom = REDUCTIONS[name]
    if method:
        sn = lambda x: getattr(x, name)(axis=axis, keepdims=keepdims)  # noqa: E731
    else:
        sn = lambda x: fn(x, axis=axis, keepdims=keepdims)  # noqa: E731
    label = "x." + name if method else name
    return Case(f"reduce-{label}-{fmt(shape)}-axis={axis}-keepdims={keepdims}", sn,
                lambda t: pt(t, _dims(t, axis), keepdims), ((shape, dom),))


REDUCTION_CASES = [
    _reduction_case(name, (2, 3, 4), axis, keepdims)
    for name in REDUCTIONS for axis in AXES for keepdims in (False, True)
] + [
    _reduction_case(name, shape, axis, keepdims, method=True)
    for name in REDUCTIONS
    for shape, axis in [((), None), ((7,), None), ((7,), 0), ((3, 4), -1), ((3, 4), [0, 1])]
    for keepdims in (False, True)
]

# ---- shape ops
SHAPE_CASES = [
    Case("shape-reshape(4,3)", lambda x: x.reshape(4, 3), lambda t: t.reshape(4, 3), (N(3, 4),)),
    Case("shape-reshape((6,-1))", lambda x: x.reshape((6, -1)), lambda t: t.reshape(6, -1), (N(2, 3, 4),)),
    Case("shape-reshape(-1)", lambda x: x.reshape(-1), lambda t: t.reshape(-1), (N(2, 3, 4),)),
    Case("shape-F.reshape(x,(2,-1,2))", lambda x: F.reshape(x, (2, -1, 2)),
         lambda t: t.reshape(2, -1, 2), (N(3, 4),)),
    Case("shape-reshape-0d-to-(1,1)", lambda x: x.reshape(1, 1), lambda t: t.reshape(1, 1), (N(),)),
    Case("shape-transpose()-2d", lambda x: x.transpose(), lambda t: t.t(), (N(3, 4),)),
    Case("shape-transpose()-3d(None=reverse)", lambda x: x.transpose(),
         lambda t: t.permute(2, 1, 0), (N(2, 3, 4),)),
    Case("shape-F.transpose(x,None)", lambda x: F.transpose(x, None),
         lambda t: t.permute(2, 1, 0), (N(2, 3, 4),)),
    Case("shape-transpose(1,0)", lambda x: x.transpose(1, 0), lambda t: t.permute(1, 0), (N(3, 4),)),
    Case("shape-transpose((1,2,0))", lambda x: x.transpose((1, 2, 0)),
         lambda t: t.permute(1, 2, 0), (N(2, 3, 4),)),
    Case("shape-permute(2,0,1)", lambda x: x.permute(2, 0, 1), lambda t: t.permute(2, 0, 1), (N(2, 3, 4),)),
    Case("shape-F.permute(x,(1,0,2))", lambda x: F.permute(x, (1, 0, 2)),
         lambda t: t.permute(1, 0, 2), (N(2, 3, 4),)),
    Case("shape-permute-negative-axes(0,-1,1)", lambda x: x.permute(0, -1, 1),
         lambda t: t.permute(0, -1, 1), (N(2, 3, 4),)),
    Case("shape-transpose-negative-axes(-1,-3,-2)", lambda x: F.transpose(x, (-1, -3, -2)),
         lambda t: t.permute(-1, -3, -2), (N(2, 3, 4),)),
    Case("shape-.T-2d", lambda x: x.T, lambda t: t.T, (N(3, 4),)),
    Case("shape-.T-3d", lambda x: x.T, lambda t: t.permute(2, 1, 0), (N(2, 3, 4),)),
    Case("shape-.T-1d", lambda x: x.T, lambda t: t, (N(5),)),
    Case("shape-flatten()", lambda x: x.flatten(), lambda t: t.flatten(), (N(2, 3, 4),)),
    Case("shape-flatten(1)", lambda x: x.flatten(1), lambda t: t.flatten(1), (N(2, 3, 4),)),
    Case("shape-flatten(2)", lambda x: F.flatten(x, 2), lambda t: t.flatten(2), (N(2, 3, 2, 2),)),
    Case("shape-flatten(-2)", lambda x: x.flatten(-2), lambda t: t.flatten(-2), (N(2, 3, 4),)),
    Case("shape-squeeze()", lambda x: x.squeeze(), lambda t: t.squeeze(), (N(1, 3, 1, 4),)),
    Case("shape-squeeze(2)", lambda x: x.squeeze(2), lambda t: t.squeeze(2), (N(1, 3, 1, 4),)),
    Case("shape-squeeze(-4)", lambda x: F.squeeze(x, -4), lambda t: t.squeeze(-4), (N(1, 3, 1, 4),)),
    Case("shape-squeeze((0,2))", lambda x: x.squeeze((0, 2)), lambda t: t.squeeze((0, 2)), (N(1, 3, 1, 4),)),
    Case("shape-unsqueeze(0)", lambda x: x.unsqueeze(0), lambda t: t.unsqueeze(0), (N(3, 4),)),
    Case("shape-unsqueeze(-1)", lambda x: x.unsqueeze(-1), lambda t: t.unsqueeze(-1), (N(3, 4),)),
    Case("shape-F.unsqueeze(x,1)", lambda x: F.unsqueeze(x, 1), lambda t: t.unsqueeze(1), (N(3, 4),)),
    Case("shape-expand_dims(1)", lambda x: x.expand_dims(1), lambda t: t.unsqueeze(1), (N(3, 4),)),
    Case("shape-F.expand_dims(x,-2)", lambda x: F.expand_dims(x, -2), lambda t: t.unsqueeze(-2), (N(3, 4),)),
    Case("shape-F.expand_dims(x,(0,2))", lambda x: F.expand_dims(x, (0, 2)),
         lambda t: t.unsqueeze(0).unsqueeze(2), (N(3, 4),)),
    Case("shape-expand_dims-0d", lambda x: x.expand_dims(0), lambda t: t.unsqueeze(0), (N(),)),
    Case("shape-broadcast_to-(3,1)->(2,3,4)", lambda x: x.broadcast_to((2, 3, 4)),
         lambda t: torch.broadcast_to(t, (2, 3, 4)), (N(3, 1),)),
    Case("shape-broadcast_to-(4,)->(3,4)", lambda x: F.broadcast_to(x, (3, 4)),
         lambda t: torch.broadcast_to(t, (3, 4)), (N(4),)),
    Case("shape-broadcast_to-()->(2,3)", lambda x: F.broadcast_to(x, (2, 3)),
         lambda t: torch.broadcast_to(t, (2, 3)), (N(),)),
    Case("shape-broadcast_to-(1,4,1)->(2,3,4,5)", lambda x: F.broadcast_to(x, [2, 3, 4, 5]),
         lambda t: torch.broadcast_to(t, (2, 3, 4, 5)), (N(1, 4, 1),)),
    Case("shape-broadcast_to-same-shape", lambda x: F.broadcast_to(x, (3, 4)),
         lambda t: torch.broadcast_to(t, (3, 4)), (N(3, 4),)),
    Case("shape-astype(float32)->float64", lambda x: x.astype(np.float32).astype(np.float64),
         lambda t: t.to(torch.float32).to(torch.float64), (N(3, 4),),
         # float32 rounds x +- eps to ~6e-8: a step of 1e-6 would make the central
         # difference itself 5% off; 1e-3 keeps its error ~3e-5 (the op is linear).
         {"eps": 1e-3}),
    Case("shape-F.astype(float32)->float64-3d", lambda x: F.astype(F.astype(x, "float32"), np.float64),
         lambda t: t.to(torch.float32).to(torch.float64), (N(2, 3, 4),), {"eps": 1e-3}),
]

# ---- indexing: basic slicing, integer arrays (with duplicates), boolean masks
ROWS = np.array([0, 2, 2, 1])
COLS = np.array([3, 0, 0, 1])
MASK_2D = np.array([[True, False, True, True],
                    [False, False, True, False],
                    [True, True, False, True]])
MASK_ROWS = np.array([True, False, True])


def _idx(index):
    """The same index for torch: ndarrays become tensors, the rest is kept."""
    def conv(i):
        return torch.as_tensor(i) if isinstance(i, np.ndarray) else i
    return tuple(conv(i) for i in index) if isinstance(index, tuple) else conv(index)


INDEX = [
    # (id, index, input shape)
    ("x[1]", 1, (3, 4)),
    ("x[-1]", -1, (3, 4)),
    ("x[1,2](0-d)", (1, 2), (3, 4)),
    ("x[1:3]", slice(1, 3), (3, 4)),
    ("x[:,::2]", (slice(None), slice(None, None, 2)), (3, 4)),
    ("x[...,1]", (Ellipsis, 1), (2, 3, 4)),
    ("x[None]", None, (3, 4)),
    ("x[:,None,1:]", (slice(None), None, slice(1, None)), (3, 4)),
    ("x[1,...,::3]", (1, Ellipsis, slice(None, None, 3)), (2, 3, 4)),
    ("x[[0,2,0]](duplicates)", [0, 2, 0], (3, 4)),
    ("x[np.array([1,1,1])](duplicates)", np.array([1, 1, 1]), (3, 4)),
    ("x[:,[0,3,3]](duplicates)", (slice(None), np.array([0, 3, 3])), (3, 4)),
    ("x[rows,cols](duplicate pairs)", (ROWS, COLS), (3, 4)),
    ("x[rows,1:](advanced+slice)", (ROWS, slice(1, None)), (3, 4)),
    ("x[2d-bool-mask]", MASK_2D, (3, 4)),
    ("x[row-bool-mask]", MASK_ROWS, (3, 4)),
    ("x[row-bool-mask,1:3]", (MASK_ROWS, slice(1, 3)), (3, 4)),
    ("x[x>0]-style-mask-3d", np.arange(24).reshape(2, 3, 4) % 3 == 0, (2, 3, 4)),
    ("x[[0,2],[1,1]](tuple-of-lists)", ([0, 2], [1, 1]), (3, 4)),
    ("x[:,bool-list]", (slice(None), [True, False, True, False]), (3, 4)),
]

INDEX_CASES = [
    Case(f"index-{name}", (lambda x, i=index: x[i]), (lambda t, i=index: t[_idx(i)]), (N(*shape),))
    for name, index, shape in INDEX
] + [
    Case("index-F.getitem(x,[0,2,0])", lambda x: F.getitem(x, [0, 2, 0]),
         lambda t: t[[0, 2, 0]], (N(3, 4),)),
    Case("index-x[Tensor(int idx)]", lambda x: x[Tensor(np.array([2, 0, 2]))],
         lambda t: t[torch.tensor([2, 0, 2])], (N(3, 4),)),
    Case("index-x[Tensor(bool mask)]", lambda x: x[Tensor(MASK_2D)],
         lambda t: t[torch.as_tensor(MASK_2D)], (N(3, 4),)),
    Case("index-x[Tensor(rows),Tensor(cols)]", lambda x: x[Tensor(ROWS), Tensor(COLS)],
         lambda t: t[torch.as_tensor(ROWS), torch.as_tensor(COLS)], (N(3, 4),)),
    Case("index-x[::-1](negative-step)", lambda x: x[::-1], lambda t: t.flip(0), (N(3, 4),)),
    Case("index-x[:,::-2](negative-step)", lambda x: x[:, ::-2],
         lambda t: t.flip(1)[:, ::2], (N(3, 4),)),
    Case("index-iterate-and-stack", lambda x: F.stack(list(x)[::-1]),
         lambda t: torch.stack(list(t)[::-1]), (N(3, 4),)),
]

# ---- joining and splitting
COND = np.array([[True, False, False, True],
                 [False, True, True, True],
                 [False, False, True, False]])
COND_ROW = np.array([True, False, True, False])


def _split_sn(indices_or_sections, axis):
    # every part flattened and joined: each part gets its own random upstream gradient
    return lambda x: F.concatenate([p.reshape(-1) for p in F.split(x, indices_or_sections, axis)])


def _split_pt(indices_or_sections, axis):
    return lambda t: torch.cat([p.reshape(-1) for p in torch.tensor_split(t, indices_or_sections, axis)])


JOIN_CASES = [
    Case("join-concatenate-axis0-3inputs", lambda a, b, c: F.concatenate([a, b, c], axis=0),
         lambda a, b, c: torch.cat([a, b, c], 0), (N(2, 3), N(1, 3), N(4, 3))),
    Case("join-concatenate-axis1-3inputs", lambda a, b, c: F.concatenate([a, b, c], axis=1),
         lambda a, b, c: torch.cat([a, b, c], 1), (N(2, 3), N(2, 1), N(2, 4))),
    Case("join-concatenate-axis-1-3d", lambda a, b, c: F.concatenate((a, b, c), axis=-1),
         lambda a, b, c: torch.cat([a, b, c], -1), (N(2, 2, 3), N(2, 2, 1), N(2, 2, 2))),
    Case("join-concatenate-1input", lambda a: F.concatenate([a]),
         lambda a: torch.cat([a]), (N(3, 2),)),
    Case("join-concatenate-same-tensor-twice", lambda a, b: F.concatenate([a, b, a], axis=1),
         lambda a, b: torch.cat([a, b, a], 1), (N(2, 3), N(2, 2))),
    Case("join-concatenate-with-constant-array", lambda a: F.concatenate([a, np.ones((1, 3))]),
         lambda a: torch.cat([a, torch.ones(1, 3)]), (N(2, 3),)),
    Case("join-stack-axis0-3inputs", lambda a, b, c: F.stack([a, b, c]),
         lambda a, b, c: torch.stack([a, b, c]), (N(3, 4), N(3, 4), N(3, 4))),
    Case("join-stack-axis1", lambda a, b, c: F.stack([a, b, c], axis=1),
         lambda a, b, c: torch.stack([a, b, c], 1), (N(3, 4), N(3, 4), N(3, 4))),
    Case("join-stack-axis-1", lambda a, b: F.stack([a, b], axis=-1),
         lambda a, b: torch.stack([a, b], -1), (N(2, 3), N(2, 3))),
    Case("join-stack-0d", lambda a, b, c: F.stack([a, b, c]),
         lambda a, b, c: torch.stack([a, b, c]), (N(), N(), N())),
    Case("split-3-sections-axis0", _split_sn(3, 0), _split_pt(3, 0), (N(6, 2),)),
    Case("split-2-sections-axis1", _split_sn(2, 1), _split_pt(2, 1), (N(3, 4),)),
    Case("split-indices-[1,3]-axis0", _split_sn([1, 3], 0), _split_pt([1, 3], 0), (N(5, 2),)),
    Case("split-indices-[2]-axis-1", _split_sn([2], -1), _split_pt([2], -1), (N(2, 3, 5),)),
    Case("split-method-sections", lambda x: F.concatenate([p.reshape(-1) for p in x.split(2)]),
         lambda t: torch.cat([p.reshape(-1) for p in torch.tensor_split(t, 2)]), (N(4, 3),)),
    Case("where-same-shapes", lambda a, b: F.where(COND, a, b),
         lambda a, b: torch.where(torch.as_tensor(COND), a, b), (N(3, 4), N(3, 4))),
    Case("where-broadcast-x(4,)-y(3,1)", lambda a, b: F.where(COND, a, b),
         lambda a, b: torch.where(torch.as_tensor(COND), a, b), (N(4), N(3, 1))),
    Case("where-cond-broadcasts-(4,)-x,y-(3,1)", lambda a, b: F.where(COND_ROW, a, b),
         lambda a, b: torch.where(torch.as_tensor(COND_ROW), a, b), (N(3, 1), N(3, 4))),
    Case("where-cond-Tensor-and-scalar-y", lambda a: F.where(Tensor(COND), a, 0.5),
         lambda a: torch.where(torch.as_tensor(COND), a, 0.5), (N(3, 4),)),
    Case("where-constant-x", lambda b: F.where(COND, 0.25, b),
         lambda b: torch.where(torch.as_tensor(COND), 0.25, b), (N(3, 4),)),
    Case("where-cond-from-comparison", lambda a, b: F.where(a > b, a, b),
         lambda a, b: torch.where(a > b, a, b), (D(3, 4), D(3, 4))),
]

# ---- constant padding (numpy.pad conventions)
PAD_CASES = [
    Case("pad-int-1-2d", lambda x: F.pad(x, 1), lambda t: torch_pad(t, ((1, 1), (1, 1))), (N(3, 4),)),
    Case("pad-int-2-1d", lambda x: F.pad(x, 2), lambda t: torch_pad(t, ((2, 2),)), (N(5),)),
    Case("pad-one-pair-(1,2)-for-all-axes", lambda x: F.pad(x, (1, 2)),
         lambda t: torch_pad(t, ((1, 2), (1, 2))), (N(3, 4),)),
    Case("pad-per-axis-((1,2),(0,3))", lambda x: F.pad(x, ((1, 2), (0, 3))),
         lambda t: torch_pad(t, ((1, 2), (0, 3))), (N(3, 4),)),
    Case("pad-per-axis-3d-((0,1),(2,0),(1,1))", lambda x: F.pad(x, ((0, 1), (2, 0), (1, 1))),
         lambda t: torch_pad(t, ((0, 1), (2, 0), (1, 1))), (N(2, 3, 2),)),
    Case("pad-constant_values=0.5", lambda x: F.pad(x, ((1, 0), (0, 2)), constant_values=0.5),
         lambda t: torch_pad(t, ((1, 0), (0, 2)), value=0.5), (N(3, 4),)),
    Case("pad-zero-width", lambda x: F.pad(x, 0), lambda t: t.clone(), (N(3, 4),)),
]

ALL_CASES = (BINARY_CASES + SCALAR_OPERAND_CASES + POW_CASES + UNARY_CASES + MATMUL_CASES
             + REDUCTION_CASES + SHAPE_CASES + INDEX_CASES + JOIN_CASES + PAD_CASES)


def test_case_ids_are_unique():
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_inputs_are_small_float64():
    """Keep gradcheck cheap (an O(elements) Python loop) and in double precision."""
    rng = np.random.default_rng(0)
    for case in ALL_CASES:
        arrays = make_inputs(case, rng)
        assert sum(a.size for a in arrays) <= 72, case.id
        assert all(a.dtype == np.float64 for a in arrays), case.id


# ---------------------------------------------------------------- (a) gradcheck
@pytest.mark.parametrize("case", [c.param() for c in ALL_CASES])
def test_gradcheck(case, rng):
    arrays = make_inputs(case, rng)
    inputs = [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    assert gradcheck(case.sn, *inputs, **case.gc)


# ------------------------------------------------------- (b) equal to PyTorch
def run_both(sn_fn, pt_fn, arrays, rng):
    """Run the computation in scratchnn and torch on the same float64 arrays, backprop the
    same random upstream gradient through both; return (sn out, pt out, sn grads, pt grads)."""
    xs = [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, tout = sn_fn(*xs), pt_fn(*ts)
    w = np.asarray(rng.standard_normal(np.shape(out.data)))
    (out * w).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    # an input that does not influence the output: torch leaves .grad None, scratchnn may
    # give zeros or None; both mean a zero gradient
    grads = [np.zeros_like(a) if x.grad is None else x.grad for a, x in zip(arrays, xs)]
    tgrads = [np.zeros_like(a) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, ts)]
    return out, tout.detach().numpy(), grads, tgrads


def assert_same_as_torch(sn_fn, pt_fn, arrays, rng):
    out, expected, grads, tgrads = run_both(sn_fn, pt_fn, arrays, rng)
    assert out.dtype == np.float64, f"output dtype {out.dtype}"
    assert_close(out, expected, what="forward value")
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        assert np.shape(g) == arrays[i].shape, f"grad {i}: shape {np.shape(g)} != {arrays[i].shape}"
        assert_close(g, tg, what=f"gradient of input {i}")


@requires_torch
@pytest.mark.parametrize("case", [c.param() for c in ALL_CASES])
def test_matches_torch(case, rng):
    assert_same_as_torch(case.sn, case.pt, make_inputs(case, rng), rng)


# ------------------------------------------------ ties: the gradient is split
# Not differentiable there (no gradcheck): the convention, as PyTorch's, is that
# tied elements share the gradient equally.
TIE_A = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
TIE_B = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, 5.0]])     # ties at (0,0), (0,2), (1,0)
TIE_ROW = np.array([1.0, 2.0, 4.0])                      # broadcast: ties at (0,0), (1,2)


@requires_torch
@pytest.mark.parametrize("a, b", [(TIE_A, TIE_B), (TIE_A, TIE_ROW), (TIE_ROW, TIE_A)],
                         ids=["same-shape", "broadcast-b", "broadcast-a"])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_gradient_like_torch(name, a, b, rng):
    assert_same_as_torch(getattr(F, name), getattr(torch, name), [a, b], rng)


def test_maximum_tie_splits_gradient_evenly_by_hand():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    b = Tensor([1.0, 0.0, 5.0], requires_grad=True, dtype=np.float64)
    F.maximum(a, b).sum().backward()
    assert_close(a.grad, [0.5, 1.0, 0.0])
    assert_close(b.grad, [0.5, 0.0, 1.0])


TIES_2D = np.array([[1.0, 3.0, 3.0, 0.0],
                    [2.0, 2.0, -1.0, 2.0],
                    [3.0, -5.0, -5.0, 1.0]])     # ties for the max and min of rows and columns
TIES_3D = np.array([[[1.0, 1.0], [0.0, 1.0]], [[1.0, -2.0], [-2.0, 0.0]]])


@requires_torch
@pytest.mark.parametrize("x", [TIES_2D, TIES_3D], ids=["2d", "3d"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)], ids=lambda a: f"axis={a}")
@pytest.mark.parametrize("keepdims", [False, True], ids=["keepdims=False", "keepdims=True"])
@pytest.mark.parametrize("name, pt", [("max", "amax"), ("min", "amin")])
def test_max_min_ties_split_gradient_like_torch_amax(name, pt, x, axis, keepdims, rng):
    assert_same_as_torch(lambda t: getattr(F, name)(t, axis=axis, keepdims=keepdims),
                         lambda t: getattr(torch, pt)(t, dim=_dims(t, axis), keepdim=keepdims),
                         [x], rng)


def test_max_ties_split_gradient_evenly_by_hand():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True, dtype=np.float64)
    x.max(axis=1).sum().backward()
    assert_close(x.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.zero_grad()
    x.max().backward()                       # the global max, 3, appears twice
    assert_close(x.grad, [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])


# ----------------------------------------- special values: zeros, bounds
# (name, scratchnn fn, torch fn, inputs, differentiable there -> also gradcheck)
ZERO = np.array([0.0, 1.5, -0.5, 0.0])
EDGE = [
    ("x**0-at-x=0(derivative 0)", lambda x: x ** 0, lambda t: t ** 0, [ZERO], True),
    ("x**1-at-x=0", lambda x: x ** 1, lambda t: t ** 1, [ZERO], True),
    ("x**2-at-x=0", lambda x: x ** 2, lambda t: t ** 2, [ZERO], True),
    ("x**3-at-x=0", lambda x: x ** 3, lambda t: t ** 3, [ZERO], True),
    ("tensor**tensor-zero-base,exponent>=0", lambda a, b: a ** b, lambda a, b: a ** b,
     [np.array([0.0, 0.0, 0.0, 2.0]), np.array([0.0, 1.0, 2.5, 0.0])], False),
    ("0.0**tensor(exponent>0)", lambda b: F.power(0.0, b), lambda b: torch.pow(0.0, b),
     [np.array([1.0, 2.5, 0.5])], False),
    ("abs-at-0(subgradient 0)", abs, abs, [ZERO], False),
    ("clip-at-the-bounds(inclusive)", lambda x: x.clip(-0.5, 0.0),
     lambda t: t.clamp(-0.5, 0.0), [ZERO], False),
]


@pytest.mark.parametrize("name, sn, pt, arrays, smooth",
                         [pytest.param(*e, id=e[0]) for e in EDGE if e[4]])
def test_gradcheck_special_values(name, sn, pt, arrays, smooth):
    assert gradcheck(sn, *[Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays])


@requires_torch
@pytest.mark.parametrize("name, sn, pt, arrays, smooth", [pytest.param(*e, id=e[0]) for e in EDGE])
def test_special_values_match_torch(name, sn, pt, arrays, smooth, rng):
    assert_same_as_torch(sn, pt, arrays, rng)


# ------------------------------------------------------------ a few extras
@requires_torch
@pytest.mark.parametrize("spec", [3, [1, 4], [2]], ids=["3-sections", "indices-[1,4]", "indices-[2]"])
def test_split_parts_match_torch_tensor_split(spec, rng):
    x = rng.standard_normal((6, 2))
    parts = F.split(Tensor(x, dtype=np.float64), spec)
    expected = torch.tensor_split(torch.tensor(x), spec)
    assert len(parts) == len(expected)
    for p, e in zip(parts, expected):
        assert_close(p, e.numpy(), what="split part")


def test_astype_round_trip_values_and_dtypes(rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    y32 = x.astype(np.float32)
    y = y32.astype(np.float64)
    assert y32.dtype == np.float32 and y.dtype == np.float64
    assert_close(y, x.data.astype(np.float32).astype(np.float64), rtol=0, atol=0)
    w = rng.standard_normal((3, 4))
    (y * w).sum().backward()
    assert x.grad.dtype == np.float64
    assert_close(x.grad, w.astype(np.float32).astype(np.float64), rtol=0, atol=0)


def test_gradients_accumulate_when_a_tensor_is_used_twice(rng):
    a = rng.standard_normal((3, 4))
    x = Tensor(a, requires_grad=True, dtype=np.float64)
    (x * x + x).sum().backward()
    assert_close(x.grad, 2 * a + 1)


def test_scratchnn_exports_gradcheck():
    assert scratchnn.gradcheck is gradcheck
