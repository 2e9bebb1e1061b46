"""``Tensor.register_hook``: look at a gradient while ``backward`` computes it; and the operators
that ``scratchnn.ops`` attaches to ``Tensor`` (which must not cost Tensor its identity hash).

* on the output of an op, the hook sees the *total* gradient of that output, once per backward;
* on a leaf (a weight), it sees each gradient as it arrives, before it is added to ``.grad``;
* ``register_hook`` returns a ``HookHandle``: ``handle.remove()`` or ``with handle: ...``.

What a hook saw is compared with the gradient computed independently (by hand, or kept with
``retain_grad``), in float64.
"""
import numpy as np
import pytest

import scratchnn  # noqa: F401  (imports ops, which attaches the operators)
from scratchnn.autograd import HookHandle, Tensor, no_grad


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, dtype=np.float64)


# ================================================================== the output of an op
def test_a_hook_on_an_op_output_sees_its_total_gradient_once():
    x = leaf([1.0, -2.0, 3.0])
    y = x * 2.0                       # used twice below: two gradients arrive at y
    seen = []
    y.register_hook(lambda grad: seen.append(grad.copy()))
    y.retain_grad()
    loss = (y * y).sum() + (y * 5.0).sum()
    loss.backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], 2.0 * y.data + 5.0)     # d loss / d y by hand
    np.testing.assert_array_equal(seen[0], y.grad)                # what retain_grad kept
    np.testing.assert_array_equal(x.grad, 2.0 * seen[0])          # the chain rule goes on from there


def test_a_hook_runs_once_per_backward():
    x = leaf([0.5, 1.5])
    y = x.exp()
    calls = []
    y.register_hook(lambda grad: calls.append(grad.copy()))
    loss = (y * 3.0).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert len(calls) == 2
    for grad in calls:
        np.testing.assert_array_equal(grad, [3.0, 3.0])


def test_a_hook_sees_the_gradient_given_to_backward():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    seen = []
    y.register_hook(seen.append)
    upstream = np.array([[0.5, -1.0], [2.0, 0.0]])
    y.backward(upstream)
    np.testing.assert_array_equal(seen[0], upstream)
    np.testing.assert_array_equal(x.grad, upstream * 2.0 * x.data)


# ================================================================== a leaf
def test_a_hook_on_a_leaf_sees_each_gradient_before_it_is_accumulated():
    x = leaf([1.0, 2.0, 3.0])
    x.grad = np.array([10.0, 10.0, 10.0])            # left over from an earlier backward
    arrivals = []
    x.register_hook(lambda grad: arrivals.append((grad.copy(), x.grad.copy())))
    loss = (x * 3.0).sum() + (x ** 2).sum()          # two paths reach x
    loss.backward()
    seen = sorted((tuple(grad) for grad, _ in arrivals))
    assert seen == sorted([(3.0, 3.0, 3.0), (2.0, 4.0, 6.0)])          # 3 and 2x, separately
    first_grad, grad_when_first_called = arrivals[0]
    np.testing.assert_array_equal(grad_when_first_called, [10.0, 10.0, 10.0])   # not yet added
    second_grad, grad_when_second_called = arrivals[1]
    np.testing.assert_array_equal(grad_when_second_called, 10.0 + first_grad)
    np.testing.assert_array_equal(x.grad, 10.0 + 3.0 + 2.0 * x.data)


def test_a_hook_on_a_leaf_sees_a_gradient_given_to_the_leaf_itself():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda grad: seen.append(grad.copy()))
    x.backward(np.array([0.25, 4.0]))
    np.testing.assert_array_equal(seen[0], [0.25, 4.0])
    np.testing.assert_array_equal(x.grad, [0.25, 4.0])


