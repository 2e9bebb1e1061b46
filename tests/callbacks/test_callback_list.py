"""``CallbackList`` (``scratchnn/callbacks/callback_list.py``): the callbacks fit adds, the
batch hooks (old names included) and the order of the epoch logs, as in Keras 3.
"""
import pytest

from scratchnn import callbacks as cb_mod
from scratchnn.callbacks import (
    CallbackList,
    History,
    LambdaCallback,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

from tests.callbacks.helpers import FakeModel, fit


# ------------------------------------------------------------------------------- CallbackList
def test_callback_list_adds_history_then_progbar_after_user_callbacks():
    # Keras 3 _add_default_callbacks: History appended, then ProgbarLogger; existing ones reused.
    user = TerminateOnNaN()
    model = FakeModel()
    cbs = CallbackList([user], add_history=True, add_progbar=True, model=model, verbose=0, epochs=2, steps=3)
    assert [type(c) for c in cbs.callbacks] == [TerminateOnNaN, History, ProgbarLogger]
    assert model.history is cbs.callbacks[1] and all(c.model is model for c in cbs.callbacks)
    assert user.params == {"verbose": 0, "epochs": 2, "steps": 3}
    h = History()
    assert CallbackList([h], add_history=True).callbacks == [h]
    assert CallbackList(None).callbacks == []
    with pytest.raises(TypeError):
        CallbackList([object()])


def test_callback_list_dispatches_batch_hooks_including_old_names():
    # Keras: the default on_train_batch_end forwards to on_batch_end.
    seen = []

    class Old(cb_mod.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(("old", batch, logs["loss"]))

    class New(cb_mod.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(("test", batch))

    cbs = CallbackList([Old(), New()])
    cbs.on_train_batch_end(3, {"loss": 0.5})
    cbs.on_test_batch_end(4, {})
    cbs.on_predict_batch_end(5, {})
    assert seen == [("old", 3, 0.5), ("test", 4)]
    late = []
    cbs.append(LambdaCallback(on_train_batch_begin=lambda b, logs: late.append(b)))
    cbs.on_train_batch_begin(7)
    assert late == [7]


def test_callback_list_orders_epoch_logs_like_keras_and_shares_them():
    # Keras 3: training keys sorted, then val_ keys sorted; keys a callback adds come last and
    # are seen by the callbacks after it (History is after the user's callbacks).
    model = FakeModel(learning_rate=0.5)
    _, _, history, logs = fit([ReduceLROnPlateau(patience=5)], [0.3],
                              model=model, extra={"val_accuracy": 0.8, "accuracy": 0.9})
    assert list(logs[0]) == ["accuracy", "loss", "val_accuracy", "val_loss", "learning_rate"]
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss", "learning_rate"]
