"""The command line's mistakes (``scratchnn/cli/errors.py`` and the checks of each subcommand):
every mistake a user can make is one line that says what is wrong and what to do, exit status 2
(1 for a failure that is not the user's), and never a traceback.

``MISTAKES`` is the table; ``world`` makes the files it names (small run folders, broken ones,
a named pipe, a picture that declares 400 million pixels ...) without the MNIST files, so it runs
everywhere. ``python -m tests.cli.test_errors SRC`` runs the same table through ``python -m
scratchnn`` with ``SRC`` first on the path and counts the mistakes that print a traceback (the
count the issue asked for, before and after the fix).
"""
import io
import json
import math
import os
import signal
import struct
import sys
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest

PNG = b"\x89PNG\r\n\x1a\n"

#: (id, argv, exit status, words the error line holds). ``{name}`` is a path of ``world``.
MISTAKES = [
    # train
    ("train-unknown-dataset", ["train", "--dataset", "cifar"], 2, "invalid choice: 'cifar'"),
    ("train-mistyped-option", ["train", "--epcohs", "3"], 2, "did you mean --epochs?"),
    ("train-mistyped-choice", ["train", "--optimizer", "adamm"], 2, "did you mean adam?"),
    ("train-negative-epochs", ["train", "--epochs", "-3"], 2, "expected a positive integer, got -3"),
    ("train-epochs-not-a-number", ["train", "--epochs", "three"], 2, "expected a positive integer"),
    ("train-bad-learning-rate", ["train", "--lr", "fast"], 2, "a positive learning rate, got 'fast'"),
    ("train-zero-batch-size", ["train", "--batch-size", "0"], 2, "expected a positive integer, got 0"),
    ("train-validation-split-above-1", ["train", "--validation-split", "1.5"], 2, "in [0, 1)"),
    ("train-negative-patience", ["train", "--early-stopping", "-1"], 2, "expected an integer >= 0"),
    ("train-seed-not-a-number", ["train", "--seed", "abc"], 2, "invalid int value: 'abc'"),
    ("train-cnn-on-a-table", ["train", "--model", "cnn", "--dataset", "iris"], 2, "needs an image dataset"),
    ("train-out-is-a-file", ["train", "--dataset", "iris", "--out", "{file}"], 2, "is a file, not a folder"),
    ("train-run-folder-taken", ["train", "--dataset", "iris", "--out", "{root}", "--name", "img"], 2,
     "exists and is not empty"),
    ("train-out-cannot-be-created", ["train", "--dataset", "iris", "--out", "/proc/scratchnn-runs"], 1,
     "/proc/scratchnn-runs: "),
    ("train-offline", ["train", "--dataset", "mnist", "--out", "{root}/runs"], 1,
     "SCRATCHNN_DATASET_MIRRORS"),
    ("mistyped-subcommand", ["evalute", "{img}"], 2, "did you mean evaluate?"),
    # evaluate
    ("evaluate-missing-run", ["evaluate", "{missing}"], 2, "no model at"),
    ("evaluate-wrong-dataset-for-the-run", ["evaluate", "{img}", "--dataset", "iris"], 2,
     "takes samples of shape (28, 28), but iris has samples of shape (4,)"),
    ("evaluate-unknown-dataset-option", ["evaluate", "{img}", "--dataset", "fashion-mnst"], 2,
     "unknown dataset 'fashion-mnst' (did you mean fashion_mnist?)"),
    ("evaluate-corrupt-run-json", ["evaluate", "{bad_json}"], 2, "run.json is not valid JSON"),
    ("evaluate-run-json-not-an-object", ["evaluate", "{list_json}"], 2, "run.json holds a JSON list"),
    ("evaluate-run-json-unknown-dataset", ["evaluate", "{unknown_dataset}"], 2, "names the dataset 'cifar'"),
    ("evaluate-too-few-class-names", ["evaluate", "{few_names}"], 2, "lists 2 class names"),
    ("evaluate-uncompiled-model", ["evaluate", "{uncompiled}"], 2, "saved without compile()"),
    ("evaluate-model-without-run-json", ["evaluate", "{lone}/model.scratchnn"], 2, "--dataset"),
    ("evaluate-directory-as-model-file", ["evaluate", "{dir_model}"], 2, "it is a directory, not a file"),
    ("evaluate-fifo-as-model-file", ["evaluate", "{fifo_model}"], 2, "named pipe"),
    ("evaluate-dev-zero-as-model-file", ["evaluate", "{zero_model}"], 2, "character device"),
    ("evaluate-text-as-model-file", ["evaluate", "{text_model}"], 2, "cannot load"),
    # predict
    ("predict-missing-image", ["predict", "{img}", "{missing}.png"], 2, "no such file"),
    ("predict-text-as-image", ["predict", "{img}", "{text_png}"], 2, "cannot read image"),
    ("predict-decompression-bomb", ["predict", "{img}", "{bomb}"], 2, "decompression bomb"),
    ("predict-decompression-bomb-warning", ["predict", "{img}", "{bomb_warning}"], 2, "decompression bomb"),
    ("predict-fifo-as-image", ["predict", "{img}", "{fifo_png}"], 2, "named pipe"),
    ("predict-dev-zero-as-image", ["predict", "{img}", "{zero_png}"], 2, "character device"),
    ("predict-directory-as-image", ["predict", "{img}", "{root}"], 2, "it is a directory"),
    ("predict-too-few-class-names", ["predict", "{few_names}", "{digit}"], 2, "lists 2 class names"),
    ("predict-with-a-table-dataset", ["predict", "{img}", "{digit}", "--dataset", "iris"], 2,
     "not an image dataset"),
    ("predict-zero-top", ["predict", "{img}", "{digit}", "--top", "0"], 2, "expected a positive integer"),
    ("predict-fifo-as-model-file", ["predict", "{fifo_model}", "{digit}"], 2, "named pipe"),
    ("predict-model-with-nan-weights", ["predict", "{nan_model}", "{digit}"], 1, "not all finite"),
    # search, datasets, lab
    ("search-out-is-a-file", ["search", "--grid", "lr=0.01,0.1", "--out", "{file}"], 2, "is a file"),
    ("search-bad-grid-value", ["search", "--grid", "lr=fast"], 2, "expected a positive number"),
    ("search-one-fold", ["search", "--grid", "lr=0.01", "--cv", "1"], 2, "expected an integer >= 2"),
    ("search-mistyped-option", ["search", "--grd", "lr=0.01"], 2, "did you mean --grid?"),
    ("search-unknown-scoring", ["search", "--grid", "lr=0.01", "--scoring", "nope", "--out", "{root}/s"], 2,
     "nope"),
    ("datasets-fetch-offline", ["datasets", "fetch", "mnist"], 1, "SCRATCHNN_DATASET_MIRRORS"),
    ("datasets-unknown", ["datasets", "path", "svhn"], 2, "unknown dataset 'svhn'"),
    ("lab-unknown-experiment", ["lab", "optimisers"], 2,
     "unknown experiment 'optimisers' (did you mean optimizers?)"),
    ("lab-out-is-a-file", ["lab", "optimizers", "--quick", "--out", "{file}"], 2, "is a file"),
]


