"""A real (small) fit with ``Live``: batch and epoch events reach the stream, the controls pause,
resume, stop and change the learning rate, and pages can look inside the model while it trains."""
import threading
import time

import numpy as np
import pytest

from scratchnn import layers, models
from scratchnn.studio import Live

from .client import EventReader, get, post


#: ``Live`` arguments for tests: statistics every 4 batches, whatever the time between them.
FAST_STATS = {"stats_every": 4, "stats_interval": 0}


def small_model():
    model = models.Sequential([layers.Input((4,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def data(n=512):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def fit_in_thread(model, studio, epochs, batch_size=16, live=None, x=None, y=None, **kwargs):
    """``model.fit`` with a ``Live`` callback (``live``: its arguments) in a thread; returns the
    thread and a dict that receives the history."""
    if x is None:
        x, y = data()
    live = Live(studio, **{"print_fn": None, "batch_rate": 1000, **(live or {})})
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("history", model.fit(
        x, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=[live], **kwargs)), daemon=True)
    thread.start()
    return thread, box


def test_batch_and_epoch_events_of_a_real_fit_reach_the_stream(studio):
    reader = EventReader(studio)
    model = small_model()
    thread, box = fit_in_thread(model, studio, epochs=2, validation_split=0.25)
    thread.join(120)
    try:
        reader.wait_for(lambda e: e["kind"] == "train_end", timeout=20)
        batches, epochs = reader.kinds("batch"), reader.kinds("epoch")
        assert len(epochs) == 2
        history = box["history"].history
        for event, loss, val in zip(epochs, history["loss"], history["val_loss"]):
            assert event["loss"] == pytest.approx(loss) and event["val_loss"] == pytest.approx(val)
        assert batches and all({"step", "epoch", "loss"} <= set(e) for e in batches)
        steps = [e["step"] for e in batches]
        assert steps == sorted(steps) and steps[-1] == 2 * 24       # 384 samples / 16 per batch, 2 epochs
        assert epochs[0]["step"] == 24
    finally:
        reader.close()


def test_pause_resume_and_learning_rate_apply_between_batches(studio):
    reader = EventReader(studio)
    model = small_model()
    thread, _ = fit_in_thread(model, studio, epochs=200)
    try:
        reader.wait_for(lambda e: e["kind"] == "batch", timeout=30)
        assert post(studio, "/api/control", {"action": "pause"})[0] == 200
        paused = reader.wait_for(lambda e: e["kind"] == "control" and e["action"] == "pause", timeout=10)
        time.sleep(0.5)
        steps_while_paused = [e["step"] for e in reader.kinds("batch") if e["id"] > paused["id"]]
        assert len(set(steps_while_paused)) <= 1     # at most the batch that was already in flight
        # while paused, pages still see inside the model (the training thread answers them)
        status, info = get(studio, "/api/sources/info?source=live")
        assert status == 200 and [l["class"] for l in info["layers"]] == ["Dense", "Dense"]
        status, body = post(studio, "/api/control", {"action": "learning_rate", "value": -1})
        assert status == 400 and "positive" in body["error"]
        assert post(studio, "/api/control", {"action": "learning_rate", "value": 0.0123})[0] == 200
        assert post(studio, "/api/control", {"action": "resume"})[0] == 200
        reader.wait_for(lambda e: e["kind"] == "batch" and e["id"] > paused["id"], timeout=10)
        assert float(model.optimizer.learning_rate) == pytest.approx(0.0123)
        assert post(studio, "/api/control", {"action": "stop"})[0] == 200
        end = reader.wait_for(lambda e: e["kind"] == "train_end", timeout=30)
        assert end["stopped"] is True and end["epoch"] < 199
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
        reader.close()
    assert not thread.is_alive()


def test_one_more_epoch_runs_to_the_end_of_the_epoch_then_pauses(studio):
    reader = EventReader(studio)
    model = small_model()
    thread, _ = fit_in_thread(model, studio, epochs=50)
    try:
        reader.wait_for(lambda e: e["kind"] == "batch", timeout=30)
        post(studio, "/api/control", {"action": "pause"})
        reader.wait_for(lambda e: e["kind"] == "control" and e["action"] == "pause", timeout=10)
        post(studio, "/api/control", {"action": "epoch"})
        go = reader.wait_for(lambda e: e["kind"] == "control" and e["action"] == "epoch", timeout=10)
        auto = reader.wait_for(lambda e: e["kind"] == "control" and e["action"] == "pause"
                               and e["id"] > go["id"], timeout=30)
        assert auto["step"] % 32 == 0                   # 512 samples / 16 per batch
        epoch_events = [e for e in reader.kinds("epoch") if e["id"] < auto["id"]]
        assert epoch_events and epoch_events[-1]["step"] == auto["step"]
        time.sleep(0.4)
        assert max(e["step"] for e in reader.kinds("batch")) == auto["step"]   # paused at the epoch's end
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
        reader.close()


def test_controls_after_training_are_refused(studio):
    model = small_model()
    thread, _ = fit_in_thread(model, studio, epochs=1)
    thread.join(60)
    status, body = post(studio, "/api/control", {"action": "pause"})
    assert status == 409
    status, body = post(studio, "/api/control", {"action": "dance"})
    assert status == 400 and "unknown control" in body["error"]


def test_in_a_notebook_live_prints_the_url_and_shows_the_page_under_the_cell(monkeypatch):
    import sys
    import types

    from scratchnn.studio import Studio
    from scratchnn.studio.live import show_in_notebook

    shown, printed = [], []
    shell = types.SimpleNamespace(kernel=None)
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display = types.ModuleType("IPython.display")
    display.display = shown.append
    display.IFrame = lambda src, width, height: ("iframe", src, width, height)
    display.HTML = lambda html: ("html", html)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    assert show_in_notebook("http://127.0.0.1:1/train") is False      # a terminal IPython: no kernel
    assert shown == []
    shell.kernel = object()                                            # a notebook's kernel
    studio = Studio()
    try:
        x, y = data(64)
        small_model().fit(x, y, epochs=1, verbose=0, callbacks=[Live(studio, print_fn=printed.append)])
        assert printed == [f"studio: {studio.url}train"]
        assert shown == [("iframe", f"{studio.url}train", "100%", 760)]
        assert show_in_notebook(studio.url, how="link") is True
        assert shown[-1][0] == "html" and f'href="{studio.url}"' in shown[-1][1]
    finally:
        studio.stop()
    monkeypatch.setitem(sys.modules, "IPython", None)                  # IPython not installed
    assert show_in_notebook("http://127.0.0.1:1/train") is False
