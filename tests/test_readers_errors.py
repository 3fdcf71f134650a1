"""Each ReadError kind, one table row per way of getting it."""

from __future__ import annotations

import gzip
import os

import pytest

from notecheck.errors import InputError
from notecheck.models import ReadError
from notecheck.readers import read_notes, text


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


def put(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


# (case id, file name, content, options, expected kind, expected id: "file" or "row:N" or a literal)
CASES = [
    ("empty-txt", "n.txt", b"", {}, "empty", "file"),
    ("blank-txt", "n.txt", " \n\t\n", {}, "empty", "file"),
    ("empty-rtf", "n.rtf", r"{\rtf1 }", {}, "empty", "file"),
    ("empty-csv", "n.csv", b"", {}, "empty", "file"),
    ("blank-jsonl", "n.jsonl", "\n\n", {}, "empty", "file"),
    ("empty-field", "n.csv", "id,text\nA1,   \n", {}, "empty", "A1"),
    ("binary", "n.txt", b"\x00\x01\x02\x03", {}, "binary", "file"),
    ("encoding", "n.txt", b"\xef\xbb\xbf\xff\xff", {}, "encoding", "file"),
    ("too-large-txt", "n.txt", "x" * 11, {"max_note_bytes": 10}, "too_large", "file"),
    ("too-large-row", "n.csv", "id,text\nA1,ééééé é\n", {"max_note_bytes": 10}, "too_large", "A1"),
    ("malformed-csv", "n.csv", "id,text\nA1,a,b\n", {}, "malformed_row", "row:1"),
    ("malformed-jsonl", "n.jsonl", "not json\n", {}, "malformed_row", "row:1"),
    ("missing-column", "n.csv", "id,cpt\n1,2\n", {}, "missing_column", "file"),
    ("truncated", "n.jsonl.gz", gzip.compress(b'{"text": "a"}\n')[:12], {}, "truncated", "row:1"),
    ("unsupported-xlsx", "n.xlsx", b"PK\x03\x04", {}, "unsupported", "file"),
    ("empty-json", "n.json", "[]", {}, "empty", "file"),
    ("header-only-csv", "n.csv", "id,text\n", {}, "empty", "file"),
    ("blank-jsonl-long", "n.jsonl", "\n" * 70_000, {}, "empty", "file"),
    ("too-deep-jsonl", "n.jsonl", '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n", {}, "too_deep", "row:1"),
    ("too-deep-json", "n.json", "[" * 100_000 + "]" * 100_000, {}, "too_deep", "row:1"),
    ("surrogate-text-jsonl", "n.jsonl", '{"id": "a", "text": "pain \\ud800"}\n', {}, "encoding", "a"),
    ("surrogate-code-jsonl", "n.jsonl", '{"id": "a", "text": "pain", "cpt": "64640\\udfff"}\n', {}, "encoding", "a"),
    ("surrogate-id-jsonl", "n.jsonl", '{"id": "\\ud800", "text": "pain"}\n', {}, "encoding", "row:1"),
    ("unsupported-gz", "n.parquet.gz", b"", {}, "unsupported", "file"),
    ("nul-text-jsonl", "n.jsonl", '{"id": "a", "text": "pain \\u0000 here"}\n', {}, "encoding", "a"),
    ("nul-in-csv-row", "n.csv", b"id,text\nA1,pain \x00 here\n", {}, "encoding", "row:1"),
]


@pytest.mark.parametrize("name, content, options, kind, expected_id", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_kinds(tmp_path, name, content, options, kind, expected_id):
    path = put(tmp_path, name, content)
    [error] = read(path, **options)
    assert isinstance(error, ReadError)
    assert error.kind == kind
    if expected_id == "file":
        assert (error.id, error.source) == (str(path), str(path))
    elif expected_id.startswith("row:"):
        assert error.id == error.source == f"{path}:{expected_id[4:]}"
    else:
        assert error.id == expected_id
    assert str(path) in error.message


def test_not_found(tmp_path):
    missing = tmp_path / "missing.csv"
    [error] = read(missing)
    assert (error.kind, error.id, error.message) == ("not_found", str(missing), f"{missing}: no such file")


def test_symlink_loop_named_explicitly(tmp_path):
    os.symlink(tmp_path / "b.csv", tmp_path / "a.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    [error] = read(tmp_path / "a.csv")
    assert error.kind == "symlink_loop"


def test_unreadable_file_by_permissions(tmp_path):
    path = put(tmp_path, "n.txt", "note")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read mode-000 files (root)")
        [error] = read(path)
        assert (error.kind, error.id) == ("unreadable", str(path))
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("name", ["n.txt", "n.csv", "n.jsonl"])
def test_unreadable_file_when_open_is_refused(tmp_path, monkeypatch, name):
    """The same path as chmod 000, for runs as root: the open itself is refused."""
    import notecheck.readers as readers

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(readers, "open_binary", refuse)
    monkeypatch.setattr(text, "open_binary", refuse)
    path = put(tmp_path, name, "id,text\n1,a\n")
    [error] = read(path)
    assert (error.kind, error.id, error.message) == ("unreadable", str(path), f"{path}: permission denied")


def test_unreadable_folder_inside_a_walk(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "ok.txt").write_text("note")
    real_scandir = os.scandir

    def scandir(folder):
        if str(folder).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(folder))
        return real_scandir(folder)

    monkeypatch.setattr(text.os, "scandir", scandir)
    items = read(tmp_path)
    assert [(getattr(i, "kind", "note"), i.id) for i in items] == [
        ("unreadable", str(tmp_path / "locked")),
        ("note", "ok.txt"),
    ]


def test_bad_option_raises_input_error():
    with pytest.raises(InputError):
        read_notes([], max_note_bytes=0)


@pytest.mark.parametrize("name, content", [
    ("n.csv", b"id,text\n" + b"".join(b"r%d,left obturator nerve phenol %s\n" % (i, b"\x00" if i == 2 else b"") for i in range(5))),
    ("n.tsv", b"id\ttext\n" + b"".join(b"r%d\tleft obturator nerve phenol %s\n" % (i, b"\x00" if i == 2 else b"") for i in range(5))),
])
def test_a_stray_nul_costs_only_its_row(tmp_path, name, content):
    """One NUL byte in an export once made the whole file a single 'binary' record."""
    items = read(put(tmp_path, name, content))
    assert len(items) == 5
    errors = [i for i in items if isinstance(i, ReadError)]
    assert [(e.kind, e.id) for e in errors] == [("encoding", f"{tmp_path / name}:3")]
    assert "NUL" in errors[0].message and "obturator" not in errors[0].message


def test_an_export_of_nuls_is_still_binary(tmp_path):
    """UTF-16 without a byte order mark (half its bytes NUL) is not text to read row by row."""
    [error] = read(put(tmp_path, "n.csv", "id,text\nA1,pain\n".encode("utf-16-le")))
    assert error.kind == "binary"
