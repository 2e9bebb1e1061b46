"""Optimizers: in-place NumPy updates of ``Tensor.data`` with Keras 3 names, defaults and formulas.

    import scratchnn as snn
    opt = snn.optimizers.Adam(learning_rate=1e-3)      # or snn.optimizers.get("adam")
    loss.backward()
    opt.step(params)                                   # or opt.apply_gradients(zip(grads, params))

Each class's docstring gives its update rule and how it differs from PyTorch's.
Learning-rate schedules live in ``scratchnn.optimizers.schedules``.
"""
from ..registry import Registry
from . import schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .base import Optimizer
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

#: The optimizer names: 'adam', 'sgd', ... (case-insensitive, so 'Adam' and 'SGD' work too).
OPTIMIZERS = Registry("optimizer", base=Optimizer, example="Adam")
for _cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax):
    OPTIMIZERS.add(_cls, _cls.__name__.lower())
del _cls


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}``; ``deserialize`` (or ``get``) rebuilds the optimizer."""
    return OPTIMIZERS.serialize(optimizer)


def deserialize(config):
    """Build an optimizer from ``serialize``'s dict (class names are matched case-insensitively)."""
    return OPTIMIZERS.deserialize(config)


def get(identifier):
    """Resolve ``identifier`` to an optimizer, as ``keras.optimizers.get`` does.

    * a name such as ``"adam"`` or ``"SGD"`` (case-insensitive): a new instance with default arguments;
    * an ``Optimizer`` instance: returned as is (an ``Optimizer`` class: a new instance);
    * a config dict ``{"class_name": "Adam", "config": {...}}`` (what ``serialize`` returns).
    """
    if identifier is None:
        raise ValueError(f"could not interpret optimizer identifier None: expected a name (one of "
                         f"{OPTIMIZERS.names()}), an Optimizer instance or a config dict.")
    return OPTIMIZERS.get(identifier)


__all__ = ["OPTIMIZERS", "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Nadam",
           "Adamax",
           "schedules", "get", "serialize", "deserialize"]
