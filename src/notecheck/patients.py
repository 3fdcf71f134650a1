"""Checks across a patient's notes: a small state per patient, applied in input order.

``Ledger.apply`` takes each result as it comes back (in the parent process, after the workers: the same
answers with any ``--jobs``), runs the profile's checks that read earlier notes (``policy.record_checks``)
and then remembers what this note showed. Per patient it keeps only the last ``KEEP`` notes that matter to
a check (billed or inferred codes, date, a block's relief): memory grows with patients, not with notes.

"Earlier" means read earlier. Intervals are compared as distances between dates of service, so a series
exported out of date order still finds its close sessions; a note without a date of service takes part in
the checks that need no date only. ``--resume`` primes the ledger from the records already in the output
file (``prime``), so that a resumed scan answers as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import deque

from .models import NoteResult
from .policy import Earlier, record_checks
from .policy_values import relief_from_scores
from .profiles import Profile

KEEP = 12  # earlier notes remembered per patient


class Ledger:
    def __init__(self, profile: Profile):
        self.profile = profile
        self.patients: dict[str, deque[Earlier]] = {}

    @property
    def active(self) -> bool:
        """Whether the profile has rules, so that a check may read earlier notes (``record_checks``);
        without, ``apply`` returns every result unchanged."""
        return bool(self.profile.file.rules)

    def apply(self, result: NoteResult) -> NoteResult:
        if result.error is not None:
            return result
        day = _date(result.service_date)
        history = list(self.patients.get(result.patient, ())) if result.patient else []
        codes = record_checks(self.profile, result.codes, result.elements, day, history, result.patient is not None)
        self._remember(result.patient, result.id, day, _codes_of(result.codes, result.unsupported_codes),
                       result.elements["pain_scores"].values if "pain_scores" in result.elements else ())
        return result if codes == result.codes else dataclasses.replace(result, codes=codes)

    def prime(self, record: dict) -> None:
        """Remember a note from its JSON record (an earlier run's output, for --resume)."""
        if record.get("error") or not record.get("patient"):
            return
        codes = frozenset(c["code"] for c in record.get("codes", ())) | frozenset(record.get("unsupported_codes", ()))
        scores = tuple(record.get("elements", {}).get("pain_scores", {}).get("values", ()))
        self._remember(record["patient"], record["id"], _date(record.get("service_date")), codes, scores)

    def _remember(self, patient, note_id, day, codes, pain_scores) -> None:
        if not patient or not codes:
            return
        self.patients.setdefault(patient, deque(maxlen=KEEP)).append(
            Earlier(note_id, day, codes, relief_from_scores(tuple(pain_scores))))


def _codes_of(codes, unsupported) -> frozenset[str]:
    return frozenset(c.code for c in codes) | frozenset(unsupported)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
