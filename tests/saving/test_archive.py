"""The ``.scratchnn`` archive (``scratchnn/saving/archive.py``): a loader that trusts nothing.
Broken zips, missing, unexpected or duplicate members, compression, zip bombs, bad JSON,
metadata and safetensors bytes all raise ``ModelFormatError`` naming the faulty part, without
allocating what the file asks for; hypothesis fuzzes the file's and the members' bytes.
"""
import contextlib
import json
import os
import resource
import signal
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetensors.numpy import save as st_save

from scratchnn import saving
from scratchnn.models import load_model, model_from_json
from scratchnn.saving import ModelFormatError, NotARegularFileError, open_regular_file
from scratchnn.saving import archive as saving_archive

from tests.saving.helpers import (
    FUZZ,
    MEMBERS,
    REJECT_BUDGET_MIB,
    check_loads_or_format_error,
    expect_format_error,
    max_rss_mb,
    read_members,
    small_model,
    traced_peak,
    weights_equal,
    with_members,
    write_zip,
    zeros_kernel_file,
)


# ============================================================================ hostile files
@pytest.mark.parametrize("content", [b"", b"\x00", b"PK", b"PK\x05\x06" + b"\x00" * 17,
                                     b"This is a plain text file, not a model.\n" * 20,
                                     bytes(np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8))],
                         ids=["empty", "one-byte", "PK", "short-end-record", "text", "random"])
def test_not_a_zip(tmp_path, content):
    path = tmp_path / "bad.scratchnn"
    path.write_bytes(content)
    expect_format_error(path, "file")


def test_empty_zip_names_the_missing_member(tmp_path):
    path = write_zip(tmp_path / "e.scratchnn", {})
    expect_format_error(path, "metadata.json", "missing")


def test_directory_and_missing_path(tmp_path):
    with pytest.raises(IsADirectoryError):           # OSErrors that are not about the format stay OSErrors
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "does-not-exist.scratchnn")


def test_a_weights_file_is_not_a_model_file(tmp_path):
    path = small_model().save_weights(tmp_path / "w.safetensors")
    expect_format_error(path, "file", "zip")


def test_truncated_at_many_offsets(valid, tmp_path):
    raw = valid["raw"]
    n = len(raw)
    ends = {1, 2, 3, 4, 5, n - 1, n - 2, n - 3, n - 22, n - 23}
    offsets = sorted({int(n * k * 0.07) for k in range(15)} | ends)
    for cut in offsets:
        path = tmp_path / f"cut{cut}.scratchnn"
        path.write_bytes(raw[:cut])
        expect_format_error(path, "file")


def test_trailing_garbage_is_tolerated_or_rejected_cleanly(valid, tmp_path):
    path = tmp_path / "tail.scratchnn"
    path.write_bytes(valid["raw"] + b"garbage" * 10)
    try:
        model = load_model(path)
    except ModelFormatError:
        return
    assert weights_equal(model, valid["model"])


@pytest.mark.parametrize("member", ["metadata.json", "config.json", "model.safetensors"])
def test_missing_member(valid, tmp_path, member):
    members = {k: v for k, v in valid["members"].items() if k != member}
    expect_format_error(write_zip(tmp_path / "m.scratchnn", members), member, "missing")


@pytest.mark.parametrize("name,escape", [("notes.txt", False), ("config.json.bak", False), ("../evil", True),
                                         ("/abs", True), ("a/../../evil", True), ("\\evil", True),
                                         ("model/", False)])
def test_unexpected_member(valid, tmp_path, name, escape):
    members = dict(valid["members"])
    members[name] = b"surprise"
    err = expect_format_error(write_zip(tmp_path / "m.scratchnn", members), name,
                              "escapes" if escape else "unexpected")
    assert "escapes" not in str(err) or escape


def test_duplicate_member(valid, tmp_path):
    items = list(valid["members"].items()) + [("config.json", b"{}")]
    expect_format_error(write_zip(tmp_path / "m.scratchnn", items), "file", "twice")


def test_deflated_members_are_fine(valid, tmp_path):
    path = write_zip(tmp_path / "d.scratchnn", valid["members"], zipfile.ZIP_DEFLATED)
    assert weights_equal(load_model(path), valid["model"])


