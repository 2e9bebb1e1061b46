"""The progress display (``scratchnn/callbacks/progbar.py``): Keras 3's progress line
(keras/src/utils/progbar.py) for verbose 0, 1 and 2, in fit, evaluate and predict.
"""
import io
import re
import warnings

import numpy as np

from scratchnn.callbacks import CallbackList, ProgbarLogger
from scratchnn.callbacks.progbar import format_eta, format_step_time, format_value

from tests.callbacks.helpers import FakeModel


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
