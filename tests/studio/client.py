"""Helpers for the studio's tests: HTTP over loopback, an SSE reader, and a headless browser."""
import json
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest


def get(studio, path, headers=None):
    """(status, parsed JSON or bytes) of GET ``path``."""
    return _open(urllib.request.Request(studio.url.rstrip("/") + path, headers=headers or {}))


def post(studio, path, body=None, token=True, headers=None):
    """(status, parsed JSON) of POST ``path`` with ``body``; with the session's token unless
    ``token`` is False (or a string to send instead)."""
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["X-Studio-Token"] = studio.token if token is True else token
    data = json.dumps(body or {}).encode("utf-8")
    return _open(urllib.request.Request(studio.url.rstrip("/") + path, data=data, headers=h, method="POST"))


def _open(request):
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _parse(response)
    except urllib.error.HTTPError as error:
        return error.code, _parse(error)


def _parse(response):
    body = response.read()
    if (response.headers.get("Content-Type") or "").startswith("application/json"):
        return json.loads(body)
    return body


def raw_request(studio, text):
    """Send ``text`` (a whole HTTP request) on a socket; the reply's bytes (for odd paths)."""
    with socket.create_connection(("127.0.0.1", studio.port), timeout=10) as s:
        s.sendall(text.encode("latin-1"))
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


class EventReader:
    """Reads ``/api/events`` in a thread; ``events`` grows as they arrive, each with the time
    (``time.monotonic()``) it was received as ``_received``."""

    def __init__(self, studio, since=0):
        self.events = []
        self.headers = None
        url = studio.url.rstrip("/") + f"/api/events?since={since}"
        self._response = urllib.request.urlopen(url, timeout=60)
        self.headers = dict(self._response.headers)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for line in self._response:
                line = line.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    event = json.loads(line[len("data: "):])
                    event["_received"] = time.monotonic()
                    self.events.append(event)
        except (OSError, ValueError):
            pass

    def kinds(self, kind):
        return [e for e in self.events if e["kind"] == kind]

    def wait_for(self, predicate, timeout=30.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = [e for e in self.events if predicate(e)]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no matching event within {timeout} s; got kinds "
                             f"{sorted({e['kind'] for e in self.events})}")

    def close(self):
        self._response.close()


def wait_for_script(browser, script, predicate=bool, timeout=60.0):
    """Run ``script`` in the page every 0.1 s until ``predicate(value)`` holds; that value. On
    timeout the error names the script, its last value and the page's status line (``#status``)."""
    end = time.monotonic() + timeout
    value = None
    while time.monotonic() < end:
        value = browser.execute_script(script)
        if predicate(value):
            return value
        time.sleep(0.1)
    status = browser.execute_script("const s = document.getElementById('status'); return s && s.textContent")
    raise AssertionError(f"{script!r} still {value!r} after {timeout} s; status: {status!r}")


def full_page_screenshot(browser, name):
    """A screenshot of the whole page into ``screenshot_dir()/name``: the window is stretched to the
    page's height (at most 4000 px) for a moment, then given back its size."""
    size = browser.get_window_size()
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(size["width"], max(size["height"], min(int(height) + 140, 4000)))
    try:
        time.sleep(0.3)
        browser.save_screenshot(os.path.join(screenshot_dir(), name))
    finally:
        browser.set_window_size(size["width"], size["height"])


def screenshot_dir():
    """Where the browser tests write their screenshots: ``$SCRATCHNN_STUDIO_SCREENSHOTS`` or
    ``build/studio-screenshots`` in the repository."""
    path = os.environ.get("SCRATCHNN_STUDIO_SCREENSHOTS") or os.path.join(
        os.path.dirname(__file__), "..", "..", "build", "studio-screenshots")
    os.makedirs(path, exist_ok=True)
    return os.path.abspath(path)


def make_browser():
    """A headless Chromium driven by selenium, logging the console; skips the test with a reason
    when selenium, chromium or chromedriver is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("the browser tests need chromium and chromedriver (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    return webdriver.Chrome(options=options, service=service)


def console_errors(browser):
    """The page's console messages of level SEVERE (errors, failed requests)."""
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
