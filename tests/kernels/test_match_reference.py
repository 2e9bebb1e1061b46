"""Every fast kernel gives the numbers of the readable code it replaces.

The readable code (each op's backward, each optimizer's ``update_step``) is what a student reads;
``scratchnn.kernels`` computes the same things faster while fast kernels are on. Each test runs
the same computation twice, with ``scratchnn.backend.fast_kernels(True)`` and ``(False)``, in
float64, and compares values and gradients with a tight tolerance (the kernels reorder some
floating-point operations, so the last bits may differ).
"""
import copy

import numpy as np
import pytest

import scratchnn as snn
import scratchnn.functional as F
from scratchnn import layers as L
from scratchnn import optimizers as O
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.kernels.attention import FastScaledDotProductAttention
from scratchnn.kernels.conv import FastConv2D
from scratchnn.kernels.conv_pool import FastConv2DMaxPool
from scratchnn.kernels.pooling import FastMaxPool2D

from tests.helpers import graph_functions

RTOL, ATOL = 1e-12, 1e-12


def _run(fast, fn, *arrays):
    """``fn(*tensors)`` with fast kernels on or off: the ops recorded, the output and every input's
    gradient, for a fixed random weighting of the output (so every output element matters)."""
    with fast_kernels(fast):
        tensors = [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
        out = fn(*tensors)
        ops = {type(f) for f in graph_functions(out)}
        weights = np.random.default_rng(7).standard_normal(out.shape)
        (out * Tensor(weights, dtype=np.float64)).sum().backward()
        return ops, [out.data] + [t.grad for t in tensors]


def _assert_same(fn, *arrays, fast_ops=()):
    fast_types, fast = _run(True, fn, *arrays)
    slow_types, slow = _run(False, fn, *arrays)
    assert all(op in fast_types for op in fast_ops), "the fast kernel was not used"
    assert not slow_types & {FastConv2D, FastConv2DMaxPool, FastMaxPool2D, FastScaledDotProductAttention}, \
        "a fast kernel ran with fast kernels off"
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


CONV_CASES = [  # (input shape, kernel shape, strides, padding, dilation): both im2col layouts
    ((3, 9, 8, 1), (3, 3, 1, 4), 1, "valid", 1),
    ((2, 10, 9, 3), (5, 2, 3, 6), (2, 3), "same", 1),
    ((2, 8, 8, 5), (3, 3, 5, 7), 1, "same", 2),
    ((4, 7, 6, 8), (2, 2, 8, 3), 2, "valid", 1),
]


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x_shape,k_shape,strides,padding,dilation", CONV_CASES)
def test_conv2d_kernel_matches_the_readable_im2col(rng, x_shape, k_shape, strides, padding, dilation, bias,
                                                   relu):
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(k_shape)]
    if bias:
        arrays.append(rng.standard_normal(k_shape[-1]))
    def conv(*t):
        return F.conv2d(t[0], t[1], t[2] if bias else None, strides, padding, dilation, relu=relu)
    _assert_same(conv, *arrays, fast_ops=(FastConv2D,))


@pytest.mark.parametrize("pool,strides,padding", [(2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "valid")])
def test_max_pool_kernel_matches_the_readable_argmax(rng, pool, strides, padding):
    x = rng.standard_normal((3, 9, 8, 4))
    x[:, :4, :4] = 0.0                          # ties: the first maximum takes the gradient
    _assert_same(lambda t: F.max_pool2d(t, pool, strides, padding), x, fast_ops=(FastMaxPool2D,))


# (input, kernel, conv strides, padding, dilation, pool size, pool strides, pool padding)
FUSED_POOL_CASES = [
    ((3, 10, 10, 1), (3, 3), 1, "same", 1, 2, None, "valid"),          # tiles: FastConv2DMaxPool
    ((3, 11, 9, 6), (3, 3), 1, "valid", 1, 2, None, "valid"),          # odd sizes: a row/column unread
    ((2, 13, 12, 2), (3, 2), (2, 1), "valid", 1, (3, 2), None, "valid"),
    ((2, 13, 14, 5), (3, 2), 1, "same", (1, 2), 3, 3, "valid"),        # 9 blocks, dilated
    ((3, 10, 10, 6), (3, 3), 1, "same", 1, 3, 2, "same"),              # overlapping: FastConv2D(pool=)
    ((2, 9, 9, 1), (2, 2), 1, "valid", 1, 2, 3, "valid"),              # gaps: FastConv2D(pool=)
]


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("x_shape,k_hw,strides,padding,dilation,pool,pool_strides,pool_padding",
                         FUSED_POOL_CASES)
def test_fused_conv_and_pooling_matches_its_definition(rng, relu, x_shape, k_hw, strides, padding, dilation,
                                                       pool, pool_strides, pool_padding):
    """conv2d_max_pool is one fast op (FastConv2DMaxPool when the pooling windows tile the output,
    else FastConv2D with pool=); with fast kernels off it is max_pool2d(conv2d(...))."""
    x = rng.standard_normal(x_shape)
    x[:, :4, :4] = 0.0                           # equal windows: the first maximum takes the gradient
    kernel, bias = rng.standard_normal(k_hw + (x_shape[3], 5)), rng.standard_normal(5)
    tiles = (pool_strides is None or pool_strides == pool) and pool_padding == "valid"
    _assert_same(lambda a, k, b: F.conv2d_max_pool(a, k, b, strides, padding, dilation, relu=relu,
                                                   pool_size=pool, pool_strides=pool_strides,
                                                   pool_padding=pool_padding),
                 x, kernel, bias, fast_ops=(FastConv2DMaxPool if tiles else FastConv2D,))


