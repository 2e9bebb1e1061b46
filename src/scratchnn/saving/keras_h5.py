"""Keras 3's weights file, ``*.weights.h5``: written and read so a file moves between scratchnn
and Keras 3 (TensorFlow, JAX or PyTorch backend) for the same architecture.

The layout (read from the files Keras 3.15 writes, and from ``keras/src/saving/saving_lib.py``)
is an HDF5 tree of groups. Each layer's own variables sit in a group ``<path>/vars`` as datasets
``0, 1, 2, ...`` in the layer's order (trainable first, then non-trainable), and the group has
an attribute ``name`` (the layer's name, for people; Keras does not read it back). The path of
a layer is made of the attributes that lead to it::

    vars                                   the model itself (no variables: an empty group)
    layers/dense/vars/0, 1                 Sequential or functional: the model's ``layers``, each
    layers/dense_1/vars/0, 1               named by its class in snake case, numbered _1, _2, ...
    layers/batch_normalization/vars/0..3   in the order of ``model.layers`` (gamma, beta,
                                           moving_mean, moving_variance)
    layers/sequential/layers/dense/vars/0  a nested model: its own ``layers/...``
    layers/lstm/cell/vars/0, 1, 2          a layer's sublayer: under the attribute's name
    layers/multi_head_attention/query_dense/vars/0, 1
                                           scratchnn's MultiHeadAttention holds these itself: its
                                           weights are split into Keras's four sublayers' groups
    layers/normalization/vars/2            Keras's legacy 'count' (written as 0, not used)
    optimizer/vars/0, 1, ...               the optimizer's state (Keras writes it; scratchnn does not,
                                           and ignores it when reading)

Layers are found by that path, not by their names: Keras's own rule (names are generated and
differ between two instances of the same model), so a file written by Keras for a model whose
layers are named ``dense_7`` loads into a scratchnn model whose layers are named ``dense_2``.

Reading is safe: nothing is executed, every dataset is checked (a plain numeric array, stored in
this file, of the shape of the model's weight) before any is read, a dataset is read only once
its shape matches the model's weight (memory bounded by the model's size), and nothing is
written to the model until every weight has been read and checked (never a half-loaded model).
"""
import io
import os
import re
import warnings

import numpy as np

from . import archive
from .archive import ModelFormatError
from .atomic import atomic_write

#: The suffix Keras 3 gives its weights files (``model.save_weights`` requires it).
SUFFIX = ".weights.h5"
#: The first bytes of every HDF5 file.
SIGNATURE = b"\x89HDF\r\n\x1a\n"
PART = "weights.h5"
_GRAPH_MODELS = {"Sequential", "Functional"}
#: Variables Keras 3 keeps after a layer's own and scratchnn has not: ``(shape, dtype)`` of each,
#: written as zeros and, when read, checked but not used (Normalization's legacy ``count``).
_KERAS_ONLY = {"Normalization": (((), "int64"),)}
#: Layers that hold as their own weights what Keras 3 keeps in sublayers: Keras's attribute (walked
#: in sorted order) and sublayer name for each group of weights, named ``<group>/<weight>``.
_SPLIT = {"MultiHeadAttention": (("key_dense", "key"), ("output_dense", "attention_output"),
                                 ("query_dense", "query"), ("value_dense", "value"))}


def is_keras_weights_path(filepath):
    return os.fspath(filepath).lower().endswith(SUFFIX)


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("reading or writing a '.weights.h5' file needs h5py: "
                          "pip install 'scratchnn[h5]'") from None
    return h5py


# --------------------------------------------------------------------------- Keras's paths
def _snake_case(name):
    """Keras's ``naming.to_snake_case``: 'BatchNormalization' -> 'batch_normalization'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _own_weights(layer):
    """The layer's own variables (not its sublayers'), trainable first: Keras's ``vars`` order."""
    inner = {id(w) for sub in layer.sublayers() for w in sub.weights}
    return [w for w in layer.weights if id(w) not in inner]


def _is_graph_model(layer):
    return any(c.__name__ in _GRAPH_MODELS for c in type(layer).__mro__)


