"""Saving and loading models: one safe file format, written atomically.

    model.save("mnist.scratchnn")                       # architecture + weights + optimizer state
    model = scratchnn.models.load_model("mnist.scratchnn")
    model.save_weights("mnist.safetensors")             # the numbers alone
    model.load_weights("mnist.safetensors")
    model.save_weights("mnist.weights.h5")              # Keras 3's weights file (needs h5py), both ways
    model.save("mnist.h5")                              # Keras's legacy whole-model HDF5 (h5py), both ways

A ``.scratchnn`` file is a zip holding ``config.json`` (every layer's ``get_config()`` and the
compile settings), ``model.safetensors`` (the weights), ``optimizer.safetensors`` (step count
and moments) and ``metadata.json`` (format version); ``docs/model-format.md`` documents it.
No pickle, no ``eval``, no import of anything a file names: classes are found by name among
scratchnn's own and those registered with ``@register_serializable()``.  Every problem found
while reading raises ``ModelFormatError`` (a ``ValueError``) naming the faulty part.

The modules, from the bytes up:

* ``atomic.py``: ``atomic_write``, the write that leaves either the old file or the new one;
* ``archive.py``: the zip and its members, read with limits and checks (``ModelFormatError``), from
  regular files only (``open_regular_file``: a FIFO or a device is refused before it is read);
* ``optimizer_state.py``: the optimizer's step count and slots as tensors, and back;
* ``registration.py``: ``register_serializable``, ``custom_object_scope``;
* ``keras_h5.py``: Keras 3's ``.weights.h5`` (HDF5, through h5py: ``pip install 'scratchnn[h5]'``),
  written and read in Keras's layout so weights move between scratchnn and Keras 3;
* ``keras_legacy_h5.py``: Keras's legacy whole-model ``.h5`` (``model_config``, ``training_config``,
  ``model_weights``), written so that Keras 3 loads it and read from Keras's own files;
* ``model_file.py``: ``save_model``/``load_model``, the weights alone, the training state.

``saving`` sits below ``models`` (as in Keras): ``model.save(path)`` calls ``save_model``, and
the format knows a model only through its public methods and the registries' names.
"""
from .archive import FORMAT_VERSION, ModelFormatError, NotARegularFileError, open_regular_file
from .atomic import atomic_write
from .model_file import (load_model, load_training_state, load_weights, model_config, model_from_config,
                         model_from_json, model_to_json, save_model, save_training_state, save_weights)
from .registration import custom_object_scope, get_registered_object, register_serializable

__all__ = ["ModelFormatError", "register_serializable", "get_registered_object", "custom_object_scope",
           "save_model", "load_model", "save_weights", "load_weights", "model_to_json", "model_from_json",
           "model_config", "model_from_config", "save_training_state", "load_training_state",
           "atomic_write", "FORMAT_VERSION", "NotARegularFileError", "open_regular_file"]
