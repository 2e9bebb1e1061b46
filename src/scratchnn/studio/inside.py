"""The Inside a CNN page: for one input, every layer's output (feature maps or units), the first
convolution's filters, and one convolution step with its numbers:

    z = sum(window * kernel) + bias,   a = activation(z),   pooled = max(2 x 2 window of a)

It works on any model a source offers (``GET /api/sources``) that takes 28 x 28 grey images;
a model without ``Conv2D`` still shows its layers' outputs, and the convolution step says why it
cannot be shown. Every pass runs in inference mode through ``source.run`` (``sources.py``), with
forward hooks removed afterwards (``digits.capture``).

Routes (the input: ``dataset`` (``mnist`` | ``fashion_mnist``) and ``index`` of a test image, or
``input=drawn``: the last digit drawn on the Draw page; ``source``: a source's name):

* ``GET /api/digits/image?dataset=&index=``: a test image (784 grey levels) and its label;
* ``GET /api/inside/layers?...&channels=16``: the input, each layer's output (at most
  ``channels`` maps of at most 64 x 64, or 512 units, as integers 0..255 with the layer's ``lo``
  and ``hi``: value = lo + code / 255 * (hi - lo)), the model's top class, the first Conv2D's
  filters (at most 64) and what the convolution step can show;
* ``GET /api/inside/conv_step?...&channel=&row=&col=``: output pixel (``row``, ``col``) of channel
  ``channel`` of the first Conv2D, computed by hand from its input window, kernel and bias, checked
  against the layer's own output, then its activation and the max-pooling window it falls in.
"""
import numpy as np

from ..autograd import Tensor, no_grad
from ..layers import Activation, Conv2D, MaxPooling2D, ReLU
from ..windows import paddings
from . import digits
from .server import StudioError

MAX_CHANNELS = 64
MAX_MAP_SIDE = 64
MAX_UNITS = 512


def register(studio):
    studio.add_page("/inside", "Inside a CNN", "inside.html",
                    "feature maps, filters and one convolution step")

    def image(request):
        return digits.test_image(digits.check_dataset(request.arg("dataset", str, "mnist")),
                                 request.arg("index", str, "0"))

    def layers(request):
        channels = request.arg("channels", int, 16)
        if not 1 <= channels <= MAX_CHANNELS:
            raise StudioError(400, f"argument 'channels': expected 1 .. {MAX_CHANNELS}, got {channels}")
        shown, pixels = input_of(studio, request)
        source = studio.source(request.query.get("source") or None)
        result = source.run(lambda model: describe_layers(model, pixels, channels))
        return {"input": shown, **result}

    def conv_step(request):
        where = {k: request.arg(k, int) for k in ("channel", "row", "col")}
        _, pixels = input_of(studio, request)
        source = studio.source(request.query.get("source") or None)
        return source.run(lambda model: convolution_step(model, pixels, **where))

    studio.route("GET", "/api/digits/image", image)
    studio.route("GET", "/api/inside/layers", layers)
    studio.route("GET", "/api/inside/conv_step", conv_step)


def input_of(studio, request):
    """``(what the page shows about the input, its 784 grey levels)`` for the request's input."""
    kind = request.arg("input", str, "test")
    if kind == "drawn":
        pixels = studio.state.get(digits.DRAWN)
        if pixels is None:
            raise StudioError(404, "nothing drawn yet: draw a digit on the Draw page first")
        return {"kind": "drawn", "pixels": list(pixels)}, pixels
    if kind != "test":
        raise StudioError(400, f"argument 'input': expected 'test' or 'drawn', got {kind!r}")
    shown = digits.test_image(digits.check_dataset(request.arg("dataset", str, "mnist")),
                              request.arg("index", str, "0"))
    return {"kind": "test", **shown}, shown["pixels"]


def map_stack(out):
    """A layer's output for one sample as ``(maps (C, H, W), kind)``, or ``(vector, 'units')``."""
    if out.ndim == 3:
        return np.moveaxis(out, -1, 0), "maps"
    if out.ndim == 2:
        return out[None], "maps"
    return out.reshape(-1), "units"


