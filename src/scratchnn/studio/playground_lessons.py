"""The Playground's lessons: the configuration (its fields, checks and URL query), the 2-D
points of each teaching set, the network a configuration describes, and the grids the page
draws. The session that trains them and the routes are in ``playground.py``.

Every check fails with a ``StudioError`` (400) that names the field, what it expects and what it
got, so a link with a typo tells the student what to fix.
"""
import base64

import numpy as np

from ..autograd import Tensor, no_grad
from ..datasets import blobs, circles, logic_gate, moons, spirals
from ..initializers import GlorotUniform
from ..layers import Dense
from ..models import Sequential
from ..optimizers import SGD, Adagrad, Adam, RMSprop
from ..regularizers import L2
from .server import StudioError

DATASETS = ("circles", "xor", "gaussians", "spirals", "moons")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "leaky_relu", "elu")
OPTIMIZERS = ("adam", "sgd", "momentum", "rmsprop", "adagrad")
MAX_LAYERS, MAX_UNITS, MAX_POINTS = 6, 32, 2000

#: The inputs the network may see: name -> (how the page writes it, the function of (x1, x2)).
FEATURES = {
    "x1": ("x₁", lambda a, b: a),
    "x2": ("x₂", lambda a, b: b),
    "x1sq": ("x₁²", lambda a, b: a * a),
    "x2sq": ("x₂²", lambda a, b: b * b),
    "x1x2": ("x₁x₂", lambda a, b: a * b),
    "sinx1": ("sin x₁", lambda a, b: np.sin(a)),
    "sinx2": ("sin x₂", lambda a, b: np.sin(b)),
}

#: name -> (kind, default, bounds or choices, what it means)
FIELDS = {
    "dataset": ("choice", "circles", DATASETS, "the 2-D teaching set"),
    "points": ("int", 400, (20, MAX_POINTS), "how many points (training and test)"),
    "noise": ("float", 0.1, (0.0, 0.5), "standard deviation of the Gaussian noise on each coordinate"),
    "test_fraction": ("float", 0.3, (0.1, 0.9), "the share of points held out to test"),
    "features": ("features", ["x1", "x2"], tuple(FEATURES), "the inputs the network sees"),
    "hidden": ("units", [4, 2], (0, MAX_LAYERS, 1, MAX_UNITS), "units of each hidden layer"),
    "activation": ("choice", "tanh", ACTIVATIONS, "the hidden layers' activation"),
    "optimizer": ("choice", "adam", OPTIMIZERS, "the optimizer (momentum: SGD with momentum 0.9)"),
    "learning_rate": ("float", 0.03, (1e-5, 10.0), "the optimizer's learning rate"),
    "l2": ("float", 0.0, (0.0, 1.0), "L2 penalty factor on every kernel"),
    "batch_size": ("int", 10, (1, MAX_POINTS), "points per update"),
    "epochs": ("int", 1000, (1, 100000), "epochs before the run pauses as finished"),
    "seed": ("int", 0, (0, 2**31 - 1), "seed of the points, the weights and the batch order"),
}

GRID, UNIT_GRID, EXTENT = 50, 25, 1.5


# ----------------------------------------------------------------------------- configuration

def _bad(name, expected, value):
    raise StudioError(400, f"playground setting {name!r}: expected {expected}, got {value!r}")


def _number(name, value, kind, low, high):
    expected = f"{'an integer' if kind == 'int' else 'a number'} in [{low:g}, {high:g}]"
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            number = int(value) if not isinstance(value, str) else int(value.strip())
    except (TypeError, ValueError, OverflowError):
        _bad(name, expected, value)
    if not (low <= number <= high):       # also refuses NaN
        _bad(name, expected, value)
    return number


def _units(name, value, bounds):
    most_layers, most_units = bounds[1], bounds[3]
    expected = f"0 to {most_layers} layer sizes, each an integer in [1, {most_units}] (e.g. '4,2')"
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")] if value.strip() else []
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        _bad(name, expected, value)
    if len(parts) > most_layers:
        _bad(name, expected, value)
    units = []
    for part in parts:
        if isinstance(part, bool) or isinstance(part, float) and not part.is_integer():
            _bad(name, expected, value)
        try:
            n = int(part)
        except (TypeError, ValueError):
            _bad(name, expected, value)
        if not 1 <= n <= most_units:
            _bad(name, expected, value)
        units.append(n)
    return units


