"""``TensorBoard`` (``scratchnn/callbacks/tensorboard.py``): the event files a short ``fit`` writes,
read back record by record (TFRecord framing with its CRC32C checks, ``Event`` protos), hold
Keras 3's tags and steps and the History's values.
"""
import struct
import sys
import warnings

import numpy as np
import pytest

from scratchnn.callbacks import CALLBACKS, LearningRateScheduler, TensorBoard
from scratchnn.keras import callbacks as keras_callbacks
from scratchnn.layers import Dense
from scratchnn.models import Sequential

from tests.callbacks.helpers import FakeModel, fit

try:
    from tensorboardX.crc32c import crc32c
    from tensorboardX.proto import event_pb2
except ImportError:                       # the tests that write files skip; the others still run
    crc32c = event_pb2 = None

needs_tensorboardx = pytest.mark.skipif(event_pb2 is None, reason="TensorBoard needs tensorboardX "
                                                                  "(pip install 'scratchnn[tensorboard]')")


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(folder):
    """All ``Event`` protos of the event files in ``folder``, checking every record's CRCs."""
    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            header = data[pos:pos + 8]
            (length,) = struct.unpack("<Q", header)
            (header_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
            assert header_crc == masked(crc32c(header)), f"bad length CRC in {path}"
            body = data[pos + 12:pos + 12 + length]
            (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
            assert body_crc == masked(crc32c(body)), f"bad data CRC in {path}"
            event = event_pb2.Event()
            event.ParseFromString(body)
            events.append(event)
            pos += 16 + length
    return events


def scalars(folder):
    """``{tag: [(step, value), ...]}`` of the scalar summaries in ``folder``."""
    out = {}
    for event in read_events(folder):
        for value in event.summary.value:
            if value.WhichOneof("value") == "simple_value":
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return out


def histograms(folder):
    out = {}
    for event in read_events(folder):
        for value in event.summary.value:
            if value.WhichOneof("value") == "histo":
                out.setdefault(value.tag, []).append((event.step, value.histo))
    return out


def make_model():
    model = Sequential([Dense(4, activation="relu"), Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def data(n=20):
    rng = np.random.default_rng(0)
    return rng.random((n, 3), dtype=np.float32), rng.random((n, 1), dtype=np.float32)


def f32(values):
    return [float(np.float32(v)) for v in values]


@needs_tensorboardx
def test_epoch_scalars_match_history_in_train_and_validation_folders(tmp_path):
    model = make_model()
    x, y = data()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[TensorBoard(tmp_path / "logs")])
    train = scalars(tmp_path / "logs" / "train")
    val = scalars(tmp_path / "logs" / "validation")
    for key in ("loss", "mae"):
        assert train[f"epoch_{key}"] == list(zip([0, 1, 2], f32(history.history[key])))
        assert val[f"epoch_{key}"] == list(zip([0, 1, 2], f32(history.history[f"val_{key}"])))
    assert not any(tag.startswith("epoch_val_") for tag in list(train) + list(val))
    for folder in ("train", "validation"):         # one event file each: the validation passes
        assert len(list((tmp_path / "logs" / folder).glob("events.out.tfevents.*"))) == 1  # reuse it
    assert train["epoch_learning_rate"] == [(e, float(np.float32(0.001))) for e in range(3)]
    assert not any(tag.startswith("batch_") for tag in train)          # update_freq="epoch"
    # after each validation pass: evaluation_<name>_vs_iterations at step = optimizer.iterations
    # (15 training samples, batch 8: 2 steps per epoch)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [2, 4, 6]
    assert [v for _, v in val["evaluation_loss_vs_iterations"]] == f32(history.history["val_loss"])


@needs_tensorboardx
def test_evaluate_writes_evaluation_scalars_at_the_optimizer_step(tmp_path):
    model = make_model()
    x, y = data(16)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)                  # 2 optimizer steps
    loss, mae = model.evaluate(x, y, verbose=0, callbacks=[TensorBoard(tmp_path)])
    val = scalars(tmp_path / "validation")                              # read without close()
    assert val["evaluation_loss_vs_iterations"] == [(2, float(np.float32(loss)))]
    assert val["evaluation_mae_vs_iterations"] == [(2, float(np.float32(mae)))]
    assert not (tmp_path / "train").exists()


@needs_tensorboardx
def test_batch_scalars_every_n_batches_with_a_global_step(tmp_path):
    model = make_model()
    x, y = data(24)
    seen = []

    class Record(keras_callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(logs["loss"]))

    model.fit(x, y, epochs=2, batch_size=8, verbose=0,            # 3 batches a epoch, 6 in all
              callbacks=[Record(), TensorBoard(tmp_path, update_freq=2, write_steps_per_second=True)])
    train = scalars(tmp_path / "train")
    assert train["batch_loss"] == list(zip([2, 4, 6], f32([seen[1], seen[3], seen[5]])))
    assert [s for s, _ in train["batch_mae"]] == [2, 4, 6]
    assert [s for s, _ in train["batch_steps_per_second"]] == [2, 4, 6]
    assert [s for s, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert all(v > 0 for _, v in train["epoch_steps_per_second"] + train["batch_steps_per_second"])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[TensorBoard(tmp_path / "b", update_freq="batch")])
    assert [s for s, _ in scalars(tmp_path / "b" / "train")["batch_loss"]] == [1, 2, 3]


@needs_tensorboardx
def test_histograms_of_every_weight_every_n_epochs(tmp_path):
    model = make_model()
    x, y = data()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[TensorBoard(tmp_path, histogram_freq=2, write_images=True)])
    hist = histograms(tmp_path / "train")
    first, second = (layer.name for layer in model.layers)      # e.g. dense_4, dense_5
    assert sorted(hist) == [f"{first}/bias/histogram", f"{first}/kernel/histogram",
                            f"{second}/bias/histogram", f"{second}/kernel/histogram"]
    assert [s for s, _ in hist[f"{first}/kernel/histogram"]] == [0, 2]
    last = hist[f"{first}/kernel/histogram"][-1][1]
    kernel = model.layers[0].weights[0].numpy()
    assert last.num == kernel.size
    assert last.min == pytest.approx(kernel.min()) and last.max == pytest.approx(kernel.max())
    assert last.sum == pytest.approx(kernel.sum(), rel=1e-5)
    images = {v.tag for e in read_events(tmp_path / "train") for v in e.summary.value
              if v.WhichOneof("value") == "image"}
    assert images == {f"{first}/bias/image", f"{first}/kernel/image", f"{second}/bias/image",
                      f"{second}/kernel/image"}
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "none")])
    assert histograms(tmp_path / "none" / "train") == {}


