"""Atomic file writes: the path holds either the complete old file or the complete new one.

The bytes go to a temporary file in the same directory (so the final rename never crosses a
file system), which is flushed and ``fsync``-ed before ``os.replace`` swaps it into place;
the directory is then ``fsync``-ed so the rename itself survives a power cut. If anything
fails (an exception, a full disk), the temporary file is removed and the old file is intact.
A process killed with SIGKILL between the two steps leaves, at worst, a stray
``.<name>.<pid>-*.tmp`` file beside an intact target; the next save to the same target
removes such files of processes that no longer run (on this machine), and never anything else.
"""
import contextlib
import os
import re
import tempfile


def _default_mode():
    """The permissions a plainly created file gets (0o666 minus the umask)."""
    try:                     # Linux reports the umask without changing it
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0)      # elsewhere the only way to read it is to set it (at import, once)...
    os.umask(umask)          # ...and put it back at once
    return 0o666 & ~umask


_FILE_MODE = _default_mode()


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """``with atomic_write(path) as f: f.write(...)``: ``path`` changes only when the block succeeds."""
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    remove_stray_temporaries(path)
    prefix = f".{os.path.basename(path)}.{os.getpid()}-"      # the pid tells a stray file from a running save
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)          # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def remove_stray_temporaries(path):
    """Remove the temporary files that interrupted saves to ``path`` left beside it: those named
    ``.<name>.<pid>-<random>.tmp`` whose process ``pid`` is gone. A save still running (in this
    process or another) keeps its file; other files are never touched. Returns the names removed."""
    path = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(path)
    pattern = re.compile(re.escape(f".{name}.") + r"(\d{1,10})-[a-z0-9_]+\.tmp")
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None or _process_exists(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):      # gone already, or not ours to remove: the save goes on
            os.unlink(os.path.join(directory, entry))
            removed.append(entry)
    return removed


def _process_exists(pid):
    """Whether process ``pid`` runs on this machine (True when that cannot be told)."""
    if os.name != "posix" or pid <= 0:       # os.kill(pid, 0) is no probe on Windows; 0 is a group
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True                          # another user's process (or a pid that cannot be asked)
    return True


def _fsync_directory(directory):
    if not hasattr(os, "O_DIRECTORY"):     # Windows: directories cannot be opened; rename is enough
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
