"""Which export column holds the note id, text, billed codes, service date and patient.

Names are compared case-insensitively, with spaces and punctuation read as ``_``
("Note Text" matches ``note_text``). An explicit column option always wins; when it is
not in the file, or no text column can be found, the file cannot be read
(``missing_column``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from notecheck.readers.source import ReadProblem

CANDIDATES: dict[str, tuple[str, ...]] = {
    "id": ("note_id", "noteid", "id", "document_id", "documentid", "doc_id", "report_id",
           "encounter_id", "encounterid", "visit_id", "record_id", "accession_number"),
    "text": ("note_text", "notetext", "text", "note", "body", "note_body", "report_text",
             "report", "transcription", "document_text", "narrative", "content"),
    "code": ("cpt", "cpt_code", "cpt_codes", "code", "codes", "billed_codes", "billed_cpt",
             "billing_codes", "procedure_codes", "claim_codes"),
    "date": ("service_date", "date_of_service", "dos", "svc_date", "procedure_date",
             "encounter_date", "visit_date", "note_date", "date"),
    "patient": ("patient_id", "patientid", "mrn", "patient", "patient_number", "person_id", "member_id",
                "subject_id", "pat_id"),
}

KEEP = "keep:"  # role prefix of a pass-through column: "keep:provider"
_SHOWABLE = re.compile(r"[A-Za-z0-9_][\w .#/()-]{0,39}")


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """The column name (as spelled in the file) for each role; only ``text`` is required."""

    text: str
    id: str | None = None
    code: str | None = None
    date: str | None = None
    keep: tuple[tuple[str, str], ...] = ()  # pass-through columns: (name asked for, name in the file)
    patient: str | None = None

    def roles(self) -> dict[str, str]:
        """Role -> column name, for the roles that have a column (``keep:NAME`` for pass-through columns)."""
        found = {"id": self.id, "text": self.text, "code": self.code, "date": self.date, "patient": self.patient}
        found |= {KEEP + wanted: name for wanted, name in self.keep}
        return {role: name for role, name in found.items() if name is not None}


def normalize(name: str) -> str:
    """``" Note-Text "`` -> ``"note_text"``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


def resolve(header: Sequence[str], label: str, explicit: dict[str, str | None]) -> ColumnMap:
    """Pick columns from ``header``. ``explicit`` maps role -> column name given by the user."""
    by_norm: dict[str, str] = {}
    for name in header:
        by_norm.setdefault(normalize(name), name)
    chosen: dict[str, str | None] = {}
    keep = tuple((role[len(KEEP):], _named(role[len(KEEP):], header, by_norm, label, "pass-through"))
                 for role in explicit if role.startswith(KEEP))
    for role, candidates in CANDIDATES.items():
        wanted = explicit.get(role)
        if wanted is not None:
            name = _named(wanted, header, by_norm, label, role)
        else:
            name = next((by_norm[c] for c in candidates if c in by_norm), None)
        chosen[role] = name
    text = chosen.pop("text")
    if text is None:
        raise ReadProblem(
            "missing_column",
            f"{label}: no note text column (looked for {', '.join(CANDIDATES['text'])}); "
            f"columns: {describe(header)}; name one with the text column option",
        )
    return ColumnMap(text=text, keep=keep, **chosen)


def _named(wanted: str, header: Sequence[str], by_norm: dict[str, str], label: str, role: str) -> str:
    """The header's spelling of a column the user named; missing_column when there is none."""
    name = wanted if wanted in header else by_norm.get(normalize(wanted))
    if name is None:
        raise ReadProblem(
            "missing_column",
            f"{label}: no column '{wanted}' (asked for as the {role} column); columns: {describe(header)}",
        )
    return name


def describe(header: Sequence[str]) -> str:
    """List column names for a message. A "name" that looks like data (long, or many words,
    as in a file without a header row) is withheld, since it may be note text."""
    shown = []
    for number, name in enumerate(header, start=1):
        clean = name.strip().lstrip("\ufeff")
        if _SHOWABLE.fullmatch(clean) and len(clean.split()) <= 3:
            shown.append(clean)
        else:
            shown.append(f"<column {number}: name withheld>")
    return ", ".join(shown) if shown else "(none)"
