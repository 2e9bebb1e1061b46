"""The learning lab: each lesson of a deep-learning course as an experiment you run and a figure you read.

    scratchnn lab                              # list the experiments
    scratchnn lab optimizers --out figs/       # run one: PNG figures + report.txt + numbers.json
    scratchnn lab perceptron --quick           # a smaller, faster run (CI uses it)

In a notebook::

    from scratchnn import lab
    lab.run("vanishing-gradients")             # the report and the figures show below the cell
    result = lab.run("optimizers", quick=True)
    result.numbers["ranking"]                  # the numbers the report states

Every experiment trains with the real library (the same layers, optimizers and losses you
use), is seeded, and states its findings as numbers that the tests check. The code of each
one is short and meant to be read: ``scratchnn/lab/<name>.py``.
"""
import importlib
import pkgutil

from ._core import EXPERIMENTS, Experiment, Lab, Result, experiment, run

# Every public module of this package holds experiments; importing it registers them.
for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f".{_info.name}", __name__)


def names():
    """The experiment names, in the order of the course."""
    return list(EXPERIMENTS)


__all__ = ["run", "names", "experiment", "EXPERIMENTS", "Experiment", "Lab", "Result"]
