"""Atomic file writes: the path holds either the complete old file or the complete new one.

The bytes go to a temporary file in the same directory (so the final rename never crosses a
file system), which is flushed and ``fsync``-ed before ``os.replace`` swaps it into place;
the directory is then ``fsync``-ed so the rename itself survives a power cut. If anything
fails (an exception, a full disk), the temporary file is removed and the old file is intact.
A process killed with SIGKILL between the two steps leaves, at worst, a stray
``.<name>.*.tmp`` file beside an intact target.
"""
import contextlib
import os
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
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
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
