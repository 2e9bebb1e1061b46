"""Running the fits: in this process (``n_jobs=1``), in spawned worker processes (``n_jobs > 1``),
or on an executor you give (``executor=``: any ``concurrent.futures.Executor``).

With ``n_jobs > 1`` the fits run in a pool of new Python processes (the ``spawn`` start method),
each with ``cpu_count // n_jobs`` BLAS threads so that parallel fits do not fight over cores. The
workers receive ``build_fn`` and the scorers by pickling, and import the main script again, so
``check_picklable`` checks both before anything runs (a lambda cannot be pickled; a script must
start the search under ``if __name__ == "__main__":``). Each fit is seeded the same way wherever
it runs, so the results equal those of ``n_jobs=1``.

With ``executor=`` the search builds no pool: each fit is submitted to yours as
``executor.submit(run_task, payload, task)``, so the data and ``build_fn`` travel with every fit
(pickled, unless the executor runs threads of this process). A Dask cluster runs the fits through
``Client(...).get_executor()``, unchanged; its workers need scratchnn and the module that defines
``build_fn`` (a module they can import, or a function Dask's cloudpickle sends by value). The
executor stays yours: the search never shuts it down, and cancels its fits that have not
started when one fails. ``n_jobs`` and ``executor`` exclude each other (``check_executor``).

The results equal those of ``n_jobs=1`` in every case: each fit is seeded from ``random_state``
and its fold wherever it runs. Threads of one process take turns (``fitting.FIT_LOCK``: the
random generator and the autograd switch are the process's), so a ``ThreadPoolExecutor`` gives
the same results but no speed-up; processes do.

The workers find their functions here, by this module's path (``_worker_init``, ``_worker_run``,
``run_task``).
"""
import ast
import contextlib
import multiprocessing
import os
import pickle
import sys
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from numbers import Integral

from .fitting import fit_and_score_safely


def collect(futures, results, bar, on_result=None):
    """Store each fit's result at its index (``futures``: future -> index) as the fits finish,
    advancing the progress bar and calling ``on_result(result, bar)`` for each."""
    for future in as_completed(futures):
        i = futures[future]
        results[i] = future.result()
        bar.update(1)
        if on_result:
            on_result(results[i], bar)


def check_n_jobs(n_jobs):
    """The number of processes for ``n_jobs``: None is 1, -1 every core, -2 every core but one, ..."""
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of processes, -1 (all cores) or None (1), "
                         f"got {n_jobs!r}")
    cores = os.cpu_count() or 1
    return int(n_jobs) if n_jobs > 0 else max(1, cores + 1 + int(n_jobs))


def check_executor(executor, n_jobs=None):
    """``executor`` checked: None, or a ``concurrent.futures.Executor`` given without ``n_jobs``
    (an ``n_jobs`` of None or 1 is no request for processes, so it goes with an executor)."""
    if executor is None:
        return None
    if not isinstance(executor, Executor):
        raise TypeError("executor must be a concurrent.futures.Executor (a ThreadPoolExecutor, a "
                        "ProcessPoolExecutor, a Dask client's get_executor(), ...), got "
                        f"{type(executor).__name__}: {executor!r}")
    if n_jobs not in (None, 1):
        raise ValueError(f"give n_jobs={n_jobs!r} (a pool of processes the search builds) or executor= "
                         f"(your {type(executor).__name__}), not both: the executor decides how many fits "
                         "run at once")
    return executor


def is_dask_executor(executor):
    """Whether ``executor`` is a Dask client's (``Client.get_executor()``): it pickles with cloudpickle."""
    return type(executor).__module__.split(".")[0] == "distributed"


def _where(n_jobs, executor):
    return f"n_jobs={n_jobs}" if executor is None else f"executor={type(executor).__name__}"


def check_picklable(n_jobs, executor=None, **objects):
    """With ``n_jobs > 1`` the worker processes receive build_fn (and the scorers) by pickling;
    with an executor, every fit's arguments are pickled (except by a ``ThreadPoolExecutor``, whose
    threads share this process: nothing to check). A Dask executor pickles with cloudpickle, which
    also takes lambdas and functions typed into a notebook; the others use ``pickle``."""
    if executor is None and n_jobs == 1 or isinstance(executor, ThreadPoolExecutor):
        return
    where = _where(n_jobs, executor)
    dumps, interactive = pickle.dumps, False
    if is_dask_executor(executor):
        import cloudpickle          # third-party, installed with dask
        dumps = cloudpickle.dumps
    else:
        main = sys.modules.get("__main__")
        interactive = main is not None and not hasattr(main, "__file__")
    for name, obj in objects.items():
        try:
            dumps(obj)
        except Exception as exc:
            raise TypeError(f"{where} runs the fits in separate processes, which receive {name} by "
                            f"pickling, and {name} cannot be pickled ({type(exc).__name__}: {exc}). A lambda "
                            "or a function defined inside another function cannot: define it with def at the "
                            "top level of a module, or run the search in this process (n_jobs=1, no "
                            "executor)") from None
        module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None)
        if interactive and callable(obj) and module == "__main__":
            raise TypeError(f"{where} runs the fits in separate processes, which must import {name}, "
                            "but it is defined in an interactive session (a notebook or the prompt): move "
                            "it into a .py file and import it from there, or run the search in this "
                            "process (n_jobs=1, no executor)")
    if executor is None or _spawns(executor):
        _check_main_guarded(where)


