"""``scratchnn.optimizers.get`` (``scratchnn/optimizers/__init__.py``): names, instances and
configs.
"""
import pytest

from scratchnn import optimizers as opt


# ----------------------------------------------------------------- get() and argument errors
def test_get_resolves_names_instances_and_configs():
    assert type(opt.get("adam")) is opt.Adam and type(opt.get("RMSprop")) is opt.RMSprop
    for name, cls in [("sgd", opt.SGD), ("adagrad", opt.Adagrad), ("adadelta", opt.Adadelta),
                      ("AdamW", opt.AdamW), ("nadam", opt.Nadam), ("ADAMAX", opt.Adamax)]:
        assert type(opt.get(name)) is cls
    a = opt.Adam(0.3)
    assert opt.get(a) is a
    assert opt.get({"class_name": "SGD", "config": {"learning_rate": 0.2}}).learning_rate == 0.2
    assert opt.get("sgd").learning_rate == 0.01 and opt.get("adamw").weight_decay == 0.004
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*adam.*sgd"):
        opt.get("adamm")
    with pytest.raises(ValueError, match="could not interpret"):
        opt.get(3)
