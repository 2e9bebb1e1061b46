"""``keras.preprocessing.image``: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` (also
in ``keras.utils``), and ``ImageDataGenerator``, the legacy (Keras 2) way to augment images, still in
many course notebooks::

    datagen = ImageDataGenerator(rotation_range=20, width_shift_range=0.1, height_shift_range=0.1,
                                 zoom_range=0.1, horizontal_flip=True, rescale=1 / 255)
    model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=10)

``flow(x, y)`` returns a ``NumpyArrayIterator``, a ``keras.utils.PyDataset`` that ``fit`` accepts:
``len(it)`` batches per epoch, ``it[i]`` is batch ``i`` as ``(x, y)`` (``x`` alone without
``y``; ``(x, y, sample_weight)`` with weights), each image transformed by its own random draw;
``next(it)`` gives the next batch forever, as Keras's iterator does. The order is reshuffled at
the end of every epoch (``shuffle=True``). ``seed=`` makes the order and the transforms repeatable;
without it they come from scratchnn's global generator.

What each image goes through, in Keras's order: the random affine transform (rotation, shift,
shear and zoom composed into one matrix about the image centre, resampled by the same batched
sampler as the ``Random*`` layers: ``scratchnn.functional.image_transform``), the channel shift,
the brightness factor, the flips, then ``standardize``: ``preprocessing_function``, ``rescale``,
the sample-wise and (after ``fit(x)``) feature-wise centring and scaling.

Keras 2 resamples with SciPy's ``ndimage``; here ``fill_mode='wrap'`` repeats the image
(``a b c d | a b c d``), SciPy's legacy 'wrap' differs by a pixel at the seam, and
``brightness_range`` multiplies the values (Keras 2 goes through PIL and 8-bit images).

Channels last only. Not here: ``zca_whitening``, ``flow_from_directory``/``flow_from_dataframe``
(load the images into an array, e.g. with ``keras.utils.image_dataset_from_directory``, and use
``flow``), ``save_to_dir``.
"""
import math

import numpy as np

from ... import random as _random
from ...functional import image_transform as T
from ...preprocessing import PyDataset, array_to_img, img_to_array, load_img, save_img  # noqa: F401

__all__ = ["ImageDataGenerator", "NumpyArrayIterator", "load_img", "img_to_array", "array_to_img", "save_img"]

_ORDERS = {0: "nearest", 1: "bilinear"}


def _spread(value, who, argument, lists=False):
    """A non-negative number (or, for the shift ranges, a list of values)."""
    if lists and isinstance(value, (list, tuple, np.ndarray)):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value < 0:
        raise ValueError(f"{who}: {argument} must be a number >= 0, got {value!r}")
    return value