def test_unsupported_compression(valid, tmp_path):
    path = write_zip(tmp_path / "b.scratchnn", valid["members"], zipfile.ZIP_BZIP2)
    expect_format_error(path, "metadata.json", "compression")


def _patch_zip(raw, name, flag_bits=None, size=None, version=None, compress_size=None):
    """Rewrite the headers (local and central) of member ``name`` in the zip bytes ``raw``:
    general-purpose flags, uncompressed size, version needed to extract, compressed size."""
    buf = bytearray(raw)
    encoded = name.encode()
    for signature, name_len_at, flag_at, size_at, name_at, version_at in (
            (b"PK\x03\x04", 26, 6, 22, 30, 4), (b"PK\x01\x02", 28, 8, 24, 46, 6)):
        start = 0
        while (start := buf.find(signature, start)) >= 0:
            (length,) = struct.unpack_from("<H", buf, start + name_len_at)
            if bytes(buf[start + name_at:start + name_at + length]) == encoded:
                if flag_bits is not None:
                    struct.pack_into("<H", buf, start + flag_at, flag_bits)
                if size is not None:
                    struct.pack_into("<I", buf, start + size_at, size)
                if version is not None:
                    struct.pack_into("<H", buf, start + version_at, version)
                if compress_size is not None:
                    struct.pack_into("<I", buf, start + size_at - 4, compress_size)
            start += 4
    return bytes(buf)


def test_zip_version_too_new(valid, tmp_path):
    path = tmp_path / "v.scratchnn"
    path.write_bytes(_patch_zip(valid["raw"], "config.json", version=90))
    expect_format_error(path, "file")


def test_member_with_an_empty_name(valid, tmp_path):
    members = list(valid["members"].items()) + [("", b"nameless")]
    expect_format_error(write_zip(tmp_path / "m.scratchnn", members), "file", "unexpected")


def test_encrypted_member(valid, tmp_path):
    path = tmp_path / "enc.scratchnn"
    path.write_bytes(_patch_zip(valid["raw"], "config.json", flag_bits=0x1))
    expect_format_error(path, "config.json", "encrypted")


def test_declared_size_over_the_limit(valid, tmp_path, monkeypatch):
    monkeypatch.setattr(saving_archive, "MAX_JSON_BYTES", len(valid["members"]["metadata.json"]) + 10)
    expect_format_error(valid["path"], "config.json", "declares", "limit")
    monkeypatch.undo()
    monkeypatch.setattr(saving_archive, "MAX_TENSOR_FILE_BYTES", 100)
    expect_format_error(valid["path"], "model.safetensors", "limit")


