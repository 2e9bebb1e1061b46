"""Callbacks, driven by a fake model and scripted logs.

Each test states the Keras 3 behaviour it encodes (keras/src/callbacks/*.py and
keras/src/utils/progbar.py), since a user porting a Keras script relies on exactly that.
"""
import csv
import io
import re
import warnings

import numpy as np
import pytest

from scratchnn import callbacks as cb_mod
from scratchnn.callbacks import (CallbackList, CSVLogger, EarlyStopping, History, LambdaCallback,
                                 LearningRateScheduler, ProgbarLogger, ReduceLROnPlateau, TerminateOnNaN)
from scratchnn.callbacks.progbar import format_eta, format_step_time, format_value


class FakeOptimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate


class FakeModel:
    """What callbacks use of a model: stop_training, optimizer.learning_rate, get/set_weights, history."""

    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.history = None
        self.weights = [np.zeros(3)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def fit(callbacks, values, key="val_loss", model=None, extra=None):
    """Run ``fit``'s epoch protocol with ``logs[key] = values[epoch]``; the weights after epoch
    e are ``[e, e, e]``. Returns (model, epochs run, History, the logs each epoch ended with)."""
    model = model or FakeModel()
    cbs = CallbackList(callbacks, add_history=True, model=model, verbose=0, epochs=len(values), steps=1)
    model.stop_training = False
    cbs.on_train_begin()
    ran, seen_logs = [], []
    for epoch, value in enumerate(values):
        cbs.on_epoch_begin(epoch)
        model.weights = [np.full(3, float(epoch))]
        logs = {"loss": 1.0, key: value, **(extra or {})}
        cbs.on_epoch_end(epoch, logs)
        ran.append(epoch)
        seen_logs.append(logs)
        if model.stop_training:
            break
    cbs.on_train_end(seen_logs[-1] if seen_logs else None)
    return model, ran, model.history, seen_logs


# ------------------------------------------------------------------------------- EarlyStopping
def test_early_stopping_patience_counts_epochs_without_improvement():
    # Keras: wait += 1 every monitored epoch, reset on improvement; stop when wait >= patience.
    es = EarlyStopping(monitor="val_loss", patience=2)
    model, ran, _, _ = fit([es], [1.0, 0.9, 0.95, 0.96, 0.97, 0.5])
    assert ran == [0, 1, 2, 3] and es.stopped_epoch == 3 and model.stop_training
    assert es.best == 0.9 and es.best_epoch == 1


def test_early_stopping_patience_zero_stops_at_first_non_improvement_but_never_at_epoch_0():
    # Keras: `if self.wait >= self.patience and epoch > 0`; the first epoch always improves.
    es = EarlyStopping(monitor="val_loss", patience=0)
    _, ran, _, _ = fit([es], [1.0, 1.1, 0.5])
    assert ran == [0, 1] and es.stopped_epoch == 1
    es = EarlyStopping(monitor="val_loss", patience=0)
    _, ran, _, _ = fit([es], [1.0, 0.9, 0.8])
    assert ran == [0, 1, 2] and es.stopped_epoch == 0


@pytest.mark.parametrize("min_delta", [0.1, -0.1])
def test_early_stopping_min_delta_is_absolute_and_required_margin(min_delta):
    # Keras: min_delta = abs(min_delta); in 'min' mode improvement is value + min_delta < best.
    es = EarlyStopping(monitor="val_loss", min_delta=min_delta, patience=1)
    _, ran, _, _ = fit([es], [1.0, 0.95, 0.85, 0.8])
    assert ran == [0, 1] and es.stopped_epoch == 1
    es = EarlyStopping(monitor="val_loss", min_delta=0, patience=1)
    _, ran, _, _ = fit([es], [1.0, 0.95, 0.85, 0.8])
    assert ran == [0, 1, 2, 3]


def test_early_stopping_min_delta_in_max_mode():
    # Keras: in 'max' mode improvement is value - min_delta > best.
    es = EarlyStopping(monitor="val_accuracy", min_delta=0.05, patience=1, mode="max")
    _, ran, _, _ = fit([es], [0.5, 0.54, 0.7], key="val_accuracy")
    assert ran == [0, 1]


def test_early_stopping_auto_mode_infers_direction():
    # Keras 3 _set_monitor_op: 'loss' (val_ prefix removed) is minimized, accuracy-like
    # metrics maximized; a name it cannot place raises ValueError.
    es = EarlyStopping(monitor="val_accuracy", patience=0)
    _, ran, _, _ = fit([es], [0.5, 0.6, 0.55, 0.9], key="val_accuracy")
    assert es.monitor_op == "max" and ran == [0, 1, 2]
    es = EarlyStopping(monitor="loss", patience=0)
    _, ran, _, _ = fit([es], [1.0, 0.5, 0.6], key="loss")
    assert es.monitor_op == "min" and ran == [0, 1, 2]
    assert EarlyStopping(monitor="val_auc").mode == "auto"
    assert cb_mod.metric_direction("val_auc") == "max"
    assert cb_mod.metric_direction("mean_squared_error") == "min"
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        fit([EarlyStopping(monitor="val_widgets")], [1.0], key="val_widgets")


def test_early_stopping_auto_mode_uses_metric_objects_direction():
    # Keras 3 reads `_direction` ('up'/'down') from the model's metric objects first.
    class Metric:
        name, _direction = "widgets", "up"
    model = FakeModel()
    model.metrics = [Metric()]
    es = EarlyStopping(monitor="val_widgets", patience=0)
    fit([es], [1.0, 2.0], key="val_widgets", model=model)
    assert es.monitor_op == "max"


def test_early_stopping_explicit_mode_overrides_name():
    # Keras: mode='min' on an accuracy minimizes it.
    es = EarlyStopping(monitor="val_accuracy", mode="min", patience=0)
    _, ran, _, _ = fit([es], [0.5, 0.6], key="val_accuracy")
    assert ran == [0, 1]
    with pytest.warns(UserWarning, match="unknown mode"):
        assert EarlyStopping(mode="sideways").mode == "auto"


def test_early_stopping_baseline_improvements_do_not_reset_wait():
    # Keras: an improvement resets wait only if it also beats the baseline; stopping is
    # checked only on non-improving epochs.
    es = EarlyStopping(monitor="val_loss", patience=2, baseline=0.5)
    _, ran, _, _ = fit([es], [0.9, 0.8, 0.85, 0.7])
    assert ran == [0, 1, 2] and es.stopped_epoch == 2
    es = EarlyStopping(monitor="val_loss", patience=2)          # no baseline: keeps going
    _, ran, _, _ = fit([es], [0.9, 0.8, 0.85, 0.7])
    assert ran == [0, 1, 2, 3]
    es = EarlyStopping(monitor="val_loss", patience=1, baseline=0.95)   # baseline beaten: normal
    _, ran, _, _ = fit([es], [0.9, 0.8, 0.85, 0.7])
    assert ran == [0, 1, 2]


def test_early_stopping_start_from_epoch_ignores_warmup():
    # Keras: epochs < start_from_epoch are not monitored at all.
    es = EarlyStopping(monitor="val_loss", patience=0, start_from_epoch=2)
    _, ran, _, _ = fit([es], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert ran == [0, 1, 2, 3] and es.stopped_epoch == 3 and es.best == 3.0
    es = EarlyStopping(monitor="val_loss", patience=0)
    _, ran, _, _ = fit([es], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert ran == [0, 1]


def test_early_stopping_restores_best_weights_when_stopped():
    # Keras: restore_best_weights sets the weights saved at the best epoch, in on_train_end.
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model, ran, _, _ = fit([es], [1.0, 0.5, 0.7, 0.8, 0.1])
    assert ran == [0, 1, 2, 3] and es.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0, 1.0])


def test_early_stopping_restores_best_weights_even_without_stopping():
    # Keras 3 (unlike Keras 2): on_train_end restores whenever best weights were recorded.
    es = EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    model, ran, _, _ = fit([es], [1.0, 0.5, 0.7])
    assert ran == [0, 1, 2] and es.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0, 1.0])
    es = EarlyStopping(monitor="val_loss", patience=5)          # without the option: last weights
    model, _, _, _ = fit([es], [1.0, 0.5, 0.7])
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0, 2.0])


