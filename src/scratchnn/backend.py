"""The array-module seam, the default dtype, and the switch of the fast kernels.

Every op does its array math through the module that its inputs' data belong to
(``xp``).  Today that is always NumPy; a GPU backend (CuPy mirrors NumPy's API)
plugs in here without rewriting any op: ``array_module`` would return ``cupy``
for a ``cupy.ndarray`` and the ops would run on the GPU unchanged.

Fast kernels: every op, layer and optimizer is written to read like its formula; where a
faster way to compute the same thing pays (a fused convolution + pooling, in-place optimizer
updates, threaded passes), it lives in ``scratchnn.kernels`` and is used while fast kernels
are on (the default). ``set_fast_kernels(False)``, or ``SCRATCHNN_FAST_KERNELS=0`` in the
environment, runs the readable reference code everywhere instead (the tests check that both
give the same numbers).
"""
import contextlib
import os

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



# --------------------------------------------------------------------------- fast kernels
_fast_kernels = os.environ.get("SCRATCHNN_FAST_KERNELS", "1") != "0"


def fast_kernels_enabled():
    """Whether the fast kernels of ``scratchnn.kernels`` are used (True unless switched off)."""
    return _fast_kernels


def set_fast_kernels(enabled):
    """Use the fast kernels (True, the default) or the readable reference code (False) from now
    on; returns the previous setting. ``with fast_kernels(False): ...`` does it for a block."""
    global _fast_kernels
    previous, _fast_kernels = _fast_kernels, bool(enabled)
    return previous


@contextlib.contextmanager
def fast_kernels(enabled):
    """``with fast_kernels(False): ...``: the reference code inside the block, the setting as
    before after it."""
    previous = set_fast_kernels(enabled)
    try:
        yield
    finally:
        set_fast_kernels(previous)


# --------------------------------------------------------------------------- threads
_num_threads = None


def set_num_threads(threads):
    """Fix how many threads scratchnn computes with (BLAS's and the kernels' own), or ``None`` for
    the automatic choice (one per core no other program is using: ``kernels/threads.py``); it
    takes effect at the next ``fit``, ``evaluate`` or ``predict``. ``$SCRATCHNN_NUM_THREADS``
    wins over it. Returns the previous setting."""
    global _num_threads
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, (int, np.integer))
                                or threads < 1):
        raise ValueError(f"set_num_threads: threads must be a positive integer or None, got {threads!r}")
    previous, _num_threads = _num_threads, None if threads is None else int(threads)
    return previous


def get_num_threads():
    """The thread count fixed with ``set_num_threads``, or None (automatic)."""
    return _num_threads

