"""``scratchnn evaluate`` and ``scratchnn predict`` (``scratchnn/cli/use.py``): the recorded
results reproduced, per-class reports, ``--report`` (confusion matrix, ROC AUC and curves),
pictures read and ranked.
"""
import json

import numpy as np
import pytest

from scratchnn import models
from scratchnn.cli import data, main

from tests.cli.helpers import run_train

PNG = b"\x89PNG\r\n\x1a\n"


def test_evaluate_prints_loss_accuracy_and_per_class_report(mnist_run, capsys, mnist_mirror):
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


def test_predict_reads_pictures_and_ranks_classes(mnist_run, tmp_path, capsys, mnist_mirror):
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
        shown = [p.split("%")[0] for p in line.split("(")[1:]]          # "<0.1": below 0.05%
        probs = [0.0 if p.startswith("<") else float(p) for p in shown]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 100.05


def test_predict_explains_unreadable_pictures(mnist_run, tmp_path, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    assert main(["predict", str(mnist_run), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cannot read image" in err and "notes.png" in err and "Traceback" not in err
    assert main(["predict", str(mnist_run), str(tmp_path / "missing.png")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_evaluate_a_table_model_without_its_run_record(home, capsys):
    assert run_train(home / "runs", "t", "--dataset", "iris", "--epochs", "3", "--seed", "0") == 0
    lone = home / "lone"
    lone.mkdir()
    (lone / "m.scratchnn").write_bytes((home / "runs" / "t" / "model.scratchnn").read_bytes())
    capsys.readouterr()
    assert main(["evaluate", str(lone / "m.scratchnn"), "--dataset", "iris"]) == 0
    out = capsys.readouterr().out
    assert "evaluating on all 150 rows of iris" in out and "(150 samples)" in out


def test_evaluate_report_prints_the_confusion_matrix_and_auc_and_writes_the_curves(search_run, capsys):
    skm = pytest.importorskip("sklearn.metrics")
    out, _ = search_run
    assert main(["evaluate", str(out)]) == 0                      # default: as before, no figure
    assert "confusion matrix" not in capsys.readouterr().out
    assert not (out / "roc_curve.png").exists()
    assert main(["evaluate", str(out), "--report"]) == 0
    printed = capsys.readouterr().out
    model = models.load_model(out / "model.scratchnn")
    _, (x_test, y_test), _ = data.load(data.task("breast_cancer"), 0, verbose=False)
    p = model.predict(x_test, verbose=0)[:, 0]
    assert f"ROC AUC {skm.roc_auc_score(y_test, p):.4f}" in printed
    assert f"average precision {skm.average_precision_score(y_test, p):.4f}" in printed
    counts = skm.confusion_matrix(y_test, p >= 0.5)
    lines = printed.splitlines()
    at = lines.index("confusion matrix (rows: true class, columns: predicted class):")
    assert lines[at + 1].split() == ["malignant", "benign"]
    assert lines[at + 2].split() == ["malignant"] + [str(c) for c in counts[0]]
    assert lines[at + 3].split() == ["benign"] + [str(c) for c in counts[1]]
    for name in ("roc_curve.png", "precision_recall_curve.png"):
        assert (out / name).read_bytes()[:8] == PNG
        assert str(out / name) in printed
        (out / name).unlink()                                     # leave the run as the other test expects


def test_evaluate_report_on_three_classes_prints_the_one_vs_rest_auc(home, capsys, monkeypatch):
    skm = pytest.importorskip("sklearn.metrics")
    out = home / "iris"
    assert main(["search", "--dataset", "iris", "--grid", "hidden=4,8", "--cv", "2", "--epochs", "2",
                 "--seed", "3", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), "--report"]) == 0
    printed = capsys.readouterr().out
    model = models.load_model(out / "model.scratchnn")
    _, (x_test, y_test), _ = data.load(data.task("iris"), 3, verbose=False)
    p = model.predict(x_test, verbose=0).astype(np.float64)
    auc = skm.roc_auc_score(y_test, p / p.sum(axis=1, keepdims=True), multi_class="ovr")
    assert f"ROC AUC, one vs rest, macro average: {auc:.4f}" in printed
    assert not (out / "roc_curve.png").exists()
    # a class absent from the test set: its one-vs-rest area is undefined (it used to print "nan")
    load = data.load

    def without_virginica(*args, **kwargs):
        train, (x, y), names = load(*args, **kwargs)
        return train, (x[y != 2], y[y != 2]), names

    monkeypatch.setattr(data, "load", without_virginica)
    assert main(["evaluate", str(out), "--report"]) == 0
    captured = capsys.readouterr()
    assert "ROC AUC (one vs rest): undefined (no test sample of virginica)" in captured.out
    assert "nan" not in captured.out and "Warning" not in captured.err
