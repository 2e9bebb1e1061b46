"""Memory reuse across training steps: ask glibc's allocator to keep freed memory."""
import ctypes
import os
import sys

from ..backend import fast_kernels_enabled
from .threads import tune_threads

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
    changes the whole process's allocator, so it is done once: when the first ``fit``,
    ``evaluate`` or ``predict`` starts with fast kernels on (``prepare_process``), not at import.
    Returns whether it applied.
    """
    global allocator_tuned
    if allocator_tuned or os.environ.get("SCRATCHNN_TUNE_MALLOC", "1") == "0" \
            or not sys.platform.startswith("linux"):
        return allocator_tuned
    try:
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




def prepare_process():
    """What is set before each training or inference loop: the thread counts
    (``threads.tune_threads``, which looks at the machine at most every 30 s), and once per process
    with fast kernels on the allocator (``tune_allocator``)."""
    tune_threads()
    if fast_kernels_enabled() and not allocator_tuned:
        tune_allocator()
