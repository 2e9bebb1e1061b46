"""``scratchnn lab`` (``scratchnn/cli/lab.py``) lists and runs the lab's experiments."""
import json

from scratchnn import lab


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


def test_the_text_lessons_are_listed_after_the_recipes(capsys):
    from scratchnn.cli import main
    assert main(["lab"]) == 0
    listing = capsys.readouterr().out
    for name in ("attention", "transformer", "temperature"):
        assert f"  {name} " in listing
    names = lab.names()
    assert names.index("multiclass") < names.index("attention") < names.index("transformer") \
        < names.index("temperature")
    assert [lab.EXPERIMENTS[n].order for n in ("attention", "transformer", "temperature")] == [14, 15, 16]