def test_early_stopping_messages_with_verbose(capsys):
    # Keras prints "Epoch N: early stopping" and the restored epoch, both 1-based.
    es = EarlyStopping(monitor="val_loss", patience=1, verbose=1, restore_best_weights=True)
    fit([es], [1.0, 0.5, 0.7, 0.8])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    fit([EarlyStopping(monitor="val_loss", patience=1)], [1.0, 0.5, 0.7])
    assert capsys.readouterr().out == ""
    fit([EarlyStopping(monitor="val_loss", patience=5, verbose=1)], [1.0, 0.5, 0.7])   # did not stop
    assert capsys.readouterr().out == ""


def test_early_stopping_missing_monitor_warns_with_available_keys():
    # Keras warns, listing the available keys, and does nothing else.
    es = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="Available keys: accuracy,loss"):
        _, ran, _, _ = fit([es], [1.0, 2.0, 3.0], key="accuracy")
    assert ran == [0, 1, 2]


def test_early_stopping_is_reset_by_a_new_fit():
    # Keras: on_train_begin resets wait, stopped_epoch, best and best_weights.
    es = EarlyStopping(monitor="val_loss", patience=0)
    fit([es], [1.0, 2.0])
    assert es.stopped_epoch == 1
    _, ran, _, _ = fit([es], [5.0, 4.0, 3.0])
    assert es.stopped_epoch == 0 and ran == [0, 1, 2] and es.best == 3.0


