"""``scratchnn.sklearn`` without scikit-learn says how to install it, and pyproject declares the
extra.
"""
import importlib
import sys
from pathlib import Path

import pytest

sklearn = pytest.importorskip("sklearn")


# ---------------------------------------------------------------- import without scikit-learn
def test_import_without_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)          # import sklearn now fails
    monkeypatch.delitem(sys.modules, "scratchnn.sklearn", raising=False)
    with pytest.raises(ImportError, match=r"needs scikit-learn: pip install 'scratchnn\[sklearn\]'"):
        importlib.import_module("scratchnn.sklearn")


def test_pyproject_declares_the_sklearn_extra():
    tomllib = pytest.importorskip("tomllib")                  # Python >= 3.11
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert tomllib.loads(text)["project"]["optional-dependencies"]["sklearn"] == ["scikit-learn>=1.2"]
