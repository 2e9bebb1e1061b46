"""The MPI side of distributed training: mpi4py loaded on first use, and collectives with a deadline.

MPI (the Message Passing Interface) starts the same program ``size`` times, as processes
called ranks (``mpiexec -n 4 python train.py``); a *collective* is an operation that every rank
of a communicator calls, in the same order, with the same sizes:

* ``Allreduce`` (here with SUM): each rank gives a buffer ``b_r``; every rank gets ``sum_r b_r``;
* ``Bcast``: rank ``root``'s buffer is copied into every rank's buffer;
* ``Barrier``: no rank leaves before every rank has entered.

A plain (blocking) collective waits forever when one rank never arrives: a rank that raised an
exception and exited, that crashed, or that stopped one batch early. So every collective here is
the *non-blocking* form (``Iallreduce``, ``Ibcast``, ``Ibarrier``) polled with ``Test()`` until a
deadline (``timeout`` seconds, default 120, or ``$SCRATCHNN_DISTRIBUTED_TIMEOUT``); past it, the
rank prints which collective it was waiting in and ends the whole job with ``MPI_Abort`` (every
rank, and ``mpiexec``, exit with a non-zero status). ``timeout=math.inf`` waits with the blocking
``Wait()`` instead (no deadline, no polling).

How a rank waits: each ``Test()`` also moves the transfer on, so it first calls ``Test()`` in a
tight loop (for ``$SCRATCHNN_DISTRIBUTED_SPIN`` seconds, default 0.001: a 2 MB Allreduce between
two ranks of one machine takes about that), then sleeps between calls, for 10 us at first,
doubling up to 1 ms, leaving its core to the others. On a machine with more ranks than free cores,
spinning takes the core the slower rank needs (0 is best there); with a core per rank, a longer
spin (0.05) gives the lowest latency, as MPICH's blocking collectives spin.

mpi4py is a third-party package, installed with ``pip install 'scratchnn[mpi]'`` (mpi4py and
MPICH from its wheel, which gives ``mpiexec`` in the environment's ``bin``); it is imported only
when a collective is first needed, so ``import scratchnn`` never needs it.
"""
import contextlib
import math
import os
import sys
import time
import traceback

INSTALL = "pip install 'scratchnn[mpi]'"
#: Seconds a rank waits for the others in one collective before it ends the job.
DEFAULT_TIMEOUT = 120.0
TIMEOUT_VARIABLE = "SCRATCHNN_DISTRIBUTED_TIMEOUT"
#: Seconds a waiting rank calls Test() in a tight loop before it starts sleeping between calls.
DEFAULT_SPIN = 0.001
SPIN_VARIABLE = "SCRATCHNN_DISTRIBUTED_SPIN"
_FIRST_PAUSE, _LONGEST_PAUSE = 1e-5, 1e-3
#: Seconds a rank waits between printing why it ends the job and ``MPI_Abort``: ``mpiexec``
#: forwards each rank's output through a pipe, and the abort kills every rank at once; without
#: the pause the message could still be in the pipe and be lost (seen about one run in five).
ABORT_GRACE = 0.5


def mpi():
    """The ``mpi4py.MPI`` module (MPI is initialized on the first call); an ImportError naming
    the extra to install when mpi4py (or the MPI library it needs) is missing."""
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(f"scratchnn.distributed needs mpi4py and an MPI library: {INSTALL} "
                          f"(import failed: {err})") from None
    return MPI


def world():
    """``MPI.COMM_WORLD``: every rank that ``mpiexec`` started (a lone process is a world of 1)."""
    return mpi().COMM_WORLD


def rank(comm=None):
    """This process's rank in ``comm`` (default: the world): 0 .. size - 1."""
    return (world() if comm is None else comm).Get_rank()


def size(comm=None):
    """The number of ranks in ``comm`` (default: the world)."""
    return (world() if comm is None else comm).Get_size()


def _seconds(value, name, low):
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not seconds >= low:
        raise ValueError(f"{name} must be a number of seconds >= {low:g}, got {value!r}")
    return seconds


def check_timeout(timeout):
    """``timeout`` in seconds as a float (None: ``$SCRATCHNN_DISTRIBUTED_TIMEOUT`` or 120)."""
    name = "timeout"
    if timeout is None:
        text = os.environ.get(TIMEOUT_VARIABLE)
        if text is None:
            return DEFAULT_TIMEOUT
        name = f"${TIMEOUT_VARIABLE}"
        try:
            timeout = float(text)
        except ValueError:
            raise ValueError(f"{name} must be a number of seconds > 0, got {text!r}") from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"{name} must be a number of seconds > 0 (math.inf: no deadline), got {timeout!r}")
    return float(timeout)