def test_early_stopping_nan_is_never_an_improvement():
    es = EarlyStopping(monitor="val_loss", patience=0)
    _, ran, _, _ = fit([es], [1.0, float("nan"), 0.5])
    assert ran == [0, 1]


# ------------------------------------------------------------------------------- ReduceLROnPlateau
def test_reduce_lr_requires_factor_below_one():
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_schedule_and_learning_rate_logged():
    # Keras: after `patience` epochs without improvement lr *= factor and wait restarts;
    # logs['learning_rate'] is the rate before this epoch's reduction.
    model = FakeModel(learning_rate=1.0)
    rlr = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_delta=0)
    _, _, history, _ = fit([rlr], [1.0] * 6, model=model)
    assert history.history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    assert model.optimizer.learning_rate == 0.25


def test_reduce_lr_cooldown():
    # Keras: after a reduction, `cooldown` epochs keep wait at 0 (counter decremented first).
    model = FakeModel(learning_rate=1.0)
    rlr = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2, min_delta=0)
    lrs = []          # the rate after each epoch's end
    fit([rlr, LambdaCallback(on_epoch_end=lambda e, logs: lrs.append(model.optimizer.learning_rate))],
        [1.0] * 6, model=model)
    assert lrs == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_reduce_lr_min_lr_floor(capsys):
    # Keras: new lr = max(lr * factor, min_lr); no change (and no message) once
    # lr <= float32(min_lr).
    model = FakeModel(learning_rate=1.0)
    rlr = ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=1, min_lr=0.05, verbose=1)
    _, _, history, _ = fit([rlr], [1.0] * 5, model=model)
    assert history.history["learning_rate"] == pytest.approx([1.0, 1.0, 0.1, 0.05, 0.05])
    assert model.optimizer.learning_rate == 0.05
    assert capsys.readouterr().out.count("reducing learning rate") == 2


def test_reduce_lr_min_delta_and_auto_mode():
    # Keras: improvement needs value < best - min_delta; mode 'auto' maximizes names with 'acc'.
    model = FakeModel(learning_rate=1.0)
    fit([ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)], [1.0, 0.95, 0.9], model=model)
    assert model.optimizer.learning_rate == 0.25
    model = FakeModel(learning_rate=1.0)
    fit([ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)], [0.5, 0.6, 0.7],
        key="val_accuracy", model=model)
    assert model.optimizer.learning_rate == 1.0
    model = FakeModel(learning_rate=1.0)
    fit([ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, mode="min")], [0.5, 0.6, 0.7],
        key="val_accuracy", model=model)
    assert model.optimizer.learning_rate == 0.25


def test_reduce_lr_message_and_missing_key(capsys):
    model = FakeModel(learning_rate=1.0)
    fit([ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)], [1.0, 1.0], model=model)
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.5." in capsys.readouterr().out
    with pytest.warns(UserWarning, match="val_loss"):
        fit([ReduceLROnPlateau()], [1.0], key="other")


