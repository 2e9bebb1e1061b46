"""The machinery of the learning lab: how an experiment is registered, run, reported and saved.

An experiment is a function ``fn(lab)`` registered with ``@experiment(name, title, summary)``.
It trains and measures with the real library, and tells the ``Lab`` object ``lab`` what it found:

    @experiment("learning-rate", "Learning rate: too small, right, too large",
                "gradient descent on a parabola and on MNIST with three learning rates", order=5)
    def learning_rate(lab):
        ...
        lab.say("lr=1.1 diverges: |x| grew from 1 to 2.7e+07 in 50 steps")   # a report line
        lab.number("diverged_lr", 1.1)                                     # a claim tests can assert
        lab.figure("parabola", fig)                                        # saved as parabola.png

``run(name)`` seeds every generator, calls the function and returns a ``Result``: the report
text, the numbers (``result.numbers``, also written to ``numbers.json``) and the figures. In
Jupyter a ``Result`` shows its report and figures below the cell.
"""
import json
import os
import time
from dataclasses import dataclass, field

import numpy as np

from ..plot.figure import save_figure
from ..saving import atomic_write
from ..utils import set_random_seed

#: name -> ``Experiment``, in the order of the course (``order``, then name).
EXPERIMENTS = {}


@dataclass
class Experiment:
    name: str
    title: str
    summary: str
    fn: object
    order: float = 100


def experiment(name, title, summary, order=100):
    """Register ``fn(lab)`` as the experiment ``name`` (``scratchnn lab NAME``); ``order`` is its
    place in the course (the listing is sorted by it)."""
    def register(fn):
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} is registered twice")
        EXPERIMENTS[name] = Experiment(name, title, summary, fn, order)
        ordered = sorted(EXPERIMENTS.values(), key=lambda e: (e.order, e.name))
        EXPERIMENTS.clear()
        EXPERIMENTS.update((e.name, e) for e in ordered)
        fn.experiment_name = name
        return fn
    return register


class Lab:
    """What an experiment function receives: its settings and the notebook it writes into.

    * ``quick``: True for a CI-sized run (smaller data, fewer epochs; the same claims must hold);
    * ``seed``: the seed every generator was set to before the experiment started;
    * ``rng``: a NumPy generator seeded with ``seed``, for the experiment's own draws;
    * ``say(text)``: append a line to the report (printed as it happens when ``verbose``);
    * ``number(key, value)``: record a figure the report states (JSON-able), returns ``value``;
    * ``figure(stem, fig)``: keep a figure (saved as ``<stem>.png``), returns ``fig``.
    """

    def __init__(self, quick=False, seed=0, verbose=True):
        self.quick = bool(quick)
        self.seed = seed
        self.verbose = verbose
        self.rng = np.random.default_rng(seed)
        self.lines, self.numbers, self.figures = [], {}, {}

    def say(self, text=""):
        self.lines.append(str(text))
        if self.verbose:
            print(text, flush=True)

    def number(self, key, value):
        self.numbers[key] = _plain(value)
        return value

    def figure(self, stem, fig):
        if stem in self.figures:
            raise ValueError(f"figure {stem!r} recorded twice")
        self.figures[stem] = fig
        return fig

    def pick(self, full, quick):
        """``quick`` in a quick run, ``full`` otherwise (sizes, epochs)."""
        return quick if self.quick else full


def _plain(value):
    """A JSON-able copy of ``value`` (NumPy scalars and arrays become Python numbers and lists)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _strict_json(value):
    """``value`` with NaN and infinities as the strings "NaN", "Infinity", "-Infinity" (JSON has no
    such numbers; Python's json would write them as bare NaN, which other readers refuse)."""
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strict_json(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return "NaN" if np.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


@dataclass
class Result:
    """What an experiment found: ``report`` (text), ``numbers`` (dict) and ``figures`` (stem -> Figure)."""
    name: str
    title: str
    lines: list
    numbers: dict
    figures: dict
    seconds: float
    quick: bool
    seed: int
    files: list = field(default_factory=list)

    @property
    def report(self):
        head = f"{self.title}\n{'=' * len(self.title)}\n"
        mode = "quick run" if self.quick else "full run"
        tail = f"\n\n({mode}, seed {self.seed}, {self.seconds:.1f} s)\n"
        return head + "\n".join(self.lines) + tail

    def save(self, out):
        """Write ``report.txt``, ``numbers.json`` and one PNG per figure into the folder ``out``."""
        os.makedirs(out, exist_ok=True)
        files = []
        for stem, fig in self.figures.items():
            path = os.path.join(out, f"{stem}.png")
            save_figure(fig, path)
            files.append(path)
        for fname, text in (("report.txt", self.report),
                            ("numbers.json", json.dumps(_strict_json(self.numbers), indent=2) + "\n")):
            path = os.path.join(out, fname)
            with atomic_write(path, "w") as f:
                f.write(text)
            files.append(path)
        self.files = files
        return files

    def __repr__(self):
        return (f"<lab.Result {self.name!r}: {len(self.lines)} report lines, {len(self.numbers)} numbers, "
                f"figures {list(self.figures)}>")

    def _ipython_display_(self):            # Jupyter: the report, then every figure
        from IPython.display import display, Markdown      # optional: only in a notebook
        display(Markdown(f"```\n{self.report}```"))
        for fig in self.figures.values():
            display(fig)


def run(name, out=None, quick=False, seed=0, verbose=True):
    """Run the experiment ``name`` and return its ``Result``; with ``out``, also save it there.

    Every generator (scratchnn's, NumPy's global one) is seeded with ``seed`` first, so a run
    is repeatable. ``quick=True`` is a CI-sized run that must show the same things.
    """
    key = str(name).replace("_", "-").lower()
    if key not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r}; choose one of: {', '.join(EXPERIMENTS)}")
    exp = EXPERIMENTS[key]
    set_random_seed(seed)
    np.random.seed(seed)
    lab = Lab(quick=quick, seed=seed, verbose=verbose)
    start = time.perf_counter()
    exp.fn(lab)
    result = Result(exp.name, exp.title, lab.lines, lab.numbers, lab.figures,
                    time.perf_counter() - start, lab.quick, seed)
    if out is not None:
        result.save(out)
    return result
