"""The learning lab's machinery (``scratchnn/lab/_core.py``): registration order, seeding, the
report, saving; and, for the real experiments, that they are registered in course order, that
every figure has a title, labelled axes and a legend wherever it draws several series, and the
files they write.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from scratchnn import lab
from scratchnn.lab import _core

from tests.lab.helpers import plot_axes


def test_registry_is_sorted_by_order_and_rejects_duplicates(toy_experiment):
    orders = [e.order for e in lab.EXPERIMENTS.values()]
    assert orders == sorted(orders)
    assert lab.names()[0] == "toy-test"
    with pytest.raises(ValueError, match="registered twice"):
        lab.experiment("toy-test", "again", "again")(lambda lab_: None)


def test_run_is_repeatable_and_seeded(toy_experiment):
    a = lab.run("toy-test", seed=3, verbose=False)
    b = lab.run("toy_test", seed=3, verbose=False)          # '_' is read as '-'
    c = lab.run("toy-test", seed=4, verbose=False)
    assert a.numbers == b.numbers
    assert a.numbers["draw"] != c.numbers["draw"]
    assert a.numbers["global_draw"] != c.numbers["global_draw"]
    assert a.numbers["kernel"] != c.numbers["kernel"]        # the library's initializers are seeded too
    assert a.numbers["size"] == 100 and lab.run("toy-test", quick=True, verbose=False).numbers["size"] == 10
    assert isinstance(a.numbers["kernel"], list)             # JSON-able


def test_report_and_saved_files(toy_experiment, tmp_path, capsys):
    result = lab.run("toy-test", out=tmp_path / "toy", seed=1)
    printed = capsys.readouterr().out
    assert "the draw was" in printed                           # verbose prints the report lines as they come
    assert result.report.startswith("A toy experiment\n================")
    assert "seed 1" in result.report and "full run" in result.report
    files = sorted(p.name for p in (tmp_path / "toy").iterdir())
    assert files == ["curve.png", "numbers.json", "report.txt"]
    assert json.loads((tmp_path / "toy" / "numbers.json").read_text()) == result.numbers
    assert (tmp_path / "toy" / "report.txt").read_text() == result.report
    assert (tmp_path / "toy" / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_experiment_names_the_choices():
    with pytest.raises(KeyError, match="unknown experiment 'nope'; choose one of"):
        lab.run("nope")


def test_every_registered_experiment_has_a_title_summary_and_module_docstring():
    import sys
    for exp in lab.EXPERIMENTS.values():
        assert exp.title and exp.summary, exp.name
        assert (sys.modules[exp.fn.__module__].__doc__ or "").strip(), exp.fn.__module__


def test_numbers_json_is_strict_json(tmp_path):
    @lab.experiment("nan-test", "NaN", "writes a NaN", order=-2)
    def nan_experiment(lab_):
        lab_.number("diverged", float("nan"))
        lab_.number("curve", [1.0, float("inf"), -float("inf")])
    try:
        result = lab.run("nan-test", out=tmp_path, verbose=False)
    finally:
        del _core.EXPERIMENTS["nan-test"]
    text = (tmp_path / "numbers.json").read_text()
    assert "NaN" in text
    strict = json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in numbers.json"))
    assert strict == {"diverged": "NaN", "curve": [1.0, "Infinity", "-Infinity"]}
    assert np.isnan(result.numbers["diverged"])          # the Python dict keeps the floats


# ------------------------------------------------------------------ the course's experiments
NAMES = ("perceptron", "activations", "optimizers", "learning-rate", "loss-functions")


def _labelled(ax):
    """Artists of ``ax`` that carry a legend label."""
    artists = ax.lines + ax.collections + ax.patches
    return [a for a in artists if a.get_label() and not a.get_label().startswith("_")]


def assert_readable(fig, stem):
    """A figure title; on every plot a title and both axis labels; wherever several labelled
    series are drawn, each one is named in a legend of the figure (panels of a row may share one)."""
    assert fig.get_suptitle().strip(), f"{stem}: no figure title"
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    named = {text.get_text() for legend in legends for text in legend.get_texts()}
    for ax in plot_axes(fig):
        what = f"{stem} / {ax.get_title()!r}"
        assert ax.get_title().strip(), f"{stem}: a panel without a title"
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), f"{what}: an axis without a label"
        series = {artist.get_label() for artist in _labelled(ax)}
        if len(series) > 1:
            assert series <= named, f"{what}: series {sorted(series - named)} are in no legend"


@pytest.mark.parametrize("name", NAMES)
def test_registered_and_figures_readable(results, name):
    assert name in lab.names()
    result, _ = results(name)
    assert result.figures and result.lines
    for stem, fig in result.figures.items():
        assert_readable(fig, stem)


def test_course_order():
    order = {name: lab.EXPERIMENTS[name].order for name in NAMES}
    assert order == {"perceptron": 1, "activations": 2, "optimizers": 4, "learning-rate": 5,
                     "loss-functions": 7}


def test_all_registered_in_course_order():
    order = {name: lab.EXPERIMENTS[name].order for name in
             ("overfitting", "cnn", "batch-size", "regression", "binary", "multiclass")}
    assert order == {"overfitting": 6, "cnn": 9, "batch-size": 10, "regression": 11, "binary": 12,
                     "multiclass": 13}


def test_registered_in_course_order():
    from scratchnn import lab
    assert lab.EXPERIMENTS["vanishing-gradients"].order == 3
    assert lab.EXPERIMENTS["weight-init"].order == 8
    names = lab.names()
    assert names.index("vanishing-gradients") < names.index("weight-init")


@pytest.mark.parametrize("name, figures", [
    ("vanishing-gradients", {"gradients", "training"}),
    ("weight-init", {"activation_std", "activation_histograms", "mnist"}),
])
def test_files_written(results, name, figures):
    result, folder = results(name)
    assert set(result.figures) == figures
    written = {p.name for p in Path(folder).iterdir()}
    assert written == {f"{stem}.png" for stem in figures} | {"report.txt", "numbers.json"}
    for stem in figures:
        assert (Path(folder) / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((Path(folder) / "numbers.json").read_text())
    assert set(saved) == set(result.numbers)
    assert (Path(folder) / "report.txt").read_text() == result.report
    assert result.quick and result.seed == 0
