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
        self._installed = False

    def _handle(self, signum, frame):
        if self.requested:                     # second Ctrl-C: the user means it
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._installed = True
            except (ValueError, OSError):      # e.g. an embedded interpreter without signals
                self._previous = None
        return self

    def __exit__(self, *exc):
        if self._installed:
            # None: the previous handler was not installed from Python; Python's own is the best guess
            previous = self._previous if self._previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, previous)
            self._installed = False
        return False
