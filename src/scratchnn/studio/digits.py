"""What the Inside and Draw pages feed a model: a test image of MNIST or Fashion-MNIST, or a digit
drawn in the browser made to look like an MNIST digit; and how they run the model on it.

* ``test_image(dataset, index)``: one image of the test set (28 x 28 grey levels 0..255) and its
  label; the test sets are loaded once (``scratchnn.datasets``) and kept.
* ``mnist_style(drawing)``: a drawing (any square grid, ink = 1, paper = 0) as MNIST prepared its
  digits: the ink's bounding box is scaled so that its longer side is 20 pixels (each new pixel is
  the area-weighted mean of the old pixels it covers), then placed in a 28 x 28 image so that its
  centre of mass is at (14, 14), where MNIST's digits have theirs
  (row and column indices from 0).
* ``model_batch(model, pixels)``: a 28 x 28 image (0..255) as a batch of one for ``model``:
  reshaped to the model's input shape ((28, 28), (28, 28, 1) or (784,)) and divided by 255 unless
  the model starts with a ``Rescaling`` layer (``scratchnn train``'s models take raw pixels).
* ``capture(model, x)``: the model's output and ``[(layer, input array, output array), ...]`` of
  every leaf layer for one inference-mode pass, through public forward hooks removed afterwards.
  Run it inside ``source.run(...)``: the training thread is never raced.
"""
import threading

import numpy as np

from ..autograd import Tensor, no_grad
from ..datasets import fashion_mnist, mnist
from ..layers import Rescaling
from ..models import Model
from .server import StudioError

SIDE = 28            # MNIST's image side
BOX = 20             # the side of the box MNIST scaled each digit's ink into
DATASETS = {"mnist": mnist, "fashion_mnist": fashion_mnist}
DIGIT_NAMES = tuple(str(d) for d in range(10))
MAX_DRAWING = 512    # the largest drawing side accepted
DRAWN = "drawn_image"  # studio.state key: the last digit drawn on the Draw page (784 grey levels)

_cache = {}
_cache_lock = threading.Lock()


def class_names(dataset, count):
    """The names of ``count`` classes: Fashion-MNIST's names, the digits, or 'class i'."""
    if dataset == "fashion_mnist" and count == 10:
        return list(fashion_mnist.CLASS_NAMES)
    if count == 10:
        return list(DIGIT_NAMES)
    return [f"class {i}" for i in range(count)]


def check_dataset(name):
    if name not in DATASETS:
        raise StudioError(400, f"argument 'dataset': expected one of {sorted(DATASETS)}, got {name!r}")
    return name


def test_set(name):
    """``(x_test, y_test)`` of ``name`` (loaded on first use, then kept); a 503 error saying what to
    do when the data set cannot be found."""
    check_dataset(name)
    with _cache_lock:
        if name not in _cache:
            try:
                _, test = DATASETS[name].load_data(verbose=False)
            except OSError as error:
                summary = getattr(error, "summary", None) or str(error).splitlines()[0]
                raise StudioError(503, f"the {name} test set is not available here ({summary}); "
                                       "draw a digit instead, or fetch it with "
                                       f"'scratchnn datasets download {name}'") from None
            _cache[name] = test
        return _cache[name]


def forget_test_sets():
    """Drop the test sets kept in memory (they are loaded again when next asked for)."""
    with _cache_lock:
        _cache.clear()


def parse_index(value, count):
    """``value`` as an image index in ``0 .. count - 1``; a 400 error naming 'index' otherwise."""
    try:
        index = int(value)
        if isinstance(value, float) and index != value:
            raise ValueError
    except (TypeError, ValueError):
        raise StudioError(400, f"argument 'index': expected an integer, got {value!r}") from None
    if not 0 <= index < count:
        raise StudioError(400, f"argument 'index': expected 0 .. {count - 1}, got {index}")
    return index


def test_image(dataset, index):
    """``{"dataset", "index", "count", "label", "label_name", "pixels"}`` of a test image
    (``pixels``: 784 grey levels 0..255, row by row)."""
    x, y = test_set(dataset)
    index = parse_index(index, len(x))
    label = int(y[index])
    return {"dataset": dataset, "index": index, "count": int(len(x)), "label": label,
            "label_name": class_names(dataset, 10)[label],
            "pixels": x[index].reshape(-1).astype(int).tolist()}