class ImageDataGenerator:
    """Random transforms and normalization of image batches (Keras 2's arguments and defaults;
    see the module's docstring for the order). ``rotation_range`` in degrees; the shift ranges as
    a fraction of the size when below 1, else in pixels (an int ``n`` draws a whole number of pixels
    below ``n``, either way; a list draws one of its values); ``zoom_range`` a number ``z`` for
    ``[1 - z, 1 + z]`` or a pair, drawn separately for height and width (> 1 zooms out);
    ``shear_range`` in degrees; ``brightness_range`` a pair of factors; ``fill_mode`` 'nearest'
    (default), 'reflect', 'wrap' or 'constant' (with ``cval``); ``interpolation_order`` 1 (bilinear)
    or 0 (nearest)."""

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0,
                 horizontal_flip=False, vertical_flip=False, rescale=None, preprocessing_function=None,
                 data_format=None, validation_split=0.0, interpolation_order=1, dtype=None):
        who = "ImageDataGenerator"
        if zca_whitening:
            raise NotImplementedError(f"{who}: zca_whitening is not implemented in scratchnn")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{who}: only data_format='channels_last' (N, H, W, C) is supported, "
                             f"got {data_format!r}")
        self.featurewise_center, self.samplewise_center = bool(featurewise_center), bool(samplewise_center)
        self.featurewise_std_normalization = bool(featurewise_std_normalization)
        self.samplewise_std_normalization = bool(samplewise_std_normalization)
        self.zca_whitening, self.zca_epsilon = False, zca_epsilon
        self.rotation_range = _spread(rotation_range, who, "rotation_range")
        self.width_shift_range = _spread(width_shift_range, who, "width_shift_range", lists=True)
        self.height_shift_range = _spread(height_shift_range, who, "height_shift_range", lists=True)
        self.shear_range = _spread(shear_range, who, "shear_range")
        self.channel_shift_range = _spread(channel_shift_range, who, "channel_shift_range")
        if isinstance(zoom_range, (list, tuple)) and len(zoom_range) == 2:
            self.zoom_range = [float(zoom_range[0]), float(zoom_range[1])]
        elif isinstance(zoom_range, (int, float)) and not isinstance(zoom_range, bool) and zoom_range >= 0:
            self.zoom_range = [1.0 - zoom_range, 1.0 + zoom_range]
        else:
            raise ValueError(f"{who}: zoom_range must be a number >= 0 or a pair [lower, upper], "
                             f"got {zoom_range!r}")
        if brightness_range is not None and not (isinstance(brightness_range, (list, tuple))
                                                 and len(brightness_range) == 2):
            raise ValueError(f"{who}: brightness_range must be None or a pair [lower, upper], "
                             f"got {brightness_range!r}")
        self.brightness_range = brightness_range
        self.fill_mode = T.check_choice(fill_mode, T.FILL_MODES, who, "fill_mode")
        self.cval = float(cval)
        if interpolation_order not in _ORDERS:
            raise ValueError(f"{who}: interpolation_order must be 0 (nearest) or 1 (bilinear), "
                             f"got {interpolation_order!r}")
        self.interpolation_order = interpolation_order
        self.horizontal_flip, self.vertical_flip = bool(horizontal_flip), bool(vertical_flip)
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        if not 0 <= validation_split < 1:
            raise ValueError(f"{who}: validation_split must be in [0, 1), got {validation_split!r}")
        self.validation_split = float(validation_split)
        self.dtype = np.dtype(dtype) if dtype is not None else np.dtype(np.float32)
        self.mean = self.std = None

    # ------------------------------------------------------------------ statistics
    def fit(self, x, augment=False, rounds=1, seed=None):
        """The per-channel mean and standard deviation of ``x`` (N, H, W, C), for
        ``featurewise_center`` and ``featurewise_std_normalization`` (``augment=True``: of
        ``rounds`` randomly transformed copies)."""
        x = _images(x, "ImageDataGenerator.fit")
        if augment:
            rng = np.random.default_rng(seed) if seed is not None else _random.generator()
            x = np.concatenate([self._transform_batch(x, rng) for _ in range(rounds)])
        self.mean = x.mean(axis=(0, 1, 2), keepdims=True)[0]
        self.std = x.std(axis=(0, 1, 2), keepdims=True)[0]

    def standardize(self, x):
        """``preprocessing_function``, ``rescale``, then the centring and scaling (on a copy)."""
        x = np.array(x, dtype=self.dtype)
        if self.preprocessing_function is not None:
            x = np.asarray(self.preprocessing_function(x), dtype=self.dtype)
        if self.rescale:
            x = x * self.dtype.type(self.rescale)
        axes = tuple(range(-3, 0))
        if self.samplewise_center:
            x = x - x.mean(axis=axes, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (x.std(axis=axes, keepdims=True) + 1e-6)
        if self.featurewise_center or self.featurewise_std_normalization:
            if self.mean is None:
                raise ValueError("ImageDataGenerator: featurewise_center/featurewise_std_normalization need "
                                 "the training set's statistics: call datagen.fit(x_train) first")
            if self.featurewise_center:
                x = x - self.mean
            if self.featurewise_std_normalization:
                x = x / (self.std + 1e-6)
        return x.astype(self.dtype, copy=False)

    # ------------------------------------------------------------------ random transforms
    def _draw(self, spread, n, rng, shift=False):
        """``n`` draws from ``[-spread, spread]``; for a shift range, Keras's int (whole pixels below
        it, either sign) and list (one of its values) forms too."""
        if isinstance(spread, np.ndarray):                 # a list of allowed values
            return rng.choice(spread, size=n)
        if not spread:
            return np.zeros(n)
        if shift and isinstance(spread, (int, np.integer)) and spread >= 1:
            return rng.integers(0, spread, size=n) * rng.choice([-1, 1], size=n)
        return rng.uniform(-spread, spread, size=n)

    def get_random_transform(self, img_shape, seed=None):
        """One image's draw (Keras's dictionary: theta, tx, ty, shear, zx, zy, flips, channel
        shift, brightness)."""
        rng = np.random.default_rng(seed) if seed is not None else _random.generator()
        params = self._draw_batch(1, img_shape[0], img_shape[1], rng)
        return {k: v[0].item() for k, v in params.items()}

    def _draw_batch(self, n, h, w, rng):
        p = {"theta": self._draw(self.rotation_range, n, rng)}
        tx = self._draw(self.height_shift_range, n, rng, shift=True)
        p["tx"] = tx * h if np.max(self.height_shift_range) < 1 else tx
        ty = self._draw(self.width_shift_range, n, rng, shift=True)
        p["ty"] = ty * w if np.max(self.width_shift_range) < 1 else ty
        p["shear"] = self._draw(self.shear_range, n, rng)
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            p["zx"] = p["zy"] = np.ones(n)
        else:
            p["zx"], p["zy"] = rng.uniform(self.zoom_range[0], self.zoom_range[1], size=(2, n))
        p["flip_horizontal"] = (rng.random(n) < 0.5) & self.horizontal_flip
        p["flip_vertical"] = (rng.random(n) < 0.5) & self.vertical_flip
        p["channel_shift_intensity"] = self._draw(self.channel_shift_range, n, rng)
        p["brightness"] = rng.uniform(*self.brightness_range, size=n) if self.brightness_range is not None \
            else np.ones(n)
        return p

    def _matrices(self, p, h, w):
        """Keras's composition about the centre: rotation, shift, shear, zoom. Keras states them on
        (row, column) coordinates: ``theta`` turns clockwise, ``tx`` rows and ``zx`` the height."""
        theta, shear = np.deg2rad(p["theta"]), np.deg2rad(p["shear"])
        cx = (w - 1) / 2.0
        zero = np.zeros_like(shear)
        shear_m = np.stack([np.cos(shear), zero, cx - np.cos(shear) * cx, -np.sin(shear), zero + 1,
                            np.sin(shear) * cx, zero, zero], axis=1)
        return T.compose(T.rotation_matrix(-theta, h, w), T.translation_matrix(-p["ty"], -p["tx"]), shear_m,
                         T.zoom_matrix(p["zy"], p["zx"], h, w))

    def apply_transform(self, x, transform_parameters):
        """One image (H, W, C) transformed by ``get_random_transform``'s dictionary."""
        x = _images(np.asarray(x)[None], "ImageDataGenerator.apply_transform")
        p = {k: np.atleast_1d(np.asarray(transform_parameters.get(k, d)))
             for k, d in (("theta", 0), ("tx", 0), ("ty", 0), ("shear", 0), ("zx", 1), ("zy", 1),
                          ("flip_horizontal", False), ("flip_vertical", False),
                          ("channel_shift_intensity", 0), ("brightness", 1))}
        return self._apply(x, p)[0]

    def random_transform(self, x, seed=None):
        """One image (H, W, C) randomly transformed."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def _transform_batch(self, x, rng):
        n, h, w, _ = x.shape
        return self._apply(x, self._draw_batch(n, h, w, rng))

    def _apply(self, x, p):
        n, h, w, _ = x.shape
        m = self._matrices(p, h, w)
        if not np.allclose(m, [1, 0, 0, 0, 1, 0, 0, 0]):
            x = T.affine_transform(x, m, interpolation=_ORDERS[self.interpolation_order],
                                   fill_mode=self.fill_mode, fill_value=self.cval).data
        x = np.array(x, dtype=self.dtype)
        shift = np.asarray(p["channel_shift_intensity"], dtype=np.float64)
        if shift.any():
            lo = x.min(axis=(1, 2, 3), keepdims=True)
            hi = x.max(axis=(1, 2, 3), keepdims=True)
            x = np.clip(x + shift[:, None, None, None], lo, hi).astype(self.dtype)
        brightness = np.asarray(p["brightness"], dtype=np.float64)
        if (brightness != 1).any():
            x = (x * brightness[:, None, None, None]).astype(self.dtype)
        fh, fv = np.asarray(p["flip_horizontal"], bool), np.asarray(p["flip_vertical"], bool)
        x = np.where(fh[:, None, None, None], x[:, :, ::-1], x)
        x = np.where(fv[:, None, None, None], x[:, ::-1], x)
        return x

    # ------------------------------------------------------------------ batches
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        """A ``NumpyArrayIterator`` over ``x`` (and ``y``, ``sample_weight``): transformed,
        standardized batches. ``subset='training'``/``'validation'`` with ``validation_split``: the
        last / first ``validation_split`` of the samples (Keras's split)."""
        if save_to_dir is not None:
            raise NotImplementedError("ImageDataGenerator.flow: save_to_dir is not implemented in scratchnn")
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed, subset=subset)

    def flow_from_directory(self, *args, **kwargs):
        raise NotImplementedError("ImageDataGenerator.flow_from_directory is not implemented in scratchnn: "
                                  "load the images into an array (keras.utils.image_dataset_from_directory) "
                                  "and use flow(x, y)")

    def flow_from_dataframe(self, *args, **kwargs):
        raise NotImplementedError("ImageDataGenerator.flow_from_dataframe is not implemented in scratchnn: "
                                  "load the images into an array and use flow(x, y)")


def _images(x, who):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{who}: expected images of shape (samples, height, width, channels), "
                         f"got shape {x.shape}")
    return x


