"""Helpers of the distributed tests: the real ``mpiexec`` on loopback, in a subprocess.

MPICH's wheel (``pip install 'scratchnn[mpi]'``) puts ``mpiexec`` beside the interpreter, in the
environment's ``bin``; elsewhere it is looked up on PATH. Tests that need it are skipped, with the
reason, where mpi4py or mpiexec is missing.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("mpi_worker.py")
REASON = "needs mpi4py and mpiexec: pip install 'scratchnn[mpi]'"


def mpiexec():
    """The path of ``mpiexec`` (the test is skipped without mpi4py or mpiexec)."""
    pytest.importorskip("mpi4py", reason=REASON)
    beside = Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip(REASON)
    return found


def run_mpi(ranks, args, timeout=240, cwd=None, env=None):
    """``mpiexec -n RANKS python ARGS...`` with this checkout's ``src`` first on the path, one BLAS
    thread per rank; the ``CompletedProcess`` (text output). A run past ``timeout`` seconds fails
    the test (``subprocess.TimeoutExpired``): a hang is a failure."""
    paths = [str(ROOT / "src"), str(ROOT)]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "OPENBLAS_NUM_THREADS": "1",
                   "OMP_NUM_THREADS": "1", **(env or {})}
    command = [mpiexec(), "-n", str(ranks), sys.executable, *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd or ROOT,
                          env=environment, stdin=subprocess.DEVNULL)


class FakeComm:
    """A communicator as ``shard`` and a world of one rank use it (``Get_rank``, ``Get_size``), and
    ``Abort``, which records its status: for the tests that need no MPI at all."""

    def __init__(self, rank=0, size=1):
        self.rank, self.size, self.aborted = rank, size, None

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size

    def Abort(self, code=1):
        self.aborted = code
