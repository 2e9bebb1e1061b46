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
the weights. Each grid is one batched forward pass, not a loop over points. Frames are made by
the training thread at most every ``FRAME_INTERVAL`` seconds (also between batches, so a long
epoch still shows), kept off the event bus (they are large); the bus only gets a small
``playground`` event when a session starts, pauses, resumes, finishes, stops or fails, so it
never crowds out the training events.

The configuration, the data and the model: ``playground_lessons.py``.
"""
import itertools
import threading
import time

import numpy as np

from .events import dumps
from .playground_lessons import (EXTENT, GRID, UNIT_GRID, build_model, cross_entropy, encode_units,
                                 forward_all, grid_points, input_features, make_points, options, parse_config,
                                 to_query)
from .server import Response, StudioError

FRAME_INTERVAL = 0.2          # seconds between two frames while training
MAX_CURVE = 2000              # points kept per loss curve (older ones thinned out)


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
            while self._frame_number <= after and self.state == "running":
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
                self.state, self.message = "paused", ""
            elif action in ("resume", "step"):
                if self.state == "finished":
                    self.limit = self.epoch + self.config["epochs"]
                self.state, self.message = "running", ""
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
