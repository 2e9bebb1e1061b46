"""Exporting a trained model to run outside scratchnn: ONNX (``pip install 'scratchnn[onnx]'``).

    model.export("mnist.onnx")                     # format="onnx", opset=17 (Keras 3's method)
    scratchnn export runs/<name> --format onnx     # the command line, beside the run's model

    import onnxruntime                             # then, anywhere (C++, C#, JavaScript, ...):
    session = onnxruntime.InferenceSession("mnist.onnx")
    probabilities = session.run(None, {"input": images})[0]

The modules:

* ``graph.py``: the graph being built (``Graph``) and the values between layers (``Value``, with
  their layout: scratchnn is channels-last, ONNX's convolutions channels-first);
* ``registry.py``: ``CONVERTERS``, one converter per layer class (a subclass is refused by name);
* ``activations.py``, ``core.py``, ``conv.py``, ``attention.py``, ``models.py``: the converters;
* ``model_export.py``: ``to_onnx`` (the checked ModelProto) and ``export_model`` (the file,
  written atomically after every check passed).

``export`` sits beside ``callbacks``, below ``models``: ``model.export()`` calls it, and it sees a
model only through its public surface (layers, their configuration and weights). ``onnx`` is
imported only when a model is exported.
"""
from . import activations, attention, conv, core, models
from .graph import INSTALL_HINT, ExportError, Graph, Value, require_onnx
from .model_export import DEFAULT_OPSET, FORMATS, export_model, to_onnx
from .registry import CONVERTERS, ConverterRegistry, class_key

__all__ = ["export_model", "to_onnx", "ExportError", "CONVERTERS", "ConverterRegistry", "Graph", "Value",
           "class_key", "require_onnx", "DEFAULT_OPSET", "FORMATS", "INSTALL_HINT"]
