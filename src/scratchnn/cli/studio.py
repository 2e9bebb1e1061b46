"""The studio from the command line: ``scratchnn train ... --studio`` and ``scratchnn studio``.

    scratchnn train --studio                     # train and watch live: the URL is printed and
                                                 # opened in a browser (--no-browser: not opened)
    scratchnn train --studio --studio-exit       # the same, but exit when the run is written
    scratchnn studio runs/a runs/b               # browse and compare finished run folders
    scratchnn studio runs                        # every run folder inside runs/
    scratchnn studio --port 8765 --host 0.0.0.0  # a fixed port; reachable from other computers

After ``train --studio`` has written its run folder, the studio keeps serving it (the page stays
readable, the run appears among the finished runs) until Ctrl-C; ``--studio-exit`` ends the
command as soon as the run folder is written instead (for scripts and tests). A Stop from the page
is a clean stop: ``fit`` ends after the current batch, then the test results, the model and every
file of the run folder are written as after the last epoch.

``--port`` (default: a free one), ``--host`` (default ``127.0.0.1``: only this computer; any other
value makes the studio warn that others can watch), ``--no-browser``.
"""
import argparse
import os
import sys
import warnings
import webbrowser

from ..studio import FileSource, Live, Studio
from ..studio.tensorboard_files import has_event_files
from .errors import CLIError


def _port(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number in 0..65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number in 0..65535, got {value}")
    return value


def add_server_options(parser):
    """``--port``, ``--host``, ``--no-browser`` (for ``train`` and ``studio``)."""
    parser.add_argument("--port", type=_port, default=0,
                        help="the studio's port (default: a free one, printed)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address the studio listens on (default: 127.0.0.1, this computer only)")
    parser.add_argument("--no-browser", action="store_true", help="print the studio's URL, open no browser")


def add_train_options(parser):
    """The studio's options of ``scratchnn train``."""
    g = parser.add_argument_group("studio (watch and steer the training in a browser)")
    g.add_argument("--studio", action="store_true",
                   help="serve the live Train page while training (the URL is printed); afterwards keep "
                        "serving the run folder until Ctrl-C")
    g.add_argument("--studio-exit", action="store_true",
                   help="with --studio: exit once the run folder is written instead of serving on")
    add_server_options(g)


def add_parser(sub):
    s = sub.add_parser("studio", help="browse and compare finished run folders in a browser",
                       description="Serve the studio for the given run folders (each a folder written by "
                                   "scratchnn train, or a folder of such folders; default: ./runs when "
                                   "it exists): their curves, settings and models, the playground and the "
                                   "other pages. Ctrl-C stops it.")
    s.add_argument("runs", nargs="*", metavar="RUN_DIR", help="run folders, or folders that hold run folders")
    add_server_options(s)
    return s


def is_run_folder(folder):
    """A folder ``scratchnn train`` wrote (``history.csv``, ``run.json``), or a ``TensorBoard``
    callback's ``log_dir`` (event files in it or in its ``train/``, ``validation/``)."""
    return (any(os.path.isfile(os.path.join(folder, f)) for f in ("history.csv", "run.json"))
            or has_event_files(folder))


def run_folders(paths):
    """The run folders named by ``paths``: each path is a run folder, or holds run folders."""
    found = []
    for path in paths:
        if not os.path.isdir(path):
            raise CLIError(f"{path}: no such folder; give run folders written by scratchnn train "
                           "(or a folder that holds them, such as runs)", usage=True)
        if is_run_folder(path):
            found.append(path)
            continue
        inside = sorted(os.path.join(path, e) for e in os.listdir(path))
        runs = [p for p in inside if os.path.isdir(p) and is_run_folder(p)]
        if not runs:
            raise CLIError(f"{path}: not a run folder (no history.csv, run.json or TensorBoard event "
                           "files), and no run folder inside it", usage=True)
        found.extend(runs)
    return found


def start(studio, args):
    """Start ``studio``, print its URL, open a browser unless ``--no-browser``; returns the URL."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            url = studio.start()
        except OSError as e:
            raise CLIError(f"the studio cannot listen on {args.host}:{args.port}: {e.strerror or e}",
                           usage=True) from None
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return url


class TrainingStudio:
    """The studio of ``scratchnn train --studio``: started before the data are loaded, a ``Live``
    callback for ``fit``, and ``finish(run_folder)`` once the run is written."""

    def __init__(self, args):
        self.args = args
        self.studio = Studio(host=args.host, port=args.port)
        url = start(self.studio, args) + "train"
        print(f"studio: {url}", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        self.callbacks = [Live(self.studio, print_fn=None, notebook=None)]

    def finish(self, run_folder):
        """Offer the written run folder; keep serving until Ctrl-C unless ``--studio-exit``."""
        name = self.studio.add_run(run_folder)
        model = os.path.join(run_folder, "model.scratchnn")
        if os.path.isfile(model):
            self.studio.add_source(f"run:{name}", FileSource(model, description=f"run folder {name}"))
        self.studio.bus.publish("runs", names=sorted(self.studio.runs))
        if self.args.studio_exit:
            self.studio.stop()
            return
        print(f"studio: still serving {self.studio.url} (the run {name}); Ctrl-C to stop", flush=True)
        self.studio.wait()

    def close(self):
        if self.studio.running:
            self.studio.stop()


def training_studio(args):
    """A ``TrainingStudio`` when ``--studio`` is given, else None (checks the studio options)."""
    if not getattr(args, "studio", False):
        for option, given in (("--studio-exit", args.studio_exit), ("--no-browser", args.no_browser),
                              ("--port", args.port), ("--host", args.host != "127.0.0.1")):
            if given:
                raise CLIError(f"{option} is an option of the studio: add --studio", usage=True)
        return None
    if getattr(args, "distributed", False):
        raise CLIError("--studio watches one process; it cannot be combined with --distributed", usage=True)
    return TrainingStudio(args)


def run(args):
    """``scratchnn studio [RUN_DIR ...]``."""
    paths = args.runs or (["runs"] if os.path.isdir("runs") else [])
    studio = Studio(runs=run_folders(paths), host=args.host, port=args.port)
    url = start(studio, args)
    runs = ", ".join(sorted(studio.runs)) or "none (train one with scratchnn train --studio)"
    print(f"studio: {url} (runs: {runs}); Ctrl-C to stop", flush=True)
    if not args.no_browser:
        webbrowser.open(url + ("compare" if studio.runs else ""))
    studio.wait()
    return 0
