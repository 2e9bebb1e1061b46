"""The Train page's protocol over loopback: the ``stats`` events (per-layer statistics measured on
the training thread), the ``hint`` events of ``Diagnostics`` and their one-click fix, and
``/api/train/history``, from which a page that opens in the middle of a run draws it whole."""
import time

import numpy as np
import pytest

from scratchnn import layers, models, optimizers
from scratchnn.inspect import Diagnostics
from scratchnn.studio import Studio
from scratchnn.studio.train import FIXES, TrainLog, hint_fix

from .client import EventReader, get, post
from .test_live import FAST_STATS, data, fit_in_thread, small_model


def test_stats_events_carry_every_layers_statistics_every_few_batches(studio):
    reader = EventReader(studio)
    model = small_model()
    thread, _ = fit_in_thread(model, studio, epochs=2,                      # 32 steps per epoch
                              live={"stats_every": 5, "stats_interval": 0})
    thread.join(120)
    try:
        reader.wait_for(lambda e: e["kind"] == "train_end", timeout=20)
        stats = reader.kinds("stats")
        # recorded during steps 0, 5, 10, ... 60 (published after them: 1, 6, ... 61), and at the end
        assert [e["step"] for e in stats] == list(range(1, 64, 5)) + [64]
        first, last = stats[0], stats[-1]
        assert [r["layer"] for r in first["layers"]] == [layer.name for layer in model.layers]
        dense, out = first["layers"]
        assert 0 <= dense["dead_fraction"] <= 1 and "dead_fraction" not in out      # ReLU layers only
        assert dense["gradient_norm"] > 0 and 0 < dense["update_ratio"] < 1
        # the histograms: the initial ones are those of the first record, and count every kernel weight
        assert sum(first["initial"][dense["layer"]]["counts"]) == 4 * 16
        assert first["initial"] == first["histograms"] and last["initial"] == first["initial"]
        assert last["histograms"][dense["layer"]] != first["histograms"][dense["layer"]]
        # the final record describes the trained model itself
        kernel = model.layers[0].kernel.data
        assert last["layers"][0]["weight_std"] == pytest.approx(float(kernel.std()), rel=1e-6)
        assert "gradient_norm" not in last["layers"][0]              # no step follows the final record
        assert all(e["learning_rate"] == pytest.approx(0.01) for e in stats)
    finally:
        reader.close()


def test_stats_and_hints_can_be_turned_off(studio):
    reader = EventReader(studio)
    thread, _ = fit_in_thread(small_model(), studio, epochs=1, live={"stats": False, "hints": False})
    thread.join(120)
    reader.wait_for(lambda e: e["kind"] == "train_end", timeout=20)
    assert reader.kinds("stats") == [] and reader.kinds("batch")
    reader.close()


