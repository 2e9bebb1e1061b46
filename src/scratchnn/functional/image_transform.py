"""Geometric image transforms for data augmentation, channels last (N, H, W, C), the whole batch at once.

``affine_transform(images, transforms)`` resamples every image through its own transform, given
as Keras gives it: 8 numbers ``[a0, a1, a2, b0, b1, b2, c0, c1]`` per image that map an *output*
pixel ``(x, y)`` (x = column, y = row, pixel centres at integers) to the *input* point it reads::

    k  = c0 * x + c1 * y + 1
    x' = (a0 * x + a1 * y + a2) / k
    y' = (b0 * x + b1 * y + b2) / k

(``c0 = c1 = 0`` for an affine transform: rotations, shifts, zooms). The value at ``(x', y')``
comes from its 4 neighbours (``interpolation='bilinear'``:
``(1-u)(1-v) I[y0, x0] + (1-u) v I[y0, x0+1] + u (1-v) I[y0+1, x0] + u v I[y0+1, x0+1]`` with
``x0 = floor(x')``, ``v = x' - x0``, ``y0 = floor(y')``, ``u = y' - y0``) or from the nearest pixel
(``'nearest'``). A neighbour outside the image is read according to ``fill_mode`` (Keras's):

- ``'reflect'``  ``(d c b a | a b c d | d c b a)``: mirrored about the edge of the last pixel;
- ``'wrap'``     ``(a b c d | a b c d | a b c d)``: the opposite edge;
- ``'nearest'``  ``(a a a a | a b c d | d d d d)``: the border pixel;
- ``'constant'`` ``(k k k k | a b c d | k k k k)``: ``fill_value``.

Every output value is a fixed weighted sum of input pixels (its "taps"), computed for the whole
batch at once by one op, ``SampleTaps`` (a gather of rows of the (N*H*W, C) pixel matrix with
``np.take``); it is differentiable with respect to the images (the gradient goes back to the
same pixels with the same weights, a scatter-add), though augmentation layers are normally
applied to inputs, where nobody asks for it. The transforms themselves get no gradient.

The ``*_matrix`` helpers build these 8-number transforms for a batch (used by the ``Random*``
augmentation layers and ``ImageDataGenerator``); ``resize`` reuses the sampler for a bilinear
resize with half-pixel centres.
"""
import numpy as np

from .. import ops
from ..autograd import Function
from ..ops import lift
from ..windows import check_rank

