"""The autograd ENGINE (``scratchnn/autograd.py``): what ``Tensor``, ``Function``, ``backward``
and ``no_grad`` promise.

The formulas of the individual ops are checked in ``test_ops.py`` and ``gradcheck`` itself in
``test_gradcheck.py``; here we check the machinery around them, whatever the op:

* construction and dtypes of tensors, and mixing them with Python numbers and
  NumPy arrays on either side of an operator;
* gradient accumulation (a tensor used several times, repeated ``backward``
  calls, no aliasing between ``.grad`` arrays);
* broadcasting and indexing gradients (property tests against NumPy references);
* the graph's lifecycle (deep graphs, freeing, ``retain_graph``, ``retain_grad``);
* ``no_grad`` / ``enable_grad``; error messages; vector-Jacobian products;
* user-written ``Function`` subclasses (the recipe students follow to check their own layers);
* masks attached to tensors (``get_mask``/``set_mask``).
"""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import scratchnn
from scratchnn import Function, Tensor, enable_grad, gradcheck, no_grad
from scratchnn.autograd import get_mask, set_mask, unbroadcast
from scratchnn.ops import stack

from tests.helpers import assert_close


def t64(data, requires_grad=True):
    """A float64 tensor (exact enough to compare gradients with NumPy references)."""
    return Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64)


def sum_to_shape(g, shape):
    """Reference for the gradient of a broadcast input, written independently of the engine:
    sum over the leading axes broadcasting added, then over the axes it stretched from 1."""
    g = np.asarray(g, dtype=np.float64)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1:
            g = g.sum(axis=axis, keepdims=True)
    return g.reshape(shape)


# ====================================================================== construction
@pytest.mark.parametrize("data", [
    [1.0, 2.5, -3.0],
    [[1, 2], [3.5, 4]],
    np.array([1.0, 2.0], dtype=np.float64),
    np.array([1.0, 2.0], dtype=np.float16),
    3.25,
], ids=["float-list", "mixed-nested-list", "float64-array", "float16-array", "python-float"])
def test_floating_data_becomes_float32_by_default(data):
    """Python floats and float64 (or other float) arrays are stored as float32, values unchanged."""
    t = Tensor(data)
    assert t.dtype == np.float32
    assert isinstance(t.data, np.ndarray)
    np.testing.assert_allclose(t.data, np.asarray(data, dtype=np.float64), rtol=1e-3)


def test_explicit_float64_dtype_is_kept():
    """``dtype=np.float64`` keeps double precision (values that float32 would round)."""
    value = 1.0 + 2.0 ** -40
    t = Tensor([value, 2.0], dtype=np.float64)
    assert t.dtype == np.float64
    assert t.data[0] == value


@pytest.mark.parametrize("data, dtype", [
    ([1, 2, 3], np.dtype(int)),
    (np.array([1, 2], dtype=np.int32), np.dtype(np.int32)),
    (np.array([1, 2], dtype=np.uint8), np.dtype(np.uint8)),
    ([True, False], np.dtype(bool)),
    (np.array([True]), np.dtype(bool)),
], ids=["int-list", "int32", "uint8", "bool-list", "bool-array"])
def test_integer_and_bool_data_keep_their_dtype(data, dtype):
    """Integers and booleans are not converted to float (labels, masks stay exact)."""
    t = Tensor(data)
    assert t.dtype == dtype
    assert not t.requires_grad


def test_float32_array_is_shared_not_copied():
    """A float32 array needs no conversion, so the tensor wraps the same memory."""
    arr = np.zeros(4, dtype=np.float32)
    t = Tensor(arr)
    arr[1] = 7.0
    assert t.data is arr or np.shares_memory(t.data, arr)
    assert t.data[1] == 7.0


def test_tensor_of_a_tensor_shares_data_and_is_a_new_leaf():
    """``Tensor(t)`` wraps the same array as ``t`` (no copy) and starts a new, gradient-free leaf."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    t = Tensor(y)
    assert np.shares_memory(t.data, y.data)
    y.data[0] = 42.0
    assert t.data[0] == 42.0
    assert t.is_leaf and not t.requires_grad and t.grad is None


def test_basic_attributes():
    """``.data/.grad/.shape/.dtype/.ndim/.size`` describe the wrapped array; ``.grad`` starts as None."""
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = Tensor(arr, requires_grad=True)
    assert t.data is arr
    assert t.grad is None
    assert t.shape == (2, 3)
    assert t.dtype == np.float32
    assert t.ndim == 2
    assert t.size == 6
    assert t.is_leaf and t.requires_grad


def test_T_transposes_and_backpropagates():
    """``.T`` reverses the axes and its gradient is transposed back to the input's shape."""
    x = t64(np.arange(6.0).reshape(2, 3))
    w = np.arange(6.0).reshape(3, 2) + 1.0
    xt = x.T
    assert xt.shape == (3, 2)
    np.testing.assert_array_equal(xt.data, x.data.T)
    (xt * w).sum().backward()
    assert x.grad.shape == (2, 3)
    np.testing.assert_array_equal(x.grad, w.T)


