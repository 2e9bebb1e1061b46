"""Reading files that come from outside the program, safely: only regular files, and gzip
data only up to a known size.

``require_regular_file(path, what)`` refuses, without opening it, a path that is not a regular
file: a FIFO (opening one for reading waits for a writer, forever), a device such as
``/dev/zero`` (an endless stream: reading it "to the end" fills the memory), a socket or a
directory. A symbolic link is followed: a link to a regular file is accepted, a link to
anything else is refused, and the message names both the link and its target.
``open_regular_file`` does the same check on the file it has opened, so that the path cannot be
swapped between the check and the read.

``read_gzip(stream, max_size)`` decompresses in pieces of at most ``CHUNK`` bytes and stops as
soon as the output would pass ``max_size``: a small "gzip bomb" (a few MB that inflate to many
GB) costs at most ``max_size`` bytes of memory before it is refused.

``gzip_bound(size)`` is the most a gzip file of ``size`` decompressed bytes may reasonably
weigh: a compressor never needs more than a stored copy (5 bytes of block header per 64 KiB),
plus its header, name and trailer; ``size + size // 1024 + 64 KiB`` leaves room for all of them.
"""
import hashlib
import os
import stat
import zlib

CHUNK = 1 << 20          # bytes read or inflated at a time
GZIP_SLACK = 64 * 1024   # room for gzip headers, file names and block headers (see gzip_bound)


class NotARegularFileError(OSError):
    """A path names a FIFO, a device, a socket or a directory (perhaps through a symbolic link)
    where a regular file is expected. ``path`` is the path given, ``kind`` what it is."""

    def __init__(self, message, path=None, kind=None):
        super().__init__(message)
        self.path = path
        self.kind = kind


class SizeLimitError(ValueError):
    """Data is larger than the size it is known to have (a gzip bomb, an endless stream)."""


def file_kind(mode):
    """What a ``st_mode`` describes, in words: ``"a regular file"``, ``"a FIFO (named pipe)"``..."""
    for test, words in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"),
                        (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "not a regular file"


def _refusal(path, mode, what, hint):
    kind = file_kind(mode)
    described = kind
    if os.path.islink(path):
        described = f"a symbolic link to {os.path.realpath(path)}, which is {kind}"
    message = (f"{what} {os.fspath(path)} is {described}, not a regular file; refusing to read it"
               f" (it could block forever or never end).{' ' + hint if hint else ''}")
    return NotARegularFileError(message, path=os.fspath(path), kind=kind)


def require_regular_file(path, what="file", hint=""):
    """Return ``os.stat(path)`` if ``path`` is a regular file (symbolic links followed);
    raise ``NotARegularFileError`` naming ``what``, the path and what it is otherwise.

    The file is not opened, so a FIFO or a device is refused at once. A missing path raises
    ``FileNotFoundError`` as ``os.stat`` does. ``hint`` is appended to the message (what the
    user can do about it).
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _refusal(path, st.st_mode, what, hint)
    return st


def open_regular_file(path, what="file", hint=""):
    """Open ``path`` for binary reading if it is a regular file; ``NotARegularFileError`` if not.

    The path is opened without blocking (a FIFO with no writer would otherwise wait forever)
    and the check is made on the opened file itself (``fstat``), so the path cannot be replaced
    by a FIFO or a link to ``/dev/zero`` between the check and the read.
    """
    require_regular_file(path, what, hint)  # refuses most cases without opening anything
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refusal(path, mode, what, hint)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def gzip_bound(size):
    """The largest gzip file accepted for ``size`` decompressed bytes (see the module text)."""
    return size + size // 1024 + GZIP_SLACK


def copy_limited(read, write, limit, what="data"):
    """Copy ``read(CHUNK)`` pieces to ``write`` until ``read`` returns nothing; raise
    ``SizeLimitError`` as soon as more than ``limit`` bytes have come (at most ``limit`` bytes
    are written). Returns the number of bytes copied."""
    total = 0
    while chunk := read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise SizeLimitError(f"{what} is larger than {limit} bytes (the most it can be); refused.")
        write(chunk)
    return total


def read_gzip(stream, max_size, what="gzip data"):
    """``(data, sha256 hex digest)`` of the decompressed content of the gzip ``stream`` (a binary
    file), read in pieces; concatenated gzip members are joined and zero padding after a member
    is ignored, as ``gzip.decompress`` does.

    Raises ``SizeLimitError`` as soon as the output passes ``max_size`` bytes (memory stays
    below about ``max_size + CHUNK``), and ``ValueError`` for data that is not gzip or is
    truncated.
    """
    pieces, total, digest = [], 0, hashlib.sha256()
    inflater = zlib.decompressobj(wbits=31)
    data, at_end = b"", False
    while True:
        if not data and not at_end:
            data = stream.read(CHUNK)
            at_end = not data
        if inflater is None:  # between members: another may follow, or zero padding, or nothing
            data = data.lstrip(b"\0")
            if not data:
                if at_end:
                    break
                continue
            inflater = zlib.decompressobj(wbits=31)
        try:  # at most one byte past the limit: enough to know that it was passed
            out = inflater.decompress(data, min(CHUNK, max_size - total + 1))
        except zlib.error as exc:
            raise ValueError(f"{what} is not a valid gzip file ({exc}).") from None
        data = inflater.unconsumed_tail
        if out:
            total += len(out)
            if total > max_size:
                raise SizeLimitError(f"{what} inflates to more than {max_size} bytes, the size it is "
                                     "known to have; refused (a damaged file or a 'gzip bomb').")
            pieces.append(out)
            digest.update(out)
        if inflater.eof:  # what follows the member is all in unused_data (unconsumed_tail may repeat it)
            data, inflater = inflater.unused_data, None
        elif at_end and not data and not out:
            raise ValueError(f"{what} is not a valid gzip file (it ends in the middle of the data).")
    return b"".join(pieces), digest.hexdigest()
