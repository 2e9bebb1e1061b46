"""Every model_selection test starts with an empty record of builds."""
import pytest

from tests.model_selection.helpers import CALLS


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()
    yield
