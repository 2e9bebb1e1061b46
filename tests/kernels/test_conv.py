"""The convolution kernels (``scratchnn/kernels/conv.py``, ``kernels/pooling.py``): both im2col
layouts (windows x taps, and taps x windows with the bias as a row of ones), the bias added on
wide rows, and the batch-parallel passes, each checked against the other layout or the serial
run bit for bit, by gradcheck in float64 and against PyTorch. (``tests/kernels/test_match_reference.py``
checks the kernels against the readable ``scratchnn.functional.conv``.)
"""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.gradcheck import gradcheck
from scratchnn.kernels import conv as conv_module
from scratchnn.kernels import threads as threads_module

from tests.functional.test_conv import _leaves, _run, torch_conv2d
from tests.helpers import assert_close, requires_torch


@pytest.fixture(autouse=True)
def kernels_on():
    """These are tests of the fast kernels: they run with fast kernels on, whatever the setting."""
    with fast_kernels(True):
        yield


def _conv_pool_grads(x, kernel, bias, padding, strides, pool, pool_strides, pool_padding):
    """Values and gradients of conv2d(relu) -> max_pool2d -> a weighted sum, as float arrays."""
    xt, kt, bt = (Tensor(a, requires_grad=True) for a in (x, kernel, bias))
    y = F.conv2d(xt, kt, bt, strides=strides, padding=padding, relu=True)
    p = F.max_pool2d(y, pool, strides=pool_strides, padding=pool_padding)
    weights = np.linspace(-1, 1, p.data.size).reshape(p.shape).astype(x.dtype)
    (p * Tensor(weights)).sum().backward()
    return [p.data, xt.grad, kt.grad, bt.grad]


@pytest.mark.parametrize("n,threads", [(1, 3), (2, 3), (5, 3), (7, 2), (4, 8)])
@pytest.mark.parametrize("padding,strides,pool,pool_strides,pool_padding", [
    ("valid", 1, 2, None, "valid"), ("same", 2, 3, 2, "same"), ("valid", 1, 3, 1, "valid"),
    ("same", 1, 2, 3, "valid")])
