"""CSV and TSV exports: rows, quoting, column detection and explicit mapping."""

from __future__ import annotations

import csv

import pytest

from notecheck.models import NoteInput, ReadError
from notecheck.readers import read_notes


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


def write(path, text):
    path.write_bytes(text.encode("utf-8"))
    return path


def test_csv_rows_with_multiline_quoted_fields(tmp_path):
    path = write(
        tmp_path / "notes.csv",
        'note_id,note_text,cpt,service_date\r\n'
        'N1,"Line one\r\nLine ""two"", with comma",64633,2024-03-01\r\n'
        'N2,"Single",,\r\n',
    )
    assert read(path) == [
        NoteInput("N1", f"{path}:1", 'Line one\r\nLine "two", with comma', "64633", "2024-03-01"),
        NoteInput("N2", f"{path}:2", "Single", None, None),
    ]


def test_tsv_rows(tmp_path):
    path = write(tmp_path / "notes.tsv", 'id\ttext\n7\t"a, b\nc"\n8\tplain\n')
    assert [(n.id, n.text) for n in read(path)] == [("7", "a, b\nc"), ("8", "plain")]


@pytest.mark.parametrize(
    "header, expected",
    [
        ("note_id,note_text,cpt,service_date", ("A", "T", "C", "D")),
        ("NoteID,Note Text,CPT_Codes,Date of Service", ("A", "T", "C", "D")),
        ("document_id,report_text,billed_codes,dos", ("A", "T", "C", "D")),
        ("encounter_id,transcription,codes,date", ("A", "T", "C", "D")),
        ("ID,BODY,CODE,DOS", ("A", "T", "C", "D")),
        ("mrn,note,misc,other", (None, "T", None, None)),
    ],
)
def test_column_detection(tmp_path, header, expected):
    path = write(tmp_path / "x.csv", f"{header}\nA,T,C,D\n")
    [note] = read(path)
    note_id = None if note.id == f"{path}:1" else note.id
    assert (note_id, note.text, note.codes, note.service_date) == expected


def test_specific_names_win_over_generic_ones(tmp_path):
    path = write(tmp_path / "x.csv", "id,note_id,text,note_text\ngeneric,specific,short,full\n")
    [note] = read(path)
    assert (note.id, note.text) == ("specific", "full")


def test_explicit_columns_win_and_match_case_insensitively(tmp_path):
    path = write(tmp_path / "x.csv", "id,text,Narrative,Acct,Billed,When\n1,wrong,right,A9,99213,2024-01-02\n")
    [note] = read(path, id_col="acct", text_col="narrative", code_col="Billed", date_col="When")
    assert (note.id, note.text, note.codes, note.service_date) == ("A9", "right", "99213", "2024-01-02")


def test_explicit_column_not_in_file_is_missing_column(tmp_path):
    path = write(tmp_path / "x.csv", "id,text\n1,a\n2,b\n")
    [error] = read(path, code_col="cpt_billed")
    assert error.kind == "missing_column"
    assert "cpt_billed" in error.message and "id, text" in error.message


def test_missing_text_column_is_one_error_naming_file_and_columns(tmp_path):
    path = write(tmp_path / "x.csv", "id,cpt\n1,64633\n2,64634\n")
    [error] = read(path)
    assert (error.kind, error.id, error.source) == ("missing_column", str(path), str(path))
    assert str(path) in error.message and "columns: id, cpt" in error.message


def test_rows_without_id_get_file_and_row(tmp_path):
    path = write(tmp_path / "x.csv", "text\none\n\ntwo\n")
    assert [n.id for n in read(path)] == [f"{path}:1", f"{path}:2"]  # blank line skipped


def test_default_code_fills_only_empty_code_cells(tmp_path):
    path = write(tmp_path / "x.csv", "text,cpt\na,64633\nb,\nc,  \n")
    notes = read(path, default_code="64999")
    assert [(n.codes, n.default_codes) for n in notes] == [("64633", "64999"), (None, "64999"), (None, "64999")]


@pytest.mark.parametrize(
    "row, what",
    [("2,too,many", "3 fields, the header has 2"), ("2", "1 fields, the header has 2"), ('2,"bad"quote', "bad quoting")],
)
def test_malformed_rows_are_reported_and_reading_goes_on(tmp_path, row, what):
    path = write(tmp_path / "x.csv", f"id,text\n1,ok\n{row}\n3,fine\n")
    items = read(path)
    assert [type(i) for i in items] == [NoteInput, ReadError, NoteInput]
    assert (items[1].kind, items[1].source) == ("malformed_row", f"{path}:2")
    assert items[1].message == f"{path} row 2: {what}"
    assert items[2].source == f"{path}:3"


def test_header_only_file_has_no_notes(tmp_path):
    assert read(write(tmp_path / "x.csv", "id,text\n")) == []


def test_runaway_quote_longer_than_parser_limit_ends_the_file(tmp_path):
    read(write(tmp_path / "warm.csv", "text\nx\n"))  # sets the csv field limit
    limit = csv.field_size_limit()
    path = write(tmp_path / "x.csv", 'id,text\n1,ok\n2,"' + "x" * (limit + 10) + "\n3,next\n")
    items = read(path)
    assert [type(i) for i in items] == [NoteInput, ReadError]
    assert (items[1].kind, items[1].source) == ("too_large", f"{path}:2")
