"""``tf.Module``: a container whose ``tf.Variable`` attributes are found by walking its
attributes, as TensorFlow's "basic training loops" guide uses it::

    class Linear(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(5.0)
            self.b = tf.Variable(0.0)

        def __call__(self, x):
            return self.w * x + self.b

    Linear().trainable_variables       # (b, w): sorted by attribute name, as TensorFlow does

Variables are found in attributes, in lists, tuples and dicts of them, in other Modules and in
Keras layers (their weights).
"""
import contextlib
import re

from ..layers.base import Layer
from ..layers.base import Variable as LayerVariable

__all__ = ["Module"]


class Module:
    """``tf.Module(name=None)``: ``variables``, ``trainable_variables``, ``submodules`` and
    ``name``, found by walking the attributes (sorted by name, each object once)."""

    def __init__(self, name=None):
        self._module_name = name or re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    @property
    def name(self):
        return getattr(self, "_module_name", type(self).__name__.lower())

    @property
    def name_scope(self):
        """Accepted for TensorFlow code (``with self.name_scope: ...``); names nothing."""
        return contextlib.nullcontext()

    @classmethod
    def with_name_scope(cls, method):
        """A decorator TensorFlow uses to name a method's operations; here the method as it is."""
        return method

    def _walk(self):
        """Every Variable, Module and Layer reachable from the attributes, each once, in order."""
        seen, found = {id(self)}, []

        def visit(value):
            if isinstance(value, (str, bytes)) or id(value) in seen:
                return
            if isinstance(value, LayerVariable):
                seen.add(id(value))
                found.append(value)
            elif isinstance(value, Module):
                seen.add(id(value))
                found.append(value)
                for key in sorted(vars(value)):
                    visit(vars(value)[key])
            elif isinstance(value, Layer):
                seen.add(id(value))
                found.append(value)
            elif isinstance(value, dict):
                for key in sorted(value, key=str):
                    visit(value[key])
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item)

        for key in sorted(vars(self)):
            visit(vars(self)[key])
        return found

    def _variables(self, trainable_only):
        out, seen = [], set()
        for obj in self._walk():
            if isinstance(obj, Layer):
                candidates = obj.trainable_weights if trainable_only else obj.weights
            elif isinstance(obj, LayerVariable):
                candidates = [obj] if obj.trainable or not trainable_only else []
            else:
                candidates = []
            for v in candidates:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return tuple(out)

    @property
    def variables(self):
        """Every Variable reachable from the attributes, a tuple."""
        return self._variables(trainable_only=False)

    @property
    def trainable_variables(self):
        """The trainable Variables reachable from the attributes, a tuple."""
        return self._variables(trainable_only=True)

    @property
    def non_trainable_variables(self):
        """The Variables that are not trainable."""
        trainable = {id(v) for v in self.trainable_variables}
        return tuple(v for v in self.variables if id(v) not in trainable)

    @property
    def submodules(self):
        """The Modules (and Keras layers) reachable from the attributes, a tuple."""
        return tuple(obj for obj in self._walk() if not isinstance(obj, LayerVariable))
