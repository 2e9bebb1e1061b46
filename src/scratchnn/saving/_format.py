"""The ``.scratchnn`` model file: a zip of JSON (the architecture) and safetensors (the numbers).

Layout (documented for other tools in ``docs/model-format.md``)::

    model.scratchnn  (zip)
    ├── metadata.json          {"format": "scratchnn.model", "format_version": 1, ...}
    ├── config.json            {"class_name", "config", "build_input_shape", "weights", "compile_config"}
    ├── model.safetensors      one tensor per weight, key "0003/dense_1/kernel" (index/name)
    └── optimizer.safetensors  only when compiled: "iterations", "global/<name>", "<slot>/<weight key>"

Reading trusts nothing: every member is checked (names, sizes, JSON syntax, versions, the
weights' keys, shapes and dtypes against the architecture) and the model is rebuilt by name
from the classes scratchnn knows or that were registered; nothing is imported, evaluated or
unpickled. Any problem raises ``ModelFormatError`` naming the part of the file at fault, and
no half-loaded model is ever returned.
"""
import datetime
import json
import math
import os
import zipfile
import zlib

import numpy as np

from .. import _custom
from .. import layers as _layers
from .. import losses as _losses
from .. import metrics as _metrics
from .. import optimizers as _optimizers
from ..layers import base as _layer_base
from ._atomic import atomic_write

FORMAT = "scratchnn.model"
FORMAT_VERSION = 1

#: Limits applied when reading (module attributes, so a user may raise them deliberately).
MAX_JSON_BYTES = 16 * 2**20
MAX_TENSOR_FILE_BYTES = 4 * 2**30
MAX_INPUT_ELEMENTS = 2**25           # elements of one input sample (the model is built on a batch of 1)
MAX_LAYERS = 10_000

CONFIG, METADATA = "config.json", "metadata.json"
WEIGHTS, OPTIMIZER = "model.safetensors", "optimizer.safetensors"
_REQUIRED = (METADATA, CONFIG, WEIGHTS)
_ALLOWED = _REQUIRED + (OPTIMIZER,)
_DTYPES = ("float16", "float32", "float64", "int32", "int64")


class ModelFormatError(ValueError):
    """A model file (or weights file) that cannot be loaded; ``part`` names what is wrong.

    ``part`` is the member (``"config.json"``, ``"model.safetensors"``, ...) or ``"file"``
    for the archive itself; ``reason`` says what was found and what was expected.
    """

    def __init__(self, part, reason, path=None):
        self.part, self.reason, self.path = part, reason, path
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{part}: {reason}")


# --------------------------------------------------------------------------- registration
def register_serializable(package="Custom", name=None):
    """Decorator: make a custom layer, model, loss, metric, optimizer or activation loadable.

        @scratchnn.saving.register_serializable()
        class Scale(scratchnn.layers.Layer): ...

    Files name objects by ``name`` (default: the class or function name); loading looks the
    name up among the registered objects. ``package`` is accepted for Keras compatibility and
    only documents where the object comes from.
    """
    def decorator(obj):
        key = name or getattr(obj, "__name__", None)
        if not key:
            raise ValueError(f"register_serializable: {obj!r} has no __name__; pass name=")
        _custom.register(key, obj)
        return obj
    return decorator


def get_registered_object(name):
    """The object registered under ``name``, or None."""
    return _custom.lookup(name)


class custom_object_scope:
    """``with custom_object_scope({"Scale": Scale}): ...``: names usable only inside the block."""

    def __init__(self, objects=None):
        self.objects = dict(objects or {})

    def __enter__(self):
        self._saved = {k: _custom.CUSTOM_OBJECTS[k] for k in self.objects if k in _custom.CUSTOM_OBJECTS}
        _custom.CUSTOM_OBJECTS.update(self.objects)
        return self

    def __exit__(self, *exc):
        for key in self.objects:
            _custom.CUSTOM_OBJECTS.pop(key, None)
        _custom.CUSTOM_OBJECTS.update(self._saved)


