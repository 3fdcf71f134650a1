"""Review-queue CSV: one row per (note, code), worst first, ready for a spreadsheet or a queue tool."""

from __future__ import annotations

import csv
from typing import TextIO

from ..models import STATUS_RANK, NoteResult

COLUMNS = ["id", "source", "note_status", "code", "modifiers", "units", "code_source", "status", "score",
           "missing", "flags", "suggested_codes", "flag_messages", "error", "profile", "policy_findings"]


def queue_rows(result: NoteResult) -> list[dict]:
    base = {"id": result.id, "source": result.source, "note_status": result.status, "profile": result.profile}
    if result.error is not None:
        return [{**base, "status": "error", "error": f"{result.error.kind}: {result.error.message}"}]
    if not result.codes:
        return [{**base, "status": result.status, "missing": ""}]
    rows = []
    for c in result.codes:
        rows.append({
            **base,
            "code": c.code,
            "modifiers": "-".join(c.modifiers),
            "units": c.units,
            "code_source": c.source,
            "status": c.status,
            "score": c.score,
            "missing": "; ".join(c.missing),
            "flags": "; ".join(f.kind for f in c.flags),
            "suggested_codes": "; ".join(dict.fromkeys(s for f in c.flags for s in f.suggested_codes)),
            "flag_messages": " | ".join(f.message for f in c.flags),
            "policy_findings": " | ".join(f"{f.check}: {f.message}" for f in c.flags if f.kind.startswith("policy")),
        })
    return rows


def queue_order(row: dict) -> tuple:
    """Errors first, then incomplete, flagged, no code, complete; lower scores first within each."""
    status_rank = -STATUS_RANK.get(row["status"], 0)
    flagged = 0 if row.get("flags") else 1
    score = row.get("score")
    return (status_rank, flagged, score if isinstance(score, int) else -1, row["id"])


class CsvRenderer:
    def __init__(self, stream: TextIO, include_text: bool = True):
        self.stream = stream
        self.rows: list[dict] = []

    def write(self, result: NoteResult) -> None:
        self.rows.extend(queue_rows(result))

    def close(self) -> None:
        writer = csv.DictWriter(self.stream, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(self.rows, key=queue_order))
        self.stream.flush()
