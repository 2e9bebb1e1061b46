"""``get_file``: Keras's ``keras.utils.get_file`` on scratchnn's download rules.

    path = get_file("shakespeare.txt", origin="https://example.org/shakespeare.txt",
                    file_hash="<sha256 of the file>")

The file is kept at ``<cache_dir>/<cache_subdir>/<fname>`` (``cache_dir`` defaults to scratchnn's
home, ``$SCRATCHNN_HOME`` or ``~/.cache/scratchnn``); the path is returned. Where it comes from:

1. the cache: a file already there is used as it is, or, when ``file_hash`` is given and the
   file's hash differs (an old or broken copy), it is fetched again, as Keras does;
2. each entry of ``$SCRATCHNN_DATASET_MIRRORS`` (``os.pathsep``-separated): a local folder (or
   ``file://`` URL) holding ``<cache_subdir>/<fname>`` (a copy of ``~/.keras`` is such a
   folder), or an ``http(s)://`` prefix under which that path is fetched;
3. ``origin`` (``http(s)://`` or ``file://``).

The bytes go to a temporary ``.part`` file beside the target, are hashed as they arrive, and
are renamed into place only when the hash matches ``file_hash`` (``hash_algorithm``: ``"auto"``
reads a 64-digit hash as SHA-256 and a 32-digit one as MD5, Keras's rule). A source whose copy
fails the check is passed over; when every source fails, one error says why for each:
``FileHashMismatchError`` (a ``ValueError``, as in Keras) if some source sent a wrong file,
``DatasetUnavailableError`` (an ``OSError``) otherwise. No download exceeds ``MAX_BYTES``.

``extract=True`` unpacks a tar (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``) or zip archive
into a folder beside it and returns that folder, with Keras 3's names (``fname="data.tar.gz"``
-> ``data_extracted/``; a ``fname`` without a dot -> the folder ``fname`` and the archive
``fname_archive``). Members that would land outside the folder (absolute paths, ``..``, links
leaving it, devices) are skipped.
"""
import hashlib
import os
import secrets
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from ._fetch import TIMEOUT, DatasetUnavailableError, home, mirror_entries
from .files import copy_limited, open_regular_file

__all__ = ["get_file", "FileHashMismatchError", "hash_file", "MAX_BYTES"]

#: The most bytes ``get_file`` accepts from one source (a server that never stops is cut off).
MAX_BYTES = 1 << 34


class FileHashMismatchError(DatasetUnavailableError, ValueError):
    """Every source that sent the file sent one whose hash is not ``file_hash``."""


def _hasher(file_hash, hash_algorithm):
    if hash_algorithm == "auto":
        return hashlib.sha256() if file_hash is not None and len(str(file_hash)) == 64 else hashlib.md5()
    if hash_algorithm in ("sha256", "md5"):
        return hashlib.new(hash_algorithm)
    raise ValueError(f"get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5', got {hash_algorithm!r}.")


def hash_file(path, algorithm="sha256", file_hash=None):
    """The hex digest of the file at ``path`` (``"sha256"``, ``"md5"``, or ``"auto"`` as above)."""
    hasher = _hasher(file_hash, algorithm)
    with open_regular_file(path, "the file to hash") as f:
        copy_limited(f.read, hasher.update, float("inf"), what=str(path))
    return hasher.hexdigest()


def _copy_local(path, out, hasher):
    try:
        f = open_regular_file(path, "the source file")
    except FileNotFoundError:
        raise OSError(f"no file {path}") from None
    with f:
        copy_limited(f.read, lambda chunk: (hasher.update(chunk), out.write(chunk)), MAX_BYTES,
                     what=str(path))


