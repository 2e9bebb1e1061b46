"""The learning lab's machinery: registration order, seeding, the report, saving, the command."""
import json

import numpy as np
import pytest

from scratchnn import lab
from scratchnn.lab import _core


@pytest.fixture
def toy_experiment():
    """A small registered experiment that draws random numbers and one figure (removed afterwards)."""
    from scratchnn.plot.figure import new_figure

    @lab.experiment("toy-test", "A toy experiment", "draws numbers", order=-1)
    def toy(lab_):
        import scratchnn as snn
        w = snn.layers.Dense(3)
        w.build((None, 2))
        lab_.number("draw", float(lab_.rng.random()))
        lab_.number("global_draw", float(np.random.random()))
        lab_.number("kernel", w.kernel.data)
        lab_.number("size", lab_.pick(100, 10))
        fig = new_figure(3, 2)
        ax = fig.add_subplot()
        ax.plot([0, 1], [1, 0])
        ax.set_title("toy")
        lab_.figure("curve", fig)
        lab_.say(f"the draw was {lab_.numbers['draw']:.3f}")
    yield toy
    del _core.EXPERIMENTS["toy-test"]


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


def test_the_lab_command_lists_and_runs(toy_experiment, tmp_path, capsys):
    from scratchnn.cli import main
    assert main(["lab"]) == 0
    listing = capsys.readouterr().out
    assert "toy-test" in listing and "draws numbers" in listing
    assert main(["lab", "toy-test", "--out", str(tmp_path / "out"), "--quick", "--seed", "2"]) == 0
    printed = capsys.readouterr().out
    assert "the draw was" in printed and str(tmp_path / "out") in printed
    numbers = json.loads((tmp_path / "out" / "numbers.json").read_text())
    assert numbers == lab.run("toy-test", quick=True, seed=2, verbose=False).numbers
    assert (tmp_path / "out" / "curve.png").exists()
    assert main(["lab", "no-such-thing"]) == 2
    assert "unknown experiment 'no-such-thing'" in capsys.readouterr().err


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
