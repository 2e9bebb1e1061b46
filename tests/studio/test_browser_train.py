"""A real browser (headless Chromium) on the Train page during a live fit: no console errors, the
curves receive points, the per-layer panels fill, the controls follow the run's state, and a page
opened in the middle of a run draws the history first."""
import time

import numpy as np

from scratchnn import layers, models

from .client import console_errors, full_page_screenshot, post
from .test_live import FAST_STATS, data, fit_in_thread, small_model

PAGE = "return window.studioPage ? window.studioPage.{} : null"
POINTS = ("const c = window.studioCharts['{}']; "
          "return c ? c.data[{}].filter((v) => v !== null && v !== undefined).length : 0")


def wait_until(fn, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    return fn()


def disabled(browser, element_id):
    return browser.execute_script(f"return document.getElementById('{element_id}').disabled")


def classifier():
    model = models.Sequential([layers.Input((4,)), layers.Dense(16, activation="relu"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, _ = data()
    return model, x, np.digitize(x[:, 0] + x[:, 1], [-0.5, 0.5])


def test_train_page_shows_the_live_fit_without_console_errors(studio, browser):
    model, x, y = classifier()
    browser.get(studio.url + "train")
    assert wait_until(lambda: browser.execute_script("return !!document.querySelector('#nav a')"), 10)
    assert disabled(browser, "pause") and disabled(browser, "stop")      # nothing trains yet
    thread, _ = fit_in_thread(model, studio, epochs=5000, validation_split=0.25, live=FAST_STATS, x=x, y=y)
    try:
        # batch points (series 1), epoch points (2) and validation points (3) on the loss chart,
        # and on the accuracy chart (every metric has its own)
        for chart in ("loss", "accuracy"):
            assert wait_until(lambda c=chart: browser.execute_script(POINTS.format(c, 1)) >= 3)
            assert wait_until(lambda c=chart: browser.execute_script(POINTS.format(c, 3)) >= 2)
        assert wait_until(lambda: browser.execute_script(PAGE.format("stats")) >= 3)
        time.sleep(1.0)                                       # a few more epochs for the screenshot
        rows = browser.execute_script("return document.querySelectorAll('#layer-table tr').length")
        assert rows == 3                                      # a header and the two Dense layers
        assert browser.execute_script("return document.querySelectorAll('#hists canvas').length") == 2
        grads = browser.execute_script("return window.studioPage.layerCharts.gradient_norm.data[1]"
                                       ".filter((v) => v > 0).length")
        assert grads >= 2
        assert not disabled(browser, "pause") and disabled(browser, "resume")
        assert float(browser.execute_script("return document.getElementById('lr-now').textContent")) \
            == float(model.optimizer.learning_rate)
        post(studio, "/api/control", {"action": "pause"})
        assert wait_until(lambda: disabled(browser, "pause") and not disabled(browser, "resume"), 20)
        assert "paused" in browser.execute_script("return document.getElementById('run-state').textContent")
        full_page_screenshot(browser, "train.png")
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
        assert wait_until(lambda: disabled(browser, "stop") and disabled(browser, "pause"), 20)
        assert "stopped" in browser.execute_script("return document.getElementById('run-state').textContent")
        assert console_errors(browser) == []
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)


def test_a_page_opened_mid_run_draws_the_history_so_far(studio, browser):
    model = small_model()
    thread, _ = fit_in_thread(model, studio, epochs=200, validation_split=0.25, live=FAST_STATS)
    try:
        from .client import EventReader
        reader = EventReader(studio)
        reader.wait_for(lambda e: e["kind"] == "epoch" and e["epoch"] >= 2, timeout=60)
        post(studio, "/api/control", {"action": "pause"})
        reader.wait_for(lambda e: e["kind"] == "control" and e["action"] == "pause", timeout=20)
        reader.close()
        browser.get(studio.url + "train")
        epochs_done = len([e for e in studio.bus.events_after(0) if e["kind"] == "epoch"])
        assert wait_until(lambda: browser.execute_script(POINTS.format("loss", 2)) >= epochs_done)
        assert browser.execute_script(PAGE.format("stats")) >= 3
        assert disabled(browser, "pause") and not disabled(browser, "resume")   # it knows it is paused
        assert console_errors(browser) == []
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)


def test_a_hints_fix_is_one_click_in_the_page(studio, browser):
    from .test_train import diverging_model
    model = diverging_model()
    browser.get(studio.url + "train")
    thread, _ = fit_in_thread(model, studio, epochs=500)
    try:
        assert wait_until(lambda: browser.execute_script("return document.querySelectorAll('.hint').length"))
        text = browser.execute_script("return document.querySelector('.hint').textContent")
        assert "Learning rate too high" in text and "learning rate too high" in text
        button = browser.find_element("css selector", ".hint button.fix")
        assert button.text == "Apply: learning rate 5 -> 0.5"
        full_page_screenshot(browser, "train-hint.png")
        button.click()
        assert wait_until(lambda: float(model.optimizer.learning_rate) == 0.5, 20)
        assert wait_until(lambda: browser.execute_script(
            "return document.getElementById('lr-now').textContent") == "0.5", 20)
        assert button.text.startswith("Applied") and not button.is_enabled()
        assert console_errors(browser) == []
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