def test_numpy_returns_the_shared_array():
    """``.numpy()`` gives the data itself (writes through), not a copy."""
    t = Tensor([1.0, 2.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray)
    a[0] = -5.0
    assert t.data[0] == -5.0


def test_item_returns_a_python_number():
    """``.item()`` of a one-element tensor (any number of dims) is a plain Python number."""
    assert Tensor(2.5).item() == 2.5
    assert type(Tensor(2.5).item()) is float
    assert Tensor([[3.0]]).item() == 3.0
    assert type(Tensor([7]).item()) is int


def test_item_on_several_elements_raises_value_error():
    """``.item()`` refuses a tensor with more than one element and names its shape."""
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        Tensor(np.ones((2, 2))).item()


def test_detach_shares_data_and_cuts_the_graph():
    """``detach()`` shares the array, is a leaf without gradient, and blocks backpropagation."""
    x = t64([1.0, 2.0, 3.0])
    h = x * 2.0
    d = h.detach()
    assert np.shares_memory(d.data, h.data)
    assert d.is_leaf and not d.requires_grad
    # loss = sum(detach(2x) * x): only the second factor carries a gradient
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_zero_grad_resets_grad_to_none():
    """``zero_grad()`` forgets the accumulated gradient; the next backward starts afresh."""
    x = t64([1.0, 2.0])
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    x.zero_grad()
    assert x.grad is None
    (x * 5.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


@pytest.mark.parametrize("data", [[1, 2, 3], [True, False]], ids=["int", "bool"])
def test_requires_grad_on_non_float_raises_type_error(data):
    """Only floating-point tensors may require gradients: a clear TypeError otherwise."""
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(data).requires_grad_()


# ========================================================= mixing with numbers and arrays
X0 = np.array([1.0, 2.0, 3.0])
ARR = np.array([0.5, -1.5, 2.0])                  # float64 on purpose
MAT = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])

