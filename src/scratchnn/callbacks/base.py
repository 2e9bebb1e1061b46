"""``Callback``, ``CallbackList``, ``History`` and ``LambdaCallback``.

A callback is an object whose hooks the training loop calls at fixed moments::

    cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                       model=model, verbose=verbose, epochs=epochs, steps=steps)
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            ...                                   # one optimizer step
            cbs.on_train_batch_end(batch, logs)   # logs: running means of this epoch
            if model.stop_training: break
        cbs.on_epoch_end(epoch, epoch_logs)       # {'loss': ..., 'val_loss': ...}
        if model.stop_training: break
    cbs.on_train_end(epoch_logs)

``evaluate`` calls ``on_test_begin``, ``on_test_batch_begin/end`` and ``on_test_end`` (also
used for the validation pass inside ``fit``); ``predict`` calls the ``on_predict_*`` hooks.
This is Keras 3's protocol, so Keras callbacks port over unchanged.
"""
import sys

#: The hooks called once per batch: ``CallbackList`` calls only the callbacks that override them.
_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")
# The two hooks that, by default, forward to the old-style names (Keras keeps them too).
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _print(message):
    """Print a callback's message to standard output (where Keras prints them)."""
    print(message, file=sys.stdout, flush=True)


class Callback:
    """Base class of the callbacks: every hook exists and does nothing.

    Subclass it and override the hooks you need. Attributes set by the training loop:

    * ``model``: the model being trained (``fit`` checks ``model.stop_training`` after every
      batch and every epoch: a callback sets it to True to stop training);
    * ``params``: ``{'epochs': E, 'steps': steps per epoch or None, 'verbose': v}``.

    Hook arguments: ``epoch`` and ``batch`` are 0-based indices; ``logs`` is a dict of floats
    (batch logs hold the running means of the epoch so far, epoch logs the epoch's values plus
    ``val_*`` keys after a validation pass). A callback may add keys to an epoch's ``logs``
    (``ReduceLROnPlateau`` adds ``learning_rate``); the callbacks after it see them.
    """

    def __init__(self):
        self.model = None
        self.params = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    # ---------------------------------------------------------------- fit
    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends; ``logs`` are the last epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each training epoch."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch, after the validation pass if there is one."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step (by default forwards to ``on_batch_begin``)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step (by default forwards to ``on_batch_end``)."""
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Old name of ``on_train_batch_begin``, kept for callbacks written against it."""

    def on_batch_end(self, batch, logs=None):
        """Old name of ``on_train_batch_end``, kept for callbacks written against it."""

    # ---------------------------------------------------------------- evaluate / validation
    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` (or the validation pass of ``fit``) starts."""

    def on_test_end(self, logs=None):
        """Called when ``evaluate`` (or the validation pass of ``fit``) ends."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch (``logs``: running means so far)."""

    # ---------------------------------------------------------------- predict
    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts."""

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch (``logs = {'outputs': array}``)."""

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _overrides(callback, hook):
    """Whether ``callback`` replaces the base class's ``hook`` (by subclassing or on the instance)."""
    return getattr(getattr(callback, hook), "__func__", None) is not getattr(Callback, hook)


def _epoch_log_order(key):
    # Keras 3 builds an epoch's logs as the sorted training results followed by the sorted
    # validation results (python_utils.pythonify_logs sorts); keys added later come last.
    return (key.startswith("val_"), key)


class History(Callback):
    """Records the epoch logs: ``history[key]`` is the list of that key's value per epoch.

    ``fit`` adds one automatically and returns it (it is also ``model.history``).
    ``epoch`` lists the epoch indices seen in the last ``fit``; like Keras, ``history`` is not
    cleared by a new ``fit`` with the same ``History`` object: the values keep accumulating.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def __repr__(self):
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"


class CallbackList(Callback):
    """Calls each hook on every callback of a list, in order.

    ``add_history`` / ``add_progbar`` append a ``History`` and a ``ProgbarLogger`` when the
    list has none, in that order and after the user's callbacks (Keras 3's order, so that the
    progress line shows the keys other callbacks add, e.g. ``learning_rate``).
    ``model`` and ``**params`` are passed to every callback (``set_model`` / ``set_params``);
    ``model.history`` is set to the ``History`` callback.

    Per-batch hooks are dispatched only to the callbacks that override them, so a plain
    ``fit`` pays for the progress bar alone. Epoch logs are put in Keras's key order (training
    keys sorted, then the sorted ``val_*`` keys), in place, before the callbacks see them.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = self._as_list(callbacks)
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        from .progbar import ProgbarLogger
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self._index_hooks()
        self.set_model(model)
        self.set_params(params)

    @staticmethod
    def _as_list(callbacks):
        if callbacks is None:
            return []
        if isinstance(callbacks, Callback):
            return [callbacks]
        out = []
        for cb in callbacks:
            if isinstance(cb, (list, tuple)):
                out.extend(CallbackList._as_list(cb))
            elif isinstance(cb, Callback):
                out.append(cb)
            else:
                raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}: {cb!r}")
        return out

    def _index_hooks(self):
        hooks = {}
        for hook in _BATCH_HOOKS:
            alias = _ALIASES.get(hook)
            hooks[hook] = [getattr(cb, hook) for cb in self.callbacks
                           if _overrides(cb, hook) or (alias is not None and _overrides(cb, alias))]
        self._hooks = hooks

    def append(self, callback):
        """Add a callback at the end (it receives the list's model and params)."""
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be Callback instances, got {type(callback).__name__}")
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._index_hooks()

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    # ---------------------------------------------------------------- once-per-run hooks
    def on_train_begin(self, logs=None):
        self._index_hooks()
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        _sort_in_place(logs)
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_test_begin(self, logs=None):
        self._index_hooks()
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_test_begin(logs)

    def on_test_end(self, logs=None):
        logs = {} if logs is None else logs
        _sort_in_place(logs)
        for cb in self.callbacks:
            cb.on_test_end(logs)

    def on_predict_begin(self, logs=None):
        self._index_hooks()
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_predict_begin(logs)

    def on_predict_end(self, logs=None):
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            cb.on_predict_end(logs)

    # ---------------------------------------------------------------- per-batch hooks
    def on_train_batch_begin(self, batch, logs=None):
        for hook in self._hooks["on_train_batch_begin"]:
            hook(batch, {} if logs is None else logs)

    def on_train_batch_end(self, batch, logs=None):
        for hook in self._hooks["on_train_batch_end"]:
            hook(batch, {} if logs is None else logs)

    def on_test_batch_begin(self, batch, logs=None):
        for hook in self._hooks["on_test_batch_begin"]:
            hook(batch, {} if logs is None else logs)

    def on_test_batch_end(self, batch, logs=None):
        for hook in self._hooks["on_test_batch_end"]:
            hook(batch, {} if logs is None else logs)

    def on_predict_batch_begin(self, batch, logs=None):
        for hook in self._hooks["on_predict_batch_begin"]:
            hook(batch, {} if logs is None else logs)

    def on_predict_batch_end(self, batch, logs=None):
        for hook in self._hooks["on_predict_batch_end"]:
            hook(batch, {} if logs is None else logs)

    # The old names, for code that drives a CallbackList by hand with them.
    def on_batch_begin(self, batch, logs=None):
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)

    def __repr__(self):
        return f"CallbackList({self.callbacks!r})"


def _sort_in_place(logs):
    """Reorder ``logs`` to Keras's key order, keeping the same dict object."""
    keys = list(logs)
    ordered = sorted(keys, key=_epoch_log_order)
    if ordered != keys:
        items = [(k, logs[k]) for k in ordered]
        logs.clear()
        logs.update(items)


_HOOK_NAMES = frozenset(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook, given by keyword.

    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``,
    ``on_train_end(logs)``, ``on_train_batch_begin(batch, logs)``,
    ``on_train_batch_end(batch, logs)``; any other hook of ``Callback`` may be given by its
    name too (e.g. ``on_test_end=...``). Arguments are passed positionally.

        LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs['loss']))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **hooks):
        super().__init__()
        hooks.update(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        for name, fn in hooks.items():
            if name not in _HOOK_NAMES:
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}; the hooks are "
                                f"{sorted(_HOOK_NAMES)}")
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {fn!r}")
            setattr(self, name, fn)
