"""TensorBoard event files as a run's history, so the studio shows runs logged with the
``TensorBoard`` callback (scratchnn's or Keras's) beside runs with a ``history.csv``.

An event file is a sequence of TFRecords: ``length`` (8 bytes, little-endian), a masked CRC32C of
those 8 bytes, ``length`` bytes of an ``Event`` protocol buffer, a masked CRC32C of them. Keras's
``TensorBoard`` writes the epoch scalars ``epoch_loss``, ``epoch_<metric>`` at step = epoch under
``log_dir/train`` and ``log_dir/validation``; ``history_from_tensorboard`` turns them into the
columns of a ``history.csv`` (``epoch``, ``loss``, ``accuracy``, ``val_loss`` ...).

The ``Event`` message is parsed with the definitions tensorboardX ships (``pip install
'scratchnn[tensorboard]'``). Reading is bounded by the bytes really there: a record whose length
runs past the end of the file, or whose checksum is wrong, ends the reading of that file (a file
still being written ends with a partial record).
"""
import glob
import os
import struct

#: Scalars read from one folder at most (a run with more is cut, not read into memory whole).
MAX_SCALARS = 1_000_000


def _masked_crc(data, crc32c):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_scalars(folder):
    """``{tag: {step: value}}`` of the scalar summaries in the event files of ``folder`` (the last
    value written wins for a repeated step)."""
    try:
        from tensorboardX.crc32c import crc32c
        from tensorboardX.proto import event_pb2
    except ImportError:
        raise ImportError("reading TensorBoard event files needs tensorboardX: "
                          "pip install 'scratchnn[tensorboard]'") from None
    out, count = {}, 0
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 12 <= len(data) and count < MAX_SCALARS:
            header = data[pos:pos + 8]
            (length,) = struct.unpack("<Q", header)
            end = pos + 12 + length + 4
            header_crc = struct.unpack("<I", data[pos + 8:pos + 12])[0]
            if end > len(data) or header_crc != _masked_crc(header, crc32c):
                break
            body = data[pos + 12:pos + 12 + length]
            if struct.unpack("<I", data[end - 4:end])[0] != _masked_crc(body, crc32c):
                break
            event = event_pb2.Event()
            event.ParseFromString(body)
            for value in event.summary.value:
                kind = value.WhichOneof("value")
                if kind == "simple_value":
                    number = value.simple_value
                elif kind == "tensor" and value.tensor.float_val:
                    number = value.tensor.float_val[0]
                else:
                    continue
                out.setdefault(value.tag, {})[int(event.step)] = float(number)
                count += 1
            pos = end
    return out


def has_event_files(folder):
    return any(glob.glob(os.path.join(d, "events.out.tfevents.*"))
               for d in (folder, os.path.join(folder, "train"), os.path.join(folder, "validation")))


def history_from_tensorboard(folder):
    """The epoch scalars of a TensorBoard ``log_dir`` as ``history.csv``'s columns: ``epoch`` and,
    from ``train/`` (or the folder itself), each ``epoch_<name>`` as ``<name>``; from
    ``validation/``, as ``val_<name>``. Epochs missing from a column are None."""
    parts = [("", os.path.join(folder, "train")), ("val_", os.path.join(folder, "validation"))]
    if not os.path.isdir(parts[0][1]):
        parts[0] = ("", folder)
    series = {}
    for prefix, path in parts:
        if os.path.isdir(path):
            for tag, values in read_scalars(path).items():
                if tag.startswith("epoch_"):
                    series[prefix + tag[len("epoch_"):]] = values
    epochs = sorted({step for values in series.values() for step in values})
    if not epochs:
        return {}
    columns = {"epoch": [float(e) for e in epochs]}
    for name in sorted(series):
        columns[name] = [series[name].get(e) for e in epochs]
    return columns