def area_resize_matrix(old, new):
    """The (new, old) matrix ``A`` of area-weighted resampling of one axis: new pixel ``i`` covers
    old coordinates ``[i * old / new, (i + 1) * old / new)`` and averages the old pixels by how much
    of each it covers (``A @ v`` resizes a vector ``v``; rows sum to 1)."""
    edges = np.arange(new + 1) * (old / new)
    lo, hi = edges[:-1, None], edges[1:, None]
    cells = np.arange(old)[None, :]
    overlap = np.clip(np.minimum(hi, cells + 1) - np.maximum(lo, cells), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def mnist_style(drawing):
    """A drawing (a 2-D array, ink 1, paper 0) as a 28 x 28 MNIST-like image of grey levels 0..255
    (see the module's notes). An empty drawing gives an empty image."""
    ink = np.clip(np.asarray(drawing, dtype=np.float64), 0.0, 1.0)
    rows, cols = np.nonzero(ink > 0.05)
    if len(rows) == 0:
        return np.zeros((SIDE, SIDE))
    box = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = box.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = area_resize_matrix(h, nh) @ box @ area_resize_matrix(w, nw).T
    total = small.sum()
    cy = (small.sum(axis=1) @ np.arange(nh)) / total
    cx = (small.sum(axis=0) @ np.arange(nw)) / total
    top = int(np.clip(round(SIDE / 2 - cy), 0, SIDE - nh))
    left = int(np.clip(round(SIDE / 2 - cx), 0, SIDE - nw))
    out = np.zeros((SIDE, SIDE))
    out[top:top + nh, left:left + nw] = small
    return np.clip(out * 255.0 / max(out.max(), 1e-12), 0, 255)


def parse_drawing(value):
    """A drawing sent by a page: ``{"size": n, "ink": [n * n numbers in 0..1]}``; a 400 error
    naming what is wrong otherwise."""
    if not isinstance(value, dict):
        raise StudioError(400, "argument 'drawing': expected {\"size\": n, \"ink\": [n*n numbers]}")
    size = value.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 8 <= size <= MAX_DRAWING:
        raise StudioError(400, f"argument 'drawing.size': expected an integer in 8 .. {MAX_DRAWING}, "
                               f"got {size!r}")
    ink = value.get("ink")
    if not isinstance(ink, list) or len(ink) != size * size:
        got = len(ink) if isinstance(ink, list) else type(ink).__name__
        raise StudioError(400, f"argument 'drawing.ink': expected {size * size} numbers, got {got}")
    try:
        arr = np.asarray(ink, dtype=np.float64).reshape(size, size)
    except (TypeError, ValueError):
        raise StudioError(400, "argument 'drawing.ink': expected numbers in 0..1") from None
    if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
        raise StudioError(400, "argument 'drawing.ink': expected numbers in 0..1")
    return arr


def takes_raw_pixels(model):
    """Whether ``model`` scales pixels itself (its first computing layer is a ``Rescaling``)."""
    for layer in model.walk():
        if isinstance(layer, Model) or type(layer).__name__ == "InputLayer":
            continue
        return isinstance(layer, Rescaling)
    return False


def model_batch(model, pixels):
    """A 28 x 28 image of grey levels 0..255 as a batch of one for ``model`` (see the module's notes);
    a 422 error when the model does not take 784 pixels."""
    shape = getattr(model, "input_shape", None)
    if not isinstance(shape, tuple) or any(d is None for d in shape[1:]) \
            or int(np.prod(shape[1:])) != SIDE * SIDE:
        raise StudioError(422, f"this model's input shape is {shape}; the page feeds it 28 x 28 grey "
                               "images (input (28, 28), (28, 28, 1) or (784,))")
    x = np.asarray(pixels, dtype=np.float32).reshape((1,) + shape[1:])
    return x if takes_raw_pixels(model) else x / np.float32(255.0)


def leaf_layers(model):
    return [layer for layer in model.walk() if not isinstance(layer, Model)]


def first_array(value):
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return None if value is None else np.asarray(getattr(value, "data", value))


def capture(model, x):
    """``(output array, [(layer, input array, output array), ...])`` of one inference-mode pass
    on ``x``, in the order the layers ran (see the module's notes)."""
    captured = []

    def record(layer, inputs, outputs):
        captured.append((layer, first_array(inputs), first_array(outputs)))

    handles = [layer.add_forward_hook(record) for layer in leaf_layers(model)]
    try:
        with no_grad():
            out = model(Tensor.wrap(x), training=False)
    finally:
        for handle in handles:
            handle.remove()
    return first_array(out), captured


def quantise(values):
    """``(codes, lo, hi)``: ``values`` mapped linearly to integers 0..255 (``lo`` -> 0, ``hi`` ->
    255), the compact form in which pages receive feature maps."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    span = hi - lo
    codes = np.zeros(values.shape, dtype=np.int64) if span == 0 else \
        np.rint((np.nan_to_num(values, nan=lo, posinf=hi, neginf=lo) - lo) / span * 255).astype(np.int64)
    return codes, lo, hi
