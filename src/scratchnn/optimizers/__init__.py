"""Optimizers: in-place NumPy updates of ``Tensor.data`` with Keras 3 names, defaults and formulas.

    import scratchnn as snn
    opt = snn.optimizers.Adam(learning_rate=1e-3)      # or snn.optimizers.get("adam")
    loss.backward()
    opt.step(params)                                   # or opt.apply_gradients(zip(grads, params))

Each class's docstring gives its update rule and how it differs from PyTorch's.
Learning-rate schedules live in ``scratchnn.optimizers.schedules``.
"""
from .. import _custom
from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .base import Optimizer
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

_BY_NAME = {cls.__name__.lower(): cls
            for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax)}


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}``; ``deserialize`` (or ``get``) rebuilds the optimizer."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """Build an optimizer from ``serialize``'s dict (class names are matched case-insensitively)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("an optimizer config must be a dict with 'class_name' and 'config' keys, "
                         f"got {config!r}.")
    cls = _lookup(config["class_name"])
    return cls.from_config(config.get("config", {}))


def _lookup(name):
    cls = _BY_NAME.get(str(name).lower()) or _custom.lookup(
        name, lambda obj: isinstance(obj, type) and issubclass(obj, Optimizer))
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(_BY_NAME)} "
                         "(case-insensitive).")
    return cls


def get(identifier):
    """Resolve ``identifier`` to an optimizer, as ``keras.optimizers.get`` does.

    * a name such as ``"adam"`` or ``"SGD"`` (case-insensitive): a new instance with default arguments;
    * an ``Optimizer`` instance: returned as is;
    * a config dict ``{"class_name": "Adam", "config": {...}}`` (what ``serialize`` returns).
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"could not interpret optimizer identifier {identifier!r}: expected a name "
                     f"(one of {sorted(_BY_NAME)}), an Optimizer instance or a config dict.")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Nadam", "Adamax",
           "schedules", "get", "serialize", "deserialize"]
