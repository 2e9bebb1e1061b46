"""The registry of user-defined objects that files may name (layers, losses, activations, ...).

A saved model refers to everything by name: ``"Dense"``, ``"relu"``, ``"MyBlock"``.  Built-in
names are resolved by each module's own table; a name not found there is looked up here, in
the objects registered with ``scratchnn.saving.register_serializable``.  Nothing is ever
imported or evaluated because a file names it: an unknown name is an error.
"""
CUSTOM_OBJECTS = {}


def register(name, obj):
    """Record ``obj`` under ``name`` (a later registration of the same name replaces it)."""
    CUSTOM_OBJECTS[name] = obj
    return obj


def lookup(name, predicate=None):
    """The object registered as ``name`` (or None), optionally only if ``predicate(obj)``."""
    obj = CUSTOM_OBJECTS.get(name)
    if obj is None or (predicate is not None and not predicate(obj)):
        return None
    return obj


def name_of(obj):
    """The name under which ``obj`` was registered, or None."""
    for name, known in CUSTOM_OBJECTS.items():
        if known is obj:
            return name
    return None


HINT = ("Register it before loading: decorate its definition with "
        "@scratchnn.saving.register_serializable() (or pass custom_objects={{{name!r}: ...}} to load_model).")
