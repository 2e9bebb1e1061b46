"""The ``scratchnn`` command: train writes a complete run folder, evaluate/predict use it,
and user errors give one line and the right exit status, never a traceback."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratchnn import models
from scratchnn.cli import main

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty cache, MNIST from the local mirror (the test must not hit the network)."""
    monkeypatch.setenv("SCRATCHNN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    return tmp_path


def _train(out, name, *extra):
    return main(["train", "--out", str(out), "--name", name, "--quiet", *extra])


def _history(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """One real run of the default command's model on full MNIST (1 epoch, to stay quick)."""
    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"no local dataset mirror at {SHARED}")
    root = tmp_path_factory.mktemp("cli")
    mp = pytest.MonkeyPatch()
    mp.setenv("SCRATCHNN_HOME", str(root / "home"))
    mp.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    try:
        assert _train(root / "runs", "mnist", "--epochs", "1", "--seed", "0") == 0
        yield root / "runs" / "mnist"
    finally:
        mp.undo()


def test_train_on_mnist_writes_a_complete_run_folder(mnist_run):
    files = sorted(os.listdir(mnist_run))
    assert files == ["confusion_matrix.png", "history.csv", "learning_curves.png", "misclassified.png",
                     "model.scratchnn", "run.json", "summary.txt"]
    for png in ("confusion_matrix.png", "learning_curves.png", "misclassified.png"):
        assert (mnist_run / png).read_bytes()[:8] == PNG
    record = json.loads((mnist_run / "run.json").read_text())
    assert record["dataset"] == "mnist" and record["seed"] == 0 and record["epochs_run"] == 1
    assert record["test"]["accuracy"] >= 0.93, record["test"]       # 784-50-10, one epoch of Adam
    rows = _history(mnist_run / "history.csv")
    assert len(rows) == 1 and {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    summary = (mnist_run / "summary.txt").read_text()
    assert "hidden_1 (Dense)" in summary and "39,760" in summary         # the course's network
    assert "command: scratchnn train --out" in summary
    assert "macro avg" in summary and f"{record['test']['accuracy']:.4f}" in summary


def test_saved_model_reproduces_the_recorded_test_results(mnist_run, monkeypatch):
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    from scratchnn.datasets import mnist
    (_, _), (x_test, y_test) = mnist.load_data(verbose=False)
    model = models.load_model(mnist_run / "model.scratchnn")
    record = json.loads((mnist_run / "run.json").read_text())
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)       # raw uint8 pixels go in
    assert accuracy == pytest.approx(record["test"]["accuracy"], abs=1e-6)
    assert loss == pytest.approx(record["test"]["loss"], rel=1e-5)


def test_evaluate_prints_loss_accuracy_and_per_class_report(mnist_run, monkeypatch, capsys):
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    assert main(["evaluate", str(mnist_run)]) == 0
    out = capsys.readouterr().out
    record = json.loads((mnist_run / "run.json").read_text())
    assert f"accuracy {record['test']['accuracy']:.4f}" in out
    lines = [line.split() for line in out.splitlines()]
    per_class = [row for row in lines if len(row) == 5 and row[0] in list("0123456789")]
    assert [row[0] for row in per_class] == list("0123456789")
    assert sum(int(row[4]) for row in per_class) == 10000                # supports add up
    # evaluate on a bare model file needs to be told the data when no run.json is beside it
    lone = mnist_run.parent / "lone"
    lone.mkdir()
    (lone / "m.scratchnn").write_bytes((mnist_run / "model.scratchnn").read_bytes())
    assert main(["evaluate", str(lone / "m.scratchnn")]) == 2
    assert "--dataset" in capsys.readouterr().err
    assert main(["evaluate", str(lone / "m.scratchnn"), "--dataset", "mnist"]) == 0


def _digit_picture(path, image, size=(150, 110)):
    """An MNIST digit as a person would photograph it: dark ink on white, larger, off-centre."""
    from PIL import Image
    ink = Image.fromarray(255 - image).resize(size, Image.BILINEAR)
    canvas = Image.new("L", (320, 240), 255)
    canvas.paste(ink, (30, 60))
    canvas.save(path)


def test_predict_reads_pictures_and_ranks_classes(mnist_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(SHARED))
    from scratchnn.datasets import mnist
    (_, _), (x_test, y_test) = mnist.load_data(verbose=False)
    paths = []
    for i in range(8):
        paths.append(tmp_path / f"digit{i}.png")
        _digit_picture(paths[-1], x_test[i])
    assert main(["predict", str(mnist_run), *map(str, paths)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8
    top1 = [int(line.split(": ")[1].split()[0]) for line in lines]
    assert sum(t == y for t, y in zip(top1, y_test[:8])) >= 7, (top1, y_test[:8])
    for line in lines:                                                  # 3 guesses, in decreasing order
        probs = [float(p.split("%")[0]) for p in line.split("(")[1:]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 100.05


def test_predict_explains_unreadable_pictures(mnist_run, tmp_path, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    assert main(["predict", str(mnist_run), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "cannot read image" in err and "notes.png" in err and "Traceback" not in err
    assert main(["predict", str(mnist_run), str(tmp_path / "missing.png")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("dataset, metric, floor", [("iris", "accuracy", 0.85),
                                                     ("breast_cancer", "accuracy", 0.93)])
def test_train_on_tables(home, dataset, metric, floor):
    assert _train(home / "runs", dataset, "--dataset", dataset, "--seed", "1") == 0
    run = home / "runs" / dataset
    record = json.loads((run / "run.json").read_text())
    assert record["test"][metric] >= floor, record["test"]
    assert (run / "confusion_matrix.png").exists() and not (run / "misclassified.png").exists()
    # the model standardizes its own inputs: raw features in, the recorded accuracy out
    model = models.load_model(run / "model.scratchnn")
    assert model.get_layer("standardize").mean.data.shape == (4 if dataset == "iris" else 30,)


def test_train_regression_and_early_stopping(home):
    assert _train(home / "runs", "diab", "--dataset", "diabetes", "--epochs", "40", "--seed", "0",
                  "--early-stopping", "2", "--lr", "0.01") == 0
    run = home / "runs" / "diab"
    record = json.loads((run / "run.json").read_text())
    assert set(record["test"]) == {"loss", "mae"}
    assert record["test"]["mae"] < 60          # the target's spread is ~77; predicting the mean gives ~65
    rows = _history(run / "history.csv")
    assert len(rows) == record["epochs_run"] <= 40
    assert not (run / "confusion_matrix.png").exists()
    assert main(["evaluate", str(run)]) == 0               # the regression model loads back (0-d weights)


def test_same_seed_same_model(home):
    for name in ("a", "b"):
        assert _train(home / "runs", name, "--dataset", "iris", "--epochs", "5", "--seed", "7",
                      "--dropout", "0.2") == 0
    a, b = (models.load_model(home / "runs" / n / "model.scratchnn") for n in ("a", "b"))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_options_shape_the_network(home):
    assert _train(home / "runs", "opt", "--dataset", "iris", "--hidden", "8,6", "--activation", "tanh",
                  "--optimizer", "sgd", "--lr", "0.05", "--batch-size", "4", "--epochs", "2",
                  "--dropout", "0.1", "--validation-split", "0", "--seed", "0") == 0
    model = models.load_model(home / "runs" / "opt" / "model.scratchnn")
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    assert [d.units for d in dense] == [8, 6, 3]
    assert [d.activation.__name__ for d in dense] == ["tanh", "tanh", "softmax"]
    assert sum(type(layer).__name__ == "Dropout" for layer in model.layers) == 2
    assert type(model.optimizer).__name__ == "SGD" and model.optimizer.learning_rate == pytest.approx(0.05)
    record = json.loads((home / "runs" / "opt" / "run.json").read_text())
    assert record["batch_size"] == 4
    assert "val_loss" not in _history(home / "runs" / "opt" / "history.csv")[0]


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
    assert main(["evaluate", str(home / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("scratchnn evaluate: error: no model at") and err.count("\n") == 1
    (home / "runs" / "busy").mkdir(parents=True)
    (home / "runs" / "busy" / "x").write_text("keep me")
    assert _train(home / "runs", "busy", "--dataset", "iris") == 1
    assert "exists and is not empty" in capsys.readouterr().err
    assert (home / "runs" / "busy" / "x").read_text() == "keep me"
    assert _train(home / "runs", "tab", "--dataset", "iris", "--epochs", "1") == 0
    assert main(["predict", str(home / "runs" / "tab"), "x.png"]) == 2
    assert "not an image dataset" in capsys.readouterr().err
    broken = home / "runs" / "tab" / "model.scratchnn"
    broken.write_bytes(broken.read_bytes()[:100])
    assert main(["evaluate", str(home / "runs" / "tab")]) == 1
    err = capsys.readouterr().err
    assert "cannot load" in err and "Traceback" not in err


def test_datasets_list_path_fetch(home, capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["mnist", "fashion_mnist", "breast_cancer", "iris", "diabetes"]
    assert "downloaded on first use" in out and "ships with scratchnn" in out
    assert main(["datasets", "path", "mnist"]) == 0
    assert capsys.readouterr().out.strip() == str(home / "home" / "datasets" / "mnist")
    if (SHARED / "mnist").is_dir():
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


def test_cnn_model_option(home, capsys):
    import argparse

    from scratchnn.cli import data, train
    args = argparse.Namespace(model="cnn", hidden=None, activation="relu", dropout=None, optimizer="adam",
                              lr=None)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 64)
    model = train.build_model(data.task("mnist"), x, y, 10, args)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Rescaling", "Reshape", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
                     "Dense", "Dropout", "Dense"]
    assert model.count_params() == 225034                        # the course's reference CNN
    assert model.get_layer("dropout_1").rate == 0.5
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    args.dropout = 0.0                                   # --dropout 0 means no dropout, also for the cnn
    assert train.build_model(data.task("mnist"), x, y, 10, args).get_layer("dropout_1").rate == 0.0
    assert main(["train", "--model", "cnn", "--dataset", "iris"]) == 2
    assert "needs an image dataset" in capsys.readouterr().err
    assert main(["train", "--model", "cnn", "--hidden", "64"]) == 2
    assert "the cnn's layers are fixed" in capsys.readouterr().err


def test_evaluate_a_table_model_without_its_run_record(home, capsys):
    assert _train(home / "runs", "t", "--dataset", "iris", "--epochs", "3", "--seed", "0") == 0
    lone = home / "lone"
    lone.mkdir()
    (lone / "m.scratchnn").write_bytes((home / "runs" / "t" / "model.scratchnn").read_bytes())
    capsys.readouterr()
    assert main(["evaluate", str(lone / "m.scratchnn"), "--dataset", "iris"]) == 0
    out = capsys.readouterr().out
    assert "evaluating on all 150 rows of iris" in out and "(150 samples)" in out
