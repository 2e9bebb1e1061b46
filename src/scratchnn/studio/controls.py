"""Steering a run from the page: pause, resume, one more epoch, stop, a new learning rate.

The page posts a control (``POST /api/control`` with ``{"action": ...}``, token required); the
server thread only records it here. The training thread applies it between batches
(``between_batches``) and at the end of each epoch (``after_epoch``), so the model is never
changed in the middle of a step:

* ``pause``: the training thread waits (still answering the pages' requests) until ``resume``,
  ``stop`` or ``epoch``;
* ``epoch`` (one more epoch): run until the end of the current epoch, then pause again;
* ``stop``: ``model.stop_training = True``: ``fit`` ends after this batch, as when
  ``EarlyStopping`` stops it, so the callbacks' ``on_train_end`` run and the run folder is written;
* ``learning_rate`` with ``value``: the optimizer's learning rate from the next step on (a schedule
  is replaced by the constant value; the event ``control`` says so).

Every applied control is published as a ``control`` event with the step it took effect at.
"""
import math
import threading

from .server import StudioError

ACTIONS = ("pause", "resume", "epoch", "stop", "learning_rate")


class Controls:
    """The controls of the run that is training now (see the module's notes)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending = []
        self.paused = False
        self.pause_after_epoch = False
        self.model = None

    def attach(self, model):
        self.model = model

    def detach(self):
        self.model = None
        self.paused = False
        self._wake.set()

    def learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        try:
            return float(optimizer.learning_rate) if optimizer is not None else None
        except (TypeError, ValueError):
            return None

    def request(self, action, value=None):
        """Record a control from the page (any thread); checked here, applied by the training thread."""
        if action not in ACTIONS:
            raise StudioError(400, f"unknown control {action!r}; expected one of {list(ACTIONS)}")
        if action == "learning_rate":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise StudioError(400, f"learning_rate: expected a number, got {value!r}") from None
            if not (math.isfinite(value) and value > 0):
                raise StudioError(400, f"learning_rate: expected a positive finite number, got {value!r}")
        if self.model is None:
            raise StudioError(409, f"no training is running: cannot {action}")
        with self._lock:
            self._pending.append((action, value))
        self._wake.set()
        return {"accepted": action, "value": value}

    def _take(self):
        with self._lock:
            pending, self._pending = self._pending, []
        return pending

    def _apply(self, model, bus, step):
        for action, value in self._take():
            if action == "pause":
                self.paused = True
            elif action == "resume":
                self.paused = self.pause_after_epoch = False
            elif action == "epoch":
                self.paused, self.pause_after_epoch = False, True
            elif action == "stop":
                model.stop_training = True
                self.paused = False
            elif action == "learning_rate":
                model.optimizer.learning_rate = value
            bus.publish("control", action=action, value=value, step=step, paused=self.paused)

    def between_batches(self, model, service, bus, step):
        """Apply what the page asked for; while paused, wait here (answering ``service``)."""
        self._apply(model, bus, step)
        while self.paused and not getattr(model, "stop_training", False):
            self._wake.wait(0.05)
            self._wake.clear()
            service()
            self._apply(model, bus, step)

    def after_epoch(self, model, service, bus, step):
        if self.pause_after_epoch:
            self.pause_after_epoch = False
            self.paused = True
            bus.publish("control", action="pause", value=None, step=step, paused=True)
        self.between_batches(model, service, bus, step)
