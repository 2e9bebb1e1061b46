"""Saving and loading a whole model: ``save_model`` / ``load_model``, the weights alone, and
the training state that ``BackupAndRestore`` resumes from.

A model is saved as its architecture (``model.get_config()`` with every layer's class by
name), its weights, its compile settings (``model.get_compile_config()``) and its optimizer's
state (``optimizer_state.py``), in the archive described in ``archive.py``. Loading rebuilds
the model by name from the classes scratchnn knows or that were registered (the ``layer``
registry: ``Dense``, ``Sequential``, your ``@register_serializable()`` classes); nothing is
imported, evaluated or unpickled. Every weight is checked (key, shape, dtype) against the
architecture before any is written, and no half-loaded model is ever returned.
"""
import json
import math
import os
import warnings

import numpy as np

from ..layers import LAYERS
from ..layers.base import weight_budget
from ..registry import REGISTER_HINT, custom
from . import archive, keras_h5, keras_legacy_h5
from .archive import CONFIG, METADATA, OPTIMIZER, WEIGHTS, ModelFormatError
from .atomic import atomic_write
from .optimizer_state import optimizer_tensors, restore_optimizer, weight_key
from .registration import custom_object_scope


# --------------------------------------------------------------------------- architecture
def _class_name(model):
    return custom.name_of(type(model)) or type(model).__name__


def _check_resolvable(config, where):
    """Fail at save time (not at load time) when a layer class could not be found again."""
    for i, layer in enumerate(config.get("layers", [])):
        name = layer.get("class_name")
        if name not in LAYERS:
            raise ValueError(f"cannot save {where}: layer {i} is of class {name!r}, which loading "
                             "would not find. " + REGISTER_HINT.format(name=name))
        _check_resolvable(layer.get("config", {}), f"{where}, layer {i}")


def model_config(model):
    """``{"class_name", "config", "build_input_shape"}``: the architecture as JSON-ready data."""
    name = _class_name(model)
    if LAYERS.find(name) is not type(model):
        raise ValueError(f"cannot save the architecture of {name}: subclassed models are rebuilt "
                         f"from their class, so register it and give it get_config(). "
                         + REGISTER_HINT.format(name=name) + " To keep only the numbers, use save_weights().")
    config = model.get_config()
    _check_resolvable(config, name)
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, list):           # a model with several inputs: its config holds their shapes
        shape = None
    return {"class_name": name, "config": config,
            "build_input_shape": None if shape is None else list(shape)}


def model_from_config(spec, custom_objects=None):
    """Rebuild (and build, when the input shape is known) a model from ``model_config``'s dict."""
    with custom_object_scope(custom_objects):
        return _build_model(spec)


def _build_model(spec):
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise ValueError("expected {'class_name': ..., 'config': {...}}")
    name = spec.get("class_name")
    cls = LAYERS.find(name)
    if cls is None:
        raise ValueError(f"unknown model class {name!r}. " + REGISTER_HINT.format(name=name))
    model = cls.from_config(spec["config"])
    shape = spec.get("build_input_shape")
    if shape is not None and not model.built:
        model.build(tuple(shape))
    return model


def _weight_tensors(model):
    # np.require keeps 0-d weights 0-d (np.ascontiguousarray would make them shape (1,))
    return {weight_key(i, w): np.require(w.data, requirements="C") for i, w in enumerate(model.weights)}


#: HDF5 names: ``*.weights.h5`` is Keras 3's weights file (``keras_h5.py``); any other ``.h5`` /
#: ``.hdf5`` name is Keras's legacy whole-model file (``keras_legacy_h5.py``).
HDF5_SUFFIXES = keras_legacy_h5.SUFFIXES


def check_save_path(filepath, weights_only=False):
    """Refuse a path whose suffix names the other HDF5 file: weights (``save_weights``) go to
    ``*.weights.h5``, a whole model (``save``) to another ``.h5`` / ``.hdf5`` name."""
    filepath = os.fspath(filepath)
    if not filepath.lower().endswith(HDF5_SUFFIXES):
        return filepath
    weights_name = keras_h5.is_keras_weights_path(filepath)
    if weights_only == weights_name:
        return filepath
    stem = filepath[:filepath.rindex(".")]
    if weights_only:
        raise ValueError(f"save_weights: cannot write {filepath!r}: an HDF5 weights file is Keras 3's, "
                         f"named '*{keras_h5.SUFFIX}' (such as {stem + keras_h5.SUFFIX!r}); or write "
                         f"safetensors, to a path such as {stem + '.safetensors'!r} (a '.h5' name is a whole "
                         "model: model.save)")
    stem = filepath[:-len(keras_h5.SUFFIX)]
    raise ValueError(f"save_model: cannot write {filepath!r}: a '*{keras_h5.SUFFIX}' name is Keras 3's "
                     f"weights file (save_weights); a whole model goes to a '.h5' name such as "
                     f"{stem + '.h5'!r} (Keras's legacy whole-model HDF5) or to scratchnn's zip format, "
                     f"a '.scratchnn' name such as {stem + '.scratchnn'!r}")