def test_batch_parallel_passes_give_the_serial_result_bit_for_bit(monkeypatch, n, threads, padding, strides,
                                                                   pool, pool_strides, pool_padding):
    """The im2col copy, bias/ReLU, col2im additions and pooling split the batch across threads
    when arrays are large; forced on tiny arrays here, every value and gradient must equal the
    one-thread result exactly (each thread writes only its own rows)."""
    rng = np.random.default_rng(n * 10 + threads)
    x = rng.standard_normal((n, 9, 8, 3)).astype(np.float32)
    x[:, :3, :3] = 0.0                                 # ReLU zeros: pooling ties
    kernel = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    args = (x, kernel, bias, padding, strides, pool, pool_strides, pool_padding)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "1")
    serial = _conv_pool_grads(*args)
    monkeypatch.setattr(threads_module, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", str(threads))
    calls = []
    real = threads_module.parallel_batches
    for module in ("scratchnn.kernels.conv", "scratchnn.kernels.conv_pool", "scratchnn.kernels.pooling"):
        monkeypatch.setattr(f"{module}.parallel_batches",
                            lambda fn, rows, size: (calls.append(rows), real(fn, rows, size)))
    parallel = _conv_pool_grads(*args)
    assert calls, "the kernels did not go through parallel_batches"
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


LAYOUTS = {"windows-by-taps": 0, "taps-by-windows": 10**6}      # TAPS_MAJOR_BELOW for each


@pytest.fixture(params=sorted(LAYOUTS))
def layout(request, monkeypatch):
    """Forces one im2col layout for every input channel count."""
    monkeypatch.setattr(conv_module, "TAPS_MAJOR_BELOW", LAYOUTS[request.param])
    return request.param


# ======================================================================= the two im2col layouts
_LAYOUT_CASES = [((2, 7, 6, 1), (3, 3), 1, "valid", 1), ((2, 7, 6, 3), (3, 2), 2, "same", 1),
                 ((1, 8, 7, 5), (2, 2), 1, "same", 2), ((2, 6, 6, 4), (4, 1), (2, 1), "valid", 1)]


@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation", _LAYOUT_CASES)
def test_each_im2col_layout_passes_gradcheck(rng, layout, x_shape, kernel_hw, strides, padding, dilation,
                                             with_bias):
    x = rng.normal(size=x_shape)
    w = rng.normal(size=kernel_hw + (x_shape[3], 3))
    args = (x, w, rng.normal(size=3)) if with_bias else (x, w)
    for relu in (False, True):
        assert gradcheck(lambda *a, relu=relu: F.conv2d(*a, strides=strides, padding=padding,
                                                        dilation_rate=dilation, relu=relu), *args)


@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation", _LAYOUT_CASES)
def test_the_two_layouts_agree(rng, monkeypatch, x_shape, kernel_hw, strides, padding, dilation):
    """Same values and gradients (to rounding: the products sum in another order) whichever
    layout runs, with a frozen kernel or a frozen bias too (only the other's gradient is made)."""
    x, w, b = rng.normal(size=x_shape), rng.normal(size=kernel_hw + (x_shape[3], 4)), rng.normal(size=4)
    r = rng.normal(size=F.conv2d(x, w, b, strides, padding, dilation).shape)
    results = []
    for below in LAYOUTS.values():
        monkeypatch.setattr(conv_module, "TAPS_MAJOR_BELOW", below)
        results.append(_run(lambda a, k, c: F.conv2d(a, k, c, strides, padding, dilation, relu=True),
                            x, w, b, r))
        for frozen in (1, 2):                              # kernel, then bias, without a gradient
            xs, ws, bs = _leaves(x, w, b)
            [ws, bs][frozen - 1].requires_grad = False
            (F.conv2d(xs, ws, bs, strides, padding, dilation) * Tensor(r)).sum().backward()
            trained = bs if frozen == 1 else ws
            assert [ws, bs][frozen - 1].grad is None and trained.grad is not None
            results[-1].append(trained.grad.data)
    for a, c in zip(*results):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("x_shape, kernel_hw, strides, padding, dilation", _LAYOUT_CASES)
def test_each_im2col_layout_matches_torch(rng, layout, x_shape, kernel_hw, strides, padding, dilation):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=kernel_hw + (x_shape[3], 4)), rng.normal(size=4)
    r = rng.normal(size=F.conv2d(x, w, b, strides, padding, dilation).shape)
    ours = _run(lambda a, k, c: F.conv2d(a, k, c, strides, padding, dilation), x, w, b, r)
    ref = torch_conv2d(x, w, b, strides, padding, dilation, r)
    for a, c, what in zip(ours, ref, ["forward", "dx", "dkernel", "dbias"]):
        assert_close(a, c, rtol=1e-5, what=what)


def test_the_layout_does_not_change_the_output_dtype(rng, monkeypatch):
    """y has the dtype of cols @ W (the input's and the kernel's), the bias added into it, in
    both layouts: a bias Tensor of another dtype neither widens nor narrows y."""
    f16, f32, f64 = np.float16, np.float32, np.float64
    for x_dtype, k_dtype, b_dtype in [(f32, f32, f64), (f16, f16, f32), (f64, f32, f32), (f16, f32, f16)]:
        x = Tensor(rng.normal(size=(2, 6, 6, 2)), dtype=x_dtype)
        w, b = Tensor(rng.normal(size=(3, 3, 2, 3)), dtype=k_dtype), Tensor(rng.normal(size=3), dtype=b_dtype)
        expected = np.result_type(x_dtype, k_dtype)
        for below in LAYOUTS.values():
            monkeypatch.setattr(conv_module, "TAPS_MAJOR_BELOW", below)
            assert F.conv2d(x, w, b).dtype == expected
            assert F.conv2d_max_pool(x, w, b, relu=True).dtype == expected


def test_bias_add_in_wide_rows_is_exact(rng):
    """``_add_bias`` views r rows as one (fewer, longer NumPy loops): the same additions, for row
    counts that are and are not multiples of a power of two."""
    for m, f in [(1, 3), (6, 32), (7, 32), (64, 5), (12, 300)]:
        rows, bias = rng.normal(size=(m, f)).astype(np.float32), rng.normal(size=f).astype(np.float32)
        expected = rows + bias
        conv_module.add_bias(rows, bias)
        np.testing.assert_array_equal(rows, expected)
    columns = rng.normal(size=(8, 6)).astype(np.float32)[:, :4]          # not contiguous: added in place too
    expected = columns + bias[:4]
    conv_module.add_bias(columns, bias[:4])
    np.testing.assert_array_equal(columns, expected)


