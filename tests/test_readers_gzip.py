"""Gzipped inputs, including truncated and corrupt ones."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from notecheck.models import NoteInput, ReadError
from notecheck.readers import read_notes


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


@pytest.mark.parametrize(
    "name, content",
    [
        ("n.csv.gz", "id,text\n1,hello\n"),
        ("n.tsv.gz", "id\ttext\n1\thello\n"),
        ("n.jsonl.gz", json.dumps({"id": "1", "text": "hello"}) + "\n"),
        ("n.TXT.GZ", "hello"),
    ],
)
def test_gzip_forms(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(gzip.compress(content.encode()))
    [note] = read(path)
    assert isinstance(note, NoteInput) and note.text == "hello"


def random_rows(count):
    rng = random.Random(7)
    words = ["pain", "nerve", "lumbar", "ablation", "left", "right", "needle", "fluoroscopy", "consent"]
    return "".join(f"{i},{' '.join(rng.choice(words) for _ in range(12))}\n" for i in range(1, count + 1))


def test_truncated_gzip_export_gives_rows_read_then_one_error_and_batch_goes_on(tmp_path):
    data = gzip.compress(("id,text\n" + random_rows(20000)).encode())
    broken = tmp_path / "a.csv.gz"
    broken.write_bytes(data[: len(data) // 2])
    after = tmp_path / "b.txt"
    after.write_text("next file")
    items = read(broken, after)
    *rows, error, last = items
    assert 0 < len(rows) < 20000
    assert all(isinstance(r, NoteInput) for r in rows)
    assert [r.source for r in rows] == [f"{broken}:{n}" for n in range(1, len(rows) + 1)]
    assert isinstance(error, ReadError)
    assert (error.kind, error.source) == ("truncated", f"{broken}:{len(rows) + 1}")
    assert last.text == "next file"


def test_truncated_small_gzip_keeps_rows_before_the_cut(tmp_path):
    data = gzip.compress(("id,text\n" + random_rows(50)).encode())
    path = tmp_path / "a.csv.gz"
    path.write_bytes(data[:-8])  # only the trailer (CRC, size) is missing
    items = read(path)
    assert len(items) == 51
    assert items[-1].kind == "truncated"


def test_truncated_gzip_text_note_is_one_error(tmp_path):
    path = tmp_path / "n.txt.gz"
    path.write_bytes(gzip.compress(b"a short note")[:-6])
    [error] = read(path)
    assert (error.kind, error.id) == ("truncated", str(path))


def test_corrupt_gzip_is_unreadable(tmp_path):
    path = tmp_path / "n.jsonl.gz"
    path.write_bytes(b"this is not gzip data")
    [error] = read(path)
    assert (error.kind, error.id) == ("unreadable", str(path))
