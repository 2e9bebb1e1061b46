"""Nested structures of arrays, as ``tf.data`` elements are: an array, or a tuple or dict of them
(nested to any depth). A list is *one* array (TensorFlow converts a list to a tensor), not a
structure.

* ``map_structure(fn, s)``: the same structure with ``fn`` applied to every array (a leaf);
* ``leaves(s)``: the arrays in order (dict values by key order as given);
* ``to_arrays(s, who)``: every leaf as a NumPy array (a ``Tensor`` gives its data).
"""
import numpy as np

from ..autograd import Tensor

__all__ = ["map_structure", "leaves", "to_arrays", "describe"]


def map_structure(fn, structure, *others):
    """``fn`` applied leaf by leaf (to the leaves at the same place of ``structure`` and ``others``)."""
    kind = type(structure)
    if kind is np.ndarray:                       # the common cases first: this runs per element
        return fn(structure, *others)
    if not others and kind is tuple:
        return tuple([map_structure(fn, s) for s in structure])
    if isinstance(structure, tuple):
        items = [map_structure(fn, s, *(o[i] for o in others)) for i, s in enumerate(structure)]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v, *(o[k] for o in others)) for k, v in structure.items()}
    return fn(structure, *others)


def leaves(structure):
    """The leaves of ``structure``, depth first."""
    if isinstance(structure, tuple):
        return [leaf for s in structure for leaf in leaves(s)]
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in leaves(v)]
    return [structure]


def _as_array(value, who):
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    try:
        arr = np.asarray(value)
    except ValueError as err:                  # a ragged list
        raise ValueError(f"{who}: {err}") from None
    if arr.dtype == object:
        raise TypeError(f"{who}: cannot make an array of {type(value).__name__} {value!r:.80} "
                        "(ragged lists and Python objects are not supported)")
    return arr


def to_arrays(structure, who):
    """Every leaf as a NumPy array; ``None`` leaves are refused (TensorFlow has no None tensor)."""
    def convert(value):
        if value is None:
            raise TypeError(f"{who}: an element holds None; elements are arrays, or tuples or dicts of them")
        return _as_array(value, who)
    return map_structure(convert, structure)


def describe(structure):
    """A short text of the shapes in ``structure``: '((32, 4), (32,))'."""
    if isinstance(structure, tuple):
        return "(" + ", ".join(describe(s) for s in structure) + ")"
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in structure.items()) + "}"
    return str(tuple(np.shape(structure)))
