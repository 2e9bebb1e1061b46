"""The Playground page: a small network you configure learns a 2-D teaching set, live.

In the spirit of TensorFlow Playground, but trained by scratchnn itself, on the server: a real
``Sequential`` of ``Dense`` layers (each hidden layer with the chosen activation and an ``L2``
penalty on its kernel, then one sigmoid unit), the binary cross-entropy loss and the chosen
optimizer, on points drawn by ``scratchnn.datasets`` (``spirals``, ``moons``, ``circles``,
``blobs`` as two Gaussians, and XOR: the quadrants labelled by ``logic_gate("xor")``).

The inputs are ``x1`` and ``x2`` and, if chosen, features made from them (``x1sq`` = x1^2,
``x2sq``, ``x1x2``, ``sinx1``, ``sinx2``): with ``x1sq`` and ``x2sq`` a network without hidden
layers separates the circles, a lesson of its own.

The configuration (every field, its default and its bounds in ``FIELDS``)::

    dataset=circles & points=400 & noise=0.1 & test_fraction=0.3 & features=x1,x2 & hidden=4,2
    & activation=tanh & optimizer=adam & learning_rate=0.03 & l2=0.0 & batch_size=10 & epochs=1000
    & seed=0

is exactly the page's URL query (``to_query``), so a teacher shares a lesson as a link; the
page sends the query's strings and the server reads them (``parse_config``), so the format is
defined here only.

Routes (POSTs need the token):

* ``GET /api/playground/options``: the fields, their defaults, choices and bounds;
* ``POST /api/playground/start`` ``{"config": {...}, "paused": false}``: checks the configuration
  (a 400 error names the field, what it expects and what it got), stops the session running now
  (one per studio) and starts a new one in a background thread; returns the session id, the
  normalized configuration, its query and the points;
* ``POST /api/playground/control`` ``{"action": "pause" | "resume" | "step" | "stop"}``
  (``step``: one more epoch, then pause);
* ``GET /api/playground/state``: the session, its configuration and its points;
* ``GET /api/playground/frame?after=N&wait=S``: the newest frame of the current session,
  waiting up to ``S`` seconds (at most 5) for one newer than frame ``N`` (a long poll: the page
  sees a new frame within about ``FRAME_INTERVAL`` seconds of it being drawn).

A frame: the epoch, the training and test loss (binary cross-entropy, without the L2 penalty)
and accuracy, the loss curves, the decision boundary (the predicted probability of class 1 on
a ``GRID`` x ``GRID`` grid over ``[-EXTENT, EXTENT]^2``, row 0 at the top), each input's and
each hidden unit's output on a ``UNIT_GRID`` x ``UNIT_GRID`` grid (scaled by its largest
magnitude to [-1, 1] and sent as base64 bytes: ``byte = round(127.5 (v / scale + 1))``) and
the weights. Each grid is one batched forward pass, not a loop over points. Frames are made by the training thread
at most every ``FRAME_INTERVAL`` seconds (also between batches, so a long epoch still shows),
kept off the event bus (they are large); the bus only gets a small ``playground`` event when a
session starts, pauses, resumes, finishes, stops or fails, so it never crowds out the training
events.
"""
import base64
import itertools
import threading
import time

import numpy as np

from ..autograd import Tensor, no_grad
from ..datasets import blobs, circles, logic_gate, moons, spirals
from ..initializers import GlorotUniform
from ..layers import Dense
from ..models import Sequential
from ..optimizers import SGD, Adagrad, Adam, RMSprop
from ..regularizers import L2
from .events import dumps
from .server import Response, StudioError

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
FRAME_INTERVAL = 0.2          # seconds between two frames while training
MAX_CURVE = 2000              # points kept per loss curve (older ones thinned out)


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


# ----------------------------------------------------------------------------- one session

