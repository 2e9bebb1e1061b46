"""Ctrl-C during ``fit`` (``scratchnn/models/interrupt.py``): training stops after the batch and
keeps its history, also during the last epoch's callbacks.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from scratchnn import callbacks as C

from tests.models.helpers import FIT, training_data, training_model

_SIGINT_WORKER = textwrap.dedent("""
    import sys, numpy as np, scratchnn as snn
    from scratchnn import callbacks as C, layers as L
    snn.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 50)).astype(np.float32); y = (x[:, 0] > 0).astype(np.int64)
    model = snn.Sequential([L.Input((50,)), L.Dense(128, activation="relu"),
                            L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    class Tell(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print("epoch", epoch, flush=True)
    h = model.fit(x, y, epochs=1000, batch_size=4, verbose=0,
                  callbacks=[C.BackupAndRestore(sys.argv[1]), Tell()])
    p = model.predict(x[:5], verbose=0)
    print("returned", len(h.history["loss"]), h.epoch, model.interrupted, bool(np.isfinite(p).all()),
          flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_stops_after_the_batch_and_keeps_history(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(_SIGINT_WORKER)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "b")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("epoch 0")
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    words = out.split("returned", 1)[1].split()
    completed = int(words[0])
    assert completed >= 1
    assert 1 + out.count("epoch ") == completed        # line 1 was read above; a partial epoch: not logged
    assert words[-2:] == ["True", "True"]               # model.interrupted, and predictions are finite
    assert "Training interrupted at epoch" in err and "Traceback" not in err
    assert (tmp_path / "b" / "state.json").exists()     # the backup stays, to resume from


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_during_the_last_epochs_callbacks_is_not_lost():
    x, y = training_data()
    model = training_model()

    class CtrlC(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 5:
                os.kill(os.getpid(), signal.SIGINT)     # lands during the last epoch's callbacks

    history = model.fit(x, y, **FIT, callbacks=[CtrlC()])
    assert model.interrupted and len(history.history["loss"]) == 6
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler      # handler put back
