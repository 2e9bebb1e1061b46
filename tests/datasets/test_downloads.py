"""``get_file`` (datasets/downloads.py): cache, hash checks, mirrors, extraction; offline only
(file:// origins and local mirror folders)."""
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from scratchnn.datasets import DatasetUnavailableError
from scratchnn.datasets.downloads import FileHashMismatchError, get_file

PAYLOAD = b"a small file to download\n" * 10
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


@pytest.fixture
def origin(tmp_path):
    source = tmp_path / "server" / "data.txt"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    return source


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHNN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SCRATCHNN_DATASET_MIRRORS", raising=False)
    return tmp_path / "home"


def test_downloads_once_into_the_cache(origin, cache):
    path = get_file(origin=origin.as_uri(), file_hash=SHA, verbose=False)
    assert Path(path) == cache / "datasets" / "data.txt" and Path(path).read_bytes() == PAYLOAD
    origin.unlink()                             # cached: the origin is not needed any more
    assert get_file(origin=origin.as_uri(), file_hash=SHA, verbose=False) == path
    assert not list((cache / "datasets").glob(".*.part"))


def test_fname_cache_dir_subdir_and_md5(origin, tmp_path, cache):
    path = get_file("copy.txt", origin.as_uri(), file_hash=MD5, cache_dir=tmp_path / "c", cache_subdir="sub",
                    verbose=False)
    assert Path(path) == tmp_path / "c" / "sub" / "copy.txt" and Path(path).read_bytes() == PAYLOAD
    path = get_file("old.txt", origin.as_uri(), md5_hash=MD5, verbose=False)   # Keras 2's argument
    assert Path(path).read_bytes() == PAYLOAD


def test_a_cached_file_with_another_hash_is_fetched_again(origin, cache, capsys):
    stale = cache / "datasets" / "data.txt"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an old, truncated copy")
    get_file(origin=origin.as_uri(), verbose=False)     # no hash given: the cached file is trusted
    assert stale.read_bytes() == b"an old, truncated copy"
    get_file(origin=origin.as_uri(), file_hash=SHA)
    assert stale.read_bytes() == PAYLOAD
    assert "does not match file_hash" in capsys.readouterr().err


def test_force_download_replaces_the_cached_file(origin, cache):
    path = Path(get_file(origin=origin.as_uri(), verbose=False))
    origin.write_bytes(b"new version")
    assert path.read_bytes() == PAYLOAD
    get_file(origin=origin.as_uri(), force_download=True, verbose=False)
    assert path.read_bytes() == b"new version"


def test_a_wrong_download_is_refused_and_leaves_nothing(origin, cache):
    with pytest.raises(FileHashMismatchError, match="does not match `file_hash`") as info:
        get_file(origin=origin.as_uri(), file_hash="0" * 64, verbose=False)
    assert isinstance(info.value, ValueError) and "sha256 hash " + SHA in str(info.value)
    assert not any((cache / "datasets").iterdir())


def test_mirror_folder_is_tried_before_the_origin(tmp_path, cache, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "datasets").mkdir(parents=True)
    (mirror / "datasets" / "data.txt").write_bytes(PAYLOAD)
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(mirror))
    path = get_file(origin="file:///nowhere/data.txt", file_hash=SHA, verbose=False)
    assert Path(path).read_bytes() == PAYLOAD


def test_a_bad_mirror_copy_falls_back_to_the_origin(origin, tmp_path, cache, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "datasets").mkdir(parents=True)
    (mirror / "datasets" / "data.txt").write_bytes(b"tampered")
    monkeypatch.setenv("SCRATCHNN_DATASET_MIRRORS", str(mirror))
    assert Path(get_file(origin=origin.as_uri(), file_hash=SHA, verbose=False)).read_bytes() == PAYLOAD


def test_unavailable_everywhere_is_one_error_listing_the_sources(cache):
    with pytest.raises(DatasetUnavailableError, match="cannot obtain data.txt") as info:
        get_file(origin="file:///nowhere/data.txt", verbose=False)
    assert not isinstance(info.value, ValueError) and "no file /nowhere/data.txt" in str(info.value)


@pytest.mark.parametrize("kwargs, words", [
    (dict(), "give `origin`"),
    (dict(origin="file:///x/data.txt", fname="a/b.txt"), "`fname` must be a file name"),
    (dict(origin="https://example.org/"), "cannot tell a file name"),
    (dict(origin="file:///x/data.txt", hash_algorithm="sha1"), "`hash_algorithm` must be"),
])
def test_bad_arguments(kwargs, words, cache):
    with pytest.raises(ValueError, match=words):
        get_file(verbose=False, **kwargs)
    assert not (cache / "datasets").exists()


def _tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_extract_a_tar_gz_skips_members_outside_the_folder(tmp_path, cache):
    archive = tmp_path / "pack.tar.gz"
    archive.write_bytes(_tar_gz({"pack/a.txt": b"A", "../escape.txt": b"bad", "/abs.txt": b"bad"}))
    folder = Path(get_file("pack.tar.gz", archive.as_uri(), extract=True, verbose=False))
    assert folder == cache / "datasets" / "pack_extracted"
    assert (folder / "pack" / "a.txt").read_bytes() == b"A"
    assert not (cache / "datasets" / "escape.txt").exists() and not Path("/abs.txt").exists()


def test_untar_without_a_dot_and_zip(tmp_path, cache):
    archive = tmp_path / "batches.tar.gz"
    archive.write_bytes(_tar_gz({"batches/x.bin": b"X"}))
    folder = Path(get_file("batches", archive.as_uri(), untar=True, verbose=False))
    assert folder == cache / "datasets" / "batches" and (folder / "batches" / "x.bin").read_bytes() == b"X"
    assert (cache / "datasets" / "batches_archive").is_file()
    zipped = tmp_path / "z.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("inside.txt", "hello")
    folder = Path(get_file(origin=zipped.as_uri(), extract=True, verbose=False))
    assert (folder / "inside.txt").read_text() == "hello"


def test_keras_namespace():
    from scratchnn import keras
    assert keras.utils.get_file is get_file


def test_an_unwritable_cache_folder_is_one_clear_error(origin, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DatasetUnavailableError, match="cannot create the cache folder .*writable"):
        get_file(origin=origin.as_uri(), cache_dir=blocker, verbose=False)
