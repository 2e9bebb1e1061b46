"""``History`` and ``LambdaCallback`` (``scratchnn/callbacks/base.py``), driven by a fake model."""
import pytest

from scratchnn.callbacks import CallbackList, History, LambdaCallback

from tests.callbacks.helpers import FakeModel, fit


# ------------------------------------------------------------------------------- History, LambdaCallback
def test_history_records_every_epoch_and_sets_model_history():
    model, _, history, _ = fit([], [0.5, 0.4, 0.3], extra={"accuracy": 0.9})
    assert isinstance(history, History) and model.history is history
    assert history.history == {"accuracy": [0.9, 0.9, 0.9], "loss": [1.0, 1.0, 1.0],
                               "val_loss": [0.5, 0.4, 0.3]}
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 1}


def test_history_keeps_appending_across_fits_but_resets_epochs():
    # Keras: on_train_begin resets `epoch` only.
    h = History()
    model = FakeModel()
    fit([h], [0.5, 0.4], model=model)
    fit([h], [0.3], model=model)
    assert h.epoch == [0] and h.history["val_loss"] == [0.5, 0.4, 0.3] and model.history is h


def test_lambda_callback_calls_the_given_functions():
    calls = []
    lc = LambdaCallback(on_train_begin=lambda logs: calls.append("train_begin"),
                        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
                        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs["val_loss"])),
                        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch)),
                        on_train_end=lambda logs: calls.append("train_end"),
                        on_test_end=lambda logs: calls.append("test_end"))
    cbs = CallbackList([lc], model=FakeModel())
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    cbs.on_test_begin()
    cbs.on_test_end({})
    cbs.on_epoch_end(0, {"val_loss": 0.5})
    cbs.on_train_end()
    assert calls == ["train_begin", ("epoch_begin", 0), ("batch_end", 0), "test_end",
                     ("epoch_end", 0, 0.5), "train_end"]
    with pytest.raises(TypeError, match="unknown hook"):
        LambdaCallback(on_epoch_finish=print)