class PlaygroundSession:
    """One configuration being trained in a background thread (see the module's notes).

    ``state``: ``'paused'``, ``'running'``, ``'finished'`` (reached ``epochs``; ``resume`` trains
    ``epochs`` more), ``'stopped'`` or ``'failed'`` (an error, or a loss that is not finite).
    """

    def __init__(self, sid, config, bus, paused=False):
        self.id, self.config, self.bus = sid, config, bus
        x, y = make_points(config["dataset"], config["points"], config["noise"], config["seed"])
        n_test = int(round(config["test_fraction"] * len(y)))
        self.x_train, self.y_train = x[n_test:], y[n_test:]
        self.x_test, self.y_test = x[:n_test], y[:n_test]
        self.model = build_model(config)
        self.state = "paused" if paused else "running"
        self.message = ""
        self.epoch, self.batches, self.limit = 0, 0, config["epochs"]
        self._step_until, self._ended = None, False
        self.curve = {"epoch": [], "train": [], "test": []}
        self._order = np.random.default_rng([config["seed"], 2])
        names = config["features"]
        self.f_train, self.f_test = input_features(self.x_train, names), input_features(self.x_test, names)
        self._grid = input_features(grid_points(GRID), names)
        self._unit_grid = input_features(grid_points(UNIT_GRID), names)
        self._inputs = encode_units(self._unit_grid)
        self._lock = threading.Condition()
        self._requests = []
        self._frame_number, self._frame_bytes, self._last_frame = 0, b"", 0.0
        self.measure()
        self._make_frame()
        self._thread = threading.Thread(target=self._run, name=f"playground-{sid}", daemon=True)

    # -- what other threads call
    def start(self):
        self._publish()
        self._thread.start()

    def request(self, action):
        if action not in ("pause", "resume", "step", "stop"):
            raise StudioError(400, f"playground control: expected one of ['pause', 'resume', 'step', "
                                   f"'stop'], got {action!r}")
        with self._lock:
            if self._ended:
                raise StudioError(409, f"playground session {self.id} is stopped: start a new one")
            self._requests.append(action)
            self._lock.notify_all()
        return {"session": self.id, "accepted": action}

    def stop(self, join=True):
        with self._lock:
            self._requests.append("stop")
            self._lock.notify_all()
        if join and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(10)

    def frame(self, after=-1, wait=0.0):
        """(number, JSON bytes) of the newest frame, waiting up to ``wait`` s for one after ``after``."""
        end = time.monotonic() + wait
        with self._lock:
            while self._frame_number <= after and self.state in ("running",):
                left = end - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            return self._frame_number, self._frame_bytes

    @property
    def alive(self):
        """Whether the training thread still runs."""
        return self._thread.is_alive()

    def points(self):
        return {"train": {"x": np.round(self.x_train, 4), "y": self.y_train},
                "test": {"x": np.round(self.x_test, 4), "y": self.y_test}}

    def describe(self):
        return {"session": self.id, "state": self.state, "message": self.message, "epoch": self.epoch,
                "config": self.config, "query": to_query(self.config), "points": self.points(),
                "frame": self._frame_number}

    # -- the training thread
    def _publish(self):
        last = self.curve
        self.bus.publish("playground", session=self.id, state=self.state, epoch=self.epoch,
                         message=self.message, train_loss=last["train"][-1], test_loss=last["test"][-1],
                         frame=self._frame_number)

    def _apply_requests(self):
        """Apply the pages' controls; True while the thread should keep going."""
        with self._lock:
            requests, self._requests = self._requests, []
        before = self.state
        for action in requests:
            if action == "stop":
                self._ended = True
                self.state = "failed" if self.state == "failed" else "stopped"
            elif self.state in ("stopped", "failed"):
                continue
            elif action == "pause":
                self.state = "paused"
            elif action in ("resume", "step"):
                if self.state == "finished":
                    self.limit = self.epoch + self.config["epochs"]
                self.state = "running"
                self._step_until = self.epoch + 1 if action == "step" else None
        if self.state != before:
            self._make_frame()
            self._publish()
        return not self._ended

    def _run(self):
        try:
            with np.errstate(over="ignore", invalid="ignore"):   # divergence: see _train_epoch
                self._loop()
        except Exception as error:   # shown on the page; the server keeps serving
            self.state, self.message = "failed", f"{type(error).__name__}: {error}"
            self._make_frame()
            self._publish()

    def _loop(self):
        while self._apply_requests() and not self.bus.closed:
            if self.state != "running":
                with self._lock:
                    if not self._requests:
                        self._lock.wait(0.5)
                continue
            self._train_epoch()

    def _train_epoch(self):
        n, size = len(self.y_train), self.config["batch_size"]
        order = self._order.permutation(n)
        targets = self.y_train.astype(np.float32)[:, None]
        for start in range(0, n, size):
            batch = order[start:start + size]
            self.model.train_on_batch(self.f_train[batch], targets[batch])
            self.batches += 1
            if time.monotonic() - self._last_frame >= FRAME_INTERVAL:
                with self._lock:
                    pending = bool(self._requests)
                if pending:      # a pause or stop takes effect between batches
                    return
                self._make_frame()
        self.epoch += 1
        self.measure()
        if not np.isfinite(self.curve["train"][-1]):
            self.state = "failed"
            self.message = "the loss is not a finite number any more: lower the learning rate"
        elif self.epoch >= self.limit:
            self.state, self.message = "finished", f"finished {self.epoch} epochs: resume trains more"
        elif self._step_until is not None and self.epoch >= self._step_until:
            self.state, self._step_until = "paused", None
        else:
            if time.monotonic() - self._last_frame >= FRAME_INTERVAL:
                self._make_frame()
            return
        self._make_frame()
        self._publish()

    def _losses(self):
        def measure(x, y):
            if len(y) == 0:
                return None, None
            p = forward_all(self.model, x)[-1][:, 0]
            if not np.isfinite(p).all():
                return float("nan"), None
            return cross_entropy(p, y), float(np.mean((p > 0.5) == (y == 1)))
        return measure(self.f_train, self.y_train) + measure(self.f_test, self.y_test)

    def measure(self):
        """Measure the losses and accuracies on all points now; add them to the loss curve."""
        train, train_acc, test, test_acc = self._losses()
        self.accuracy = {"train": train_acc, "test": test_acc}
        for key, value in (("epoch", self.epoch), ("train", train), ("test", test)):
            self.curve[key].append(value)
        if len(self.curve["epoch"]) > MAX_CURVE:      # thin out: keep every other old point
            for key in self.curve:
                self.curve[key] = self.curve[key][:-MAX_CURVE // 2:2] + self.curve[key][-MAX_CURVE // 2:]

    def _make_frame(self):
        outputs = forward_all(self.model, self._grid)
        units = forward_all(self.model, self._unit_grid)[:-1]
        frame = {
            "session": self.id, "state": self.state, "message": self.message, "epoch": self.epoch,
            "batches": self.batches,
            "train_loss": self.curve["train"][-1], "test_loss": self.curve["test"][-1],
            "train_accuracy": self.accuracy["train"], "test_accuracy": self.accuracy["test"],
            "curve": self.curve,
            "grid": {"size": GRID, "extent": EXTENT, "output": np.round(outputs[-1][:, 0], 4)},
            "units": {"size": UNIT_GRID, "inputs": self._inputs,
                      "layers": [encode_units(h) for h in units]},
            "weights": [{"kernel": np.round(kernel, 4), "bias": np.round(bias, 4)}
                        for kernel, bias in (layer.get_weights() for layer in self.model.layers)],
        }
        with self._lock:
            self._frame_number += 1
            frame["frame"] = self._frame_number
            self._frame_bytes = dumps(frame).encode("utf-8")
            self._last_frame = time.monotonic()
            self._lock.notify_all()


# ----------------------------------------------------------------------------- routes

class Playground:
    """The studio's playground: at most one session at a time (a new start stops the old one)."""

    def __init__(self, bus):
        self.bus = bus
        self.session = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, values, paused=False):
        config = parse_config(values)
        with self._lock:
            old = self.session
            if old is not None:
                old.stop()
            session = PlaygroundSession(str(next(self._ids)), config, self.bus, paused=paused)
            self.session = session
            session.start()
            return session.describe()

    def current(self, sid=None):
        session = self.session
        if session is None:
            raise StudioError(404, "no playground session: start one (POST /api/playground/start)")
        if sid not in (None, "", session.id):
            raise StudioError(409, f"playground session {sid!r} was replaced by session {session.id!r}")
        return session