class NumpyArrayIterator(PyDataset):
    """Batches of ``generator``-transformed images from arrays (see ``ImageDataGenerator.flow``)."""

    def __init__(self, x, y, generator, batch_size=32, shuffle=True, sample_weight=None, seed=None,
                 subset=None):
        super().__init__()
        who = "ImageDataGenerator.flow"
        x = _images(x, who)
        if y is not None and len(y) != len(x):
            raise ValueError(f"{who}: x and y must have the same number of samples, "
                             f"got {len(x)} and {len(y)}")
        if sample_weight is not None and len(sample_weight) != len(x):
            raise ValueError(f"{who}: x and sample_weight must have the same number of samples, got {len(x)} "
                             f"and {len(sample_weight)}")
        if not (isinstance(batch_size, (int, np.integer)) and batch_size > 0):
            raise ValueError(f"{who}: batch_size must be a positive int, got {batch_size!r}")
        rows = slice(None)
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"{who}: subset must be None, 'training' or 'validation', got {subset!r}")
            split = int(generator.validation_split * len(x))
            rows = slice(split, None) if subset == "training" else slice(None, split)
        self.x = x[rows]
        self.y = None if y is None else np.asarray(y)[rows]
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
        if len(self.x) == 0:
            raise ValueError(f"{who}: no samples in subset {subset!r} (validation_split="
                             f"{generator.validation_split})")
        self.generator, self.batch_size, self.shuffle = generator, int(batch_size), bool(shuffle)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.n = len(self.x)
        self._order()
        self._position = 0

    @property
    def rng(self):
        return self._rng if self._rng is not None else _random.generator()

    def _order(self):
        self.index_array = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"NumpyArrayIterator: batch {index} out of range 0..{len(self) - 1}")
        rows = self.index_array[index * self.batch_size:(index + 1) * self.batch_size]
        x = self.generator.standardize(self.generator._transform_batch(self.x[rows], self.rng))
        if self.y is None:
            return x
        if self.sample_weight is None:
            return x, self.y[rows]
        return x, self.y[rows], self.sample_weight[rows]

    def on_epoch_end(self):
        self._order()

    def __iter__(self):
        return self

    def __next__(self):
        """The next batch, forever (a new order after each pass), as Keras's iterator."""
        if self._position >= len(self):
            self._position = 0
            self.on_epoch_end()
        batch = self[self._position]
        self._position += 1
        return batch

    next = __next__
