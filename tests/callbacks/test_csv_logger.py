"""``CSVLogger`` (``scratchnn/callbacks/csv_logger.py``): header and rows, separator, missing
keys, overwrite and append.
"""
import csv

from scratchnn.callbacks import CallbackList, CSVLogger

from tests.callbacks.helpers import FakeModel, fit


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
