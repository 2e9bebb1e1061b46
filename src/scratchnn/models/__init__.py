"""Models: ``Sequential`` and ``Model`` (subclass it), with compile/fit/evaluate/predict."""
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential"]