def _check_overwrite(filepath, overwrite, weights_only=False):
    filepath = check_save_path(filepath, weights_only)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    return filepath


# --------------------------------------------------------------------------- save
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to ``filepath``.

    The file is written atomically: a crash leaves the previous file (or none), never a broken one.
    """
    filepath = _check_overwrite(filepath, overwrite)
    if not model.built:
        raise ValueError("cannot save a model that is not built: give the first layer an input_shape, "
                         "call build(), or fit/predict once before saving")
    spec = model_config(model)
    spec["compile_config"] = model.get_compile_config() if include_optimizer else None
    if keras_legacy_h5.is_legacy_h5_path(filepath):
        return keras_legacy_h5.save_legacy_h5(model, filepath, spec, spec.pop("compile_config"))
    weights = _weight_tensors(model)
    spec["weights"] = [{"key": k, "shape": list(a.shape), "dtype": a.dtype.name} for k, a in weights.items()]
    members = [(METADATA, json.dumps(archive.metadata(), indent=2).encode()),
               (CONFIG, json.dumps(spec, indent=2, allow_nan=False).encode()),
               (WEIGHTS, archive.tensor_bytes(weights, "weights"))]
    if spec["compile_config"] is not None:
        members.append((OPTIMIZER, archive.tensor_bytes(optimizer_tensors(model), "optimizer")))
    archive.write_archive(filepath, members)
    return filepath


def save_weights(model, filepath, overwrite=True):
    """Write the weights alone, atomically: as one safetensors file (keys ``index/name``), or, for a
    path ending in ``.weights.h5``, in Keras 3's HDF5 layout (``keras_h5.py``; needs h5py)."""
    filepath = _check_overwrite(filepath, overwrite, weights_only=True)
    if not model.built:
        raise ValueError("cannot save the weights of a model that is not built (it has none yet)")
    if keras_h5.is_keras_weights_path(filepath):
        return keras_h5.save_keras_weights(model, filepath)
    data = archive.tensor_bytes(_weight_tensors(model), "weights")
    with atomic_write(filepath) as f:
        f.write(data)
    return filepath


# --------------------------------------------------------------------------- read, checked
def _check_shape(shape, what, allow_none):
    if not isinstance(shape, list) or len(shape) > 32:
        raise ValueError(f"{what} must be a list of at most 32 dimensions, got {shape!r}")
    for d in shape:
        if d is None and allow_none:
            continue
        if not isinstance(d, int) or isinstance(d, bool) or not 0 <= d < 2**40:
            raise ValueError(f"{what} has the dimension {d!r}; expected an integer in [0, 2**40)")