def test_a_weights_hook_sees_its_gradient_in_a_matrix_product():
    w = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = Tensor(np.array([[1.0, 0.0, 2.0], [0.5, 1.0, -1.0]]), dtype=np.float64)
    seen = []
    w.register_hook(seen.append)
    g = np.array([[1.0, -1.0], [2.0, 0.5]])
    (x @ w).backward(g)
    np.testing.assert_allclose(seen[0], x.data.T @ g, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(seen[0], w.grad)


# ================================================================== removing a hook
def test_handle_remove_stops_the_hook_and_twice_is_harmless():
    x = leaf([1.0, 2.0])
    calls = []
    handle = x.register_hook(calls.append)
    assert isinstance(handle, HookHandle)
    kept = x.register_hook(lambda grad: calls.append("kept"))
    handle.remove()
    handle.remove()
    (x * 2.0).sum().backward()
    assert calls == ["kept"]
    kept.remove()


def test_removing_an_op_output_hook_before_backward():
    x = leaf([1.0, 2.0])
    y = x * x
    calls = []
    y.register_hook(calls.append).remove()
    y.sum().backward()
    assert calls == []
    np.testing.assert_array_equal(x.grad, 2.0 * x.data)


def test_with_handle_removes_the_hook_when_the_block_ends_even_on_error():
    x = leaf([1.0, 2.0])
    calls = []
    with x.register_hook(calls.append) as handle:
        assert isinstance(handle, HookHandle)
        (x * 2.0).sum().backward()
    assert len(calls) == 1
    with pytest.raises(KeyError):
        with x.register_hook(calls.append):
            raise KeyError("inside the block")
    (x * 2.0).sum().backward()
    assert len(calls) == 1


def test_a_tensor_without_gradient_refuses_a_hook():
    with pytest.raises(RuntimeError, match=r"register_hook\(\): this tensor does not require grad, so "
                                           r"backward never computes its gradient"):
        Tensor(np.ones(3)).register_hook(print)
    x = leaf([1.0])
    with no_grad():
        y = x * 2.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.register_hook(print)


# ================================================================== the operators ops attaches
def test_a_tensor_hashes_by_identity_and_compares_elementwise():
    a = Tensor(np.array([1.0, 2.0]))
    b = Tensor(np.array([1.0, 2.0]))
    table = {a: "a", b: "b"}                  # optimizer state is a dict keyed by tensors
    assert table[a] == "a" and table[b] == "b" and len(table) == 2
    assert hash(a) == object.__hash__(a)
    equal = a == b
    assert isinstance(equal, Tensor) and equal.data.tolist() == [True, True]
    assert (a != b).data.tolist() == [False, False]
    assert (a < Tensor(np.array([2.0, 2.0]))).data.tolist() == [True, False]


def test_T_transposes_with_its_gradient():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x.T
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.data, x.data.T)
    g = np.arange(6.0).reshape(3, 2)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g.T)


def test_astype_converts_and_the_gradient_comes_back_in_the_original_dtype():
    x = Tensor(np.array([1.5, -2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and x.dtype == np.float32
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_reflected_operators_compute_and_differentiate():
    x = leaf([1.0, 2.0, 4.0])
    cases = [
        (lambda t: 2.0 - t, 2.0 - x.data, -np.ones(3)),
        (lambda t: 2.0 / t, 2.0 / x.data, -2.0 / x.data ** 2),
        (lambda t: 2.0 ** t, 2.0 ** x.data, 2.0 ** x.data * np.log(2.0)),
        (lambda t: 3.0 * t, 3.0 * x.data, 3.0 * np.ones(3)),
        (lambda t: 1.0 + t, 1.0 + x.data, np.ones(3)),
    ]
    for op, value, derivative in cases:
        x.grad = None
        y = op(x)
        assert isinstance(y, Tensor)
        np.testing.assert_allclose(y.data, value, rtol=1e-15)
        y.sum().backward()
        np.testing.assert_allclose(x.grad, derivative, rtol=1e-15)


def test_an_ndarray_on_the_left_gives_a_tensor_and_a_gradient():
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]])
    x = leaf([[1.0], [2.0], [3.0]])
    y = a @ x                         # ndarray.__matmul__ defers to Tensor.__rmatmul__
    assert isinstance(y, Tensor)
    np.testing.assert_array_equal(y.data, a @ x.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, a.T @ np.ones((2, 1)))
    z = np.ones(3) + Tensor(np.array([1.0, 2.0, 3.0]), dtype=np.float64)
    assert isinstance(z, Tensor) and z.data.tolist() == [2.0, 3.0, 4.0]


def test_an_input_used_twice_by_one_op_delivers_two_gradients_to_a_leaf_hook():
    x = leaf([1.0, 3.0])
    arrivals = []
    x.register_hook(lambda grad: arrivals.append(grad.copy()))
    (x * x).sum().backward()          # d(x*x)/dx arrives once per operand: x, and x again
    assert len(arrivals) == 2
    for grad in arrivals:
        np.testing.assert_array_equal(grad, x.data)
    np.testing.assert_array_equal(x.grad, 2.0 * x.data)
