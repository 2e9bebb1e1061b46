"""Models: ``Sequential`` and ``Model`` (subclass it), with compile/fit/evaluate/predict."""
from .model import Model
from .sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True):
    """A model saved with ``model.save(path)`` (see ``scratchnn.saving.load_model``)."""
    from ..saving import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile)


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from ``model.to_json()`` (see ``scratchnn.saving``)."""
    from ..saving import model_from_json as _from_json
    return _from_json(json_string, custom_objects=custom_objects)


__all__ = ["Model", "Sequential", "load_model", "model_from_json"]