# name -> (f(x), value(x0), d sum(f) / dx at x0), all by hand
MIXED = {
    "x + 1": (lambda x: x + 1, X0 + 1, np.ones(3)),
    "1 + x": (lambda x: 1 + x, 1 + X0, np.ones(3)),
    "x + 0.5": (lambda x: x + 0.5, X0 + 0.5, np.ones(3)),
    "x - arr": (lambda x: x - ARR, X0 - ARR, np.ones(3)),
    "arr - x": (lambda x: ARR - x, ARR - X0, -np.ones(3)),
    "2.5 - x": (lambda x: 2.5 - x, 2.5 - X0, -np.ones(3)),
    "arr * x": (lambda x: ARR * x, ARR * X0, ARR),
    "x * arr": (lambda x: x * ARR, X0 * ARR, ARR),
    "x * 0.1": (lambda x: x * 0.1, X0 * 0.1, np.full(3, 0.1)),
    "np.float64 * x": (lambda x: np.float64(0.25) * x, 0.25 * X0, np.full(3, 0.25)),
    "x / 4.0": (lambda x: x / 4.0, X0 / 4, np.full(3, 0.25)),
    "arr / x": (lambda x: ARR / x, ARR / X0, -ARR / X0 ** 2),
    "3 / x": (lambda x: 3 / x, 3 / X0, -3 / X0 ** 2),
    "2 ** x": (lambda x: 2 ** x, 2 ** X0, 2 ** X0 * np.log(2)),
    "1.5 ** x": (lambda x: 1.5 ** x, 1.5 ** X0, 1.5 ** X0 * np.log(1.5)),
    "x ** 2": (lambda x: x ** 2, X0 ** 2, 2 * X0),
    "x ** 0.5": (lambda x: x ** 0.5, X0 ** 0.5, 0.5 / np.sqrt(X0)),
    "x ** arr": (lambda x: x ** ARR, X0 ** ARR, ARR * X0 ** (ARR - 1)),
    "arr @ x": (lambda x: ARR @ x, ARR @ X0, ARR),
    "x @ arr": (lambda x: x @ ARR, X0 @ ARR, ARR),
    "mat @ x": (lambda x: MAT @ x, MAT @ X0, MAT.sum(axis=0)),
    "-x": (lambda x: -x, -X0, -np.ones(3)),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_mixing_with_numbers_and_arrays(name):
    """Tensor (op) number/ndarray and number/ndarray (op) Tensor: a float32 Tensor comes out
    (constants follow the tensor's dtype, even float64 arrays), with the right value and gradient."""
    f, value, grad = MIXED[name]
    x = Tensor(X0, requires_grad=True)                  # float32
    y = f(x)
    assert isinstance(y, Tensor), f"{name} gave {type(y).__name__}"
    assert y.dtype == np.float32, f"{name} gave dtype {y.dtype}"
    assert y.requires_grad and not y.is_leaf
    assert_close(y, value, rtol=1e-5, atol=1e-6, what=name)
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert_close(x.grad, grad, rtol=1e-5, atol=1e-6, what=f"grad of {name}")


def test_numpy_scalar_exponent_keeps_float32():
    """``x ** p`` with ``p`` a NumPy float64 scalar (e.g. from ``np.sqrt``; it is a Python
    float subclass) stays float32 like ``x ** 2.0``, as ``x * np.float64(p)`` does."""
    x = Tensor([1.0, 4.0], requires_grad=True)
    assert (x * np.float64(0.5)).dtype == np.float32          # lifted to float32
    y = x ** np.float64(0.5)
    assert y.dtype == np.float32, f"x ** np.float64(0.5) has dtype {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert_close(x.grad, [0.5, 0.25], rtol=1e-6)


@pytest.mark.parametrize("op", [
    lambda a, x: a + x, lambda a, x: a - x, lambda a, x: a * x, lambda a, x: a / x,
    lambda a, x: a ** x, lambda a, x: a @ x, lambda a, x: a < x, lambda a, x: a == x,
], ids=["+", "-", "*", "/", "**", "@", "<", "=="])
def test_ndarray_on_the_left_returns_a_tensor(op):
    """``np.ndarray (op) Tensor`` defers to the Tensor (``__array_ufunc__ = None``): the result is
    a Tensor, not an object array of Tensors."""
    arr = np.array([1.0, 2.0, 3.0])
    x = Tensor([0.5, 1.0, 2.0])
    y = op(arr, x)
    assert isinstance(y, Tensor), type(y)
    np.testing.assert_allclose(y.data, op(arr, x.data.astype(np.float64)), rtol=1e-6)


def test_float32_meets_float64_tensor_grads_keep_each_leafs_dtype():
    """Mixing a float32 and a float64 tensor computes in float64, but each leaf's ``.grad``
    has that leaf's own dtype and shape."""
    a = Tensor([1.0, 2.0], requires_grad=True)                     # float32
    b = Tensor([[3.0], [4.0]], requires_grad=True, dtype=np.float64)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.shape == (2,)
    assert b.grad.dtype == np.float64 and b.grad.shape == (2, 1)
    np.testing.assert_allclose(a.grad, [7.0, 7.0])
    np.testing.assert_allclose(b.grad, [[3.0], [3.0]])


# ================================================================== accumulation
def test_tensor_used_twice_in_one_op_gets_summed_gradient():
    """``x * x`` and ``x + x``: both uses contribute (2x and 2)."""
    x = t64([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])
    x.zero_grad()
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_diamond_graph_sums_both_paths():
    """a -> b = 3a, a -> c = a^2, d = b * c: dd/da = 3c + b * 2a = 9 a^2."""
    a = t64([1.0, 2.0, -1.5])
    b = a * 3.0
    c = a * a
    (b * c).sum().backward()
    assert_close(a.grad, 9 * a.data ** 2)


def test_diamond_with_paths_of_different_lengths():
    """An intermediate used directly and through a long chain gets both gradients before its
    own backward runs (the topological order is right, whatever the DFS visits first)."""
    a = t64([0.5, 2.0])
    b = a * 2.0                  # used directly and through the chain
    c = b
    for _ in range(20):
        c = c * 1.0 + 0.0        # c == b, but 40 ops away
    for out in (b * c + b, c * b + b):      # both orders of the inputs
        a.zero_grad()
        out.sum().backward(retain_graph=True)   # the chain is shared by both outputs
        # d/da [b*b + b] with b = 2a:  (2b + 1) * 2
        assert_close(a.grad, (2 * b.data + 1) * 2)


def test_each_backward_runs_once_per_pass():
    """Every recorded ``Function.backward`` is called exactly once per ``backward()``, even for
    a node whose output feeds many consumers."""
    calls = []

    class Tracked(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, g):
            calls.append(id(self))
            return g

    x = t64([1.0, 2.0])
    h = Tracked.apply(x)
    # h is reached twice before it is expanded (directly by the product, and through h + 1):
    # a DFS that does not skip already-visited nodes would list it, and call it, twice
    out = Tracked.apply(h) + h * (h + 1.0)
    out.sum().backward()
    assert len(calls) == 2 and len(set(calls)) == 2
    # d/dx [h + h^2 + h] with h = x  = 2 + 2x
    assert_close(x.grad, 2 + 2 * x.data)


def test_successive_backward_calls_accumulate():
    """Two backward passes on fresh graphs ADD into ``.grad`` (call ``zero_grad`` to reset)."""
    x = t64([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0 + 2.0, 3.0 + 4.0])
    x.backward(np.array([10.0, 20.0]))     # backward on a leaf adds its grad too
    np.testing.assert_array_equal(x.grad, [15.0, 27.0])


def test_leaf_grads_are_never_aliased():
    """``z = x + y`` sends the same upstream array to both leaves; each must get its own copy
    (and not the caller's ``grad`` array), so an in-place update of one leaves the others alone."""
    x, y = t64([1.0, 2.0, 3.0]), t64([4.0, 5.0, 6.0])
    upstream = np.ones(3)
    (x + y).backward(upstream)
    assert not np.shares_memory(x.grad, y.grad)
    assert not np.shares_memory(x.grad, upstream)
    x.grad += 100.0
    upstream[:] = -7.0
    np.testing.assert_array_equal(y.grad, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [101.0, 101.0, 101.0])

    a = t64([1.0, 2.0])
    a.backward(upstream[:2])
    upstream[:] = 0.0
    np.testing.assert_array_equal(a.grad, [-7.0, -7.0])   # a leaf's own backward copies too


def test_leaf_grad_is_a_writable_array_after_a_broadcasting_backward():
    """``x.sum()`` hands back a read-only broadcast view; the leaf's ``.grad`` must still be a
    writable array of its own (optimizers update it in place)."""
    x = t64(np.ones((2, 3)))
    x.sum().backward()
    assert x.grad.flags.writeable
    x.grad *= 2.0
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_retained_grad_is_not_aliased_with_the_leaf_grad():
    """The ``.grad`` kept by ``retain_grad()`` and the leaf's ``.grad`` are distinct arrays."""
    x = t64([1.0, 2.0])
    h = (x + 0.0).retain_grad()
    h.sum().backward()
    h.grad[:] = 99.0
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_inputs_without_requires_grad_get_no_gradient():
    """A constant input of an op (requires_grad False) gets no ``.grad`` and ``needs_grad``
    tells the op not to compute one."""
    seen = []

    class Spy(Function):
        def forward(self, a, b):
            self.a, self.b = a, b
            return a * b

        def backward(self, g):
            seen.append(self.needs_grad)
            return (g * self.b if self.needs_grad[0] else None,
                    g * self.a if self.needs_grad[1] else None)

    x, w = t64([1.0, 2.0]), t64([3.0, 4.0], requires_grad=False)
    Spy.apply(x, w).sum().backward()
    assert seen == [(True, False)]
    assert w.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# =========================================================== broadcasting gradients
BINARY_OPS = {
    "add": (lambda a, b: a + b, lambda a, b, g: (g, g)),
    "sub": (lambda a, b: a - b, lambda a, b, g: (g, -g)),
    "mul": (lambda a, b: a * b, lambda a, b, g: (g * b, g * a)),
    "div": (lambda a, b: a / b, lambda a, b, g: (g / b, -g * a / b ** 2)),
}


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                min_side=1, max_side=3),
       op=st.sampled_from(sorted(BINARY_OPS)),
       upstream=st.sampled_from(["ones", "random"]),
       seed=st.integers(0, 2 ** 32 - 1))