# ------------------------------------------------------------------------------- LearningRateScheduler
def test_learning_rate_scheduler_sets_rate_before_each_epoch():
    # Keras: on_epoch_begin sets lr = schedule(epoch, lr); on_epoch_end logs 'learning_rate'.
    model = FakeModel(learning_rate=0.1)
    seen = []
    sched = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr * 0.5)
    probe = LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.learning_rate))
    _, _, history, _ = fit([sched, probe], [1.0, 1.0, 1.0], model=model)
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_learning_rate_scheduler_one_argument_schedule_and_type_check(capsys):
    # Keras falls back to schedule(epoch) on TypeError and requires a float result.
    model = FakeModel()
    fit([LearningRateScheduler(lambda epoch: 1.0 / (epoch + 1), verbose=1)], [1.0, 1.0], model=model)
    assert model.optimizer.learning_rate == 0.5
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.5." in capsys.readouterr().out
    with pytest.raises(ValueError, match="float"):
        fit([LearningRateScheduler(lambda epoch, lr: 1)], [1.0])


# ------------------------------------------------------------------------------- CSVLogger
def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_csv_logger_writes_header_and_rows(tmp_path):
    # Keras: header 'epoch' + the first epoch's keys sorted; missing keys 'NA'; excel dialect.
    path = tmp_path / "log.csv"
    fit([CSVLogger(path)], [0.5, 0.25], extra={"accuracy": 0.75})
    assert read_rows(path) == [["epoch", "accuracy", "loss", "val_loss"],
                               ["0", "0.75", "1.0", "0.5"], ["1", "0.75", "1.0", "0.25"]]
    assert path.read_bytes().startswith(b"epoch,accuracy,loss,val_loss\r\n")


def test_csv_logger_separator_missing_keys_and_overwrite(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(str(path), separator=";")
    model = FakeModel()
    cbs = CallbackList([logger], model=model)
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    cbs.on_epoch_end(1, {"loss": 0.5, "new_key": 3.0})
    cbs.on_train_end()
    assert path.read_text(encoding="utf-8").splitlines() == ["epoch;loss;val_loss", "0;1.0;2.0", "1;0.5;NA"]
    fit([CSVLogger(path)], [0.1])            # append=False: the file is rewritten
    assert len(read_rows(path)) == 2


def test_csv_logger_append(tmp_path):
    # Keras: append=True adds rows and writes no second header when the file has content.
    path = tmp_path / "log.csv"
    fit([CSVLogger(path)], [0.5, 0.4])
    fit([CSVLogger(path, append=True)], [0.3])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"] and rows[-1][2] == "0.3"
    fresh = tmp_path / "fresh.csv"           # append to a file that does not exist: header written
    fit([CSVLogger(fresh, append=True)], [0.3])
    assert read_rows(fresh)[0] == ["epoch", "loss", "val_loss"]


# ------------------------------------------------------------------------------- TerminateOnNaN
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_terminate_on_nan_stops_at_the_bad_batch(bad, capsys):
    # Keras: checks logs['loss'] after every training batch; NaN or Inf sets stop_training.
    model = FakeModel()
    cbs = CallbackList([TerminateOnNaN()], model=model, verbose=0, epochs=3, steps=5)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_epoch_begin(1)
    stopped_at = None
    for batch, loss in enumerate([1.0, 0.9, bad, 0.5]):
        cbs.on_train_batch_begin(batch)
        cbs.on_train_batch_end(batch, {"loss": loss})
        if model.stop_training:
            stopped_at = batch
            break
    assert stopped_at == 2
    assert "Epoch 2, batch 2: invalid loss" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="invalid loss"):
        CallbackList([TerminateOnNaN(raise_error=True)], model=model).on_train_batch_end(0, {"loss": bad})


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


def test_get_resolves_callbacks():
    es = EarlyStopping()
    assert cb_mod.get(es) is es
    assert isinstance(cb_mod.get("earlystopping"), EarlyStopping)
    got = cb_mod.get({"class_name": "ReduceLROnPlateau", "config": {"patience": 3}})
    assert isinstance(got, ReduceLROnPlateau) and got.patience == 3
    with pytest.raises(ValueError, match="unknown callback"):
        cb_mod.get("NoSuchCallback")


