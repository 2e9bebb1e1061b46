"""The one ``mpiexec -n 2`` run that most distributed tests read (made once, for the package)."""
import numpy as np
import pytest

from tests.distributed.helpers import WORKER, run_mpi


@pytest.fixture(scope="package")
def two_ranks(tmp_path_factory):
    """``OUT``: the files of ``mpi_worker.py`` run on 2 ranks with the scenarios equality, sync and
    stop; ``load(name)`` reads ``OUT/<name>.npz``."""
    out = tmp_path_factory.mktemp("mpi")
    result = run_mpi(2, [WORKER, out, "equality", "sync", "stop"],
                     env={"SCRATCHNN_DISTRIBUTED_TIMEOUT": "60"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    class Run:
        path = out
        stdout = result.stdout

        @staticmethod
        def load(name):
            with np.load(out / f"{name}.npz") as data:
                return {k: data[k] for k in data.files}
    return Run
