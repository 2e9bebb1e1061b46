"""Keras's legacy whole-model HDF5 file: ``model.save("my_model.h5")`` and
``keras.models.load_model("my_model.h5")``, written so that Keras 3 loads it and read from the
files Keras 3 writes (the layout below is read from the files Keras 3.15 writes, and from
``keras/src/legacy/saving/legacy_h5_format.py``)::

    /  attributes  keras_version, backend            strings
                   model_config                      JSON {"class_name": "Sequential", "config": {...}}
                   training_config                   JSON of the compile settings (when compiled):
                                                     loss, metrics, weighted_metrics, loss_weights,
                                                     optimizer_config {"class_name", "config"}
    model_weights  attributes  layer_names (model.layers' names, in order), keras_version, backend
    model_weights/<layer name>                       one group per layer (none for a layer without
                   attribute  weight_names           weights: an empty list), whose datasets are
    model_weights/<layer name>/<weight name>         named by ``weight_names`` ('sequential/dense/kernel':
                                                     nested groups), trainable weights first
    model_weights/top_level_model_weights            the model's own weights (none here)
    optimizer_weights/...                            Keras's optimizer state: not written, and
                                                     ignored when read (a loaded model's optimizer
                                                     starts afresh, as Keras's does without it)

Keras matches the weights by position: the layers that have weights, in ``model.layers`` order,
against the file's ``layer_names`` that list weights, in order. scratchnn does the same.

Keras 3's configs name some settings scratchnn does not have (an ``InputLayer``'s ``optional``,
a ``Dense``'s ``quantization_config``, an initializer's ``input_axes``, ...): such a setting is
dropped when it holds Keras's default and refused otherwise; ``{"module", "class_name",
"config", "registered_name"}`` objects become ``{"class_name", "config"}``, and a ``DTypePolicy``
its dtype name.

Reading is safe: nothing is executed (JSON and arrays only, never pickle), links are not followed,
every weight is a plain numeric dataset stored in this file in full, without filters (so what is
read is bounded by the file's size), the model is built within that many weight values, shapes
are checked against the model before any value is read, and nothing is written to the model
until all are read (never a half-loaded model).
"""
import io
import json
import os

import numpy as np

from ..layers.base import weight_budget
from . import archive, keras_h5
from .archive import ModelFormatError
from .atomic import atomic_write

PART = "model.h5"
SUFFIXES = (".h5", ".hdf5")
#: The Keras API version written into the file (scratchnn follows Keras 3's API).
KERAS_VERSION = "3.15.1"
BACKEND = "scratchnn"
#: Settings of Keras 3's configs that scratchnn does not have, with Keras's default: dropped when
#: they hold it, refused otherwise.
KERAS_DEFAULTS = {"optional": False, "sparse": False, "ragged": False, "quantization_config": None,
                  "input_axes": None, "output_axes": None, "lora_rank": None, "lora_alpha": None,
                  "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                  "loss_scale_factor": None, "gradient_accumulation_steps": None, "ignore_class": None,
                  "registered_name": None, "module": None, "autocast": True, "data_format": "channels_last"}


def is_legacy_h5_path(filepath):
    """True for ``*.h5`` / ``*.hdf5`` but not Keras 3's weights file ``*.weights.h5``."""
    path = os.fspath(filepath).lower()
    return path.endswith(SUFFIXES) and not keras_h5.is_keras_weights_path(path)


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading or writing a whole-model '.h5' file needs h5py: "
                          "pip install 'scratchnn[h5]'") from None
    return h5py


# --------------------------------------------------------------------------- write
def _names(values):
    """A list of strings as Keras stores it in an attribute (bytes; an empty list as Keras's)."""
    return np.asarray([v.encode("utf-8") for v in values])


def _legacy_weights(layer):
    return [w for w in layer.weights if w.trainable] + [w for w in layer.weights if not w.trainable]