__all__ = ["affine_transform", "resize", "rotation_matrix", "translation_matrix", "zoom_matrix",
           "compose", "FILL_MODES", "INTERPOLATIONS"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def check_choice(value, allowed, who, argument):
    """``value`` if it is one of ``allowed``, else a ValueError naming ``who`` and ``argument``."""
    if value not in allowed:
        raise ValueError(f"{who}: {argument} must be one of {', '.join(repr(a) for a in allowed)}, "
                         f"got {value!r}")
    return value


def _fold(index, size, fill_mode):
    """Integer indices (any values) mapped into ``0..size-1`` as ``fill_mode`` extends the image
    ('constant' clips them; the caller replaces those values by ``fill_value``)."""
    if fill_mode == "wrap":
        return np.mod(index, size)
    if fill_mode == "reflect":
        m = np.mod(index, 2 * size)
        return np.where(m >= size, 2 * size - 1 - m, m)
    return np.clip(index, 0, size - 1)                 # 'nearest' and 'constant'


class SampleTaps(Function):
    """``out[p, :] = sum_k weights[k][p] * pixels[index[k][p], :] + constant[p]``: each output pixel a
    weighted sum of input pixels (``pixels`` is the batch as (N*H*W, C) rows). Its gradient is the
    transpose: ``d pixels[i] = sum over (k, p) with index[k][p] = i of weights[k][p] * g[p]``,
    a scatter-add done per channel with ``np.bincount``."""

    def forward(self, pixels, index, weights, constant):
        self.rows, self.index, self.weights = pixels.shape[0], index, weights
        out = None
        for idx, w in zip(index, weights):
            term = np.take(pixels, idx, axis=0)
            if w is not None:
                term *= w[..., None]
            out = term if out is None else out + term
        if constant is not None:
            out += constant[..., None]
        return out

    def backward(self, g):
        c = g.shape[-1]
        gx = np.zeros((self.rows, c), dtype=g.dtype)
        flat_g = g.reshape(-1, c)
        for idx, w in zip(self.index, self.weights):
            flat_idx = idx.reshape(-1)
            for ch in range(c):
                gc = flat_g[:, ch] if w is None else flat_g[:, ch] * w.reshape(-1)
                gx[:, ch] += np.bincount(flat_idx, weights=gc, minlength=self.rows).astype(g.dtype)
        return gx


def _taps(shape, rows, cols, weights, fill_mode, fill_value, dtype):
    """The flat pixel indices of the taps ``(rows[k], cols[k])`` (any integers; the outside mapped by
    ``fill_mode``), their weights, and for 'constant' the weights of the outside taps moved into
    a constant ``fill_value * sum of those weights``."""
    n, h, w = shape[:3]
    base = (np.arange(n) * h)[:, None, None]
    index, kept, constant, folded = [], [], None, {}
    for r, c, wt in zip(rows, cols, weights):
        if id(r) not in folded:                         # each row / column array is folded once
            folded[id(r)] = (base + _fold(r, h, fill_mode)) * w
        if id(c) not in folded:
            folded[id(c)] = _fold(c, w, fill_mode)
        index.append(folded[id(r)] + folded[id(c)])
        if fill_mode == "constant":
            outside = (r < 0) | (r >= h) | (c < 0) | (c >= w)
            if outside.any():
                spill = outside.astype(dtype) if wt is None else np.where(outside, wt, 0).astype(dtype)
                constant = spill if constant is None else constant + spill
                wt = (~outside).astype(dtype) if wt is None else np.where(outside, 0, wt).astype(dtype)
        kept.append(wt)
    if constant is not None:
        constant = constant * dtype.type(fill_value)
    return index, kept, constant


def _as_transforms(transforms, n, who):
    t = np.asarray(transforms, dtype=np.float64)
    if t.ndim == 1:
        t = np.broadcast_to(t, (n,) + t.shape)
    if t.ndim != 2 or t.shape[1] not in (6, 8) or t.shape[0] not in (1, n):
        raise ValueError(f"{who}: transforms must have shape ({n}, 8) or (8,) (one [a0, a1, a2, b0, b1, "
                         f"b2, c0, c1] per image), got {np.shape(transforms)}")
    if t.shape[1] == 6:
        t = np.concatenate([t, np.zeros((t.shape[0], 2))], axis=1)
    return np.broadcast_to(t, (n, 8))


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                     output_size=None):
    """Resample each image of ``images`` (N, H, W, C) through its transform (see the module's
    docstring): ``transforms`` is (N, 8) or (8,) for all images. ``output_size=(H', W')`` gives
    another output size (default: the input's). Returns a tensor (N, H', W', C) of the images'
    float dtype."""
    who = "affine_transform"
    x = lift(images)
    check_rank(x, 4, who, "a batch of images of shape (N, H, W, C)")
    check_choice(interpolation, INTERPOLATIONS, who, "interpolation")
    check_choice(fill_mode, FILL_MODES, who, "fill_mode")
    if x.dtype.kind != "f":
        x = ops.astype(x, np.float32)
    n, h, w, _ = x.shape
    t = _as_transforms(transforms, n, who)
    out_h, out_w = (h, w) if output_size is None else (int(output_size[0]), int(output_size[1]))
    ys, xs = np.meshgrid(np.arange(out_h, dtype=np.float64), np.arange(out_w, dtype=np.float64),
                         indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i, None, None] for i in range(8))
    k = c0 * xs + c1 * ys + 1.0
    src_x = (a0 * xs + a1 * ys + a2) / k                # (N, H', W')
    src_y = (b0 * xs + b1 * ys + b2) / k
    if interpolation == "nearest":
        rows = [np.floor(src_y + 0.5).astype(np.int64)]
        cols = [np.floor(src_x + 0.5).astype(np.int64)]
        weights = [None]
    else:
        y0, x0 = np.floor(src_y), np.floor(src_x)
        u, v = (src_y - y0).astype(x.dtype), (src_x - x0).astype(x.dtype)   # weights of row y0+1, col x0+1
        y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
        rows, cols, weights = [], [], []
        for r, wy in ((y0, 1 - u), (y0 + 1, u)):
            for c, wx in ((x0, 1 - v), (x0 + 1, v)):
                weight = wy * wx
                if weight.any():                        # e.g. whole-pixel shifts: 3 taps weigh nothing
                    rows.append(r)
                    cols.append(c)
                    weights.append(weight)
    index, weights, constant = _taps(x.shape, rows, cols, weights, fill_mode, fill_value, x.dtype)
    pixels = x.reshape((n * h * w, x.shape[3]))
    return SampleTaps.apply(pixels, index=index, weights=weights, constant=constant)


