"""Sliding windows over images: the geometry that convolution and pooling share.

Images are channels last, (N, H, W, C), as in Keras. A (kh, kw) window slides over the
(padded) image with a stride s and a dilation d (the gap between the window's taps):

* ``output_size``: Ho = floor((H + pads - ((kh - 1) d + 1)) / s) + 1 for 'valid'; ceil(H / s)
  for 'same', which pads max((Ho - 1) s + (kh - 1) d + 1 - H, 0) in total, floor(total / 2)
  before and the rest after (so an even kernel pads more at the bottom/right), as TensorFlow;
* ``sliding_windows``: every window at once as a read-only view (N, Ho, Wo, kh, kw, C) of the
  padded image, without copying (the view's strides step through the image's memory);
* ``tap(a, c, ...)``: the input pixels that the window position (a, c) reads for every output,
  as strided slices: one slice per tap is how the backward passes add gradients back (col2im);
* ``scatter_windows``: that addition for a whole array of window gradients.

Pure NumPy, no autograd: the readable ops of ``scratchnn.functional`` and the fast kernels of
``scratchnn.kernels`` both build on it.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided


def pair(value, name, who=None):
    """``3`` -> ``(3, 3)``; checks a pair of positive ints (``who`` prefixes the error)."""
    prefix = f"{who}: " if who else ""
    original = value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    try:
        value = tuple(value)
    except TypeError:
        value = ()
    is_int = [isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value]
    if len(value) != 2 or not all(is_int):
        raise ValueError(f"{prefix}{name} must be an int or a pair of ints, got {original!r}")
    if any(v < 1 for v in value):
        raise ValueError(f"{prefix}{name} must be positive, got {original!r}")
    return tuple(int(v) for v in value)


def same_padding(size, kernel, stride, dilation=1):
    """(before, after) padding of one axis for Keras's 'same': the output has ceil(size / stride)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def output_size(size, kernel, stride, padding, dilation=1):
    """Output length of one axis: floor((size + pads - effective kernel) / stride) + 1."""
    if padding == "same":
        return math.ceil(size / stride)
    span = (kernel - 1) * dilation + 1
    return (size - span) // stride + 1 if size >= span else 0


def paddings(shape_hw, kernel, strides, padding, dilation):
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple(same_padding(n, k, s, d) for n, k, s, d in zip(shape_hw, kernel, strides, dilation))
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def sliding_windows(x, kernel, strides, dilation=(1, 1)):
    """A read-only view of shape (N, Ho, Wo, kh, kw, C): every window of the (already padded)
    x, without copying anything (the strides of the view step through x's memory)."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, strides, dilation
    ho = (h - (kh - 1) * dh - 1) // sh + 1
    wo = (w - (kw - 1) * dw - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    return as_strided(x, shape=(n, ho, wo, kh, kw, c), strides=(s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3),
                      writeable=False)


def pad_hw(x, pads, value=0.0):
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def tap(a, c, out_hw, strides, dilation=(1, 1)):
    """The index of the input pixels that kernel tap (a, c) reads for every output position:
    rows a*d, a*d + s, ..., a*d + s*(Ho - 1) (and likewise for the columns), as slices."""
    (ho, wo), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return (slice(None), slice(a * dh, a * dh + sh * (ho - 1) + 1, sh),
            slice(c * dw, c * dw + sw * (wo - 1) + 1, sw), slice(None))


def scatter_windows(dwin, padded_shape, strides, dilation, out_dtype):
    """col2im: add each window's gradient (N, Ho, Wo, kh, kw, C) back into an array of the
    padded input's shape; one strided addition per kernel tap (a, c)."""
    n, ho, wo, kh, kw, _ = dwin.shape
    dxp = np.zeros(padded_shape, dtype=out_dtype)
    for a in range(kh):
        for c in range(kw):
            dxp[tap(a, c, (ho, wo), strides, dilation)] += dwin[:, :, :, a, c, :]
    return dxp


def unpad(dxp, pads):
    (top, bottom), (left, right) = pads
    h, w = dxp.shape[1], dxp.shape[2]
    return dxp[:, top:h - bottom, left:w - right, :]


# ---------------------------------------------------------------------- argument checks
def check_rank(x, rank, who, what):
    if x.ndim != rank:
        raise ValueError(f"{who}: expected {what}, got shape {x.shape}")


def is_int(value):
    """A Python or NumPy integer (not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def two_pairs(value, name, who):
    """Keras's padding/cropping forms: an int p (((p, p), (p, p))), a pair (h, w)
    (((h, h), (w, w))) or a pair of pairs ((top, bottom), (left, right)); values >= 0."""
    given = value
    if is_int(value):
        value = ((value, value), (value, value))
    else:
        try:
            value = tuple(value)
            if len(value) == 2 and all(is_int(v) for v in value):
                value = ((value[0], value[0]), (value[1], value[1]))
            value = tuple(tuple(v) for v in value)
        except TypeError:
            value = None
    if (value is None or len(value) != 2 or any(len(v) != 2 for v in value)
            or not all(is_int(v) for pair in value for v in pair)):
        raise ValueError(f"{who}: {name} must be an int, a pair of ints or a pair of "
                         f"(before, after) pairs, got {given!r}")
    if any(v < 0 for pair in value for v in pair):
        raise ValueError(f"{who}: {name} must be non-negative, got {given!r}")
    return tuple(tuple(int(v) for v in pair) for pair in value)
