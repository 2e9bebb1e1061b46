"""The convolution + max pooling whose windows tile the output (``scratchnn/kernels/conv_pool.py``):
gradcheck in float64 and PyTorch's numbers for both im2col layouts, the convolution outputs that
no pooling window reads, frozen inputs, and a pooling window of more than 255 positions.
(``tests/kernels/test_match_reference.py`` checks it against the readable conv2d -> max_pool2d.)
"""
import numpy as np
import pytest

import scratchnn.functional as F
from scratchnn.autograd import Tensor
from scratchnn.backend import fast_kernels
from scratchnn.gradcheck import gradcheck
from scratchnn.kernels import conv as conv_module
from scratchnn.kernels.conv_pool import FastConv2DMaxPool, pool_tiles

from tests.helpers import assert_close, requires_torch, torch

LAYOUTS = {"windows-by-taps": 0, "taps-by-windows": 10**6}      # TAPS_MAJOR_BELOW for each


@pytest.fixture(autouse=True)
def kernels_on():
    with fast_kernels(True):
        yield


@pytest.fixture(params=sorted(LAYOUTS))
def layout(request, monkeypatch):
    """Forces one im2col layout for every input channel count (the rule is FastConv2D's)."""
    monkeypatch.setattr(conv_module, "TAPS_MAJOR_BELOW", LAYOUTS[request.param])
    return request.param


CASES = [  # (input shape, kernel hw, conv strides, padding, dilation, pool)
    ((2, 8, 8, 1), (3, 3), 1, "same", 1, 2),
    ((2, 9, 7, 3), (3, 3), 1, "valid", 1, 2),              # 7x5 convolution output: a row and a column unread
    ((1, 11, 10, 2), (3, 2), (2, 1), "valid", 1, (2, 3)),
    ((2, 10, 11, 2), (2, 2), 1, "same", (2, 1), 3),        # 9 blocks
]


def _op(strides, padding, dilation, pool, relu=True):
    def op(x, kernel, bias=None):
        return F.conv2d_max_pool(x, kernel, bias, strides, padding, dilation, relu=relu, pool_size=pool)
    return op


@pytest.mark.parametrize("x_shape,k_hw,strides,padding,dilation,pool", CASES)
def test_gradcheck_in_both_layouts(rng, layout, x_shape, k_hw, strides, padding, dilation, pool):
    x = rng.normal(size=x_shape)
    w, b = rng.normal(size=k_hw + (x_shape[3], 3)), rng.normal(size=3)
    for relu in (False, True):
        op = _op(strides, padding, dilation, pool, relu)
        assert type(op(Tensor(x, requires_grad=True), Tensor(w), Tensor(b))._ctx) is FastConv2DMaxPool
        assert gradcheck(op, x, w, b)
    assert gradcheck(_op(strides, padding, dilation, pool), x, w)          # no bias


@requires_torch
@pytest.mark.parametrize("x_shape,k_hw,strides,padding,dilation,pool", [c for c in CASES if c[3] == "valid"])
def test_matches_torch_conv_relu_max_pool(rng, layout, x_shape, k_hw, strides, padding, dilation, pool):
    """PyTorch's conv2d -> relu -> max_pool2d in float64 (NCHW; its max_pool2d floors like 'valid')."""
    x, w, b = rng.normal(size=x_shape), rng.normal(size=k_hw + (x_shape[3], 4)), rng.normal(size=4)
    xs, ws, bs = (Tensor(a, requires_grad=True, dtype=np.float64) for a in (x, w, b))
    y = _op(strides, padding, dilation, pool)(xs, ws, bs)
    r = rng.normal(size=y.shape)
    (y * Tensor(r, dtype=np.float64)).sum().backward()
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    z = torch.nn.functional.conv2d(xt.permute(0, 3, 1, 2), wt.permute(3, 2, 0, 1), bt, stride=strides,
                                   dilation=dilation)
    out = torch.nn.functional.max_pool2d(torch.relu(z), pool).permute(0, 2, 3, 1)
    (out * torch.tensor(r)).sum().backward()
    for ours, ref, what in zip([y, xs.grad, ws.grad, bs.grad],
                               [out.detach(), xt.grad, wt.grad, bt.grad],
                               ["forward", "dx", "dkernel", "dbias"]):
        assert_close(ours, ref.numpy(), rtol=1e-6, what=what)


def test_the_convolution_outputs_no_window_reads_are_not_computed_and_get_no_gradient(rng):
    """A 7x7 input, 3x3 kernel: a 5x5 convolution output, pooled 2x2 to 2x2: the last output row
    and column are not read. The input's last row and column only feed those outputs: their
    gradient is exactly 0, and changing them changes nothing."""
    x, w, b = rng.normal(size=(2, 7, 7, 3)), rng.normal(size=(3, 3, 3, 4)), rng.normal(size=4)
    xs = Tensor(x, requires_grad=True)
    y = F.conv2d_max_pool(xs, Tensor(w), Tensor(b), relu=False)
    assert y.shape == (2, 2, 2, 4) and type(y._ctx) is FastConv2DMaxPool
    y.sum().backward()
    assert (xs.grad[:, 6, :] == 0).all() and (xs.grad[:, :, 6] == 0).all()
    assert (xs.grad[:, :6, :6] != 0).any()
    changed = x.copy()
    changed[:, 6, :] = changed[:, :, 6] = 1e6
    np.testing.assert_array_equal(F.conv2d_max_pool(changed, w, b).data, y.data)


@pytest.mark.parametrize("frozen", ["x", "kernel", "bias"])
def test_a_frozen_input_gets_no_gradient_and_the_others_are_unchanged(rng, frozen):
    x, w, b = rng.normal(size=(3, 8, 9, 5)), rng.normal(size=(3, 3, 5, 4)), rng.normal(size=4)
    r = rng.normal(size=(3, 3, 3, 4))

    def grads(skip):
        leaves = {name: Tensor(a, requires_grad=name != skip)
                  for name, a in zip(("x", "kernel", "bias"), (x, w, b))}
        (F.conv2d_max_pool(*leaves.values(), relu=True) * Tensor(r)).sum().backward()
        return {name: t.grad for name, t in leaves.items()}
    every, some = grads(None), grads(frozen)
    assert some[frozen] is None
    for name in some:
        if name != frozen:
            np.testing.assert_array_equal(some[name], every[name])


def test_a_pooling_window_of_256_positions_keeps_its_index(rng):
    """More than 255 blocks: the index of the maximum no longer fits uint8 (int32 then)."""
    x, w = rng.normal(size=(2, 18, 18, 2)), rng.normal(size=(3, 3, 2, 3))
    xs, ws = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    y = F.conv2d_max_pool(xs, ws, pool_size=16)
    assert y.shape == (2, 1, 1, 3) and y._ctx.index.dtype == np.int32
    y.sum().backward()
    with fast_kernels(False):
        xr, wr = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        F.max_pool2d(F.conv2d(xr, wr), 16).sum().backward()
    for a, c in [(xs.grad, xr.grad), (ws.grad, wr.grad)]:
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_pool_tiles_only_for_strides_equal_to_the_size_without_padding():
    none = ((0, 0), (0, 0))
    assert pool_tiles(((2, 2), (2, 2), none)) and pool_tiles(((3, 2), (3, 2), none))
    assert not pool_tiles(((2, 2), (1, 1), none)) and not pool_tiles(((3, 3), (2, 2), none))
    assert not pool_tiles(((2, 2), (2, 2), ((0, 1), (0, 0))))
