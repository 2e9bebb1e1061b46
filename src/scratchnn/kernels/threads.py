"""How many threads scratchnn uses, and threads for the memory-bound passes.

Two kinds of threads compute for scratchnn: BLAS's (OpenBLAS or MKL, inside NumPy's matrix
products) and this module's pool, which splits the big elementwise passes of the conv and pooling
kernels over the batch (NumPy runs one elementwise pass on one core and releases the GIL while it
does; each thread writes only its own rows of arrays allocated beforehand, so the result is the
same as one call, bit for bit).

The choice of the number, ``threads_for(cores, busy)``: one thread per core that no other
process is using, at least 1 and at most 8. Why: BLAS splits a product into equal parts, one per
thread, and waits for the slowest. When another program keeps a core busy (a student's laptop
is never idle: a browser, a second notebook), the thread that shares that core gets about half
of it, so the whole product waits for it (and OpenBLAS's idle threads spin, taking the busy
core's time from the other program as well): on this project's 2-core machine, with one core
busy, the wide MLP's plain NumPy loop took 31 s per epoch instead of about 2 with OpenBLAS's two
threads, where one thread costs at most about 2x (it gets one core instead of two).
So before a ``fit``, ``evaluate`` or ``predict`` (``prepare_process``, at most once every
``RECHECK_SECONDS``), ``tune_threads`` looks at how busy the cores this process may run on are
(``busy_cores``: /proc/stat over ``SAMPLE_SECONDS``, this process's own time subtracted; a
core counts as taken when others use at least half of it) and sets both BLAS's threads (with
threadpoolctl, ``pip install 'scratchnn[threads]'``; without it BLAS keeps its own count) and
this pool's. BLAS is never given more threads than it had at the first look (what
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` allowed).

Overrides: ``$SCRATCHNN_NUM_THREADS`` or ``scratchnn.backend.set_num_threads(n)`` fix the number
(``set_num_threads(None)``: automatic again); applied at the next ``fit``/``evaluate``/``predict``.
Where /proc/stat cannot be read (macOS, Windows), the count is the usable cores.
"""
import os
import time

from ..backend import get_num_threads

#: Below this many elements an elementwise pass is not worth splitting across threads.
PARALLEL_MIN_SIZE = 2**19
#: At most this many threads (more than 8 rarely pays for the sizes scratchnn trains).
MAX_THREADS = 8
#: How long ``busy_cores`` watches the cores; how often ``tune_threads`` looks again.
SAMPLE_SECONDS = 0.05           # /proc/stat counts in 10 ms ticks: 5 per core
RECHECK_SECONDS = 30.0

_pool = None          # (ThreadPoolExecutor, pid that made it, threads)
_state = {"threads": None, "checked": None, "blas_applied": None, "blas_max": None}


def usable_cores():
    """The cores this process may run on (its affinity), else the cores online."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                       # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def fixed_threads():
    """The number the user fixed (``$SCRATCHNN_NUM_THREADS``, then ``backend.set_num_threads``),
    or None for the automatic choice."""
    env = os.environ.get("SCRATCHNN_NUM_THREADS")
    if env:
        try:
            value = int(env)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"SCRATCHNN_NUM_THREADS must be a positive integer, got {env!r}")
        return value
    return get_num_threads()


def threads_for(cores, busy, fixed=None):
    """The thread count for ``cores`` usable cores of which other processes use ``busy`` cores'
    worth (a float): ``fixed`` when given, else the cores left free (a core counts as taken when
    others use at least half of it), at least 1 and at most ``MAX_THREADS``."""
    if fixed is not None:
        return max(1, int(fixed))
    taken = int(max(0.0, busy) + 0.5)
    return max(1, min(cores - taken, MAX_THREADS))


def cpu_jiffies(stat_text, cpus):
    """(busy, total) clock ticks summed over the ``cpus`` (a set of ints) from the text of
    /proc/stat: busy = user + nice + system + irq + softirq + steal, total adds idle and iowait."""
    busy = total = 0
    for line in stat_text.splitlines():
        name, _, rest = line.partition(" ")
        if not (name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus):
            continue
        ticks = [int(v) for v in rest.split()[:8]]
        ticks += [0] * (8 - len(ticks))
        user, nice, system, idle, iowait, irq, softirq, steal = ticks
        busy += user + nice + system + irq + softirq + steal
        total += user + nice + system + idle + iowait + irq + softirq + steal
    return busy, total


def others_busy(before, after, own_seconds, elapsed, cores):
    """Cores' worth used by other processes between two ``cpu_jiffies`` readings: the busy share
    of the ticks times ``cores``, minus this process's ``own_seconds`` of CPU over ``elapsed``."""
    total = after[1] - before[1]
    if total <= 0 or elapsed <= 0:
        return 0.0
    return max(0.0, (after[0] - before[0]) / total * cores - own_seconds / elapsed)


def busy_cores(seconds=SAMPLE_SECONDS):
    """How many of this process's cores other processes keep busy now (a float), from /proc/stat
    read twice ``seconds`` apart; None where it cannot be read."""
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:                       # pragma: no cover - macOS, Windows
        return None
    try:
        with open("/proc/stat") as f:
            before = cpu_jiffies(f.read(), cpus)
        own, start = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        with open("/proc/stat") as f:
            after = cpu_jiffies(f.read(), cpus)
    except (OSError, ValueError):
        return None
    return others_busy(before, after, time.process_time() - own, time.perf_counter() - start, len(cpus))


def blas_limit(threads):
    """Set BLAS's threads to ``threads`` (never above what it had at the first call) with
    threadpoolctl; returns the number set, or None without threadpoolctl or a BLAS it knows."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    if _state["blas_max"] is None:
        pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        if not pools:
            return None
        _state["blas_max"] = max(p["num_threads"] for p in pools)
    threads = max(1, min(threads, _state["blas_max"]))
    if threads != _state["blas_applied"]:
        threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
        _state["blas_applied"] = threads
    return threads


def tune_threads(force=False):
    """Choose the thread count now (see the module docstring) and give it to BLAS and the pool;
    looks at the machine at most once every ``RECHECK_SECONDS`` unless ``force``. Returns it."""
    fixed = fixed_threads()
    now = time.monotonic()
    if fixed is None and not force and _state["checked"] is not None \
            and now - _state["checked"] < RECHECK_SECONDS:
        return _state["threads"]
    busy = 0.0 if fixed is not None else busy_cores()
    threads = threads_for(usable_cores(), busy or 0.0, fixed)
    _state["threads"], _state["checked"] = threads, now
    blas_limit(threads)
    return threads


def num_threads():
    """How many threads the batch-parallel kernels use: the fixed number
    (``$SCRATCHNN_NUM_THREADS``, ``backend.set_num_threads``), else ``tune_threads``'s last
    choice, else the usable cores (at most ``MAX_THREADS``)."""
    fixed = fixed_threads()
    if fixed is not None:
        return fixed
    if _state["threads"] is not None:
        return _state["threads"]
    return max(1, min(usable_cores(), MAX_THREADS))


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
        if _pool is not None and _pool[1] == os.getpid():
            _pool[0].shutdown(wait=False)                    # the old count's threads end
        from concurrent.futures import ThreadPoolExecutor    # the standard library, when first needed
        _pool = (ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="scratchnn"),
                 os.getpid(), threads)
    bounds = [n * i // parts for i in range(parts + 1)]
    futures = [_pool[0].submit(fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    try:
        fn(bounds[0], bounds[1])
    finally:
        for future in futures:
            future.result()
