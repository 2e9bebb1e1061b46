"""Model sources: the models the studio's pages look inside (feature maps, drawn digits,
attention), and the one rule that keeps that safe — a model is only ever used by one thread at a
time.

* ``ModelSource(model)``: a model in memory; ``run(fn)`` calls ``fn(model)`` under the source's lock.
* ``LiveSource``: the model that is training right now. The server's threads must not run it
  while the training thread does, so ``run(fn)`` hands ``fn`` to the training thread, which calls
  ``service()`` between batches (the ``Live`` callback does, and while paused it keeps doing so),
  and waits for the answer. Before training starts and after it ends, ``run`` calls ``fn`` directly.
* ``FileSource(path)``: a saved model (``model.scratchnn`` of a run folder), loaded on first use.

``fn`` should look, not touch: run the model in inference mode (``model(x, training=False)`` or
``model.predict``), read weights, add forward hooks and remove them before returning.
"""
import os
import queue
import threading

from ..models import load_model
from .server import StudioError


class ModelSource:
    """A model the pages may look inside; ``description`` says where it comes from."""

    kind = "memory"

    def __init__(self, model, description=""):
        self._model = model
        self.description = description
        self._lock = threading.RLock()

    @property
    def model(self):
        return self._model

    def run(self, fn, timeout=60.0):
        """``fn(model)``'s result, with no other thread using the model meanwhile."""
        with self._lock:
            return fn(self.model)

    def info(self):
        """What a page shows about the model: its class, input shape and layers."""
        def describe(model):
            layers = []
            for layer in model.layers:
                shape = getattr(layer, "output_shape", None)
                layers.append({"name": layer.name, "class": type(layer).__name__,
                               "output_shape": list(shape) if isinstance(shape, tuple) else None,
                               "params": int(layer.count_params()) if layer.built else 0})
            shape = getattr(model, "input_shape", None)
            return {"kind": self.kind, "description": self.description, "class": type(model).__name__,
                    "name": model.name, "input_shape": list(shape) if isinstance(shape, tuple) else None,
                    "layers": layers}
        return self.run(describe)

    def close(self):
        pass


class LiveSource(ModelSource):
    """The model being trained: work from other threads runs on the training thread, between
    batches (see the module's notes)."""

    kind = "live"

    def __init__(self, model, description="training now"):
        super().__init__(model, description)
        self._jobs = queue.Queue()
        self.training = False
        self._closed = False

    def run(self, fn, timeout=60.0):
        if not self.training or threading.current_thread() is getattr(self, "_trainer", None):
            return super().run(fn)
        if self._closed:
            raise StudioError(503, "the studio is stopping")
        done = threading.Event()
        box = {}
        self._jobs.put((fn, box, done))
        if not done.wait(timeout):
            raise StudioError(504, f"the training thread did not answer within {timeout:g} s "
                                   "(a long batch?); try again")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def begin(self):
        """Training starts on this thread: jobs now wait for ``service()``."""
        self._trainer = threading.current_thread()
        self.training = True

    def end(self):
        """Training ended: answer what is waiting, then run jobs directly."""
        self.service()
        self.training = False
        self.service()

    def service(self, limit=8):
        """Run up to ``limit`` waiting jobs (called by the training thread between batches)."""
        if self._jobs.empty():           # the usual case: no exception raised and caught per batch
            return
        for _ in range(limit):
            try:
                fn, box, done = self._jobs.get_nowait()
            except queue.Empty:
                return
            try:
                with self._lock:
                    box["value"] = fn(self._model)
            except Exception as error:   # reported to the page that asked, not to the training loop
                box["error"] = error
            finally:
                done.set()

    def close(self):
        self._closed = True
        self.service(limit=1_000_000)


class FileSource(ModelSource):
    """A model saved in ``path`` (a ``.scratchnn`` file), loaded when first used."""

    kind = "file"

    def __init__(self, path, description=""):
        super().__init__(None, description or os.path.basename(os.path.dirname(os.path.abspath(path))))
        self.path = path

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                try:
                    self._model = load_model(self.path)
                except (OSError, ValueError) as error:
                    raise StudioError(422, f"cannot load the model {self.path!r}: {error}") from None
            return self._model
