"""The terminal table: cells wrapped at word and separator boundaries, ids and messages shown as plain text."""

from __future__ import annotations

import io

import pytest

from notecheck.models import CodeResult, NoteError, NoteResult
from notecheck.renderers.table import TableRenderer, wrap


@pytest.mark.parametrize("text, width, lines", [
    ("demo_18_botox_consent_placeholder_incomplete.txt", 15, ["demo_18_botox_", "consent_", "placeholder_", "incomplete.txt"]),
    ("64642 missing: consent, placement_confirmation", 24, ["64642 missing: consent,", "placement_confirmation"]),
    ("64642 missing: placement_confirmation", 12, ["64642", "missing:", "placement_", "confirmation"]),
    ("short", 10, ["short"]),
    ("", 10, [""]),
    ("aaaaaaaaaaaaaaaaaaaaaaaaa", 10, ["aaaaaaaaaa", "aaaaaaaaaa", "aaaaa"]),  # no separator: the only hard cut
    ("notes/a-b/c.txt", 6, ["notes/", "a-b/c.", "txt"]),
])
def test_renderers_table_wrap(text, width, lines):
    assert wrap(text, width) == lines
    assert all(len(line) <= width for line in lines)


def _result(note_id: str, missing=("placement_confirmation", "follow_up"), error=None) -> NoteResult:
    codes = () if error else (CodeResult(code="64640", title="t", modifiers=("LT",), units=1, source="billed",
                                         status="incomplete", score=70, missing=missing),)
    return NoteResult(id=note_id, source=f"{note_id}.txt", status="error" if error else "incomplete",
                      score=None if error else 70, codes=codes, rules_version="r@1", error=error)


def _render(*results: NoteResult, width: int = 80) -> str:
    out = io.StringIO()
    renderer = TableRenderer(out)
    renderer.console.width = width
    for r in results:
        renderer.write(r)
    renderer.close()
    return out.getvalue()


@pytest.mark.parametrize("note_id", ["[/bold]", "[red]x[/red]", "[link=http://e.x]y[/link]", "a\\[b]"])
def test_renderers_table_markup_in_id_and_message_is_text(note_id):
    out = _render(_result(note_id), _result("e1", error=NoteError("unreadable", f"x [/] {note_id}")), width=120)
    assert out.count(note_id) == 2  # the id, and the id inside the error message, both as written
    assert "unreadable: x [/]" in out


def test_renderers_table_fits_80_columns_without_breaking_element_names():
    long_id = "hospital_export_2025_interventional_pain_clinic_note_000123.txt"
    out = _render(_result(long_id), _result("n2", missing=("indication", "placement_confirmation", "response")))
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert sum("placement_confirmation" in line for line in lines) == 2  # whole, on one line, in both rows
    assert "".join(line.split("│")[1].strip() for line in lines if line.startswith("│") and "n2" not in line
                   and line.split("│")[1].strip()).startswith(long_id)
