"""The Draw page: draw a digit (or pick a test image); the probability of each class, the most
active units of the last hidden layer and the most active feature maps, and the softmax at a
temperature ``T`` you set:

    p_T(k) = exp(z_k / T) / sum_j exp(z_j / T)

``T = 1`` gives the model's own probabilities; a larger ``T`` flattens them (the entropy grows),
a smaller one sharpens them towards the most likely class.

Where the logits ``z`` come from (forward hooks, in inference mode, through ``source.run``):

* the last layer is a ``Softmax`` layer (or ``Activation('softmax')``): ``z`` is its input;
* the last layer applies a softmax itself (``Dense(10, activation='softmax')``): ``z`` is its
  pre-activation ``x W + b``, computed from the input the hook saw and the layer's kernel and bias
  (and checked: ``softmax(z)`` must give the layer's output);
* the last layer has no activation (a model trained ``from_logits``): its output is ``z``, and the
  probabilities shown are ``softmax(z)``;
* otherwise ``z = log p`` (equal to the logits up to a constant, which the softmax ignores).

Routes: ``POST /api/draw/predict`` (token) with ``{"drawing": {"size": n, "ink": [n*n numbers in
0..1]}, "temperature": T, "source": NAME, "classes": "mnist" | "fashion_mnist"}``: the drawing is
made MNIST-like first (``digits.mnist_style``) and kept for the Inside page; ``GET
/api/draw/predict?dataset=&index=&temperature=&source=``: the same for a test image.
"""
import numpy as np

from ..layers import Activation, Softmax
from . import digits
from .server import StudioError

TOP_UNITS = 10
TOP_MAPS = 6
MIN_T, MAX_T = 0.01, 100.0


def register(studio):
    studio.add_page("/draw", "Draw", "draw.html", "draw a digit and see what the network thinks")

    def predict_drawing(request):
        body = request.json()
        pixels = digits.mnist_style(digits.parse_drawing(body.get("drawing")))
        temperature = parse_temperature(body.get("temperature", 1.0))
        classes = digits.check_dataset(body.get("classes") or "mnist")
        source = studio.source(body.get("source") or None)
        codes = np.rint(pixels).astype(int).reshape(-1).tolist()
        result = source.run(lambda model: predict(model, codes, temperature, classes))
        studio.state[digits.DRAWN] = codes
        return {"input": {"kind": "drawn", "pixels": codes}, **result}

    def predict_test_image(request):
        temperature = parse_temperature(request.arg("temperature", str, "1"))
        dataset = digits.check_dataset(request.arg("dataset", str, "mnist"))
        shown = digits.test_image(dataset, request.arg("index", str, "0"))
        source = studio.source(request.query.get("source") or None)
        result = source.run(lambda model: predict(model, shown["pixels"], temperature, dataset))
        return {"input": {"kind": "test", **shown}, **result}

    studio.route("POST", "/api/draw/predict", predict_drawing)
    studio.route("GET", "/api/draw/predict", predict_test_image)


def parse_temperature(value):
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise StudioError(400, f"argument 'temperature': expected a number, got {value!r}") from None
    if not MIN_T <= t <= MAX_T:     # also refuses NaN
        raise StudioError(400, f"argument 'temperature': expected {MIN_T} .. {MAX_T}, got {value!r}")
    return t


def softmax(z, temperature=1.0):
    """softmax(z / T) in float64, shifted by the maximum so that exp never overflows."""
    s = np.asarray(z, dtype=np.float64) / temperature
    e = np.exp(s - s.max())
    return e / e.sum()


def entropy_bits(p):
    """H(p) = -sum p log2 p (terms with p = 0 count 0)."""
    p = np.asarray(p, dtype=np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


def logits_of(captured, out):
    """``(z, probabilities, where z came from)`` for one sample (see the module's notes)."""
    layer, x, y = captured[-1]
    y = np.asarray(out[0], dtype=np.float64)
    activation = layer.output_activation()
    if isinstance(layer, Softmax) or (isinstance(layer, Activation) and activation == "softmax"):
        return np.asarray(x[0], dtype=np.float64), y, f"the input of the softmax layer '{layer.name}'"
    kernel, bias = getattr(layer, "kernel", None), getattr(layer, "bias", None)
    if activation == "softmax" and kernel is not None and x is not None and x.ndim == 2 \
            and np.ndim(kernel.data) == 2:
        z = np.asarray(x[0], dtype=np.float64) @ np.asarray(kernel.data, dtype=np.float64)
        z = z + (np.asarray(bias.data, dtype=np.float64) if bias is not None else 0.0)
        if np.allclose(softmax(z), y, atol=1e-4):
            return z, y, f"the pre-activation x W + b of '{layer.name}' (the input of its softmax)"
    if activation in (None, "linear"):
        return y, softmax(y), f"the output of '{layer.name}' (the model outputs logits; " \
                              "probabilities = softmax of them)"
    if y.min() >= 0 and abs(y.sum() - 1) < 1e-3:
        with np.errstate(divide="ignore"):
            return np.log(y), y, f"log of the output of '{layer.name}' (logits up to a constant)"
    raise StudioError(422, f"the model's last layer '{layer.name}' ({type(layer).__name__}, activation "
                           f"{activation}) does not give one probability per class; the Draw page "
                           "needs a classifier")


def last_hidden_units(captured):
    """The last layer with weights before the output whose output is a vector of units."""
    for layer, _, y in reversed(captured[:-1]):
        if y is not None and y.ndim == 2 and layer.count_params() > 0:
            return layer, y[0]
    return None


def last_feature_maps(captured):
    for layer, _, y in reversed(captured):
        if y is not None and y.ndim == 4:
            return layer, y[0]
    return None


def predict(model, pixels, temperature, dataset):
    out, captured = digits.capture(model, digits.model_batch(model, pixels))
    if out.ndim != 2 or out.shape[1] < 2:
        raise StudioError(422, f"the model's output has shape {tuple(out.shape[1:])}; the Draw page "
                               "needs a classifier with one output per class")
    z, p, source_of_z = logits_of(captured, out)
    tempered = softmax(z, temperature)
    result = {"classes": digits.class_names(dataset, len(p)), "probabilities": p.tolist(),
              "prediction": int(np.argmax(p)), "logits": z.tolist(), "logits_from": source_of_z,
              "temperature": temperature, "tempered": tempered.tolist(),
              "entropy_bits": entropy_bits(p), "tempered_entropy_bits": entropy_bits(tempered),
              "units": None, "maps": None}
    units = last_hidden_units(captured)
    if units is not None:
        layer, v = units
        top = np.argsort(-v, kind="stable")[:TOP_UNITS]
        result["units"] = {"layer": layer.name, "count": int(v.size), "activation": layer.output_activation(),
                           "top": [{"index": int(i), "value": float(v[i])} for i in top]}
    maps = last_feature_maps(captured)
    if maps is not None:
        layer, m = maps
        means = m.mean(axis=(0, 1))
        top = np.argsort(-means, kind="stable")[:TOP_MAPS]
        codes, lo, hi = digits.quantise(m[:, :, top])
        result["maps"] = {"layer": layer.name, "channels": int(m.shape[2]), "height": int(m.shape[0]),
                          "width": int(m.shape[1]), "lo": lo, "hi": hi,
                          "top": [{"index": int(c), "mean": float(means[c]),
                                   "codes": codes[:, :, j].reshape(-1).tolist()} for j, c in enumerate(top)]}
    return result
