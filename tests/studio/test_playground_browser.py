"""A real browser (headless Chromium) on the Playground page: opening a shared link restores the
lesson's settings, training draws frames live (the decision boundary, the units, the links), a
change of a control is written back into the address, and the console stays free of errors."""
import os
import time
import urllib.parse

from .client import console_errors, screenshot_dir, wait_for_script

LESSON = {"dataset": "xor", "points": "300", "noise": "0.05", "features": "x1,x2,x1x2", "hidden": "4,3",
          "activation": "tanh",
          "optimizer": "adam", "learning_rate": "0.03", "batch_size": "10", "seed": "3"}


def test_a_shared_link_restores_the_lesson_and_training_draws_live(studio, browser):
    browser.get(studio.url + "playground?" + urllib.parse.urlencode(LESSON))
    wait_for_script(browser, "return window.playground && window.playground.frames", lambda n: n and n >= 1)
    # the controls hold the link's settings, and the session was started with them
    checked = browser.execute_script("return Array.from(document.querySelectorAll('#pg-features input'))"
                                     ".filter(b => b.checked).map(b => b.value)")
    assert checked == ["x1", "x2", "x1x2"]
    for name, value in LESSON.items():
        if name == "features":
            continue
        shown = browser.execute_script(f"return document.getElementById('pg-{name}').value")
        assert float(shown) == float(value) if name in ("noise", "learning_rate") else shown == value, name
    session = studio.state["playground"].session
    assert session.config["dataset"] == "xor" and session.config["hidden"] == [4, 3]
    assert session.config["features"] == ["x1", "x2", "x1x2"]
    assert session.state == "paused"
    # the network drawn: 3 inputs, 4 + 3 hidden units, 1 output; links 3*4 + 4*3 + 3*1
    assert browser.execute_script("return document.querySelectorAll('#network canvas').length") == 11
    assert browser.execute_script("return document.querySelectorAll('#network line').length") == 27

    before = browser.execute_script("return window.playground.frames")
    browser.find_element("id", "play").click()
    wait_for_script(browser, "return window.playground.state", lambda s: s == "running")
    frames = wait_for_script(browser, "return window.playground.frames", lambda n: n >= before + 5)
    epoch = wait_for_script(browser, "return window.playground.frame.epoch", lambda e: e >= 30)
    assert frames >= before + 5 and epoch >= 30
    # the links are coloured by sign: both colours appear, widths differ
    strokes = browser.execute_script(
        "return Array.from(document.querySelectorAll('#network line')).map(l => [l.getAttribute('stroke'), "
        "parseFloat(l.getAttribute('stroke-width')), parseFloat(l.getAttribute('data-weight'))])")
    for colour, _, weight in strokes:
        assert colour == ("#dc2626" if weight >= 0 else "#2563eb")
    assert len({round(w, 1) for _, w, _ in strokes}) > 3
    # a learned XOR: the test accuracy shown on the page
    wait_for_script(browser, "return window.playground.frame.test_accuracy",
                    lambda a: a is not None and a >= 0.9)
    browser.set_window_size(1400, 1550)              # the whole page, loss curve included
    time.sleep(0.5)
    browser.save_screenshot(os.path.join(screenshot_dir(), "playground.png"))
    browser.set_window_size(1400, 1000)

    # a changed control restarts the session and is written into the address
    browser.execute_script("const s = document.getElementById('pg-activation'); s.value = 'relu'; "
                           "s.dispatchEvent(new Event('change'));")
    wait_for_script(browser, "return location.search", lambda q: "activation=relu" in q)
    query = urllib.parse.parse_qs(browser.execute_script("return location.search")[1:])
    assert query["dataset"] == ["xor"] and query["hidden"] == ["4,3"] and query["seed"] == ["3"]
    assert query["features"] == ["x1,x2,x1x2"]
    assert studio.state["playground"].session.config["activation"] == "relu"
    browser.find_element("id", "stop").click()
    wait_for_script(browser, "return window.playground.state", lambda s: s == "stopped")
    assert console_errors(browser) == []


def test_a_link_with_a_mistake_shows_what_to_fix_and_starts_once_fixed(studio, browser):
    browser.get_log("browser")                              # forget the previous test's messages
    browser.get(studio.url + "playground?dataset=spirals&hidden=4,99&seed=5")
    status = wait_for_script(browser, "return document.getElementById('status').textContent",
                        lambda text: "'hidden'" in text)
    assert "[1, 32]" in status and "99" in status
    assert browser.execute_script("return document.getElementById('status').className") == "status error"
    assert browser.execute_script("return document.getElementById('pg-hidden').value") == "4,99"
    assert browser.execute_script("return document.getElementById('pg-dataset').value") == "spirals"
    assert studio.state["playground"].session is None
    errors = console_errors(browser)                       # only the refused start itself
    assert errors and all("/api/playground/start" in e["message"] and "400" in e["message"] for e in errors)

    browser.execute_script("const h = document.getElementById('pg-hidden'); h.value = '4,9'; "
                           "h.dispatchEvent(new Event('change'));")
    wait_for_script(browser, "return location.search", lambda q: "hidden=4,9" in q)
    assert "dataset=spirals" in browser.execute_script("return location.search")
    wait_for_script(browser, "return window.playground.frames", lambda n: n >= 1)
    assert studio.state["playground"].session.config["hidden"] == [4, 9]
    assert studio.state["playground"].session.config["seed"] == 5
    assert console_errors(browser) == []
