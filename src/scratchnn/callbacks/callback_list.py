"""``CallbackList``: how the training loop calls the hooks of many callbacks at once.

``fit`` wraps the user's callbacks in one ``CallbackList`` (adding ``History`` and the
progress bar), then calls its hooks as if it were a single callback (see ``base.py`` for the
protocol).
"""
from .base import Callback, History
from .progbar import ProgbarLogger

#: The hooks called once per batch: ``CallbackList`` calls only the callbacks that override them.
_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")
# The two hooks that, by default, forward to the old-style names (Keras keeps them too).
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, hook):
    """Whether ``callback`` replaces the base class's ``hook`` (by subclassing or on the instance)."""
    return getattr(getattr(callback, hook), "__func__", None) is not getattr(Callback, hook)


def _epoch_log_order(key):
    # Keras 3 builds an epoch's logs as the sorted training results followed by the sorted
    # validation results (python_utils.pythonify_logs sorts); keys added later come last.
    return (key.startswith("val_"), key)


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

    def start_epoch(self, initial_epoch):
        """The epoch ``fit`` starts at: the latest ``resume_epoch`` a callback set in
        ``on_train_begin`` (``BackupAndRestore`` after an interrupted run), else ``initial_epoch``."""
        resumed = [cb.resume_epoch for cb in self.callbacks if cb.resume_epoch is not None]
        return max(resumed) if resumed else initial_epoch

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