def _png(width, height, rows=None):
    """A 1-bit grey PNG of ``width`` x ``height`` pixels; ``rows`` of zero pixels are stored
    (all when None: a tiny file that inflates to the whole picture)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\0" + bytes(math.ceil(width / 8))
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height if rows is None else rows)) + packer.flush()
    return (PNG + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def _image_model(bias=None, compiled=True):
    """An untrained MNIST-shaped classifier: raw 28x28 pixels in, 10 probabilities out."""
    from scratchnn import Sequential, layers
    model = Sequential([layers.Input((28, 28)), layers.Rescaling(1 / 255), layers.Flatten(),
                        layers.Dense(10, activation="softmax")])
    if bias is not None:
        kernel, _ = model.get_weights()
        model.set_weights([np.zeros_like(kernel), np.asarray(bias, np.float32)])
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _run(folder, model=None, record=None, run_json=None):
    """A run folder with ``model`` and a run.json (``record`` as JSON, or the text ``run_json``)."""
    folder.mkdir(parents=True)
    (model or _image_model()).save(folder / "model.scratchnn")
    if record is not None:
        run_json = json.dumps(record)
    if run_json is not None:
        (folder / "run.json").write_text(run_json)
    return folder


def make_world(root):
    """The files ``MISTAKES`` names, under ``root``: ``{name: path}``."""
    root = Path(root)
    good = {"dataset": "mnist", "kind": "image", "task": "classification", "seed": 0,
            "class_names": [str(d) for d in range(10)]}
    w = {"root": root, "missing": root / "nowhere", "file": root / "notes.txt",
         "img": _run(root / "img", record=good),
         "bad_json": _run(root / "bad_json", run_json='{"dataset": "mnist",'),
         "list_json": _run(root / "list_json", run_json="[1, 2]"),
         "unknown_dataset": _run(root / "unknown_dataset", record={**good, "dataset": "cifar"}),
         "few_names": _run(root / "few_names", record={**good, "class_names": ["zero", "one"]}),
         "uncompiled": _run(root / "uncompiled", _image_model(compiled=False), record=good),
         "lone": _run(root / "lone"),
         "dir_model": root / "dir_model", "fifo_model": root / "pipe.scratchnn",
         "zero_model": root / "zero.scratchnn", "text_model": root / "text.scratchnn",
         "text_png": root / "notes.png", "bomb": root / "bomb.png", "bomb_warning": root / "bomb_warning.png",
         "fifo_png": root / "pipe.png", "zero_png": root / "zero.png", "digit": root / "digit.png"}
    nan = _image_model()
    nan.set_weights([np.full_like(v, np.nan) for v in nan.get_weights()])
    w["nan_model"] = _run(root / "nan_model", nan, record=good)
    (w["dir_model"] / "model.scratchnn").mkdir(parents=True)
    (w["dir_model"] / "run.json").write_text(json.dumps(good))
    w["file"].write_text("a file, not a folder")
    w["text_model"].write_text("not a model")
    w["text_png"].write_text("not a picture")
    os.mkfifo(w["fifo_model"])
    os.mkfifo(w["fifo_png"])
    os.symlink("/dev/zero", w["zero_model"])
    os.symlink("/dev/zero", w["zero_png"])
    w["bomb"].write_bytes(_png(20000, 20000, rows=1))            # 400 million pixels: Pillow refuses
    w["bomb_warning"].write_bytes(_png(10000, 10000))           # 100 million: Pillow only warns
    from PIL import Image
    Image.fromarray(np.full((40, 30), 255, np.uint8)).save(w["digit"])
    return {k: str(v) for k, v in w.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs named pipes and /dev/zero (POSIX)")
    return make_world(tmp_path_factory.mktemp("mistakes"))


def _timeout(signum, frame):
    raise TimeoutError("the command did not finish in 60 s (did it open a named pipe?)")


def _main(argv):
    """``scratchnn ARGV`` in this process: ``(status, stdout, stderr)``; an exception that
    escapes ``main`` (a traceback for the user) fails the test, a hang (a named pipe opened)
    is stopped after 60 s."""
    from scratchnn.cli import main
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(60)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as e:                    # argparse's errors
                status = e.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv, status, words", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_one_line_with_its_exit_status(world, argv, status, words, monkeypatch, tmp_path):
    from tests.helpers import offline_datasets
    offline_datasets(monkeypatch, tmp_path / "home", None)         # no mirror, no network
    got, out, err = _main([a.format(**world) for a in argv])
    assert "Traceback" not in out + err
    lines = err.splitlines()
    errors = [line for line in lines if line.startswith("scratchnn") and "error: " in line]
    assert len(errors) == 1, err
    assert words in errors[0], err
    # Besides the error line, only argparse's usage (for a bad option) or the dataset loader's
    # report of each source it tried (for a data set it cannot fetch).
    others = [line for line in lines if line not in errors]
    if others:
        assert others[0].startswith(("usage: scratchnn", "scratchnn.datasets: ")), err
    assert got == status, err


def test_the_table_has_26_mistakes_or_more_across_the_subcommands():
    assert len(MISTAKES) >= 26 and len({m[0] for m in MISTAKES}) == len(MISTAKES)
    assert {m[1][0] for m in MISTAKES} >= {"train", "evaluate", "predict", "search", "datasets", "lab"}


def test_a_refused_file_is_not_opened(world, monkeypatch):
    # The named pipe is refused by os.stat before any open(): nothing waits for a writer.
    import builtins
    opened = []
    real_open = builtins.open

    def watching_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching_open)
    status, _, err = _main(["predict", world["img"], world["fifo_png"]])
    assert status == 2 and "named pipe" in err
    assert world["fifo_png"] not in opened


def test_a_mistyped_option_shows_the_subcommands_usage(capsys):
    from scratchnn.cli import main
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--epcohs", "3"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: scratchnn train [-h]") and "--epochs EPOCHS" in err
    assert err.splitlines()[-1] == ("scratchnn train: error: unrecognized arguments: --epcohs 3 "
                                    "(did you mean --epochs?)")
    with pytest.raises(SystemExit):
        main(["train", "--frobnicate"])                            # nothing close: no suggestion
    assert "did you mean" not in capsys.readouterr().err


def test_offline_is_one_line_that_says_what_to_do(monkeypatch, tmp_path, capsys):
    from scratchnn.cli import main
    from tests.helpers import offline_datasets
    offline_datasets(monkeypatch, tmp_path / "home", None)
    assert main(["train", "--dataset", "mnist", "--out", str(tmp_path / "runs"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err                              # --quiet: the error line alone
    assert err.startswith("scratchnn train: error: cannot obtain mnist/")
    assert "set SCRATCHNN_DATASET_MIRRORS" in err
    assert not (tmp_path / "runs").exists()                       # nothing written


def test_predict_never_writes_nan_percent(world, capsys):
    from scratchnn.cli import main
    assert main(["predict", world["nan_model"], world["digit"]]) == 1
    captured = capsys.readouterr()
    assert "nan" not in captured.out.lower() and captured.out == ""
    assert "weights are not all finite numbers" in captured.err


def test_predict_never_rounds_a_guess_up_to_100_percent(tmp_path, capsys):
    # A model that gives 99.96% to class 6 whatever the picture (zero kernel, chosen biases):
    # printed with one decimal that was "100.0%".
    from scratchnn.cli import main
    p = np.full(10, 0.0004 / 9)
    p[6] = 0.9996
    run = _run(tmp_path / "sure", _image_model(bias=np.log(p)), record={
        "dataset": "mnist", "class_names": [str(d) for d in range(10)]})
    picture = tmp_path / "digit.png"
    from PIL import Image
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(picture)
    assert main(["predict", str(run), str(picture), "--top", "2"]) == 0
    assert capsys.readouterr().out.split(": ", 1)[1].strip() == "6 (99.96%), 0 (<0.1%)"


def _count_tracebacks(src):
    """Run every mistake through ``python -m scratchnn`` with ``src`` first on the path, offline;
    print each one's outcome and return how many printed a traceback."""
    import subprocess
    import tempfile
    here = Path(__file__).resolve().parents[2]
    wrapper = ("import sys, pytest; from tests.helpers import offline_datasets; mp = pytest.MonkeyPatch(); "
               "offline_datasets(mp, sys.argv[1], None); from scratchnn.cli import main; "
               "sys.exit(main(sys.argv[2:]))")
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(Path(tmp) / "world")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(here)])}
        tracebacks = 0
        for name, argv, _, _ in MISTAKES:
            try:
                done = subprocess.run([sys.executable, "-c", wrapper, str(Path(tmp) / "home"),
                                       *[a.format(**world) for a in argv]], capture_output=True, text=True,
                                      env=env, cwd=tmp, timeout=120)
                outcome = (f"exit {done.returncode}" + (" TRACEBACK" if "Traceback" in done.stderr else "")
                           + f": {(done.stderr.strip().splitlines() or [''])[-1][:110]}")
                tracebacks += "Traceback" in done.stderr
            except subprocess.TimeoutExpired:
                outcome = "HANG (killed after 120 s)"
            print(f"{name:<40} {outcome}")
    print(f"{tracebacks} of {len(MISTAKES)} mistakes print a traceback ({src})")
    return tracebacks


if __name__ == "__main__":
    _count_tracebacks(Path(sys.argv[1]).resolve())
