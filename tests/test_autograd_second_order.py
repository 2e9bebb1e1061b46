"""Second derivatives: ``grad(outputs, inputs, create_graph=True)``.

For each op, the first derivative computed with ``create_graph=True`` (a Tensor with a graph)
is checked three ways: its values equal the plain (array) first derivative; its own gradient
matches finite differences of it, in float64 (``gradcheck``: together, the two pin the second
derivative); and both match PyTorch's double backward (``torch.autograd.grad(...,
create_graph=True)`` then a second ``grad``).
"""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn import ops
from scratchnn.autograd import Function, Tensor, enable_grad, grad
from scratchnn.backend import fast_kernels
from scratchnn.gradcheck import gradcheck

from tests.helpers import requires_torch, torch


def _t(module):
    """PyTorch's functional namespace (only called when torch is installed)."""
    return torch.nn.functional if module == "F" else torch


# name: (scratchnn function, PyTorch function, input shapes, input kind)
#   kind "any": standard normal; "positive": in [0.5, 2]; "apart": no two entries within 0.1 of
#   each other or of 0 (kinks of relu, abs, max, maximum stay away from the finite differences).
CASES = {
    "add_broadcast": (lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)], "any"),
    "sub_broadcast": (lambda a, b: a - b, lambda a, b: a - b, [(3, 4), (3, 1)], "any"),
    "mul_broadcast": (lambda a, b: a * b, lambda a, b: a * b, [(3, 4), (4,)], "any"),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (3, 4)], "positive"),
    "neg": (lambda a: -a, lambda a: -a, [(5,)], "any"),
    "pow_scalar": (lambda a: a ** 3, lambda a: a ** 3, [(5,)], "any"),
    "pow_fractional": (lambda a: a ** 2.5, lambda a: a ** 2.5, [(5,)], "positive"),
    "square": (lambda a: a ** 2, lambda a: a ** 2, [(2, 3)], "any"),
    "pow_tensor": (lambda a, b: a ** b, lambda a, b: a ** b, [(2, 3), (2, 3)], "positive"),
    "sqrt": (ops.sqrt, torch and torch.sqrt, [(2, 3)], "positive"),
    "exp": (ops.exp, torch and torch.exp, [(2, 3)], "any"),
    "log": (ops.log, torch and torch.log, [(2, 3)], "positive"),
    "log1p": (ops.log1p, torch and torch.log1p, [(2, 3)], "positive"),
    "sin": (ops.sin, torch and torch.sin, [(4,)], "any"),
    "cos": (ops.cos, torch and torch.cos, [(4,)], "any"),
    "abs": (ops.abs, torch and torch.abs, [(2, 3)], "apart"),
    "clip": (lambda a: ops.clip(a, -0.5, 0.5), lambda a: torch.clamp(a, -0.5, 0.5), [(3, 4)], "apart"),
    "maximum": (ops.maximum, torch and torch.maximum, [(3, 4), (3, 4)], "apart"),
    "minimum": (ops.minimum, torch and torch.minimum, [(3, 4), (4,)], "apart"),
    "where": (lambda a, b: ops.where(np.arange(6).reshape(2, 3) % 2 == 0, a, b),
              lambda a, b: torch.where(torch.tensor(np.arange(6).reshape(2, 3) % 2 == 0), a, b),
              [(2, 3), (2, 3)], "any"),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 2)], "any"),
    "matmul_batched_broadcast": (lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 5)], "any"),
    "matmul_vector_matrix": (lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4, 2)], "any"),
    "matmul_matrix_vector": (lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4,)], "any"),
    "matmul_dot": (lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4,)], "any"),
    "einsum": (lambda a, b: ops.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b),
               [(3, 4), (4, 2)], "any"),
    "sum_axis": (lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [(3, 4)], "any"),
    "sum_all": (lambda a: a.sum(), lambda a: a.sum(), [(3, 4)], "any"),
    "mean_keepdims": (lambda a: a.mean(axis=0, keepdims=True), lambda a: a.mean(dim=0, keepdim=True),
                      [(3, 4)], "any"),
    "var": (lambda a: a.var(axis=1), lambda a: a.var(dim=1, unbiased=False), [(3, 4)], "any"),
    "max_axis": (lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [(3, 4)], "apart"),
    "min_all": (lambda a: a.min(), lambda a: a.amin(), [(3, 4)], "apart"),
    "cumsum": (lambda a: ops.cumsum(a, axis=1), lambda a: torch.cumsum(a, dim=1), [(2, 4)], "any"),
    "reshape": (lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [(3, 4)], "any"),
    "transpose": (lambda a: a.transpose(1, 2, 0), lambda a: a.permute(1, 2, 0), [(2, 3, 4)], "any"),
    "broadcast_to": (lambda a: ops.broadcast_to(a, (2, 3, 4)), lambda a: a.expand(2, 3, 4), [(3, 1)],
                     "any"),
    "getitem_slice": (lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 4)], "any"),
    "getitem_repeated": (lambda a: a[np.array([0, 0, 2])], lambda a: a[torch.tensor([0, 0, 2])],
                         [(3, 4)], "any"),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), lambda a, b: torch.cat([a, b], 1),
                    [(2, 3), (2, 2)], "any"),
    "stack": (lambda a, b: ops.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1),
              [(2, 3), (2, 3)], "any"),
    "pad": (lambda a: ops.pad(a, 1), lambda a: torch.nn.functional.pad(a, (1, 1, 1, 1)), [(2, 3)], "any"),
    "astype": (lambda a: a.astype(np.float64), lambda a: a.double(), [(3,)], "any"),
    "tanh": (F.tanh, torch and torch.tanh, [(3, 4)], "any"),
    "sigmoid": (F.sigmoid, torch and torch.sigmoid, [(3, 4)], "any"),
    "relu": (F.relu, torch and torch.relu, [(3, 4)], "apart"),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.2), lambda a: _t("F").leaky_relu(a, 0.2), [(3, 4)], "apart"),
    "elu": (F.elu, lambda a: _t("F").elu(a), [(3, 4)], "apart"),
    "softplus": (F.softplus, lambda a: _t("F").softplus(a), [(3, 4)], "any"),
    "silu": (F.silu, lambda a: _t("F").silu(a), [(3, 4)], "any"),
    "gelu": (F.gelu, lambda a: _t("F").gelu(a), [(3, 4)], "any"),
    "gelu_tanh": (lambda a: F.gelu(a, approximate=True), lambda a: _t("F").gelu(a, approximate="tanh"),
                  [(3, 4)], "any"),
    "softmax": (F.softmax, lambda a: torch.softmax(a, -1), [(3, 4)], "any"),
    "log_softmax": (F.log_softmax, lambda a: torch.log_softmax(a, -1), [(3, 4)], "any"),
    "dense": (F.dense, lambda x, w, b: x @ w + b, [(4, 3), (3, 2), (2,)], "any"),
    "dense_3d": (F.dense, lambda x, w, b: x @ w + b, [(2, 4, 3), (3, 2), (2,)], "any"),
    "mse": (lambda t, y: F.mean_squared_error(t, y), lambda t, y: ((y - t) ** 2).mean(),
            [(4, 3), (4, 3)], "any"),
    "bce_from_logits": (lambda t, z: F.binary_crossentropy(t, z, from_logits=True),
                        lambda t, z: _t("F").binary_cross_entropy_with_logits(z, t), [(4, 3), (4, 3)], "any"),
    "cce_from_logits": (lambda t, z: F.categorical_crossentropy(t, z, from_logits=True),
                        lambda t, z: -(t * torch.log_softmax(z, -1)).sum(-1).mean(), [(4, 3), (4, 3)],
                        "any"),
    "sparse_cce_from_logits": (lambda z: F.sparse_categorical_crossentropy(np.array([0, 2, 1, 2]), z,
                                                                           from_logits=True),
                               lambda z: _t("F").cross_entropy(z, torch.tensor([0, 2, 1, 2])),
                               [(4, 3)], "any"),
}


