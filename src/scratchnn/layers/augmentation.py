"""Image data augmentation layers (Keras 3 names, arguments and defaults), channels last (N, H, W, C),
and the two deterministic image layers that go with them, ``Resizing`` and ``CenterCrop``.

``RandomFlip``, ``RandomCrop``, ``RandomContrast``, ``RandomBrightness``, ``RandomTranslation``,
``RandomRotation`` and ``RandomZoom`` change each image of a batch by a random amount *while
training* (``fit`` calls layers with ``training=True``), so that the network sees a slightly
different picture at every epoch; at inference (``predict``, ``evaluate``, a plain call) they
return their input unchanged, except ``RandomCrop``, which then crops the centre (see there).

Randomness: ``seed=`` gives the layer its own generator (two layers built with the same seed draw
the same transforms, call after call); without it the layer draws from scratchnn's global
generator (``scratchnn.utils.set_random_seed`` makes that repeatable). Each image gets its own
draw, and the whole batch is transformed at once (fancy indexing, no loop over images).

Channels last only (``data_format=None`` or ``'channels_last'`` is accepted, as in Keras's configs).
Outputs are float (the layer's dtype, float32 by default). The transforms are built from
differentiable tensor operations (indexing, weighted sums, clipping), so a gradient flows back
through them to the pixels, although they are meant for a model's inputs. The geometric ones
share one sampler: ``scratchnn.functional.image_transform.affine_transform``.
"""
import math

import numpy as np

from .. import ops
from .. import random as _random
from ..functional import image_transform as T
from .base import Layer, format_shape
from .images import check_channels_last


def _number(value):
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (int, float, np.integer, np.floating))


def factor_range(value, who, argument, low=-1.0, high=1.0):
    """Keras's ``factor`` argument as ``(lower, upper)``: a number ``f`` gives ``(-|f|, |f|)``, a pair
    is sorted; every number must lie in ``[low, high]``."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else None
    ok = _number(value) or (pair is not None and len(pair) == 2 and all(_number(v) for v in pair))
    if ok:
        numbers = pair if pair is not None else (value,)
        ok = all(low <= float(v) <= high and math.isfinite(float(v)) for v in numbers)
    if not ok:
        raise ValueError(f"{who}: {argument} must be a number or a pair (lower, upper) of numbers in "
                         f"[{low:g}, {high:g}], got {value!r}")
    if pair is None:
        return -abs(float(value)), abs(float(value))
    lower, upper = sorted(float(v) for v in pair)
    return lower, upper


def value_range_pair(value, who):
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(_number(v) for v in value)) \
            or float(value[0]) == float(value[1]):
        raise ValueError(f"{who}: value_range must be a pair (low, high) of two different numbers, "
                         f"got {value!r}")
    return tuple(sorted(float(v) for v in value))


class RandomLayer(Layer):
    """What the augmentation layers share: the seed, the generator, the 4-D input check, and
    identity outside training (``augment(x, rng)`` does the work while training)."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(data_format, type(self).__name__)
        if seed is not None and not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)
        self._rng = np.random.default_rng(self.seed) if self.seed is not None else None

    def __call__(self, inputs, *args, **kwargs):
        """A single image (H, W, C) goes through as a batch of one and comes back as one image
        (Keras accepts both)."""
        shape = inputs.shape if hasattr(inputs, "shape") else np.shape(inputs)
        if len(shape) == 3:
            return super().__call__(inputs[None], *args, **kwargs)[0]
        return super().__call__(inputs, *args, **kwargs)

    @property
    def rng(self):
        """The layer's own generator (``seed=``) or, without a seed, the global one at call time."""
        return self._rng if self._rng is not None else _random.generator()

    def _check_input(self, shape):
        if len(shape) != 4:
            raise ValueError(f"layer '{self.name}' ({type(self).__name__}) expects a batch of images of "
                             f"shape (batch, height, width, channels) or one image (height, width, "
                             f"channels), got shape {format_shape(shape)}")
        super()._check_input(shape)

    def build(self, input_shape):
        self._check_input(input_shape)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return self.augment(inputs, self.rng)

    def augment(self, x, rng):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(RandomLayer):
    """Flips each image with probability 1/2: ``mode='horizontal'`` left-right (``x[:, :, ::-1]``),
    ``'vertical'`` upside down (``x[:, ::-1]``), ``'horizontal_and_vertical'`` (the default) both,
    each with its own coin."""

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = T.check_choice(mode, self.MODES, "RandomFlip", "mode")

    def augment(self, x, rng):
        n, h, w, _ = x.shape
        rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
        if self.mode != "vertical":
            flip = rng.random(n) < 0.5
            cols = np.where(flip[:, None, None], w - 1 - cols, cols)
        if self.mode != "horizontal":
            flip = rng.random(n) < 0.5
            rows = np.where(flip[:, None, None], h - 1 - rows, rows)
        return x[np.arange(n)[:, None, None], rows, cols]

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def centre_resized(x, height, width, interpolation="bilinear"):
    """The largest centred window of ``x`` (N, H, W, C) with the aspect ratio ``height : width``,
    resized to ``height`` x ``width`` (Keras's ``smart_resize``)."""
    h, w = x.shape[1], x.shape[2]
    crop_h = max(min(h, int(w * height / width)), 1)
    crop_w = max(min(w, int(h * width / height)), 1)
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    return T.resize(x[:, top:top + crop_h, left:left + crop_w], (height, width), interpolation=interpolation)


