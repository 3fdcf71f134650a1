"""Values of the policy elements, from the text an element pattern matched (``normalize:`` in its YAML file).

Each value is a short string (the output contract keeps element values as strings); ``parse_*`` read them back:

- prior_block_relief: ``"<block> <percent>% <date>"`` and `` <months>mo`` when the relief's duration is written;
  block is ``mbb``, ``genicular``, ``si``, ``rf`` (an earlier ablation) or ``block``; percent or date ``?`` when not written.
- pain_scores: ``"before 7/10"``, ``"after 2/10"`` or ``"before 7/10 after 2/10"``.
- toxin_units: ``"total 300 units"`` or ``"<muscle> 100 units"`` (the muscle as elements/muscles.yml names it).
- wastage: ``"none"`` or ``"<n> units"``.

A normalizer returns None when the text is not such a mention after all; the mention is then dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .rules import RulePack

_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")
_WORDS = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})\b", re.I)
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3})\s?%")
_DURATION = re.compile(r"\b(\d{1,2})\s*(?:-\s*)?(months?|mos?|weeks?|wks?)\b", re.I)
_SCORE = re.compile(r"(?<![\d/.])(\d{1,2}(?:\.\d)?)\s*/\s*10\b")
_BARE_SCORE = re.compile(r"(?<![\d/.])(10|\d(?:\.\d)?)(?![\d/.%])")  # after a named scale: "NRS 8 -> 2"
_BEFORE_WORDS = re.compile(r"\b(pre|before|baseline|prior|from|initial|preprocedure|pre-procedure|preop)\b", re.I)
_AFTER_WORDS = re.compile(r"\b(post|after|afterwards|following|postprocedure|post-procedure|postop|now|down|reduced|improved|decreased)\b", re.I)
_SEVERAL_BLOCKS = re.compile(r"\b(?:blocks|mbbs|injections|two|dual|both|comparative|first|second|series of)\b")
_PRODUCT_DOSE = re.compile(r"[a-z ]*toxin\s?[ab]?\s*[:,-]?\s*\d|(?:botox|dysport|xeomin|myobloc|daxxify)\s*[:,-]?\s*\d")
_UNITS = re.compile(r"(?<![\d.])(\d{1,4}(?:\.\d+)?)\s*(?:units?|u|iu)\b", re.I)


def find_dates(text: str) -> list[dt.date]:
    """Every date written in ``text``, in order (the forms of ``find_date``)."""
    found: list[tuple[int, dt.date]] = []
    for rx, order in ((_ISO, "ymd"), (_US, "mdy"), (_WORDS, "Mdy")):
        for m in rx.finditer(text):
            day = _date_of(m, order)
            if day is not None:
                found.append((m.start(), day))
    return [d for _, d in sorted(found)]


def _date_of(m: re.Match, order: str) -> dt.date | None:
    try:
        if order == "ymd":
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if order == "mdy":
            return dt.date(int(m[3]) + (2000 if len(m[3]) == 2 else 0), int(m[1]), int(m[2]))
        return dt.date(int(m[3]), _MONTHS[m[1].lower()[:3]], int(m[2]))
    except ValueError:
        return None


def find_date(text: str) -> dt.date | None:
    """The first date written in ``text`` (2025-03-02, 3/2/2025, 3/2/25, March 2, 2025)."""
    days = find_dates(text)
    return days[0] if days else None


@dataclass(frozen=True)
class Relief:
    block: str
    percent: int | None
    date: dt.date | None
    months: float | None = None


def _block_kind(low: str) -> str:
    if re.search(r"\b(rfa|ablation|radiofrequency|neurotomy|rhizotomy|lesioning|denervation)\b", low):
        return "rf"
    if re.search(r"\bgenicular\b", low):
        return "genicular"
    if re.search(r"\b(si|sacroiliac|lateral branch)\b", low):
        return "si"
    if re.search(r"\b(mbbs?|medial branch|facet)\b", low):
        return "mbb"
    return "block"


def relief(written: str) -> str | tuple[str, ...] | None:
    """One value per block: a mention of several blocks ("two MBBs on 6/1 and 6/20 gave 90% and 85% relief")
    gives each percent its own value, paired in order with the dates when there are as many."""
    low = written.lower()
    pct = [int(p) for p in _PERCENT.findall(low) if int(p) <= 100]
    if not pct:
        return None
    kind = _block_kind(low)
    dur = _DURATION.search(low[low.rfind("%"):])
    months = f" {int(dur[1]) if dur[2].startswith('mo') else round(int(dur[1]) / 4.345, 1):g}mo" if dur else ""
    if len(pct) > 1 and _SEVERAL_BLOCKS.search(low):
        days = find_dates(written)
        days = days if len(days) == len(pct) else [None] * len(pct)
        return tuple(f"{kind} {p}% {d.isoformat() if d else '?'}{months}" for p, d in zip(pct, days))
    day = find_date(written)
    return f"{kind} {pct[-1]}% {day.isoformat() if day else '?'}{months}"


def parse_relief(value: str) -> Relief:
    parts = value.split()
    block, pct, day = (parts + ["?", "?", "?"])[:3]
    months = float(parts[3][:-2]) if len(parts) > 3 and parts[3].endswith("mo") else None
    return Relief(block, None if pct.rstrip("%") == "?" else int(pct.rstrip("%")),
                  None if day == "?" else dt.date.fromisoformat(day), months)


def pain_scores(written: str) -> str | None:
    scores = list(_SCORE.finditer(written)) or list(_BARE_SCORE.finditer(written))
    if not scores:
        return None
    if len(scores) >= 2:
        first, last = scores[0], scores[-1]
        between = written[first.end():last.start()].lower()
        if "from" in between:  # "2/10, down from 8/10"
            return f"before {last[1]}/10 after {first[1]}/10"
        return f"before {first[1]}/10 after {last[1]}/10"
    lead, trail = written[: scores[0].start()], written[scores[0].end():]  # "after 2/10", "2/10 post"
    for words in (lead, trail):
        if _AFTER_WORDS.search(words):
            return f"after {scores[0][1]}/10"
        if _BEFORE_WORDS.search(words):
            return f"before {scores[0][1]}/10"
    return None


def parse_pain_scores(values: tuple[str, ...]) -> tuple[float | None, float | None]:
    """The first score before and the last score after, over an element's values."""
    before = after = None
    for v in values:
        words = v.split()
        for label, score in zip(words[::2], words[1::2]):
            n = float(score.split("/")[0])
            if label == "before" and before is None:
                before = n
            elif label == "after":
                after = n
    return before, after


