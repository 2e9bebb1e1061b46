"""``scratchnn.keras.ops``: Keras 3's op namespace. Values against NumPy (Keras's ops follow
NumPy's semantics), gradients by gradcheck in float64 and against PyTorch, Keras's defaults
(``gelu`` approximate, ``leaky_relu`` 0.2), and no graph where Keras has no gradient."""
import numpy as np
import pytest

from scratchnn import Tensor, gradcheck
from scratchnn.keras import ops

from tests.helpers import assert_close, requires_torch, torch
from tests.test_ops import assert_same_as_torch

A = np.array([[0.3, -1.2, 2.0], [1.5, 0.7, -0.4]])
M = np.array([[1.0, -2.0], [3.0, 4.0]])

# name -> (keras op on a Tensor, the NumPy reference on an array)
VALUES = {
    "sum-axis-keepdims": (lambda x: ops.sum(x, axis=1, keepdims=True), lambda a: a.sum(1, keepdims=True)),
    "mean": (lambda x: ops.mean(x, axis=0), lambda a: a.mean(0)),
    "var": (ops.var, np.var),
    "std": (lambda x: ops.std(x, axis=-1), lambda a: a.std(-1)),
    "max": (lambda x: ops.max(x, axis=1), lambda a: a.max(1)),
    "max-initial": (lambda x: ops.max(x, initial=5.0), lambda a: np.max(a, initial=5.0)),
    "min": (ops.min, np.min),
    "prod": (lambda x: ops.prod(x, axis=0), lambda a: a.prod(0)),
    "cumsum-flat": (ops.cumsum, np.cumsum),
    "cumsum-axis": (lambda x: ops.cumsum(x, axis=1), lambda a: np.cumsum(a, 1)),
    "square": (ops.square, np.square),
    "abs": (ops.abs, np.abs),
    "sign": (ops.sign, np.sign),
    "exp": (ops.exp, np.exp),
    "expm1": (ops.expm1, np.expm1),
    "log-abs": (lambda x: ops.log(ops.abs(x)), lambda a: np.log(np.abs(a))),
    "log2": (lambda x: ops.log2(ops.abs(x)), lambda a: np.log2(np.abs(a))),
    "log10": (lambda x: ops.log10(ops.abs(x)), lambda a: np.log10(np.abs(a))),
    "sqrt": (lambda x: ops.sqrt(ops.abs(x)), lambda a: np.sqrt(np.abs(a))),
    "reciprocal": (ops.reciprocal, np.reciprocal),
    "tan": (ops.tan, np.tan),
    "clip": (lambda x: ops.clip(x, -0.5, 1.0), lambda a: np.clip(a, -0.5, 1.0)),
    "power": (lambda x: ops.power(x, 2), lambda a: a ** 2),
    "maximum": (lambda x: ops.maximum(x, 0.5), lambda a: np.maximum(a, 0.5)),
    "subtract-divide": (lambda x: ops.divide(ops.subtract(x, 1.0), 2.0), lambda a: (a - 1) / 2),
    "matmul": (lambda x: ops.matmul(x, x.T), lambda a: a @ a.T),
    "dot-vector": (lambda x: ops.dot(x[0], x[1]), lambda a: np.dot(a[0], a[1])),
    "outer": (lambda x: ops.outer(x[0], x[1]), lambda a: np.outer(a[0], a[1])),
    "einsum": (lambda x: ops.einsum("ij,kj->ik", x, x), lambda a: a @ a.T),
    "transpose": (ops.transpose, np.transpose),
    "reshape": (lambda x: ops.reshape(x, (3, -1)), lambda a: a.reshape(3, -1)),
    "expand-squeeze": (lambda x: ops.squeeze(ops.expand_dims(x, 0), 0), lambda a: a),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, 1), lambda a: np.swapaxes(a, 0, 1)),
    "moveaxis": (lambda x: ops.moveaxis(x[None], 0, -1), lambda a: np.moveaxis(a[None], 0, -1)),
    "concatenate": (lambda x: ops.concatenate([x, x], axis=1), lambda a: np.concatenate([a, a], 1)),
    "stack": (lambda x: ops.stack([x, x], axis=-1), lambda a: np.stack([a, a], -1)),
    "flip": (lambda x: ops.flip(x, axis=1), lambda a: np.flip(a, 1)),
    "flip-all": (ops.flip, np.flip),
    "repeat": (lambda x: ops.repeat(x, 2, axis=1), lambda a: np.repeat(a, 2, 1)),
    "repeat-flat": (lambda x: ops.repeat(x, 2), lambda a: np.repeat(a, 2)),
    "tile": (lambda x: ops.tile(x, (2, 1)), lambda a: np.tile(a, (2, 1))),
    "tile-more-axes": (lambda x: ops.tile(x, (2, 1, 2)), lambda a: np.tile(a, (2, 1, 2))),
    "take": (lambda x: ops.take(x, [2, 0, 2], axis=1), lambda a: np.take(a, [2, 0, 2], 1)),
    "take-flat": (lambda x: ops.take(x, [5, 1]), lambda a: np.take(a, [5, 1])),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[2, 0], [1, 1]]), axis=1),
                        lambda a: np.take_along_axis(a, np.array([[2, 0], [1, 1]]), 1)),
    "sort": (ops.sort, lambda a: np.sort(a, -1)),
    "sort-axis0": (lambda x: ops.sort(x, axis=0), lambda a: np.sort(a, 0)),
    "tril": (lambda x: ops.tril(x), np.tril),
    "triu-k": (lambda x: ops.triu(x, 1), lambda a: np.triu(a, 1)),
    "where": (lambda x: ops.where(x > 0, x, 0.0), lambda a: np.where(a > 0, a, 0.0)),
    "pad": (lambda x: ops.pad(x, ((1, 0), (0, 2))), lambda a: np.pad(a, ((1, 0), (0, 2)))),
    "norm": (ops.norm, np.linalg.norm),
    "norm-axis-ord1": (lambda x: ops.norm(x, ord=1, axis=1), lambda a: np.linalg.norm(a, 1, axis=1)),
    "norm-axis-inf": (lambda x: ops.norm(x, ord=np.inf, axis=0), lambda a: np.linalg.norm(a, np.inf, axis=0)),
    "norm-p3": (lambda x: ops.norm(x, ord=3, axis=-1), lambda a: np.linalg.norm(a, 3, axis=-1)),
    "norm-matrix-1": (lambda x: ops.norm(x, ord=1, axis=(0, 1)), lambda a: np.linalg.norm(a, 1)),
    "norm-matrix-inf-keepdims": (lambda x: ops.norm(x, ord=np.inf, axis=(0, 1), keepdims=True),
                                 lambda a: np.linalg.norm(a, np.inf, axis=(0, 1), keepdims=True)),
    "norm-keepdims": (lambda x: ops.norm(x, keepdims=True), lambda a: np.linalg.norm(a, keepdims=True)),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=1), lambda a: np.log(np.exp(a).sum(1))),
    "logsumexp-all-keepdims": (lambda x: ops.logsumexp(x, keepdims=True),
                               lambda a: np.log(np.exp(a).sum(keepdims=True))),
    "rsqrt": (lambda x: ops.rsqrt(ops.abs(x)), lambda a: 1 / np.sqrt(np.abs(a))),
    "softmax": (lambda x: ops.softmax(x, axis=0), lambda a: np.exp(a) / np.exp(a).sum(0)),
    "log_softmax": (ops.log_softmax, lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True))),
    "log_sigmoid": (ops.log_sigmoid, lambda a: -np.log1p(np.exp(-a))),
    "relu": (ops.relu, lambda a: np.maximum(a, 0)),
    "leaky_relu-default-0.2": (ops.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a)),
    "gelu-default-approximate": (ops.gelu, lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi)
                                                                          * (a + 0.044715 * a ** 3)))),
    "elu": (lambda x: ops.elu(x, 0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a))),
    "normalize": (ops.normalize, lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True)),
    "hstack": (lambda x: ops.hstack([x, x * 2]), lambda a: np.hstack([a, a * 2])),
    "vstack-rows": (lambda x: ops.vstack([x[0], x[1], x]), lambda a: np.vstack([a[0], a[1], a])),
    "append": (lambda x: ops.append(x, x[:1], axis=0), lambda a: np.append(a, a[:1], axis=0)),
    "append-flat": (lambda x: ops.append(x, x), lambda a: np.append(a, a)),
    "diff": (ops.diff, np.diff),
    "diff-n2-axis0": (lambda x: ops.diff(ops.transpose(x), n=2, axis=0), lambda a: np.diff(a.T, 2, axis=0)),
    "average-weights": (lambda x: ops.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0])),
                        lambda a: np.average(a, axis=1, weights=[1.0, 2.0, 3.0])),
    "average-full-weights": (lambda x: ops.average(x, weights=np.abs(A) + 1),
                             lambda a: np.average(a, weights=np.abs(A) + 1)),
    "trace": (ops.trace, np.trace),
    "trace-offset": (lambda x: ops.trace(x, offset=1), lambda a: np.trace(a, offset=1)),
    "diag-of-matrix": (ops.diag, np.diag),
    "diag-of-matrix-k-1": (lambda x: ops.diag(x, -1), lambda a: np.diag(a, -1)),
    "diag-of-vector-k1": (lambda x: ops.diag(x[0], 1), lambda a: np.diag(a[0], 1)),
    "diag-of-vector-k-2": (lambda x: ops.diag(x[1], -2), lambda a: np.diag(a[1], -2)),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_values_match_numpy(name):
    op, ref = VALUES[name]
    out = op(Tensor(A, dtype=np.float64))
    assert isinstance(out, Tensor)
    assert_close(out, ref(A), what=name)