@needs_tensorboardx
def test_learning_rate_follows_a_scheduler_and_non_scalar_logs_are_skipped(tmp_path):
    model = make_model()
    x, y = data()
    schedule = LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[schedule, TensorBoard(tmp_path / "lr")])
    written = scalars(tmp_path / "lr" / "train")["epoch_learning_rate"]
    assert written == list(zip([0, 1, 2], f32([0.1, 0.05, 0.1 / 3])))
    # a model without layers or optimizer.iterations, logs with a vector and a string: no crash,
    # only the numbers written
    fit([TensorBoard(tmp_path / "fake", histogram_freq=1)], [0.5, 0.25],
        model=FakeModel(learning_rate=0.2),
        extra={"per_class": [0.1, 0.2], "note": "x", "count": np.int64(3)})
    train, val = scalars(tmp_path / "fake" / "train"), scalars(tmp_path / "fake" / "validation")
    assert sorted(train) == ["epoch_count", "epoch_learning_rate", "epoch_loss"]
    assert train["epoch_count"] == [(0, 3.0), (1, 3.0)]
    assert val == {"epoch_loss": [(0, 0.5), (1, 0.25)]}


@needs_tensorboardx
def test_files_closed_at_train_end_and_a_new_fit_starts_new_files(tmp_path):
    model = make_model()
    x, y = data()
    board = TensorBoard(tmp_path)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[board])
    assert board._writers == {}
    model.fit(x, y, epochs=2, verbose=0, callbacks=[board])
    assert len(list((tmp_path / "train").glob("events.out.tfevents.*"))) == 2
    assert [s for s, _ in scalars(tmp_path / "train")["epoch_loss"]] == [0, 0, 1]
    assert not (tmp_path / "validation").exists()          # no validation: no empty folder


@needs_tensorboardx
def test_arguments_checked_and_unsupported_ones_warn_once(tmp_path):
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(tmp_path, update_freq="step")
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(tmp_path, update_freq=0)
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(tmp_path, histogram_freq=-1)
    with pytest.raises(ValueError, match="profile_batch"):
        TensorBoard(tmp_path, profile_batch=(5, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TensorBoard(tmp_path, write_graph=True)                # Keras's defaults: no warning
    with pytest.warns(UserWarning, match="profile_batch and embeddings_freq") as record:
        TensorBoard(tmp_path, profile_batch="2,4", embeddings_freq=1)
    assert len(record) == 1
    assert not list(tmp_path.iterdir())                    # constructing writes nothing


def test_missing_tensorboardx_gives_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError) as info:
        TensorBoard(tmp_path)
    message = str(info.value)
    assert "\n" not in message and "pip install 'scratchnn[tensorboard]'" in message


def test_exported_and_registered():
    assert keras_callbacks.TensorBoard is TensorBoard
    assert CALLBACKS.lookup("tensorboard") is TensorBoard
