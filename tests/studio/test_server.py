"""The studio's server over loopback: pages carry the token, POSTs without it are refused, odd
Host headers and paths out of the static folder or a run folder are refused, the event stream
replays and delivers live events."""
import os
import time

import pytest

from scratchnn.studio import EventBus, Studio, StudioError
from scratchnn.studio.server import safe_join

from .client import EventReader, get, post, raw_request


def test_pages_are_served_with_this_sessions_token(studio):
    status, body = get(studio, "/train")
    assert status == 200
    assert f'content="{studio.token}"'.encode() in body
    assert b"{{token}}" not in body
    status, pages = get(studio, "/api/pages")
    assert [p["path"] for p in pages["pages"]] == ["/train", "/playground", "/inside", "/draw",
                                                    "/attention", "/compare"]


def test_two_studios_have_different_tokens():
    assert Studio().token != Studio().token


def test_a_control_without_the_token_or_with_a_wrong_one_is_refused(studio):
    status, body = post(studio, "/api/control", {"action": "pause"}, token=False)
    assert status == 403 and "token" in body["error"]
    status, body = post(studio, "/api/control", {"action": "pause"}, token="guess")
    assert status == 403
    status, body = post(studio, "/api/control", {"action": "pause"})   # the right token: no run yet
    assert status == 409 and "no training" in body["error"]


def test_a_foreign_host_header_is_refused(studio):
    reply = raw_request(studio, f"GET /api/state HTTP/1.1\r\nHost: evil.example:{studio.port}\r\n"
                                "Connection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 421")
    reply = raw_request(studio, f"GET /api/state HTTP/1.1\r\nHost: localhost:{studio.port}\r\n"
                                "Connection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fapp.py",
                                  "/static//etc/passwd", "/static/vendor/../../__init__.py"])
def test_nothing_outside_the_static_folder_is_served(studio, path):
    reply = raw_request(studio, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{studio.port}\r\n"
                                "Connection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 404"), reply[:80]
    assert b"import" not in reply and b"root:" not in reply


def test_the_vendored_chart_library_is_served_with_its_licence(studio):
    status, body = get(studio, "/static/vendor/uplot/uPlot.iife.min.js")
    assert status == 200 and b"uPlot" in body
    status, body = get(studio, "/static/vendor/uplot/LICENSE")
    assert status == 200 and b"MIT" in body


def test_safe_join_refuses_escapes_and_symlinks_out(tmp_path):
    (tmp_path / "inside").mkdir()
    (tmp_path / "secret.txt").write_text("no")
    os.symlink(tmp_path / "secret.txt", tmp_path / "inside" / "link")
    root = str(tmp_path / "inside")
    assert safe_join(root, "../secret.txt") is None
    assert safe_join(root, "link") is None
    assert safe_join(root, "a/../b") == os.path.join(os.path.realpath(root), "b")


def test_a_malformed_or_huge_body_gets_a_clear_error(studio):
    status, body = post(studio, "/api/control", None, headers={"Content-Length": "99999999999"})
    assert status in (400, 413)
    import urllib.request
    request = urllib.request.Request(studio.url + "api/control", data=b"{not json", method="POST",
                                     headers={"X-Studio-Token": studio.token})
    from .client import _open
    status, body = _open(request)
    assert status == 400 and "JSON" in body["error"]


def test_the_event_stream_replays_then_delivers_live_events(studio):
    studio.bus.publish("note", text="before")
    reader = EventReader(studio)
    try:
        assert reader.headers["Content-Type"] == "text/event-stream"
        reader.wait_for(lambda e: e["kind"] == "note" and e["text"] == "before", timeout=10)
        studio.bus.publish("note", text="after", value=float("nan"))
        event = reader.wait_for(lambda e: e.get("text") == "after", timeout=10)
        assert event["value"] is None          # NaN is not JSON: sent as null
        ids = [e["id"] for e in reader.events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
    finally:
        reader.close()


def test_a_reconnecting_page_gets_only_what_it_missed(studio):
    first = studio.bus.publish("note", n=1)
    studio.bus.publish("note", n=2)
    reader = EventReader(studio, since=first["id"])
    try:
        reader.wait_for(lambda e: e.get("n") == 2, timeout=10)
        time.sleep(0.3)
        assert [e["n"] for e in reader.kinds("note")] == [2]
    finally:
        reader.close()


def test_event_bus_keeps_a_bounded_history_and_wakes_readers():
    bus = EventBus(history=3)
    for i in range(5):
        bus.publish("x", i=i)
    assert [e["i"] for e in bus.events_after(0)] == [2, 3, 4]
    assert bus.wait_after(bus.last_id, timeout=0.01) == []
    with pytest.raises(ValueError, match="history"):
        EventBus(history=0)
    with pytest.raises(ValueError, match="kind"):
        bus.publish("")


def test_unknown_paths_and_sources_give_404_with_a_message(studio):
    status, body = get(studio, "/api/nope")
    assert status == 404 and "nothing at GET /api/nope" in body["error"]
    status, body = get(studio, "/api/sources/info?source=ghost")
    assert status == 404 and "no model" in body["error"]


def test_studio_error_carries_status():
    error = StudioError(418, "teapot")
    assert error.status == 418 and error.message == "teapot"


def test_another_host_warns(recwarn):
    s = Studio(host="0.0.0.0")
    s.start()
    try:
        assert any("not only on this computer" in str(w.message) for w in recwarn.list)
    finally:
        s.stop()
