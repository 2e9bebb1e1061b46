"""One converter per layer type.

A converter is a function ``fn(graph, layer, inputs) -> Value``: it adds the nodes that compute
``layer`` on the input Values (a list: one for most layers, several for a layer with several
inputs, as a merge layer of a functional model will have) and returns the output Value. It is
registered for exactly one class, named by its module and class name
(``'scratchnn.layers.core.Dense'``): a subclass may compute something else, so it gets no
converter by inheritance and is refused by name until one is registered for it.

A container (a ``Sequential``, the ``GPT``) declares ``children``, the layers it runs, so that
every layer without a converter is found and named before any conversion starts.
"""
from .graph import ExportError


def class_key(cls):
    """``'scratchnn.layers.core.Dense'``: how the registry names a class."""
    return f"{cls.__module__}.{cls.__qualname__}"


class Converter:
    """``fn`` converts a layer; ``children(layer)`` lists the layers it contains (None: none that
    need their own converter); ``takes_ids``: the layer reads integer token ids, so a model that
    starts with it gets an int64 input."""

    def __init__(self, key, fn, children=None, takes_ids=None):
        self.key, self.fn, self.children, self.takes_ids = key, fn, children, takes_ids


class ConverterRegistry:
    """The converters by class key; ``register`` is the decorator that fills it."""

    def __init__(self):
        self._converters = {}

    def register(self, *classes, children=None, takes_ids=None):
        """``@CONVERTERS.register(Dense)``: ``fn`` converts exactly these classes (a class or its
        ``'module.ClassName'``, for a class of a package above ``export`` such as the models)."""
        def decorator(fn):
            for cls in classes:
                key = cls if isinstance(cls, str) else class_key(cls)
                self._converters[key] = Converter(key, fn, children, takes_ids)
            return fn
        return decorator

    def find(self, layer):
        """The converter of ``layer``'s exact class, or None."""
        return self._converters.get(class_key(type(layer)))

    def lookup(self, layer):
        converter = self.find(layer)
        if converter is None:
            raise ExportError(f"layer '{layer.name}' ({type(layer).__name__}) has no ONNX converter")
        return converter

    def __contains__(self, key):
        return key in self._converters

    def keys(self):
        return sorted(self._converters)

    def unsupported(self, layer):
        """Every layer in ``layer`` (itself, or inside a container) without a converter, in order."""
        converter = self.find(layer)
        if converter is None:
            return [layer]
        if converter.children is None:
            return []
        return [bad for child in converter.children(layer) for bad in self.unsupported(child)]

    def takes_ids(self, layer):
        """Whether a model starting with ``layer`` reads integer token ids."""
        converter = self.lookup(layer)
        return bool(converter.takes_ids(layer)) if converter.takes_ids is not None else False


#: The converters of every layer type that can be exported.
CONVERTERS = ConverterRegistry()