def _copy_url(url, out, hasher, verbose):
    request = urllib.request.Request(url, headers={"User-Agent": "scratchnn-get-file"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            copy_limited(lambda n: response.read(min(n, 1 << 16)),
                         lambda chunk: (hasher.update(chunk), out.write(chunk)), MAX_BYTES, what=url)
    except urllib.error.HTTPError as exc:
        raise OSError(f"HTTP error {exc.code} ({exc.reason}) for {url}") from None
    except urllib.error.URLError as exc:
        raise OSError(f"network error ({exc.reason}) for {url}") from None


def _copy(location, out, hasher, verbose):
    if location.lower().startswith(("http://", "https://")):
        _copy_url(location, out, hasher, verbose)
    elif location.lower().startswith("file://"):
        _copy_local(Path(urllib.request.url2pathname(urllib.parse.urlsplit(location).path)), out, hasher)
    else:
        _copy_local(Path(location).expanduser(), out, hasher)


def _locations(fname, subdir, origin):
    out = []
    for entry in mirror_entries():
        if entry.lower().startswith(("http://", "https://")):
            out.append(entry.rstrip("/") + f"/{subdir}/{fname}")
        else:
            root = entry
            if entry.lower().startswith("file://"):
                root = urllib.request.url2pathname(entry[len("file://"):])
            out.append(str(Path(root).expanduser() / subdir / fname))
    return out + [origin]


def _fetch_to(target, fname, subdir, origin, file_hash, hash_algorithm, verbose):
    locations = _locations(fname, subdir, origin)
    attempts, mismatched = [], False
    for location in locations:
        tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        hasher = _hasher(file_hash, hash_algorithm)
        try:
            with open(tmp, "xb") as out:
                _copy(location, out, hasher, verbose)
            digest = hasher.hexdigest()
            if file_hash is not None and digest != str(file_hash).lower():
                mismatched = True
                raise ValueError(f"{hasher.name} hash {digest}, expected {file_hash}")
            os.replace(tmp, target)
            if verbose:
                print(f"get_file: {target} from {location}", file=sys.stderr, flush=True)
            return
        except (OSError, ValueError) as exc:
            attempts.append((location, str(exc)))
        finally:
            if tmp.exists():
                tmp.unlink()
    kind = FileHashMismatchError if mismatched else DatasetUnavailableError
    note = " (incomplete or corrupted file: its hash does not match `file_hash`)" if mismatched else ""
    summary = (f"get_file: cannot obtain {target.name}{note}; offline, set $SCRATCHNN_DATASET_MIRRORS to a "
               f"folder holding {subdir}/{fname} (or give a file:// `origin`).")
    lines = "\n".join(f"  {i}. {where}: {why}" for i, (where, why) in enumerate(attempts, 1))
    raise kind(f"{summary}\nSources tried:\n{lines}", attempts, summary=summary)


def _inside(root, name):
    root = os.path.realpath(root)
    return os.path.commonpath([root, os.path.realpath(os.path.join(root, name))]) == root


def extract_archive(archive, folder):
    """Unpack the tar or zip file ``archive`` into ``folder``, skipping any member that would land
    outside it (or is a link, a device or a FIFO); True if it was an archive, False if not."""
    folder = Path(folder)
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if (m.isfile() or m.isdir()) and _inside(folder, m.name)]
            folder.mkdir(parents=True, exist_ok=True)
            data_filter = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(folder, members=members, **data_filter)
        return True
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            members = [m for m in z.infolist() if _inside(folder, m.filename)]
            folder.mkdir(parents=True, exist_ok=True)
            z.extractall(folder, members=members)
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None,
             force_download=False, verbose=True):
    """Download ``origin`` once into the cache and return its local path (see the module text).

    ``fname``: the local name (default: the last part of ``origin``'s path; no folders in it);
    ``file_hash``: the expected SHA-256 or MD5 (hex) of the file; ``cache_subdir``: the folder
    under ``cache_dir`` (an absolute path is used as it is); ``extract``/``untar``: unpack a tar
    or zip archive and return its folder; ``force_download``: fetch even if cached;
    ``md5_hash``: Keras 2's name for an MD5 ``file_hash``.
    """
    if origin is None:
        raise ValueError("get_file: give `origin`, the URL of the file to download (http(s):// or file://).")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    _hasher(file_hash, hash_algorithm)  # checks hash_algorithm before anything is written
    if archive_format not in ("auto", "tar", "zip", None):
        raise ValueError("get_file: `archive_format` must be 'auto', 'tar', 'zip' or None, "
                         f"got {archive_format!r}.")
    provided = fname is not None and str(fname) != ""
    fname = os.fspath(fname) if provided else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: cannot tell a file name from `origin` {origin!r}; give `fname`.")
    if os.sep in fname or (os.altsep and os.altsep in fname) or fname in (".", ".."):
        raise ValueError(f"get_file: `fname` must be a file name, not a path; got {fname!r} (use `cache_dir` "
                         "and `cache_subdir` for the folder).")
    datadir = Path(home() if cache_dir is None else cache_dir).expanduser() / cache_subdir
    extract = bool(extract or untar)
    folder = None
    if extract:
        if provided and "." in fname:
            target, folder = datadir / fname, datadir / f"{fname[:fname.find('.')]}_extracted"
        else:
            target, folder = datadir / f"{fname}_archive", datadir / fname
    else:
        target = datadir / fname
    download = force_download or not target.exists()
    if not download and file_hash is not None:
        download = hash_file(target, hash_algorithm, file_hash) != str(file_hash).lower()
        if download and verbose:
            print(f"get_file: the cached {target} does not match file_hash {file_hash} (incomplete or "
                  "outdated); fetching it again.", file=sys.stderr, flush=True)
    if download:
        try:
            datadir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatasetUnavailableError(f"get_file: cannot create the cache folder {datadir} ({exc}); "
                                          "give a writable `cache_dir` or set $SCRATCHNN_HOME.") from exc
        _fetch_to(target, fname, Path(cache_subdir).name, origin, file_hash, hash_algorithm, verbose)
    if extract:
        if archive_format is None or not extract_archive(target, folder):
            raise ValueError(f"get_file: {target} is not a tar or zip archive; cannot extract it.")
        return str(folder)
    return str(target)