def test_zip_bomb_is_refused_by_its_declared_size(valid, tmp_path):
    bomb = b'{"class_name": "Sequential", "config": {}' + b" " * (30 * 2**20) + b"}"
    members = dict(valid["members"], **{"config.json": bomb})
    path = write_zip(tmp_path / "bomb.scratchnn", members, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 2**20
    rss = max_rss_mb()
    expect_format_error(path, "config.json", "declares")
    assert max_rss_mb() - rss < 20


def test_zip_bomb_that_lies_about_its_size(valid, tmp_path):
    """Declares 200 bytes but inflates to 30 MB: only the declared bytes are read, then refused."""
    bomb = b'{"class_name": "Sequential", "config": {}' + b" " * (30 * 2**20) + b"}"
    members = dict(valid["members"], **{"config.json": bomb})
    raw = write_zip(tmp_path / "bomb.scratchnn", members, zipfile.ZIP_DEFLATED).read_bytes()
    path = tmp_path / "liar.scratchnn"
    path.write_bytes(_patch_zip(raw, "config.json", size=200))
    rss = max_rss_mb()
    expect_format_error(path, "config.json")
    assert max_rss_mb() - rss < 20


BOMB = 64 * 2**20      # what the bombs below inflate to (from a few hundred KB); REJECT_BUDGET_MIB is 4


@pytest.mark.parametrize("kind", ["valid-kernel", "zeros"])
def test_deflated_weights_that_inflate_more_than_10x_are_refused_before_inflating(tmp_path, kind):
    """A valid model whose 64 MiB kernel of zeros is deflated to a few hundred KB, and a member
    of 64 MiB of zero bytes: refused by their declared sizes, allocating next to nothing (the
    issue's files declared 1 and 4 GiB; the size does not change what is read: nothing)."""
    path = zeros_kernel_file(tmp_path / f"{kind}.scratchnn", 4096, 4096, body=None if kind == "valid-kernel"
                             else BOMB)
    assert path.stat().st_size < BOMB / 100
    rss = max_rss_mb()
    err = expect_format_error(path, "model.safetensors", "zip bomb", "inflate")
    assert str(saving_archive.MAX_TENSOR_RATIO) in str(err)
    assert max_rss_mb() - rss < 20


def test_a_large_valid_stored_kernel_loads(tmp_path):
    """The ratio rule leaves real files alone: the same kernel stored (as scratchnn writes it), or
    deflated when it compresses as float weights do (random values: about 1.1x), loads."""
    path = zeros_kernel_file(tmp_path / "z.scratchnn", 64, 64)
    members = read_members(path)
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(64, 64)).astype(np.float32), rng.normal(size=64).astype(np.float32)
    members["model.safetensors"] = st_save({"0000/big/kernel": kernel, "0001/big/bias": bias})
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        model = load_model(write_zip(tmp_path / f"m{compression}.scratchnn", members, compression))
        np.testing.assert_array_equal(model.layers[0].kernel.data, kernel)
        np.testing.assert_array_equal(model.layers[0].bias.data, bias)