def diverging_model():
    model = models.Sequential([layers.Input((4,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=5.0), loss="mse")
    return model


def test_a_hint_comes_with_a_fix_that_one_post_applies(studio):
    reader = EventReader(studio)
    model = diverging_model()
    thread, _ = fit_in_thread(model, studio, epochs=500)
    try:
        hint = reader.wait_for(lambda e: e["kind"] == "hint", timeout=60)
        assert hint["hint"] == "learning_rate_too_high" and "learning rate too high" in hint["message"]
        assert hint["fix"] == {"action": "learning_rate", "value": 0.5, "label": "learning rate 5 -> 0.5"}
        fix = hint["fix"]
        status, _ = post(studio, "/api/control", {"action": fix["action"], "value": fix["value"]})
        assert status == 200
        applied = reader.wait_for(lambda e: e["kind"] == "control" and e["action"] == "learning_rate",
                                  timeout=20)
        assert applied["value"] == 0.5 and float(model.optimizer.learning_rate) == 0.5
        stats = reader.wait_for(lambda e: e["kind"] == "stats" and e["id"] > applied["id"], timeout=30)
        assert stats["learning_rate"] == 0.5                          # the page's "now:" follows it
        status, history = get(studio, "/api/train/history")
        assert history["hints"][0]["hint"] == "learning_rate_too_high"
        assert history["state"]["learning_rate"] == 0.5
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
        reader.close()


def test_every_diagnostics_hint_has_a_fix_or_is_known_to_have_none():
    assert set(Diagnostics.KINDS) == set(FIXES) | {"vanishing_gradients"}
    assert hint_fix("learning_rate_too_high", 0.003) == {
        "action": "learning_rate", "value": 0.0003, "label": "learning rate 0.003 -> 0.0003"}
    assert hint_fix("underfitting", 0.001)["value"] == 0.01
    assert hint_fix("overfitting", 0.001)["action"] == "stop"
    assert hint_fix("vanishing_gradients", 0.001) is None
    assert hint_fix("dead_relu", None) is None          # a schedule: no single value to divide


def test_history_lets_a_late_page_draw_the_whole_run_then_follow_it(studio):
    reader = EventReader(studio)
    model = small_model()
    thread, _ = fit_in_thread(model, studio, epochs=300, validation_split=0.25, live=FAST_STATS)
    try:
        reader.wait_for(lambda e: e["kind"] == "epoch" and e["epoch"] >= 2, timeout=60)
        post(studio, "/api/control", {"action": "pause"})
        reader.wait_for(lambda e: e["kind"] == "control" and e["action"] == "pause", timeout=20)
        time.sleep(0.2)
        status, h = get(studio, "/api/train/history")
        assert status == 200 and h["state"] == {"training": True, "paused": True, "learning_rate": 0.01}
        assert h["begin"]["epochs"] == 300 and h["end"] is None
        assert [e["epoch"] for e in h["epochs"]] == [e["epoch"] for e in reader.kinds("epoch")]
        assert h["batches"]["step"] == [e["step"] for e in reader.kinds("batch")]
        assert h["batches"]["loss"] == pytest.approx([e["loss"] for e in reader.kinds("batch")])
        assert [s["step"] for s in h["stats"]] == [e["step"] for e in reader.kinds("stats")]
        assert "histograms" not in h["stats"][0] and set(h["histograms"]) == {l.name for l in model.layers}
        assert [c["action"] for c in h["controls"]] == ["pause"]
        assert h["last_event"] == max(e["id"] for e in reader.kinds("control"))
        late = EventReader(studio, since=h["last_event"])           # then the page follows the stream
        post(studio, "/api/control", {"action": "resume"})
        first = late.wait_for(lambda e: True, timeout=20)
        assert first["id"] == h["last_event"] + 1 and first["kind"] == "control"
        late.close()
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
        reader.close()


def test_history_is_whole_when_the_bus_has_forgotten_the_first_events():
    with Studio(history=10) as studio:
        thread, box = fit_in_thread(small_model(), studio, epochs=4, live={"batch_rate": 1e9})
        thread.join(120)
        status, h = get(studio, "/api/train/history")
        assert len(studio.bus.events_after(0)) == 10
        assert [e["epoch"] for e in h["epochs"]] == [0, 1, 2, 3]
        assert h["batches"]["step"] == list(range(1, 4 * 32 + 1))    # every batch (no throttle)
        assert h["batches"]["loss"][-1] == pytest.approx(box["history"].history["loss"][-1])
        assert h["end"]["stopped"] is False and h["state"]["training"] is False


def test_train_log_keeps_batch_logs_as_columns_and_a_new_fit_starts_it_afresh():
    log = TrainLog()
    log.add({"id": 1, "kind": "train_begin", "step": 0})
    log.add({"id": 2, "kind": "batch", "time": 0.0, "step": 1, "epoch": 0, "batch": 0, "loss": 2.0})
    log.add({"id": 3, "kind": "batch", "time": 0.0, "step": 2, "epoch": 0, "batch": 1, "loss": 1.5,
             "accuracy": 0.5})
    log.add({"id": 4, "kind": "batch", "time": 0.0, "step": 3, "epoch": 0, "batch": 2, "accuracy": 0.75})
    snap = log.snapshot()
    assert snap["batches"] == {"step": [1, 2, 3], "epoch": [0, 0, 0], "loss": [2.0, 1.5, None],
                               "accuracy": [None, 0.5, 0.75]}
    assert snap["last_event"] == 4
    log.add({"id": 9, "kind": "train_begin", "step": 0})
    assert log.snapshot()["batches"]["step"] == [] and log.snapshot()["begin"]["id"] == 9


def test_live_refuses_bad_arguments_before_any_studio_starts():
    from scratchnn.studio import Live
    studio = Studio()
    for kwargs, words in (({"stats_every": 0}, "stats_every must be a positive integer"),
                          ({"probe_size": 2.5}, "probe_size must be a positive integer"),
                          ({"batch_rate": float("nan")}, "batch_rate"),
                          ({"notebook": "popup"}, "notebook must be 'iframe', 'link' or None")):
        with pytest.raises(ValueError, match=words):
            Live(studio, **kwargs)
    assert not studio.running
    np.testing.assert_equal(studio.bus.last_id, 0)


def test_batch_events_are_throttled_by_the_training_threads_clock_but_each_epochs_last_is_sent(studio):
    from scratchnn.studio import Live
    ticks = iter(np.arange(0.0, 1000.0, 1 / 64))      # each batch takes 1/64 s of processor time
    live = Live(studio, print_fn=None, batch_rate=16, stats=False, hints=False)   # one per 4/64 s
    live.clock = lambda: float(next(ticks))
    x, y = np.zeros((64, 4), "float32"), np.zeros((64, 1), "float32")
    small_model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[live])   # 16 steps per epoch
    steps = [e["step"] for e in studio.bus.events_after(0) if e["kind"] == "batch"]
    assert steps == [1, 5, 9, 13, 16, 20, 24, 28, 32]


def test_train_log_thins_long_runs_to_bounded_memory():
    log = TrainLog(max_points=8)
    for step in range(1, 21):
        log.add({"id": step, "kind": "batch", "step": step, "epoch": 0, "loss": 1.0 / step})
        log.add({"id": 100 + step, "kind": "stats", "step": step, "layers": [], "histograms": {}})
    snap = log.snapshot()
    assert 4 <= len(snap["batches"]["step"]) <= 8 and snap["batches"]["step"][0] == 1
    assert snap["batches"]["loss"] == [1.0 / s for s in snap["batches"]["step"]]     # rows stay aligned
    assert 4 <= len(snap["stats"]) <= 8
    with pytest.raises(ValueError, match="max_points must be at least 2"):
        TrainLog(max_points=1)


def test_live_keeps_only_what_it_still_needs_of_the_monitors_records(studio):
    from scratchnn.studio import Live
    live = Live(studio, print_fn=None, stats_every=1, stats_interval=0, hints=False)
    x, y = data()
    small_model().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[live])
    stats = [e for e in studio.bus.events_after(0) if e["kind"] == "stats"]
    assert len(stats) == 65                                       # every step, and the final record
    assert len(live.monitor.records) == 2                         # the newest record's two layers
    assert all(len(kept) == 2 for kept in live.monitor.weight_histograms.values())
    assert stats[-1]["initial"] == stats[0]["histograms"]         # the initial histograms survive
