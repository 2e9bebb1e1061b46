"""Threads for the memory-bound passes: one contiguous range of the batch per thread.

NumPy runs an elementwise pass (a copy, an addition, a comparison) on one core, and releases
the GIL while it does; BLAS already uses every core for matrix products. So the conv and
pooling kernels split their big elementwise passes over the batch: each thread writes only its
own rows of arrays allocated beforehand, and the result is the same as one call, bit for bit.
``$SCRATCHNN_NUM_THREADS`` sets the number of threads.
"""
import os
from concurrent.futures import ThreadPoolExecutor

#: Below this many elements an elementwise pass is not worth splitting across threads.
PARALLEL_MIN_SIZE = 2**19
_pool = None          # (ThreadPoolExecutor, pid that made it, threads)


def num_threads():
    """How many threads the batch-parallel kernels use: ``$SCRATCHNN_NUM_THREADS``, else the
    cores this process may run on (at most 8)."""
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
    if _pool is None or _pool[1] != os.getpid() or _pool[2] != threads:
        _pool = (ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="scratchnn"),
                 os.getpid(), threads)
    bounds = [n * i // parts for i in range(parts + 1)]
    futures = [_pool[0].submit(fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        fn(bounds[0], bounds[1])
    finally:
        for future in futures:
            future.result()