# --------------------------------------------------------------------------- architecture
def _class_name(model):
    registered = _custom.name_of(type(model))
    return registered or type(model).__name__


def _check_resolvable(config, where):
    """Fail at save time (not at load time) when a layer class could not be found again."""
    for i, layer in enumerate(config.get("layers", [])):
        name = layer.get("class_name")
        if name not in _layers._REGISTRY and _custom.lookup(name) is None and name != "Sequential":
            raise ValueError(f"cannot save {where}: layer {i} is of class {name!r}, which loading "
                             "would not find. " + _custom.HINT.format(name=name))
        _check_resolvable(layer.get("config", {}), f"{where}, layer {i}")


def model_config(model):
    """``{"class_name", "config", "build_input_shape"}``: the architecture as JSON-ready data."""
    from ..models import Sequential
    name = _class_name(model)
    if not isinstance(model, Sequential) and _custom.lookup(name) is None:
        raise ValueError(f"cannot save the architecture of {name}: subclassed models are rebuilt "
                         f"from their class, so register it and give it get_config(). "
                         + _custom.HINT.format(name=name) + " To keep only the numbers, use save_weights().")
    config = model.get_config()
    _check_resolvable(config, name)
    shape = getattr(model, "input_shape", None)
    return {"class_name": name, "config": config,
            "build_input_shape": None if shape is None else list(shape)}


def model_from_config(spec, custom_objects=None):
    """Rebuild (and build, when the input shape is known) a model from ``model_config``'s dict."""
    with custom_object_scope(custom_objects):
        return _build_model(spec)


def _build_model(spec):
    from ..models import Sequential
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise ValueError("expected {'class_name': ..., 'config': {...}}")
    name = spec.get("class_name")
    cls = Sequential if name == "Sequential" else _custom.lookup(
        name, lambda obj: isinstance(obj, type) and issubclass(obj, _layers.Layer))
    if cls is None:
        raise ValueError(f"unknown model class {name!r}. " + _custom.HINT.format(name=name))
    model = cls.from_config(spec["config"])
    shape = spec.get("build_input_shape")
    if shape is not None and not model.built:
        model.build(tuple(shape))
    return model


# --------------------------------------------------------------------------- weights <-> tensors
def weight_key(index, variable):
    return f"{index:04d}/{variable.name}"


def _weight_tensors(model):
    # np.require keeps 0-d weights 0-d (np.ascontiguousarray would make them shape (1,))
    return {weight_key(i, w): np.require(w.data, requirements="C") for i, w in enumerate(model.weights)}


def _optimizer_tensors(model):
    opt = model.optimizer
    tensors = {"iterations": np.array(opt.iterations, dtype=np.int64)}
    for name, value in opt._global_state():
        tensors[f"global/{name}"] = np.array(value, dtype=np.float64)
    keys = {id(w): weight_key(i, w) for i, w in enumerate(model.weights)}
    for var, state in opt._state.items():
        if id(var) not in keys:        # state of a variable that is not this model's: not saved
            continue
        for slot, arr in state.items():
            tensors[f"{slot}/{keys[id(var)]}"] = np.require(arr, requirements="C")
    return tensors


def _compile_config(model):
    if not getattr(model, "compiled", False):
        return None
    opt = model.optimizer
    lr = opt._learning_rate
    if callable(lr) and not isinstance(lr, _optimizers.schedules.LearningRateSchedule):
        raise ValueError(f"cannot save the optimizer: its learning rate is a plain callable ({lr!r}); "
                         "use a scratchnn.optimizers.schedules class, or save with include_optimizer=False")

    def metric(m):
        if isinstance(m, str):
            return m
        if isinstance(m, _metrics.Metric):
            return {"class_name": _custom.name_of(type(m)) or type(m).__name__, "config": m.get_config()}
        return _custom.name_of(m) or getattr(m, "__name__", repr(m))

    opt_config = _optimizers.serialize(opt)
    opt_config["class_name"] = _custom.name_of(type(opt)) or opt_config["class_name"]
    loss = None
    if model.loss is not None:
        loss = _losses.serialize(model.loss)
        loss["class_name"] = _custom.name_of(type(model.loss)) or loss["class_name"]
    return {"optimizer": opt_config, "loss": loss,
            "metrics": [metric(m) for m in model._metric_ids],
            "weighted_metrics": [metric(m) for m in model._weighted_metric_ids],
            "loss_weights": model.loss_weight}


