"""Encodings detected per file: UTF-8, UTF-8 BOM, UTF-16 BOM, Windows-1252, Latin-1; binary."""

from __future__ import annotations

import codecs

import pytest

from notecheck.models import NoteInput
from notecheck.readers import read_notes
from notecheck.readers.decode import SAMPLE_BYTES

TEXT = "Café “quoted” – naïve"


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


VARIANTS = [
    ("utf-8", lambda s: s.encode("utf-8"), TEXT),
    ("utf-8-bom", lambda s: codecs.BOM_UTF8 + s.encode("utf-8"), TEXT),
    ("utf-16-le-bom", lambda s: s.encode("utf-16"), TEXT),  # Python writes LE with BOM
    ("utf-16-be-bom", lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"), TEXT),
    ("windows-1252", lambda s: s.encode("cp1252"), TEXT),
    ("latin-1", lambda s: s.encode("latin-1"), "Café \x81 naïve"),  # 0x81 is undefined in cp1252
]


@pytest.mark.parametrize("name, encode, text", VARIANTS, ids=[v[0] for v in VARIANTS])
@pytest.mark.parametrize("kind", ["txt", "csv", "jsonl"])
def test_encoding_variants(tmp_path, name, encode, text, kind):
    path = tmp_path / f"n.{kind}"
    if kind == "txt":
        content = text
    elif kind == "csv":
        content = f'id,text\r\n1,"{text}"\r\n'
    else:
        escaped = text.replace("\\", "\\\\")
        content = '{"id": "1", "text": "' + escaped + '"}\n'
    path.write_bytes(encode(content))
    [note] = read(path)
    assert isinstance(note, NoteInput)
    assert note.text == text


@pytest.mark.parametrize(
    "content",
    [codecs.BOM_UTF8 + b"bad \xff\xfe bytes", codecs.BOM_UTF16_LE + b"a\x00b"],
    ids=["utf-8-bom-invalid", "utf-16-odd-length"],
)
def test_undecodable_text_file_is_an_encoding_error(tmp_path, content):
    path = tmp_path / "n.txt"
    path.write_bytes(content)
    [error] = read(path)
    assert (error.kind, error.id) == ("encoding", str(path))


def test_bad_bytes_late_in_a_utf8_export_fail_only_their_row(tmp_path):
    path = tmp_path / "n.csv"
    filler = "".join(f"{i},plain text {i}\n" for i in range(1, 8000))
    assert len(filler) > SAMPLE_BYTES  # the bad row lies past the sample used for detection
    path.write_bytes(b"id,text\n" + filler.encode() + b"8000,bad \xe9 byte\n8001,fine\n")
    items = read(path)
    assert len(items) == 8001
    assert (items[-2].kind, items[-2].id) == ("encoding", "8000")
    assert "column 'text'" in items[-2].message
    assert items[-1].text == "fine"


@pytest.mark.parametrize(
    "name, content",
    [
        ("nul.txt", b"text\x00with NUL"),
        ("nul.csv", b"id,text\n1,\x00\x00\x00\n"),
        ("ctl.jsonl", bytes(range(1, 9)) * 20),
        ("image.log", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ],
)
def test_binary_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    [error] = read(path)
    assert (error.kind, error.id) == ("binary", str(path))
