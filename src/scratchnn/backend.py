"""The array-module seam.

Every op does its array math through the module that its inputs' data belong to
(``xp``).  Today that is always NumPy; a GPU backend (CuPy mirrors NumPy's API)
plugs in here without rewriting any op: ``array_module`` would return ``cupy``
for a ``cupy.ndarray`` and the ops would run on the GPU unchanged.
"""
import numpy as np

#: The default floating-point dtype of new tensors (Keras calls it ``floatx``).
DEFAULT_FLOAT = np.dtype(np.float32)


def array_module(array):
    """Return the array module (``numpy`` today) that ``array`` belongs to."""
    if type(array) is np.ndarray:
        return np
    module = type(array).__module__.partition(".")[0]
    if module == "cupy":  # pragma: no cover - no GPU backend yet
        import cupy
        return cupy
    return np
