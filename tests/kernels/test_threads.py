"""``scratchnn/kernels/threads.py``: ``parallel_batches`` covers every row once, re-raises a
worker's error, and reads ``$SCRATCHNN_NUM_THREADS``. (The conv kernels' batch-parallel passes
are tested in ``tests/functional/test_conv.py``.)
"""
import numpy as np
import pytest

from scratchnn import backend
from scratchnn.kernels import threads as threads_module


def test_parallel_batches_covers_every_row_once_and_reraises(monkeypatch):
    monkeypatch.setattr(threads_module, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "4")
    seen = np.zeros(10, int)

    def mark(lo, hi):
        seen[lo:hi] += 1
    threads_module.parallel_batches(mark, 10, 100)
    assert seen.tolist() == [1] * 10

    def fail(lo, hi):
        if lo > 0:
            raise ValueError(f"rows {lo}:{hi}")
    with pytest.raises(ValueError, match="rows"):
        threads_module.parallel_batches(fail, 10, 100)
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="SCRATCHNN_NUM_THREADS must be a positive integer, got 'many'"):
        threads_module.parallel_batches(mark, 10, 100)


# ================================================================= the thread count (tune_threads)
STAT = """cpu  300 0 100 600 0 0 0 0 0 0
cpu0 100 0 50 350 0 0 0 0 0 0
cpu1 200 0 50 250 0 0 0 0 0 0
intr 1 2 3
"""


@pytest.fixture
def fresh_state(monkeypatch):
    """A copy of the module's choice, so that a test's choice does not last; BLAS's threads put
    back as they were when the test ends."""
    try:
        import threadpoolctl
        blas_before = threadpoolctl.threadpool_info()
    except ImportError:
        threadpoolctl = None
    monkeypatch.delenv("SCRATCHNN_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads_module, "_state", dict(threads_module._state, threads=None, checked=None))
    previous = backend.set_num_threads(None)
    yield threads_module._state
    backend.set_num_threads(previous)
    if threadpoolctl is not None:
        for pool in blas_before:
            if pool["user_api"] == "blas":
                threadpoolctl.threadpool_limits(limits=pool["num_threads"], user_api="blas")


def test_one_thread_per_core_that_others_leave_free():
    assert threads_module.threads_for(2, 0.0) == 2
    assert threads_module.threads_for(2, 0.4) == 2           # less than half a core: still free
    assert threads_module.threads_for(2, 0.6) == 1
    assert threads_module.threads_for(2, 1.0) == 1
    assert threads_module.threads_for(2, 3.5) == 1           # never fewer than one
    assert threads_module.threads_for(4, 1.2) == 3
    assert threads_module.threads_for(32, 0.0) == threads_module.MAX_THREADS
    assert threads_module.threads_for(2, 1.0, fixed=4) == 4  # the user's number wins


def test_busy_ticks_of_this_process_cores_from_proc_stat():
    assert threads_module.cpu_jiffies(STAT, {0}) == (150, 500)
    assert threads_module.cpu_jiffies(STAT, {1}) == (250, 500)
    assert threads_module.cpu_jiffies(STAT, {0, 1}) == (400, 1000)   # the "cpu" total line is not counted
    # 2 cores, 60% of the ticks busy: 1.2 cores' worth, of which this process used 0.2 s per s
    before, after = (400, 1000), (400 + 120, 1000 + 200)
    assert threads_module.others_busy(before, after, own_seconds=0.02, elapsed=0.1, cores=2) == \
        pytest.approx(1.0)
    assert threads_module.others_busy(before, before, 0.0, 0.1, 2) == 0.0     # no tick elapsed


def test_tune_threads_uses_fewer_threads_beside_a_busy_core(monkeypatch, fresh_state):
    looks = []
    monkeypatch.setattr(threads_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads_module, "busy_cores", lambda: looks.append(1) or 1.0)
    assert threads_module.tune_threads() == 1
    assert threads_module.num_threads() == 1
    monkeypatch.setattr(threads_module, "busy_cores", lambda: looks.append(1) or 0.0)
    assert threads_module.tune_threads() == 1 and len(looks) == 1     # looked at most every 30 s
    assert threads_module.tune_threads(force=True) == 2 and len(looks) == 2
    assert threads_module.num_threads() == 2


def test_the_users_number_wins_and_is_checked(monkeypatch, fresh_state):
    monkeypatch.setattr(threads_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads_module, "busy_cores", lambda: 1.0)
    backend.set_num_threads(3)
    assert threads_module.tune_threads() == 3 and threads_module.num_threads() == 3
    monkeypatch.setenv("SCRATCHNN_NUM_THREADS", "2")                   # the environment wins
    assert threads_module.tune_threads() == 2
    monkeypatch.delenv("SCRATCHNN_NUM_THREADS")
    backend.set_num_threads(None)
    assert threads_module.tune_threads(force=True) == 1
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="threads must be a positive integer or None, got"):
            backend.set_num_threads(bad)
    assert backend.get_num_threads() is None                          # a refused value changes nothing


def test_blas_gets_the_same_count_through_threadpoolctl(monkeypatch, fresh_state):
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="the 'threads' extra sets BLAS's threads")
    blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    if not blas:
        pytest.skip("threadpoolctl sees no BLAS library in this NumPy")
    monkeypatch.setattr(threads_module, "usable_cores", lambda: 2)
    monkeypatch.setattr(threads_module, "busy_cores", lambda: 1.0)
    threads_module.tune_threads()
    assert {p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"} == {1}
    limit = threads_module._state["blas_max"]
    assert threads_module.blas_limit(limit + 5) == limit               # never above BLAS's own count


def test_without_threadpoolctl_only_the_kernel_threads_change(monkeypatch, fresh_state):
    import sys
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)            # import threadpoolctl fails
    monkeypatch.setattr(threads_module, "usable_cores", lambda: 4)
    monkeypatch.setattr(threads_module, "busy_cores", lambda: 1.0)
    assert threads_module.blas_limit(2) is None
    assert threads_module.tune_threads() == 3 and threads_module.num_threads() == 3


def test_busy_cores_reads_this_machine():
    busy = threads_module.busy_cores(0.01)
    assert busy is None or 0.0 <= busy <= threads_module.usable_cores()
