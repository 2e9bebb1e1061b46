"""``scratchnn search`` (``scratchnn/cli/search.py``): ranked table, results.csv, heat map, best
model; bad arguments give one line and exit status 2 before anything trains.
"""
import csv
import json

import numpy as np
import pytest

from scratchnn import models
from scratchnn.cli import data, main

skm = pytest.importorskip("sklearn.metrics")
PNG = b"\x89PNG\r\n\x1a\n"


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_search_prints_the_ranked_table_and_writes_its_files(search_run):
    out, printed = search_run
    assert sorted(p.name for p in out.iterdir()) == ["heatmap.png", "model.scratchnn", "results.csv",
                                                     "results.txt", "run.json"]
    assert (out / "heatmap.png").read_bytes()[:8] == PNG
    rows = _csv(out / "results.csv")
    assert {(r["param_learning_rate"], r["param_hidden"]) for r in rows} == {
        ("0.001", "4"), ("0.001", "8"), ("0.01", "4"), ("0.01", "8")}
    for r in rows:
        folds = [float(r[f"split{k}_test_score"]) for k in range(3)]
        assert float(r["mean_test_score"]) == pytest.approx(np.mean(folds))
    # the printed table: header, then the 4 candidates best first, as ranked in the CSV
    lines = printed.splitlines()
    assert lines[0].split()[:3] == ["rank", "hidden", "learning_rate"] and "accuracy" in lines[0]
    ranked = sorted(rows, key=lambda r: (int(r["rank_test_score"]), rows.index(r)))
    for line, r in zip(lines[1:5], ranked):
        cells = line.split()
        assert cells[:3] == [r["rank_test_score"], r["param_hidden"], r["param_learning_rate"]]
        assert cells[3] == f"{float(r['mean_test_score']):.4f}"
    best = ranked[0]
    assert (f"best: hidden={best['param_hidden']}, lr={best['param_learning_rate']}: cross-validated "
            f"accuracy {float(best['mean_test_score']):.4f}") in printed
    record = json.loads((out / "run.json").read_text())
    assert record["dataset"] == "breast_cancer" and record["seed"] == 0
    assert record["search"]["best_score"] == pytest.approx(float(best["mean_test_score"]))
    assert record["search"]["best_params"]["hidden"] == [int(best["param_hidden"])]
    # the saved model is the best setting refit on the training split; its test accuracy is printed
    model = models.load_model(out / "model.scratchnn")
    assert model.get_layer("hidden_1").units == int(best["param_hidden"])
    assert model.optimizer.learning_rate == pytest.approx(float(best["param_learning_rate"]))
    _, (x_test, y_test), _ = data.load(data.task("breast_cancer"), 0, verbose=False)
    accuracy = skm.accuracy_score(y_test, model.predict(x_test, verbose=0)[:, 0] >= 0.5)
    assert f"test accuracy {accuracy:.4f} on {len(x_test)} held-out samples" in printed
    assert record["test"]["accuracy"] == pytest.approx(accuracy)


def test_search_on_a_regression_table_ranks_by_r2_and_draws_one_row(home, capsys):
    out = home / "dia"
    assert main(["search", "--dataset", "diabetes", "--grid", "lr=0.001,0.01", "--cv", "2", "--epochs", "1",
                 "--seed", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "r2 (mean +/- std)" in printed.splitlines()[0]
    assert (out / "heatmap.png").read_bytes()[:8] == PNG
    assert len(_csv(out / "results.csv")) == 2
    assert main(["evaluate", str(out), "--report"]) == 0
    assert "R^2 " in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--grid", "lrr=0.1"], "unknown hyper-parameter 'lrr'; the names are: lr ("),
    (["--grid", "hidden="], "--grid hidden= has no values"),
    (["--grid", "hidden=16,abc"], "--grid hidden: expected widths such as 32 or 64x32, got 'abc'"),
    (["--grid", "lr=0.1", "--grid", "lr=0.2"], "--grid lr is given twice"),
    (["--grid", "optimizer=adamm"], "unknown optimizer 'adamm'"),
    ([], "the grid is empty"),
    (["--grid", "lr=0.1", "--scoring", "acuracy"], "unknown scorer 'acuracy'. Did you mean 'accuracy'"),
    (["--dataset", "iris", "--grid", "lr=0.1", "--cv", "41"],
     "cv=41 stratified folds need at least 41 samples of every class, but class 0 has only 40"),
    (["--grid", "lr=0.1", "--n-jobs", "0"], "--n-jobs must be a positive number"),
    (["--dataset", "iris", "--grid", "lr=0.1", "--scoring", "f1"],
     "the scorer 'f1' scores two classes (a positive class against the other), but y holds 3 classes"),
])
def test_bad_search_arguments_fail_before_training(home, capsys, argv, message):
    out = home / "never"
    assert main(["search", "--out", str(out), "--seed", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scratchnn search: error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_lr_option_applies_to_every_optimizer_of_the_grid(home, capsys):
    # --lr used to be dropped when the grid varied the optimizer (each got its default rate)
    out = home / "opt"
    assert main(["search", "--grid", "optimizer=sgd,adam", "--lr", "0.3", "--cv", "2", "--epochs", "1",
                 "--seed", "0", "--out", str(out), "--quiet"]) == 0
    model = models.load_model(out / "model.scratchnn")
    assert type(model.optimizer).__name__.lower() == json.loads((out / "run.json").read_text())[
        "search"]["best_params"]["optimizer"]
    assert model.optimizer.learning_rate == pytest.approx(0.3)
    # a learning rate in the grid still reaches the optimizer the grid names
    out = home / "opt_lr"
    assert main(["search", "--grid", "optimizer=sgd", "--grid", "lr=0.02", "--cv", "2", "--epochs", "1",
                 "--seed", "0", "--out", str(out), "--quiet"]) == 0
    model = models.load_model(out / "model.scratchnn")
    assert type(model.optimizer).__name__ == "SGD" and model.optimizer.learning_rate == pytest.approx(0.02)


def test_search_report_lines_fit_in_100_characters(search_run):
    # results.txt began with the whole command on one line; "best refit ..." took 114 characters
    out, printed = search_run
    text = (out / "results.txt").read_text()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert max(len(line) for line in printed.splitlines()) <= 100
    assert text.startswith("scratchnn search --dataset breast_cancer")
