"""The Playground over loopback: the configuration is checked field by field (400 errors that
name the field); a session trains a real scratchnn network in a background thread (the loss
falls, the decision-boundary grid separates the classes), obeys pause / step / stop, and keeps its
large frames off the event bus; the controls need the token."""
import base64
import json
import time

import numpy as np
import pytest

from scratchnn.studio import EventBus, Studio, StudioError
from scratchnn.studio.playground import MAX_CURVE, PlaygroundSession
from scratchnn.studio.playground_lessons import GRID, UNIT_GRID, parse_config, to_query

from .client import get, post

def wait_for(predicate, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


def run_session(timeout=120.0, **config):
    """A session trained to its ``epochs`` (it then pauses as finished), then stopped; its state
    before the stop is kept as ``session.reached``."""
    session = PlaygroundSession("t", parse_config(config), EventBus())
    session.start()
    try:
        wait_for(lambda: session.state != "running", timeout)
        session.reached = session.state
    finally:
        session.stop()
    return session


def grid_accuracy(frame, x, y):
    """How often the grid cell under each point predicts that point's label."""
    size, extent = frame["grid"]["size"], frame["grid"]["extent"]
    p = np.asarray(frame["grid"]["output"]).reshape(size, size)
    col = np.clip(((x[:, 0] + extent) / (2 * extent) * size).astype(int), 0, size - 1)
    row = np.clip(((extent - x[:, 1]) / (2 * extent) * size).astype(int), 0, size - 1)
    return float(np.mean((p[row, col] > 0.5) == (y == 1)))


def frame_of(session):
    return json.loads(session.frame()[1])


@pytest.mark.parametrize("field, value, expected", [
    ("dataset", "mnist", "one of ['circles'"),
    ("hidden", [4, 40], "each an integer in [1, 32]"),
    ("hidden", [1, 1, 1, 1, 1, 1, 1], "0 to 6 layer sizes"),
    ("hidden", "4,x", "0 to 6 layer sizes"),
    ("hidden", [2.5], "each an integer"),
    ("features", "", "a non-empty list of distinct names"),
    ("features", "x1,x3", "from ['x1', 'x2', 'x1sq'"),
    ("features", ["x1", "x1"], "distinct names"),
    ("features", 12, "a non-empty list"),
    ("points", 5000, "an integer in [20, 2000]"),
    ("points", 10.5, "an integer in [20, 2000]"),
    ("points", True, "an integer"),
    ("noise", -0.1, "a number in [0, 0.5]"),
    ("learning_rate", "nan", "a number in [1e-05, 10]"),
    ("learning_rate", "fast", "a number in [1e-05, 10]"),
    ("batch_size", 0, "an integer in [1, 2000]"),
    ("activation", "softmax", "one of ['tanh'"),
    ("optimizer", 3, "one of ['adam'"),
])
def test_a_bad_setting_gets_a_400_naming_the_field_what_it_expects_and_what_it_got(studio, field, value,
                                                                                       expected):
    status, body = post(studio, "/api/playground/start", {"config": {field: value}})
    assert status == 400
    assert f"'{field}'" in body["error"] and expected in body["error"] and repr(value) in body["error"]
    assert studio.state["playground"].session is None          # nothing was started


def test_other_bad_starts_are_refused(studio):
    status, body = post(studio, "/api/playground/start", {"config": {"layers": 3}})
    assert status == 400 and "unknown setting 'layers'" in body["error"]
    status, body = post(studio, "/api/playground/start", {"config": {"points": 50, "batch_size": 60}})
    assert status == 400 and "'batch_size'" in body["error"] and "at most points (50)" in body["error"]
    status, body = post(studio, "/api/playground/start", {"config": {}, "paused": "yes"})
    assert status == 400 and "'paused'" in body["error"]
    status, body = post(studio, "/api/playground/start", {"config": [1, 2]})
    assert status == 400 and "must be an object" in body["error"]


def test_a_refused_start_leaves_the_running_session_alone(studio):
    status, first = post(studio, "/api/playground/start", {"config": {"dataset": "moons"}, "paused": True})
    assert status == 200
    status, _ = post(studio, "/api/playground/start", {"config": {"hidden": [99]}})
    assert status == 400
    status, state = get(studio, "/api/playground/state")
    assert state["session"] == first["session"] and state["config"]["dataset"] == "moons"


def test_the_controls_need_the_token_and_reading_does_not(studio):
    status, body = post(studio, "/api/playground/start", {"config": {}}, token=False)
    assert status == 403 and "token" in body["error"]
    status, body = post(studio, "/api/playground/start", {"config": {}}, token="guess")
    assert status == 403
    assert studio.state["playground"].session is None
    status, body = get(studio, "/api/playground/state")
    assert status == 200 and body["session"] is None
    status, body = get(studio, "/api/playground/frame")
    assert status == 404 and "no playground session" in body["error"]
    status, _ = post(studio, "/api/playground/start", {"config": {}, "paused": True})
    assert status == 200
    for query, word in (("wait=nan", "'wait'"), ("wait=-1", "'wait'"), ("after=x", "'after'")):
        status, body = get(studio, "/api/playground/frame?" + query)
        assert status == 400 and word in body["error"], query
    status, body = post(studio, "/api/playground/control", {"action": "resume"}, token=False)
    assert status == 403
    assert studio.state["playground"].session.state == "paused"


# ----------------------------------------------------------------------------- training

def test_a_hidden_layer_learns_xor_and_the_grid_separates_the_classes():
    session = run_session(dataset="xor", hidden=[4, 4], epochs=40, seed=0)
    assert session.reached == "finished" and session.epoch == 40
    curve = session.curve
    assert curve["epoch"] == list(range(41))
    assert curve["train"][0] > 0.5 and curve["train"][-1] < 0.1 and curve["test"][-1] < 0.15
    frame = frame_of(session)
    assert frame["test_accuracy"] >= 0.95
    assert len(frame["grid"]["output"]) == GRID * GRID
    assert grid_accuracy(frame, session.x_train, session.y_train) >= 0.95
    assert grid_accuracy(frame, session.x_test, session.y_test) >= 0.9
    # each hidden unit on the unit grid; the weights as the model holds them
    assert [layer["units"] for layer in frame["units"]["layers"]] == [4, 4]
    for layer in frame["units"]["layers"]:
        assert len(base64.b64decode(layer["data"])) == layer["units"] * UNIT_GRID ** 2
    shapes = [(np.shape(w["kernel"]), np.shape(w["bias"])) for w in frame["weights"]]
    assert shapes == [((2, 4), (4,)), ((4, 4), (4,)), ((4, 1), (1,))]
    assert np.allclose(frame["weights"][0]["kernel"], session.model.layers[0].get_weights()[0], atol=1e-4)


def test_circles_are_learned_and_a_network_without_hidden_layers_cannot_learn_xor():
    circles = run_session(dataset="circles", hidden=[6], epochs=60, seed=0)
    assert circles.curve["train"][-1] < 0.1
    frame = frame_of(circles)
    assert grid_accuracy(frame, circles.x_test, circles.y_test) >= 0.9
    linear = run_session(dataset="xor", hidden=[], epochs=40, seed=0)
    assert linear.accuracy["train"] < 0.8 and linear.curve["train"][-1] > 0.5
    assert frame_of(linear)["units"]["layers"] == []


def test_resume_after_finishing_trains_as_many_epochs_again():
    session = PlaygroundSession("t", parse_config({"epochs": 3, "points": 60}), EventBus())
    session.start()
    try:
        wait_for(lambda: session.state == "finished")
        assert session.epoch == 3 and "resume" in session.message
        session.request("resume")
        wait_for(lambda: session.state == "finished" and session.epoch == 6)
        assert session.curve["epoch"] == list(range(7))
    finally:
        session.stop()


def test_squared_inputs_let_a_network_without_hidden_layers_separate_the_circles():
    plain = run_session(dataset="circles", hidden=[], epochs=40, seed=0)
    squares = run_session(dataset="circles", hidden=[], features=["x1sq", "x2sq"], epochs=40, seed=0)
    assert plain.accuracy["train"] < 0.75
    assert squares.accuracy["train"] >= 0.95 and squares.curve["train"][-1] < 0.3
    frame = frame_of(squares)
    assert grid_accuracy(frame, squares.x_test, squares.y_test) >= 0.9
    inputs = frame["units"]["inputs"]                       # each input's own heatmap
    assert inputs["units"] == 2 and len(base64.b64decode(inputs["data"])) == 2 * UNIT_GRID ** 2
    assert np.shape(frame["weights"][0]["kernel"]) == (2, 1)


def test_the_same_seed_trains_the_same_curve():
    a = run_session(dataset="moons", hidden=[5], epochs=8, seed=7, optimizer="sgd", learning_rate=0.3)
    b = run_session(dataset="moons", hidden=[5], epochs=8, seed=7, optimizer="sgd", learning_rate=0.3)
    c = run_session(dataset="moons", hidden=[5], epochs=8, seed=8, optimizer="sgd", learning_rate=0.3)
    assert a.curve == b.curve and a.curve != c.curve


def test_the_l2_penalty_keeps_the_weights_smaller():
    free = run_session(dataset="circles", hidden=[8], epochs=30, seed=0)
    held = run_session(dataset="circles", hidden=[8], epochs=30, seed=0, l2=0.01)

    def norm(session):       # the sum of the squared kernels
        return sum(float(np.sum(layer.get_weights()[0] ** 2)) for layer in session.model.layers)
    assert norm(held) < 0.7 * norm(free)


def test_a_diverging_run_is_reported_as_failed_with_a_hint():
    session = run_session(dataset="spirals", hidden=[32, 32, 32], activation="linear", optimizer="sgd",
                          learning_rate=10.0, batch_size=1, epochs=50, seed=0)
    assert session.reached == session.state == "failed" and "lower the learning rate" in session.message


def test_the_loss_curve_is_thinned_not_unbounded():
    session = PlaygroundSession("t", parse_config({}), EventBus(), paused=True)
    for _ in range(MAX_CURVE + 10):
        session.measure()
    assert MAX_CURVE // 2 < len(session.curve["epoch"]) <= MAX_CURVE


# ----------------------------------------------------------------------------- over loopback

def test_start_pause_step_resume_and_stop_over_loopback(studio):
    status, started = post(studio, "/api/playground/start",
                           {"config": {"dataset": "gaussians", "points": 200, "epochs": 100000}})
    assert status == 200 and started["state"] == "running"
    assert started["query"] == to_query(started["config"])
    assert len(started["points"]["train"]["y"]) == 140 and len(started["points"]["test"]["y"]) == 60
    session = studio.state["playground"].session
    wait_for(lambda: session.epoch >= 2)
    status, frame = get(studio, "/api/playground/frame?after=1&wait=5")
    assert status == 200 and frame["frame"] > 1 and frame["session"] == started["session"]

    assert post(studio, "/api/playground/control", {"action": "pause"})[0] == 200
    wait_for(lambda: session.state == "paused")
    epoch = session.epoch
    time.sleep(0.3)
    assert session.epoch == epoch                    # paused: no training

    assert post(studio, "/api/playground/control", {"action": "step"})[0] == 200
    wait_for(lambda: session.epoch == epoch + 1 and session.state == "paused")
    time.sleep(0.3)
    assert session.epoch == epoch + 1                # one epoch exactly

    assert post(studio, "/api/playground/control", {"action": "resume"})[0] == 200
    wait_for(lambda: session.epoch >= epoch + 3)
    status, body = post(studio, "/api/playground/control", {"action": "jump"})
    assert status == 400 and "'jump'" in body["error"]
    assert post(studio, "/api/playground/control", {"action": "stop"})[0] == 200
    wait_for(lambda: not session.alive)
    assert session.state == "stopped"
    status, body = post(studio, "/api/playground/control", {"action": "resume"})
    assert status == 409 and "stopped" in body["error"]
    status, body = post(studio, "/api/playground/control", {"action": "pause", "session": "old"})
    assert status == 409 and "replaced" in body["error"]


def test_a_new_start_stops_the_old_session_and_frames_stay_off_the_bus(studio):
    status, first = post(studio, "/api/playground/start", {"config": {"epochs": 100000}})
    old = studio.state["playground"].session
    wait_for(lambda: old.epoch >= 3)
    status, second = post(studio, "/api/playground/start", {"config": {"dataset": "xor"}, "paused": True})
    assert status == 200 and second["session"] != first["session"]
    assert old.state == "stopped" and not old.alive
    status, state = get(studio, "/api/playground/state")
    assert state["session"] == second["session"] and state["state"] == "paused"
    events = [e for e in studio.bus.events_after(0) if e["kind"] == "playground"]
    # state changes only: running (1), stopped (1), paused (2); no grid, no per-epoch flood
    assert [(e["session"], e["state"]) for e in events] == [
        (first["session"], "running"), (first["session"], "stopped"), (second["session"], "paused")]
    assert all("grid" not in e and "weights" not in e for e in events)


def test_stopping_the_studio_ends_the_training_thread():
    studio = Studio()
    studio.start()
    post(studio, "/api/playground/start", {"config": {"epochs": 100000}})
    session = studio.state["playground"].session
    wait_for(lambda: session.epoch >= 1)
    studio.stop()
    wait_for(lambda: not session.alive, timeout=30)


def test_a_session_refuses_unknown_actions_without_a_server():
    session = PlaygroundSession("t", parse_config({}), EventBus(), paused=True)
    with pytest.raises(StudioError) as caught:
        session.request("faster")
    assert caught.value.status == 400
