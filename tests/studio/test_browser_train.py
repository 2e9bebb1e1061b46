"""A real browser (headless Chromium) on the Train page during a live fit: no console errors, and
the batch chart receives points."""
import os
import time

from .client import console_errors, screenshot_dir
from .test_live import fit_in_thread, small_model

CHART_POINTS = "return window.studioCharts ? window.studioCharts.{}.data[0].length : 0"


def test_train_page_shows_the_live_fit_without_console_errors(studio, browser):
    model = small_model()
    browser.get(studio.url + "train")
    time.sleep(0.5)
    thread, _ = fit_in_thread(model, studio, epochs=3)
    try:
        end = time.monotonic() + 60
        points = 0
        while time.monotonic() < end:
            points = browser.execute_script(CHART_POINTS.format("batch"))
            epochs = browser.execute_script(CHART_POINTS.format("epoch"))
            if points >= 3 and epochs >= 1:
                break
            time.sleep(0.2)
        assert points >= 3
        thread.join(60)
        browser.save_screenshot(os.path.join(screenshot_dir(), "train.png"))
        assert console_errors(browser) == []
    finally:
        thread.join(60)
