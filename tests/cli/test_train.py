"""``scratchnn train`` (``scratchnn/cli/train.py``): a complete run folder on MNIST and on tables,
regression and early stopping, seeding, the options that shape the network, the CNN.
"""
import csv
import json
import os

import numpy as np
import pytest

from scratchnn import models
from scratchnn.cli import main

from tests.cli.helpers import run_train

PNG = b"\x89PNG\r\n\x1a\n"


def _history(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


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


def test_saved_model_reproduces_the_recorded_test_results(mnist_run, mnist_mirror):
    from scratchnn.datasets import mnist
    (_, _), (x_test, y_test) = mnist.load_data(verbose=False)
    model = models.load_model(mnist_run / "model.scratchnn")
    record = json.loads((mnist_run / "run.json").read_text())
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)       # raw uint8 pixels go in
    assert accuracy == pytest.approx(record["test"]["accuracy"], abs=1e-6)
    assert loss == pytest.approx(record["test"]["loss"], rel=1e-5)


@pytest.mark.parametrize("dataset, metric, floor", [("iris", "accuracy", 0.85),
                                                     ("breast_cancer", "accuracy", 0.93)])
def test_train_on_tables(home, dataset, metric, floor):
    assert run_train(home / "runs", dataset, "--dataset", dataset, "--seed", "1") == 0
    run = home / "runs" / dataset
    record = json.loads((run / "run.json").read_text())
    assert record["test"][metric] >= floor, record["test"]
    assert (run / "confusion_matrix.png").exists() and not (run / "misclassified.png").exists()
    # the model standardizes its own inputs: raw features in, the recorded accuracy out
    model = models.load_model(run / "model.scratchnn")
    assert model.get_layer("standardize").mean.data.shape == (4 if dataset == "iris" else 30,)


def test_train_regression_and_early_stopping(home):
    assert run_train(home / "runs", "diab", "--dataset", "diabetes", "--epochs", "40", "--seed", "0",
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
        assert run_train(home / "runs", name, "--dataset", "iris", "--epochs", "5", "--seed", "7",
                      "--dropout", "0.2") == 0
    a, b = (models.load_model(home / "runs" / n / "model.scratchnn") for n in ("a", "b"))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_options_shape_the_network(home):
    assert run_train(home / "runs", "opt", "--dataset", "iris", "--hidden", "8,6", "--activation", "tanh",
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


def test_early_stopping_says_only_what_happened_and_the_curves_star_its_quantity(home, capsys, monkeypatch):
    # `--early-stopping` that never stopped printed "Restoring model weights from the end of the
    # best epoch: 50" after all 50 epochs, and the curves starred a best loss and a best accuracy.
    from scratchnn import plot
    figures = []
    draw = plot.learning_curves
    monkeypatch.setattr(plot, "learning_curves", lambda *a, **k: figures.append(draw(*a, **k)) or figures[-1])
    assert main(["train", "--out", str(home / "runs"), "--name", "es", "--dataset", "iris", "--epochs", "4",
                 "--seed", "0", "--early-stopping", "10", "--lr", "0.01"]) == 0
    out = capsys.readouterr().out
    rows = _history(home / "runs" / "es" / "history.csv")
    val_loss = [float(r["val_loss"]) for r in rows]
    best = int(np.argmin(val_loss)) + 1
    assert len(rows) == 4 and "early stopping\n" not in out          # it did not stop
    assert ("Restoring model weights" in out) == (best != 4)         # said only when weights change
    assert "early stopping: val_loss never went 10 epochs without improving, so all 4 epochs ran\n" in out
    stars = [(ax.get_title(), ln.get_xdata()[0]) for ax in figures[0].axes for ln in ax.get_lines()
             if ln.get_gid() == "best-epoch"]
    assert stars == [("loss", best)]                                 # the monitored val_loss only


def test_run_reports_keep_lines_within_100_characters(home, capsys):
    # summary.txt held the command on one line, 150 characters and more with a deep --out
    import shlex
    out, name = home / "runs" / ("deep-" * 12), "a-run-with-a-long-name-" + "x" * 40
    argv = ["train", "--out", str(out), "--name", name, "--dataset", "iris", "--hidden", "8,8",
            "--epochs", "1", "--seed", "0"]
    assert main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    summary = (out / name / "summary.txt").read_text().splitlines()
    assert max(len(line) for line in summary) <= 100
    at = printed.index(f"wrote {out / name}/:")                     # the path alone, then the files
    assert printed[at + 1].startswith("  confusion_matrix.png, history.csv")
    assert max(len(line) for line in printed[at + 1:]) <= 100
    at = next(i for i, line in enumerate(summary) if line.startswith("command: "))
    end = next(i for i in range(at, len(summary)) if not summary[i].endswith("\\"))
    text = "\n".join(summary[at:end + 1])[len("command: "):]
    assert shlex.split(text.replace("\\\n", "")) == ["scratchnn", *argv]     # as a shell reads it