def test_deflated_bomb_that_lies_about_its_compressed_size(tmp_path):
    """The bomb again, its compressed size raised so that the ratio looks like float weights':
    the archive is smaller than what its members claim to hold, so it is refused unread."""
    raw = zeros_kernel_file(tmp_path / "bomb.scratchnn", 4096, 4096).read_bytes()
    path = tmp_path / "liar.scratchnn"
    path.write_bytes(_patch_zip(raw, "model.safetensors", compress_size=BOMB // 5))
    expect_format_error(path, "file", "compressed bytes", str(len(raw)))


@pytest.mark.parametrize("member", ["config.json", "model.safetensors"])
def test_member_that_inflates_past_its_declared_size_is_read_no_further(valid, tmp_path, member):
    """Declares its true size (the ratio check passes) but inflates to 64 MiB: inflating stops
    one byte past the declared size, and the CRC (of the declared bytes) refuses it."""
    payload = valid["members"][member]
    members = dict(valid["members"], **{member: payload + b" " * BOMB})
    raw = write_zip(tmp_path / "bomb.scratchnn", members, zipfile.ZIP_DEFLATED).read_bytes()
    path = tmp_path / "liar.scratchnn"
    path.write_bytes(_patch_zip(raw, member, size=len(payload)))
    expect_format_error(path, member, "CRC")


# ============================================================================ not a regular file
@contextlib.contextmanager
def _fails_rather_than_hangs(seconds=20):
    """A regression that blocks (opening a FIFO waits for a writer) fails the test instead of
    hanging the suite: SIGALRM interrupts the blocked call."""
    def timeout(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _memory_capped(extra=2**30):
    """A regression that reads /dev/zero to its end (zipfile looks for the end of the archive
    with an unbounded read) raises MemoryError after ``extra`` bytes instead of exhausting the
    machine: the address space is capped at what it is now plus ``extra`` (Linux)."""
    try:
        with open("/proc/self/status") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (OSError, StopIteration, ValueError, AttributeError):
        yield
        return
    cap = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _loaders(path):
    """Every public reader of a file named by a user, each as a call of ``path``."""
    model = small_model()
    return {"load_model": lambda: load_model(path),
            "load_weights": lambda: model.load_weights(path),
            "saving.load_weights": lambda: saving.load_weights(model, path),
            "load_training_state": lambda: saving.load_training_state(model, path),
            "load_training_state(optimizer)": lambda: saving.load_training_state(
                model, model.save_weights(path.parent / "w.safetensors"), path)}


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(signal, "SIGALRM"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "symlink-to-fifo"])
def test_a_path_that_is_not_a_regular_file_is_refused_at_once(tmp_path, monkeypatch, kind):
    """A FIFO blocks a reader until a writer comes; /dev/zero never ends: neither is read, by any
    loader, and the error says what the path is. (The read limits are lowered so that a
    regression reads 16 MiB of /dev/zero and fails, rather than 4 GiB.)"""
    monkeypatch.setattr(saving_archive, "MAX_TENSOR_FILE_BYTES", 2**24)
    monkeypatch.setattr(saving_archive, "MAX_JSON_BYTES", 2**24)
    path = tmp_path / "model.scratchnn"
    if kind == "dev-zero":
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero")
        path.symlink_to("/dev/zero")
    else:
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        if kind == "fifo":
            path = fifo
        else:
            path.symlink_to(fifo)
    words = "character device" if kind == "dev-zero" else "FIFO"
    for name, load in _loaders(path).items():
        with _fails_rather_than_hangs(), _memory_capped(), traced_peak() as peak, \
                pytest.raises(NotARegularFileError) as info:
            load()
        assert isinstance(info.value, ModelFormatError) and info.value.part == "file", name
        assert words in str(info.value) and "not a regular file" in str(info.value), (name, str(info.value))
        assert peak.mib < REJECT_BUDGET_MIB, name


def test_open_regular_file_refuses_a_fifo_and_opens_a_regular_file(tmp_path):
    """The public check other readers reuse (the command line): a regular file, or a symlink to
    one, opens; a directory stays IsADirectoryError."""
    (tmp_path / "f.bin").write_bytes(b"abc")
    (tmp_path / "link").symlink_to(tmp_path / "f.bin")
    for name in ("f.bin", "link"):
        with open_regular_file(tmp_path / name) as f:
            assert f.read() == b"abc"
    with pytest.raises(IsADirectoryError):
        open_regular_file(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        with _fails_rather_than_hangs(), pytest.raises(NotARegularFileError, match="FIFO"):
            open_regular_file(tmp_path / "pipe")


def test_a_symlink_to_a_model_file_loads(valid, tmp_path):
    (tmp_path / "link.scratchnn").symlink_to(valid["path"])
    assert weights_equal(load_model(tmp_path / "link.scratchnn"), valid["model"])


def test_corrupt_member_data_fails_the_crc(valid, tmp_path):
    raw = bytearray(valid["raw"])
    at = raw.find(b"F32")                       # inside model.safetensors (stored, uncompressed)
    assert at > 0
    raw[at + 200] ^= 0xFF
    path = tmp_path / "crc.scratchnn"
    path.write_bytes(bytes(raw))
    expect_format_error(path, "model.safetensors")


@pytest.mark.parametrize("member", ["config.json", "metadata.json"])
@pytest.mark.parametrize("text", [b"{", b"", b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe{}",
                                  b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
                                  b"[" * 100_000 + b"]" * 100_000],
                         ids=["open", "empty", "words", "list", "string", "bad-utf8", "nan", "inf", "-inf",
                              "deep"])
def test_malformed_json(valid, tmp_path, member, text):
    path = with_members(valid, tmp_path, **{member.replace(".", "_"): text})
    expect_format_error(path, member, "JSON")


def test_nan_in_the_layer_config(valid, tmp_path):
    text = valid["members"]["config.json"].replace(b'"units": 5', b'"units": NaN')
    assert text != valid["members"]["config.json"]
    expect_format_error(with_members(valid, tmp_path, config_json=text), "config.json", "NaN")


@pytest.mark.parametrize("old,new", [(b'"loss_weights": 1.0', b'"loss_weights": 1e400'),
                                     (b'"loss_weights": 1.0', b'"loss_weights": -1e999'),
                                     (b'"units": 5', b'"units": ' + b"7" * 5000)],
                         ids=["1e400", "-1e999", "5000-digits"])
def test_overflowing_json_number_is_rejected(valid, tmp_path, old, new):
    """Not only the NaN/Infinity literals: numbers that overflow a float are refused too."""
    text = valid["members"]["config.json"].replace(old, new)
    assert text != valid["members"]["config.json"]
    expect_format_error(with_members(valid, tmp_path, config_json=text), "config.json")
    with pytest.raises(ValueError):
        model_from_json(json.dumps(valid["config"]).replace(old.decode(), new.decode()))


@pytest.mark.parametrize("meta,words", [
    ({"format": "scratchnn.model", "format_version": 2}, ("newer", "upgrade")),
    ({"format": "scratchnn.model", "format_version": 10**30}, ("upgrade",)),
    ({"format": "scratchnn.model", "format_version": 0}, ("positive",)),
    ({"format": "scratchnn.model", "format_version": "1"}, ("positive",)),
    ({"format": "scratchnn.model", "format_version": True}, ("positive",)),
    ({"format": "scratchnn.model", "format_version": 1.0}, ("positive",)),
    ({"format": "scratchnn.model"}, ("positive",)),
    ({"format": "keras", "format_version": 1}, ("format",)),
    ({}, ("format",)),
])
def test_bad_metadata(valid, tmp_path, meta, words):
    expect_format_error(with_members(valid, tmp_path, metadata_json=meta), "metadata.json", *words)


def test_bad_safetensors_bytes(valid, tmp_path):
    payloads = [b"", b"\x00" * 8, struct.pack("<Q", 2**63) + b"{}", struct.pack("<Q", 10) + b"not json!!",
                valid["members"]["model.safetensors"][:-3], struct.pack("<Q", 2) + b"[]"]
    for i, payload in enumerate(payloads):
        path = with_members(valid, tmp_path, name=f"s{i}.scratchnn", model_safetensors=payload)
        expect_format_error(path, "model.safetensors", "safetensors")


def _safetensors(header, body=b""):
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + body


@pytest.mark.parametrize("header,body", [
    ({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 4]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [2**20], "data_offsets": [0, 4]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 2**40]}}, b"\x00" * 4),
    ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\x00" * 4),
], ids=["bf16", "overflow", "short-data", "huge-offset", "negative"])
def test_hostile_safetensors_headers(valid, tmp_path, header, body):
    rss = max_rss_mb()
    for member in ("model.safetensors", "optimizer.safetensors"):
        path = with_members(valid, tmp_path, name=f"{member}.scratchnn",
                            **{member.replace(".", "_"): _safetensors(header, body)})
        expect_format_error(path, member, "safetensors")
    assert max_rss_mb() - rss < 50


