"""Callbacks that act on training (``scratchnn/callbacks/control.py``): EarlyStopping,
ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN, driven by a fake model and scripted
logs (and TerminateOnNaN in a real fit).

Each test states the Keras 3 behaviour it encodes (keras/src/callbacks/*.py), since a user
porting a Keras script relies on exactly that.
"""
import warnings

import numpy as np
import pytest

from scratchnn import callbacks as C
from scratchnn import callbacks as cb_mod
from scratchnn.callbacks import (
    CallbackList,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

from tests.callbacks.helpers import FakeModel, fit
from tests.models.helpers import diverging_model


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


def test_early_stopping_restores_nothing_when_the_last_epoch_was_the_best(capsys):
    # It ran every epoch and the last was the best: it said "Restoring model weights from the
    # end of the best epoch: 3." although the model already held them.
    class Watched(FakeModel):
        def set_weights(self, weights):
            self.restored = [np.array(w) for w in weights]
            super().set_weights(weights)

    es = EarlyStopping(monitor="val_loss", patience=5, verbose=1, restore_best_weights=True)
    model, ran, _, _ = fit([es], [1.0, 0.5, 0.2], model=Watched())
    assert ran == [0, 1, 2] and es.stopped_epoch == 0 and es.best_epoch == 2
    assert capsys.readouterr().out == "" and not hasattr(model, "restored")
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0, 2.0])        # the last (best) epoch's
    es = EarlyStopping(monitor="val_loss", patience=5, verbose=1, restore_best_weights=True)
    model, _, _, _ = fit([es], [1.0, 0.2, 0.5], model=Watched())       # an earlier best: restored, said
    assert capsys.readouterr().out.strip() == "Restoring model weights from the end of the best epoch: 2."
    np.testing.assert_array_equal(model.restored[0], [1.0, 1.0, 1.0])


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


def test_terminate_on_nan_stops_without_the_warning(capsys):
    model, x, y = diverging_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)          # our warning would fail the test
        with np.errstate(all="ignore"):
            history = model.fit(x, y, epochs=3, batch_size=10, verbose=0, shuffle=False,
                                callbacks=[C.TerminateOnNaN()])
    assert len(history.history["loss"]) == 1
    assert "invalid loss" in capsys.readouterr().out.lower()