# ------------------------------------------------------------------------------- progress display
def test_format_helpers_match_keras():
    # Keras Progbar: .4f when |v| > 1e-3 else .4e; per-step time in s, ms or us; ETA h:mm:ss.
    assert format_value(0.1234) == "0.1234" and format_value(2.5) == "2.5000"
    assert format_value(1.2e-4) == "1.2000e-04" and format_value(-5e-4) == "-5.0000e-04"
    assert format_value(0.0) == "0.0000e+00" and format_value(1e-3) == "1.0000e-03"
    assert format_value(np.float32(0.5)) == "0.5000" and format_value(np.array([0.2, 0.4])) == "0.3000"
    assert format_step_time(2.3) == " 2s/step" and format_step_time(0.0) == " 0s/step"
    assert format_step_time(0.0015) == " 2ms/step" and format_step_time(0.000412) == " 412us/step"
    assert format_eta(45.7) == "45s" and format_eta(63) == "1:03" and format_eta(3723) == "1:02:03"


def run_progbar(verbose, epochs=2, steps=4, logs=None, epoch_logs=None, stream=None, **kw):
    """Drive a ProgbarLogger through ``fit``; returns what it wrote."""
    stream = io.StringIO() if stream is None else stream
    logs = logs or {"loss": 0.1234, "accuracy": 0.5}
    epoch_logs = epoch_logs or {**logs, "val_loss": 0.00012, "val_accuracy": 0.4}
    model = FakeModel()
    cbs = CallbackList([ProgbarLogger(stream=stream, **kw)], model=model, verbose=verbose,
                       epochs=epochs, steps=steps)
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps or 3):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, dict(logs))
        cbs.on_test_begin()                       # validation inside fit: silent
        cbs.on_test_batch_end(0, {"loss": 9.0})
        cbs.on_test_end({"loss": 9.0})
        cbs.on_epoch_end(epoch, dict(epoch_logs))
    cbs.on_train_end()
    return stream.getvalue()


def final_lines(text):
    """The lines as they end up on screen (a line redrawn with \\r keeps its last version)."""
    return [line.split("\r")[-1].rstrip() for line in text.split("\n") if line.split("\r")[-1].strip()]


def test_progbar_verbose_1_layout():
    # Keras 3: "Epoch i/E", then "4/4 ━━━━ 0s 1ms/step - accuracy: ... - loss: ... - val_...".
    out = run_progbar(verbose=1)
    lines = final_lines(out)
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    final = lines[1]
    assert re.fullmatch(r"4/4 ━{20} \d+s \d+(s|ms|us)/step - accuracy: 0\.5000 - loss: 0\.1234"
                        r" - val_accuracy: 0\.4000 - val_loss: 1\.2000e-04", final), final
    assert "\r" in out and "9.0000" not in out          # drawn in place; validation batches hidden


def test_progbar_verbose_2_one_line_per_epoch():
    # Keras 3 verbose=2: no bar, "4/4 - 0s - 1ms/step - accuracy: ... - loss: ..." per epoch.
    out = run_progbar(verbose=2, epoch_logs={"loss": 0.1234, "accuracy": 0.5})
    assert "━" not in out and "\r" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    pattern = r"4/4 - \d+s - \d+(s|ms|us)/step - accuracy: 0\.5000 - loss: 0\.1234"
    assert re.fullmatch(pattern, lines[1]), lines[1]


def test_progbar_verbose_0_and_single_epoch():
    # Keras: verbose=0 prints nothing; with one epoch there is no "Epoch 1/1" line.
    assert run_progbar(verbose=0) == ""
    out = run_progbar(verbose=2, epochs=1)
    assert "Epoch" not in out and out.count("\n") == 1


def test_progbar_colours_on_a_terminal():
    # Keras: bold count and time, green done part, grey rest (ANSI), when the output is a terminal.
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    out = run_progbar(verbose=1, stream=Terminal())
    assert "\x1b[32m━" in out and "\x1b[1m4/4\x1b[0m" in out


