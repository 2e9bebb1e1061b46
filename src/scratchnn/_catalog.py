"""Name <-> object resolution shared by initializers, regularizers and constraints.

Keras resolves each of them the same way, and so do we: ``get(identifier)`` takes
None, a name (``'glorot_uniform'`` or a class name, forgiving about case), a config
dict ``{'class_name': ..., 'config': ...}``, a class, an instance or a plain callable;
``serialize(obj)`` gives the dict, and ``deserialize(dict)`` rebuilds the object.
"""
import inspect


class Catalog:
    """The known names of one kind of object (``kind`` such as 'initializer')."""

    def __init__(self, kind, base, names, classes, example, callable_form, aliases=None):
        self.kind, self.base = kind, base
        self.snake = dict(names)                       # 'glorot_uniform' -> class or factory
        self.by_name = {**self.snake, **{cls.__name__: cls for cls in classes}, **(aliases or {})}
        self.example, self.callable_form = example, callable_form

    def _an(self, word):
        return ("an " if word[0].lower() in "aeiou" else "a ") + word

    def lookup(self, name):
        found = self.by_name.get(name)
        if found is None:     # forgiving about case: "Glorot_Uniform", "HENORMAL"
            matches = {c for key, c in self.by_name.items() if key.lower() == str(name).lower()}
            found = matches.pop() if len(matches) == 1 else None
        if found is None:
            from . import _custom
            found = _custom.lookup(name, lambda obj: inspect.isclass(obj) and issubclass(obj, self.base))
        if found is None:
            raise ValueError(f"unknown {self.kind} {name!r}; expected one of {sorted(self.snake)} "
                             f"(or a class name such as '{self.example}').")
        return found

    def serialize(self, obj):
        base = self.base.__name__
        if not isinstance(obj, self.base):
            raise ValueError(f"only {base} instances can be serialized, got {obj!r}; subclass "
                             f"{self.base.__module__}.{base} and define get_config().")
        return {"class_name": type(obj).__name__, "config": obj.get_config()}

    def deserialize(self, config):
        if isinstance(config, str):
            return self.lookup(config)()
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"{self._an(self.kind)} config must be a dict with 'class_name' and "
                             f"'config' keys, got {config!r}.")
        factory = self.lookup(config["class_name"])
        cfg = dict(config.get("config") or {})
        return factory.from_config(cfg) if inspect.isclass(factory) else factory(**cfg)

    def get(self, identifier):
        base = self.base.__name__
        if identifier is None or isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, (str, dict)):
            return self.deserialize(identifier)
        if inspect.isclass(identifier):
            if issubclass(identifier, self.base):
                return identifier()
            raise ValueError(f"could not interpret {self.kind} identifier {identifier!r}: a class must "
                             f"subclass {self.base.__module__}.{base}.")
        if callable(identifier):
            return identifier
        raise ValueError(f"could not interpret {self.kind} identifier {identifier!r}: expected None, a "
                         f"name (one of {sorted(self.snake)}), a config dict, {self._an(base)} or a "
                         f"callable {self.callable_form}.")


class Configurable:
    """``get_config`` (the constructor arguments; none here), ``from_config`` and a
    ``repr`` built from them: shared by initializers and constraints."""

    def get_config(self):
        """The constructor arguments as a dict; ``cls.from_config(config)`` rebuilds the object."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
