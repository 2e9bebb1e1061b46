"""Resizing images without weights, channels last: nearest upsampling, zero padding, cropping.

Each is a plain array operation with a simple gradient: upsampling copies every pixel into an
sh x sw block (its gradient is the sum over the block); padding adds zeros (its gradient is the
centre of g); cropping cuts the borders (its gradient puts g back in the centre, zeros around).
"""
import numpy as np

from .. import ops
from ..autograd import Function
from ..ops import lift
from ..windows import check_rank, pair, two_pairs

__all__ = ["upsampling2d", "zero_padding2d", "cropping2d"]


class UpSampling2DNearest(Function):
    """y[n, i, j, c] = x[n, i // sh, j // sw, c];  dx = g summed over each sh x sw block."""

    def forward(self, x, size):
        n, h, w, c = x.shape
        sh, sw = self.size = size
        return np.broadcast_to(x[:, :, None, :, None, :], (n, h, sh, w, sw, c)).reshape(n, h * sh, w * sw, c)

    def backward(self, g):
        n, hs, ws, c = g.shape
        sh, sw = self.size
        return g.reshape(n, hs // sh, sh, ws // sw, sw, c).sum(axis=(2, 4))


def upsampling2d(x, size=(2, 2), interpolation="nearest"):
    """Upsampling by repetition: (N, H, W, C) -> (N, H*sh, W*sw, C), each pixel copied into an
    sh x sw block (``y[n, i, j, c] = x[n, i // sh, j // sw, c]``); the gradient of a pixel is
    the sum over its block. Only ``interpolation='nearest'`` is implemented."""
    who = "upsampling2d"
    x = lift(x)
    check_rank(x, 4, who, "a batch of images of shape (N, H, W, C)")
    if interpolation != "nearest":
        raise ValueError(f"{who}: only interpolation='nearest' is implemented, got {interpolation!r}")
    return UpSampling2DNearest.apply(x, size=pair(size, "size"))


def zero_padding2d(x, padding=1):
    """Zeros around the image: (N, H, W, C) -> (N, top + H + bottom, left + W + right, C).
    ``padding``: int, (h, w) or ((top, bottom), (left, right)). dx = the centre of g."""
    x = lift(x)
    check_rank(x, 4, "zero_padding2d", "a batch of images of shape (N, H, W, C)")
    (top, bottom), (left, right) = two_pairs(padding, "padding", "zero_padding2d")
    return ops.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))


def cropping2d(x, cropping=0):
    """Remove rows/columns at the borders: (N, H, W, C) -> (N, H - top - bottom, W - left - right, C).
    ``cropping``: int, (h, w) or ((top, bottom), (left, right)), each total below the size
    (as Keras). dx = g placed back in the centre, zeros in the cropped border."""
    who = "cropping2d"
    x = lift(x)
    check_rank(x, 4, who, "a batch of images of shape (N, H, W, C)")
    (top, bottom), (left, right) = crops = two_pairs(cropping, "cropping", who)
    for axis, (size, (lo, hi)) in enumerate(zip(x.shape[1:3], crops)):
        if lo + hi >= size:
            raise ValueError(f"{who}: cropping {lo} + {hi} along the {'height' if axis == 0 else 'width'} "
                             f"must be smaller than the input's {size} (input shape {x.shape})")
    h, w = x.shape[1:3]
    return ops.getitem(x, (slice(None), slice(top, h - bottom), slice(left, w - right), slice(None)))
