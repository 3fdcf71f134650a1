"""Exact-once accounting, input order, and reading lazily (never a whole export at once)."""

from __future__ import annotations

import gzip
import json

import pytest

import notecheck.readers as readers
from notecheck.models import NoteInput, ReadError
from notecheck.readers import read_notes

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def test_every_input_note_gives_exactly_one_item_in_order(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("note a")
    (folder / "b.txt").write_text("")  # empty
    (folder / "c.md").write_bytes(b"\x00bin")  # binary
    (tmp_path / "x.csv").write_text('id,text\n1,ok\n2,"multi\nline"\n3,a,b\n4,\n')
    (tmp_path / "y.jsonl").write_text('{"text": "ok"}\nnope\n\n{"text": "ok"}\n')
    (tmp_path / "z.tsv.gz").write_bytes(gzip.compress(b"text\none\ntwo\n"))
    pq.write_table(pa.table({"text": ["p1", "p2"]}), tmp_path / "w.parquet")
    paths = [folder, tmp_path / "x.csv", tmp_path / "missing.txt", tmp_path / "y.jsonl",
             tmp_path / "z.tsv.gz", tmp_path / "w.parquet"]
    items = list(read_notes(paths))
    expected_sources = (
        [str(folder / n) for n in ("a.txt", "b.txt", "c.md")]
        + [f"{tmp_path / 'x.csv'}:{r}" for r in (1, 2, 3, 4)]
        + [str(tmp_path / "missing.txt")]
        + [f"{tmp_path / 'y.jsonl'}:{r}" for r in (1, 2, 4)]
        + [f"{tmp_path / 'z.tsv.gz'}:{r}" for r in (1, 2)]
        + [f"{tmp_path / 'w.parquet'}:{r}" for r in (1, 2)]
    )
    assert [i.source for i in items] == expected_sources
    assert sum(isinstance(i, ReadError) for i in items) == 6


def test_nothing_is_opened_before_iteration(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(readers, "open_binary", lambda path: opened.append(path))
    notes = read_notes([tmp_path / "x.csv"])
    assert opened == []
    assert iter(notes) is notes


class CountingReader:
    """Wraps a binary file and counts the bytes handed out."""

    def __init__(self, handle):
        self.handle = handle
        self.bytes_read = 0

    def read(self, size=-1):
        data = self.handle.read(size)
        self.bytes_read += len(data)
        return data

    def read1(self, size=-1):
        data = self.handle.read1(size)
        self.bytes_read += len(data)
        return data

    def close(self):
        self.handle.close()

    @property
    def closed(self):
        return self.handle.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_large_export_is_streamed(tmp_path, monkeypatch, kind):
    rows = 200_000
    path = tmp_path / f"big.{kind}"
    with path.open("w") as out:
        if kind == "csv":
            out.write("note_id,note_text\n")
            out.writelines(f"{i},Procedure note number {i} for the streaming test\n" for i in range(rows))
            out.write('bad,"never closed\n')  # a malformed tail is never reached
        else:
            out.writelines(json.dumps({"id": i, "text": f"Procedure note number {i}"}) + "\n" for i in range(rows))
            out.write("{not json\n")
    size = path.stat().st_size
    handles = []
    real_open = readers.open_binary

    def counting_open(p):
        handles.append(CountingReader(real_open(p)))
        return handles[-1]

    monkeypatch.setattr(readers, "open_binary", counting_open)
    notes = read_notes([path])
    first = next(notes)
    assert isinstance(first, NoteInput) and first.id == "0"
    assert handles[0].bytes_read < 200_000 < size // 20  # a small head, not the file
    notes.close()
    assert handles[0].closed


def test_parquet_is_read_by_batches(tmp_path, monkeypatch):
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"text": [f"note {i}" for i in range(50_000)]}), path, row_group_size=5_000)
    batches = []
    real_iter = pq.ParquetFile.iter_batches

    def spying_iter(self, *args, **kwargs):
        for batch in real_iter(self, *args, **kwargs):
            batches.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spying_iter)
    notes = read_notes([path])
    assert next(notes).text == "note 0"
    assert batches == [readers.parquet.BATCH_ROWS]
    notes.close()