def _tensor_bytes(tensors, kind):
    from safetensors.numpy import save
    return save(tensors, metadata={"format": FORMAT, "content": kind})


def _metadata():
    from .. import __version__
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "scratchnn_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


# --------------------------------------------------------------------------- save
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to ``filepath``.

    The file is written atomically: a crash leaves the previous file (or none), never a broken one.
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    if not model.built:
        raise ValueError("cannot save a model that is not built: give the first layer an input_shape, "
                         "call build(), or fit/predict once before saving")
    spec = model_config(model)
    spec["compile_config"] = _compile_config(model) if include_optimizer else None
    weights = _weight_tensors(model)
    spec["weights"] = [{"key": k, "shape": list(a.shape), "dtype": a.dtype.name} for k, a in weights.items()]
    members = [(METADATA, json.dumps(_metadata(), indent=2).encode()),
               (CONFIG, json.dumps(spec, indent=2, allow_nan=False).encode()),
               (WEIGHTS, _tensor_bytes(weights, "weights"))]
    if spec["compile_config"] is not None:
        members.append((OPTIMIZER, _tensor_bytes(_optimizer_tensors(model), "optimizer")))
    with atomic_write(filepath) as f, zipfile.ZipFile(f, "w") as zf:
        for name, data in members:
            kind = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=kind)
    return filepath


