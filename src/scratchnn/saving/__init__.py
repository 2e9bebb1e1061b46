"""Saving and loading models: one safe file format, written atomically.

    model.save("mnist.scratchnn")                       # architecture + weights + optimizer state
    model = scratchnn.models.load_model("mnist.scratchnn")
    model.save_weights("mnist.safetensors")             # the numbers alone
    model.load_weights("mnist.safetensors")

A ``.scratchnn`` file is a zip holding ``config.json`` (every layer's ``get_config()`` and the
compile settings), ``model.safetensors`` (the weights), ``optimizer.safetensors`` (step count
and moments) and ``metadata.json`` (format version); ``docs/model-format.md`` documents it.
No pickle, no ``eval``, no import of anything a file names: classes are found by name among
scratchnn's own and those registered with ``@register_serializable()``.  Every problem found
while reading raises ``ModelFormatError`` (a ``ValueError``) naming the faulty part.
"""
from ._atomic import atomic_write
from ._format import (FORMAT_VERSION, ModelFormatError, custom_object_scope, get_registered_object,
                      load_model, load_weights, model_from_config, model_from_json, model_to_json,
                      register_serializable, save_model, save_weights)

__all__ = ["ModelFormatError", "register_serializable", "get_registered_object", "custom_object_scope",
           "save_model", "load_model", "save_weights", "load_weights", "model_to_json", "model_from_json",
           "model_from_config", "atomic_write", "FORMAT_VERSION"]