def _children(layer):
    """``(attribute, value)`` pairs Keras walks below ``layer``: a Sequential or functional
    model's ``layers``; for any other layer, its attributes that hold a layer or a container of
    layers (and a subclassed model's ``layers`` property), sorted by name with private ones last
    (Keras's ``_walk_saveable``; a layer reached twice is kept at the first path)."""
    if _is_graph_model(layer):
        return [("layers", list(layer.layers))]
    out, subs = [], layer.sublayers()
    listed = getattr(type(layer), "layers", None)
    if isinstance(listed, property) and "layers" not in vars(layer):
        out.append(("layers", list(layer.layers)))     # a subclassed model's ``layers``, as Keras's dir()
    for name, value in vars(layer).items():
        if name.startswith("__"):
            continue
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, (list, tuple)) or any(value is sub for sub in subs):
            out.append((name, value))
    return sorted(out, key=lambda item: "~" + item[0] if item[0].startswith("_") else item[0])


def _split(layer, own):
    """``[(attribute, name, weights)]`` for a layer whose weights Keras keeps in sublayers (a
    ``MultiHeadAttention``'s query/key/value/output projections), or None."""
    groups = next((_SPLIT[c.__name__] for c in type(layer).__mro__ if c.__name__ in _SPLIT), None)
    if groups is None or not own:
        return None
    parts = [(attr, name, [w for w in own if w.name.split("/")[-2:-1] == [name]]) for attr, name in groups]
    return parts if sum(len(p[2]) for p in parts) == len(own) else None


def keras_entries(model):
    """``[(path, name, class name, own_weights, keras_only)]`` for every layer below ``model``
    (``model`` itself first, at path ''), in Keras's order, each layer once (the first path
    reaching it); ``keras_only``: the ``(shape, dtype)`` of Keras's variables that follow."""
    entries, seen = [], set()

    def visit(layer, path):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        own = _own_weights(layer)
        split = _split(layer, own)
        extra = _KERAS_ONLY.get(type(layer).__name__, ()) if own else ()
        entries.append((path, layer.name, type(layer).__name__, own if split is None else [], extra))
        for attr, name, weights in split or ():
            entries.append((f"{path}/{attr}" if path else attr, name, "EinsumDense", weights, ()))
        for attr, value in _children(layer):
            where = f"{path}/{attr}" if path else attr
            if isinstance(value, (list, tuple)):
                used = {}
                for item in value:
                    if not hasattr(item, "sublayers"):
                        continue
                    base = _snake_case(type(item).__name__)
                    used[base] = used.get(base, -1) + 1
                    visit(item, f"{where}/{base}_{used[base]}" if used[base] else f"{where}/{base}")
            else:
                visit(value, where)

    visit(model, "")
    return entries


def _vars_path(path):
    return f"{path}/vars" if path else "vars"


# --------------------------------------------------------------------------- write
def save_keras_weights(model, filepath):
    """Write ``model``'s weights as Keras 3's ``.weights.h5`` (atomically: a crash leaves the
    previous file or none). The optimizer's state is not written (Keras loads such a file; an
    optimizer that is built then keeps its own state)."""
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, name, _, weights, extra in keras_entries(model):
            group = f.create_group(_vars_path(path))
            group.attrs["name"] = name
            for i, w in enumerate(weights):
                group.create_dataset(str(i), data=np.asarray(w.data))
            for i, (shape, dtype) in enumerate(extra, start=len(weights)):
                group.create_dataset(str(i), data=np.zeros(shape, dtype))
    with atomic_write(filepath) as out:
        out.write(buffer.getvalue())
    return filepath


# --------------------------------------------------------------------------- read, checked
def _where(path, name, kind):
    return f"layer '{name}' ({kind}, at '{_vars_path(path)}')"


def stored_dataset(h5py, group, key, where, path, part=PART):
    """The dataset ``key`` of ``group``, refused unless it is a plain dataset stored in this file
    (a link to another file, or to elsewhere, is never followed)."""
    link = group.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise ModelFormatError(part, f"{where}: '{key}' is a {type(link).__name__}, not a dataset "
                               "stored in this file", path)
    ds = group[key]
    if not isinstance(ds, h5py.Dataset):
        raise ModelFormatError(part, f"{where}: '{key}' is a group, not a dataset", path)
    return ds


