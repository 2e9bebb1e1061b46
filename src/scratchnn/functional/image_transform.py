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

The output is built from fancy indexing and weighted sums of scratchnn tensors, so it is
differentiable with respect to the images (each output value is a fixed linear combination of
input values; its gradient goes back to those pixels with the same weights), though augmentation
layers are normally applied to inputs, where nobody asks for it. The transforms themselves get
no gradient.

The ``*_matrix`` helpers build these 8-number transforms for a batch (used by the ``Random*``
augmentation layers and ``ImageDataGenerator``); ``resize`` reuses the sampler for a bilinear
resize with half-pixel centres.
"""
import numpy as np

from .. import ops
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


def _read(x, batch, rows, cols, fill_mode, fill_value):
    """``x[n, rows, cols, :]`` for integer index arrays of shape (N, H', W') (any values), the
    outside handled by ``fill_mode``: a tensor of shape (N, H', W', C)."""
    h, w = x.shape[1], x.shape[2]
    values = x[batch, _fold(rows, h, fill_mode), _fold(cols, w, fill_mode)]
    if fill_mode == "constant":
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        if not inside.all():
            values = ops.where(inside[..., None], values, np.asarray(fill_value, dtype=x.dtype))
    return values


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
    batch = np.arange(n)[:, None, None]
    if interpolation == "nearest":
        rows = np.floor(src_y + 0.5).astype(np.int64)
        cols = np.floor(src_x + 0.5).astype(np.int64)
        return _read(x, batch, rows, cols, fill_mode, fill_value)
    y0, x0 = np.floor(src_y), np.floor(src_x)
    u = (src_y - y0).astype(x.dtype)[..., None]        # weight of the lower row, (N, H', W', 1)
    v = (src_x - x0).astype(x.dtype)[..., None]
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    out = None
    for dy, wy in ((0, 1 - u), (1, u)):
        for dx, wx in ((0, 1 - v), (1, v)):
            weight = wy * wx
            if not weight.any():                          # e.g. whole-pixel shifts: skip the reads
                continue
            term = _read(x, batch, y0 + dy, x0 + dx, fill_mode, fill_value) * weight
            out = term if out is None else out + term
    return out if out is not None else x * 0


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
