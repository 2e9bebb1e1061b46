"""Max pooling with few passes over memory, split over threads for large batches.

The readable max pooling (``scratchnn.functional.conv.MaxPool2D``) stacks each window's values
and takes ``argmax``: one copy of every window. Here the running maximum is taken tap by tap,
each tap a strided slice of the input (kh*kw elementwise ``maximum`` passes, no copy of the
windows), the first maximum's tap is counted in place, and the passes run over ranges of the
batch in parallel (``threads.parallel_batches``). Same values and gradients (tested).
"""
import numpy as np

from ..autograd import Function
from ..windows import pad_hw, tap, unpad
from .threads import parallel_batches


def max_pool(xp, pool, strides, with_index):
    """Max pooling of the (already padded) xp: returns ``(y, index, taps)``, where ``index`` (or
    None) holds, for every output, the number of the tap that held the window's first maximum
    and ``taps`` are the kh*kw strided slices of xp, one per position inside the window
    (row-major), each holding that position's value for every window."""
    ho = (xp.shape[1] - pool[0]) // strides[0] + 1
    wo = (xp.shape[2] - pool[1]) // strides[1] + 1
    taps = [tap(a, b, (ho, wo), strides) for a in range(pool[0]) for b in range(pool[1])]
    y = np.empty((xp.shape[0], ho, wo, xp.shape[3]), dtype=xp.dtype)
    index = np.empty(y.shape, dtype=np.uint8 if len(taps) < 256 else np.int32) if with_index else None

    def work(lo, hi):
        xs, ys = xp[lo:hi], y[lo:hi]
        np.copyto(ys, xs[taps[0]])
        for where in taps[1:]:
            np.maximum(ys, xs[where], out=ys)
        if index is not None:
            first_max(xs, ys, taps, out=index[lo:hi])
    parallel_batches(work, xp.shape[0], xp.size)
    return y, index, taps


def first_max(xp, y, taps, out):
    """For every output, the number of the first tap whose value equals the maximum ``y``
    (written into ``out``): the count of leading taps that are not the maximum."""
    index = out
    index[...] = 0
    not_yet = np.empty(y.shape, dtype=bool)        # no tap so far held the maximum
    differs = np.empty(y.shape, dtype=bool)
    for t, where in enumerate(taps[:-1]):
        if t == 0:
            np.not_equal(xp[where], y, out=not_yet)
        else:
            np.not_equal(xp[where], y, out=differs)
            np.logical_and(not_yet, differs, out=not_yet)
        index += not_yet                              # one more leading tap that was not the max
    return index


def max_pool_grad(g, index, taps, xp_shape, pool, strides):
    """The gradient of max pooling for the padded input: each output's g goes to its window's
    first maximum (tap ``index``); windows that overlap and share a maximum each add theirs."""
    (ph, pw), (sh, sw) = pool, strides
    ho, wo = g.shape[1:3]
    if (sh, sw) == (ph, pw):
        # Windows tile the input without overlap or gaps: the taps write every cell they
        # cover exactly once, so only the uncovered bottom rows / right columns need zeros.
        dxp = np.empty(xp_shape, dtype=g.dtype)
        dxp[:, ho * ph:] = 0
        dxp[:, :, wo * pw:] = 0
    else:
        dxp = np.zeros(xp_shape, dtype=g.dtype)
    if sh < ph or sw < pw:                           # windows share cells: add, tap by tap
        hit = np.empty(g.shape, dtype=bool)
        for t, where in enumerate(taps):
            np.equal(index, t, out=hit)
            dxp[where] += g * hit
    else:                                            # each input cell is in one window at most
        def work(lo, hi):
            route_to_first_max(g[lo:hi], index[lo:hi], [dxp[lo:hi][where] for where in taps])
        parallel_batches(work, g.shape[0], dxp.size)
    return dxp


def route_to_first_max(g, index, targets):
    """``targets[t] = g * (index == t)`` for every tap t: each output's gradient goes to the tap
    that held its window's first maximum, zeros to the others (``targets``: arrays or views of
    g's shape, written in place)."""
    hit = np.empty(g.shape, dtype=bool)
    for t, target in enumerate(targets):
        np.equal(index, t, out=hit)
        np.multiply(g, hit, out=target)


class FastMaxPool2D(Function):
    """y = the maximum of each window; the gradient goes to the (first) position of that maximum.

    Forward: the running maximum over the kh*kw taps of the window, each tap a strided slice
    of x (kh*kw elementwise ``maximum`` passes, no copy of the windows). Then, for every output,
    which tap held the maximum *first* in row-major order: count the leading taps that are not
    equal to it, ``index = [x_0 != y] + [x_0 != y and x_1 != y] + ...`` (the last tap need not be
    looked at). On ties (e.g. a window of ReLU zeros) only the first tap gets the gradient, as in
    PyTorch and TensorFlow. Backward: one pass per tap, ``dx[tap] (+)= g * (index == tap)``;
    windows that overlap and share a maximum each add their own gradient.
    """

    def forward(self, x, pool=(2, 2), strides=(2, 2), pads=((0, 0), (0, 0))):
        xp = pad_hw(x, pads, value=-np.inf)
        y, index, taps = max_pool(xp, pool, strides, with_index=bool(self.needs_grad))
        if self.needs_grad:
            self.index, self.taps, self.xp_shape = index, taps, xp.shape
            self.pads, self.pool, self.strides = pads, pool, strides
        return y

    def backward(self, g):
        return unpad(max_pool_grad(g, self.index, self.taps, self.xp_shape, self.pool, self.strides),
                      self.pads)
