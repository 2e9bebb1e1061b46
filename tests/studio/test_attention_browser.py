"""The Attention page in a real browser (headless Chromium) on a tiny GPT's run folder: no console
errors, one map per layer and head drawn (coloured below the diagonal, the masked grey above it),
the next-token bars, and the Sample button extending the prompt as the endpoint does."""
import time

import pytest

from scratchnn.studio import Studio

from .client import console_errors, full_page_screenshot, get, wait_for_script
from .test_attention import train_tiny_gpt

#: The colour of the pixel at the centre of cell (i, j) of a map (rows: queries).
CELL_RGB = """
const [canvas, i, j] = arguments;
const {cell, left, top} = canvas.dataset;
const d = canvas.getContext('2d').getImageData(+left + (j + 0.5) * cell, +top + (i + 0.5) * cell, 1, 1).data;
return [d[0], d[1], d[2]];
"""


@pytest.fixture(scope="module")
def attention_studio(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        run = train_tiny_gpt(tmp_path_factory.mktemp("attention-browser"), mp)
    s = Studio(runs=[str(run)])
    s.start()
    yield s
    s.stop()


def test_attention_page_draws_every_map_the_bars_and_samples(attention_studio, browser):
    browser.get(attention_studio.url + "attention")
    wait_for_script(browser, "return window.attentionPage && window.attentionPage.next "
                             "&& window.attentionPage.drawn")
    page = browser.execute_script("return window.attentionPage")
    prompt = browser.execute_script("return document.getElementById('prompt').value")
    assert page["maps"]["tokens"] == list(prompt)
    assert page["drawn"] == 4 == len(browser.find_elements("css selector", "#maps canvas"))  # 2 x 2 heads
    assert len(browser.find_elements("css selector", "#bars .bar")) == 20          # top 20, none cut
    # the first query reads only itself (weight 1: the darkest colour); above the diagonal: masked grey
    first = browser.find_element("css selector", "#maps canvas")
    assert browser.execute_script(CELL_RGB, first, 0, 0) == [0, 0, 100]
    assert browser.execute_script(CELL_RGB, first, 0, 1) == [229, 231, 235]
    assert browser.execute_script(CELL_RGB, first, 3, 1) not in ([255, 255, 255], [229, 231, 235])
    # a click shows the map large, with the same colours
    browser.find_elements("css selector", "#maps canvas")[3].click()
    large = browser.find_element("id", "focus-map")
    assert large.is_displayed() and int(large.get_attribute("width")) > int(first.get_attribute("width"))
    assert browser.find_element("id", "focus-title").text == "transformer_layer_1/self_attention, head 2 of 2"
    assert browser.execute_script(CELL_RGB, large, 0, 0) == [0, 0, 100]
    full_page_screenshot(browser, "attention.png")

    # settings change the bars: top-k 3 leaves three tokens with probability above 0
    top_k = browser.find_element("id", "top_k")
    top_k.send_keys("3")
    wait_for_script(browser, "return window.attentionPage.next.top_k === 3")
    kept = browser.execute_script(
        "return window.attentionPage.next.next.filter(n => n.probability > 0).length")
    assert kept == 3
    assert len(browser.find_elements("css selector", "#bars .bar")) == 6              # 3 kept, 3 shown cut

    browser.find_element("id", "tokens").clear()
    browser.find_element("id", "tokens").send_keys("6")
    browser.find_element("id", "sample").click()
    sample = wait_for_script(browser, "return window.attentionPage.sample")
    expected = get(attention_studio, "/api/attention/sample?" + browser.execute_script(
        "return new URLSearchParams({source: 'run:tiny-gpt', prompt: arguments[0], tokens: 6, seed: 0, "
        "temperature: 1, top_k: 3, top_p: ''}).toString()", prompt))[1]
    assert sample["text"] == expected["text"] and len(sample["new"]) == 6
    end = time.monotonic() + 30
    while time.monotonic() < end and browser.execute_script(
            "return window.attentionPage.maps.tokens.join('')") != sample["text"][-16:]:
        time.sleep(0.1)
    assert browser.execute_script("return window.attentionPage.maps.tokens.join('')") == sample["text"][-16:]
    assert browser.find_element("css selector", "#output .new").get_attribute("textContent") == sample["new"]
    full_page_screenshot(browser, "attention-sampled.png")
    assert console_errors(browser) == []


def test_a_bad_prompt_is_shown_as_an_error_on_the_page(attention_studio, browser):
    browser.get(attention_studio.url + "attention")
    wait_for_script(browser, "return window.attentionPage && window.attentionPage.drawn")
    box = browser.find_element("id", "prompt")
    box.clear()
    box.send_keys("caf\u00e9")
    browser.find_element("id", "show").click()
    wait_for_script(browser, "return document.getElementById('status').classList.contains('error')")
    text = browser.find_element("id", "status").text
    assert "'prompt'" in text and "'\u00e9'" in text