def _features(name, value, choices):
    expected = f"a non-empty list of distinct names from {list(choices)} (e.g. 'x1,x2')"
    if isinstance(value, str):
        parts = [p.strip().lower() for p in value.split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        _bad(name, expected, value)
    if not parts or len(set(parts)) != len(parts) or not all(p in choices for p in parts):
        _bad(name, expected, value)
    return [c for c in choices if c in parts]        # one order: a link's query is unique


def parse_config(values):
    """The configuration from ``values`` (a dict: JSON values or the URL query's strings; absent
    fields take their defaults). A ``StudioError`` (400) names the first bad field."""
    if not isinstance(values, dict):
        raise StudioError(400, "playground: the configuration must be an object, "
                               f"got {type(values).__name__}")
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise StudioError(400, f"playground: unknown setting {unknown[0]!r}; expected some of {list(FIELDS)}")
    config = {}
    for name, (kind, default, bounds, _) in FIELDS.items():
        value = values.get(name, default)
        if kind == "choice":
            text = value.strip().lower() if isinstance(value, str) else value
            if text not in bounds:
                _bad(name, f"one of {list(bounds)}", value)
            config[name] = text
        elif kind == "units":
            config[name] = _units(name, value, bounds)
        elif kind == "features":
            config[name] = _features(name, value, bounds)
        else:
            config[name] = _number(name, value, kind, *bounds)
    if config["batch_size"] > config["points"]:
        _bad("batch_size", f"at most points ({config['points']})", config["batch_size"])
    return config


def to_query(config):
    """The URL query of a configuration (``parse_config`` of its values gives it back)."""
    def text(value):
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return repr(value) if isinstance(value, float) else str(value)
    return "&".join(f"{name}={text(config[name])}" for name in FIELDS)


def options():
    """The fields as the page builds its controls from them."""
    fields = []
    for name, (kind, default, bounds, doc) in FIELDS.items():
        field = {"name": name, "kind": kind, "default": default, "doc": doc}
        if kind in ("choice", "features"):
            field["choices"] = list(bounds)
            if kind == "features":
                field["labels"] = {k: FEATURES[k][0] for k in bounds}
        elif kind == "units":
            field.update(max_layers=bounds[1], max_units=bounds[3])
        else:
            field.update(min=bounds[0], max=bounds[1])
        fields.append(field)
    return {"fields": fields, "grid": GRID, "unit_grid": UNIT_GRID, "extent": EXTENT,
            "defaults": {name: spec[1] for name, spec in FIELDS.items()}}


# ----------------------------------------------------------------------------- data and model

def make_points(dataset, n, noise, seed):
    """``n`` points of ``dataset`` scaled into about [-1, 1]^2, plus Gaussian noise of standard
    deviation ``noise``: ``x`` float32 (n, 2), ``y`` int64 (n,) of 0 and 1."""
    rng = np.random.default_rng([seed, 1])
    if dataset == "xor":                       # quadrants, kept 0.1 away from the axes
        v = rng.uniform(-1.0, 1.0, size=(n, 2))
        x = np.sign(v) * (0.1 + 0.9 * np.abs(v))
        _, gate = logic_gate("xor")            # outputs for (0,0), (0,1), (1,0), (1,1)
        y = gate[:, 0][2 * (x[:, 0] > 0) + (x[:, 1] > 0)]
    elif dataset == "spirals":                 # radius up to 3: scaled by 1/3
        x, y = spirals(n, noise=0.0, turns=1.5, random_state=rng)
        x = x / 3.0
    elif dataset == "moons":                   # [-1, 2] x [-0.5, 1]: centred, scaled by 1/1.5
        x, y = moons(n, random_state=rng)
        x = (x - np.array([0.5, 0.25])) / 1.5
    elif dataset == "circles":
        x, y = circles(n, factor=0.5, random_state=rng)
    else:
        x, y = blobs(n, centers=[[-0.5, -0.5], [0.5, 0.5]], cluster_std=0.2, random_state=rng)
    x = np.asarray(x, dtype=np.float64) + rng.normal(0.0, noise, size=(n, 2))
    return x.astype(np.float32), np.asarray(y, dtype=np.int64)


def build_model(config):
    """The ``Sequential`` the configuration describes, compiled, its weights drawn from the seed."""
    seed, layers = config["seed"], []
    penalty = L2(config["l2"]) if config["l2"] > 0 else None
    for i, units in enumerate(config["hidden"]):
        layers.append(Dense(units, activation=config["activation"], kernel_regularizer=penalty,
                            kernel_initializer=GlorotUniform(seed=seed + i), name=f"hidden{i + 1}"))
    layers.append(Dense(1, activation="sigmoid", kernel_regularizer=penalty,
                        kernel_initializer=GlorotUniform(seed=seed + len(layers)), name="output"))
    model = Sequential(layers)
    lr = config["learning_rate"]
    optimizer = {"adam": lambda: Adam(lr), "sgd": lambda: SGD(lr), "momentum": lambda: SGD(lr, momentum=0.9),
                 "rmsprop": lambda: RMSprop(lr), "adagrad": lambda: Adagrad(lr)}[config["optimizer"]]()
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    model.build((None, len(config["features"])))
    return model


def grid_points(size, extent=EXTENT):
    """The centres of a ``size`` x ``size`` grid over ``[-extent, extent]^2``, row-major, row 0 at
    the top (largest y): float32 (size * size, 2)."""
    centres = -extent + (np.arange(size) + 0.5) * (2 * extent / size)
    xs, ys = np.meshgrid(centres, centres[::-1])
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def input_features(x, names):
    """The columns ``names`` (see ``FEATURES``) computed from the points ``x`` (n, 2): float32
    (n, len(names))."""
    a, b = x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)
    return np.stack([FEATURES[name][1](a, b) for name in names], axis=1).astype(np.float32)


def forward_all(model, x):
    """Each layer's output for ``x`` (one batched pass, no graph): a list of arrays."""
    outputs, h = [], Tensor(np.asarray(x, dtype=np.float32))
    with no_grad():
        for layer in model.layers:
            h = layer(h)
            outputs.append(np.asarray(h.data))
    return outputs


def cross_entropy(p, y):
    """Mean binary cross-entropy of probabilities ``p`` (n,) against labels ``y`` (n,)."""
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def encode_units(h):
    """A hidden layer's outputs (points, units) as the frame sends them (see the module's notes)."""
    h = np.nan_to_num(h, nan=0.0, posinf=0.0, neginf=0.0)      # a diverged run: blank, not garbage
    scale = np.abs(h).max(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    q = np.rint(127.5 * (h / scale + 1.0)).clip(0, 255).astype(np.uint8)
    return {"units": int(h.shape[1]), "scale": np.round(scale, 5),
            "data": base64.b64encode(np.ascontiguousarray(q.T).tobytes()).decode("ascii")}
