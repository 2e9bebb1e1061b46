"""The Compare page's endpoint (``studio/compare.py``) on run folders of the real ``scratchnn
train`` (two small runs on iris that differ in seed, learning rate and hidden layers) and one
written by hand in train's format with other metrics and fewer epochs: the curves are the
histories' columns, the settings table lines the runs' ``run.json`` up and marks what differs."""
import csv
import json

import pytest

from scratchnn.cli import main
from scratchnn.studio import Studio
from scratchnn.studio.compare import flatten, metric_order, settings_table

from .client import get

IRIS_RUNS = {"iris-a": ("--epochs", "4", "--seed", "0"),
             "iris-b": ("--epochs", "6", "--seed", "1", "--lr", "0.01", "--hidden", "8")}


def make_runs(out, monkeypatch):
    """Two iris runs of the real ``scratchnn train`` and a hand-written regression run."""
    monkeypatch.setenv("SCRATCHNN_HOME", str(out / "home"))
    for name, extra in IRIS_RUNS.items():
        assert main(["train", "--out", str(out), "--name", name, "--quiet", "--dataset", "iris", *extra]) == 0
    hand = out / "by-hand"
    hand.mkdir()
    (hand / "history.csv").write_text("epoch,loss,mae,val_loss,val_mae\n"
                                      "0,2.5,1.2,2.0,1.1\n1,1.5,0.9,nan,0.8\n")
    (hand / "run.json").write_text(json.dumps({"dataset": "diabetes", "kind": "table", "task": "regression",
                                               "seed": 3, "epochs_run": 2,
                                               "options": {"lr": 0.1, "model": "mlp"},
                                               "test": {"loss": 1.25, "mae": 0.75}}))
    return [out / name for name in (*IRIS_RUNS, "by-hand")]


@pytest.fixture(scope="module")
def run_folders(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        return make_runs(tmp_path_factory.mktemp("compare"), mp)


@pytest.fixture
def compare_studio(run_folders):
    s = Studio(runs=[str(f) for f in run_folders])
    s.start()
    yield s
    s.stop()


def _csv_columns(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def test_the_curves_are_the_history_columns_of_each_run(compare_studio, run_folders):
    status, body = get(compare_studio, "/api/compare")
    assert status == 200, body
    assert [r["name"] for r in body["runs"]] == ["by-hand", "iris-a", "iris-b"]
    assert [r["epochs"] for r in body["runs"]] == [2, 4, 6] and all(r["has_history"] for r in body["runs"])
    assert body["metrics"] == ["loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae"]
    for folder in run_folders[:2]:
        want = _csv_columns(folder / "history.csv")
        got = body["histories"][folder.name]
        assert got["epoch"] == [e + 1 for e in want.pop("epoch")]          # shown from epoch 1
        assert set(got) - {"epoch"} == set(want)
        for metric, values in want.items():
            assert got[metric] == pytest.approx(values, rel=1e-12), metric
    assert body["histories"]["by-hand"] == {"epoch": [1.0, 2.0], "loss": [2.5, 1.5], "mae": [1.2, 0.9],
                                            "val_loss": [2.0, None], "val_mae": [1.1, 0.8]}


def test_the_settings_line_up_and_the_differences_are_marked(compare_studio, run_folders):
    status, body = get(compare_studio, "/api/compare?runs=iris-a,iris-b")
    assert status == 200 and [r["name"] for r in body["runs"]] == ["iris-a", "iris-b"]
    assert body["metrics"] == ["loss", "val_loss", "accuracy", "val_accuracy"]
    rows = {row["key"]: row for row in body["settings"]}
    records = [json.loads((f / "run.json").read_text()) for f in run_folders[:2]]
    for key in ("seed", "epochs_run", "options.lr", "options.hidden", "test.accuracy", "test.loss"):
        head, _, leaf = key.rpartition(".")
        want = [(r[head] if head else r)[leaf] for r in records]
        want = [", ".join(map(str, v)) if isinstance(v, list) else v for v in want]     # lists: joined
        assert rows[key]["values"] == want and rows[key]["differs"] == (want[0] != want[1]), key
    assert rows["options.lr"]["values"] == [None, 0.01] and rows["options.lr"]["differs"]
    assert rows["options.hidden"]["values"] == [None, "8"] and rows["seed"]["values"] == [0, 1]
    assert not rows["dataset"]["differs"] and rows["dataset"]["values"] == ["iris", "iris"]
    assert rows["class_names"]["values"] == ["setosa, versicolor, virginica"] * 2
    # not shown: the command line, timings, the output folder and name; options stated as resolved
    assert not {"command", "options.out", "options.name", "options.seed", "options.batch_size"} & set(rows)
    assert rows["options.epochs"]["values"] == [4, 6]                 # asked for; epochs_run: what ran
    assert not any(k.startswith("seconds.") for k in rows)
    keys = [row["key"] for row in body["settings"]]
    assert keys.index("dataset") < keys.index("options.lr") < keys.index("seed") < keys.index("test.accuracy")


def test_a_missing_setting_is_marked_apart_from_a_differing_one_and_all_defaults_are_left_out():
    records = [flatten({"seed": 1, "test": {"mae": 0.5}, "options": {"lr": None, "hidden": None}}),
               flatten({"seed": 1, "options": {"lr": 0.1, "hidden": None}}),
               flatten({"seed": 2, "test": {"mae": 0.5}})]
    rows = {r["key"]: r for r in settings_table(records)}
    assert rows["test.mae"] == {"key": "test.mae", "values": [0.5, {"missing": True}, 0.5], "differs": False,
                                "missing": True}
    assert rows["seed"] == {"key": "seed", "values": [1, 1, 2], "differs": True, "missing": False}
    assert rows["options.lr"]["values"] == [None, 0.1, {"missing": True}] and rows["options.lr"]["differs"]
    assert "options.hidden" not in rows                              # null (the default) wherever given


def test_metric_order_puts_loss_first_and_each_validation_twin_after_its_metric():
    names = ["val_mae", "epoch", "accuracy", "loss", "val_accuracy", "mae", "val_loss", "lr"]
    assert metric_order(names) == \
        ["loss", "val_loss", "accuracy", "val_accuracy", "lr", "mae", "val_mae"]


@pytest.mark.parametrize("runs", ["iris-a,ghost", "iris-a,iris-a"])
def test_unknown_or_repeated_runs_are_a_400_naming_the_argument(compare_studio, runs):
    status, body = get(compare_studio, f"/api/compare?runs={runs}")
    assert status == 400
    assert "'runs'" in body["error"] and "iris-b" in body["error"] and repr(runs) in body["error"]


def test_a_run_without_history_is_listed_without_curves(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "run.json").write_text('{"dataset": "iris"}')
    with Studio(runs=[str(tmp_path / "empty")]) as studio:
        status, body = get(studio, "/api/compare")
    assert status == 200 and body["runs"] == [{"name": "empty", "epochs": 0, "has_history": False}]
    assert body["metrics"] == [] and body["histories"] == {"empty": {"epoch": []}}
    assert body["settings"] == [{"key": "dataset", "values": ["iris"], "differs": False, "missing": False}]