@example(shapes=hnp.BroadcastableShapes(((3, 1), (1, 4)), (3, 4)), op="mul", upstream="random", seed=0)
@example(shapes=hnp.BroadcastableShapes(((2, 1, 3), (4, 1)), (2, 4, 3)), op="div", upstream="random", seed=1)
@example(shapes=hnp.BroadcastableShapes(((4, 1), (2, 1, 3)), (2, 4, 3)), op="sub", upstream="ones", seed=2)
@example(shapes=hnp.BroadcastableShapes(((), (2, 3)), (2, 3)), op="add", upstream="random", seed=3)
@example(shapes=hnp.BroadcastableShapes(((2, 3), (1, 1, 1)), (1, 2, 3)), op="mul", upstream="ones", seed=4)
def test_broadcast_gradients_match_numpy_reference(shapes, op, upstream, seed):
    """For ``a (op) b`` with broadcasting on either side (size-1 dims, different ranks), each
    input's gradient has that input's shape and equals the full-shape gradient summed over the
    broadcast axes."""
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a_np = rng.standard_normal(sa)
    b_np = rng.choice([-1.0, 1.0], sb) * rng.uniform(0.5, 2.0, sb)      # away from 0 for div
    g = np.ones(out_shape) if upstream == "ones" else rng.standard_normal(out_shape)
    f, vjp = BINARY_OPS[op]

    a, b = t64(a_np), t64(b_np)
    out = f(a, b)
    assert out.shape == out_shape
    out.backward(g)

    ga_full, gb_full = vjp(np.broadcast_to(a_np, out_shape), np.broadcast_to(b_np, out_shape), g)
    assert a.grad.shape == sa and b.grad.shape == sb
    assert_close(a.grad, sum_to_shape(ga_full, sa), rtol=1e-10, atol=1e-12, what=f"d{op}/da")
    assert_close(b.grad, sum_to_shape(gb_full, sb), rtol=1e-10, atol=1e-12, what=f"d{op}/db")


