"""Ctrl-C during ``fit``: finish the current batch, then stop cleanly.

An interrupt that lands in the middle of an update (say, between the optimizer's updates of
two layers) would leave the weights half-updated. So while ``fit`` runs, SIGINT only sets a
flag; the training loop checks it after each batch, stops, and returns the history of the
completed epochs, with the model usable. A second Ctrl-C interrupts at once, as usual.
Outside the main thread (where signal handlers cannot be installed) nothing changes.
"""
import signal
import threading


class GracefulInterrupt:
    """``with GracefulInterrupt() as stop: ... if stop.requested: break``."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:                     # second Ctrl-C: the user means it
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
            except (ValueError, OSError):      # e.g. an embedded interpreter without signals
                self._previous = None
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False
