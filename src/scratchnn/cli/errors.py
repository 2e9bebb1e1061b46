"""User errors of the command line: printed as one line, without a traceback.

Exit status 2 is a mistake in what the user asked for (a bad option, a missing or wrong file, a
run folder that does not fit the data); exit status 1 is a failure that is not the user's (a
data set that cannot be fetched, a model whose numbers are not finite, a disk that is full).
"""
import difflib
import os
import re
import stat

from ..datasets.files import file_kind

#: Where ``scratchnn`` looks for local copies of the image data sets (see the README).
MIRRORS_VARIABLE = "SCRATCHNN_DATASET_MIRRORS"


class CLIError(Exception):
    """A mistake in what the user asked for. ``usage=True``: a bad argument (exit status 2,
    as argparse uses); otherwise a failure to do it (exit status 1)."""

    def __init__(self, message, usage=False):
        super().__init__(message)
        self.usage = usage


def did_you_mean(given, names):
    """``" (did you mean X?)"`` for the name of ``names`` closest to ``given``, or ``""``."""
    match = difflib.get_close_matches(str(given), list(names), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


def check_regular_file(path, what, hint):
    """Raise a usage ``CLIError`` unless ``path`` is a regular file (after following links).

    Checked with ``os.stat`` before the file is opened: opening a named pipe would wait for a
    writer forever, and reading ``/dev/zero`` never ends. ``what`` names the file ("model",
    "image"); ``hint`` says what to give instead.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise CLIError(f"cannot read {what} {path}: no such file; {hint}", usage=True) from None
    except OSError as e:
        raise CLIError(f"cannot read {what} {path}: {e.strerror or e}; {hint}", usage=True) from None
    if not stat.S_ISREG(mode):
        raise CLIError(f"cannot read {what} {path}: it is {file_kind(mode)}, not a file; {hint}", usage=True)


def check_out_folder(out, option="--out"):
    """A usage ``CLIError`` when the folder ``out`` (or one above it) exists as something that is
    not a folder: checked before any work, so a mistyped ``--out`` costs no training."""
    path = os.path.abspath(out)
    while True:
        if os.path.exists(path) and not os.path.isdir(path):
            what = "is a file" if path == os.path.abspath(out) else f"is inside {path}, which is a file"
            raise CLIError(f"{option} {out} {what}, not a folder: give a folder (it is created if needed)",
                           usage=True)
        parent = os.path.dirname(path)
        if parent == path:
            return
        path = parent


def dataset_unavailable(error):
    """The one line for a ``DatasetUnavailableError``: what could not be fetched and what to do
    (the sources tried were already reported one per line while they were tried)."""
    summary = getattr(error, "summary", None)
    if summary and MIRRORS_VARIABLE in summary:
        return summary                                    # the loader's own line says what to do
    head = str(error).splitlines()[0].strip() if str(error).strip() else "a data set could not be obtained"
    for tail in ("; tried:", "tried:", ":"):
        if head.endswith(tail):
            head = head[:-len(tail)].rstrip(" ;")
            break
    if len(str(error).splitlines()) == 1 and ("set " in head or "SCRATCHNN_" in head):
        return head                                       # the message already says what to do
    tried = len(getattr(error, "attempts", []) or [])
    sources = f" ({tried} source{'s' if tried != 1 else ''} tried)" if tried else ""
    file = re.search(r"(\S+/\S+\.gz)", head)
    copy = f"its files ({file.group(1)}, ...)" if file else "a copy of its .gz files"
    return (f"{head}{sources}: check the network connection, or set {MIRRORS_VARIABLE} to a folder "
            f"that holds {copy}")
