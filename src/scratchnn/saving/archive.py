"""The ``.scratchnn`` archive: a zip of JSON and safetensors members, read with every part checked.

Layout (documented for other tools in ``docs/model-format.md``)::

    model.scratchnn  (zip)
    ├── metadata.json          {"format": "scratchnn.model", "format_version": 1, ...}
    ├── config.json            {"class_name", "config", "build_input_shape", "weights", "compile_config"}
    ├── model.safetensors      one tensor per weight, key "0003/dense_1/kernel" (index/name)
    └── optimizer.safetensors  only when compiled: "iterations", "global/<name>", "<slot>/<weight key>"

This module knows bytes, not models: it reads the members (names, sizes, compression and
JSON syntax checked, reads bounded by the limits below), parses them, and writes them.
Any problem raises ``ModelFormatError`` naming the part of the file at fault.
"""
import datetime
import errno
import json
import math
import os
import struct
import zipfile
import zlib


from ..datasets import files
from ..version import __version__
from .atomic import atomic_write

FORMAT = "scratchnn.model"
FORMAT_VERSION = 1

#: Limits applied when reading (module attributes, so a user may raise them deliberately).
MAX_JSON_BYTES = 16 * 2**20
MAX_TENSOR_FILE_BYTES = 4 * 2**30
MAX_INPUT_ELEMENTS = 2**25           # elements of one input sample (the model is built on a batch of 1)
MAX_LAYERS = 10_000                  # layers in all, those of nested models included
#: A tensor member may inflate to at most this many times its compressed size: float weights
#: barely compress (about 1.1x), so a member that claims more is a zip bomb, refused before it
#: is inflated. Members up to ``RATIO_FREE_BYTES`` are exempt (a tiny model's header compresses).
MAX_TENSOR_RATIO = 10
RATIO_FREE_BYTES = 2**20

CONFIG, METADATA = "config.json", "metadata.json"
WEIGHTS, OPTIMIZER = "model.safetensors", "optimizer.safetensors"
REQUIRED = (METADATA, CONFIG, WEIGHTS)
ALLOWED = REQUIRED + (OPTIMIZER,)
DTYPES = ("float16", "float32", "float64", "int32", "int64")
#: The safetensors names of ``DTYPES``, with their sizes in bytes.
TENSOR_DTYPES = {"F16": ("float16", 2), "F32": ("float32", 4), "F64": ("float64", 8), "I32": ("int32", 4),
                 "I64": ("int64", 8)}


class ModelFormatError(ValueError):
    """A model file (or weights file) that cannot be loaded; ``part`` names what is wrong.

    ``part`` is the member (``"config.json"``, ``"model.safetensors"``, ...) or ``"file"``
    for the archive itself; ``reason`` says what was found and what was expected.
    """

    def __init__(self, part, reason, path=None):
        self.part, self.reason, self.path = part, reason, path
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{part}: {reason}")


class NotARegularFileError(ModelFormatError):
    """A path that names a FIFO, a device or a socket: refused before a byte is read (reading
    ``/dev/zero`` never ends, opening a FIFO waits for a writer)."""

    def __init__(self, path, kind):
        self.kind = kind
        super().__init__("file", f"is {kind}, not a regular file; only regular files are read", path)