def register(studio):
    studio.add_page("/playground", "Playground", "playground.html",
                    "a network you configure learns a 2-D data set")
    playground = studio.state.setdefault("playground", Playground(studio.bus))

    def start(request):
        body = request.json()
        config = body.get("config", {})
        paused = body.get("paused", False)
        if not isinstance(paused, bool):
            raise StudioError(400, f"playground start: 'paused' must be true or false, got {paused!r}")
        return playground.start(config, paused=paused)

    def control(request):
        body = request.json()
        return playground.current(body.get("session")).request(body.get("action"))

    def state(request):
        if playground.session is None:
            return {"session": None, "defaults": options()["defaults"]}
        return playground.current().describe()

    def frame(request):
        session = playground.current()      # the page compares the frame's session with its own
        after = request.arg("after", int, -1)
        wait = request.arg("wait", float, 0.0)
        if not 0.0 <= wait <= 60.0:      # also refuses NaN
            raise StudioError(400, f"query argument 'wait': expected seconds in [0, 60], got {wait!r}")
        wait = min(wait, 5.0)
        _, body = session.frame(after, wait)
        return Response(body, "application/json")

    studio.route("GET", "/api/playground/options", lambda request: options())
    studio.route("POST", "/api/playground/start", start)
    studio.route("POST", "/api/playground/control", control)
    studio.route("GET", "/api/playground/state", state)
    studio.route("GET", "/api/playground/frame", frame)
