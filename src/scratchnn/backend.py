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


# --------------------------------------------------------------------------- memory reuse
#: glibc's ``mallopt`` parameters (malloc.h): M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
allocator_tuned = False


def tune_allocator():
    """Keep freed array memory in the process for the next step instead of returning it.

    Why: a training step allocates the same large temporaries every time (im2col matrices,
    activations, gradients: megabytes each). By default glibc serves every allocation above
    128 KiB-32 MiB with a fresh ``mmap`` and unmaps it on free, so the next step's array starts
    on untouched pages and pays a page fault per 4 KiB on first write. On this project's
    2-core machine that was 40% of a CNN training step (75-80 ms -> 41-50 ms per batch of 128).
    PyTorch avoids it with its own caching allocator; we ask glibc to behave like one: large
    blocks come from the heap (mmap threshold 32 MiB, glibc's maximum) and up to 512 MiB of
    freed memory stays mapped for reuse (trim threshold). The cost: the resident memory stays
    near its peak after a big temporary is freed.

    Linux with glibc only (a no-op elsewhere, or when ``$SCRATCHNN_TUNE_MALLOC=0``); it
    changes the whole process's allocator, so it is done once, at import. Returns whether it
    applied.
    """
    global allocator_tuned
    import os
    import sys
    if allocator_tuned or os.environ.get("SCRATCHNN_TUNE_MALLOC", "1") == "0" \
            or not sys.platform.startswith("linux"):
        return allocator_tuned
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):         # musl and other libcs: leave them alone
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, 32 * 2**20) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, 512 * 2**20) == 1 and ok
    ok = mallopt(_M_TOP_PAD, 16 * 2**20) == 1 and ok
    allocator_tuned = ok
    return ok


# --------------------------------------------------------------------------- per-channel rows
def channel_rows(a, channels, width=256):
    """A C-contiguous channels-last array ``a`` (last axis of length ``channels``) viewed as a
    matrix of shape (m / r, r * channels), r consecutive rows side by side; returns (view, r).

    Why: ``a + v`` for a per-channel vector v runs NumPy's inner loop once per row of
    ``channels`` numbers, and with 32 channels it spends about as long starting loops as adding.
    The same additions on the wide view, with v repeated r times (``np.tile(v, r)``), run over
    r * channels numbers per loop: about 2x faster for 32 channels, with identical results.
    r starts at 1 and doubles while r * channels < ``width`` and 2r divides the row count.
    """
    m = a.size // channels if channels else 0
    r = 1
    while r * channels < width and m % (2 * r) == 0 and m:
        r *= 2
    return a.reshape(m // r, r * channels), r


# --------------------------------------------------------------------------- batch-parallel loops
#: Below this many elements an elementwise pass is not worth splitting across threads.
PARALLEL_MIN_SIZE = 2**19
_pool = None          # (ThreadPoolExecutor, pid that made it, threads)


def num_threads():
    """How many threads the batch-parallel kernels use: ``$SCRATCHNN_NUM_THREADS``, else the
    cores this process may run on (at most 8)."""
    import os
    env = os.environ.get("SCRATCHNN_NUM_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ValueError(f"SCRATCHNN_NUM_THREADS must be a positive integer, got {env!r}") from None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                       # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def parallel_batches(fn, n, size):
    """Run ``fn(lo, hi)`` over the batch rows ``[0, n)``, split into one contiguous range per
    thread when the work is large (``size`` elements >= ``PARALLEL_MIN_SIZE``), else in one call.

    For the memory-bound passes of the conv and pooling kernels (NumPy runs one elementwise pass
    on one core, and releases the GIL while it does): each range writes only its own rows of
    arrays allocated beforehand, so the result is the same as one call, bit for bit. The calling
    thread takes the first range. A process forked from one that had made the pool makes its own.
    """
    global _pool
    if n < 2 or size < PARALLEL_MIN_SIZE:       # small work: no thread count to look up
        fn(0, n)
        return
    threads = num_threads()
    parts = min(threads, n)
    if parts < 2:
        fn(0, n)
        return
    import os
    if _pool is None or _pool[1] != os.getpid() or _pool[2] != threads:
        from concurrent.futures import ThreadPoolExecutor
        _pool = (ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="scratchnn"),
                 os.getpid(), threads)
    bounds = [n * i // parts for i in range(parts + 1)]
    futures = [_pool[0].submit(fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        fn(bounds[0], bounds[1])
    finally:
        for future in futures:
            future.result()
