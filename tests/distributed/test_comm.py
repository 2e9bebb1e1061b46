"""``comm.py``: collectives with a deadline, a rank that dies or fails, the timeout setting."""
import math
import sys

import pytest

from scratchnn import distributed

from tests.distributed.helpers import WORKER, FakeComm, run_mpi


def test_a_rank_that_exits_mid_training_ends_the_others_after_the_timeout(tmp_path):
    """Rank 1 leaves cleanly at step 3 (Python exits, MPI is finalized): MPICH does not end rank 0,
    which would wait in the gradient average forever; past 3 s it ends the job, saying where."""
    result = run_mpi(2, [WORKER, tmp_path, "exit"], timeout=120, env={"SCRATCHNN_DISTRIBUTED_TIMEOUT": "3"})
    assert result.returncode != 0
    assert ("scratchnn.distributed: rank 0 of 2: no answer from the other ranks for 3 s in the gradient "
            "average of step 3") in result.stderr
    assert "training ended normally" not in result.stdout


def test_an_error_on_one_rank_ends_every_rank_at_once(tmp_path):
    """Inside ``abort_on_error``, rank 1's exception is printed and ends the job without waiting
    for the (here 600 s) timeout: the run ends well within the test's 120 s limit."""
    result = run_mpi(2, [WORKER, tmp_path, "raise"], timeout=120,
                     env={"SCRATCHNN_DISTRIBUTED_TIMEOUT": "600"})
    assert result.returncode != 0
    assert "mpi_worker (rank 1 of 2): error, ending all ranks:" in result.stderr
    assert "RuntimeError: boom at step 3" in result.stderr
    assert "training ended normally" not in result.stdout


class NeverDone:
    def Test(self):
        return False


def test_a_collective_that_never_completes_aborts_past_the_deadline(capsys):
    comm = FakeComm(rank=1, size=2)
    c = distributed.Collectives(comm, timeout=0.05)
    with pytest.raises(SystemExit):
        c.wait(NeverDone(), "the test's collective")
    assert comm.aborted == 1
    err = capsys.readouterr().err
    assert "rank 1 of 2: no answer from the other ranks for 0.05 s in the test's collective" in err


def test_one_rank_collectives_change_nothing_and_need_no_mpi(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    c = distributed.Collectives(FakeComm(), timeout=1)
    buffer = [1.0, 2.0]
    assert c.allreduce_sum(buffer, "x") is buffer and buffer == [1.0, 2.0] and c.calls == 0
    c.barrier("x")
    assert c.is_root


def test_the_timeout_comes_from_the_argument_or_the_environment(monkeypatch):
    monkeypatch.delenv(distributed.TIMEOUT_VARIABLE, raising=False)
    assert distributed.comm.check_timeout(None) == distributed.DEFAULT_TIMEOUT == 120
    assert distributed.comm.check_timeout(math.inf) == math.inf
    monkeypatch.setenv(distributed.TIMEOUT_VARIABLE, "7.5")
    assert distributed.comm.check_timeout(None) == 7.5 and distributed.comm.check_timeout(2) == 2
    monkeypatch.setenv(distributed.TIMEOUT_VARIABLE, "soon")
    with pytest.raises(ValueError, match=r"\$SCRATCHNN_DISTRIBUTED_TIMEOUT must be a number of seconds > 0, "
                                         r"got 'soon'"):
        distributed.comm.check_timeout(None)
    for bad in (0, -1, True, "5", float("nan")):
        with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
            distributed.comm.check_timeout(bad)


def test_the_spin_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(distributed.comm.SPIN_VARIABLE, raising=False)
    assert distributed.Collectives(FakeComm()).spin == distributed.comm.DEFAULT_SPIN == 0.001
    monkeypatch.setenv(distributed.comm.SPIN_VARIABLE, "0")
    assert distributed.Collectives(FakeComm()).spin == 0.0
    for bad in ("-1", "fast", "nan"):
        monkeypatch.setenv(distributed.comm.SPIN_VARIABLE, bad)
        with pytest.raises(ValueError, match=rf"\$SCRATCHNN_DISTRIBUTED_SPIN must be a number of seconds "
                                             rf">= 0, got '{bad}'"):
            distributed.Collectives(FakeComm())


def test_abort_on_error_prints_the_rank_and_ends_the_job(capsys):
    comm = FakeComm(rank=1, size=3)
    with pytest.raises(SystemExit):
        with distributed.abort_on_error(comm, prefix="job", one_line=(KeyError,), exit_code=lambda e: 2):
            raise KeyError("no such column")
    assert comm.aborted == 2
    err = capsys.readouterr().err
    assert err == "job (rank 1 of 3): error: 'no such column'\n"
    with pytest.raises(SystemExit):
        with distributed.abort_on_error(comm, prefix="job"):
            raise RuntimeError("deep")
    assert comm.aborted == 1
    err = capsys.readouterr().err
    assert "job (rank 1 of 3): error, ending all ranks:" in err
    assert "Traceback" in err and "RuntimeError: deep" in err
    alone = FakeComm()
    with pytest.raises(RuntimeError):
        with distributed.abort_on_error(alone):
            raise RuntimeError("alone")
    assert alone.aborted is None and capsys.readouterr().err == ""


@pytest.mark.parametrize("how", ["timeout", "error"])
def test_the_message_is_flushed_and_given_time_before_the_abort(monkeypatch, how):
    """``mpiexec`` forwards a rank's output through a pipe and MPI_Abort kills every rank at once:
    the message must be written out, and ``ABORT_GRACE`` seconds pass, before Abort is called
    (without the pause the message was lost in about one run in five)."""
    events = []

    class Stream:
        def write(self, text):
            events.append("write")

        def flush(self):
            events.append("flush")

    class Comm(FakeComm):
        def Abort(self, code=1):
            events.append("abort")

    monkeypatch.setattr(sys, "stderr", Stream())
    monkeypatch.setattr(distributed.comm.time, "sleep", lambda seconds: events.append(("sleep", seconds)))
    comm = Comm(rank=1, size=2)
    with pytest.raises(SystemExit):
        if how == "timeout":
            distributed.Collectives(comm, timeout=0.01).wait(NeverDone(), "the test's collective")
        else:
            with distributed.abort_on_error(comm, one_line=(ValueError,)):
                raise ValueError("bad")
    abort = events.index("abort")
    assert events[abort - 1] == ("sleep", distributed.comm.ABORT_GRACE) and distributed.comm.ABORT_GRACE > 0
    assert "write" in events[:abort] and events[abort - 2] == "flush"


def test_a_ctrl_c_during_the_pause_still_ends_the_job(monkeypatch, capsys):
    """A second Ctrl-C while the rank waits to abort must not leave the other ranks waiting."""
    def interrupted(seconds):
        raise KeyboardInterrupt
    monkeypatch.setattr(distributed.comm.time, "sleep", interrupted)
    comm = FakeComm(rank=0, size=2)
    with pytest.raises(SystemExit) as ended:
        with distributed.abort_on_error(comm):
            raise KeyboardInterrupt
    assert comm.aborted == 130 and ended.value.code == 130
