"""Callbacks: objects whose hooks ``fit``, ``evaluate`` and ``predict`` call (Keras 3's protocol).

    from scratchnn.callbacks import EarlyStopping, ReduceLROnPlateau
    model.fit(x, y, validation_split=0.1, epochs=50,
              callbacks=[EarlyStopping(patience=3, restore_best_weights=True),
                         ReduceLROnPlateau(factor=0.5, patience=2)])

* ``Callback``: base class (override the ``on_*`` hooks); ``CallbackList`` drives a list;
* ``History`` (added by ``fit`` and returned by it), ``ProgbarLogger`` (the progress line);
* ``EarlyStopping``, ``ReduceLROnPlateau``, ``LearningRateScheduler``, ``TerminateOnNaN``;
* ``CSVLogger``, ``LambdaCallback``, ``TensorBoard`` (event files; needs tensorboardX);
* ``ModelCheckpoint`` (save every epoch or the best), ``BackupAndRestore`` (resume a killed run).
"""
from .base import Callback, History, LambdaCallback
from .callback_list import CallbackList
from .control import EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, metric_direction
from .checkpoint import BackupAndRestore, ModelCheckpoint
from .csv_logger import CSVLogger
from .progbar import ProgbarLogger
from .tensorboard import TensorBoard
from ..registry import Registry

#: Callback classes by name (case-insensitive: 'EarlyStopping', 'earlystopping').
CALLBACKS = Registry("callback", base=Callback, example="EarlyStopping")
for _cls in (Callback, History, ProgbarLogger, EarlyStopping, ReduceLROnPlateau, LearningRateScheduler,
             TerminateOnNaN, CSVLogger, LambdaCallback, ModelCheckpoint, BackupAndRestore, TensorBoard):
    CALLBACKS.add(_cls)
del _cls


def get(identifier):
    """Resolve ``identifier`` to a callback.

    * a ``Callback`` instance: returned as is;
    * a class name (case-insensitive), e.g. ``'EarlyStopping'``: a new instance with default
      arguments (``CSVLogger`` and ``LearningRateScheduler`` need arguments: use a dict);
    * ``{'class_name': 'EarlyStopping', 'config': {'patience': 3}}``: ``cls(**config)``.
    """
    if isinstance(identifier, Callback):
        return identifier
    if isinstance(identifier, str):
        return CALLBACKS.lookup(identifier)()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return CALLBACKS.lookup(identifier["class_name"])(**identifier.get("config", {}))
    raise ValueError(f"could not interpret callback identifier {identifier!r}: expected a Callback, a "
                     f"class name (one of {CALLBACKS.names()}) or a {{'class_name', 'config'}} dict.")


__all__ = ["CALLBACKS", "Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
           "ReduceLROnPlateau",
           "LearningRateScheduler", "TerminateOnNaN", "CSVLogger", "LambdaCallback", "ModelCheckpoint",
           "BackupAndRestore", "TensorBoard", "get"]
