"""The IDX file format of MNIST and Fashion-MNIST: read (with checks) and write.

An IDX file is a big-endian header followed by raw data::

    magic (4 bytes)     0x00 0x00 <type code> <number of dimensions>
    sizes (4 bytes each, one per dimension)
    data  (the product of the sizes, times the item size)

MNIST's image files have magic 2051 (``0x00000803``: unsigned bytes, 3 dimensions:
count, rows, columns) and its label files magic 2049 (``0x00000801``: unsigned bytes,
1 dimension: count). ``read_idx`` accepts every IDX type code; the datasets use only uint8.
"""
import struct

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

# IDX type code -> NumPy dtype (IDX data is big-endian).
_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
           0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class IDXFormatError(ValueError):
    """A byte string is not a well-formed IDX file (bad magic number, header or size)."""


def read_idx(data, expected_magic=None, name="IDX data"):
    """Parse the bytes of an IDX file into a NumPy array of the shape its header gives.

    ``expected_magic`` (for example ``IMAGES_MAGIC`` or ``LABELS_MAGIC``), when given, must
    equal the file's magic number. ``name`` is used in error messages. The result is a new,
    writable array in native byte order; ``IDXFormatError`` is raised on a malformed file.
    """
    data = memoryview(data).cast("B")
    if len(data) < 4:
        raise IDXFormatError(f"{name}: expected an IDX header of at least 4 bytes, got {len(data)} bytes.")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    magic = int.from_bytes(data[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise IDXFormatError(f"{name}: expected IDX magic number {expected_magic}, got {magic} "
                             f"(first bytes {bytes(data[:4]).hex()}).")
    if zero != 0 or type_code not in _DTYPES:
        raise IDXFormatError(f"{name}: not an IDX file: magic number {magic} (0x{magic:08x}) should be "
                             f"0x0000TTDD with type code TT in {sorted(_DTYPES)} and DD dimensions.")
    if ndim == 0:
        raise IDXFormatError(f"{name}: expected at least 1 dimension in the IDX header, got 0.")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(f"{name}: expected a {header}-byte header for {ndim} dimensions, "
                             f"got only {len(data)} bytes.")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _DTYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise IDXFormatError(f"{name}: the header announces shape {shape} of {dtype.name}, i.e. "
                             f"{expected} bytes in all, but the file has {len(data)} bytes"
                             + (" (truncated?)." if len(data) < expected else " (trailing data)."))
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def idx_size(shape, dtype=np.uint8):
    """The number of bytes of an IDX file holding an array of ``shape`` and ``dtype``:
    ``4 + 4 * len(shape) + prod(shape) * itemsize`` (magic, one size per dimension, the data).

    MNIST's training images, shape (60000, 28, 28) of uint8: 16 + 47040000 = 47040016 bytes.
    """
    shape = tuple(int(n) for n in shape)
    return 4 + 4 * len(shape) + int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


def write_idx(array):
    """The bytes of an IDX file holding ``array`` (uint8, int8, int16, int32, float32 or float64)."""
    array = np.asarray(array)
    by_dtype = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}
    code = by_dtype.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"write_idx: expected an array of dtype uint8, int8, int16, int32, float32 or "
                        f"float64, got {array.dtype}.")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: expected an array with 1 to 255 dimensions, got {array.ndim}.")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
