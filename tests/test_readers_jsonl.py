"""JSON-lines exports and standard input."""

from __future__ import annotations

import io
import json
import sys

import pytest

from notecheck.models import NoteInput
from notecheck.readers import read_notes


def read(*paths, **options):
    return list(read_notes(list(paths), **options))


def lines(*objects):
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects)


def test_jsonl_values_and_line_numbers(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text(
        lines(
            {"note_id": 17, "note_text": "First", "cpt_codes": ["64633", "64634"], "service_date": "2024-01-05"},
            "",
            {"note_id": "B", "note_text": "Second", "cpt_codes": None},
        )
    )
    assert read(path, default_code="64999") == [
        NoteInput("17", f"{path}:1", "First", "64633,64634", "2024-01-05", default_codes="64999"),
        NoteInput("B", f"{path}:3", "Second", None, None, default_codes="64999"),
    ]


@pytest.mark.parametrize(
    "line, kind",
    [
        ("[1, 2]", "malformed_row"),
        ('{"text": "unclosed', "malformed_row"),
        ("42", "malformed_row"),
        ('{"text": ["a", "b"]}', "malformed_row"),
        ('{"text": null}', "empty"),
        ('{"text": "   "}', "empty"),
        ('{"other": "x"}', "missing_column"),
    ],
)
def test_bad_lines_are_reported_and_reading_goes_on(tmp_path, line, kind):
    path = tmp_path / "n.jsonl"
    path.write_text(lines({"id": "a", "text": "ok"}, line, {"id": "c", "text": "ok"}))
    items = read(path)
    assert [getattr(i, "kind", "note") for i in items] == ["note", kind, "note"]
    assert items[1].source == f"{path}:2"
    assert items[1].message.startswith(f"{path} line 2: ")


def test_first_object_without_text_field_is_one_missing_column_error(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text(lines({"id": 1, "body_x": "a"}, {"id": 2, "body_x": "b"}))
    [error] = read(path)
    assert (error.kind, error.id) == ("missing_column", str(path))
    assert "columns: id, body_x" in error.message


def test_overlong_line_is_skipped_without_holding_it(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text(lines({"text": "a"}, json.dumps({"text": "x" * (1 << 21)}), {"text": "c"}))
    assert [getattr(i, "kind", "note") for i in read(path, max_note_bytes=10)] == ["note", "too_large", "note"]


def test_stdin_with_byte_buffer(monkeypatch):
    data = lines({"id": "s1", "text": "from stdin"}).encode("utf-16")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="ascii"))
    assert read("-") == [NoteInput("s1", "<stdin>:1", "from stdin")]


def test_stdin_text_stream_without_buffer(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines({"text": "a"}, "oops")))
    items = read("-")
    assert items[0] == NoteInput("<stdin>:1", "<stdin>:1", "a")
    assert (items[1].kind, items[1].source) == ("malformed_row", "<stdin>:2")


@pytest.mark.parametrize("stdin", [io.StringIO(""), io.TextIOWrapper(io.BytesIO(b""))])
def test_empty_stdin_is_one_empty_error(monkeypatch, stdin):
    monkeypatch.setattr(sys, "stdin", stdin)
    [error] = read("-")
    assert (error.kind, error.id) == ("empty", "<stdin>")
