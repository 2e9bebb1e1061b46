"""A real browser (headless Chromium) on the Inside a CNN page: the maps and filters are drawn,
clicking a pixel of the first convolution's map shows its computation (equal to the layer's
output), a model without Conv2D says so, and there are no console errors. Screenshots are
written to ``client.screenshot_dir()``."""
import os
import threading
import time

import numpy as np
import pytest

pytest.importorskip("selenium", reason="the browser tests need selenium")

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from scratchnn.studio import Live, Studio, digits  # noqa: E402

from tests.helpers import dataset_mirror, offline_datasets  # noqa: E402

from .client import console_errors, full_page_screenshot, post, screenshot_dir, wait_for_script  # noqa: E402
from .test_inside import mnist_test_set, pages, run_folders, tiny_cnn  # noqa: E402, F401 (fixtures)


def painted(browser, css):
    """How many canvases matching ``css`` hold at least one pixel that is not blank."""
    return browser.execute_script("""
        return Array.from(document.querySelectorAll(arguments[0])).filter((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4)
            if (d[i + 3] && (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250)) return true;
          return false; }).length;""", css)


def click_pixel(browser, canvas, row, col, rows, cols):
    """Click the middle of map pixel (row, col) of a canvas showing rows x cols pixels (scrolled
    into view first: the offsets count from the centre of the element's visible part)."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(browser).move_to_element_with_offset(
        canvas, int((col + 0.5) * w / cols - w / 2), int((row + 0.5) * h / rows - h / 2)).click().perform()


def test_the_inside_page_draws_the_maps_and_explains_a_click(pages, browser):  # noqa: F811
    browser.get(pages.url + "inside")
    wait_for_script(browser, "return window.studioInside && window.studioInside.step")
    Select(browser.find_element(By.ID, "source")).select_by_value("run:cnn")
    index = browser.find_element(By.ID, "index")
    index.clear()
    index.send_keys("12")
    drawn = browser.execute_script("return window.studioInside.drawn")
    browser.find_element(By.ID, "show").click()
    wait_for_script(browser, f"return window.studioInside.drawn > {drawn} && window.studioInside.step")
    layers = browser.execute_script("return window.studioInside.layers")
    assert layers["input"]["index"] == 12 and layers["conv"]["layer"] == "conv_1"
    assert painted(browser, "#filters canvas") == 8
    assert painted(browser, "#layers canvas") >= 20
    assert painted(browser, "#input-view canvas") == 1
    # click output pixel (row 9, column 17) of the big map (in view: offsets count from its centre)
    click_pixel(browser, browser.find_element(By.ID, "step-canvas"), 9, 17, layers["conv"]["height"],
                layers["conv"]["width"])
    step = wait_for_script(browser, "const s = window.studioInside.step; "
                             "return s && s.row === 9 && s.col === 17 && s")
    assert step["matches"] is True and step["channel"] == 0
    text = browser.find_element(By.ID, "step-sum").text
    assert "bias" in text and "relu" in text and "the layer's own output" in text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#step-numbers table.numbers")) == 4   # x, k, x*k, pool
    browser.save_screenshot(os.path.join(screenshot_dir(), "inside.png"))
    # a click on a small map of conv_1 in the layers' rows explains that channel's pixel
    small = browser.find_elements(By.CSS_SELECTOR, "#layers canvas[title^='click a pixel']")
    assert len(small) == 8                                    # conv_1's maps only
    click_pixel(browser, small[3], 4, 20, 26, 26)
    step = wait_for_script(browser, "const s = window.studioInside.step; "
                             "return s && s.channel === 3 && s.row === 4 && s.col === 20 && s")
    assert step["matches"] is True
    assert browser.find_element(By.ID, "step-channel").get_attribute("value") == "3"
    full_page_screenshot(browser, "inside-full.png")
    assert console_errors(browser) == []


def test_the_inside_page_explains_a_model_without_conv2d(pages, browser):  # noqa: F811
    browser.get(pages.url + "inside")
    wait_for_script(browser, "return window.studioInside && window.studioInside.drawn > 0")
    drawn = browser.execute_script("return window.studioInside.drawn")
    Select(browser.find_element(By.ID, "source")).select_by_value("run:mlp")
    wait_for_script(browser, f"return window.studioInside.drawn > {drawn}")
    assert "no Conv2D" in browser.find_element(By.ID, "step-help").text
    assert "no Conv2D" in browser.find_element(By.ID, "filters-note").text
    assert "conv_1" not in browser.find_element(By.ID, "filters-title").text     # nothing left from the CNN
    assert not browser.find_element(By.ID, "step-channel").is_displayed()
    assert painted(browser, "#layers canvas") == 2           # hidden and output as strips of units
    browser.save_screenshot(os.path.join(screenshot_dir(), "inside-mlp.png"))
    assert console_errors(browser) == []


def test_the_inside_and_draw_pages_look_at_the_live_model_during_a_fit(browser, tmp_path, monkeypatch):
    """During a fit with ``Live`` the pages pick the live model; their requests run on the training
    thread between batches. The test images come from the local mirror only (without it the pages
    say the data set is not available, and the drawn digit is used)."""
    offline_datasets(monkeypatch, tmp_path / "home", dataset_mirror("mnist"))
    digits.forget_test_sets()
    studio = Studio(heartbeat=0.5)
    studio.start()
    model = tiny_cnn(seed=2)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (256, 28, 28)).astype("float32")
    y = rng.integers(0, 10, 256)
    studio.state[digits.DRAWN] = x[0].astype(int).reshape(-1).tolist()
    live = Live(studio, print_fn=None, batch_rate=1000)
    thread = threading.Thread(target=lambda: model.fit(x, y, epochs=1000, batch_size=32, verbose=0,
                                                       callbacks=[live]), daemon=True)
    thread.start()
    try:
        wait_until(lambda: "live" in studio.sources and studio.sources["live"].training)
        browser.get(studio.url + "inside")
        wait_for_script(browser, "return window.studioInside && (window.studioInside.drawn > 0 || "
                          "document.getElementById('status').className.includes('error'))")
        assert browser.find_element(By.ID, "source").get_attribute("value") == "live"
        drawn = browser.execute_script("return window.studioInside.drawn")
        Select(browser.find_element(By.ID, "input")).select_by_value("drawn")
        step = wait_for_script(browser, f"const p = window.studioInside; return p.drawn > {drawn} && p.step")
        assert step["matches"] is True and thread.is_alive()
        browser.get(studio.url + "draw")
        result = wait_for_script(browser, "return window.studioDraw && window.studioDraw.result || "
                                   "document.getElementById('status').textContent.includes('not available')")
        if isinstance(result, dict):
            assert abs(sum(result["probabilities"]) - 1) < 1e-5
        assert console_errors(browser) == [] or all("503" in e["message"] for e in console_errors(browser))
    finally:
        post(studio, "/api/control", {"action": "stop"})
        thread.join(60)
        studio.stop()
        digits.forget_test_sets()
    assert not thread.is_alive()


def wait_until(condition, timeout=60):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)