@st.composite
def broadcast_target(draw):
    """A shape and a shape it broadcasts to (new leading axes, size-1 axes stretched, size 0 too)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
    other = draw(hnp.broadcastable_shapes(shape, min_dims=0, max_dims=5, min_side=0, max_side=3))
    return shape, np.broadcast_shapes(shape, other)


@given(st_=broadcast_target(), seed=st.integers(0, 2 ** 32 - 1))
@example(st_=((3, 1), (2, 3, 4)), seed=0)
@example(st_=((), (2, 3)), seed=0)
@example(st_=((1, 1), (1, 1)), seed=0)
def test_unbroadcast_is_the_adjoint_of_broadcast_to(st_, seed):
    """``unbroadcast(g, shape)`` returns ``shape``, equals the sum over broadcast axes, and is the
    adjoint of ``broadcast_to``: <unbroadcast(g), v> == <g, broadcast_to(v)>."""
    shape, target = st_
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(target)
    v = rng.standard_normal(shape)
    r = unbroadcast(g, shape)
    assert r.shape == shape
    assert_close(r, sum_to_shape(g, shape), rtol=1e-12, atol=1e-12)
    assert_close(np.sum(r * v), np.sum(g * np.broadcast_to(v, target)), rtol=1e-10, atol=1e-10)
    counts = unbroadcast(np.ones(target), shape)        # how many times each element was used
    if np.prod(shape, dtype=int):
        np.testing.assert_array_equal(counts, np.prod(target, dtype=int) // np.prod(shape, dtype=int))


# ============================================================= indexing backward
def index_reference(shape, index, g):
    """d sum(x[index] * g) / dx, by tracking the flat position of every picked element
    (``np.bincount`` adds repeated positions): independent of how GetItem is written."""
    size = int(np.prod(shape, dtype=int))
    picked = np.asarray(np.arange(size).reshape(shape)[index])
    return np.bincount(picked.ravel(), weights=np.asarray(g, dtype=np.float64).ravel(),
                       minlength=size).reshape(shape)


def check_index_backward(shape, index, seed):
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal(shape)
    x = t64(x_np)
    y = x[index]
    expected_value = x_np[index]
    assert y.shape == np.shape(expected_value)
    np.testing.assert_array_equal(y.data, expected_value)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    assert x.grad.shape == shape
    assert_close(x.grad, index_reference(shape, index, g), rtol=1e-12, atol=1e-12,
                 what=f"grad of x{list(shape)}[{index!r}]")
    return x, g


@st.composite
def basic_index_case(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    index = draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    return shape, index


@given(case=basic_index_case(), seed=st.integers(0, 2 ** 32 - 1))
@example(case=((5,), slice(None, None, -2)), seed=0)
@example(case=((3, 4), (Ellipsis, None, -1)), seed=0)
@example(case=((2, 3, 4), (slice(1, None), None, Ellipsis, slice(-1, 0, -2))), seed=0)
def test_basic_slicing_backward(case, seed):
    """Slices (with steps, negative), integers, None and Ellipsis: the gradient is the upstream
    gradient put back at the picked positions, zero elsewhere."""
    check_index_backward(*case, seed)


@st.composite
def integer_array_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    if draw(st.booleans()):   # a tuple of index arrays, one per axis (hypothesis' strategy)
        index = draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)))
    else:                     # many picks of few rows: duplicates are the rule, not the exception
        n = shape[0]
        index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=10)))
    return shape, index


@given(case=integer_array_case(), seed=st.integers(0, 2 ** 32 - 1))
@example(case=((4,), np.array([0, 0, 0, 2, -4])), seed=0)
@example(case=((3, 2), (np.array([[1, 1], [1, 0]]), np.array([[0, 0], [0, 1]]))), seed=0)
def test_integer_array_indexing_scatter_adds_duplicates(case, seed):
    """Integer-array indexing may pick an element several times; its gradient is the SUM of the
    upstream gradients of those picks (``np.add.at``), not the last one."""
    shape, index = case
    x, g = check_index_backward(shape, index, seed)
    expected = np.zeros(shape)
    np.add.at(expected, index, g)
    assert_close(x.grad, expected, rtol=1e-12, atol=1e-12)


def test_integer_index_given_as_list_or_tensor_adds_duplicates():
    """The same scatter-add with a Python list and with an integer Tensor as the index."""
    for index in ([0, 2, 0, 0], Tensor([0, 2, 0, 0])):
        x = t64([10.0, 20.0, 30.0])
        y = x[index]
        np.testing.assert_array_equal(y.data, [10.0, 30.0, 10.0, 10.0])
        y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
        np.testing.assert_array_equal(x.grad, [1.0 + 3.0 + 4.0, 0.0, 2.0])


@st.composite
def mask_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    start = draw(st.integers(0, len(shape) - 1))
    stop = draw(st.integers(start + 1, len(shape)))
    mask = draw(hnp.arrays(bool, shape[start:stop]))
    form = draw(st.sampled_from(["slices", "ellipsis", "list"]))
    if form == "ellipsis" and stop == len(shape):
        index = (Ellipsis, mask)
    elif form == "list" and start == 0 and mask.ndim == 1:
        index = mask.tolist()                   # a list of bools is a mask too
    else:
        index = (slice(None),) * start + (mask,)
    return shape, index


@given(case=mask_case(), seed=st.integers(0, 2 ** 32 - 1))
@example(case=((3, 4), np.array([[True, False, True, True], [False] * 4, [True] * 4])), seed=0)
@example(case=((3, 4), (slice(None), np.array([False, True, False, True]))), seed=0)
def test_boolean_mask_backward(case, seed):
    """Boolean masks (over leading, middle or trailing axes): selected elements get their
    upstream gradient, the others zero."""
    check_index_backward(*case, seed)


@st.composite
def mixed_index_case(draw):
    """Tuples mixing slices, integers, None, Ellipsis and integer arrays (one common length,
    so that several arrays broadcast together), possibly separated by slices."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    length = draw(st.integers(1, 5))
    parts = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "array", "array"]))
        if kind == "slice":
            bound = st.none() | st.integers(-n - 1, n + 1)
            parts.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, -1, -2]))))
        elif kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        else:
            parts.append(np.array(draw(st.lists(st.integers(-n, n - 1),
                                                min_size=length, max_size=length))))
        if draw(st.integers(0, 4)) == 0:
            parts.append(None)
    if draw(st.booleans()) and len(parts) > 1:    # drop trailing axes behind an Ellipsis
        cut = draw(st.integers(1, len(parts) - 1))
        parts = [Ellipsis] + parts[cut:]
    return shape, tuple(parts)


@given(case=mixed_index_case(), seed=st.integers(0, 2 ** 32 - 1))
@example(case=((3, 4), (np.array([0, 0, 2]), slice(None, None, -1))), seed=0)
@example(case=((3, 4, 2), (np.array([2, 2]), slice(1, 3), np.array([1, 1]))), seed=0)
@example(case=((3, 4), (None, np.array([1, 1]), 2)), seed=0)
def test_mixed_index_tuples_backward(case, seed):
    """Mixed basic/advanced index tuples: the gradient matches the position-tracking reference
    (duplicates added)."""
    check_index_backward(*case, seed)


def test_mask_and_integer_array_in_one_index():
    """A boolean mask combined with an integer array in one tuple."""
    check_index_backward((3, 4), (np.array([True, False, True]), np.array([1, 1])), seed=0)


# =========================================================== graph lifecycle
def test_deep_chain_of_100k_ops_backpropagates_without_recursion():
    """A chain of 100,000 ops: no RecursionError (the topological sort uses an explicit stack)
    and the gradient is the product of the 100,000 local derivatives."""
    x = t64(2.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    y.backward()
    assert_close(x.grad, 1.0000001 ** 100_000, rtol=1e-9)
    assert_close(y, 2.0 * 1.0000001 ** 100_000, rtol=1e-9)


def test_deep_chain_can_be_dropped_without_backward():
    """Dropping a 100,000-op graph that was never backpropagated frees it without crashing."""
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0.0
    ref = weakref.ref(y)
    del y
    gc.collect()
    assert ref() is None
    assert x.grad is None


def test_second_backward_on_freed_graph_raises():
    """``backward()`` frees the graph; a second one through it raises RuntimeError naming
    ``retain_graph``."""
    x = t64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])      # the failed call added nothing