class Collectives:
    """The collectives of one communicator, each with a deadline (see the module's docstring).

    ``comm``: an mpi4py communicator (default: the world); ``timeout``: seconds to wait for the
    other ranks in one collective. Each method takes ``what``, the words the timeout message
    uses for the operation ("the gradient average at step 12"). ``seconds`` adds up the time
    spent inside the collectives (waiting for the slowest rank included) and ``calls`` counts them.
    With one rank, every collective returns at once and changes nothing.
    """

    def __init__(self, comm=None, timeout=None):
        self.comm = world() if comm is None else comm
        self.timeout = check_timeout(timeout)
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.seconds, self.calls = 0.0, 0
        self.spin = _seconds(os.environ.get(SPIN_VARIABLE, DEFAULT_SPIN), f"${SPIN_VARIABLE}", low=0.0)

    @property
    def is_root(self):
        """Whether this is rank 0, the rank that prints and writes files."""
        return self.rank == 0

    def allreduce_sum(self, buffer, what):
        """Replace ``buffer`` (a contiguous array) by its sum over the ranks, in place."""
        if self.size > 1:
            self.wait(self.comm.Iallreduce(mpi().IN_PLACE, buffer, op=mpi().SUM), what)
        return buffer

    def allreduce_max(self, buffer, what):
        """Replace ``buffer`` by its elementwise maximum over the ranks (the minimum of ``x`` is
        ``-max(-x)``: one call gives both when the buffer holds ``[x, -x]``)."""
        if self.size > 1:
            self.wait(self.comm.Iallreduce(mpi().IN_PLACE, buffer, op=mpi().MAX), what)
        return buffer

    def bcast(self, buffer, what, root=0):
        """Copy rank ``root``'s ``buffer`` into every rank's ``buffer`` (same shape and dtype)."""
        if self.size > 1:
            self.wait(self.comm.Ibcast(buffer, root=root), what)
        return buffer

    def barrier(self, what):
        """Wait until every rank has called ``barrier``."""
        if self.size > 1:
            self.wait(self.comm.Ibarrier(), what)

    def wait(self, request, what):
        """Poll ``request`` until it completes; past the deadline, ``abort`` the job."""
        start = time.perf_counter()
        if math.isinf(self.timeout):
            request.Wait()
        else:
            deadline, spin_until, pause = start + self.timeout, start + self.spin, 0.0
            while not request.Test():
                now = time.perf_counter()
                if now < spin_until:
                    continue
                if now > deadline:
                    self.abort(f"no answer from the other ranks for {self.timeout:g} s in {what}: a rank "
                               f"has died, hangs, or runs a different number of steps. Ending all "
                               f"{self.size} ranks (timeout: {TIMEOUT_VARIABLE} or timeout=).")
                time.sleep(pause)
                pause = min(max(2 * pause, _FIRST_PAUSE), _LONGEST_PAUSE)
        self.seconds += time.perf_counter() - start
        self.calls += 1

    def abort(self, message, code=1):
        """Print ``message`` (with this rank's number) and end every rank of the job."""
        print(f"scratchnn.distributed: rank {self.rank} of {self.size}: {message}", file=sys.stderr)
        _abort(self.comm, code)


@contextlib.contextmanager
def abort_on_error(comm=None, prefix="scratchnn", one_line=(), exit_code=None):
    """Inside the block, an exception on any rank ends every rank at once (``MPI_Abort``)
    instead of leaving the others waiting for it until their timeout. It is printed first, with
    the rank: in one line for the exception types ``one_line`` (a user's mistake), with its
    traceback otherwise; ``exit_code(err)`` gives the status to end with (default 1, 130 for
    Ctrl-C), and ``SystemExit`` is raised until MPI ends the process. A world of one rank lets the
    exception through unchanged.

        with abort_on_error(prefix="train.py"):
            distributed.fit(model, x, y, epochs=5)
    """
    comm = world() if comm is None else comm
    try:
        yield
    except (Exception, KeyboardInterrupt) as err:
        if comm.Get_size() == 1:
            raise
        where = f"{prefix} (rank {comm.Get_rank()} of {comm.Get_size()})"
        if isinstance(err, tuple(one_line)):
            print(f"{where}: error: {err}", file=sys.stderr)
        else:
            print(f"{where}: error, ending all ranks:", file=sys.stderr)
            traceback.print_exc()
        code = 130 if isinstance(err, KeyboardInterrupt) else exit_code(err) if exit_code else 1
        _abort(comm, code, err)


def _abort(comm, code, cause=None):
    """End every rank of ``comm``'s job with status ``code``, once ``mpiexec`` has had
    ``ABORT_GRACE`` seconds to forward what this rank printed."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        time.sleep(ABORT_GRACE)
    except KeyboardInterrupt:            # a second Ctrl-C must not skip the abort (the others would wait)
        pass
    comm.Abort(code)
    # Abort ends the processes, this one too, but not always at once: nothing more runs here (no
    # second message) until it does.
    raise SystemExit(code) from cause
