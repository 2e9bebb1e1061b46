"""Training that survives (``scratchnn/callbacks/checkpoint.py``): ModelCheckpoint and
BackupAndRestore (exact resumption after a crash or a kill).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import scratchnn as snn
from scratchnn import callbacks as C
from scratchnn import layers as L

from tests.models.helpers import FIT, assert_unchanged, diverging_model, state, training_data, training_model


class _Crash(C.Callback):
    """Raises in the middle of epoch ``at`` (an exception standing in for a killed process)."""

    class Crash(Exception):
        pass

    def __init__(self, at, batch=3):
        super().__init__()
        self.at, self.batch, self.epoch = at, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == self.at and batch == self.batch:
            raise self.Crash


# ------------------------------------------------------------------ BackupAndRestore
@pytest.mark.parametrize("crash_epochs", [(2,), (0, 3), (1, 2, 5)])
def test_backup_and_restore_resumes_exactly(tmp_path, crash_epochs):
    x, y = training_data()
    reference = training_model()
    ref_history = reference.fit(x, y, **FIT)
    backup = tmp_path / "backup"
    for at in crash_epochs:
        model = training_model()
        with pytest.raises(_Crash.Crash):
            model.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(backup), _Crash(at)])
        state = json.loads((backup / "state.json").read_text()) if at > 0 else None
        if state is not None:
            assert state["epoch"] == at - 1                      # the last completed epoch
            assert sorted(os.listdir(backup)) == [f"epoch-{at:05d}.optimizer.safetensors",
                                                  f"epoch-{at:05d}.weights.safetensors", "state.json"]
    model = training_model()
    history = model.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(backup)])
    for a, b in zip(reference.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history.history == ref_history.history
    assert history.epoch == list(range(6))
    assert model.optimizer.iterations == reference.optimizer.iterations
    assert not backup.exists()                                  # deleted once fit completed


def test_backup_is_kept_when_asked_and_a_finished_run_does_nothing_more(tmp_path):
    x, y = training_data()
    model = training_model()
    model.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)])
    assert (tmp_path / "b" / "state.json").exists()
    weights = model.get_weights()
    again = training_model()
    history = again.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)])
    for a, b in zip(weights, again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(history.history["loss"]) == 6 and history.epoch == list(range(6))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_backup_state_that_is_not_a_regular_file_is_refused_at_once(tmp_path):
    """state.json as a FIFO: refused when fit starts, instead of waiting for a writer forever
    (SIGALRM turns a regression into a failure, not a hang)."""
    os.mkfifo(tmp_path / "state.json")
    x, y = training_data()
    model = training_model()

    def timeout(signum, frame):
        raise TimeoutError("fit blocked on the FIFO")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    try:
        with pytest.raises(snn.saving.NotARegularFileError, match="FIFO"):
            model.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(tmp_path)])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_backup_and_restore_rejects_batch_frequency(tmp_path):
    with pytest.raises(ValueError, match="only save_freq='epoch'"):
        C.BackupAndRestore(tmp_path, save_freq=10)


_WORKER = textwrap.dedent("""
    import sys, numpy as np, scratchnn as snn
    from scratchnn import callbacks as C, layers as L
    snn.utils.set_random_seed(5)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 20)).astype(np.float32); y = (x[:, :3].sum(1) > 0).astype(np.int64)
    model = snn.Sequential([L.Input((20,)), L.Dense(64, activation="relu"), L.Dropout(0.2),
                            L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    class Tell(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print("epoch", epoch, flush=True)
    cbs = [C.BackupAndRestore(sys.argv[1]), Tell()] if sys.argv[1] != "-" else [Tell()]
    h = model.fit(x, y, epochs=8, batch_size=8, validation_split=0.1, verbose=0, callbacks=cbs)
    np.savez(sys.argv[2], *model.get_weights(), loss=np.array(h.history["loss"]),
             val_loss=np.array(h.history["val_loss"]))
    print("done", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_run_killed_with_sigkill_resumes_to_the_same_result(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    run = [sys.executable, str(script)]
    subprocess.run(run + ["-", str(tmp_path / "ref.npz")], check=True, timeout=300)
    backup = str(tmp_path / "backup")
    kills = 0
    for _ in range(3):                   # kill mid-epoch, after 1-2 epochs have completed
        proc = subprocess.Popen(run + [backup, str(tmp_path / "out.npz")], stdout=subprocess.PIPE, text=True)
        seen = 0
        for line in proc.stdout:
            if line.startswith("epoch"):
                seen += 1
                if seen == 1 + kills % 2:
                    time.sleep(0.05 * kills)     # land somewhere inside the next epoch
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=60)
        proc.stdout.close()
        if proc.returncode == -signal.SIGKILL:
            kills += 1
    assert kills >= 2
    subprocess.run(run + [backup, str(tmp_path / "out.npz")], check=True, timeout=300, capture_output=True)
    ref, out = np.load(tmp_path / "ref.npz"), np.load(tmp_path / "out.npz")
    assert sorted(ref.files) == sorted(out.files)
    for key in ref.files:
        np.testing.assert_array_equal(ref[key], out[key], err_msg=key)


# ------------------------------------------------------------------ ModelCheckpoint
def test_model_checkpoint_every_epoch_with_templated_names(tmp_path):
    x, y = training_data()
    model = training_model()
    path = str(tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.3f}.scratchnn")
    history = model.fit(x, y, **FIT, callbacks=[C.ModelCheckpoint(path, save_best_only=False)])
    names = sorted(os.listdir(tmp_path / "ckpt"))
    expected = [f"m-{e + 1:02d}-{v:.3f}.scratchnn" for e, v in enumerate(history.history["val_loss"])]
    assert names == sorted(expected)
    last = snn.models.load_model(tmp_path / "ckpt" / expected[-1])
    np.testing.assert_array_equal(last.predict(x, verbose=0), model.predict(x, verbose=0))


def test_model_checkpoint_save_best_only_keeps_the_best_epoch(tmp_path):
    x, y = training_data()
    model = training_model()
    saved = {}

    class Snapshot(C.Callback):        # runs after the checkpoint: remember each epoch's weights
        def on_epoch_end(self, epoch, logs=None):
            saved[epoch] = self.model.get_weights()

    path = tmp_path / "best.safetensors"
    history = model.fit(x, y, **FIT, callbacks=[
        C.ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True, save_weights_only=True),
        Snapshot()])
    acc = history.history["val_accuracy"]
    best = int(np.argmax(acc))                                  # first epoch reaching the maximum
    restored = training_model()
    restored.load_weights(path)
    for a, b in zip(restored.get_weights(), saved[best]):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_checks_suffix_and_missing_keys(tmp_path):
    with pytest.raises(ValueError, match=r"must end in '\.scratchnn' or '\.keras'"):
        C.ModelCheckpoint(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"must end in '\.safetensors'"):
        C.ModelCheckpoint(tmp_path / "m.scratchnn", save_weights_only=True)
    x, y = training_data()
    model = training_model()
    with pytest.raises(KeyError, match="names 'val_auc'"):
        model.fit(x, y, **FIT, callbacks=[C.ModelCheckpoint(str(tmp_path / "m{val_auc}.scratchnn"))])
    with pytest.warns(UserWarning, match="only with val_loss available"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[C.ModelCheckpoint(tmp_path / "m.scratchnn", save_best_only=True)])
    assert not (tmp_path / "m.scratchnn").exists()


# ------------------------------------------------------------------ review regressions
class _Net(snn.Model):                      # a subclassed model that is NOT registered
    def __init__(self):
        super().__init__()
        self.hidden = L.Dense(8, activation="relu")
        self.out = L.Dense(3, activation="softmax")

    def call(self, x, training=False):
        return self.out(self.hidden(x))


def _subclassed():
    snn.utils.set_random_seed(4)
    model = _Net()
    model.compile(optimizer=snn.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy")
    return model


class _LowerLR(C.Callback):
    """Changes the learning rate at the end of epoch 1, as ReduceLROnPlateau would."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            self.model.optimizer.learning_rate = 0.005


def test_backup_resumes_unregistered_models_and_a_changed_learning_rate(tmp_path):
    x, y = training_data()
    reference = _subclassed()
    reference.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[_LowerLR()])
    model = _subclassed()
    with pytest.raises(_Crash.Crash):
        model.fit(x, y, epochs=5, batch_size=16, verbose=0,
                  callbacks=[C.BackupAndRestore(tmp_path / "b"), _LowerLR(), _Crash(3)])
    model = _subclassed()
    model.fit(x, y, epochs=5, batch_size=16, verbose=0,
              callbacks=[C.BackupAndRestore(tmp_path / "b"), _LowerLR()])
    assert model.optimizer.learning_rate == pytest.approx(0.005)
    for a, b in zip(reference.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_backup_with_history_passed_first_logs_each_epoch_once(tmp_path):
    x, y = training_data()
    model = training_model()
    with pytest.raises(_Crash.Crash):
        model.fit(x, y, **FIT, callbacks=[C.History(), C.BackupAndRestore(tmp_path / "b"), _Crash(2)])
    state = json.loads((tmp_path / "b" / "state.json").read_text())
    assert state["epochs"] == [0, 1] and len(state["history"]["loss"]) == 2
    history = training_model().fit(x, y, **FIT, callbacks=[C.History(), C.BackupAndRestore(tmp_path / "b")])
    assert history.epoch == list(range(6)) and len(history.history["loss"]) == 6


def test_checkpoint_verbose_with_a_non_finite_first_value(tmp_path, capsys):
    model, x, y = diverging_model()
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[
            C.ModelCheckpoint(tmp_path / "m.scratchnn", monitor="loss", save_best_only=True, verbose=1)])
    assert "did not improve from inf" in capsys.readouterr().out
    assert not (tmp_path / "m.scratchnn").exists()


# ------------------------------------------------------------------ a diverged model is never saved
class _Explode(C.Callback):
    """Sets a learning rate that makes training diverge at the end of epoch ``at`` (0-based)."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            self.model.optimizer.learning_rate = 1e6


class _Snapshot(C.Callback):
    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch] = self.model.get_weights()


def _fit_recording_warnings(model, x, y, callbacks, epochs=4):
    with warnings.catch_warnings(record=True) as record, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=epochs, batch_size=10, verbose=0, shuffle=False, callbacks=callbacks)
    return history, [str(w.message) for w in record if "ModelCheckpoint" in str(w.message)]


@pytest.mark.parametrize("weights_only", [False, True])
@pytest.mark.parametrize("stop_on_nan", [False, True])
def test_checkpoint_keeps_the_last_good_file_when_the_loss_turns_nan(tmp_path, weights_only, stop_on_nan):
    """Keras overwrites the file with the NaN weights; here the file keeps epoch 2's model and a
    warning says so, once."""
    model, x, y = diverging_model()
    model.optimizer.learning_rate = 1e-3                 # two good epochs, then 1e6: NaN
    path = tmp_path / ("m.safetensors" if weights_only else "m.scratchnn")
    snapshot = _Snapshot()
    callbacks = [C.ModelCheckpoint(path, monitor="loss", save_weights_only=weights_only), snapshot,
                 _Explode(1)] + ([C.TerminateOnNaN()] if stop_on_nan else [])
    history, messages = _fit_recording_warnings(model, x, y, callbacks)
    losses = history.history["loss"]
    assert np.isfinite(losses[:2]).all() and not np.isfinite(losses[2])
    assert len(losses) == (3 if stop_on_nan else 4)
    assert len(messages) == 1, messages
    assert "training diverged at epoch 3" in messages[0] and "was not saved" in messages[0]
    assert f"{path} keeps the last good model (epoch 2)" in messages[0]
    if weights_only:
        saved = diverging_model()[0]
        saved.load_weights(path)
    else:
        saved = snn.models.load_model(path)
    for a, b in zip(saved.get_weights(), snapshot.weights[1]):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_every_few_batches_never_writes_nan_weights(tmp_path):
    model, x, y = diverging_model()
    model.optimizer.learning_rate = 1e-3
    path = tmp_path / "m-{epoch}.safetensors"
    _, messages = _fit_recording_warnings(model, x, y, [
        C.ModelCheckpoint(path, monitor="loss", save_weights_only=True, save_freq=7), _Explode(1)])
    assert len(messages) == 1
    written = sorted(os.listdir(tmp_path))
    assert written[:2] == ["m-1.safetensors", "m-2.safetensors"] and "m-4.safetensors" not in written
    for name in written:
        saved = diverging_model()[0]
        saved.load_weights(tmp_path / name)
        assert all(np.isfinite(w).all() for w in saved.get_weights())


def test_checkpoint_does_not_save_nan_weights_behind_a_finite_loss(tmp_path):
    class Poison(C.Callback):               # runs before the checkpoint at the end of epoch 2
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.weights[0].data[0, 0] = np.nan

    x, y = training_data()
    model = training_model()
    path = tmp_path / "m.scratchnn"
    snapshot = _Snapshot()
    callbacks = [snapshot, Poison(), C.ModelCheckpoint(path)]
    _, messages = _fit_recording_warnings(model, x, y, callbacks, epochs=2)
    assert len(messages) == 1 and "a weight is NaN or infinite" in messages[0], messages
    for a, b in zip(snn.models.load_model(path).get_weights(), snapshot.weights[0]):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_with_nothing_good_to_keep_says_so(tmp_path):
    model, x, y = diverging_model()
    callbacks = [C.ModelCheckpoint(tmp_path / "m.scratchnn")]
    _, messages = _fit_recording_warnings(model, x, y, callbacks, epochs=2)
    assert len(messages) == 1 and "nothing had been saved yet" in messages[0]
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ a damaged backup
def _interrupted_backup(tmp_path):
    x, y = training_data()
    model = training_model()
    with pytest.raises(_Crash.Crash):
        model.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(tmp_path / "b"), _Crash(2)])
    return tmp_path / "b", x, y