def describe_output(layer, out, channels):
    """One layer's row on the page (see the module's notes for the bounds)."""
    values, kind = map_stack(out[0])
    row = {"name": layer.name, "class": type(layer).__name__, "shape": list(out.shape[1:]), "kind": kind,
           "activation": layer.output_activation()}
    if kind == "units":
        codes, lo, hi = digits.quantise(values[:MAX_UNITS])
        return {**row, "units": int(values.size), "codes": codes.tolist(), "lo": lo, "hi": hi}
    count, height, width = values.shape
    step = max(1, -(-max(height, width) // MAX_MAP_SIDE))
    maps = values[:channels, ::step, ::step]
    codes, lo, hi = digits.quantise(maps)
    return {**row, "channels": int(count), "shown": list(range(len(maps))), "height": int(maps.shape[1]),
            "width": int(maps.shape[2]), "step": step, "codes": codes.reshape(len(maps), -1).tolist(),
            "lo": lo, "hi": hi}


def first_conv(captured):
    """The index in ``captured`` of the first Conv2D, or None."""
    return next((i for i, (layer, _, _) in enumerate(captured) if isinstance(layer, Conv2D)), None)


def no_conv_note(captured):
    names = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer, _, _ in captured)
    return (f"this model has no Conv2D layer (its layers: {names}), so there is no convolution step "
            "or filter to show; the layers' outputs are shown below")


def describe_layers(model, pixels, channels):
    out, captured = digits.capture(model, digits.model_batch(model, pixels))
    rows = [describe_output(layer, y, channels) for layer, _, y in captured if y is not None and y.ndim >= 2]
    result = {"model": model.name, "layers": rows, "filters": None, "conv": None, "conv_note": None,
              "prediction": None}
    if out.ndim == 2:
        result["prediction"] = {"class": int(np.argmax(out[0])), "value": float(np.max(out[0]))}
    k = first_conv(captured)
    if k is None:
        result["conv_note"] = no_conv_note(captured)
        return result
    conv, x, y = captured[k]
    kernel = np.asarray(conv.kernel.data, dtype=np.float64)          # (kh, kw, C_in, filters)
    kh, kw, cin, count = kernel.shape
    per_filter = kernel.sum(axis=2) if cin > 1 else kernel[:, :, 0]  # (kh, kw, filters)
    shown = per_filter[:, :, :MAX_CHANNELS]
    bound = float(np.abs(shown).max()) or 1.0
    result["filters"] = {"layer": conv.name, "kernel_size": [kh, kw], "in_channels": cin, "count": count,
                         "summed_over_input_channels": cin > 1, "bound": bound,
                         "values": np.moveaxis(shown, -1, 0).reshape(shown.shape[-1], -1).tolist()}
    activation, pool = after_conv(captured, k)
    result["conv"] = {"layer": conv.name, "height": int(y.shape[1]), "width": int(y.shape[2]),
                      "filters": count, "kernel_size": [kh, kw], "strides": list(conv.strides),
                      "padding": conv.padding, "activation": activation[0],
                      "pool": None if pool is None else {"layer": pool[0].name,
                                                         "pool_size": list(pool[0].pool_size)}}
    return result


def after_conv(captured, k):
    """``((activation name, activated output), pool)`` after the Conv2D at ``k``: its own activation
    (or a following ``Activation`` / ``ReLU`` layer's) and the ``(MaxPooling2D, output)`` that
    follows, or None."""
    conv, _, y = captured[k]
    name, activated, nxt = conv.output_activation() or "linear", y, k + 1
    if name == "linear" and nxt < len(captured) and isinstance(captured[nxt][0], (Activation, ReLU)):
        layer = captured[nxt][0]
        name = "relu" if isinstance(layer, ReLU) else layer.output_activation()
        activated, nxt = captured[nxt][2], nxt + 1
    pool = None
    if nxt < len(captured) and isinstance(captured[nxt][0], MaxPooling2D):
        pool = (captured[nxt][0], captured[nxt][2])
    return (name, activated), pool


def check_position(name, value, size):
    if not 0 <= value < size:
        raise StudioError(400, f"argument {name!r}: expected 0 .. {size - 1}, got {value}")


def convolution_step(model, pixels, channel, row, col):
    """The numbers of one output pixel of the first Conv2D (see the module's notes)."""
    _, captured = digits.capture(model, digits.model_batch(model, pixels))
    k = first_conv(captured)
    if k is None:
        raise StudioError(422, no_conv_note(captured))
    conv, x, y = captured[k]
    check_position("channel", channel, y.shape[3])
    check_position("row", row, y.shape[1])
    check_position("col", col, y.shape[2])
    kernel = np.asarray(conv.kernel.data, dtype=np.float64)[:, :, :, channel]     # (kh, kw, C_in)
    kh, kw, cin = kernel.shape
    (sh, sw), (dh, dw) = conv.strides, conv.dilation_rate
    (top, _), (left, _) = paddings(x.shape[1:3], (kh, kw), (sh, sw), conv.padding, (dh, dw))
    rows = row * sh - top + dh * np.arange(kh)
    cols = col * sw - left + dw * np.arange(kw)
    inside = ((rows >= 0) & (rows < x.shape[1]))[:, None] & ((cols >= 0) & (cols < x.shape[2]))[None, :]
    window = np.zeros((kh, kw, cin))
    window[inside] = np.asarray(x[0], dtype=np.float64)[np.clip(rows, 0, x.shape[1] - 1)[:, None],
                                                         np.clip(cols, 0, x.shape[2] - 1)[None, :]][inside]
    products = window * kernel
    bias = float(conv.bias.data[channel]) if conv.bias is not None else 0.0
    total = float(products.sum())
    z = total + bias
    (name, activated), pool = after_conv(captured, k)
    with no_grad():
        a = float(np.asarray(conv.activation(Tensor.wrap(np.array([z], dtype=x.dtype))).data)[0]) \
            if activated is y else apply_named(captured, k, z, x.dtype)
    layer_out = float(activated[0, row, col, channel])

    def channels_first(v):
        return np.moveaxis(v, -1, 0).tolist()

    step = {"layer": conv.name, "channel": channel, "row": row, "col": col, "kernel_size": [kh, kw],
            "in_channels": cin, "origin": [int(rows[0]), int(cols[0])], "input_shape": list(x.shape[1:]),
            "window": channels_first(window), "kernel": channels_first(kernel),
            "products": channels_first(products), "sum": total, "bias": bias, "z": z,
            "activation": name, "activated": a, "layer_output": layer_out,
            "matches": bool(abs(a - layer_out) <= 1e-4 * max(1.0, abs(layer_out))), "pool": None}
    if pool is not None:
        step["pool"] = pool_step(pool, activated, channel, row, col)
    return step


def apply_named(captured, k, z, dtype):
    """``z`` through the activation layer that follows the Conv2D at ``k`` (called on an input of
    the shape it saw, every element ``z``: an activation acts on each element alone)."""
    layer, seen, _ = captured[k + 1]
    out = layer(Tensor.wrap(np.full(seen.shape, z, dtype=dtype)), training=False)
    return float(np.asarray(out.data).reshape(-1)[0])


def pool_step(pool, activated, channel, row, col):
    """The max-pooling window that output pixel (row, col) of the convolution falls in."""
    layer, pooled = pool
    (ph, pw), (sh, sw) = layer.pool_size, layer.strides
    (top, _), (left, _) = paddings(activated.shape[1:3], (ph, pw), (sh, sw), layer.padding, (1, 1))
    pr, pc = (row + top) // sh, (col + left) // sw
    if pr >= pooled.shape[1] or pc >= pooled.shape[2] or row + top - pr * sh >= ph \
            or col + left - pc * sw >= pw:
        return {"layer": layer.name, "note": f"pixel ({row}, {col}) lies in no {ph} x {pw} window of "
                                             f"{layer.name} (the pooling drops the last row or column)"}
    r0, c0 = pr * sh - top, pc * sw - left
    r_lo, c_lo = max(r0, 0), max(c0, 0)
    block = np.asarray(activated[0, r_lo:r0 + ph, c_lo:c0 + pw, channel], dtype=np.float64)
    arg = np.unravel_index(int(np.argmax(block)), block.shape)
    return {"layer": layer.name, "pool_size": [ph, pw], "row": int(pr), "col": int(pc),
            "origin": [int(r_lo), int(c_lo)], "window": block.tolist(), "max": float(block.max()),
            "argmax": [int(r_lo + arg[0]), int(c_lo + arg[1])],
            "layer_output": float(pooled[0, pr, pc, channel])}