def _check_size(who, height, width):
    for argument, value in (("height", height), ("width", width)):
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0):
            raise ValueError(f"{who}: {argument} must be a positive int, got {value!r}")
    return int(height), int(width)


class RandomCrop(RandomLayer):
    """Crops the images to ``height`` x ``width``.

    While training: one random window of that size, the same for the whole batch (as Keras).
    At inference, and while training when an image is smaller than the target: the largest
    centred window with the target's aspect ratio, resized (bilinear) to ``height`` x ``width``;
    an image of exactly the target size passes unchanged. Output (N, height, width, C) always.
    """

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height, self.width = _check_size("RandomCrop", height, width)

    def call(self, inputs, training=False):
        h, w = inputs.shape[1], inputs.shape[2]
        if training and h > self.height and w > self.width:
            rng = self.rng
            top = int(rng.integers(0, h - self.height + 1))
            left = int(rng.integers(0, w - self.width + 1))
            return inputs[:, top:top + self.height, left:left + self.width]
        return centre_resized(inputs, self.height, self.width)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width) + tuple(input_shape[3:])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomContrast(RandomLayer):
    """Scales each image's contrast by a random factor ``a`` drawn per image from
    ``[1 - lower, 1 + upper]`` (``factor=f`` means ``lower = upper = f``; ``factor=(lower, upper)``):
    ``y = clip((x - m) * a + m, *value_range)`` with ``m`` the mean of each channel of the image.
    (Keras 3's documented rule; some Keras 3 releases draw ``[1, 1 + f]`` for a single number.)"""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        who = "RandomContrast"
        if _number(factor):
            pair = (factor, factor)
        elif isinstance(factor, (tuple, list)) and len(factor) == 2 and all(_number(f) for f in factor):
            pair = tuple(factor)
        else:
            pair = None
        if pair is None or not (0 <= pair[0] <= 1 and 0 <= pair[1] and math.isfinite(pair[1])):
            raise ValueError(f"{who}: factor must be a number in [0, 1] or a pair (lower, upper) with "
                             f"0 <= lower <= 1 and upper >= 0 (the contrast factor is drawn from "
                             f"[1 - lower, 1 + upper]), got {factor!r}")
        self.factor = factor if _number(factor) else tuple(factor)
        self.lower, self.upper = float(pair[0]), float(pair[1])
        self.value_range = value_range_pair(value_range, who)

    def augment(self, x, rng):
        a = rng.uniform(1.0 - self.lower, 1.0 + self.upper, size=(x.shape[0], 1, 1, 1)).astype(x.dtype)
        m = ops.mean(x, axis=(1, 2), keepdims=True)
        return ops.clip((x - m) * a + m, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomBrightness(RandomLayer):
    """Adds to each image a random amount ``d * (high - low)``, ``d`` drawn per image from
    ``[lower, upper]`` (``factor=f``: ``[-f, f]``; all in [-1, 1]: -1 makes the image black, +1
    white), then clips to ``value_range = (low, high)``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.lower, self.upper = factor_range(factor, "RandomBrightness", "factor")
        self.factor = factor if _number(factor) else tuple(factor)
        self.value_range = value_range_pair(value_range, "RandomBrightness")

    def augment(self, x, rng):
        low, high = self.value_range
        d = rng.uniform(self.lower, self.upper, size=(x.shape[0], 1, 1, 1)) * (high - low)
        return ops.clip(x + d.astype(x.dtype), low, high)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class GeometricLayer(RandomLayer):
    """A random affine transform per image, resampled with ``interpolation`` ('bilinear' or
    'nearest'); points outside the image filled by ``fill_mode`` ('reflect', 'wrap', 'constant'
    with ``fill_value``, 'nearest'). See ``scratchnn.functional.image_transform``."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        who = type(self).__name__
        self.fill_mode = T.check_choice(fill_mode, T.FILL_MODES, who, "fill_mode")
        self.interpolation = T.check_choice(interpolation, T.INTERPOLATIONS, who, "interpolation")
        if not _number(fill_value):
            raise ValueError(f"{who}: fill_value must be a number, got {fill_value!r}")
        self.fill_value = float(fill_value)

    def transforms(self, n, height, width, rng):
        """The (n, 8) transforms of one batch."""
        raise NotImplementedError

    def augment(self, x, rng):
        n, h, w, _ = x.shape
        return T.affine_transform(x, self.transforms(n, h, w, rng), interpolation=self.interpolation,
                                  fill_mode=self.fill_mode, fill_value=self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


def _keep(factor):
    return tuple(factor) if isinstance(factor, (tuple, list)) else factor


class RandomTranslation(GeometricLayer):
    """Shifts each image by a random fraction of its size: down by ``dy * H`` with ``dy`` drawn from
    ``height_factor``'s range, right by ``dx * W`` from ``width_factor``'s (a number ``f`` means
    ``[-f, f]``; a pair ``(lower, upper)``; all in [-1, 1]; negative = up/left)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         **kwargs)
        self.height_range = factor_range(height_factor, "RandomTranslation", "height_factor")
        self.width_range = factor_range(width_factor, "RandomTranslation", "width_factor")
        self.height_factor, self.width_factor = _keep(height_factor), _keep(width_factor)

    def transforms(self, n, height, width, rng):
        dy = rng.uniform(*self.height_range, size=n) * height
        dx = rng.uniform(*self.width_range, size=n) * width
        return T.translation_matrix(dx, dy)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomRotation(GeometricLayer):
    """Rotates each image about its centre by a random angle ``a * 2 pi``, ``a`` drawn from
    ``factor``'s range (a number ``f`` means ``[-f, f]``; a pair ``(lower, upper)``; all in [-1, 1]);
    positive angles turn counter-clockwise. ``factor=0.25`` can turn up to 90 degrees either way."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         **kwargs)
        self.range = factor_range(factor, "RandomRotation", "factor")
        self.factor = _keep(factor)

    def transforms(self, n, height, width, rng):
        angles = rng.uniform(*self.range, size=n) * 2.0 * np.pi
        return T.rotation_matrix(angles, height, width)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(GeometricLayer):
    """Zooms each image about its centre by random factors: vertically ``1 + z`` with ``z`` drawn from
    ``height_factor``'s range (a number ``f`` means ``[-f, f]``; a pair ``(lower, upper)``; all in
    [-1, 1]), horizontally from ``width_factor``'s (``None``: the same factor, keeping the aspect
    ratio). Positive values zoom out (the content shrinks, the border is filled by ``fill_mode``),
    negative values zoom in: ``x' = (1 + z) (x - cx) + cx``."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         **kwargs)
        self.height_range = factor_range(height_factor, "RandomZoom", "height_factor")
        self.width_range = None if width_factor is None else factor_range(width_factor, "RandomZoom",
                                                                          "width_factor")
        self.height_factor, self.width_factor = _keep(height_factor), _keep(width_factor)

    def transforms(self, n, height, width, rng):
        zy = 1.0 + rng.uniform(*self.height_range, size=n)
        zx = zy if self.width_range is None else 1.0 + rng.uniform(*self.width_range, size=n)
        return T.zoom_matrix(zx, zy, height, width)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


# ---------------------------------------------------------------- deterministic: resizing, centre crop
class ImageLayer(RandomLayer):
    """A deterministic image layer (same at training and inference) on the same sampler, with the
    augmentation layers' input handling (4-D batches or one 3-D image)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _check_size(type(self).__name__, height, width)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width) + tuple(input_shape[3:])

    def get_config(self):
        config = {**super().get_config(), "height": self.height, "width": self.width}
        del config["seed"]
        return config


class Resizing(ImageLayer):
    """Resizes images to ``height`` x ``width`` (half-pixel centres, no antialiasing, as Keras's
    default): ``interpolation`` 'bilinear' (default) or 'nearest'. ``crop_to_aspect_ratio=True``
    first takes the largest centred window with the target's aspect ratio, so nothing is stretched."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False, **kwargs):
        super().__init__(height, width, **kwargs)
        self.interpolation = T.check_choice(interpolation, T.INTERPOLATIONS, "Resizing", "interpolation")
        if pad_to_aspect_ratio or antialias:
            raise NotImplementedError("Resizing: pad_to_aspect_ratio and antialias are not implemented in "
                                      "scratchnn (use crop_to_aspect_ratio, or resize first)")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def call(self, inputs, training=False):
        if self.crop_to_aspect_ratio:
            return centre_resized(inputs, self.height, self.width, self.interpolation)
        return T.resize(inputs, (self.height, self.width), interpolation=self.interpolation)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio}


class CenterCrop(ImageLayer):
    """Crops the centre ``height`` x ``width`` of the images (rows from ``(H - height) // 2``); an
    image smaller than that is instead resized from its largest centred window with the target's
    aspect ratio (as Keras)."""

    def call(self, inputs, training=False):
        h, w = inputs.shape[1], inputs.shape[2]
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            return inputs[:, top:top + self.height, left:left + self.width]
        return centre_resized(inputs, self.height, self.width)
