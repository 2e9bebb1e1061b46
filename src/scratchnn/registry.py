"""Every object a name can stand for, in one place.

Keras code names things all the time: ``activation='relu'``, ``loss='mse'``,
``optimizer='adam'``, ``metrics=['accuracy']``, ``kernel_initializer='he_normal'``, and a
saved model names the class of every layer. Each *kind* of object has one ``Registry``
here, filled by the module that defines the objects (``scratchnn.optimizers`` adds ``'adam'``
-> ``Adam``, ``scratchnn.layers`` adds ``'Dense'`` -> ``Dense``, ...)::

    >>> from scratchnn import registry
    >>> registry.kinds()
    ['activation', 'callback', 'constraint', 'initializer', 'layer', 'loss', 'metric', ...]
    >>> registry.names("optimizer")
    ['adadelta', 'adagrad', 'adam', 'adamax', 'adamw', 'nadam', 'rmsprop', 'sgd']
    >>> registry.lookup("optimizer", "adma")
    ValueError: unknown optimizer 'adma'; did you mean 'adam'? valid names: ['adadelta', ...]

How a name is looked up (``Registry.lookup``): exactly as written; else ignoring case, when
that picks one object (``'ReLU'``, ``'HeNormal'``); else among *your* objects, registered
with ``@scratchnn.saving.register_serializable()`` (the ``custom`` table below) and accepted
by this kind (a ``Layer`` subclass for layers, a callable for activations, ...). A name that
is none of these raises ``UnknownNameError`` (a ``ValueError``) with the closest valid names
and the whole list. Nothing is ever imported or evaluated because a name (or a file) says so.

``Registry.get(identifier)`` resolves an argument as Keras's ``get`` functions do: None, a
name, a ``{'class_name', 'config'}`` dict, a class, an instance or a plain callable.

This module imports nothing from scratchnn: every other layer of the package can use it.
"""
import contextlib
import difflib
import inspect

__all__ = ["Registry", "UnknownNameError", "custom", "kinds", "names", "lookup", "get_registry",
           "register_custom", "custom_scope", "name_of", "Configurable", "REGISTER_HINT", "set_loader",
           "fill_registries"]

#: Appended to "unknown name" errors: how to make your own object known to scratchnn.
REGISTER_HINT = ("Register it before loading: decorate its definition with "
                 "@scratchnn.saving.register_serializable() (or pass custom_objects={{{name!r}: ...}} "
                 "to load_model).")

_BY_KIND = {}
_loader = {"fill": None}     # set by the package: imports the modules that fill the registries


def set_loader(fill):
    """``fill()`` imports the modules that add names to the registries; it runs once, the first
    time a registry is listed or misses a name (``import scratchnn`` imports them lazily). The
    package sets it; a loader that fails with ImportError (a module mid-import) is tried again."""
    _loader["fill"] = fill


def fill_registries():
    """Run the loader that ``set_loader`` gave, once (see there)."""
    fill = _loader["fill"]
    if fill is None:
        return
    _loader["fill"] = None                 # no second run, nor a recursive one while it imports
    try:
        fill()
    except ImportError:
        _loader["fill"] = fill


class UnknownNameError(ValueError):
    """A name that no registry knows; ``kind``, ``name`` and ``suggestions`` say which."""

    def __init__(self, kind, name, valid, suggestions=(), hint="", example=None):
        self.kind, self.name, self.suggestions = kind, name, list(suggestions)
        guess = ""
        if self.suggestions:
            guess = " did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        message = f"unknown {kind} {name!r};{guess} valid names: {sorted(valid)}"
        if example:
            message += f" (or a class name such as {example!r})"
        super().__init__(message + (f". {hint}" if hint else ""))


def _an(word):
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


class CustomObjects:
    """The objects *you* registered (``register_serializable``), by the name files use for them.

    One table for every kind: a saved model names a custom layer, its custom activation and its
    custom loss the same way. ``scope(objects)`` adds names for the duration of a ``with`` block
    (``load_model(..., custom_objects=...)``).
    """

    def __init__(self):
        self.objects = {}

    def register(self, name, obj):
        """Record ``obj`` under ``name`` (a later registration of the same name replaces it)."""
        self.objects[name] = obj
        return obj

    def lookup(self, name, accepts=None):
        """The object registered as ``name`` (None if there is none, or if ``accepts(obj)`` is false)."""
        obj = self.objects.get(name)
        if obj is None or (accepts is not None and not accepts(obj)):
            return None
        return obj

    def name_of(self, obj):
        """The name under which ``obj`` was registered, or None."""
        for name, known in self.objects.items():
            if known is obj:
                return name
        return None

    @contextlib.contextmanager
    def scope(self, objects=None):
        """``with custom.scope({"Scale": Scale}): ...``: names usable only inside the block."""
        objects = dict(objects or {})
        saved = {k: self.objects[k] for k in objects if k in self.objects}
        self.objects.update(objects)
        try:
            yield self
        finally:
            for key in objects:
                self.objects.pop(key, None)
            self.objects.update(saved)