def test_shared_subgraph_is_freed_for_other_outputs_too():
    """Two outputs share an intermediate: after backward through the first (no retain_graph),
    backward through the second hits the freed part and raises."""
    x = t64([1.0, 2.0])
    h = x * 3.0
    (h * 2.0).sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 5.0).sum().backward()


def test_retain_graph_allows_a_second_backward_that_doubles_the_gradient():
    """With ``retain_graph=True`` the graph survives; backpropagating twice adds the gradient twice."""
    x = t64([1.0, -2.0])
    y = (x * x * 3.0).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, 6 * x.data)
    y.backward()
    np.testing.assert_array_equal(x.grad, 12 * x.data)


def test_backward_frees_saved_intermediates():
    """After ``backward()`` the graph drops its references: an intermediate kept alive only by the
    graph is garbage; with ``retain_graph=True`` it is still alive."""
    for retain, alive in [(False, False), (True, True)]:
        x = t64([1.0, 2.0])
        h = x * 2.0
        ref = weakref.ref(h)
        y = (h * h).sum()
        del h
        assert ref() is not None
        y.backward(retain_graph=retain)
        gc.collect()
        assert (ref() is not None) is alive


def test_retain_grad_keeps_the_gradient_of_intermediates():
    """``retain_grad()`` on a non-leaf gives it ``.grad`` (summed over its uses); other
    intermediates keep ``.grad = None``."""
    x = t64([1.0, 2.0, 3.0])
    h = x * 2.0
    assert h.retain_grad() is h
    k = h * h + h              # h used three times
    out = k.sum()
    out.retain_grad()
    out.backward()
    assert_close(h.grad, 2 * h.data + 1)
    assert k.grad is None
    assert_close(out.grad, 1.0)
    assert_close(x.grad, (2 * h.data + 1) * 2)


# ================================================================== no_grad
def test_no_grad_context_records_nothing():
    """Inside ``no_grad()`` results are leaves without gradient; outside, recording resumes."""
    x = t64([1.0, 2.0])
    with no_grad():
        assert not scratchnn.is_grad_enabled()
        y = (x * 3.0 + 1.0).sum()
    assert scratchnn.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert_close(y, 11.0)
    z = x * 3.0
    assert z.requires_grad and not z.is_leaf


def test_no_grad_as_decorator():
    """``@no_grad()`` on a function: nothing inside it is recorded, and the flag is restored."""
    @no_grad()
    def predict(x):
        assert not scratchnn.is_grad_enabled()
        return x * 2.0

    x = t64([1.0])
    y = predict(x)
    assert not y.requires_grad and y.is_leaf
    assert scratchnn.is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    """``enable_grad()`` nested inside ``no_grad()`` (as context manager or decorator) records;
    leaving it returns to no-grad mode."""
    @enable_grad()
    def record(x):
        return x * 2.0

    x = t64([1.0, 2.0])
    with no_grad():
        with enable_grad():
            assert scratchnn.is_grad_enabled()
            y = x * x
        assert not scratchnn.is_grad_enabled()
        z = record(x)
        assert not scratchnn.is_grad_enabled()
        w = x * x
    assert y.requires_grad and not y.is_leaf
    assert z.requires_grad and not z.is_leaf
    assert not w.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_grad_mode_restored_after_exception():
    """An exception inside ``no_grad()`` (context or decorated function) propagates, and the
    grad mode is restored."""
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            raise ZeroDivisionError
    assert scratchnn.is_grad_enabled()

    @no_grad()
    def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert scratchnn.is_grad_enabled()

    with no_grad():
        with pytest.raises(ValueError):
            with enable_grad():
                raise ValueError
        assert not scratchnn.is_grad_enabled()
    assert scratchnn.is_grad_enabled()


# ==================================================================== errors
def test_backward_on_non_scalar_without_grad_names_the_shape():
    """Omitting ``grad`` is only allowed for a one-element output; the error names the shape."""
    x = t64(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        (x * 2.0).backward()


def test_backward_without_requires_grad_raises():
    """``backward()`` on a tensor that has no graph (constant, or computed in no_grad) raises."""
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor(1.0).backward()
    x = t64([1.0])
    with no_grad():
        y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="requires_grad"):
        y.backward()


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((3, 2)), np.ones((1, 2, 3)), 1.0],
                         ids=["(3,)", "(3,2)", "(1,2,3)", "scalar"])
def test_backward_with_wrong_grad_shape_raises_value_error(bad):
    """``backward(grad=...)`` requires exactly the output's shape (no broadcasting)."""
    x = t64(np.ones((2, 3)))
    y = x * 2.0
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        y.backward(bad)
    assert x.grad is None


@pytest.mark.parametrize("op, name, sa, sb", [
    (lambda a, b: a + b, "add", (3, 4), (5,)),
    (lambda a, b: a * b, "mul", (2, 3), (3, 2)),
    (lambda a, b: a @ b, "matmul", (3, 4), (5, 6)),
])
def test_shape_mismatch_names_the_op_and_both_shapes(op, name, sa, sb):
    """An op on incompatible shapes raises ValueError naming the op and both shapes."""
    a, b = t64(np.ones(sa)), t64(np.ones(sb))
    with pytest.raises(ValueError) as info:
        op(a, b)
    msg = str(info.value)
    assert name in msg and str(sa) in msg and str(sb) in msg, msg


