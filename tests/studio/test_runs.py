"""Run folders: listed with their settings, history read as columns, files served from inside the
folder only."""
import json

import pytest

from scratchnn.studio import Studio

from .client import get, raw_request


@pytest.fixture
def run_studio(tmp_path):
    run = tmp_path / "runs" / "mnist-a"
    run.mkdir(parents=True)
    (run / "history.csv").write_text("epoch,loss,accuracy,val_loss\n0,0.5,0.8,0.4\n1,0.3,0.9,nan\n")
    (run / "run.json").write_text(json.dumps({"dataset": "mnist", "epochs": 2}))
    (tmp_path / "runs" / "secret.txt").write_text("not yours")
    s = Studio(runs=[str(run)])
    s.start()
    yield s
    s.stop()


def test_runs_are_listed_with_settings_and_files(run_studio):
    status, body = get(run_studio, "/api/runs")
    assert status == 200
    (run,) = body["runs"]
    assert run["name"] == "mnist-a" and run["settings"] == {"dataset": "mnist", "epochs": 2}
    assert {f["name"] for f in run["files"]} == {"history.csv", "run.json"} and run["has_model"] is False


def test_history_is_read_as_columns_with_nan_as_null(run_studio):
    status, body = get(run_studio, "/api/runs/history?run=mnist-a")
    assert body["columns"] == {"epoch": [0.0, 1.0], "loss": [0.5, 0.3], "accuracy": [0.8, 0.9],
                               "val_loss": [0.4, None]}
    status, body = get(run_studio, "/api/runs/history?run=nope")
    assert status == 404 and "mnist-a" in body["error"]


@pytest.mark.parametrize("path", ["/runs/mnist-a/../secret.txt", "/runs/mnist-a/%2e%2e/secret.txt",
                                  "/runs/mnist-a/..%2fsecret.txt", "/runs/../runs/secret.txt",
                                  "/runs/mnist-a/"])
def test_nothing_outside_a_run_folder_is_served(run_studio, path):
    reply = raw_request(run_studio, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{run_studio.port}\r\n"
                                    "Connection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 404"), reply[:60]
    assert b"not yours" not in reply


def test_a_run_file_is_served(run_studio):
    status, body = get(run_studio, "/runs/mnist-a/history.csv")
    assert status == 200 and body.startswith(b"epoch,loss")


def test_a_missing_run_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Studio(runs=[str(tmp_path / "ghost")])