def _torch_conv(x, k, b=None, stride=1, padding=0, dilation=1, relu=False):
    """PyTorch's conv2d on channels-last tensors with a Keras-layout kernel."""
    y = _t("F").conv2d(x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1), b, stride, padding, dilation)
    y = y.permute(0, 2, 3, 1)
    return torch.relu(y) if relu else y


CONV_CASES = {
    "conv2d_valid_bias": (F.conv2d, _torch_conv, [(2, 5, 5, 4), (3, 3, 4, 3), (3,)], "any"),
    "conv2d_same_stride2": (lambda x, k: F.conv2d(x, k, strides=2, padding="same"),
                            lambda x, k: _torch_conv(x, k, stride=2, padding=1), [(2, 5, 5, 1), (3, 3, 1, 2)],
                            "any"),
    "conv2d_dilated_relu": (lambda x, k, b: F.conv2d(x, k, b, dilation_rate=2, relu=True),
                            lambda x, k, b: _torch_conv(x, k, b, dilation=2, relu=True),
                            [(1, 6, 6, 2), (2, 2, 2, 3), (3,)], "any"),
}
CONV_CASES.update({
    "max_pool_same": (lambda x: F.max_pool2d(F.tanh(x), 2, padding="same"),
                      lambda x: _t("F").max_pool2d(torch.tanh(x).permute(0, 3, 1, 2), 2, ceil_mode=True)
                      .permute(0, 2, 3, 1), [(2, 5, 5, 2)], "apart"),
    "max_pool_overlapping": (lambda x: F.max_pool2d(x ** 3, 3, strides=1),
                             lambda x: _t("F").max_pool2d((x ** 3).permute(0, 3, 1, 2), 3, 1)
                             .permute(0, 2, 3, 1), [(1, 5, 5, 2)], "apart"),
    "avg_pool_same": (lambda x: F.avg_pool2d(x ** 2, 2, padding="same"),
                      lambda x: _t("F").avg_pool2d((x ** 2).permute(0, 3, 1, 2), 2, ceil_mode=True)
                      .permute(0, 2, 3, 1), [(1, 5, 5, 2)], "any"),
})
CASES.update(CONV_CASES)
CASES["erf"] = (F.erf, torch and torch.erf, [(2, 3)], "any")
CASES["embedding_repeated_ids"] = (lambda w: F.embedding(np.array([[0, 2], [2, 2]]), w),
                                   lambda w: _t("F").embedding(torch.tensor([[0, 2], [2, 2]]), w),
                                   [(4, 3)], "any")