def _count_layers(config):
    """The layer configs in a model's config, those of nested models included: every entry of
    every ``layers`` list, found without recursion (deep nesting cannot exhaust the stack)."""
    count, stack = 0, [config]
    while stack and count <= archive.MAX_LAYERS:
        value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("layers"), list):
                count += len(value["layers"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return count


def _check_config(spec, header, path):
    """Check the parts of config.json that the loader itself relies on, and its weight listing
    against ``header`` (``{key: (dtype, shape)}`` of model.safetensors) before anything is built."""
    try:
        if not isinstance(spec.get("class_name"), str) or not isinstance(spec.get("config"), dict):
            raise ValueError("expected 'class_name' (a string) and 'config' (an object)")
        if not isinstance(spec["config"].get("layers", []), list):
            raise ValueError("'layers' must be a list of layer configs")
        if _count_layers(spec["config"]) > archive.MAX_LAYERS:
            raise ValueError(f"the model has more than {archive.MAX_LAYERS} layers, counting those of nested "
                             "models: more than a file may hold (scratchnn.saving.archive.MAX_LAYERS)")
        shape = spec.get("build_input_shape")
        if shape is not None:
            _check_shape(shape, "build_input_shape", allow_none=True)
            if any(d is not None and d < 1 for d in shape[1:]):
                raise ValueError(f"build_input_shape {shape} has an empty dimension; a sample needs at "
                                 "least one value along each axis")
            size = math.prod(d for d in shape[1:] if d is not None)
            if size > archive.MAX_INPUT_ELEMENTS:
                raise ValueError(f"build_input_shape {shape} has {size} values per sample, more than "
                                 f"{archive.MAX_INPUT_ELEMENTS}")
        listed = spec.get("weights")
        if not isinstance(listed, list):
            raise ValueError("'weights' must be a list of {key, shape, dtype}")
        for i, entry in enumerate(listed):
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise ValueError(f"weights[{i}] must be an object with a string 'key'")
            _check_shape(entry.get("shape"), f"weights[{i}].shape", allow_none=False)
            if entry.get("dtype") not in archive.DTYPES:
                raise ValueError(f"weights[{i}].dtype is {entry.get('dtype')!r}; expected one of "
                                 f"{archive.DTYPES}")
            stored = header.get(entry["key"])
            if stored is None:
                raise ValueError(f"weights[{i}] names {entry['key']!r}, which {WEIGHTS} does not hold")
            if stored != (entry["dtype"], entry["shape"]):
                raise ValueError(f"weights[{i}] ({entry['key']}) is declared {entry['dtype']}{entry['shape']}"
                                 f" but stored as {stored[0]}{stored[1]}")
        extra = set(header) - {e["key"] for e in listed}
        if extra:
            raise ValueError(f"{WEIGHTS} holds tensors the config does not list: {sorted(extra)[:5]}")
    except ValueError as e:
        raise ModelFormatError(CONFIG, str(e), path) from None


def _assign_checked(variables, tensors, part, path):
    """Check every tensor against its variable first; only then write them all (all or nothing)."""
    if len(tensors) != len(variables):
        raise ModelFormatError(part, f"holds {len(tensors)} weight tensors; the model has {len(variables)}",
                               path)
    for var, (key, arr) in zip(variables, tensors):
        if arr.shape != var.data.shape or arr.dtype != var.data.dtype:
            raise ModelFormatError(part, f"tensor {key!r} is {arr.dtype.name}{list(arr.shape)}; the model's "
                                   f"weight '{var.name}' is {var.data.dtype.name}{list(var.data.shape)}",
                                   path)
    for var, (_, arr) in zip(variables, tensors):
        var.data[...] = arr
    _warn_non_finite(variables, tensors, part, path)


def _warn_non_finite(variables, tensors, part, path):
    """Warn about each weight holding NaN or Inf (loading goes on: the file may be a record of
    training that diverged). A sum in float64 finds them without a mask the size of the weight;
    only a weight whose sum is not finite is counted."""
    for var, (key, arr) in zip(variables, tensors):
        if arr.dtype.kind != "f" or arr.size == 0 or np.isfinite(arr.sum(dtype=np.float64)):
            continue
        bad = arr.size - int(np.count_nonzero(np.isfinite(arr)))
        if bad:
            layer, _, weight = var.name.rpartition("/")
            warnings.warn(f"{path}: {part}: weight '{weight}' of layer '{layer}' ({key}) holds {bad} "
                          f"non-finite value(s) (NaN or Inf) out of {arr.size}: the model's outputs will not "
                          "be finite", stacklevel=5)


def _sorted_by_index(tensors, part, path):
    """The tensors ordered by the index in their key ``NNNN/name``."""
    indexed = []
    for key, arr in tensors.items():
        head = key.split("/", 1)[0]
        if not (head.isascii() and head.isdigit()):
            raise ModelFormatError(part, f"tensor key {key!r} does not start with a weight index", path)
        indexed.append((int(head), key, arr))
    indexed.sort()
    if [i for i, _, _ in indexed] != list(range(len(indexed))):
        raise ModelFormatError(part, "weight indices are not 0..n-1", path)
    return [(key, arr) for _, key, arr in indexed]



def load_model(filepath, custom_objects=None, compile=True):
    """Read a model written by ``save_model``: architecture, weights, and (when ``compile``)
    the compile settings and the optimizer's state, so that ``fit`` continues where it stopped.

    Raises ``ModelFormatError`` for anything wrong in the file; never returns a half-loaded model.
    The memory used is bounded by a small multiple of the file's size: each member is sized
    before it is inflated, the weights' header is checked against the architecture before
    anything large is allocated, and the layers are built with empty weights (no initializer
    runs, no random number is drawn) that the file's values then fill.
    """
    path = os.fspath(filepath)
    with custom_object_scope(custom_objects):
        try:
            return _load_model(path, compile)
        except MemoryError as e:
            raise ModelFormatError("file", f"needs more memory than is free ({e})", path) from None


def _load_model(path, compile):
    with archive.open_regular_file(path) as f:
        legacy_h5 = f.read(len(keras_h5.SIGNATURE)) == keras_h5.SIGNATURE
    if legacy_h5:
        compile_model = (lambda model, config: model.compile_from_config(config)) if compile else None
        return keras_legacy_h5.load_legacy_h5(path, _build_model, compile_model, _count_layers)
    members = archive.read_members(path)
    meta = archive.parse_json(members[METADATA], METADATA, path)
    archive.check_metadata(meta, path)
    spec = archive.parse_json(members[CONFIG], CONFIG, path)
    header = archive.tensor_header(members[WEIGHTS], WEIGHTS, path)
    _check_config(spec, header, path)
    weights = _sorted_by_index(archive.parse_tensors(members.pop(WEIGHTS), WEIGHTS, path), WEIGHTS, path)
    try:
        with weight_budget(sum(math.prod(shape) for _, shape in header.values()), initialize=False):
            model = _build_model(spec)
    except ModelFormatError:
        raise
    except Exception as e:          # any failure to rebuild is a fault of the file's config
        raise ModelFormatError(CONFIG, f"cannot rebuild the model: {type(e).__name__}: {e}", path) from e
    if not model.built:
        raise ModelFormatError(CONFIG, "the model's input shape is unknown (no build_input_shape)", path)
    _assign_checked(model.weights, weights, WEIGHTS, path)
    del weights
    compile_config = spec.get("compile_config")
    if compile and compile_config is not None:
        _compile_from(model, compile_config, path)
        if OPTIMIZER in members:
            restore_optimizer(model, archive.parse_tensors(members.pop(OPTIMIZER), OPTIMIZER, path), path)()
    return model


def _compile_from(model, config, path):
    try:
        model.compile_from_config(config)
    except ModelFormatError:
        raise
    except Exception as e:
        raise ModelFormatError(CONFIG, f"compile_config: {type(e).__name__}: {e}", path) from e


def load_weights(model, filepath):
    """Set ``model``'s weights from a ``save_weights`` file (or a ``.scratchnn`` model file),
    matched by position, or from Keras 3's ``.weights.h5`` (matched by Keras's layer paths); all
    are checked before any is written."""
    path = os.fspath(filepath)
    with archive.open_regular_file(path) as f:
        head = f.read(len(keras_h5.SIGNATURE))
    if head == keras_h5.SIGNATURE or keras_h5.is_keras_weights_path(path):
        if not model.built:
            raise ValueError("load_weights needs a built model (give it an input_shape or call build() "
                             "first)")
        keras_h5.load_keras_weights(model, path)
        return
    if head[:2] == b"PK":
        members = archive.read_members(path)
        tensors, part = archive.parse_tensors(members[WEIGHTS], WEIGHTS, path), WEIGHTS
    else:
        tensors, part = archive.read_tensor_file(path), "file"
    if not model.built:
        raise ValueError("load_weights needs a built model (give it an input_shape or call build() first)")
    _assign_checked(model.weights, _sorted_by_index(tensors, part, path), part, path)



def save_training_state(model, weights_path, optimizer_path=None):
    """Write the weights (and the optimizer's state, when ``optimizer_path`` is given) as two
    safetensors files, atomically: what resuming needs, for any model (no architecture, so
    unregistered custom layers and models are fine)."""
    data = archive.tensor_bytes(_weight_tensors(model), "weights")
    with atomic_write(weights_path) as f:
        f.write(data)
    if optimizer_path is not None:
        data = archive.tensor_bytes(optimizer_tensors(model), "optimizer")
        with atomic_write(optimizer_path) as f:
            f.write(data)



def load_training_state(model, weights_path, optimizer_path=None):
    """Set ``model``'s weights and its optimizer's state from ``save_training_state``'s files,
    checking everything before changing anything (used to resume training)."""
    weights_path = os.fspath(weights_path)
    ordered = _sorted_by_index(archive.read_tensor_file(weights_path), "file", weights_path)
    if len(ordered) != len(model.weights):
        raise ModelFormatError("file", f"holds {len(ordered)} weight tensors; the model has "
                               f"{len(model.weights)}", weights_path)
    for var, (key, arr) in zip(model.weights, ordered):        # check all before writing any
        if arr.shape != var.data.shape or arr.dtype != var.data.dtype:
            raise ModelFormatError("file", f"tensor {key!r} does not match weight '{var.name}'", weights_path)
    restore = None
    if optimizer_path is not None and getattr(model, "optimizer", None) is not None:
        optimizer_path = os.fspath(optimizer_path)
        restore = restore_optimizer(model, archive.read_tensor_file(optimizer_path), optimizer_path)
    _assign_checked(model.weights, ordered, "file", weights_path)
    if restore is not None:
        restore()


def model_to_json(model, **kwargs):
    """The architecture as a JSON string (no weights)."""
    return json.dumps(model_config(model), allow_nan=False, **kwargs)


def model_from_json(text, custom_objects=None):
    """Rebuild a model (fresh weights) from ``to_json``'s string."""
    spec = json.loads(text, parse_constant=archive.reject_constant, parse_float=archive.finite_float)
    return model_from_config(spec, custom_objects)


__all__ = ["save_model", "load_model", "save_weights", "load_weights", "save_training_state",
           "load_training_state", "model_to_json", "model_from_json", "model_config", "model_from_config"]
