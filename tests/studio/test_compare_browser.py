"""The Compare page in a real browser (headless Chromium): no console errors, a chart per metric
with one line per run holding the run's history, the settings table with the differing values
highlighted, and a run left out when its box is unticked."""

import pytest

from scratchnn.studio import Studio

from .client import console_errors, full_page_screenshot, wait_for_script
from .test_compare import _csv_columns, make_runs


@pytest.fixture(scope="module")
def compare_studio(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        folders = make_runs(tmp_path_factory.mktemp("compare-browser"), mp)
    s = Studio(runs=[str(f) for f in folders])
    s.start()
    s.folders = folders
    yield s
    s.stop()


CHART = """
const c = window.comparePage.charts[arguments[0]];
return c ? {runs: c.runs, columns: c.chart.data, drawn: c.chart.root.querySelectorAll('canvas').length,
            axes: c.chart.axes.map(a => a.label), title: c.chart.root.querySelector('.u-title').textContent,
            legend: Array.from(c.chart.root.querySelectorAll('.u-legend .u-label')).map(e => e.textContent)}
         : null;
"""


def test_compare_page_overlays_the_runs_and_highlights_differing_settings(compare_studio, browser):
    browser.get(compare_studio.url + "compare")
    wait_for_script(browser, "return window.comparePage && window.comparePage.data")
    metrics = browser.execute_script("return window.comparePage.data.metrics")
    assert metrics == ["loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae"]
    assert len(browser.find_elements("css selector", "#charts .uplot")) == 6
    chart = browser.execute_script(CHART, "val_accuracy")
    assert chart["runs"] == ["iris-a", "iris-b"] and chart["drawn"] >= 1
    assert chart["axes"] == ["epoch", "val_accuracy"] and "validation accuracy" in chart["title"]
    assert chart["legend"] == ["epoch", "iris-a", "iris-b"]                     # one line per run
    x, a, b = chart["columns"]
    assert x == [1, 2, 3, 4, 5, 6]
    for folder, line in zip(compare_studio.folders[:2], (a, b)):
        want = _csv_columns(folder / "history.csv")["val_accuracy"]
        assert line[:len(want)] == pytest.approx(want) and all(v is None for v in line[len(want):])
    assert browser.execute_script(CHART, "loss")["runs"] == ["by-hand", "iris-a", "iris-b"]
    differing = [e.text for e in browser.find_elements("css selector", "#settings tr.differs td.key")]
    assert {"dataset", "seed", "options.lr", "options.hidden", "test.accuracy"} <= set(differing)
    same = [e.text for e in browser.find_elements("css selector", "#settings tr:not(.differs) td.key")]
    assert "kind" in same and "options.model" in same
    full_page_screenshot(browser, "compare.png")

    # untick the hand-written run: two runs left, the regression metrics gone, the dataset now the same
    browser.find_element("css selector", '#runs input[value="by-hand"]').click()
    wait_for_script(browser, "return window.comparePage.data.runs.length === 2")
    metrics = browser.execute_script("return window.comparePage.data.metrics")
    assert metrics == ["loss", "val_loss", "accuracy", "val_accuracy"]
    assert browser.execute_script(CHART, "loss")["runs"] == ["iris-a", "iris-b"]
    differing = [e.text for e in browser.find_elements("css selector", "#settings tr.differs td.key")]
    assert "dataset" not in differing and "options.lr" in differing
    browser.find_element("id", "only-differences").click()
    shown = [e.text for e in browser.find_elements("css selector", "#settings td.key")]
    assert shown == differing
    full_page_screenshot(browser, "compare-two-runs.png")
    assert console_errors(browser) == []
