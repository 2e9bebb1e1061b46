"""Run folders in the studio: list them, read their history and settings, serve their files.

A run folder is what ``scratchnn train`` writes (``history.csv``, ``run.json``,
``model.scratchnn``, figures). Routes:

* ``GET /api/runs``: every run the studio was given: its name, settings (``run.json``), files,
  and whether it holds a model;
* ``GET /api/runs/history?run=NAME``: ``history.csv`` (or the TensorBoard event files of a
  ``TensorBoard`` callback's ``log_dir``: ``tensorboard_files.py``) as columns (``{"epoch": [...], "loss":
  [...], ...}``; cells that are not numbers become ``null``);
* ``GET /runs/NAME/FILE``: a file of the run, only from inside its folder (``safe_join``).

Only bounded reads: a ``run.json`` over 1 MiB or a ``history.csv`` over 16 MiB is refused rather
than read.
"""
import csv
import io
import json
import math
import mimetypes
import os

from .server import Response, StudioError, safe_join
from .sources import FileSource
from .tensorboard_files import has_event_files, history_from_tensorboard

MAX_RUN_JSON = 1 << 20
MAX_HISTORY = 16 << 20
MODEL_FILE = "model.scratchnn"


def _read_bounded(path, limit, what):
    size = os.path.getsize(path)
    if size > limit:
        raise StudioError(413, f"{what} is {size} bytes; the studio reads at most {limit}")
    with open(path, "rb") as f:
        return f.read(limit + 1)[:limit]


def read_history(path):
    """``history.csv`` as a dict of columns; numbers as floats, anything else as None."""
    text = _read_bounded(path, MAX_HISTORY, os.path.basename(path)).decode("utf-8", "replace")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {}
    header, columns = rows[0], {name: [] for name in rows[0]}
    for row in rows[1:]:
        for name, cell in zip(header, row + [""] * (len(header) - len(row))):
            try:
                value = float(cell)
                columns[name].append(value if math.isfinite(value) else None)
            except ValueError:
                columns[name].append(None)
    return columns


def run_history(folder):
    """The run's history as columns: its ``history.csv``, else the epoch scalars of the TensorBoard
    event files in it (``train/`` and ``validation/``, as the ``TensorBoard`` callback writes them),
    else None."""
    path = os.path.join(folder, "history.csv")
    if os.path.isfile(path):
        return read_history(path)
    if has_event_files(folder):
        try:
            return history_from_tensorboard(folder)
        except ImportError as error:
            raise StudioError(501, str(error)) from None
    return None


def run_info(name, folder):
    info = {"name": name, "files": [], "settings": None, "has_model": False}
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if os.path.isfile(path) and safe_join(folder, entry):
            info["files"].append({"name": entry, "bytes": os.path.getsize(path)})
    info["has_model"] = any(f["name"] == MODEL_FILE for f in info["files"])
    run_json = os.path.join(folder, "run.json")
    if os.path.isfile(run_json):
        try:
            info["settings"] = json.loads(_read_bounded(run_json, MAX_RUN_JSON, "run.json"))
        except (ValueError, StudioError) as error:
            info["settings"] = {"error": f"run.json unreadable: {error}"}
    return info


def register(studio):
    """Add the run routes, and a ``FileSource`` for each run that holds a model."""
    for name, folder in studio.runs.items():
        model_path = os.path.join(folder, MODEL_FILE)
        if os.path.isfile(model_path):
            studio.add_source(f"run:{name}", FileSource(model_path, description=f"run folder {name}"))

    def folder_of(name):
        if name not in studio.runs:
            raise StudioError(404, f"no run {name!r}; the studio has {sorted(studio.runs)}")
        return studio.runs[name]

    def list_runs(request):
        return {"runs": [run_info(n, f) for n, f in sorted(studio.runs.items())]}

    def history(request):
        columns = run_history(folder_of(request.arg("run")))
        if columns is None:
            raise StudioError(404, f"run {request.arg('run')!r} has no history.csv and no TensorBoard "
                                   "event files")
        return {"run": request.arg("run"), "columns": columns}

    def run_file(request):
        rest = request.path[len("/runs/"):]
        name, _, relative = rest.partition("/")
        target = safe_join(folder_of(name), relative) if relative else None
        if target is None or not os.path.isfile(target):
            raise StudioError(404, f"no file {relative!r} in run {name!r}")
        with open(target, "rb") as f:
            body = f.read()
        return Response(body, mimetypes.guess_type(target)[0] or "application/octet-stream")

    studio.route("GET", "/api/runs", list_runs)
    studio.route("GET", "/api/runs/history", history)
    studio.route("GET", "/runs/", run_file)
