"""Making your own classes and functions loadable: ``@register_serializable()``.

A saved model names everything: ``"Dense"``, ``"relu"``, ``"MyBlock"``. scratchnn's own names
are in its registries (``scratchnn.registry``); yours are added to the table of custom objects
by this decorator, or for one block by ``custom_object_scope`` (what ``load_model``'s
``custom_objects=`` does). Nothing is ever imported because a file names it.
"""
from ..registry import custom


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
        custom.register(key, obj)
        return obj
    return decorator


def get_registered_object(name):
    """The object registered under ``name``, or None."""
    return custom.lookup(name)


class custom_object_scope:
    """``with custom_object_scope({"Scale": Scale}): ...``: names usable only inside the block."""

    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self._scope = None

    def __enter__(self):
        self._scope = custom.scope(self.objects)
        self._scope.__enter__()
        return self

    def __exit__(self, *exc):
        return self._scope.__exit__(*exc)