def resize(images, size, interpolation="bilinear"):
    """Images (N, H, W, C) resized to ``size = (H', W')``, half-pixel centres (output pixel ``i``
    reads input point ``(i + 0.5) * H / H' - 0.5``), the border pixel repeated outside."""
    x = lift(images)
    check_rank(x, 4, "resize", "a batch of images of shape (N, H, W, C)")
    (h, w), (out_h, out_w) = x.shape[1:3], (int(size[0]), int(size[1]))
    if (h, w) == (out_h, out_w):
        return x
    sy, sx = h / out_h, w / out_w
    t = [sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5, 0.0, 0.0]
    return affine_transform(x, t, interpolation=interpolation, fill_mode="nearest",
                            output_size=(out_h, out_w))


def rotation_matrix(angles, height, width):
    """Transforms rotating each image by ``angles`` (radians, one per image; positive =
    counter-clockwise on screen, rows growing downwards) about its centre ``((W-1)/2, (H-1)/2)``:
    ``x' = cos(a) (x - cx) - sin(a) (y - cy) + cx``, ``y' = sin(a) (x - cx) + cos(a) (y - cy) + cy``.
    A rotation by +90 degrees of a square image is ``np.rot90``."""
    a = np.asarray(angles, dtype=np.float64).reshape(-1)
    cos, sin = np.cos(a), np.sin(a)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    zero = np.zeros_like(a)
    return np.stack([cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, zero, zero],
                    axis=1)


def translation_matrix(dx, dy):
    """Transforms shifting each image by ``dx`` pixels right and ``dy`` pixels down:
    ``x' = x - dx``, ``y' = y - dy``."""
    dx = np.asarray(dx, dtype=np.float64).reshape(-1)
    dy = np.asarray(dy, dtype=np.float64).reshape(-1)
    one, zero = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)


def zoom_matrix(zx, zy, height, width):
    """Transforms reading each image through zoom factors ``zx``, ``zy`` about its centre:
    ``x' = zx (x - cx) + cx`` (``zx > 1`` zooms out: the content shrinks; ``zx < 1`` zooms in)."""
    zx = np.asarray(zx, dtype=np.float64).reshape(-1)
    zy = np.asarray(zy, dtype=np.float64).reshape(-1)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    zero = np.zeros_like(zx)
    return np.stack([zx, zero, cx * (1 - zx), zero, zy, cy * (1 - zy), zero, zero], axis=1)


def compose(*transforms):
    """One affine transform (N, 8) doing ``transforms[0]`` first, then ``transforms[1]``, ...
    (on the image). As maps from output to input pixels, ``T = T0 o T1 o ...``."""
    def full(t):
        t = np.asarray(t, dtype=np.float64)
        m = np.zeros(t.shape[:1] + (3, 3))
        m[:, 0, :] = t[:, 0:3]
        m[:, 1, :] = t[:, 3:6]
        m[:, 2, :2], m[:, 2, 2] = t[:, 6:8], 1.0
        return m
    m = full(transforms[0])
    for t in transforms[1:]:
        m = m @ full(t)
    m = m / m[:, 2:3, 2:3]
    return np.concatenate([m[:, 0, :], m[:, 1, :], m[:, 2, :2]], axis=1)
