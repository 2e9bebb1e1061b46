"""A real browser (headless Chromium) on the Draw page: drawing a digit with the mouse gives class
probabilities, the temperature slider flattens them, the feature maps and units are drawn, and
there are no console errors. Screenshots are written to ``client.screenshot_dir()``."""
import os

import pytest

pytest.importorskip("selenium", reason="the browser tests need selenium")

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from .client import console_errors, full_page_screenshot, screenshot_dir, wait_for_script
from .test_inside import mnist_test_set, pages, run_folders  # noqa: F401 (fixtures)
from .test_inside_browser import painted


def draw_a_seven(browser):
    pad = browser.find_element(By.ID, "pad")
    chain = ActionChains(browser).move_to_element_with_offset(pad, -70, -90).click_and_hold()
    for dx, dy in [(35, 0)] * 4 + [(-10, 25)] * 7:
        chain.move_by_offset(dx, dy)
    chain.release().perform()


def test_drawing_gives_probabilities_and_the_temperature_flattens_them(pages, browser):  # noqa: F811
    browser.get(pages.url + "draw")
    wait_for_script(browser, "return window.studioDraw && window.studioDraw.requests > 0")
    Select(browser.find_element(By.ID, "source")).select_by_value("run:cnn")
    count = browser.execute_script("return window.studioDraw.requests")
    draw_a_seven(browser)
    result = wait_for_script(browser, f"const d = window.studioDraw; return d.requests > {count} && "
                               "d.result.input.kind === 'drawn' && d.result")
    assert abs(sum(result["probabilities"]) - 1) < 1e-5 and len(result["probabilities"]) == 10
    seen = result["input"]["pixels"]
    assert max(seen) == 255 and sum(v > 0 for v in seen) > 40            # the stroke arrived
    assert painted(browser, "#seen canvas") == 1 and painted(browser, "#maps canvas") == 6
    assert len(browser.find_elements(By.CSS_SELECTOR, "#bars .bar")) == 20
    assert len(browser.find_elements(By.CSS_SELECTOR, "#units .bar")) == 10
    browser.save_screenshot(os.path.join(screenshot_dir(), "draw.png"))
    # a larger temperature: the page asks again and the distribution is flatter
    count = browser.execute_script("return window.studioDraw.requests")
    browser.execute_script("const t = document.getElementById('temperature'); t.value = 0.6; "
                           "t.dispatchEvent(new Event('input')); t.dispatchEvent(new Event('change'));")
    hot = wait_for_script(browser, f"const d = window.studioDraw; return d.requests > {count} && d.result")
    assert abs(hot["temperature"] - 10 ** 0.6) < 1e-6
    assert hot["tempered_entropy_bits"] > result["tempered_entropy_bits"]
    assert browser.find_element(By.ID, "t-value").text == f"{10 ** 0.6:.2f}"
    browser.save_screenshot(os.path.join(screenshot_dir(), "draw-hot.png"))
    full_page_screenshot(browser, "draw-full.png")
    assert console_errors(browser) == []


def test_the_drawing_is_the_inside_pages_input(pages, browser):  # noqa: F811
    browser.get(pages.url + "draw")
    wait_for_script(browser, "return window.studioDraw && window.studioDraw.requests > 0")
    count = browser.execute_script("return window.studioDraw.requests")
    draw_a_seven(browser)
    result = wait_for_script(browser, f"const d = window.studioDraw; return d.requests > {count} && d.result")
    browser.get(pages.url + "inside")
    wait_for_script(browser, "return window.studioInside && window.studioInside.drawn > 0")
    drawn = browser.execute_script("return window.studioInside.drawn")
    Select(browser.find_element(By.ID, "input")).select_by_value("drawn")
    layers = wait_for_script(browser, f"const p = window.studioInside; return p.drawn > {drawn} && p.layers")
    assert layers["input"] == {"kind": "drawn", "pixels": result["input"]["pixels"]}
    assert console_errors(browser) == []