def group_at(h5py, f, vpath, where, path, part=PART):
    """The group at ``vpath``, or None when absent; every step must be a group stored in this file
    (a soft or external link is never followed)."""
    group = f
    for step in vpath.split("/"):
        link = group.get(step, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise ModelFormatError(part, f"{where}: '{vpath}' goes through a {type(link).__name__}; links "
                                   "are not followed", path)
        group = group[step]
        if not isinstance(group, h5py.Group):
            raise ModelFormatError(part, f"{where}: '{vpath}' is not a group", path)
    return group


def _check_dataset(ds, shape, what, where, path):
    dtype = ds.dtype
    if dtype.names is not None or dtype.subdtype is not None or dtype.kind not in "fiub":
        raise ModelFormatError(PART, f"{where}: {what} has the dtype {dtype}; expected a numeric array", path)
    if tuple(ds.shape) != tuple(shape):
        raise ModelFormatError(PART, f"{where}: {what} is {list(ds.shape)} in the file; the model's is "
                               f"{list(shape)}", path)


def _read_checked(h5py, f, entries, path):
    """Every weight's values from ``f``, checked against the model; raises before returning any."""
    values = []
    for where_path, name, kind, weights, extra in entries:
        where = _where(where_path, name, kind)
        vpath = _vars_path(where_path)
        group = group_at(h5py, f, vpath, where, path)
        count = 0 if group is None else len(group)
        if count != len(weights) + len(extra):
            extra = ()                 # a file without Keras's extra variables is fine too
        keys = sorted(group.keys()) if 0 < count <= len(weights) + len(extra) else []
        if count != len(weights) + len(extra) or keys != sorted(str(i) for i in range(count)):
            shapes = [list(w.data.shape) for w in weights]
            if group is None and weights:
                raise ModelFormatError(PART, f"{where} is missing from the file (the model's layer holds "
                                       f"{len(weights)} weights of shapes {shapes})", path)
            raise ModelFormatError(PART, f"{where}: the file holds {count} entries;"
                                   f" the layer has {len(weights)} of shapes {shapes}", path)
        for i, (shape, _) in enumerate(extra, start=len(weights)):     # checked, not used
            ds = stored_dataset(h5py, group, str(i), where, path)
            _check_dataset(ds, shape, f"weight {i}", where, path)
        for i, w in enumerate(weights):
            ds = stored_dataset(h5py, group, str(i), where, path)
            dtype = ds.dtype
            _check_dataset(ds, w.data.shape, f"weight {i} ('{w.name}')", where, path)
            if dtype.kind != w.data.dtype.kind and not (dtype.kind in "iub" and w.data.dtype.kind in "iub"):
                raise ModelFormatError(PART, f"{where}: weight {i} ('{w.name}') is {dtype} in the file; the "
                                       f"model's is {w.data.dtype}", path)
            values.append((w, np.asarray(ds[()], dtype=w.data.dtype)))
    return values


def _check_no_extra(h5py, f, entries, path):
    """Refuse a file that holds weights for layers the model does not have (a different model)."""
    known = {_vars_path(entry[0]) for entry in entries}
    extra = []

    def look(name, obj):
        if len(extra) < 5 and name.endswith("vars") and name.rsplit("/", 1)[-1] == "vars" \
                and name not in known and name.split("/", 1)[0] != "optimizer" and len(obj):
            extra.append(name)

    f.visititems(lambda name, obj: look(name, obj) if isinstance(obj, h5py.Group) else None)
    if extra:
        raise ModelFormatError(PART, f"the file holds weights for layers the model does not have: {extra} "
                               "(a different architecture?)", path)


def load_keras_weights(model, filepath):
    """Set ``model``'s weights from a Keras 3 ``.weights.h5`` file (Keras's or scratchnn's), all
    checked before any is written. The optimizer's part of the file is ignored."""
    h5py = _h5py()
    path = os.fspath(filepath)
    entries = keras_entries(model)
    with archive.open_regular_file(path) as raw:
        if raw.read(8) != SIGNATURE:
            raise ModelFormatError(PART, "is not an HDF5 file", path)
        raw.seek(0)
        try:
            with h5py.File(raw, "r") as f:
                if "model_weights" in f or "layer_names" in f.attrs:
                    raise ModelFormatError(PART, "is a Keras 2 (legacy) HDF5 file; only Keras 3's "
                                           "'.weights.h5' layout is read", path)
                values = _read_checked(h5py, f, entries, path)
                _check_no_extra(h5py, f, entries, path)
        except ModelFormatError:
            raise
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise ModelFormatError(PART, f"cannot be read as HDF5: {e}", path) from None
    for w, value in values:
        w.data[...] = value
    warn_non_finite(values, path)


def warn_non_finite(values, path):
    """A warning for each ``(weight, value)`` whose value holds NaN or Inf."""
    for w, value in values:
        if value.dtype.kind == "f" and not np.isfinite(value.sum(dtype=np.float64)):
            bad = value.size - int(np.count_nonzero(np.isfinite(value)))
            warnings.warn(f"{path}: weight '{w.name}' holds {bad} non-finite value(s) (NaN or Inf) out of "
                          f"{value.size}: the model's outputs will not be finite", stacklevel=4)
