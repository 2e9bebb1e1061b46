"""The studio's event bus: what the training thread publishes, what the browser receives.

Every event is a dict with at least ``id`` (1, 2, 3 ... in publication order), ``kind``
(``'batch'``, ``'epoch'``, ``'train_begin'`` ...) and ``time`` (seconds since the epoch). The bus
keeps the last ``history`` events, so a page that connects late (or reconnects after a network
hiccup, sending the last id it saw) gets what it missed before the live ones.

Publishing costs one lock and one append: the training thread never waits for a slow page.
Pages read with ``wait_after(last_id, timeout)``, which blocks until something newer arrives.
"""
import collections
import json
import math
import threading
import time

import numpy as np


def to_json_value(value):
    """``value`` as plain JSON data: NumPy scalars and arrays become numbers and lists, and a
    float that is not finite (NaN, inf) becomes ``None`` (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            clean = value.astype(np.float64)
            out = clean.tolist()
            return out if np.isfinite(clean).all() else to_json_value(out)
        return value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value):
    """JSON text of ``value`` (see ``to_json_value``); never writes NaN."""
    return json.dumps(to_json_value(value), allow_nan=False, separators=(",", ":"))


class EventBus:
    """A bounded, thread-safe log of events with blocking reads.

    * ``publish(kind, **fields)`` appends ``{'id', 'kind', 'time', **fields}`` and wakes readers;
    * ``wait_after(last_id, timeout)`` returns the events newer than ``last_id`` (waiting up to
      ``timeout`` seconds for one); if ``last_id`` is older than what is kept, it returns all
      that is kept;
    * ``close()`` wakes every reader for good (the server is stopping).
    """

    def __init__(self, history=5000):
        if int(history) < 1:
            raise ValueError(f"EventBus: history must be a positive number of events, got {history!r}")
        self._events = collections.deque(maxlen=int(history))
        self._next_id = 1
        self._changed = threading.Condition()
        self.closed = False

    @property
    def last_id(self):
        """The id of the newest event (0 before the first)."""
        return self._next_id - 1

    def publish(self, kind, **fields):
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"EventBus.publish: kind must be a non-empty string, got {kind!r}")
        with self._changed:
            event = {"id": self._next_id, "kind": kind, "time": time.time(), **to_json_value(fields)}
            self._next_id += 1
            self._events.append(event)
            self._changed.notify_all()
        return event

    def events_after(self, last_id):
        with self._changed:
            return [e for e in self._events if e["id"] > last_id]

    def wait_after(self, last_id, timeout=15.0):
        with self._changed:
            if self.last_id <= last_id and not self.closed:
                self._changed.wait(timeout)
            return [e for e in self._events if e["id"] > last_id]

    def close(self):
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def __repr__(self):
        return f"EventBus(events={len(self._events)}, last_id={self.last_id})"
