"""``scratchnn.callbacks.get`` (``scratchnn/callbacks/__init__.py``)."""
import pytest

from scratchnn import callbacks as cb_mod
from scratchnn.callbacks import EarlyStopping, ReduceLROnPlateau


def test_get_resolves_callbacks():
    es = EarlyStopping()
    assert cb_mod.get(es) is es
    assert isinstance(cb_mod.get("earlystopping"), EarlyStopping)
    got = cb_mod.get({"class_name": "ReduceLROnPlateau", "config": {"patience": 3}})
    assert isinstance(got, ReduceLROnPlateau) and got.patience == 3
    with pytest.raises(ValueError, match="unknown callback"):
        cb_mod.get("NoSuchCallback")
