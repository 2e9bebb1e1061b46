"""Models: ``Sequential`` and ``Model`` (subclass it), with compile/fit/evaluate/predict.

* ``model.py``: ``Model``, its layers, weights, build, config, file and ``snapshot()``;
* ``trainer.py``: ``Trainer`` (``compile``, ``fit``, ``evaluate``, ``predict``, the steps);
* ``checks.py``: the checks made before training (targets vs loss, input shapes, classic mistakes);
* ``data.py``: getting arrays and generators into batches; ``interrupt.py``: Ctrl-C during ``fit``;
* ``state.py``: ``ModelState``, a saved state of a model; ``summary.py``: ``model.summary()``;
* ``sequential.py``: ``Sequential``; ``functional.py``: ``Functional``, what ``Model(inputs, outputs)`` makes;
* ``gpt.py``: ``GPT``, a decoder-only transformer language model made of the layers.
"""
from ..saving import load_model, model_from_json
from .functional import Functional
from .gpt import GPT
from .model import Model
from .sequential import Sequential
from .state import ModelState

__all__ = ["Model", "Functional", "GPT", "Sequential", "ModelState", "load_model", "model_from_json"]