def _training_config(compile_config):
    """Keras's ``training_config`` from scratchnn's ``get_compile_config()``."""
    loss_weights = compile_config.get("loss_weights")
    return {"loss": compile_config.get("loss"), "loss_weights": None if loss_weights == 1.0 else loss_weights,
            "metrics": compile_config.get("metrics") or None,
            "weighted_metrics": compile_config.get("weighted_metrics") or None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False,
            "optimizer_config": compile_config.get("optimizer")}


def save_legacy_h5(model, filepath, spec, compile_config=None):
    """Write ``model`` as Keras's whole-model HDF5 file (atomically). ``spec`` is its
    ``{"class_name", "config", "build_input_shape"}``; ``compile_config`` its compile settings
    (None: not compiled, or not wanted). The optimizer's state is not written."""
    h5py = _h5py()
    config = dict(spec["config"])
    if spec.get("build_input_shape") is not None:
        config["build_input_shape"] = list(spec["build_input_shape"])
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = BACKEND
        f.attrs["model_config"] = json.dumps({"class_name": spec["class_name"], "config": config},
                                             allow_nan=False).encode("utf-8")
        if compile_config is not None:
            f.attrs["training_config"] = json.dumps(_training_config(compile_config),
                                                    allow_nan=False).encode("utf-8")
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = _names([layer.name for layer in model.layers])
        group.attrs["backend"] = BACKEND.encode("utf-8")
        group.attrs["keras_version"] = KERAS_VERSION.encode("utf-8")
        for layer in sorted(model.layers, key=lambda layer: layer.name):
            layer_group = group.create_group(layer.name)
            names = []
            for w in _legacy_weights(layer):
                name = f"{model.name}/{w.name}"
                name = name if name not in names else f"{name}_{len(names)}"
                names.append(name)
                layer_group.create_dataset(name, data=np.asarray(w.data))
            layer_group.attrs["weight_names"] = _names(names)
        group.create_group("top_level_model_weights").attrs["weight_names"] = _names([])
    with atomic_write(filepath) as out:
        out.write(buffer.getvalue())
    return filepath


# --------------------------------------------------------------------------- read, checked
def _text_attribute(attrs, key, path, required=True):
    value = attrs.get(key)
    if value is None:
        if required:
            raise ModelFormatError(PART, f"has no '{key}' attribute: not a whole-model HDF5 file (a weights "
                                   "file is read with load_weights)", path)
        return None
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="strict")
    if not isinstance(value, str):
        raise ModelFormatError(PART, f"the '{key}' attribute is a {type(value).__name__}, not text", path)
    if len(value) > archive.MAX_JSON_BYTES:
        raise ModelFormatError(PART, f"the '{key}' attribute is {len(value)} bytes, more than the "
                               f"{archive.MAX_JSON_BYTES} allowed", path)
    return archive.parse_json(value.encode("utf-8"), PART, path)


def _name_list(attrs, key, where, path):
    value = attrs.get(key)
    if value is None:
        raise ModelFormatError(PART, f"{where} has no '{key}' attribute", path)
    value = np.asarray(value)
    if value.ndim != 1 or (value.size and value.dtype.kind not in "SOU"):
        raise ModelFormatError(PART, f"{where}: '{key}' is not a list of names", path)
    names = [v.decode("utf-8") if isinstance(v, bytes) else v for v in value.tolist()]
    if not all(isinstance(n, str) and n for n in names):
        raise ModelFormatError(PART, f"{where}: '{key}' is not a list of names", path)
    return names


