"""The ``scratchnn`` command (``scratchnn/cli/__init__.py``): bad arguments exit 2 with the usage,
user errors give one line and never a traceback, ``scratchnn datasets``, ``python -m
scratchnn`` and the console script.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from scratchnn.cli import main

from tests.cli.helpers import run_train
from tests.helpers import dataset_mirror


@pytest.mark.parametrize("argv, message", [
    (["train", "--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["train", "--optimizer", "adamm"], "choose from 'adadelta', 'adagrad', 'adam'"),
    (["train", "--epochs", "0"], "expected a positive integer, got 0"),
    (["train", "--lr", "-1"], "expected a positive learning rate"),
    (["train", "--hidden", "12,x"], "expected layer widths"),
    (["train", "--validation-split", "1.5"], "expected a number in [0, 1)"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_arguments_exit_2_with_usage(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "usage: scratchnn" in err and message in err


def test_user_errors_are_one_line_without_traceback(home, capsys):
    assert main(["evaluate", str(home / "nowhere")]) == 2              # the user's mistake: 2
    err = capsys.readouterr().err
    assert err.startswith("scratchnn evaluate: error: no model at") and err.count("\n") == 1
    (home / "runs" / "busy").mkdir(parents=True)
    (home / "runs" / "busy" / "x").write_text("keep me")
    assert run_train(home / "runs", "busy", "--dataset", "iris") == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert (home / "runs" / "busy" / "x").read_text() == "keep me"
    assert run_train(home / "runs", "tab", "--dataset", "iris", "--epochs", "1") == 0
    assert main(["predict", str(home / "runs" / "tab"), "x.png"]) == 2
    assert "not an image dataset" in capsys.readouterr().err
    broken = home / "runs" / "tab" / "model.scratchnn"
    broken.write_bytes(broken.read_bytes()[:100])
    assert main(["evaluate", str(home / "runs" / "tab")]) == 2
    err = capsys.readouterr().err
    assert "cannot load" in err and "Traceback" not in err


def test_datasets_list_path_fetch(home, capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["mnist", "fashion_mnist", "breast_cancer", "iris", "diabetes", "tiny_shakespeare"]
    assert "downloaded on first use" in out and "ships with scratchnn" in out
    assert main(["datasets", "path", "mnist"]) == 0
    assert capsys.readouterr().out.strip() == str(home / "home" / "datasets" / "mnist")
    if dataset_mirror("mnist") is not None:
        assert main(["datasets", "fetch", "mnist"]) == 0
        fetched = capsys.readouterr().out.split()
        assert len(fetched) == 4 and all(Path(p).exists() for p in fetched)
        assert main(["datasets", "list"]) == 0
        assert "mnist" in capsys.readouterr().out.splitlines()[0] and "in the cache" in out + "in the cache"
    assert main(["datasets", "fetch"]) == 2
    assert "needs a dataset NAME" in capsys.readouterr().err
    assert main(["datasets", "path", "svhn"]) == 2
    assert "unknown dataset 'svhn'" in capsys.readouterr().err


def test_python_dash_m_and_console_script():
    done = subprocess.run([sys.executable, "-m", "scratchnn", "train", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "--early-stopping PATIENCE" in done.stdout
    from importlib.metadata import entry_points
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("scratchnn") == "scratchnn.cli:main"
