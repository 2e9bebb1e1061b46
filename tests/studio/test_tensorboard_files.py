"""The studio reads a ``TensorBoard`` callback's event files as a run's history (issue 16: "a
TensorBoard callback ... that the studio can read")."""
import glob
import os

import numpy as np
import pytest

from scratchnn import callbacks, layers, models
from scratchnn.studio import Studio
from scratchnn.studio.tensorboard_files import history_from_tensorboard, read_scalars

from .client import get

pytest.importorskip("tensorboardX", reason="TensorBoard event files need tensorboardX "
                                            "(pip install 'scratchnn[tensorboard]')")


@pytest.fixture
def logged_run(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = models.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    log_dir = tmp_path / "tb-run"
    history = model.fit(x, y, epochs=3, batch_size=20, validation_split=0.2, verbose=0,
                        callbacks=[callbacks.TensorBoard(log_dir=str(log_dir))])
    return str(log_dir), history.history


def test_a_tensorboard_log_dir_is_served_as_a_history_equal_to_fits(logged_run):
    log_dir, history = logged_run
    studio = Studio(runs=[log_dir])
    studio.start()
    try:
        status, body = get(studio, "/api/runs/history?run=tb-run")
        assert status == 200
        columns = body["columns"]
        assert columns["epoch"] == [0.0, 1.0, 2.0]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(columns[name], history[name], rtol=1e-6)
        status, body = get(studio, "/api/compare?runs=tb-run")
        assert status == 200 and body["runs"][0]["has_history"] is True
    finally:
        studio.stop()


def test_a_partly_written_or_corrupted_file_keeps_the_complete_records(logged_run, tmp_path):
    log_dir, history = logged_run
    (path,) = glob.glob(os.path.join(log_dir, "train", "events.out.tfevents.*"))
    whole = read_scalars(os.path.dirname(path))
    data = open(path, "rb").read()
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / os.path.basename(path)).write_bytes(data[:len(data) // 2])   # a record cut short
    partial = read_scalars(str(cut))
    pairs = [(tag, step, value) for tag, values in partial.items() for step, value in values.items()]
    assert 0 < len(pairs) < sum(len(v) for v in whole.values())
    assert all(whole[tag][step] == value for tag, step, value in pairs)
    bad = tmp_path / "bad"
    bad.mkdir()
    flipped = bytearray(data)
    flipped[20] ^= 0xFF                                               # inside the first record's data
    (bad / os.path.basename(path)).write_bytes(bytes(flipped))
    assert read_scalars(str(bad)) == {}
    huge = tmp_path / "huge"
    huge.mkdir()                                                      # a length far past the file's end
    (huge / os.path.basename(path)).write_bytes((2 ** 62).to_bytes(8, "little") + data[8:])
    assert read_scalars(str(huge)) == {}


def test_a_folder_without_train_subfolder_reads_its_own_files(logged_run):
    log_dir, history = logged_run
    columns = history_from_tensorboard(os.path.join(log_dir, "train"))
    np.testing.assert_allclose(columns["loss"], history["loss"], rtol=1e-6)
    assert "val_loss" not in columns