def test_progbar_unknown_steps_learns_the_total():
    # Keras: "      1/Unknown" while the count is unknown; the first epoch's count is the
    # total from then on.
    out = run_progbar(verbose=1, steps=None, mininterval=0)
    assert "      1/Unknown" in out
    lines = final_lines(out)
    assert lines[1].startswith("3/3 ━") and lines[3].startswith("3/3 ━")
    assert "1/3 " in out.split("Epoch 2/2")[1]


def test_progbar_evaluate_and_predict_lines():
    # Keras: evaluate (outside fit) and predict print the same line; predict has no metrics.
    stream = io.StringIO()
    cbs = CallbackList([ProgbarLogger(stream=stream)], model=FakeModel(), verbose=2, epochs=1, steps=3)
    cbs.on_test_begin()
    for b in range(3):
        cbs.on_test_batch_end(b, {"loss": 0.099, "accuracy": 0.97})
    cbs.on_test_end({"loss": 0.099, "accuracy": 0.97})
    assert re.fullmatch(r"3/3 - \d+s - \d+(s|ms|us)/step - accuracy: 0\.9700 - loss: 0\.0990\n",
                        stream.getvalue())
    stream = io.StringIO()
    cbs = CallbackList([ProgbarLogger(stream=stream)], model=FakeModel(), verbose=1, epochs=1, steps=3)
    cbs.on_predict_begin()
    for b in range(3):
        cbs.on_predict_batch_end(b, {"outputs": np.zeros((2, 2))})
    cbs.on_predict_end()
    assert re.fullmatch(r"3/3 ━{20} \d+s \d+(s|ms|us)/step", final_lines(stream.getvalue())[-1])


def test_progbar_shows_where_training_stopped():
    # A batch that sets stop_training ends the epoch early: the final count is the real one.
    stream = io.StringIO()
    cbs = CallbackList([ProgbarLogger(stream=stream)], model=FakeModel(), verbose=1, epochs=1, steps=10)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for b in range(2):
        cbs.on_train_batch_end(b, {"loss": 0.5})
    cbs.on_epoch_end(0, {"loss": 0.5})
    cbs.on_train_end()
    assert final_lines(stream.getvalue())[-1].startswith(" 2/10 ━━━━──────────────── ")


def test_progbar_formats_metrics_only_when_redrawing(monkeypatch):
    # The per-batch cost must stay tiny: the metrics text is built only when tqdm redraws
    # (at most every `mininterval`), never once per batch.
    calls = []
    original = ProgbarLogger._format_metrics

    def spy(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(ProgbarLogger, "_format_metrics", spy)
    steps = 2000
    out = run_progbar(verbose=1, epochs=1, steps=steps)
    assert f"{steps}/{steps} ━" in out
    assert 1 <= len(calls) <= steps // 10


def test_progbar_keeps_batch_keys_missing_from_epoch_logs_and_prints_text_values():
    # Keras keeps showing a key's last value when the epoch logs lack it; values that are not
    # numbers are printed as they are.
    stream = io.StringIO()
    cbs = CallbackList([ProgbarLogger(stream=stream)], model=FakeModel(), verbose=2, epochs=1, steps=2)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 0.5, "mae": 0.75})
    cbs.on_train_batch_end(1, {"loss": 0.25, "mae": 0.5})
    cbs.on_epoch_end(0, {"loss": 0.25, "note": "warm"})
    assert stream.getvalue().endswith(" - loss: 0.2500 - mae: 0.5000 - note: warm\n")


def test_no_warnings_in_a_plain_run():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run_progbar(verbose=1)
    assert out.count("\n") == 4


def test_progbar_reused_for_evaluate_after_fit():
    # The validation pass inside fit is silent, but the same logger prints a later evaluate.
    stream = io.StringIO()
    logger = ProgbarLogger(stream=stream)
    cbs = CallbackList([logger], model=FakeModel(), verbose=2, epochs=1, steps=2)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_test_begin()
    cbs.on_test_end({"loss": 9.0})
    cbs.on_epoch_end(0, {"loss": 0.5})
    cbs.on_train_end()
    assert "9.0000" not in stream.getvalue()
    cbs = CallbackList([logger], model=FakeModel(), verbose=2, epochs=1, steps=1)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 0.25})
    cbs.on_test_end({"loss": 0.25})
    assert stream.getvalue().splitlines()[-1].endswith("- loss: 0.2500")