def _spawns(executor):
    """A ``ProcessPoolExecutor`` whose new processes import the main script again (spawn, forkserver)."""
    if not isinstance(executor, ProcessPoolExecutor):
        return False
    context = getattr(executor, "_mp_context", None) or multiprocessing.get_context()
    return context.get_start_method() in ("spawn", "forkserver")


def _is_main_guard(node):
    """``if __name__ == "__main__":`` (either operand order, either quote)."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    values = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and values == ["__main__"]


def _check_main_guarded(where):
    """Worker processes start a fresh Python that imports the main script again (``spawn``): a
    search started by the script's top-level code would start again in every worker, which
    Python refuses, and the workers die. Say so before anything runs, when the call comes from
    the main script's top level outside ``if __name__ == "__main__":``."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.exists(path):
        return                                   # a notebook, the prompt, python -c: nothing is re-run
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_globals is vars(main) and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None:
        return                                   # called from a function the script defines: safe
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return
    line = frame.f_lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_guard(node) and node.body:
            if node.body[0].lineno <= line <= (node.end_lineno or line):
                return
    raise RuntimeError(f"{where} runs the fits in new Python processes, and each one imports "
                       f"{os.path.basename(path)} again, which would start this search again there (line "
                       f"{line}). Put the code that starts it under `if __name__ == \"__main__\":` "
                       "(the functions it uses stay at the top level), or use n_jobs=1")


def run_task(payload, task):
    """One fit, as an executor runs it (``executor.submit(run_task, payload, task)``)."""
    return fit_and_score_safely(payload, task)


#: In a worker process: what every task shares (build_fn, router, data, scorers, options), sent once.
_WORKER_PAYLOAD = None


def _worker_init(payload):
    """Runs once in each worker process as it starts: keep the shared payload."""
    global _WORKER_PAYLOAD
    _WORKER_PAYLOAD = payload


def _worker_run(task):
    """Runs one task in a worker process."""
    return fit_and_score_safely(_WORKER_PAYLOAD, task)


@contextlib.contextmanager
def _blas_threads(threads):
    """Set the BLAS/OpenMP thread counts that spawned workers inherit; restore the parent's after."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    try:
        for n in names:
            os.environ[n] = str(threads)
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def _progress(total, desc, verbose):
    from tqdm.auto import tqdm     # third-party, imported on first use: tqdm.auto pulls in asyncio
    return tqdm(total=total, desc=desc, unit="fit", disable=not verbose, leave=True, file=sys.stderr,
                dynamic_ncols=True)


def _run_on(executor, payload, tasks, results, bar, on_result):
    """Submit every task to ``executor``; fill ``results`` as they complete. A failure cancels the
    fits not started yet (the executor itself stays open: it is the caller's)."""
    futures = {executor.submit(run_task, payload, task): i for i, task in enumerate(tasks)}
    try:
        collect(futures, results, bar, on_result)
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def run_fits(payload, tasks, n_jobs, verbose, desc, on_result=None, executor=None):
    """Run every task (in this process for ``n_jobs == 1``, in ``n_jobs`` spawned processes, or on
    ``executor``); returns the results in task order. ``on_result(result, bar)`` is called as each
    one arrives."""
    results = [None] * len(tasks)
    bar = _progress(len(tasks), desc, verbose)
    try:
        if executor is not None:
            _run_on(executor, payload, tasks, results, bar, on_result)
            return results
        if n_jobs == 1:
            for i, task in enumerate(tasks):
                results[i] = fit_and_score_safely(payload, task)
                bar.update(1)
                if on_result:
                    on_result(results[i], bar)
            return results
        workers = min(n_jobs, len(tasks))
        threads = max(1, (os.cpu_count() or 1) // workers)
        with _blas_threads(threads):
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_worker_init, initargs=(payload,))
            try:
                futures = {pool.submit(_worker_run, task): i for i, task in enumerate(tasks)}
                collect(futures, results, bar, on_result)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        return results
    finally:
        bar.close()