def open_regular_file(path):
    """Open ``path`` for reading bytes, refusing at once anything but a regular file (a symlink
    to one is fine): ``NotARegularFileError`` (a ``ModelFormatError``) for a FIFO, a device or a
    socket, ``IsADirectoryError`` for a directory. The kind is checked before opening (opening
    some devices has effects) and again on the open file (the path may have changed in between);
    the open does not block on a FIFO. What ``load_model``, ``load_weights`` and
    ``load_training_state`` read with, for other readers of untrusted paths to reuse."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    try:                                 # the one check, shared with the dataset cache
        return files.open_regular_file(path, "model file")
    except files.NotARegularFileError as e:
        raise NotARegularFileError(path, e.kind) from None


def tensor_bytes(tensors, kind):
    from safetensors.numpy import save          # imported when a file is written, not with scratchnn
    return save(tensors, metadata={"format": FORMAT, "content": kind})


def metadata():
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "scratchnn_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def read_members(path):
    """``{member name: bytes}`` of the archive at ``path``, every member checked before it is
    read and read no further than it declares: what is held in memory is bounded by the bytes
    on disk (times ``MAX_TENSOR_RATIO`` at most), never by what the file claims."""
    with open_regular_file(path) as f:
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                NotImplementedError) as e:     # NotImplementedError: a zip version zipfile cannot read
            raise ModelFormatError("file", f"not a readable zip archive ({e})", path) from None
        with zf:
            infos = zf.infolist()
            _check_names([i.filename for i in infos], path)
            stored = sum(i.compress_size for i in infos)
            on_disk = os.fstat(f.fileno()).st_size
            if stored > on_disk:
                raise ModelFormatError("file", f"its members declare {stored} compressed bytes in all, more "
                                       f"than the {on_disk} bytes of the file", path)
            return {info.filename: _read_member(zf, info, path) for info in infos}


#: The member that holds the weights in a ``.keras`` file written by Keras 3 itself.
KERAS_WEIGHTS_MEMBER = "model.weights.h5"


def _check_names(names, path):
    if KERAS_WEIGHTS_MEMBER in names:
        raise ModelFormatError("file", "is a '.keras' file written by Keras 3 (it holds "
                               f"{KERAS_WEIGHTS_MEMBER}), whose architecture scratchnn does not read. Move "
                               "the weights instead: in Keras, model.save_weights('m.weights.h5'); in "
                               "scratchnn, build the same model and call model.load_weights('m.weights.h5')",
                               path)
    for name in names:
        if name not in ALLOWED:
            escape = name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/")
            what = "a member name that escapes the archive" if escape else "an unexpected member"
            raise ModelFormatError(name or "file", f"{what}; expected only {list(ALLOWED)}", path)
    if len(set(names)) != len(names):
        raise ModelFormatError("file", "a member appears twice", path)
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise ModelFormatError(missing[0], "missing from the archive", path)


def _read_member(zf, info, path):
    """The bytes of one member: its declared sizes checked first (limit, compression ratio), then
    at most its declared size + 1 bytes inflated, so a member that lies about its size costs
    no more memory than it declares."""
    name, size, packed = info.filename, info.file_size, info.compress_size
    limit = MAX_JSON_BYTES if name.endswith(".json") else MAX_TENSOR_FILE_BYTES
    if size > limit:
        raise ModelFormatError(name, f"declares {size} bytes, more than the limit of {limit}", path)
    if info.flag_bits & 0x1:
        raise ModelFormatError(name, "is encrypted", path)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ModelFormatError(name, f"uses compression method {info.compress_type}; "
                               "expected stored (0) or deflated (8)", path)
    if info.compress_type == zipfile.ZIP_STORED and size != packed:
        raise ModelFormatError(name, f"is stored uncompressed but declares {size} bytes in {packed}", path)
    if name.endswith(".safetensors") and size > max(MAX_TENSOR_RATIO * packed, RATIO_FREE_BYTES):
        ratio = size / max(packed, 1)
        raise ModelFormatError(name, f"would inflate {packed} compressed bytes to {size} ({ratio:.0f} "
                               f"times): tensors compress to no less than 1/{MAX_TENSOR_RATIO} of their "
                               "size, so this is a zip bomb (scratchnn stores tensors uncompressed)", path)
    try:
        with zf.open(info) as member:
            data = member.read(size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
        raise ModelFormatError(name, f"cannot be read ({e})", path) from None
    except MemoryError:
        raise ModelFormatError(name, f"declares {size} bytes, more than the free memory", path) from None
    if len(data) != size:
        raise ModelFormatError(name, f"holds {len(data)} bytes, declared {size}", path)
    return data


def reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is too large for a float")
    return value


def parse_json(data, part, path):
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=reject_constant, parse_float=finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFormatError(part, f"is not valid JSON ({str(e)[:200]})", path) from None
    if not isinstance(value, dict):
        raise ModelFormatError(part, f"must hold a JSON object, got {type(value).__name__}", path)
    return value


def parse_tensors(data, part, path):
    from safetensors import SafetensorError     # imported when a file is read, not with scratchnn
    from safetensors.numpy import load
    try:
        return load(data)
    except (SafetensorError, ValueError, TypeError, KeyError, OverflowError, MemoryError) as e:
        raise ModelFormatError(part, f"is not a valid safetensors file ({str(e)[:200]})", path) from None


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def tensor_header(data, part, path):
    """``{key: (dtype name, shape)}`` read from the header of safetensors bytes, without touching
    the tensors: what the config is checked against before anything large is allocated. The
    header is checked as the format requires (dtypes scratchnn stores, each tensor's byte range
    the size of its shape, the ranges tiling the data exactly)."""
    def bad(reason):
        return ModelFormatError(part, f"is not a valid safetensors file ({reason})", path)

    if len(data) < 8:
        raise bad(f"{len(data)} bytes, fewer than the 8 of the header length")
    (length,) = struct.unpack_from("<Q", data)
    if length > len(data) - 8:
        raise bad(f"declares a header of {length} bytes in {len(data)}")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise bad(f"its header is not JSON: {str(e)[:200]}") from None
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object")
    tensors, ranges = {}, []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        code = entry.get("dtype") if isinstance(entry, dict) else None
        if code not in TENSOR_DTYPES:
            raise bad(f"tensor {key!r} has dtype {code!r}; expected one of {list(TENSOR_DTYPES)}")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (isinstance(shape, list) and all(map(_is_count, shape)) and isinstance(offsets, list)
                and len(offsets) == 2 and all(map(_is_count, offsets))):
            raise bad(f"tensor {key!r} has shape {str(shape)[:100]} and data_offsets {str(offsets)[:100]}")
        dtype, itemsize = TENSOR_DTYPES[code]
        if offsets[1] - offsets[0] != math.prod(shape) * itemsize:
            raise bad(f"tensor {key!r} of shape {shape} spans bytes {offsets}")
        tensors[key] = (dtype, shape)
        ranges.append(offsets)
    end = 0
    for begin, stop in sorted(ranges):
        if begin != end:
            raise bad("the tensors' byte ranges overlap or leave a gap")
        end = stop
    if end != len(data) - 8 - length:
        raise bad(f"the tensors take {end} bytes, the data holds {len(data) - 8 - length}")
    return tensors


def check_metadata(meta, path):
    if meta.get("format") != FORMAT:
        raise ModelFormatError(METADATA, f"format is {meta.get('format')!r}, expected {FORMAT!r}", path)
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFormatError(METADATA, f"format_version {version!r} is not a positive integer", path)
    if version > FORMAT_VERSION:
        raise ModelFormatError(METADATA, f"format_version {version} is newer than this scratchnn reads "
                               f"({FORMAT_VERSION}); upgrade scratchnn to load it", path)


def read_tensor_file(path):
    """The tensors of a safetensors file (``save_weights``, ``BackupAndRestore``), read from a
    regular file only and no further than ``MAX_TENSOR_FILE_BYTES``."""
    with open_regular_file(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_TENSOR_FILE_BYTES:
            raise ModelFormatError("file", f"{size} bytes, more than the limit of {MAX_TENSOR_FILE_BYTES}",
                                   path)
        data = f.read(size + 1)       # what is there (a read of the limit would allocate the limit at once)
    if len(data) > MAX_TENSOR_FILE_BYTES:
        raise ModelFormatError("file", f"larger than {MAX_TENSOR_FILE_BYTES} bytes", path)
    return parse_tensors(data, "file", path)


def write_archive(path, members):
    """Write ``[(member name, bytes), ...]`` as a zip at ``path``, atomically (JSON deflated,
    tensors stored, fixed timestamps so that the same model gives the same bytes)."""
    with atomic_write(path) as f, zipfile.ZipFile(f, "w") as zf:
        for name, data in members:
            kind = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, compress_type=kind)