def save_weights(model, filepath, overwrite=True):
    """Write the weights alone as one safetensors file (keys ``index/name``), atomically."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    if not model.built:
        raise ValueError("cannot save the weights of a model that is not built (it has none yet)")
    data = _tensor_bytes(_weight_tensors(model), "weights")
    with atomic_write(filepath) as f:
        f.write(data)
    return filepath


# --------------------------------------------------------------------------- read, checked
def _read_members(path):
    try:
        zf = zipfile.ZipFile(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise                                   # not a format problem: the OSError says what is wrong
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError) as e:         # NotImplementedError: a zip version zipfile cannot read
        raise ModelFormatError("file", f"not a readable zip archive ({e})", path) from None
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        for name in names:
            if name not in _ALLOWED:
                escape = name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/")
                what = "a member name that escapes the archive" if escape else "an unexpected member"
                raise ModelFormatError(name or "file", f"{what}; expected only {list(_ALLOWED)}", path)
        if len(set(names)) != len(names):
            raise ModelFormatError("file", "a member appears twice", path)
        missing = [n for n in _REQUIRED if n not in names]
        if missing:
            raise ModelFormatError(missing[0], "missing from the archive", path)
        out = {}
        for info in infos:
            limit = MAX_JSON_BYTES if info.filename.endswith(".json") else MAX_TENSOR_FILE_BYTES
            if info.file_size > limit:
                raise ModelFormatError(info.filename, f"declares {info.file_size} bytes, more than the limit "
                                       f"of {limit}", path)
            if info.flag_bits & 0x1:
                raise ModelFormatError(info.filename, "is encrypted", path)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ModelFormatError(info.filename, f"uses compression method {info.compress_type}; "
                                       "expected stored (0) or deflated (8)", path)
            try:
                with zf.open(info) as member:
                    data = member.read(limit + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
                raise ModelFormatError(info.filename, f"cannot be read ({e})", path) from None
            if len(data) != info.file_size:
                raise ModelFormatError(info.filename, f"holds {len(data)} bytes, declared {info.file_size}",
                                       path)
            out[info.filename] = data
    return out


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is too large for a float")
    return value


def _parse_json(data, part, path):
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFormatError(part, f"is not valid JSON ({str(e)[:200]})", path) from None
    if not isinstance(value, dict):
        raise ModelFormatError(part, f"must hold a JSON object, got {type(value).__name__}", path)
    return value


def _parse_tensors(data, part, path):
    from safetensors import SafetensorError
    from safetensors.numpy import load
    try:
        return load(data)
    except (SafetensorError, ValueError, TypeError, KeyError, OverflowError, MemoryError) as e:
        raise ModelFormatError(part, f"is not a valid safetensors file ({str(e)[:200]})", path) from None


def _check_metadata(meta, path):
    if meta.get("format") != FORMAT:
        raise ModelFormatError(METADATA, f"format is {meta.get('format')!r}, expected {FORMAT!r}", path)
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFormatError(METADATA, f"format_version {version!r} is not a positive integer", path)
    if version > FORMAT_VERSION:
        raise ModelFormatError(METADATA, f"format_version {version} is newer than this scratchnn reads "
                               f"({FORMAT_VERSION}); upgrade scratchnn to load it", path)


def _check_shape(shape, what, allow_none):
    if not isinstance(shape, list) or len(shape) > 32:
        raise ValueError(f"{what} must be a list of at most 32 dimensions, got {shape!r}")
    for d in shape:
        if d is None and allow_none:
            continue
        if not isinstance(d, int) or isinstance(d, bool) or not 0 <= d < 2**40:
            raise ValueError(f"{what} has the dimension {d!r}; expected an integer in [0, 2**40)")


def _check_config(spec, weights, path):
    """Check the parts of config.json that the loader itself relies on."""
    try:
        if not isinstance(spec.get("class_name"), str) or not isinstance(spec.get("config"), dict):
            raise ValueError("expected 'class_name' (a string) and 'config' (an object)")
        layers = spec["config"].get("layers", [])
        if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
            raise ValueError(f"'layers' must be a list of at most {MAX_LAYERS} layer configs")
        shape = spec.get("build_input_shape")
        if shape is not None:
            _check_shape(shape, "build_input_shape", allow_none=True)
            if any(d is not None and d < 1 for d in shape[1:]):
                raise ValueError(f"build_input_shape {shape} has an empty dimension; a sample needs at "
                                 "least one value along each axis")
            size = math.prod(d for d in shape[1:] if d is not None)
            if size > MAX_INPUT_ELEMENTS:
                raise ValueError(f"build_input_shape {shape} has {size} values per sample, more than "
                                 f"{MAX_INPUT_ELEMENTS}")
        listed = spec.get("weights")
        if not isinstance(listed, list):
            raise ValueError("'weights' must be a list of {key, shape, dtype}")
        for i, entry in enumerate(listed):
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise ValueError(f"weights[{i}] must be an object with a string 'key'")
            _check_shape(entry.get("shape"), f"weights[{i}].shape", allow_none=False)
            if entry.get("dtype") not in _DTYPES:
                raise ValueError(f"weights[{i}].dtype is {entry.get('dtype')!r}; expected one of {_DTYPES}")
            stored = weights.get(entry["key"])
            if stored is None:
                raise ValueError(f"weights[{i}] names {entry['key']!r}, which {WEIGHTS} does not hold")
            if list(stored.shape) != entry["shape"] or stored.dtype.name != entry["dtype"]:
                raise ValueError(f"weights[{i}] ({entry['key']}) is declared {entry['dtype']}{entry['shape']}"
                                 f" but stored as {stored.dtype.name}{list(stored.shape)}")
        extra = set(weights) - {e["key"] for e in listed}
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


def _restore_optimizer(model, tensors, path):
    """Check ``tensors`` against the model's optimizer; returns a function that writes them."""
    opt = model.optimizer
    weights = model.weights
    slots = [name for name, _ in opt._slot_specs()]
    globals_ = dict(opt._global_state())
    pending = []
    for key, arr in tensors.items():
        if key == "iterations":
            if arr.shape != () or arr.dtype not in (np.int32, np.int64) or not 0 <= int(arr) < 2**62:
                raise ModelFormatError(OPTIMIZER, f"'iterations' must be a non-negative integer scalar, "
                                       f"got {arr.dtype.name}{list(arr.shape)}", path)
            continue
        head, _, rest = key.partition("/")
        if head == "global":
            if rest not in globals_ or arr.shape != () or not np.isfinite(arr):
                raise ModelFormatError(OPTIMIZER, f"unexpected optimizer-wide state {key!r}", path)
            continue
        index = rest.split("/", 1)[0]          # weights are matched by index, as in load_weights
        known = index.isascii() and index.isdigit() and int(index) < len(weights)
        var = weights[int(index)] if known else None
        if head not in slots or var is None:
            raise ModelFormatError(OPTIMIZER, f"tensor {key!r} matches no slot of {type(opt).__name__} "
                                   f"({slots}) and weight of the model", path)
        if arr.shape != var.data.shape or arr.dtype != var.data.dtype:
            raise ModelFormatError(OPTIMIZER, f"slot {key!r} is {arr.dtype.name}{list(arr.shape)}; expected "
                                   f"{var.data.dtype.name}{list(var.data.shape)}", path)
        pending.append((var, head, arr))
    if "iterations" not in tensors:
        raise ModelFormatError(OPTIMIZER, "has no 'iterations'", path)

    def apply():
        opt.iterations = int(tensors["iterations"])
        for key, arr in tensors.items():
            if key.startswith("global/"):
                opt._set_global_state(key[len("global/"):], float(arr))
        for var, slot, arr in pending:
            opt._state_for(var)[slot][...] = arr
    return apply


