"""``Callback`` (the base class), ``History`` and ``LambdaCallback``.

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
This is Keras 3's protocol, so Keras callbacks port over unchanged. ``CallbackList``
(``callback_list.py``) calls the hooks of a list of callbacks.
"""
import sys

def print_message(message):
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

    #: Set by a callback in ``on_train_begin`` to make ``fit`` start at this (0-based) epoch
    #: instead of its ``initial_epoch``: how ``BackupAndRestore`` resumes an interrupted run.
    resume_epoch = None

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
