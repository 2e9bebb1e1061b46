import pytest

from scratchnn.studio import Studio

from .client import make_browser


@pytest.fixture
def studio():
    s = Studio(heartbeat=0.5)
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    driver = make_browser()
    yield driver
    driver.quit()
