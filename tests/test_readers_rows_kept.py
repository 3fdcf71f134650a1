"""No row is lost or made up: a bad row, field, line or row group costs only itself (issue 21), CSV
delimiters are sniffed, and the input forms of issue 15 (UTF-16 tab exports, stdin text, JSON lists,
folders with nothing to read)."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import sys

import pytest

from notecheck.errors import InputError
from notecheck.models import NoteInput, ReadError
from notecheck.readers import delimited, read_notes

NOTE = "Left obturator nerve phenol neurolysis, 5 mL."


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


def summary(items):
    return [item.id if isinstance(item, NoteInput) else f"{item.kind}@{item.source.rsplit(':', 1)[-1]}" for item in items]


def write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# ------------------------------------------------------------------ CSV quoting


@pytest.mark.parametrize(
    "body, expected",
    [
        # an unescaped quote inside a quoted multi-line field: one bad row, the next row kept, no row made of note text
        ('1,"Left knee.\nHe said "ouch, ouch" loudly.\nDone."\n2,ok\n', ["malformed_row@1", "2"]),
        ('1,"Left knee, he said ""ouch"" twice."\n2,ok\n', ["1", "2"]),  # doubled quotes are fine
        ('1,"bad"quote\n2,ok\n3,fine\n', ["malformed_row@1", "2", "3"]),  # a quote never closed
        ('1,5" needle\n2,ok\n', ["1", "2"]),  # a quote inside a bare field is text
        ('1,"never closed\n2,ok\n3,fine\n', ["malformed_row@1", "2", "3"]),
    ],
    ids=["unescaped-inner-quote", "doubled-quotes", "junk-after-quote", "quote-in-bare-field", "unclosed-quote"],
)
def test_readers_rows_kept_csv_quote_errors_cost_one_row(tmp_path, body, expected):
    items = read(write(tmp_path / "x.csv", "id,text\n" + body))
    assert summary(items) == expected
    for item in items:  # no id or source is a piece of note text
        assert "ouch" not in item.id and "Done" not in item.id and "Done" not in item.source


@pytest.fixture
def small_limit(monkeypatch):
    """Rows (and the csv module's own field limit) limited to 1,000 characters."""
    monkeypatch.setattr(delimited, "MIN_FIELD_LIMIT", 1000)
    before = csv.field_size_limit(1000)
    yield
    csv.field_size_limit(before)


def test_readers_rows_kept_csv_field_over_the_limit_costs_one_row(tmp_path, small_limit):
    path = write(tmp_path / "x.csv", f'id,text\n1,ok\n2,"{"x" * 5000}\n{"x" * 5000}"\n3,next\n')
    assert summary(read(path, max_note_bytes=100)) == ["1", "too_large@2", "3"]


@pytest.mark.parametrize("gz", [False, True])
def test_readers_rows_kept_csv_line_of_many_megabytes_is_not_held_whole(tmp_path, monkeypatch, gz):
    monkeypatch.setattr(delimited, "MIN_FIELD_LIMIT", 1000)
    seen = []
    real = delimited._Rows._piece

    def piece(self):
        line = real(self)
        seen.append(len(line))
        return line

    monkeypatch.setattr(delimited._Rows, "_piece", piece)
    body = "id,text\n1," + "y" * 5_000_000 + "\n2,ok\n"
    path = tmp_path / ("x.csv.gz" if gz else "x.csv")
    write(path, gzip.compress(body.encode()) if gz else body)
    assert summary(read(path, max_note_bytes=100)) == ["too_large@1", "2"]
    assert max(seen) <= 4 * 100 + 1000


def test_readers_rows_kept_csv_unclosed_quotes_read_each_line_at_most_twice(tmp_path, monkeypatch):
    """A quote never closed makes the reader read the lines after it again, once: a file of nothing but
    unclosed quotes stays linear (it was one rescan per line)."""
    pieces = []
    real = delimited._Rows._piece

    def piece(self):
        line = real(self)
        pieces.append(line)
        return line

    monkeypatch.setattr(delimited._Rows, "_piece", piece)
    lines = 2000
    path = write(tmp_path / "x.csv", "id,text\n" + "".join(f'{i},"x\n' for i in range(lines)) + "z,fine\n")
    items = read(path)
    assert len([p for p in pieces if p]) <= 2 * (lines + 2)
    assert all(isinstance(i, ReadError) and i.kind == "malformed_row" for i in items[:-1])


# ------------------------------------------------------------------ delimiters


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_readers_rows_kept_csv_delimiter_is_sniffed(tmp_path, delimiter):
    text = "Left obturator nerve phenol neurolysis; 5 mL"
    quoted = f'"{text}"' if delimiter == ";" else text
    path = write(tmp_path / "x.csv", f"note_id{delimiter}note_text{delimiter}cpt\nA{delimiter}{quoted}{delimiter}64640\n")
    [note] = read(path)
    assert (note.id, note.text, note.codes) == ("A", text, "64640")


def test_readers_rows_kept_csv_delimiter_option_wins(tmp_path):
    path = write(tmp_path / "x.csv", "id;x|text\n1;y|b\n")  # a tie: sniffing picks ;, and finds no text column
    assert read(path)[0].kind == "missing_column"
    [note] = read(path, delimiter="|")
    assert note.text == "b"


def test_readers_rows_kept_bad_delimiter_option_is_an_input_error():
    with pytest.raises(InputError):
        read_notes([], delimiter=";;")


# ------------------------------------------------------------------ JSONL, JSON, Parquet


def test_readers_rows_kept_jsonl_columns_per_object(tmp_path):
    path = write(tmp_path / "x.jsonl", json.dumps({"id": "1", "body_x": "a"}) + "\n" + json.dumps({"note_id": "2", "note_text": NOTE}) + "\n")
    assert summary(read(path)) == ["missing_column@1", "2"]


def test_readers_rows_kept_json_list_and_own_output(tmp_path):
    path = write(tmp_path / "x.json", json.dumps([{"id": "1", "text": NOTE}, 3, {"id": "2", "text": NOTE, "cpt": "64640"}]))
    assert summary(read(path)) == ["1", "malformed_row@2", "2"]
    one = write(tmp_path / "one.json", json.dumps({"id": "9", "text": NOTE}))
    assert summary(read(one)) == ["9"]


def test_readers_rows_kept_own_json_output_is_read_and_explained(tmp_path, checker):
    from notecheck.models import to_record

    output = write(tmp_path / "out.json", json.dumps([to_record(checker.check(NOTE, codes="64640-LT"))]))
    [error] = read(output)
    assert error.kind == "missing_column" and "a notecheck result, which holds no note text" in error.message


def test_readers_rows_kept_parquet_corrupt_row_group_costs_only_its_rows(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "x.parquet"
    table = pa.table({"id": [str(i) for i in range(6)], "text": [f"{NOTE} {i}" for i in range(6)]})
    pq.write_table(table, path, row_group_size=2, compression="none")
    meta = pq.ParquetFile(path).metadata
    column = meta.row_group(1).column(1)
    data = bytearray(path.read_bytes())
    start = column.dictionary_page_offset if column.has_dictionary_page else column.data_page_offset
    data[start:start + column.total_compressed_size] = b"\xff" * column.total_compressed_size
    path.write_bytes(bytes(data))
    assert summary(read(path)) == ["0", "1", "unreadable@3", "unreadable@4", "4", "5"]


def test_readers_rows_kept_zero_row_parquet_names_the_file(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), path)
    [error] = read(path)
    assert (error.kind, error.source) == ("empty", str(path))


# ------------------------------------------------------------------ issue 15's inputs


def test_readers_rows_kept_utf16_tab_export_named_txt_is_an_export(tmp_path):
    text = f"note_id\tnote_text\tcpt\r\nA\t{NOTE}\t64640\r\nB\t{NOTE}\t64642\r\n"
    path = write(tmp_path / "export.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert [(n.id, n.codes) for n in read(path)] == [("A", "64640"), ("B", "64642")]
    plain = write(tmp_path / "note.txt", codecs.BOM_UTF16_LE + f"{NOTE}\tand a tab".encode("utf-16-le"))
    [note] = read(plain)
    assert note.id == str(plain)  # a UTF-16 note with a tab but no header is still one note


@pytest.mark.parametrize(
    "data, stdin_format, expected",
    [
        (NOTE.encode(), None, ["<stdin>"]),
        (json.dumps({"id": "1", "text": NOTE}).encode() + b"\n", None, ["1"]),
        (json.dumps([{"id": "1", "text": NOTE}]).encode(), None, ["1"]),
        (b'{"not": "a note"} is what I wrote', "text", ["<stdin>"]),
        (NOTE.encode(), "jsonl", ["malformed_row@1"]),
    ],
    ids=["text-detected", "jsonl-detected", "json-list-detected", "text-forced", "jsonl-forced"],
)
def test_readers_rows_kept_stdin_formats(monkeypatch, data, stdin_format, expected):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    items = list(read_notes(["-"], stdin_format=stdin_format))
    assert summary(items) == expected
    if expected == ["<stdin>"]:
        assert items[0].text == data.decode()


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"a.docx": b"PK", "b.pdf": b"%PDF", "c.pdf": b"%PDF", ".hidden.txt": b"x"}, "skipped: 2 .pdf, 1 .docx, 1 hidden"),
        ({}, "skipped: nothing (the folder is empty)"),
    ],
)
def test_readers_rows_kept_folder_with_nothing_to_read_says_so(tmp_path, files, expected):
    folder = tmp_path / "f"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    [error] = read(folder)
    assert (error.kind, error.id, error.source) == ("empty", str(folder), str(folder))
    assert error.message.endswith(expected) and "no file notecheck reads" in error.message