def load_model(filepath, custom_objects=None, compile=True):
    """Read a model written by ``save_model``: architecture, weights, and (when ``compile``)
    the compile settings and the optimizer's state, so that ``fit`` continues where it stopped.

    Raises ``ModelFormatError`` for anything wrong in the file; never returns a half-loaded model.
    """
    path = os.fspath(filepath)
    with custom_object_scope(custom_objects):
        members = _read_members(path)
        meta = _parse_json(members[METADATA], METADATA, path)
        _check_metadata(meta, path)
        spec = _parse_json(members[CONFIG], CONFIG, path)
        weights = _parse_tensors(members[WEIGHTS], WEIGHTS, path)
        _check_config(spec, weights, path)
        budget = sum(int(a.size) for a in weights.values())
        token = _layer_base._weight_budget.set([budget])
        try:
            model = _build_model(spec)
        except ModelFormatError:
            raise
        except Exception as e:          # any failure to rebuild is a fault of the file's config
            raise ModelFormatError(CONFIG, f"cannot rebuild the model: {type(e).__name__}: {e}", path) from e
        finally:
            _layer_base._weight_budget.reset(token)
        if not model.built:
            raise ModelFormatError(CONFIG, "the model's input shape is unknown (no build_input_shape)", path)
        _assign_checked(model.weights, _sorted_by_index(weights, WEIGHTS, path), WEIGHTS, path)
        compile_config = spec.get("compile_config")
        if compile and compile_config is not None:
            _compile_from(model, compile_config, path)
            if OPTIMIZER in members:
                _restore_optimizer(model, _parse_tensors(members[OPTIMIZER], OPTIMIZER, path), path)()
    return model


