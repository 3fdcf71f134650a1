"""Parquet exports read by record batch."""

from __future__ import annotations

import datetime as dt

import pytest

from notecheck.models import NoteInput
from notecheck.readers import parquet as parquet_reader
from notecheck.readers import read_notes

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


def write_table(path, columns):
    pq.write_table(pa.table(columns), path)
    return path


def test_parquet_rows_across_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet_reader, "BATCH_ROWS", 2)
    path = write_table(
        tmp_path / "n.parquet",
        {
            "NoteID": [1, 2, None, 4, 5],
            "note_text": ["a", "b", "c", None, "e"],
            "cpt": [["64633"], [], None, ["64635", "64636"], None],
            "service_date": [dt.date(2024, 1, 2), None, None, None, None],
            "unused": ["x"] * 5,
        },
    )
    items = read(path, default_code="64999")
    assert items[0] == NoteInput("1", f"{path}:1", "a", "64633", "2024-01-02", default_codes="64999")
    assert items[1] == NoteInput("2", f"{path}:2", "b", None, None, default_codes="64999")
    assert items[2].id == f"{path}:3"
    assert (items[3].kind, items[3].id, items[3].source) == ("empty", "4", f"{path}:4")
    assert items[4].source == f"{path}:5"
    assert len(items) == 5


def test_parquet_explicit_and_missing_columns(tmp_path):
    path = write_table(tmp_path / "n.parquet", {"doc": ["d1"], "narr": ["text"]})
    [error] = read(path)
    assert error.kind == "missing_column" and "columns: doc, narr" in error.message
    [note] = read(path, id_col="doc", text_col="narr")
    assert (note.id, note.text) == ("d1", "text")


@pytest.mark.parametrize("content, kind", [(b"", "empty"), (b"PAR1 not really parquet", "unreadable")])
def test_bad_parquet_files(tmp_path, content, kind):
    path = tmp_path / "n.parquet"
    path.write_bytes(content)
    [error] = read(path)
    assert (error.kind, error.id) == (kind, str(path))