def test_custom_function_error_names_the_function():
    """A ValueError raised in a user's ``forward`` is reported with the Function's name and shapes."""
    class MyOp(Function):
        def forward(self, a, b):
            raise ValueError("nope")

    with pytest.raises(ValueError, match=r"myop.*\(2,\).*\(3,\).*nope"):
        MyOp.apply(t64([1.0, 2.0]), t64([1.0, 2.0, 3.0]))


def test_split_into_unequal_parts_raises():
    """``split(x, n)`` needs the axis length to be a multiple of n; equal parts backpropagate."""
    x = t64(np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="equal"):
        x.split(4, axis=1)
    with pytest.raises(ValueError):
        x.split(0)
    parts = x.split(3, axis=1)
    assert [p.shape for p in parts] == [(2, 1)] * 3
    (parts[0] * 1.0 + parts[2] * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 3.0]] * 2)


@pytest.mark.parametrize("cmp, expected", [
    (lambda a, b: a < b, [True, False, False]),
    (lambda a, b: a <= b, [True, True, False]),
    (lambda a, b: a > b, [False, False, True]),
    (lambda a, b: a >= b, [False, True, True]),
    (lambda a, b: a == b, [False, True, False]),
    (lambda a, b: a != b, [True, False, True]),
], ids=["<", "<=", ">", ">=", "==", "!="])
def test_comparisons_give_boolean_tensors_without_gradient(cmp, expected):
    """Comparisons of tensors (or with numbers/arrays) are boolean tensors outside the graph."""
    x = t64([1.0, 2.0, 3.0])
    for other in (t64([2.0, 2.0, 2.0]), 2.0, np.array([2.0, 2.0, 2.0])):
        r = cmp(x, other)
        assert isinstance(r, Tensor)
        assert r.dtype == np.bool_
        assert not r.requires_grad and r.is_leaf
        np.testing.assert_array_equal(r.data, expected)


# ==================================================== vector-Jacobian products
def test_backward_with_explicit_grad_is_a_vector_jacobian_product(rng):
    """For a non-scalar output ``y``, ``y.backward(v)`` gives v^T (dy/dx), computed here by hand
    for y = A @ x (VJP: A^T v) and y = x^2 * w (VJP: 2 x w v)."""
    A = rng.standard_normal((4, 3))
    x = t64(rng.standard_normal(3))
    v = rng.standard_normal(4)
    (Tensor(A, dtype=np.float64) @ x).backward(v)
    assert_close(x.grad, A.T @ v)

    x = t64(rng.standard_normal((2, 3)))
    w = rng.standard_normal((2, 3))
    v = rng.standard_normal((2, 3))
    (x ** 2 * w).backward(Tensor(v, dtype=np.float64))
    assert_close(x.grad, 2 * x.data * w * v)


def test_vjp_of_a_reduction_and_explicit_scalar_grad(rng):
    """``y = x.sum(axis=0)`` with upstream v: every row of x gets v; a scalar loss with
    ``grad=3`` scales the gradient by 3."""
    x = t64(rng.standard_normal((3, 4)))
    v = rng.standard_normal(4)
    x.sum(axis=0).backward(v)
    assert_close(x.grad, np.tile(v, (3, 1)))

    x.zero_grad()
    (x * x).sum().backward(np.array(3.0))
    assert_close(x.grad, 6 * x.data)


def test_vjp_matches_full_jacobian(rng):
    """For a nonlinear map R^3 -> R^2 built from indexing, products, powers and stack,
    ``backward(v)`` gives v @ J with the Jacobian J written out by hand."""
    x_np = rng.uniform(0.5, 2.0, 3)
    v = rng.standard_normal(2)
    x = t64(x_np)
    y0 = x[0] * x[1] + x[2] ** 3            # dy0 = (x1, x0, 3 x2^2)
    y1 = (x[0] / x[2]).exp()                # dy1 = e^(x0/x2) (1/x2, 0, -x0/x2^2)
    y = stack([y0, y1])
    y.backward(v)
    e = np.exp(x_np[0] / x_np[2])
    J = np.array([[x_np[1], x_np[0], 3 * x_np[2] ** 2],
                  [e / x_np[2], 0.0, -e * x_np[0] / x_np[2] ** 2]])
    assert_close(x.grad, v @ J, rtol=1e-12)


# =============================================== gradcheck and custom Functions
class Square(Function):
    """out = x^2;  dx = 2 g x.  (The recipe: save what backward needs, return g * local derivative.)"""
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return 2.0 * g * self.x