def _compile_from(model, config, path):
    try:
        if not isinstance(config, dict):
            raise ValueError("compile_config must be an object")
        opt = _optimizers.deserialize(config["optimizer"])
        loss = config.get("loss")
        def metric_list(key):
            entries = config.get(key, [])
            if not isinstance(entries, list) or not all(isinstance(m, (str, dict)) for m in entries):
                raise ValueError(f"{key} must be a list of metric names or {{class_name, config}} objects, "
                                 f"got {entries!r:.200}")
            return [_metrics.get(m) if isinstance(m, dict) else m for m in entries]

        model.compile(optimizer=opt, loss=None if loss is None else _losses.get(loss),
                      metrics=metric_list("metrics"), weighted_metrics=metric_list("weighted_metrics"),
                      loss_weights=config.get("loss_weights"))
    except ModelFormatError:
        raise
    except Exception as e:
        raise ModelFormatError(CONFIG, f"compile_config: {type(e).__name__}: {e}", path) from e


def load_weights(model, filepath):
    """Set ``model``'s weights from a ``save_weights`` file (or a ``.scratchnn`` model file),
    matched by position; all are checked before any is written."""
    path = os.fspath(filepath)
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"PK":
        members = _read_members(path)
        tensors, part = _parse_tensors(members[WEIGHTS], WEIGHTS, path), WEIGHTS
    else:
        tensors, part = _read_tensor_file(path), "file"
    if not model.built:
        raise ValueError("load_weights needs a built model (give it an input_shape or call build() first)")
    _assign_checked(model.weights, _sorted_by_index(tensors, part, path), part, path)


def save_training_state(model, weights_path, optimizer_path=None):
    """Write the weights (and the optimizer's state, when ``optimizer_path`` is given) as two
    safetensors files, atomically: what resuming needs, for any model (no architecture, so
    unregistered custom layers and models are fine)."""
    data = _tensor_bytes(_weight_tensors(model), "weights")
    with atomic_write(weights_path) as f:
        f.write(data)
    if optimizer_path is not None:
        data = _tensor_bytes(_optimizer_tensors(model), "optimizer")
        with atomic_write(optimizer_path) as f:
            f.write(data)


def _read_tensor_file(path):
    with open(path, "rb") as f:
        data = f.read(MAX_TENSOR_FILE_BYTES + 1)
    if len(data) > MAX_TENSOR_FILE_BYTES:
        raise ModelFormatError("file", f"larger than {MAX_TENSOR_FILE_BYTES} bytes", path)
    return _parse_tensors(data, "file", path)


def load_training_state(model, weights_path, optimizer_path=None):
    """Set ``model``'s weights and its optimizer's state from ``save_training_state``'s files,
    checking everything before changing anything (used to resume training)."""
    weights_path = os.fspath(weights_path)
    ordered = _sorted_by_index(_read_tensor_file(weights_path), "file", weights_path)
    if len(ordered) != len(model.weights):
        raise ModelFormatError("file", f"holds {len(ordered)} weight tensors; the model has "
                               f"{len(model.weights)}", weights_path)
    for var, (key, arr) in zip(model.weights, ordered):        # check all before writing any
        if arr.shape != var.data.shape or arr.dtype != var.data.dtype:
            raise ModelFormatError("file", f"tensor {key!r} does not match weight '{var.name}'", weights_path)
    restore = None
    if optimizer_path is not None and getattr(model, "optimizer", None) is not None:
        optimizer_path = os.fspath(optimizer_path)
        restore = _restore_optimizer(model, _read_tensor_file(optimizer_path), optimizer_path)
    _assign_checked(model.weights, ordered, "file", weights_path)
    if restore is not None:
        restore()


def model_to_json(model, **kwargs):
    """The architecture as a JSON string (no weights)."""
    return json.dumps(model_config(model), allow_nan=False, **kwargs)


def model_from_json(text, custom_objects=None):
    """Rebuild a model (fresh weights) from ``to_json``'s string."""
    spec = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    return model_from_config(spec, custom_objects)


__all__ = ["ModelFormatError", "register_serializable", "get_registered_object", "custom_object_scope",
           "save_model", "load_model", "save_weights", "load_weights", "model_to_json", "model_from_json",
           "model_config", "model_from_config", "FORMAT_VERSION"]