CASES.update({
    "layer_norm": (F.layer_norm, lambda x, g, b: _t("F").layer_norm(x, (4,), g, b, eps=1e-3),
                   [(3, 4), (4,), (4,)], "any"),
    "layer_norm_two_axes": (lambda x, g, b: F.layer_norm(x, g, b, axis=(1, 2)),
                            lambda x, g, b: _t("F").layer_norm(x, (3, 4), g, b, eps=1e-3),
                            [(2, 3, 4), (3, 4), (3, 4)], "any"),
    "batch_norm_train": (lambda x, g, b: F.batch_norm_train(x, g, b)[0],
                         lambda x, g, b: _t("F").batch_norm(x, None, None, g, b, training=True, eps=1e-3),
                         [(6, 3), (3,), (3,)], "any"),
    "batch_norm_train_images": (lambda x, g, b: F.batch_norm_train(x, g, b)[0],
                                lambda x, g, b: _t("F").batch_norm(
                                    x.permute(0, 3, 1, 2), None, None, g, b, training=True,
                                    eps=1e-3).permute(0, 2, 3, 1),
                                [(2, 3, 3, 2), (2,), (2,)], "any"),
    "batch_norm_inference": (F.batch_norm, lambda x, g, b, m, v: (x - m) / torch.sqrt(v + 1e-3) * g + b,
                             [(5, 3), (3,), (3,), (3,), (3,)], "positive"),
})


