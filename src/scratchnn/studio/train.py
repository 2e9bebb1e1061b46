"""The Train page: the curves of the run that is training now, pushed as they happen, what happens
inside its layers, the ``Diagnostics`` hints with a one-click fix, and its controls (pause, resume,
one more epoch, stop, learning rate).

The events it shows (published by ``Live``, ``live.py``):

* ``train_begin`` (``epochs``, ``steps``, ``learning_rate``), ``train_end`` (``stopped``);
* ``batch``: ``step``, ``epoch``, ``batch``, ``loss`` and every other batch log (``accuracy`` ...);
* ``epoch``: ``step``, ``epoch`` and the epoch logs, training and validation (``val_loss`` ...);
* ``stats`` (every ``stats_every`` batches): ``step``, ``learning_rate``, ``layers`` (one row per
  layer: ``gradient_norm`` ``||dL/dW||``, ``dead_fraction`` (share of ReLU units that output 0 for
  every probe sample), ``update_ratio`` ``||dW|| / ||W||``, ``weight_std`` ...), ``histograms`` (each
  layer's weights now) and ``initial`` (the same at the first record);
* ``hint``: ``hint`` (a ``Diagnostics`` kind), ``epoch``, ``message``, and ``fix`` (``None`` or
  ``{"action", "value", "label"}``: the control that applies it, see ``hint_fix``);
* ``control``: a control the training thread applied (``action``, ``value``, ``paused``).

Routes: ``GET /api/train/history``: everything the page needs to draw the run so far (``TrainLog``
keeps it whole, however long the run and however few events the bus still holds), with
``last_event``: the page then follows ``/api/events?since=last_event``.
"""
import threading

#: Event fields that are not logs (not drawn as curves).
META = ("id", "kind", "time", "step", "epoch", "batch")

#: How each ``Diagnostics`` hint is fixed by a control: the learning rate divided (or multiplied)
#: by 10, or a stop. Vanishing gradients need another architecture: no control fixes them.
FIXES = {"learning_rate_too_high": 0.1, "dead_relu": 0.1, "exploding_weights": 0.1,
         "underfitting": 10.0, "overfitting": "stop"}


def hint_fix(kind, learning_rate):
    """The one-click fix of a hint of ``kind`` when the learning rate is ``learning_rate`` (None
    when it is a schedule): ``{"action", "value", "label"}``, or None when no control fixes it."""
    fix = FIXES.get(kind)
    if fix == "stop":
        return {"action": "stop", "value": None,
                "label": "stop now (the run folder keeps the model as it is)"}
    if fix is None or learning_rate is None:
        return None
    value = float(f"{learning_rate * fix:.3g}")
    return {"action": "learning_rate", "value": value,
            "label": f"learning rate {learning_rate:.3g} -> {value:g}"}


class TrainLog:
    """The Train page's record of the run, kept whole for pages that open late (thread-safe).

    ``add(event)`` files each event the ``Live`` callback publishes; ``snapshot()`` is what
    ``/api/train/history`` returns. Batch events are kept as columns (``{"step": [...], "loss":
    [...], ...}``, ``None`` where a batch lacks a log); stats rows without their histograms, plus
    the newest and the initial histograms.

    Memory stays bounded on long runs: when more than ``max_points`` batch points (or stats rows)
    are kept, every second one is dropped, so the curve keeps its shape at half the resolution."""

    def __init__(self, max_points=20000):
        if int(max_points) < 2:
            raise ValueError(f"TrainLog: max_points must be at least 2, got {max_points!r}")
        self.max_points = int(max_points)
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        self.begin = self.end = None
        self.batches = {"step": [], "epoch": []}
        self.epochs, self.stats, self.hints, self.controls = [], [], [], []
        self.histograms, self.initial = {}, {}
        self.last_id = 0

    def add(self, event):
        with self._lock:
            kind = event["kind"]
            if kind == "train_begin":
                self.clear()
                self.begin = event
            elif kind == "train_end":
                self.end = event
            elif kind == "batch":
                self._add_batch(event)
            elif kind == "epoch":
                self.epochs.append(event)
            elif kind == "stats":
                self.stats.append({k: v for k, v in event.items() if k not in ("histograms", "initial")})
                if len(self.stats) > self.max_points:
                    self.stats[:] = self.stats[::2]
                self.histograms = event.get("histograms", {})
                self.initial = event.get("initial", {})
            elif kind == "hint":
                self.hints.append(event)
            elif kind == "control":
                self.controls.append(event)
            self.last_id = max(self.last_id, event["id"])

    def _add_batch(self, event):
        columns = self.batches
        n = len(columns["step"])
        for key, value in event.items():
            if key in META and key not in ("step", "epoch"):
                continue
            if key not in columns:
                columns[key] = [None] * n
            columns[key].append(value)
        for column in columns.values():
            if len(column) == n:
                column.append(None)
        if n + 1 > self.max_points:
            for column in columns.values():
                column[:] = column[::2]

    def snapshot(self):
        with self._lock:
            return {"begin": self.begin, "end": self.end,
                    "batches": {k: list(v) for k, v in self.batches.items()},
                    "epochs": list(self.epochs), "stats": list(self.stats), "hints": list(self.hints),
                    "controls": list(self.controls), "histograms": self.histograms,
                    "initial": self.initial, "last_event": self.last_id}


class LoggedBus:
    """The studio's bus, with every event also filed in the ``TrainLog`` (what ``Live`` and the
    controls publish through)."""

    def __init__(self, bus, log):
        self.bus, self.log = bus, log

    def publish(self, kind, **fields):
        event = self.bus.publish(kind, **fields)
        self.log.add(event)
        return event


def train_log(studio):
    """The studio's ``TrainLog`` (made on first use)."""
    return studio.state.setdefault("train_log", TrainLog())


def register(studio):
    studio.add_page("/train", "Train", "train.html",
                    "loss and metrics of the run training now, inside its layers, hints, and its controls")
    log = train_log(studio)

    def history(request):
        controls = studio.state.get("controls")
        state = {"training": getattr(controls, "model", None) is not None,
                 "paused": bool(getattr(controls, "paused", False)),
                 "learning_rate": controls.learning_rate() if controls is not None else None}
        return {**log.snapshot(), "state": state}

    studio.route("GET", "/api/train/history", history)