def test_custom_function_end_to_end():
    """A user ``Function`` with a keyword parameter, gradients returned in the broadcast shape
    and in another dtype: the engine sums them back, casts them to each input's dtype, respects
    ``needs_grad``, and chains it with built-in ops."""
    class ScaledSqDiff(Function):
        """out = scale * (a - b)^2;  da = 2 scale (a - b) g,  db = -da."""
        def forward(self, a, b, scale):
            self.diff, self.scale = a - b, scale
            return scale * self.diff ** 2

        def backward(self, g):
            da = (2.0 * self.scale * self.diff * g).astype(np.float64)   # output shape, float64
            return da, (-da if self.needs_grad[1] else None)

    a = Tensor([[1.0], [2.0]], requires_grad=True)        # (2, 1) float32
    b = Tensor([0.5, -1.0, 3.0], requires_grad=True)      # (3,)   float32
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = ScaledSqDiff.apply(a, b, scale=0.5)
    assert out.shape == (2, 3) and out.dtype == np.float32
    assert isinstance(out._ctx, ScaledSqDiff) and out._ctx.needs_grad == (True, True)
    loss = (out * w).sum() + a.sum()
    loss.backward()

    diff = a.data.astype(np.float64) - b.data
    full = 2 * 0.5 * diff * w
    assert a.grad.shape == (2, 1) and a.grad.dtype == np.float32
    assert b.grad.shape == (3,) and b.grad.dtype == np.float32
    assert_close(a.grad, full.sum(axis=1, keepdims=True) + 1.0, rtol=1e-6)
    assert_close(b.grad, -full.sum(axis=0), rtol=1e-6)

    # a constant second input: no gradient asked for nor stored
    c = Tensor([0.5, -1.0, 3.0])
    a.zero_grad()
    ScaledSqDiff.apply(a, c, scale=2.0).sum().backward()
    assert c.grad is None
    assert_close(a.grad, (2 * 2.0 * (a.data - c.data)).sum(axis=1, keepdims=True), rtol=1e-6)

    # and the numerical check students run on their own layers
    assert gradcheck(lambda p, q: ScaledSqDiff.apply(p, q, scale=0.5),
                     np.array([[1.0], [2.0]]), np.array([0.5, -1.0, 3.0]))


def test_custom_function_under_no_grad_records_nothing():
    """``Function.apply`` respects ``no_grad``: the output is a plain leaf and backward never runs."""
    x = t64([1.0, 2.0])
    with no_grad():
        y = Square.apply(x)
    assert y.is_leaf and not y.requires_grad
    np.testing.assert_array_equal(y.data, [1.0, 4.0])


def test_np_array_of_a_tensor_copies_and_asarray_shares():
    """np.array(t) snapshots the values (optimizers update .data in place); np.asarray shares."""
    t = Tensor(np.zeros(3, np.float32))
    snapshot = np.array(t)
    snapshot[0] = 99
    assert t.data[0] == 0
    assert np.asarray(t) is t.data


def test_array_protocol_with_scalar_results_dtype_and_copy():
    """NumPy 2 calls ``__array__(dtype=..., copy=...)``; a loss or a sum holds a NumPy scalar, and
    ``np.asarray`` of it used to raise "__array__ method not producing an array"."""
    x = Tensor(np.arange(6, dtype=np.float32).reshape(3, 2), requires_grad=True)
    loss = (x * x).sum()                                  # .data is a NumPy scalar here
    for arr in (np.asarray(loss), np.array(loss), np.asarray(loss, dtype=np.float64)):
        assert isinstance(arr, np.ndarray) and arr.shape == () and float(arr) == 55.0
    assert np.asarray(loss, dtype=np.float64).dtype == np.float64
    assert np.asarray([loss, loss]).tolist() == [55.0, 55.0]
    # non-scalars: asarray shares, array copies, a dtype converts
    assert np.asarray(x, dtype=np.float32) is x.data
    converted = np.asarray(x, dtype=np.float64)
    assert converted.dtype == np.float64 and np.array_equal(converted, x.data)
    np.testing.assert_array_equal(np.array(x, dtype=np.int64), [[0, 1], [2, 3], [4, 5]])
    # copy=False never copies: it shares when it can and says so when it cannot
    assert x.__array__(copy=False) is x.data
    with pytest.raises(ValueError, match="float32 to float64 is a copy.*np.asarray"):
        x.__array__(np.float64, copy=False)
    with pytest.raises(ValueError, match="scalar.*is a copy.*np.asarray"):
        loss.__array__(copy=False)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":     # np.asarray's copy= is NumPy 2's
        assert np.asarray(x, copy=False) is x.data
        with pytest.raises(ValueError, match="float32 to float64 is a copy"):
            np.asarray(x, dtype=np.float64, copy=False)


def test_the_same_no_grad_object_can_be_nested():
    ctx = scratchnn.no_grad()
    with ctx:
        with ctx:
            assert not scratchnn.is_grad_enabled()
        assert not scratchnn.is_grad_enabled()
    assert scratchnn.is_grad_enabled()


# ----------------------------------------------------------------- masks attached to tensors
def test_a_mask_is_attached_read_and_removed():
    x = Tensor(np.ones((2, 3, 4)))
    assert get_mask(x) is None and get_mask(np.ones(3)) is None and get_mask(None) is None
    assert not hasattr(x, "_keras_mask")                     # as a TF tensor without one (Keras reads it)
    assert set_mask(x, [[1, 0, 2], [0, 0, 1]]) is x
    np.testing.assert_array_equal(get_mask(x), [[True, False, True], [False, False, True]])
    assert get_mask(x).dtype == bool and x._keras_mask is get_mask(x)
    assert get_mask(x * 2) is None                           # operations do not carry masks
    set_mask(x, Tensor(np.array([[1.0, 1, 1], [1, 0, 0]])))
    assert get_mask(x).tolist() == [[True] * 3, [True, False, False]]
    set_mask(x, None)
    assert get_mask(x) is None


def test_a_mask_that_does_not_fit_the_tensor_is_refused_and_changes_nothing():
    x = set_mask(Tensor(np.ones((2, 3, 4))), np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"set_mask: a mask of shape \(3, 2\) does not fit a tensor of shape "
                                         r"\(2, 3, 4\): its shape must be the tensor's first axes"):
        set_mask(x, np.ones((3, 2), dtype=bool))
    assert get_mask(x).shape == (2, 3)
    with pytest.raises(TypeError, match="set_mask: a mask can only be attached to a Tensor, got ndarray"):
        set_mask(np.ones((2, 3)), np.ones(2))