# every differentiable op of the table, plus the two-input ones: gradcheck in float64
GRAD = [n for n in VALUES if n not in ("sign",)]


@pytest.mark.parametrize("name", GRAD)
def test_gradcheck(name):
    assert gradcheck(VALUES[name][0], A)


# the ones built here from several ops, against PyTorch
TORCH = {
    "sort": (ops.sort, lambda t: torch.sort(t, -1).values),
    "top_k-values": (lambda x: ops.top_k(x, 2)[0], lambda t: torch.topk(t, 2).values),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=1), lambda t: torch.logsumexp(t, 1)),
    "norm": (ops.norm, lambda t: torch.linalg.norm(t)),
    "norm-ord1-axis": (lambda x: ops.norm(x, ord=1, axis=1), lambda t: torch.linalg.vector_norm(t, 1, dim=1)),
    "norm-matrix-inf": (lambda x: ops.norm(x, ord=np.inf, axis=(0, 1)),
                        lambda t: torch.linalg.matrix_norm(t, np.inf)),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[2, 2], [1, 0]]), axis=1),
                        lambda t: torch.take_along_dim(t, torch.tensor([[2, 2], [1, 0]]), 1)),
    "repeat": (lambda x: ops.repeat(x, 3, axis=0), lambda t: torch.repeat_interleave(t, 3, 0)),
    "tile": (lambda x: ops.tile(x, (2, 2)), lambda t: t.tile((2, 2))),
    "flip": (lambda x: ops.flip(x, 1), lambda t: torch.flip(t, (1,))),
    "log_sigmoid": (ops.log_sigmoid, lambda t: torch.nn.functional.logsigmoid(t)),
    "gelu": (ops.gelu, lambda t: torch.nn.functional.gelu(t, approximate="tanh")),
    "binary_crossentropy-logits": (lambda x: ops.binary_crossentropy(np.array([[1.0, 0, 1], [0, 0, 1]]), x,
                                                                     from_logits=True),
                                   lambda t: torch.nn.functional.binary_cross_entropy_with_logits(
                                       t, torch.tensor([[1.0, 0, 1], [0, 0, 1]], dtype=t.dtype),
                                       reduction="none")),
    "sparse_categorical_crossentropy": (
        lambda x: ops.sparse_categorical_crossentropy(np.array([2, 0]), x, from_logits=True),
        lambda t: torch.nn.functional.cross_entropy(t, torch.tensor([2, 0]), reduction="none")),
}


