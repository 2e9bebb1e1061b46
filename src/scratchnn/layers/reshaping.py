"""Layers that resize images without weights (Keras names, arguments, defaults; channels
last only): ``UpSampling2D``, ``ZeroPadding2D``, ``Cropping2D``.

The computation is in ``scratchnn.functional.resizing`` (``upsampling2d``,
``zero_padding2d``, ``cropping2d``).
"""
from .. import functional as F
from ..windows import pair, two_pairs
from .base import Layer, format_shape
from .images import check_channels_last

_KERAS_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


class _Image2D(Layer):
    """Shared: channels_last only, rank-4 inputs, and the output shape checked at every call
    (these layers accept any image size, so only the rank is fixed)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(data_format, self._who)

    @property
    def _who(self):
        return f"{type(self).__name__} '{self.name}'"

    def _check_input(self, shape):
        if len(shape) != 4:
            raise ValueError(f"{self._who} expects images of shape (batch, height, width, channels), "
                             f"got shape {format_shape(shape)}")
        self.compute_output_shape(shape)

    def build(self, input_shape):
        self._check_input(input_shape)


class UpSampling2D(_Image2D):
    """Repeats each pixel into a ``size`` = (sh, sw) block: (N, H, W, C) -> (N, H*sh, W*sw, C).
    Only ``interpolation='nearest'`` (the default) is implemented."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        try:
            self.size = pair(size, "size")
        except (ValueError, TypeError) as err:
            raise ValueError(f"{self._who}: {err}") from None
        if interpolation not in _KERAS_INTERPOLATIONS:
            raise ValueError(f"{self._who}: interpolation must be one of {', '.join(_KERAS_INTERPOLATIONS)}, "
                             f"got {interpolation!r}")
        if interpolation != "nearest":
            raise ValueError(f"{self._who}: interpolation={interpolation!r} is not implemented, "
                             f"only 'nearest'")
        self.interpolation = interpolation

    def call(self, inputs, training=False):
        return F.upsampling2d(inputs, self.size, self.interpolation)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        sh, sw = self.size
        return (n, None if h is None else h * sh, None if w is None else w * sw, c)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "interpolation": self.interpolation}


class ZeroPadding2D(_Image2D):
    """Adds rows and columns of zeros around the image. ``padding``: an int (all four
    sides), (h, w) (h rows top and bottom, w columns left and right) or
    ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = two_pairs(padding, "padding", self._who)

    def call(self, inputs, training=False):
        return F.zero_padding2d(inputs, self.padding)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        (top, bottom), (left, right) = self.padding
        return (n, None if h is None else h + top + bottom, None if w is None else w + left + right, c)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class Cropping2D(_Image2D):
    """Removes rows and columns at the borders of the image. ``cropping``: an int, (h, w) or
    ((top, bottom), (left, right)); what is removed along an axis must be less than its size."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = two_pairs(cropping, "cropping", self._who)

    def call(self, inputs, training=False):
        return F.cropping2d(inputs, self.cropping)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        out = []
        for size, (lo, hi), axis in zip((h, w), self.cropping, ("height", "width")):
            if size is not None and lo + hi >= size:
                raise ValueError(f"{self._who}: cropping {lo} + {hi} along the {axis} must be smaller than "
                                 f"the input's {size}; got input of shape {format_shape(input_shape)}, "
                                 f"cropping {self.cropping}")
            out.append(None if size is None else size - lo - hi)
        return (n, out[0], out[1], c)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping]}