def _inputs(shapes, kind, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if kind == "positive":
            arrays.append(rng.uniform(0.5, 2.0, shape))
        elif kind == "apart":                   # distinct values, none near 0, in a random order
            n = int(np.prod(shape))
            values = (np.arange(n) - n // 2 + 0.5) * (0.25 + 0.2 * len(arrays) / (n + 1))
            arrays.append(rng.permutation(values).reshape(shape))
        else:
            arrays.append(rng.standard_normal(shape))
    return arrays


def _weights(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _first_derivative(fn):
    """x -> the gradient of sum(r * fn(x)^2) (r fixed) with respect to every input, flattened and
    joined: a function built from the first derivative, whose own gradient needs the second.
    (gradcheck evaluates it inside no_grad for the finite differences: the first derivative
    still needs its forward recorded, hence enable_grad.)"""
    def first(*xs):
        with enable_grad():
            out = fn(*xs)
            loss = (out * out * _weights(out.shape, 1)).sum()
            grads = grad(loss, list(xs), create_graph=True)
            return ops.concatenate([g.reshape(-1) for g in grads], axis=0)
    return first


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_matches_finite_differences(name):
    fn, _, shapes, kind = CASES[name]
    assert gradcheck(_first_derivative(fn), *_inputs(shapes, kind), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_create_graph_gives_the_same_first_derivative(name):
    fn, _, shapes, kind = CASES[name]
    xs = [Tensor(a, requires_grad=True, dtype=np.float64) for a in _inputs(shapes, kind)]
    out = fn(*xs)
    r = _weights(out.shape, 1)
    plain = grad(out, xs, [r], retain_graph=True)
    graphed = grad(out, xs, [r], create_graph=True)
    for p, g in zip(plain, graphed):
        assert isinstance(p, np.ndarray) and isinstance(g, Tensor)
        np.testing.assert_allclose(g.data, p, rtol=1e-12, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_matches_pytorch(name):
    fn, torch_fn, shapes, kind = CASES[name]
    arrays = _inputs(shapes, kind)
    xs = [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    flat = _first_derivative(fn)(*xs)
    v = _weights(flat.shape, 2)
    ours = grad(flat, xs, [v])

    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = torch_fn(*txs)
    loss = (out * out * torch.tensor(_weights(tuple(out.shape), 1))).sum()
    tgrads = torch.autograd.grad(loss, txs, create_graph=True)
    tflat = torch.cat([g.reshape(-1) for g in tgrads])
    np.testing.assert_allclose(flat.data, tflat.detach().numpy(), rtol=1e-10, atol=1e-12)
    theirs = torch.autograd.grad(tflat, txs, torch.tensor(v), allow_unused=True)
    for o, t, a in zip(ours, theirs, arrays):
        o = np.zeros_like(a) if o is None else o
        t = np.zeros_like(a) if t is None else t.numpy()
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CONV_CASES))
def test_second_derivative_of_the_reference_convolution(name):
    """With fast kernels off, conv2d and max_pool2d are the readable ops: the same second derivative."""
    fn, _, shapes, kind = CONV_CASES[name]
    with fast_kernels(False):
        xs = [Tensor(a, requires_grad=True, dtype=np.float64) for a in _inputs(shapes, kind)]
        assert type(fn(*xs)._ctx).__name__ in ("Conv2D", "MaxPool2D", "AvgPool2D")
        assert gradcheck(_first_derivative(fn), *_inputs(shapes, kind), atol=1e-6, rtol=1e-5)
        flat = _first_derivative(fn)(*xs)
    with fast_kernels(True):
        fast = _first_derivative(fn)(*xs)
    np.testing.assert_allclose(flat.data, fast.data, rtol=1e-10, atol=1e-12)
    v = _weights(flat.shape, 2)
    for a, b in zip(grad(flat, xs, [v]), grad(fast, xs, [v])):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_third_derivative():
    """create_graph all the way: d^3/dx^3 of x^4 is 24x."""
    x = Tensor(np.array([0.5, -2.0]), requires_grad=True, dtype=np.float64)
    d1, = grad((x ** 4).sum(), [x], create_graph=True)
    d2, = grad(d1.sum(), [x], create_graph=True)
    d3, = grad(d2.sum(), [x])
    np.testing.assert_allclose(d1.data, 4 * x.data ** 3)
    np.testing.assert_allclose(d2.data, 12 * x.data ** 2)
    np.testing.assert_allclose(d3, 24 * x.data)


def test_third_derivative_through_indexing_and_its_scatter():
    """x[idx] with a repeated index: its gradient is a scatter-add (the Scatter op), whose own
    gradient is indexing again: d^3/dx^3 of sum(x[idx]^4) = 24 x * (times each index is used)."""
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, dtype=np.float64)
    picked = x[np.array([0, 2, 2])]
    d1, = grad((picked ** 4).sum(), [x], create_graph=True)
    d2, = grad(d1.sum(), [x], create_graph=True)
    d3, = grad(d2.sum(), [x])
    used = np.array([1.0, 0.0, 2.0])
    np.testing.assert_allclose(d1.data, 4 * x.data ** 3 * used)
    np.testing.assert_allclose(d3, 24 * x.data * used)


def test_hessian_vector_product_of_a_quadratic_form(rng):
    """y = x^T A x / 2 has Hessian (A + A^T) / 2: the gradient of (grad y . v) is H v."""
    a = rng.standard_normal((4, 4))
    x = Tensor(rng.standard_normal(4), requires_grad=True, dtype=np.float64)
    v = rng.standard_normal(4)
    y = (x @ Tensor(a, dtype=np.float64) @ x) * 0.5
    g, = grad(y, [x], create_graph=True)
    hv, = grad((g * v).sum(), [x])
    np.testing.assert_allclose(hv, (a + a.T) / 2 @ v, rtol=1e-12)


def test_grad_outputs_with_a_graph_are_differentiated_too(rng):
    """The vector-Jacobian product u = J^T v of y = A x is linear in v: d sum(u) / d v = A 1."""
    a = rng.standard_normal((3, 4))
    x = Tensor(rng.standard_normal(4), requires_grad=True, dtype=np.float64)
    v = Tensor(rng.standard_normal(3), requires_grad=True, dtype=np.float64)
    y = Tensor(a, dtype=np.float64) @ x
    u, = grad(y, [x], grad_outputs=[v], create_graph=True)
    np.testing.assert_allclose(u.data, a.T @ v.data, rtol=1e-12)
    dv, = grad(u.sum(), [v])
    np.testing.assert_allclose(dv, a @ np.ones(4), rtol=1e-12)


def test_an_op_without_second_derivative_names_itself():
    """prod has no backward_graph: its first derivative is still right under create_graph, and
    differentiating it again raises naming the op (a zero would be a wrong answer)."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, dtype=np.float64)
    d1, = grad(ops.prod(x), [x], create_graph=True)
    np.testing.assert_allclose(d1.data, [6.0, 3.0, 2.0])
    with pytest.raises(NotImplementedError, match="second derivatives are not available for Prod"):
        grad(d1.sum(), [x])


def test_an_op_without_second_derivative_is_fine_when_only_constants_follow():
    """prod's gradient on a path that does not depend on x again (d/dx of sum(x) * c where c is
    prod of a constant) needs no second derivative of prod: no error, the right number."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, dtype=np.float64)
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True, dtype=np.float64)
    y = ops.prod(w) + (x * x).sum()
    dx, = grad(y, [x], create_graph=True)
    d2, = grad(dx.sum(), [x])
    np.testing.assert_allclose(d2, [2.0, 2.0])


def test_backward_refuses_create_graph_and_points_to_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(NotImplementedError, match=r"grad\(\.\.\., create_graph=True\)"):
        y.backward(create_graph=True)
    assert x.grad is None
    y.backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_first_order_never_uses_backward_graph(monkeypatch, rng):
    """With create_graph off (the default) backward and grad run each op's array backward only:
    a training step of a Dense network computes the same gradients when every backward_graph
    would raise, and its gradients are arrays, with nothing recorded."""
    def refuse(self, g):
        raise AssertionError(f"backward_graph called on {type(self).__name__}")
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    expected = grad(F.mean_squared_error(np.ones((5, 2)), F.tanh(F.dense(x, w, b))), [w, b])
    for cls in [Function] + _all_subclasses(Function):
        if "backward_graph" in vars(cls):
            monkeypatch.setattr(cls, "backward_graph", refuse)
    loss = F.mean_squared_error(np.ones((5, 2)), F.tanh(F.dense(x, w, b)))
    gw, gb = grad(loss, [w, b], retain_graph=True)
    assert type(gw) is np.ndarray and gw.dtype == np.float32
    np.testing.assert_array_equal(gw, expected[0])
    np.testing.assert_array_equal(gb, expected[1])
    loss.backward()
    np.testing.assert_array_equal(w.grad, expected[0])


def _all_subclasses(cls):
    found = []
    for sub in cls.__subclasses__():
        found += [sub] + _all_subclasses(sub)
    return found


def test_create_graph_keeps_float32(rng):
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    g, = grad((F.tanh(x) ** 2).sum(), [x], create_graph=True)
    h, = grad(g.sum(), [x])
    assert g.dtype == np.float32 and h.dtype == np.float32