#: Your registered objects (``scratchnn.saving.register_serializable`` writes here).
custom = CustomObjects()


class Registry:
    """The known names of one kind of object (``kind``: 'activation', 'layer', ...).

    ``base``: the class whose subclasses (as classes) or instances this kind holds, used to
    accept your registered objects and to check identifiers; ``accepts``: instead of ``base``,
    any predicate (``callable`` for activations). ``example`` and ``callable_form`` only make
    error messages concrete ("a class name such as 'GlorotUniform'", "a callable f(shape, dtype)").
    """

    def __init__(self, kind, base=None, accepts=None, example=None, callable_form=None):
        if kind in _BY_KIND:
            raise ValueError(f"a registry of {kind!r} objects exists already")
        self.kind, self.base = kind, base
        self.example, self.callable_form = example, callable_form
        if accepts is None and base is not None:
            accepts = lambda obj: inspect.isclass(obj) and issubclass(obj, base)  # noqa: E731
        self.accepts = accepts
        self._entries = {}          # every name and alias -> object
        self._canonical = {}        # the names listed to users -> object
        _BY_KIND[kind] = self

    # ------------------------------------------------------------------ filling
    def add(self, obj, name=None, aliases=()):
        """Register ``obj`` under ``name`` (default: its ``__name__``) and the listed ``aliases``
        (such as 'mse' for 'mean_squared_error'); files save it under ``name``."""
        name = name or obj.__name__
        for key in (name, *aliases):
            self._entries[key] = self._canonical[key] = obj
        return obj

    def alias(self, name, obj):
        """Also accept ``name`` for ``obj`` (not listed among the valid names)."""
        self._entries[name] = obj
        return obj

    def register(self, name=None, aliases=()):
        """Decorator form of ``add``."""
        def decorator(obj):
            return self.add(obj, name, aliases)
        return decorator

    # ------------------------------------------------------------------ reading
    def names(self):
        """The names listed to users (those given to ``alias``, such as class names, excluded)."""
        fill_registries()
        return sorted(self._canonical)

    def items(self):
        """``[(name, object), ...]`` of the listed names."""
        fill_registries()
        return sorted(self._canonical.items())

    def entries(self):
        """``[(name or alias, object), ...]``: every name this registry accepts, aliases included."""
        fill_registries()
        return sorted(self._entries.items())

    def __contains__(self, name):
        return self.find(name) is not None

    def __getitem__(self, name):
        return self.lookup(name)

    def __iter__(self):
        return iter(self.names())

    def __len__(self):
        fill_registries()
        return len(self._canonical)

    def find(self, name):
        """The object named ``name``, or None (see ``lookup`` for the order of the search)."""
        if not isinstance(name, str):
            return None
        found = self._entries.get(name)
        if found is None and _loader["fill"] is not None:
            fill_registries()
            found = self._entries.get(name)
        if found is None:
            folded = name.lower()
            matches = {id(obj): obj for key, obj in self._entries.items() if key.lower() == folded}
            if len(matches) == 1:
                found = next(iter(matches.values()))
        if found is None:
            found = custom.lookup(name, self.accepts)
        return found

    def lookup(self, name):
        """The object named ``name``; ``UnknownNameError`` with suggestions when there is none."""
        found = self.find(name)
        if found is None:
            raise self.unknown(name)
        return found

    def unknown(self, name, hint=None):
        """The error for a name this registry does not know (with close matches and the list)."""
        keys = list(self._entries) + [k for k, obj in custom.objects.items()
                                      if self.accepts is None or self.accepts(obj)]
        lowered = {k.lower(): k for k in keys}
        close = difflib.get_close_matches(str(name).lower(), list(lowered), n=2, cutoff=0.6)
        return UnknownNameError(self.kind, name, self.names(), [lowered[c] for c in close],
                                REGISTER_HINT.format(name=name) if hint is None else hint, self.example)

    def name_of(self, obj):
        """The name a file uses for ``obj``: its listed name, else the name you registered it
        under, else None."""
        fill_registries()
        for name, known in self._canonical.items():
            if known is obj:
                return name
        return custom.name_of(obj)

    # ------------------------------------------------------------------ Keras's get / serialize
    def serialize(self, obj):
        """``{'class_name': ..., 'config': obj.get_config()}`` for an instance of ``base`` (a registry
        of functions saves a function by its name: ``name_of``). ``None`` (no object: the default)
        is saved as ``None``, as Keras does."""
        base = self.base
        if obj is None:
            return None
        if base is None:
            raise ValueError(f"{self.kind} objects are functions, saved by name (name_of), not as configs; "
                             f"got {obj!r}")
        if not isinstance(obj, base):
            raise ValueError(f"only {base.__name__} instances can be serialized, got {obj!r}; subclass "
                             f"{base.__module__}.{base.__name__} and define get_config().")
        return {"class_name": custom.name_of(type(obj)) or type(obj).__name__, "config": obj.get_config()}

    def deserialize(self, config):
        """A new object from a name or from ``serialize``'s dict (a registry of functions returns
        the function a name stands for)."""
        if isinstance(config, str):
            found = self.lookup(config)
            return found() if self.base is not None else found
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"{_an(self.kind)} config must be a dict with 'class_name' and 'config' keys, "
                             f"got {config!r}.")
        factory = self.lookup(config["class_name"])
        cfg = dict(config.get("config") or {})
        return factory.from_config(cfg) if inspect.isclass(factory) else factory(**cfg)

    def get(self, identifier):
        """Resolve ``identifier`` as Keras does: None and instances of ``base`` are returned as
        they are; a name or a config dict is deserialized; a subclass of ``base`` is instantiated;
        any other callable is returned as it is (when this kind accepts callables)."""
        base = self.base
        if identifier is None or (base is not None and isinstance(identifier, base)):
            return identifier
        if isinstance(identifier, (str, dict)):
            return self.deserialize(identifier)
        if inspect.isclass(identifier):
            if base is not None and issubclass(identifier, base):
                return identifier()
            if base is None:
                raise ValueError(f"could not interpret {self.kind} identifier {identifier!r}: expected a "
                                 f"name (one of {self.names()}) or a function, not a class.")
            raise ValueError(f"could not interpret {self.kind} identifier {identifier!r}: a class must "
                             f"subclass {base.__module__}.{base.__name__}.")
        if callable(identifier) and self.callable_form is not None:
            return identifier
        expected = f"None, a name (one of {self.names()}), a config dict"
        if base is not None:
            expected += f", {_an(base.__name__)}"
        if self.callable_form is not None:
            expected += f" or a callable {self.callable_form}"
        raise ValueError(f"could not interpret {self.kind} identifier {identifier!r}: expected {expected}.")

    def __repr__(self):
        return f"<Registry of {len(self._canonical)} {self.kind} names>"


