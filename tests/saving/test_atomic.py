"""Atomic writes (``scratchnn/saving/atomic.py``): a failed or killed save (SIGKILL in the middle
of a write, with ``_saving_worker.py``) leaves the old file.
"""
import collections
import os
import random
import select
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scratchnn.models import load_model
from scratchnn.saving import ModelFormatError
from scratchnn.saving import archive as saving_archive
from scratchnn.saving import atomic as saving_atomic

from tests.saving.helpers import small_model, weights_equal

WORKER = Path(__file__).resolve().parent / "_saving_worker.py"


# ============================================================================ atomic writes
def _only(directory, *names):
    assert sorted(p.name for p in directory.iterdir()) == sorted(names)


def test_failed_serialisation_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.scratchnn"
    small_model().save(path)
    old = path.read_bytes()

    def boom(tensors, kind):
        raise RuntimeError("serialisation failed (simulated)")

    monkeypatch.setattr(saving_archive, "tensor_bytes", boom)
    with pytest.raises(RuntimeError, match="simulated"):
        small_model(seed=1).save(path)
    assert path.read_bytes() == old
    _only(tmp_path, "m.scratchnn")


def test_failure_midway_through_the_zip_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.scratchnn"
    small_model().save(path)
    old = path.read_bytes()
    written = []

    class FailingZip(zipfile.ZipFile):
        def writestr(self, zinfo, payload, *args, **kwargs):
            name = getattr(zinfo, "filename", zinfo)
            if name == "model.safetensors":
                raise OSError(28, "No space left on device (simulated)")
            written.append(name)
            return super().writestr(zinfo, payload, *args, **kwargs)

    monkeypatch.setattr(saving_archive.zipfile, "ZipFile", FailingZip)
    with pytest.raises(OSError, match="simulated"):
        small_model(seed=1).save(path)
    assert written == ["metadata.json", "config.json"], "the failure should come midway"
    assert path.read_bytes() == old
    _only(tmp_path, "m.scratchnn")