def _edit_state(change):
    def damage(backup):
        state = json.loads((backup / "state.json").read_text())
        change(state)
        (backup / "state.json").write_text(json.dumps(state))
    return damage


def _truncate(name, keep=0.5):
    def damage(backup):
        path = next(backup.glob(name))
        data = path.read_bytes()
        path.write_bytes(data[:int(len(data) * keep)])
    return damage


# id -> (how the backup is damaged, the file the message names)
DAMAGES = {
    "state-truncated": (_truncate("state.json"), "state.json"),
    "state-not-an-object": (lambda b: (b / "state.json").write_text("[1, 2]"), "state.json"),
    "state-key-missing": (_edit_state(lambda s: s.pop("weights_file")), "state.json"),
    "state-file-outside": (_edit_state(lambda s: s.update(weights_file="../elsewhere.safetensors")),
                           "state.json"),
    "state-nan-learning-rate": (_edit_state(lambda s: s.update(learning_rate=float("nan"))), "state.json"),
    "state-bad-random-state": (_edit_state(lambda s: s["rngs"].update(
        {"global": {"bit_generator": "PCG64", "state": "junk"}})), "state.json"),
    "state-bad-history": (_edit_state(lambda s: s["history"].update(
        loss=[{"array": [1.0], "dtype": "no-such-dtype"}])), "state.json"),
    "weights-missing": (lambda b: next(b.glob("*.weights.safetensors")).unlink(), "epoch-00002.weights"),
    "weights-truncated": (_truncate("*.weights.safetensors"), "epoch-00002.weights"),
    "optimizer-garbage": (lambda b: next(b.glob("*.optimizer.safetensors")).write_bytes(b"junk" * 10),
                          "epoch-00002.optimizer"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_backup_names_the_file_and_restores_nothing(tmp_path, damage):
    backup, x, y = _interrupted_backup(tmp_path)
    make_damage, name = DAMAGES[damage]
    make_damage(backup)
    model = training_model()
    before = state(model)
    rng_before = snn.random.generator().bit_generator.state
    dropout_rngs = [layer.random_generators()[0].bit_generator.state for layer in model.layers
                    if layer.random_generators()]
    with pytest.raises(ValueError) as err:
        model.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(backup)])
    message = str(err.value)
    assert f"the backup in {str(backup)!r} is damaged: {name}" in message, message
    assert "Nothing was restored" in message and f"shutil.rmtree({str(backup)!r})" in message
    assert_unchanged(model, before)
    assert model.optimizer.iterations == 0
    assert snn.random.generator().bit_generator.state == rng_before
    assert dropout_rngs == [layer.random_generators()[0].bit_generator.state for layer in model.layers
                            if layer.random_generators()]
    shutil.rmtree(backup)                            # starting over, as the message says, works
    history = model.fit(x, y, **FIT, callbacks=[C.BackupAndRestore(backup)])
    assert history.epoch == list(range(6))


def test_model_checkpoint_takes_keras_file_names_and_load_model_reads_them(tmp_path):
    """Keras programs write ``ModelCheckpoint("model_{epoch}.keras")``: the file is scratchnn's own
    archive under that name, and load_model gives back the same model."""
    from scratchnn.models import load_model
    x, y = training_data()
    model = training_model()
    model.fit(x, y, **FIT, callbacks=[C.ModelCheckpoint(str(tmp_path / "model_{epoch}.keras"))])
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == [f"model_{e}.keras" for e in range(1, FIT["epochs"] + 1)]
    restored = load_model(tmp_path / saved[-1])
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
