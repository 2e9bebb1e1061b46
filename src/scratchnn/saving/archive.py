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
import json
import math
import zipfile
import zlib

from safetensors import SafetensorError
from safetensors.numpy import load as _load_tensors
from safetensors.numpy import save as _save_tensors

from ..version import __version__
from .atomic import atomic_write

FORMAT = "scratchnn.model"
FORMAT_VERSION = 1

#: Limits applied when reading (module attributes, so a user may raise them deliberately).
MAX_JSON_BYTES = 16 * 2**20
MAX_TENSOR_FILE_BYTES = 4 * 2**30
MAX_INPUT_ELEMENTS = 2**25           # elements of one input sample (the model is built on a batch of 1)
MAX_LAYERS = 10_000

CONFIG, METADATA = "config.json", "metadata.json"
WEIGHTS, OPTIMIZER = "model.safetensors", "optimizer.safetensors"
REQUIRED = (METADATA, CONFIG, WEIGHTS)
ALLOWED = REQUIRED + (OPTIMIZER,)
DTYPES = ("float16", "float32", "float64", "int32", "int64")


class ModelFormatError(ValueError):
    """A model file (or weights file) that cannot be loaded; ``part`` names what is wrong.

    ``part`` is the member (``"config.json"``, ``"model.safetensors"``, ...) or ``"file"``
    for the archive itself; ``reason`` says what was found and what was expected.
    """

    def __init__(self, part, reason, path=None):
        self.part, self.reason, self.path = part, reason, path
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{part}: {reason}")



def tensor_bytes(tensors, kind):
    return _save_tensors(tensors, metadata={"format": FORMAT, "content": kind})


def metadata():
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "scratchnn_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def read_members(path):
    try:
        zf = zipfile.ZipFile(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise                                   # not a format problem: the OSError says what is wrong
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError) as e:         # NotImplementedError: a zip version zipfile cannot read
        raise ModelFormatError("file", f"not a readable zip archive ({e})", path) from None
    with zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
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
        out = {}
        for info in infos:
            limit = MAX_JSON_BYTES if info.filename.endswith(".json") else MAX_TENSOR_FILE_BYTES
            if info.file_size > limit:
                raise ModelFormatError(info.filename, f"declares {info.file_size} bytes, more than the limit "
                                       f"of {limit}", path)
            if info.flag_bits & 0x1:
                raise ModelFormatError(info.filename, "is encrypted", path)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ModelFormatError(info.filename, f"uses compression method {info.compress_type}; "
                                       "expected stored (0) or deflated (8)", path)
            try:
                with zf.open(info) as member:
                    data = member.read(limit + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as e:
                raise ModelFormatError(info.filename, f"cannot be read ({e})", path) from None
            if len(data) != info.file_size:
                raise ModelFormatError(info.filename, f"holds {len(data)} bytes, declared {info.file_size}",
                                       path)
            out[info.filename] = data
    return out


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
    try:
        return _load_tensors(data)
    except (SafetensorError, ValueError, TypeError, KeyError, OverflowError, MemoryError) as e:
        raise ModelFormatError(part, f"is not a valid safetensors file ({str(e)[:200]})", path) from None


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
    with open(path, "rb") as f:
        data = f.read(MAX_TENSOR_FILE_BYTES + 1)
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
