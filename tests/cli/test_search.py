"""``scratchnn search`` (``scratchnn/cli/search.py``): ranked table, results.csv, heat map, best
model; bad arguments give one line and exit status 2 before anything trains. ``--dask-scheduler``:
a LocalCluster (2 worker processes on loopback) writes the serial results; no Dask, no scheduler
and --n-jobs with it are one-line errors.
"""
import csv
import json
import sys

import numpy as np
import pytest

from scratchnn import models
from scratchnn.cli import data, main
from scratchnn.cli import search as cli_search

from tests.helpers import local_dask_cluster

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


# ------------------------------------------------------------------ --dask-scheduler
TIMES = ("mean_fit_time", "std_fit_time", "mean_score_time")


def test_a_search_on_a_dask_cluster_writes_the_serial_results(home, capsys):
    argv = ["search", "--grid", "lr=0.001,0.01", "--grid", "hidden=4,8", "--cv", "2", "--epochs", "1",
            "--seed", "3", "--quiet"]
    assert main([*argv, "--out", str(home / "here")]) == 0
    with local_dask_cluster(2) as address:
        assert main([*argv, "--out", str(home / "dask"), "--dask-scheduler", address]) == 0
    printed = capsys.readouterr().out
    assert f"(Dask scheduler {address})" in printed
    here, there = _csv(home / "here" / "results.csv"), _csv(home / "dask" / "results.csv")
    assert len(here) == 4
    assert [{k: v for k, v in r.items() if k not in TIMES} for r in here] == \
           [{k: v for k, v in r.items() if k not in TIMES} for r in there]
    record = json.loads((home / "dask" / "run.json").read_text())
    assert record["search"]["dask_scheduler"] == address
    assert record["test"] == json.loads((home / "here" / "run.json").read_text())["test"]


def _one_line_error(capsys, argv, status):
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith("scratchnn search: error: ") and err.count("\n") == 1
    return err


def test_dask_scheduler_errors_are_one_line(home, capsys, monkeypatch):
    argv = ["search", "--grid", "lr=0.01", "--cv", "2", "--epochs", "1", "--seed", "0", "--quiet",
            "--out", str(home / "never")]
    err = _one_line_error(capsys, [*argv, "--n-jobs", "2", "--dask-scheduler", "tcp://127.0.0.1:8786"], 2)
    assert "give --n-jobs 2 (processes on this machine) or --dask-scheduler tcp://127.0.0.1:8786" in err
    # no scheduler listens on the discard port: a clear line once the (shortened) wait is over
    pytest.importorskip("dask.distributed", reason="the scratchnn[dask] extra is not installed")
    monkeypatch.setattr(cli_search, "DASK_CONNECT_TIMEOUT", 1)
    err = _one_line_error(capsys, [*argv, "--dask-scheduler", "tcp://127.0.0.1:9"], 1)
    assert "--dask-scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s" in err
    assert not (home / "never").exists()


def test_dask_scheduler_without_dask_names_the_extra(home, capsys, monkeypatch):
    for name in ("dask", "dask.distributed", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)          # import fails, as without the package
    err = _one_line_error(capsys, ["search", "--grid", "lr=0.01", "--seed", "0", "--quiet", "--out",
                                   str(home / "never"), "--dask-scheduler", "tcp://127.0.0.1:8786"], 1)
    assert "--dask-scheduler needs Dask, which is not installed" in err
    assert "pip install 'scratchnn[dask]'" in err
    assert not (home / "never").exists()