def relief_from_scores(values: tuple[str, ...]) -> int | None:
    before, after = parse_pain_scores(values)
    if before is None or after is None or before <= 0:
        return None
    return round(100 * (before - after) / before)


class Normalizers:
    """Built once per rule pack (toxin units per muscle need the muscle vocabulary)."""

    def __init__(self, pack: RulePack):
        muscles = pack.elements["muscles"].terms if "muscles" in pack.elements else []
        self.muscle_phrases = sorted(((p.lower(), t.value) for t in muscles for p in t.phrases),
                                     key=lambda pv: -len(pv[0]))
        # each phrase as a whole-word regex, compiled once; the regex runs only where the phrase occurs at all
        self._muscle_words = [(phrase, re.compile(r"\b" + re.escape(phrase) + r"\b"), value)
                              for phrase, value in self.muscle_phrases]
        self.by_name = {"relief": relief, "pain_scores": pain_scores, "toxin_units": self.toxin_units,
                        "wastage": wastage}

    def toxin_units(self, written: str) -> str | None:
        low = written.lower()
        units = _UNITS.findall(low)
        if not units:
            return None
        n = f"{float(units[-1]):g}"
        if "total" in low or _PRODUCT_DOSE.match(low):
            return f"total {n} units"
        for phrase, words, value in self._muscle_words:
            if phrase in low and words.search(low):
                return f"{value} {n} units"
        return None


def wastage(written: str) -> str | None:
    low = written.lower()
    units = _UNITS.findall(low)
    if units and float(units[0]) > 0:
        return f"{float(units[0]):g} units"
    return "none"


def toxin_totals(values: tuple[str, ...]) -> tuple[float | None, dict[str, float]]:
    """The written total and the units per muscle, from toxin_units values."""
    total, per_muscle = None, {}
    for v in values:
        name, n, _unit = v.rsplit(" ", 2)
        if name == "total":
            total = float(n)
        else:
            per_muscle[name] = per_muscle.get(name, 0.0) + float(n)
    return total, per_muscle
