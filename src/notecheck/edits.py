"""CMS edit files: the practitioner MUE table and the NCCI procedure-to-procedure (PTP) tables.

notecheck cannot ship CMS's files; users download them (README, "CMS edit files") and point ``--edits DIR``
or ``$NOTECHECK_EDITS`` at the folder. Every ``*.csv``, ``*.txt`` or ``*.tsv`` there is read; which table a
file holds is told from its header row, found below CMS's copyright preamble:

- MUE: ``HCPCS/CPT Code``, ``Practitioner Services MUE Values``, ``MUE Adjudication Indicator``,
  ``MUE Rationale`` (CMS's CSV download).
- PTP: ``Column 1``, ``Column 2``, ``*=in existence prior to 1996``, ``Effective Date``,
  ``Deletion Date *=no data``, ``Modifier 0=not allowed 1=allowed 9=not applicable``, ``PTP Edit Rationale``
  (CMS's tab-delimited text export, or its Excel sheets saved as CSV). Dates as CMS writes them (YYYYMMDD),
  or 2025-01-01 / 01/01/2025; ``*`` is no deletion date.

A pure module: no spaCy. The audit calls :func:`edit_flags` with the claim lines of one note.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RuleFileError
from .models import ClaimLine, Flag

# NCCI-associated modifiers: those CMS accepts to bypass a PTP edit whose modifier indicator is 1 (CMS NCCI
# policy manual for Medicare services, chapter I, and the PTP edits page on cms.gov; check the current list).
NCCI_MODIFIERS = frozenset(
    "E1 E2 E3 E4 FA F1 F2 F3 F4 F5 F6 F7 F8 F9 LC LD LM RC RI LT RT TA T1 T2 T3 T4 T5 T6 T7 T8 T9 "
    "24 25 27 57 58 59 78 79 91 XE XP XS XU".split()
)
_MAI = {
    "1": "a claim-line edit: the units on one line may not pass it",
    "2": "a date-of-service edit set by policy: the units of the day may not pass it, and an appeal does not change that",
    "3": "a date-of-service edit set on clinical grounds: units of the day over it are denied, and may be paid on appeal with documentation",
}


@dataclass(frozen=True)
class MueEdit:
    code: str
    value: int
    indicator: str  # "1", "2" or "3"
    rationale: str


@dataclass(frozen=True)
class PtpEdit:
    column1: str
    column2: str
    effective: dt.date
    deletion: dt.date | None
    modifier: str  # "0" not allowed, "1" allowed, "9" not applicable
    rationale: str

    def in_force(self, day: dt.date | None) -> bool:
        if day is None:
            return self.deletion is None
        return self.effective <= day and (self.deletion is None or day < self.deletion)


@dataclass(frozen=True)
class Edits:
    mue: dict[str, MueEdit] = field(default_factory=dict)
    ptp: dict[tuple[str, str], tuple[PtpEdit, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()


def edits_dir(option: str | Path | None) -> Path | None:
    """The folder given with --edits, else $NOTECHECK_EDITS, else None (no edit files: nothing changes)."""
    value = option or os.environ.get("NOTECHECK_EDITS")
    return Path(value) if value else None


def load_edits(folder: str | Path) -> Edits:
    root = Path(folder)
    if not root.is_dir():
        raise RuleFileError(f"edit files folder {root} does not exist. Pass --edits with the folder holding CMS's MUE and PTP files.")
    mue: dict[str, MueEdit] = {}
    ptp: dict[tuple[str, str], list[PtpEdit]] = {}
    used = []
    for path in sorted(p for p in root.iterdir() if p.suffix.lower() in (".csv", ".txt", ".tsv")):
        rows = _rows(path)
        found = _header(rows)
        if found is None:
            continue
        at, kind, cols = found
        used.append(path.name)
        for n, row in enumerate(rows[at + 1:], start=at + 2):
            if not any(c.strip() for c in row):
                continue
            try:
                if kind == "mue":
                    e = MueEdit(_code(row[cols["code"]]), int(float(row[cols["value"]])),
                                row[cols["indicator"]].strip()[:1], _get(row, cols, "rationale"))
                    mue[e.code] = e
                else:
                    e = PtpEdit(_code(row[cols["column1"]]), _code(row[cols["column2"]]),
                                _date(row[cols["effective"]]), _date(row[cols["deletion"]]),
                                row[cols["modifier"]].strip()[:1], _get(row, cols, "rationale"))
                    ptp.setdefault((e.column1, e.column2), []).append(e)
            except (IndexError, ValueError):
                raise RuleFileError(
                    f"{path} line {n}: not a {kind.upper()} row in CMS's layout (see README, CMS edit files). "
                    "Check that the file is CMS's table saved as CSV or tab-delimited text."
                ) from None
    if not used:
        raise RuleFileError(f"{root}: no MUE or PTP table found (no file has CMS's header row). See README, CMS edit files.")
    return Edits(mue, {k: tuple(v) for k, v in ptp.items()}, tuple(used))


def _rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    lines = text.splitlines()
    delim = "\t" if sum(line.count("\t") for line in lines[:50]) > sum(line.count(",") for line in lines[:50]) else ","
    return list(csv.reader(lines, delimiter=delim))


def _header(rows: list[list[str]]):
    for i, row in enumerate(rows[:60]):
        cells = [" ".join(c.lower().split()) for c in row]
        col = _finder(cells)
        c1, c2 = col(lambda c: c.startswith("column 1")), col(lambda c: c.startswith("column 2"))
        if c1 is not None and c2 is not None:
            cols = {"column1": c1, "column2": c2, "effective": col(lambda c: "effective" in c),
                    "deletion": col(lambda c: "deletion" in c), "modifier": col(lambda c: c.startswith("modifier")),
                    "rationale": col(lambda c: "rationale" in c)}
            if None not in (cols["effective"], cols["deletion"], cols["modifier"]):
                return i, "ptp", cols
        value = col(lambda c: "mue" in c and "value" in c)
        if value is not None:
            cols = {"code": col(lambda c: "hcpcs" in c or "cpt" in c), "value": value,
                    "indicator": col(lambda c: "adjudication" in c), "rationale": col(lambda c: "rationale" in c)}
            if cols["code"] is not None and cols["indicator"] is not None:
                return i, "mue", cols
    return None


def _finder(cells: list[str]):
    """The index of the first header cell a test accepts."""
    return lambda test: next((k for k, c in enumerate(cells) if test(c)), None)


def _get(row: list[str], cols: dict, key: str) -> str:
    k = cols.get(key)
    return row[k].strip() if k is not None and k < len(row) else ""


def _code(cell: str) -> str:
    code = cell.strip().upper()
    if not (len(code) == 5 and code.isalnum()):
        raise ValueError(code)
    return code


def _date(cell: str) -> dt.date | None:
    v = cell.strip()
    if v in ("", "*"):
        return None
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    raise ValueError(v)


def edit_flags(claims: tuple[ClaimLine, ...], edits: Edits, service_date: dt.date | None) -> dict[str, list[Flag]]:
    """Billed code -> its ``mue_exceeded`` and ``ptp_conflict`` flags, for the claim lines of one date of service."""
    out: dict[str, list[Flag]] = {}
    for code in dict.fromkeys(c.code for c in claims):
        e = edits.mue.get(code)
        if e is None:
            continue
        lines = [c for c in claims if c.code == code]
        units = max(c.units for c in lines) if e.indicator == "1" else sum(c.units for c in lines)
        if units > e.value:
            where = "on one line" if e.indicator == "1" else "on the date of service"
            meaning = _MAI.get(e.indicator, f"adjudication indicator {e.indicator}")
            out.setdefault(code, []).append(Flag(
                "mue_exceeded",
                f"{units} unit(s) of {code} billed {where}; CMS's practitioner MUE is {e.value} ({meaning})"
                + (f"; rationale: {e.rationale}" if e.rationale else "") + ".",
            ))
    billed = {c.code: c for c in claims}
    for (one, two), versions in edits.ptp.items():
        if one not in billed or two not in billed:
            continue
        edit = next((v for v in versions if v.in_force(service_date)), None)
        if edit is None or edit.modifier == "9":
            continue
        mods = {m for c in claims if c.code == two for m in c.modifiers}
        if edit.modifier == "1" and mods & NCCI_MODIFIERS:
            continue
        allowed = ("an NCCI-associated modifier (59, XE, XS, XP, XU, or an anatomic one such as LT/RT) on "
                   f"{two} bypasses it when the services were distinct" if edit.modifier == "1" else "no modifier bypasses it")
        out.setdefault(two, []).append(Flag(
            "ptp_conflict",
            f"{two} is column 2 to {one} in CMS's NCCI procedure-to-procedure edits (in force from "
            f"{edit.effective.isoformat()}{', for this date of service' if service_date else ''}): it is not paid "
            f"with {one} on the same date; {allowed}" + (f"; rationale: {edit.rationale}" if edit.rationale else "") + ".",
            (one,),
        ))
    return out
