"""``CSVLogger``: one CSV row per epoch."""
import csv
import os

import numpy as np

from .base import Callback


def _cell(value):
    """A log value as a CSV cell: strings and scalars as they are, sequences as ``[a, b, ...]``."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, (np.ndarray, list, tuple)):
        return "[" + ", ".join(map(str, np.asarray(value).ravel().tolist())) + "]"
    return value


class CSVLogger(Callback):
    """Write the epoch logs to a CSV file, one row per epoch.

    The header is ``epoch`` followed by the first epoch's keys in sorted order (Keras's
    layout); a key missing from a later epoch is written as ``NA``, a new key is ignored.
    ``append=True`` appends to an existing file and writes no header if the file already
    has content; otherwise the file is overwritten at the start of training. Rows end in
    ``\\r\\n`` (the ``csv`` module's default dialect, as Keras writes them); the file is
    flushed after each epoch and closed at the end of training.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self._close()
        mode = "w"
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8", newline="") as f:
                    self.append_header = not f.readline()
        self.csv_file = open(self.filename, mode, encoding="utf-8", newline="")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None:          # used outside fit: open on the first epoch
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            # Keras also reserves the validation columns the model announces in metrics_names.
            for name in getattr(self.model, "metrics_names", None) or ():
                if isinstance(name, str) and name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None
