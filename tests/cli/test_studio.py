"""``scratchnn train --studio`` and ``scratchnn studio``, run as a user runs them (a subprocess),
read over loopback: the events of the training, a clean stop from the page, the run folders served
afterwards, Ctrl-C; and the options' errors."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from scratchnn.cli import main
from scratchnn.cli.studio import run_folders
from scratchnn.cli.errors import CLIError

from tests.studio.client import EventReader, get, post

SRC = str(Path(__file__).resolve().parents[2] / "src")


class Command:
    """``python -m scratchnn ARGS`` in a subprocess; its output lines are collected by a thread."""

    def __init__(self, tmp_path, *argv):
        env = {**os.environ, "PYTHONPATH": SRC, "SCRATCHNN_HOME": str(tmp_path / "home"),
               "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "scratchnn", *argv], cwd=tmp_path, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()

    def wait_for_line(self, pattern, timeout=120.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in list(self.lines):
                found = re.search(pattern, line)
                if found:
                    return found
            if self.process.poll() is not None and not any(re.search(pattern, x) for x in self.lines):
                time.sleep(0.2)
                if not any(re.search(pattern, x) for x in self.lines):
                    break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r}; output:\n{''.join(self.lines)}")

    def studio(self):
        """The studio the command printed: ``url``, ``port`` and the ``token`` of its pages."""
        url = self.wait_for_line(r"studio: (http://127\.0\.0\.1:(\d+)/)")
        server = types.SimpleNamespace(url=url[1], port=int(url[2]), token=None)
        status, page = get(server, "/train")
        assert status == 200
        server.token = re.search(rb'name="studio-token" content="([^"]+)"', page)[1].decode()
        return server

    def interrupt(self, timeout=60):
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def test_train_studio_streams_the_fit_then_serves_the_run_until_ctrl_c(tmp_path):
    command = Command(tmp_path, "train", "--dataset", "iris", "--epochs", "12", "--seed", "0", "--studio",
                      "--no-browser", "--name", "live", "--quiet")
    try:
        studio = command.studio()
        reader = EventReader(studio)
        end = reader.wait_for(lambda e: e["kind"] == "train_end", timeout=120)
        assert end["stopped"] is False
        epochs = reader.kinds("epoch")
        assert [e["epoch"] for e in epochs] == list(range(12))
        assert all({"loss", "accuracy", "val_loss", "val_accuracy"} <= set(e) for e in epochs)
        stats = reader.kinds("stats")
        assert stats and {r["layer"] for r in stats[-1]["layers"]} == {"hidden_1", "output"}
        command.wait_for_line(r"still serving .*Ctrl-C")          # the command has not exited
        assert command.process.poll() is None
        status, runs = get(studio, "/api/runs")
        assert status == 200 and [r["name"] for r in runs["runs"]] == ["live"]
        status, history = get(studio, "/api/runs/history?run=live")
        assert history["columns"]["epoch"] == list(range(12))
        assert history["columns"]["loss"] == pytest.approx([e["loss"] for e in epochs])
        reader.close()
        assert command.interrupt() == 0
    finally:
        command.kill()
    assert (tmp_path / "runs" / "live" / "model.scratchnn").is_file()


def test_a_stop_from_the_page_ends_the_fit_cleanly_and_the_run_folder_is_written(tmp_path):
    command = Command(tmp_path, "train", "--dataset", "iris", "--epochs", "5000", "--seed", "0", "--studio",
                      "--no-browser", "--studio-exit", "--name", "stopped", "--quiet")
    try:
        studio = command.studio()
        reader = EventReader(studio)
        reader.wait_for(lambda e: e["kind"] == "epoch" and e["epoch"] >= 2, timeout=120)
        status, body = post(studio, "/api/control", {"action": "stop"}, token=False)
        assert status == 403 and "token" in body["error"]
        assert post(studio, "/api/control", {"action": "stop"})[0] == 200
        end = reader.wait_for(lambda e: e["kind"] == "train_end", timeout=60)
        assert end["stopped"] is True
        assert command.process.wait(120) == 0                      # --studio-exit: no Ctrl-C needed
    finally:
        command.kill()
    folder = tmp_path / "runs" / "stopped"
    record = json.loads((folder / "run.json").read_text())
    assert 3 <= record["epochs_run"] < 5000 and record["epochs_run"] == end["epoch"] + 1
    assert len((folder / "history.csv").read_text().splitlines()) == record["epochs_run"] + 1
    assert (folder / "model.scratchnn").is_file() and "accuracy" in record["test"]


def test_studio_command_serves_the_run_folders_it_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHNN_HOME", str(tmp_path / "home"))
    for name in ("a", "b"):
        assert main(["train", "--dataset", "iris", "--epochs", "2", "--seed", "1",
                     "--out", str(tmp_path / "runs"), "--name", name, "--quiet"]) == 0
    (tmp_path / "runs" / "notes").mkdir()                          # not a run folder: left out
    command = Command(tmp_path, "studio", "runs", "--no-browser")
    try:
        studio = command.studio()
        status, runs = get(studio, "/api/runs")
        assert [r["name"] for r in runs["runs"]] == ["a", "b"] and all(r["has_model"] for r in runs["runs"])
        status, _ = get(studio, "/runs/a/../b/run.json")
        assert status == 404
        assert command.interrupt() == 0
    finally:
        command.kill()


def test_run_folders_and_the_options_errors(tmp_path, capsys):
    with pytest.raises(CLIError, match="no such folder"):
        run_folders([str(tmp_path / "missing")])
    with pytest.raises(CLIError, match="not a run folder"):
        run_folders([str(tmp_path)])
    assert main(["train", "--dataset", "iris", "--studio-exit"]) == 2
    assert "--studio-exit is an option of the studio: add --studio" in capsys.readouterr().err
    assert main(["train", "--dataset", "iris", "--studio", "--distributed"]) == 2
    assert "cannot be combined with --distributed" in capsys.readouterr().err
    assert main(["studio", str(tmp_path / "missing"), "--no-browser"]) == 2
    assert "missing: no such folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["studio", "--port", "70000"])
    assert exit_.value.code == 2
    assert "expected a port number in 0..65535, got 70000" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--studio-exti"])
    assert "did you mean --studio-exit?" in capsys.readouterr().err


def test_train_studio_opens_the_train_page_in_a_browser_unless_told_not_to(tmp_path, monkeypatch, capsys):
    import webbrowser
    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    monkeypatch.setenv("SCRATCHNN_HOME", str(tmp_path / "home"))
    argv = ["train", "--dataset", "iris", "--epochs", "2", "--out", str(tmp_path / "runs"), "--quiet",
            "--studio", "--studio-exit"]
    assert main(argv + ["--name", "a"]) == 0
    url = re.search(r"studio: (http://127\.0\.0\.1:\d+/train)", capsys.readouterr().out)[1]
    assert opened == [url]
    assert main(argv + ["--name", "b", "--no-browser"]) == 0
    assert len(opened) == 1 and "studio: http://127.0.0.1:" in capsys.readouterr().out


def test_a_tensorboard_log_dir_is_a_run_folder_alone_or_inside_a_folder(tmp_path):
    log_dir = tmp_path / "logs" / "fit-1"
    (log_dir / "train").mkdir(parents=True)
    (log_dir / "train" / "events.out.tfevents.1.host").write_bytes(b"")
    (tmp_path / "logs" / "notes").mkdir()
    assert run_folders([str(log_dir)]) == [str(log_dir)]
    assert run_folders([str(tmp_path / "logs")]) == [str(log_dir)]
    with pytest.raises(CLIError, match="TensorBoard event files"):
        run_folders([str(tmp_path / "logs" / "notes")])