class Configurable:
    """``get_config`` (the constructor arguments; none here), ``from_config`` and a ``repr``
    built from them: what initializers and constraints share."""

    def get_config(self):
        """The constructor arguments as a dict; ``cls.from_config(config)`` rebuilds the object."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# ---------------------------------------------------------------------- module-level API
def kinds():
    """The kinds of named objects (each filled when its module is imported with ``scratchnn``)."""
    fill_registries()
    return sorted(_BY_KIND)


def get_registry(kind):
    """The ``Registry`` of ``kind`` ('activation', 'loss', 'metric', 'optimizer', ...)."""
    fill_registries()
    table = _BY_KIND.get(kind)
    if table is None:
        close = difflib.get_close_matches(str(kind), list(_BY_KIND), n=1)
        guess = f" did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"no registry of {kind!r} objects;{guess} kinds: {kinds()}")
    return table


def names(kind):
    """The valid names of ``kind``: ``names('activation')`` -> ``['elu', 'exponential', ...]``."""
    return get_registry(kind).names()


def lookup(kind, name):
    """The object that ``name`` stands for as a ``kind``: ``lookup('optimizer', 'adam')`` -> ``Adam``."""
    return get_registry(kind).lookup(name)


def name_of(kind, obj):
    """The name a saved file uses for ``obj`` as a ``kind`` (None when it has none)."""
    return get_registry(kind).name_of(obj)


def register_custom(obj, name=None):
    """Make your object known by ``name`` (default: its ``__name__``) to every kind that accepts it."""
    key = name or getattr(obj, "__name__", None)
    if not key:
        raise ValueError(f"register_custom: {obj!r} has no __name__; pass name=")
    return custom.register(key, obj)


def custom_scope(objects=None):
    """``with custom_scope({'Scale': Scale}): ...``: extra names inside the block only."""
    return custom.scope(objects)
