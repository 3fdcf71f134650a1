"""Policy checks: what a payer's profile asks for beyond the elements (``patterns/profiles/*.yml``).

Pure functions of a code result, the findings and, for the checks across notes, what earlier notes of the
same patient showed. Each check is configured in the profile (thresholds, the policy it comes from); the
flags it raises name that policy. Two kinds of flag:

- ``policy``: the documentation falls short of the policy (a denial risk);
- ``policy_note``: something the auditor should know that is no failure (a payer's coverage stance, or the
  earlier notes a check relied on). ``policy_note`` flags do not make a note "flagged".

Checks that read the note text run where the note is checked (``note_checks``); checks that read earlier
notes run in input order in the parent process (``record_checks``, called by ``patients.Ledger``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from .models import CodeResult, ElementFinding, Flag
from .policy_values import parse_relief, toxin_totals
from .profiles import PolicyCheck, Profile, expand_codes

POLICY, POLICY_NOTE = "policy", "policy_note"
_SPINAL_LEVEL = re.compile(r"\b[CTLS](?:1[0-2]|[1-9])\b")
_JW = re.compile(r"\bJW\b")
_JZ = re.compile(r"\bJZ\b")
TEXT_CHECKS = frozenset({"imaging_modality", "levels_and_sides", "toxin_record", "wastage_record", "coverage_note"})
RECORD_CHECKS = frozenset({"diagnostic_blocks", "repeat_relief", "sessions_per_year", "min_interval"})


def _flag(chk: PolicyCheck, what: str, kind: str = POLICY) -> Flag:
    return Flag(kind, f"{chk.policy}: {what}", check=chk.check)


def _with_flags(profile: Profile, codes: tuple[CodeResult, ...], run) -> tuple[CodeResult, ...]:
    """Each check runs once per note, on the first code it applies to."""
    seen: set[str] = set()
    out = []
    for c in codes:
        flags = []
        for chk in profile.checks_for(c.code):
            if chk.check in seen:
                continue
            got = run(chk, c)
            if got is not None:
                seen.add(chk.check)
                flags.extend(got)
        out.append(replace(c, flags=c.flags + tuple(flags)) if flags else c)
    return tuple(out)


# ------------------------------------------------------------------ checks that read the note


def note_checks(profile: Profile, codes: tuple[CodeResult, ...], findings: dict[str, ElementFinding],
                text: str) -> tuple[CodeResult, ...]:
    if not profile.file.rules:
        return codes

    def run(chk: PolicyCheck, code: CodeResult) -> list[Flag] | None:
        if chk.check not in TEXT_CHECKS:
            return None
        return _TEXT[chk.check](chk, findings, text, code)

    return _with_flags(profile, codes, run)


def _imaging_modality(chk, findings, text, code) -> list[Flag]:
    got = findings["imaging"].values
    if set(got) & set(chk.allowed):
        return []
    allowed = " or ".join(chk.allowed)
    if got:
        return [_flag(chk, f"image guidance documented as {', '.join(got)}; the policy pays with {allowed} guidance")]
    return [_flag(chk, f"no {allowed} guidance documented")]


def _levels_and_sides(chk, findings, text, code) -> list[Flag]:
    missing = []
    if not _SPINAL_LEVEL.search(text or ""):
        missing.append("the spinal levels (L4-5, C3 ...)")
    if not findings["laterality"].present:
        missing.append("the side")
    return [_flag(chk, f"{' and '.join(missing)} not documented")] if missing else []


def _toxin_record(chk, findings, text, code) -> list[Flag]:
    missing = []
    written = " ".join(e.text.lower() for e in findings["agent"].evidence)
    if not any(re.search(r"\b" + re.escape(p.lower()) + r"\b", written) for p in chk.products):
        missing.append("the toxin product (" + ", ".join(chk.products[:4]) + " ...)")
    total, per_muscle = toxin_totals(findings["toxin_units"].values)
    if not per_muscle:
        missing.append("the units per muscle")
    if total is None:
        missing.append("the total units" + (f" (per-muscle units add up to {sum(per_muscle.values()):g})" if per_muscle else ""))
    if not any(_dilution(rx).search(text or "") for rx in chk.dilution):
        missing.append("the dilution")
    if code.code not in chk.no_guidance_codes and not findings["imaging"].present \
            and not {"emg", "stimulation"} & set(findings["placement_confirmation"].values):
        missing.append("the guidance used (EMG, stimulation or ultrasound)")
    return [_flag(chk, f"{'; '.join(missing)} not documented")] if missing else []


@lru_cache(maxsize=64)
def _dilution(rx: str) -> re.Pattern:
    return re.compile(rx, re.I)


def _wastage_record(chk, findings, text, code) -> list[Flag]:
    w = findings["wastage"]
    written = set(code.modifiers)
    jw = "JW" in written or bool(_JW.search(text or ""))
    jz = "JZ" in written or bool(_JZ.search(text or ""))
    if not w.present:
        return [_flag(chk, "the toxin units discarded (or that none were) are not documented; the drug line needs "
                           "JW with the discarded units, or JZ when none were discarded")]
    discarded = any(v != "none" for v in w.values)
    if discarded and jz and not jw:
        return [_flag(chk, f"{', '.join(v for v in w.values if v != 'none')} discarded, but JZ (no waste) is written; "
                           "report the discarded units on a line with JW")]
    if not discarded and jw and not jz:
        return [_flag(chk, "no wastage documented, but JW (waste) is written; use JZ")]
    return []


def _coverage_note(chk, findings, text, code) -> list[Flag]:
    return [_flag(chk, " ".join(chk.message.split()), POLICY_NOTE)]


_TEXT = {"imaging_modality": _imaging_modality, "levels_and_sides": _levels_and_sides,
         "toxin_record": _toxin_record, "wastage_record": _wastage_record, "coverage_note": _coverage_note}


# ------------------------------------------------------------------ checks that read earlier notes


@dataclass(frozen=True, slots=True)
class Earlier:
    """What one earlier note of the patient showed (kept small: see patients.Ledger)."""

    id: str
    date: dt.date | None
    codes: frozenset[str]
    relief: int | None  # relief from its pain scores before and after, when a block note has them

    def named(self) -> str:
        return f"note {self.id} ({self.date.isoformat() if self.date else 'no date'})"


def record_checks(profile: Profile, codes: tuple[CodeResult, ...], findings: dict[str, ElementFinding],
                  day: dt.date | None, earlier: list[Earlier], patient_known: bool) -> tuple[CodeResult, ...]:
    if not profile.file.rules:
        return codes

    def run(chk: PolicyCheck, code: CodeResult) -> list[Flag] | None:
        if chk.check not in RECORD_CHECKS:
            return None
        series = profile.series_codes(code.code)
        return _RECORD[chk.check](chk, findings, day, earlier, patient_known, series)

    return _with_flags(profile, codes, run)


def _diagnostic_blocks(chk, findings, day, earlier, patient_known, series) -> list[Flag]:
    kinds = set(chk.blocks) | {"block"}
    found: list[tuple[dt.date | None, int | None, str]] = []  # date, relief, where
    for v in findings["prior_block_relief"].values:
        r = parse_relief(v)
        if r.block in kinds:
            found.append((r.date, r.percent, "this note"))
    in_note_dates = {d for d, _, _ in found if d}
    relied = []
    for e in earlier:
        if e.codes & expand_codes(tuple(chk.block_codes)) and not (e.date and e.date in in_note_dates):
            found.append((e.date, e.relief, e.named()))
            relied.append(e.named())
    if not found:
        where = "this note documents none and no earlier note of this patient is one" if patient_known else \
            "the note documents none (no earlier notes: give a patient column to read them)"
        return [_flag(chk, f"no diagnostic block on record: {where}")]
    good = sorted((f for f in found if f[1] is not None and f[1] >= chk.min_relief_percent),
                  key=lambda f: (f[0] is None, f[0] or dt.date.min))
    flags = []
    listed = "; ".join(f"{w}: {p if p is not None else '?'}% relief" + (f" on {d.isoformat()}" if d else "")
                       for d, p, w in found)
    if len(good) < chk.min_blocks:
        flags.append(_flag(chk, f"{len(good)} of {chk.min_blocks} diagnostic blocks with >= {chk.min_relief_percent}% "
                                f"relief on record ({listed})"))
    elif chk.min_days_between is not None:
        dated = [f for f in good if f[0] is not None]
        if len(dated) < chk.min_blocks:
            flags.append(_flag(chk, f"the dates of the diagnostic blocks are not all documented, so the "
                                    f"{chk.min_days_between}-day interval cannot be checked ({listed})"))
        else:
            gap = (dated[-1][0] - dated[0][0]).days
            if gap < chk.min_days_between:
                flags.append(_flag(chk, f"the diagnostic blocks are {gap} days apart; the policy asks for at least "
                                        f"{chk.min_days_between} ({listed})"))
    if relied:
        flags.append(_flag(chk, f"diagnostic blocks read from earlier notes: {', '.join(relied)}", POLICY_NOTE))
    return flags


def _repeat_relief(chk, findings, day, earlier, patient_known, series) -> list[Flag]:
    prior_rf = [parse_relief(v) for v in findings["prior_block_relief"].values if v.startswith("rf ")]
    before = [e for e in earlier if e.codes & series]
    if not prior_rf and not before:
        return []  # a first ablation
    if before and day is not None:
        last = max((e for e in before if e.date and e.date <= day), key=lambda e: e.date, default=None)
        if last is not None and (day - last.date).days < chk.min_months * 30:
            return [_flag(chk, f"repeat ablation {(day - last.date).days} days after {last.named()}: relief lasting "
                               f">= {chk.min_months} months cannot have been shown yet")]
    basis = f" (earlier ablation: {before[-1].named()})" if before else ""
    if not prior_rf:
        return [_flag(chk, f"repeat ablation: the relief the earlier one gave (>= {chk.min_relief_percent}% for >= "
                           f"{chk.min_months} months) is not documented{basis}")]
    best = max(prior_rf, key=lambda r: ((r.percent or 0), (r.months or 0)))
    if best.percent is None or best.percent < chk.min_relief_percent:
        return [_flag(chk, f"repeat ablation: the earlier one gave {best.percent}% relief; the policy asks for "
                           f">= {chk.min_relief_percent}%{basis}")]
    if best.months is None:
        return [_flag(chk, f"repeat ablation: how long the earlier one's relief lasted is not documented "
                           f"(>= {chk.min_months} months){basis}")]
    if best.months < chk.min_months:
        return [_flag(chk, f"repeat ablation: the earlier one's relief lasted {best.months:g} months; the policy asks "
                           f"for >= {chk.min_months}{basis}")]
    return []


def _sessions_per_year(chk, findings, day, earlier, patient_known, series) -> list[Flag]:
    if day is None:
        return []
    within = [e for e in earlier if e.codes & series and e.date and abs((day - e.date).days) < chk.window_days]
    if len(within) + 1 <= chk.max_sessions:
        return []
    return [_flag(chk, f"session {len(within) + 1} of this series within {chk.window_days} days (at most "
                       f"{chk.max_sessions}): earlier {', '.join(e.named() for e in within)}")]


def _min_interval(chk, findings, day, earlier, patient_known, series) -> list[Flag]:
    if day is None:
        return []
    close = [e for e in earlier if e.codes & series and e.date and abs((day - e.date).days) < chk.min_days]
    if not close:
        return []
    e = min(close, key=lambda e: abs((day - e.date).days))
    days = abs((day - e.date).days)
    return [_flag(chk, f"{days} days ({days / 7:.0f} weeks) since the session of {e.named()}; the policy asks for "
                       f"at least {chk.min_days} days")]


_RECORD = {"diagnostic_blocks": _diagnostic_blocks, "repeat_relief": _repeat_relief,
           "sessions_per_year": _sessions_per_year, "min_interval": _min_interval}
