"""Turn one export row (CSV, JSONL or Parquet) into a NoteInput or a ReadError."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from notecheck.models import NoteInput, ReadError
from notecheck.readers.columns import KEEP, ColumnMap
from notecheck.readers.decode import has_undecodable


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """The options of ``read_notes`` that every reader needs."""

    id_col: str | None = None
    text_col: str | None = None
    code_col: str | None = None
    date_col: str | None = None
    default_code: str | None = None
    max_note_bytes: int = 1_000_000
    keep_cols: tuple[str, ...] = ()  # pass-through columns, carried into the result as they are
    delimiter: str | None = None  # CSV field separator; None: sniffed from the header row
    patient_col: str | None = None

    def explicit_columns(self) -> dict[str, str | None]:
        roles = {"id": self.id_col, "text": self.text_col, "code": self.code_col, "date": self.date_col,
                 "patient": self.patient_col}
        return roles | {KEEP + name: name for name in self.keep_cols}


def build_note(
    label: str, row: int, fields: Mapping[str, Any], columns: ColumnMap, options: ReadOptions, unit: str = "row"
) -> NoteInput | ReadError:
    """``fields`` maps role (``id``, ``text``, ``code``, ``date``) -> raw value; a role left out
    means the row has no such field. ``row`` is the 1-based row (or line) number."""
    source = f"{label}:{row}"
    note_id = cell_text(fields.get("id"))
    if not note_id or has_undecodable(note_id):  # an id that is not text may be note text: never echoed
        note_id = source

    def error(kind: str, what: str) -> ReadError:
        return ReadError(id=note_id, source=source, kind=kind, message=f"{label} {unit} {row}: {what}")

    if "text" not in fields:
        return error("missing_column", f"no '{columns.text}' field")
    raw_text = fields["text"]
    if isinstance(raw_text, bytes):
        raw_text = raw_text.decode("utf-8", "surrogateescape")
    if raw_text is not None and not isinstance(raw_text, str):
        return error("malformed_row", f"column '{columns.text}' is not text")
    values = {role: cell_text(value) for role, value in fields.items() if role != "text"}
    values["text"] = raw_text or ""
    for role, name in columns.roles().items():
        if values.get(role) and has_undecodable(values[role]):
            return error("encoding", f"column '{name}' has bytes that do not fit the file's encoding, "
                                     "characters that are not valid Unicode, or a NUL byte")
    text = values["text"]
    if not text.strip():
        return error("empty", f"column '{columns.text}' is empty")
    size = len(text.encode("utf-8"))
    if size > options.max_note_bytes:
        return error("too_large", f"column '{columns.text}' is {size} bytes, over the {options.max_note_bytes}-byte limit")
    return NoteInput(
        id=note_id,
        source=source,
        text=text,
        codes=values.get("code"),
        service_date=values.get("date") or None,
        default_codes=options.default_code,
        columns=tuple((name, values.get(KEEP + name)) for name, _ in columns.keep),
        patient=values.get("patient") or None,
    )


def cell_text(value: Any) -> str | None:
    """A cell as stripped text: lists are joined with ``,``; dates use ISO format; blank is None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    elif isinstance(value, (list, tuple)):
        value = ",".join(filter(None, (cell_text(v) for v in value)))
    elif isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    elif not isinstance(value, str):
        value = str(value)
    return value.strip() or None