def _mutate(payload, ops):
    buf = bytearray(payload)
    for kind, where, value in ops:
        if not buf:
            buf = bytearray([value])
            continue
        i = int(where * len(buf)) % len(buf)
        if kind == "flip":
            buf[i] ^= 1 << (value % 8)
        elif kind == "set":
            buf[i] = value
        elif kind == "insert":
            buf[i:i] = bytes([value]) * (1 + value % 4)
        elif kind == "delete":
            del buf[i:i + 1 + value % 8]
        elif kind == "truncate":
            del buf[i:]
        elif kind == "duplicate":
            buf[i:i] = buf[i:i + 1 + value]
    return bytes(buf)


OPS = st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "duplicate"]),
                         st.floats(0, 1, allow_nan=False, exclude_max=True), st.integers(0, 255)),
               min_size=1, max_size=5)


@settings(max_examples=1500, **FUZZ)
@given(ops=OPS)
def test_fuzz_file_bytes(fuzz_file, tmp_path, ops):
    path = tmp_path / "fuzz.scratchnn"
    path.write_bytes(_mutate(fuzz_file["raw"], ops))
    check_loads_or_format_error(path, tmp_path)


@settings(max_examples=1500, **FUZZ)
@given(member=st.sampled_from(MEMBERS), ops=OPS)
def test_fuzz_member_bytes(fuzz_file, tmp_path, member, ops):
    """Mutate one member and re-zip it (valid CRCs), to reach the JSON and safetensors parsers."""
    members = dict(fuzz_file["members"])
    members[member] = _mutate(members[member], ops)
    check_loads_or_format_error(write_zip(tmp_path / "fuzz.scratchnn", members), tmp_path)
