"""The ``.scratchnn`` archive (``scratchnn/saving/archive.py``): a loader that trusts nothing.
Broken zips, missing, unexpected or duplicate members, compression, zip bombs, bad JSON,
metadata and safetensors bytes all raise ``ModelFormatError`` naming the faulty part, without
allocating what the file asks for; hypothesis fuzzes the file's and the members' bytes.
"""
import json
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn.models import load_model, model_from_json
from scratchnn.saving import ModelFormatError
from scratchnn.saving import archive as saving_archive

from tests.saving.helpers import (
    FUZZ,
    MEMBERS,
    check_loads_or_format_error,
    expect_format_error,
    max_rss_mb,
    small_model,
    weights_equal,
    with_members,
    write_zip,
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


def _patch_zip(raw, name, flag_bits=None, size=None, version=None):
    """Rewrite the headers (local and central) of member ``name`` in the zip bytes ``raw``:
    general-purpose flags, uncompressed size, version needed to extract."""
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
