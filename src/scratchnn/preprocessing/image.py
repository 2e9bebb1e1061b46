"""Images as arrays and back, as ``keras.utils`` has them: ``load_img``, ``img_to_array``,
``array_to_img``, ``save_img``.

    img = load_img("cat.jpg", target_size=(224, 224))     # a PIL image, resized
    x = img_to_array(img)                                  # float32 (224, 224, 3), values 0..255
    x = x[None] / 255.0                                    # a batch of one, scaled to [0, 1]

Arrays are channels last, ``(height, width, channels)``, unless ``data_format="channels_first"``
(``(channels, height, width)``). Files are read and written with Pillow, imported only when a
function needs it (it comes with matplotlib); without it, one ``ImportError`` line says what to
install. ``img_to_array`` needs no Pillow for an array.
"""
import warnings

import numpy as np

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "INTERPOLATIONS"]

#: ``interpolation`` names and Pillow's resampling filters of the same names.
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _pil(function):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{function} needs Pillow to read and write images: pip install pillow") from None
    return Image


def _data_format(data_format, function):
    data_format = "channels_last" if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{function}: `data_format` must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}.")
    return data_format


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image (or an array) as an array of ``dtype`` (float32): ``(height, width, channels)``
    (a grey image gets a channel axis of 1), or ``(channels, height, width)`` for channels first."""
    data_format = _data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or np.float32)
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: expected an image of 2 or 3 axes, got shape {x.shape}.")
    return np.ascontiguousarray(x.transpose(2, 0, 1)) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from an array of shape ``(height, width, channels)`` (or channels first) with
    1 (grey), 3 (RGB) or 4 (RGBA) channels. ``scale``: map the values' range onto 0..255 first
    (``(x - min) / (max - min) * 255``); otherwise they are taken as they are."""
    data_format = _data_format(data_format, "array_to_img")
    Image = _pil("array_to_img")
    x = np.asarray(x, dtype=dtype or np.float32)
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected one image of 3 axes (height, width, channels), got shape "
                         f"{x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype(np.uint8), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype(np.uint8), "RGB")
    if channels == 1:
        if np.max(x) > 255:   # 32-bit grey, as Keras does
            return Image.fromarray(x[:, :, 0].astype(np.int32), "I")
        return Image.fromarray(x[:, :, 0].astype(np.uint8), "L")
    raise ValueError(f"array_to_img: expected 1, 3 or 4 channels, got {channels} (shape {x.shape}).")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array ``x`` as an image file (``array_to_img`` then Pillow's ``save``; the format
    from ``file_format`` or the file name). RGBA written as JPEG loses its alpha (with a warning)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    name = str(file_format or path).lower()
    if img.mode == "RGBA" and (name.endswith(("jpg", "jpeg"))):
        warnings.warn("save_img: JPEG has no transparency; the alpha channel is dropped.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def _crop_to_aspect(img, width, height):
    """The centred part of ``img`` with the aspect ratio ``width : height``."""
    w, h = img.size
    crop_w, crop_h = min(w, int(h * width / height)), min(h, int(w * height / width))
    left, top = (w - crop_w) // 2, (h - crop_h) // 2
    return img.crop((left, top, left + crop_w, top + crop_h))


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """The image file at ``path`` (a path or a binary file object) as a PIL image.

    * ``color_mode``: ``"rgb"``, ``"rgba"`` or ``"grayscale"`` (converted if the file differs);
    * ``target_size``: ``(height, width)`` to resize to, with ``interpolation`` (one of
      ``INTERPOLATIONS``); ``keep_aspect_ratio``: crop the centre to that shape's aspect ratio
      first, so nothing is stretched.
    """
    if color_mode not in _COLOR_MODES:
        raise ValueError(f"load_img: `color_mode` must be 'grayscale', 'rgb' or 'rgba', got {color_mode!r}.")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"load_img: `interpolation` must be one of {INTERPOLATIONS}, got {interpolation!r}.")
    if target_size is not None and (len(target_size) != 2 or min(target_size) < 1):
        raise ValueError(f"load_img: `target_size` must be (height, width) of positive integers, got "
                         f"{target_size!r}.")
    Image = _pil("load_img")
    img = Image.open(path)
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != _COLOR_MODES[color_mode]:
        img = img.convert(_COLOR_MODES[color_mode])
    if target_size is not None:
        height, width = int(target_size[0]), int(target_size[1])
        if img.size != (width, height):
            if keep_aspect_ratio:
                img = _crop_to_aspect(img, width, height)
            resample = getattr(Image.Resampling, interpolation.upper())
            img = img.resize((width, height), resample)
    return img