@pytest.mark.parametrize("shape", [(12, 32), (6, 5, 5, 8), (7, 3)])
def test_batch_norm_kernels_match_plain_sums_and_broadcasting(rng, shape):
    c = shape[-1]
    x, gamma, beta = rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)
    _assert_same(lambda a, g, b: F.batch_norm_train(a, g, b)[0], x, gamma, beta)
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2.0, c)
    _assert_same(lambda a, g, b, m, v: F.batch_norm(a, g, b, m, v), x, gamma, beta, mean, var)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shape", [(4, 6, 5), (2, 3, 4, 5), (3, 5)])
def test_dense_as_one_matrix_product_matches_the_stacked_products(rng, shape, bias):
    """kernels/linear.py merges the leading axes (one BLAS call) where the op multiplies per sample."""
    arrays = [rng.standard_normal(shape), rng.standard_normal((shape[-1], 7))]
    if bias:
        arrays.append(rng.standard_normal(7))
    _assert_same(lambda *t: F.dense(*t), *arrays)


def test_dense_kernel_on_a_transposed_input_and_a_frozen_kernel(rng):
    """A non-contiguous input (rows are copied, not viewed) and gradients asked for x only."""
    x, kernel = rng.standard_normal((5, 4, 3)), rng.standard_normal((4, 6))
    results = []
    for fast in (True, False):
        with fast_kernels(fast):
            t = Tensor(x, requires_grad=True, dtype=np.float64)
            out = F.dense(F.transpose(t, (0, 2, 1)), Tensor(kernel, dtype=np.float64))
            out.sum().backward()
            results.append((out.data, t.grad))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape", [(4, 6, 5), (7, 3), (2, 3, 4, 8), (5,)])
def test_layer_norm_kernel_matches_the_per_axis_means(rng, shape):
    d = shape[-1]
    x, gamma, beta = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(d), rng.standard_normal(d)
    _assert_same(lambda a, g, b: F.layer_norm(a, g, b, epsilon=1e-5), x, gamma, beta)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_kernel_matches_the_readable_op(rng, causal):
    q, k, v = (rng.standard_normal((2, 3, 5, d)) for d in (4, 4, 6))
    _assert_same(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, causal=causal), q, k, v,
                 fast_ops=(FastScaledDotProductAttention,))


OPTIMIZERS = [O.SGD(0.1), O.SGD(0.1, momentum=0.9), O.SGD(0.1, momentum=0.9, nesterov=True), O.Adam(0.01),
              O.Adam(0.01, amsgrad=True), O.AdamW(0.01), O.RMSprop(0.01), O.RMSprop(0.01, momentum=0.5),
              O.RMSprop(0.01, centered=True), O.Adagrad(0.1), O.Adadelta(1.0), O.Nadam(0.01), O.Adamax(0.01)]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: repr(o))
def test_optimizer_kernels_match_the_update_formula(optimizer):
    """30 updates with the in-place kernel and with update_step as written: the same weights,
    moments and step counts."""
    results = []
    for fast in (True, False):
        opt = copy.deepcopy(optimizer)
        w = Tensor(np.random.default_rng(1).standard_normal((5, 4)), requires_grad=True, dtype=np.float64)
        grads = np.random.default_rng(2)
        with fast_kernels(fast):
            for _ in range(30):
                opt.apply([grads.standard_normal((5, 4))], [w])
        results.append((w.data, opt.state(w), opt.iterations))
    (w_fast, s_fast, it_fast), (w_slow, s_slow, it_slow) = results
    np.testing.assert_allclose(w_fast, w_slow, rtol=1e-11, atol=1e-13)
    assert it_fast == it_slow == 30 and s_fast.keys() == s_slow.keys()
    for slot in s_fast:
        np.testing.assert_allclose(s_fast[slot], s_slow[slot], rtol=1e-11, atol=1e-13)


def test_a_subclass_that_rewrites_update_step_runs_its_own_code():
    """The fast kernel mirrors Adam.update_step: a subclass with its own update_step is not
    replaced by it, even with fast kernels on."""
    class HalfAdam(O.Adam):
        def update_step(self, grad, w, state, lr):
            w -= 0.5 * lr * grad

    w = Tensor(np.ones(3), requires_grad=True, dtype=np.float64)
    with fast_kernels(True):
        HalfAdam(learning_rate=0.2).apply([np.ones(3)], [w])
    np.testing.assert_array_equal(w.data, np.full(3, 0.9))


def test_the_reference_cnn_trains_to_the_same_weights_with_and_without_kernels():
    """A Conv2D + MaxPooling2D + BatchNormalization network, a few Adam steps in float64."""
    x = np.random.default_rng(0).standard_normal((16, 8, 8, 1))
    y = np.random.default_rng(1).integers(0, 3, 16)
    weights = []
    for fast in (True, False):
        snn.utils.set_random_seed(3)
        model = snn.Sequential([L.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu", dtype="float64"),
                                L.MaxPooling2D(dtype="float64"), L.BatchNormalization(dtype="float64"),
                                L.Flatten(dtype="float64"),
                                L.Dense(3, activation="softmax", dtype="float64")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        with fast_kernels(fast):
            model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
