"""Every model_selection test starts with an empty record of builds (and of scored rows)."""
import pytest

from tests.model_selection.helpers import CALLS, SEEN


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()
    SEEN.clear()
    yield
