"""Review-queue CSV: one row per (note, code), worst first, ready for a spreadsheet or a queue tool.

A billed code without a rule file (an unsupported or deleted code) gets its own row (status
``unsupported``), so nothing billed is left out of the queue. ``missing`` names each missing element with
why its mentions did not count (``consent (placeholder)``). Pass-through columns (``--keep-col``) follow
``source``, so that the queue can be sorted by provider or payer.
"""

from __future__ import annotations

import csv
from typing import TextIO

from ..models import CodeResult, NoteResult

COLUMNS = ["id", "source", "note_status", "code", "modifiers", "units", "code_source", "status", "score",
           "missing", "flags", "suggested_codes", "flag_messages", "service_date", "service_date_source", "warnings",
           "error", "profile", "policy_findings", "patient", "procedure_documented"]
UNSUPPORTED = "unsupported"  # the row status of a billed code that has no rule file
NO_RULE_FLAG = "no_rule_file"

# review order: what needs a person first
TIERS = {"error": 0, "incomplete": 1, "flagged": 2, UNSUPPORTED: 2, "no_code": 3, "complete": 4}


def review_tier(status: str, flagged: bool) -> int:
    """Errors, then incomplete, then anything flagged (a complete code with a finding, a code without rules,
    a warning), then notes without a code, then complete ones."""
    tier = TIERS.get(status, 0)
    return min(tier, TIERS["flagged"]) if flagged else tier


NOT_DOCUMENTED = "no procedure documented in this note"  # first of the missing labels of a consult's code


def missing_labels(result: NoteResult, code: CodeResult) -> list[str]:
    """Each missing element with why its mentions did not count: ``consent (placeholder)``,
    ``imaging (negated, planned)``; a bare name when nothing was mentioned at all. A note that documents
    no procedure (a consult, a plan) says so first: that is why its code's elements are missing."""
    labels = [NOT_DOCUMENTED] if code.missing and result.procedure_documented is False else []
    for element in code.missing:
        finding = result.elements.get(element)
        reasons = dict.fromkeys(ev.reason for ev in finding.excluded if ev.reason) if finding else {}
        labels.append(f"{element} ({', '.join(reasons)})" if reasons else element)
    return labels


def unsupported_message(code: str) -> str:
    return f"{code} has no rule file (a deleted code, or one notecheck does not cover): not checked"


def queue_rows(result: NoteResult) -> list[dict]:
    base = {
        "id": result.id, "source": result.source, "note_status": result.status, "profile": result.profile,
        "service_date": result.service_date or "", "service_date_source": result.service_date_source,
        "warnings": " | ".join(f"{w.kind}: {w.message}" for w in result.warnings),
        "patient": result.patient or "",
        "procedure_documented": "" if result.procedure_documented is None else str(result.procedure_documented).lower(),
        **{KEPT + name: value or "" for name, value in result.columns},
    }
    if result.error is not None:
        return [{**base, "status": "error", "error": f"{result.error.kind}: {result.error.message}"}]
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
            "missing": "; ".join(missing_labels(result, c)),
            "flags": "; ".join(f.kind for f in c.flags),
            "suggested_codes": "; ".join(dict.fromkeys(s for f in c.flags for s in f.suggested_codes)),
            "flag_messages": " | ".join(f.message for f in c.flags),
            "policy_findings": " | ".join(f"{f.check}: {f.message}" for f in c.flags if f.kind.startswith("policy")),
        })
    for code in result.unsupported_codes:
        rows.append({**base, "code": code, "code_source": "billed", "status": UNSUPPORTED, "flags": NO_RULE_FLAG,
                     "flag_messages": unsupported_message(code)})
    if not rows:
        rows.append({**base, "status": result.status, "missing": ""})
    return rows


def queue_order(row: dict) -> tuple:
    """Errors first, then incomplete, flagged, no code, complete; lower scores first within each."""
    flagged = bool(row.get("flags") or row.get("warnings"))
    score = row.get("score")
    return (review_tier(row["status"], flagged), 0 if flagged else 1, score if isinstance(score, int) else -1, row["id"])


KEPT = "\0kept:"  # row key prefix of a pass-through column (cannot clash with a column of ours)


class CsvRenderer:
    def __init__(self, stream: TextIO, include_text: bool = True):
        self.stream = stream
        self.rows: list[dict] = []
        self.kept: dict[str, None] = {}  # pass-through column names, in the order first met

    def write(self, result: NoteResult) -> None:
        self.kept.update(dict.fromkeys(name for name, _ in result.columns))
        self.rows.extend(queue_rows(result))

    def close(self) -> None:
        kept = {KEPT + name: name if name not in COLUMNS else f"input_{name}" for name in self.kept}
        header = COLUMNS[:2] + list(kept.values()) + COLUMNS[2:]
        writer = csv.writer(self.stream, lineterminator="\n")
        writer.writerow(header)
        keys = COLUMNS[:2] + list(kept) + COLUMNS[2:]
        for row in sorted(self.rows, key=queue_order):
            writer.writerow([row.get(k, "") for k in keys])
        self.stream.flush()