@pytest.mark.parametrize("what", ["save", "save_weights"])
def test_failure_at_fsync_leaves_the_old_file(tmp_path, monkeypatch, what):
    path = tmp_path / "m.bin"
    model = small_model()
    getattr(model, what)(path)
    old = path.read_bytes()

    def fail(fd):
        raise OSError(5, "I/O error (simulated)")

    monkeypatch.setattr(saving_atomic.os, "fsync", fail)
    with pytest.raises(OSError, match="simulated"):
        getattr(small_model(seed=1), what)(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    _only(tmp_path, "m.bin")


def test_save_into_a_new_directory_and_file_mode(tmp_path):
    path = tmp_path / "a" / "b" / "m.scratchnn"
    small_model().save(path)
    assert load_model(path).built
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    _only(path.parent, "m.scratchnn")


@pytest.mark.parametrize("what", ["save", "save_weights"])
def test_overwrite_false_refuses_an_existing_file(tmp_path, what):
    path = tmp_path / "m.bin"
    model = small_model()
    getattr(model, what)(path)
    old = path.read_bytes()
    with pytest.raises(FileExistsError):
        getattr(small_model(seed=1), what)(path, overwrite=False)
    assert path.read_bytes() == old
    getattr(small_model(seed=1), what)(tmp_path / "new.bin", overwrite=False)   # a new path is fine
    getattr(small_model(seed=1), what)(path)                                   # overwrite=True replaces
    assert path.read_bytes() != old
    _only(tmp_path, "m.bin", "new.bin")


def test_atomic_write_directly(tmp_path):
    path = tmp_path / "f.txt"
    with saving_atomic.atomic_write(path) as f:
        f.write(b"old")
    with pytest.raises(KeyboardInterrupt):
        with saving_atomic.atomic_write(path) as f:
            f.write(b"new, half written")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    _only(tmp_path, "f.txt")


_KILLED_MID_SAVE = """
import os, signal, sys
from scratchnn.saving.atomic import atomic_write
with atomic_write(sys.argv[1]) as a, atomic_write(sys.argv[2]) as b:
    a.write(b"half a model"); b.write(b"half another")
    a.flush(); b.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_the_next_save_removes_the_stray_temporary_files_of_killed_saves_to_the_same_target(tmp_path):
    """A save killed mid-write leaves its temporary file; the next save to the same target removes
    it, but never a temporary file of another target, one of a save still running, or a user's file."""
    target, other = tmp_path / "m.scratchnn", tmp_path / "other.scratchnn"
    small_model().save(target)
    old = target.read_bytes()
    proc = subprocess.run([sys.executable, "-c", _KILLED_MID_SAVE, str(target), str(other)])
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    strays = {p.name for p in tmp_path.iterdir()} - {"m.scratchnn"}
    assert len(strays) == 2 and all(name.endswith(".tmp") for name in strays), strays
    mine = next(name for name in strays if name.startswith(".m.scratchnn."))
    users = [".m.scratchnn.tmp", "m.scratchnn.1-abc.tmp", ".m.scratchnn.backup", "notes.tmp"]
    for name in users:
        (tmp_path / name).write_bytes(b"keep me")
    with saving_atomic.atomic_write(target) as running:      # a save of this (live) process, in progress
        running.write(b"in progress")
        small_model(seed=1).save(target)                     # the next save
        left = {p.name for p in tmp_path.iterdir()}
        assert mine not in left
        assert strays - {mine} <= left                       # the other target's stray stays
        assert all(name in left for name in users)
    assert target.read_bytes() == b"in progress"             # the running save's file was not removed
    assert {p.name for p in tmp_path.iterdir()} == {"m.scratchnn", *users, *(strays - {mine})}


def test_remove_stray_temporaries_of_a_name_that_looks_like_a_pattern(tmp_path):
    """A target whose name holds regex characters matches itself only."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    for name in (f".m[1].scratchnn.{dead}-abcd1234.tmp", f".mx1y.scratchnn.{dead}-abcd1234.tmp"):
        (tmp_path / name).write_bytes(b"")
    assert saving_atomic.remove_stray_temporaries(tmp_path / "m[1].scratchnn") == \
        [f".m[1].scratchnn.{dead}-abcd1234.tmp"]
    assert [p.name for p in tmp_path.iterdir()] == [f".mx1y.scratchnn.{dead}-abcd1234.tmp"]


def _readline(stream, timeout):
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, f"the worker said nothing for {timeout} s"
    line = stream.readline()
    assert line, "the worker exited"
    return line.decode().strip()


def _wait_gone(pid, timeout=60.0):
    """Wait until ``pid`` is gone (at once after SIGKILL: the worker does not wait for its children);
    ``timeout`` only stops a hang, it is not a speed requirement."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} still exists {timeout} s after SIGKILL")


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_sigkill_during_saves_never_leaves_a_broken_file(tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(WORKER), str(tmp_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    try:
        assert _readline(proc.stdout, 60) == "refs"
        refs = {name: load_model(tmp_path / f"{name}.scratchnn") for name in "AB"}
        x = np.random.default_rng(0).normal(size=(6, 8, 8)).astype(np.float32)
        expected = {name: model.predict(x, verbose=0) for name, model in refs.items()}
        assert not np.array_equal(expected["A"], expected["B"])
        target = tmp_path / "model.scratchnn"
        rng = random.Random(20240611)
        seen = collections.Counter()
        strays = 0
        for kill in range(30):
            proc.stdin.write(f"go {target}\n".encode())
            proc.stdin.flush()
            word, pid = _readline(proc.stdout, 60).split()
            assert word == "ready"
            pid = int(pid)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)
            try:
                model = load_model(target)
            except ModelFormatError as e:
                raise AssertionError(f"kill {kill}: the file is broken after SIGKILL: {e}") from None
            out = model.predict(x, verbose=0)
            which = [name for name in "AB" if out.shape == expected[name].shape
                     and np.array_equal(out, expected[name])]
            assert len(which) == 1, f"kill {kill}: the file is neither A nor B"
            assert weights_equal(model, refs[which[0]])
            seen[which[0]] += 1
            # at worst a stray temporary file of the interrupted save is left beside the target
            for p in tmp_path.iterdir():
                if p.name not in ("A.scratchnn", "B.scratchnn", "model.scratchnn"):
                    assert p.name.startswith(".model.scratchnn.") and p.name.endswith(".tmp"), p.name
                    p.unlink()
                    strays += 1
        assert seen["A"] and seen["B"], f"the saves did not alternate: {seen}"
        assert strays > 0, "no kill landed in the middle of a write: the test proved nothing"
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
