"""Running the fits: in this process (``n_jobs=1``) or in spawned worker processes.

With ``n_jobs > 1`` the fits run in a pool of new Python processes (the ``spawn`` start method),
each with ``cpu_count // n_jobs`` BLAS threads so that parallel fits do not fight over cores. The
workers receive ``build_fn`` and the scorers by pickling, and import the main script again, so
``check_picklable`` checks both before anything runs (a lambda cannot be pickled; a script must
start the search under ``if __name__ == "__main__":``). Each fit is seeded the same way wherever
it runs, so the results equal those of ``n_jobs=1``.

The workers find their functions here, by this module's path (``_worker_init``, ``_worker_run``).
"""
import ast
import contextlib
import multiprocessing
import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from numbers import Integral

from .fitting import fit_and_score_safely


def check_n_jobs(n_jobs):
    """The number of processes for ``n_jobs``: None is 1, -1 every core, -2 every core but one, ..."""
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of processes, -1 (all cores) or None (1), "
                         f"got {n_jobs!r}")
    cores = os.cpu_count() or 1
    return int(n_jobs) if n_jobs > 0 else max(1, cores + 1 + int(n_jobs))


def check_picklable(n_jobs, **objects):
    """With ``n_jobs > 1`` the worker processes receive build_fn (and the scorers) by pickling."""
    main = sys.modules.get("__main__")
    interactive = main is not None and not hasattr(main, "__file__")
    for name, obj in objects.items():
        try:
            pickle.dumps(obj)
        except Exception as exc:
            raise TypeError(f"n_jobs={n_jobs} runs the fits in separate processes, which receive {name} by "
                            f"pickling, and {name} cannot be pickled ({type(exc).__name__}: {exc}). A lambda "
                            "or a function defined inside another function cannot: define it with def at the "
                            "top level of a module, or use n_jobs=1") from None
        module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", None)
        if interactive and callable(obj) and module == "__main__":
            raise TypeError(f"n_jobs={n_jobs} runs the fits in separate processes, which must import {name}, "
                            "but it is defined in an interactive session (a notebook or the prompt): move "
                            "it into a .py file and import it from there, or use n_jobs=1")
    _check_main_guarded(n_jobs)


def _is_main_guard(node):
    """``if __name__ == "__main__":`` (either operand order, either quote)."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    values = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and values == ["__main__"]


def _check_main_guarded(n_jobs):
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
    raise RuntimeError(f"n_jobs={n_jobs} runs the fits in new Python processes, and each one imports "
                       f"{os.path.basename(path)} again, which would start this search again there (line "
                       f"{line}). Put the code that starts it under `if __name__ == \"__main__\":` "
                       "(the functions it uses stay at the top level), or use n_jobs=1")


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


def run_fits(payload, tasks, n_jobs, verbose, desc, on_result=None):
    """Run every task (in this process for ``n_jobs == 1``, else in ``n_jobs`` spawned processes);
    returns the results in task order. ``on_result(result, bar)`` is called as each one arrives."""
    results = [None] * len(tasks)
    bar = _progress(len(tasks), desc, verbose)
    try:
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
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    bar.update(1)
                    if on_result:
                        on_result(results[i], bar)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        return results
    finally:
        bar.close()
