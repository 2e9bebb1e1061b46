"""Reading NumPy data that comes as pickles, without running any code.

Some published datasets hold *pickles*: IMDB's and Reuters' ``.npz`` files store their
reviews (lists of different lengths) as NumPy object arrays, and CIFAR-10's batches are
pickled dictionaries. ``pickle.load`` (and ``np.load(allow_pickle=True)``) on such a file runs
whatever function the file names: a tampered copy could call ``os.system``. Here a pickle may
name only what rebuilds NumPy arrays:

* ``numpy.ndarray`` and ``numpy.dtype`` (the array's class and element type);
* ``multiarray._reconstruct`` (an empty array that the pickle then fills) and
  ``multiarray.scalar`` (one array element), under NumPy 1's ``numpy.core`` and NumPy 2's
  ``numpy._core`` names.

Lists, dictionaries, numbers, strings and bytes need no name (pickle builds them itself).
Any other name stops the reading with ``UnsafePickleError`` before the name is even imported.
The dataset loaders also check each file's published SHA-256 before reading it.

``load_npz(data)`` reads a ``.npz`` archive (its bytes): numeric arrays with
``allow_pickle=False``, object arrays through the restricted unpickler.
"""
import io
import pickle
import zipfile

import numpy as np

__all__ = ["UnsafePickleError", "RestrictedUnpickler", "loads", "load_npz", "MAX_NPZ_BYTES"]

#: The most bytes the arrays of one ``.npz`` may inflate to (its members' declared sizes).
MAX_NPZ_BYTES = 1 << 31

# The functions themselves, found from live objects so that both NumPy 1 and 2 give them.
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_SCALAR = np.int64(0).__reduce__()[0]
ALLOWED = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    ALLOWED[(_module, "_reconstruct")] = _RECONSTRUCT
    ALLOWED[(_module, "scalar")] = _SCALAR


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names something other than what rebuilds a NumPy array: refused, nothing run."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names in ``ALLOWED`` (see the module text)."""

    def __init__(self, file, what="the data", encoding="latin1"):
        super().__init__(file, encoding=encoding)
        self.what = what

    def find_class(self, module, name):
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"{self.what} is a pickle that asks for {module}.{name}; only NumPy "
                                    "arrays may be rebuilt, so it is refused (the file is damaged or "
                                    "malicious) and nothing in it was run.") from None


def loads(data, what="the data", encoding="latin1"):
    """The object pickled in ``data`` (bytes), rebuilt with ``RestrictedUnpickler``."""
    return RestrictedUnpickler(io.BytesIO(data), what=what, encoding=encoding).load()


def _read_npy(stream, what):
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):  # 3.0 differs from 2.0 only in the header's text encoding
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"{what}: unsupported .npy format version {version}.")
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = RestrictedUnpickler(stream, what=what).load()
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise ValueError(f"{what}: the pickled array does not have the shape {tuple(shape)} that its "
                         "header gives.")
    return array


def load_npz(data, what="the .npz file"):
    """``{name: array}`` of the ``.npz`` archive in ``data`` (bytes), read without running code."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{what} is not an .npz (zip) archive ({exc}).") from None
    with archive:
        members = [m for m in archive.infolist() if m.filename.endswith(".npy")]
        declared = sum(m.file_size for m in members)
        if declared > MAX_NPZ_BYTES:
            raise ValueError(f"{what} declares {declared} bytes of arrays, more than {MAX_NPZ_BYTES}; "
                             "refused.")
        arrays = {}
        for member in members:
            name = member.filename[:-len(".npy")]
            raw = archive.read(member)
            arrays[name] = _read_npy(io.BytesIO(raw), f"{what} (array {name!r})")
    return arrays