@requires_torch
@pytest.mark.parametrize("name", list(TORCH))
def test_matches_torch(name, rng):
    sn, pt = TORCH[name]
    assert_same_as_torch(sn, pt, [A.copy()], rng)


def test_top_k_indices_and_k_check():
    values, indices = ops.top_k(np.array([[1.0, 5.0, 3.0], [2.0, 0.0, 9.0]]), 2)
    np.testing.assert_array_equal(indices.data, [[1, 2], [2, 0]])
    np.testing.assert_array_equal(values.data, [[5.0, 3.0], [9.0, 2.0]])
    assert indices.dtype == np.int32
    with pytest.raises(ValueError, match=r"top_k: k must be in \[1, 3\].*got 4"):
        ops.top_k(np.ones((2, 3)), 4)


def test_non_differentiable_ops_return_tensors_without_graph():
    x = Tensor(A, requires_grad=True, dtype=np.float64)
    for out in (ops.argmax(x, axis=1), ops.argmin(x), ops.argsort(x), ops.equal(x, x), ops.greater(x, 0),
                ops.less_equal(x, 0.3), ops.sign(x), ops.round(x), ops.floor(x), ops.isnan(x),
                ops.logical_and(ops.greater(x, 0), ops.less(x, 1)), ops.count_nonzero(x), ops.all(x),
                ops.one_hot(np.array([0, 2]), 3), ops.ones_like(x), ops.zeros_like(x)):
        assert isinstance(out, Tensor) and not out.requires_grad
    np.testing.assert_array_equal(ops.argmax(A, axis=1).data, [2, 0])
    assert ops.argmax(A, axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_array_equal(ops.greater(A, 0).data, A > 0)


def test_more_numpy_functions_without_gradient():
    np.testing.assert_array_equal(ops.mod(np.array([5, -5]), 3).data, [2, 1])
    np.testing.assert_array_equal(ops.floor_divide(np.array([5, -5]), 3).data, [1, -2])
    np.testing.assert_array_equal(ops.isclose(np.array([1.0, 1.1]), 1.0).data, [True, False])
    rows, cols = ops.nonzero(np.array([[0, 3], [4, 0]]))
    np.testing.assert_array_equal(rows.data, [0, 1])
    np.testing.assert_array_equal(cols.data, [1, 0])
    gx, gy = ops.meshgrid(np.arange(3), np.arange(2))
    assert gx.shape == (2, 3) and gy.shape == (2, 3)
    with pytest.raises(ValueError, match="diag: expected a 1-D or 2-D tensor"):
        ops.diag(np.ones((2, 2, 2)))


def test_an_op_scratchnn_lacks_says_so_in_one_line():
    with pytest.raises(AttributeError, match="keras.ops.fori_loop is not part of scratchnn's keras.ops"):
        ops.fori_loop                                                       # noqa: B018


def test_creation_ops_follow_keras_dtypes():
    assert ops.arange(5).dtype == np.int32 and ops.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_array_equal(ops.arange(1, 7, 2).data, [1, 3, 5])
    assert ops.ones((2, 3)).dtype == np.float32 and ops.zeros(4, dtype="int32").dtype == np.int32
    np.testing.assert_allclose(ops.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    np.testing.assert_array_equal(ops.eye(3, k=1).data, np.eye(3, k=1))
    np.testing.assert_array_equal(ops.full((2,), 7).data, [7, 7])
    assert ops.full((2,), 0.5).dtype == np.float32
    np.testing.assert_array_equal(ops.one_hot(np.array([1, 0, 5]), 3).data,
                                  [[0, 1, 0], [1, 0, 0], [0, 0, 0]])          # out of range: zeros
    assert ops.one_hot(np.array([1, 0]), 3, axis=0).shape == (3, 2)


def test_core_conversions():
    t = ops.convert_to_tensor([[1, 2], [3, 4]], dtype="float32")
    assert isinstance(t, Tensor) and t.dtype == np.float32
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor([0.5]).dtype == np.float32          # Keras's default float type
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32           # Python ints: int32
    assert ops.convert_to_tensor(np.arange(2)).dtype == np.arange(2).dtype
    assert isinstance(ops.convert_to_numpy(t), np.ndarray)
    assert ops.shape(t) == (2, 2) and ops.ndim(t) == 2 and ops.size(t) == 4 and ops.dtype(t) == "float32"
    assert ops.cast(t, "int32").dtype == np.int32 and not ops.cast(t, "int32").requires_grad
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ops.cast(x, "float64")
    assert y.requires_grad and y.dtype == np.float64                 # float to float: differentiable
    assert not ops.stop_gradient(x * 2).requires_grad
    with pytest.raises(TypeError, match="not a dtype"):
        ops.cast(t, "floot32")


def test_where_with_one_argument_gives_indices_and_with_one_branch_an_error():
    rows, cols = ops.where(np.array([[True, False], [False, True]]))
    np.testing.assert_array_equal(rows.data, [0, 1])
    np.testing.assert_array_equal(cols.data, [0, 1])
    with pytest.raises(ValueError, match="both x1 and x2, or neither"):
        ops.where(np.array([True]), 1.0)


def test_gradient_flows_through_a_small_program():
    """A keras.ops program (a softmax regression step) gives PyTorch's gradient."""
    w = Tensor(M, requires_grad=True, dtype=np.float64)
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), dtype=np.float64)
    logits = ops.matmul(x, w)
    loss = ops.mean(ops.sparse_categorical_crossentropy(np.array([1, 0]), logits, from_logits=True))
    loss.backward()
    p = np.exp(x.data @ M)
    p /= p.sum(1, keepdims=True)
    p[[0, 1], [1, 0]] -= 1
    assert_close(w.grad, x.data.T @ p / 2)


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="pad: mode 'reflect' is not available"):
        ops.pad(A, 1, mode="reflect")
    with pytest.raises(ValueError, match="norm: matrix norm ord='nuc' is not available"):
        ops.norm(M, ord="nuc", axis=(0, 1))
    with pytest.raises(ValueError, match="dot: a second operand with 3 axes"):
        ops.dot(M, np.ones((2, 2, 2)))


def test_keras_ops_is_importable_both_ways():
    import scratchnn.keras.ops as by_path
    from scratchnn import keras
    assert keras.ops is by_path is ops