def from_keras_config(value, where="model_config"):
    """A Keras 3 config made into scratchnn's: serialized objects as ``{"class_name", "config"}``,
    a ``DTypePolicy`` as its dtype name, Keras-only settings at their default dropped (a
    Keras-only setting with another value raises ``ValueError``)."""
    if isinstance(value, list):
        return [from_keras_config(v, where) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "DTypePolicy" and isinstance(value.get("config"), dict):
        return value["config"].get("name", "float32")
    out = {}
    for key, item in value.items():
        if key in KERAS_DEFAULTS:
            if key == "module" or item == KERAS_DEFAULTS[key]:
                continue
            raise ValueError(f"{where}: the Keras setting {key}={item!r} is not supported by scratchnn "
                             f"(only its default, {KERAS_DEFAULTS[key]!r})")
        out[key] = from_keras_config(item, f"{where}.{key}")
    return out


def _compile_config(training_config):
    """scratchnn's compile config from Keras's ``training_config``."""
    if not isinstance(training_config, dict):
        raise ValueError("training_config must be an object")
    config = from_keras_config(training_config, "training_config")
    loss_weights = config.get("loss_weights")
    return {"optimizer": config.get("optimizer_config"), "loss": config.get("loss"),
            "metrics": config.get("metrics") or [], "weighted_metrics": config.get("weighted_metrics") or [],
            "loss_weights": 1.0 if loss_weights is None else loss_weights}


def _stored_dataset(h5py, group, name, where, path):
    """The dataset at ``name`` (a path below ``group``), checked: reached through groups stored in
    this file, numeric, stored in full and unfiltered (what it holds is what the file holds)."""
    parent, _, key = name.rpartition("/")
    if parent:
        group = keras_h5.group_at(h5py, group, parent, where, path, part=PART)
        if group is None:
            raise ModelFormatError(PART, f"{where}: the weight '{name}' is missing", path)
    if key not in group:
        raise ModelFormatError(PART, f"{where}: the weight '{name}' is missing", path)
    ds = keras_h5.stored_dataset(h5py, group, key, where, path, part=PART)
    dtype = ds.dtype
    if dtype.names is not None or dtype.subdtype is not None or dtype.kind not in "fiub":
        raise ModelFormatError(PART, f"{where}: '{name}' has the dtype {dtype}; expected a numeric array",
                               path)
    if ds.compression is not None or (ds.chunks is not None and ds.id.get_create_plist().get_nfilters()):
        raise ModelFormatError(PART, f"{where}: '{name}' is stored with a filter (compression); Keras "
                               "writes plain arrays", path)
    if ds.id.get_storage_size() < ds.size * dtype.itemsize:
        raise ModelFormatError(PART, f"{where}: '{name}' declares {list(ds.shape)} values but the file "
                               f"stores {ds.id.get_storage_size()} bytes of them", path)
    return ds


def _file_layers(h5py, f, path):
    """``[(layer name, [datasets])]`` of the layers the file holds weights for, in order."""
    group = keras_h5.group_at(h5py, f, "model_weights", "the file", path, part=PART)
    if group is None:
        raise ModelFormatError(PART, "has no 'model_weights' group", path)
    out = []
    for name in _name_list(group.attrs, "layer_names", "model_weights", path):
        where = f"layer '{name}' (at 'model_weights/{name}')"
        layer_group = keras_h5.group_at(h5py, group, name, where, path, part=PART)
        if layer_group is None:
            raise ModelFormatError(PART, f"{where} is listed in layer_names but missing", path)
        weights = _name_list(layer_group.attrs, "weight_names", where, path)
        if weights:
            out.append((name, [_stored_dataset(h5py, layer_group, w, where, path) for w in weights]))
    return out


def _match(model, file_layers, path):
    """``[(variable, dataset)]`` pairing the model's weights with the file's, all shapes checked."""
    layers = [layer for layer in model.layers if layer.weights]
    if len(layers) != len(file_layers):
        raise ModelFormatError(PART, f"the file holds weights for {len(file_layers)} layers "
                               f"({[n for n, _ in file_layers]}); the model has {len(layers)} layers with "
                               f"weights ({[layer.name for layer in layers]})", path)
    pairs = []
    for layer, (name, datasets) in zip(layers, file_layers):
        weights = _legacy_weights(layer)
        where = f"layer '{layer.name}' (the file's '{name}')"
        if len(weights) != len(datasets):
            raise ModelFormatError(PART, f"{where}: the file holds {len(datasets)} weights; the layer has "
                                   f"{len(weights)}", path)
        for w, ds in zip(weights, datasets):
            if tuple(ds.shape) != tuple(w.data.shape):
                raise ModelFormatError(PART, f"{where}: weight '{w.name}' is {list(ds.shape)} in the file; "
                                       f"the model's is {list(w.data.shape)}", path)
            kinds = ds.dtype.kind, w.data.dtype.kind
            if kinds[0] != kinds[1] and not (kinds[0] in "iub" and kinds[1] in "iub"):
                raise ModelFormatError(PART, f"{where}: weight '{w.name}' is {ds.dtype} in the file; the "
                                       f"model's is {w.data.dtype}", path)
            pairs.append((w, ds))
    return pairs


def load_legacy_h5(filepath, build_model, compile_model=None, count_layers=None):
    """The model in a whole-model HDF5 file (Keras's or scratchnn's). ``build_model(spec)`` builds
    it from ``{"class_name", "config", "build_input_shape"}``; ``compile_model(model, config)``
    compiles it from scratchnn's compile config (None: not compiled); ``count_layers(config)``
    counts its layer configs (checked against ``archive.MAX_LAYERS``)."""
    h5py = _h5py()
    path = os.fspath(filepath)
    with archive.open_regular_file(path) as raw:
        if raw.read(8) != keras_h5.SIGNATURE:
            raise ModelFormatError(PART, "is not an HDF5 file", path)
        raw.seek(0)
        try:
            with h5py.File(raw, "r") as f:
                spec = _text_attribute(f.attrs, "model_config", path)
                training = _text_attribute(f.attrs, "training_config", path, required=False)
                file_layers = _file_layers(h5py, f, path)
                model = _rebuild(spec, file_layers, build_model, count_layers, path)
                pairs = _match(model, file_layers, path)
                values = [(w, np.asarray(ds[()], dtype=w.data.dtype)) for w, ds in pairs]
        except ModelFormatError:
            raise
        except (OSError, KeyError, ValueError, TypeError, UnicodeDecodeError) as e:
            raise ModelFormatError(PART, f"cannot be read as HDF5: {e}", path) from None
    for w, value in values:
        w.data[...] = value
    keras_h5.warn_non_finite(values, path)
    if compile_model is not None and training is not None:
        try:
            compile_model(model, _compile_config(training))
        except ModelFormatError:
            raise
        except Exception as e:
            raise ModelFormatError(PART, f"training_config: {type(e).__name__}: {e}", path) from e
    return model


def _rebuild(spec, file_layers, build_model, count_layers, path):
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict) \
            or not isinstance(spec.get("class_name"), str):
        raise ModelFormatError(PART, "model_config must be {'class_name': ..., 'config': {...}}", path)
    if count_layers is not None and count_layers(spec["config"]) > archive.MAX_LAYERS:
        raise ModelFormatError(PART, f"model_config holds more than {archive.MAX_LAYERS} layers", path)
    try:
        config = from_keras_config(spec["config"])
        shape = config.pop("build_input_shape", None)
        budget = sum(int(np.prod(ds.shape, dtype=np.int64)) for _, datasets in file_layers for ds in datasets)
        with weight_budget(budget, initialize=False):
            model = build_model({"class_name": spec["class_name"], "config": config,
                                 "build_input_shape": shape})
    except ModelFormatError:
        raise
    except Exception as e:          # any failure to rebuild is a fault of the file's config
        raise ModelFormatError(PART, f"cannot rebuild the model from model_config: {type(e).__name__}: {e}",
                               path) from e
    if not model.built:
        raise ModelFormatError(PART, "the model's input shape is unknown (no build_input_shape or "
                               "InputLayer in model_config)", path)
    return model
