"""The HTML report: one self-contained file for auditors (inline CSS, JS and SVG; nothing is fetched).

The markup is Jinja2 templates (``notecheck/templates``) with autoescaping on: this module only works
out what to show. ``write`` renders each result into a compact card at once and keeps only that card
and the summary counts; ``close`` renders the page: a header naming the input, the run's date and the
notecheck and rules versions, the summary, the cards worst first (note texts folded), and a little
script that filters and sorts them. A Content-Security-Policy lets only this file's own script and
style run.

With ``include_text=False`` the report holds no note text at all: values, offsets and reasons only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Sequence, TextIO

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__
from ..errors import NotecheckError
from ..models import ELEMENTS, STATUS_RANK, CodeResult, Evidence, NoteResult
from ..rules import RulePack, load_rules
from ..scoring import unmet
from .csv_queue import NO_RULE_FLAG, review_tier

# One colour per element, for swatches and bars; highlights use it faded.
COLOURS = {
    "nerve_target": "#e8590c",
    "agent": "#e03131",
    "volume": "#7048e8",
    "imaging": "#1c7ed6",
    "laterality": "#2f9e44",
    "consent": "#d6336c",
    "indication": "#f59f00",
    "placement_confirmation": "#0c8599",
    "response": "#12b886",
    "follow_up": "#74b816",
    "muscles": "#ae3ec9",
}
OTHER_COLOUR = "#868e96"
STATUSES = sorted(STATUS_RANK, key=STATUS_RANK.__getitem__, reverse=True)  # worst first
TOP_MISSING = 6  # bars per code in the summary chart


def _css_name(name: str) -> str:
    """A class-name-safe form of an element id (they are snake_case already; this is a guard)."""
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


def _codes_label(code: CodeResult) -> str:
    return code.code + "".join(f"-{m}" for m in code.modifiers) + (f" \u00d7{code.units}" if code.units > 1 else "")


# --------------------------------------------------------------------------- what satisfies an element


class Hints:
    """What would satisfy a missing element, in the rule pack's own words.

    Uses the shipped (or $NOTECHECK_RULES) pack, and only for results scored with that same pack
    version; otherwise the report says why the element is unmet and no more.
    """

    def __init__(self, pack: RulePack | None):
        self.pack = pack

    @classmethod
    def load(cls) -> Hints:
        try:
            return cls(load_rules())
        except NotecheckError:  # no readable pack: the report still works, without descriptions
            return cls(None)

    def _rule(self, result: NoteResult, code: CodeResult):
        if self.pack is None or self.pack.version != result.rules_version or code.code not in self.pack.codes:
            return None
        for rule in self.pack.codes[code.code]:
            if f"{rule.code}@{rule.effective_from.isoformat()}" == code.rule_version:
                return rule
        return None

    def why(self, result: NoteResult, code: CodeResult, element: str) -> str:
        finding = result.elements.get(element)
        rule = self._rule(result, code)
        if rule is not None and finding is not None:
            return unmet(element, rule, result.elements) or "not satisfied"
        return "not documented" if finding is None or not finding.present else "not satisfied"

    def satisfy(self, result: NoteResult, code: CodeResult, element: str) -> str:
        rule = self._rule(result, code)
        if rule is None or element not in self.pack.elements:
            return ""
        spec = self.pack.elements[element]
        parts = [spec.description]
        if element == "agent" and rule.agents:
            parts.append(f"This code accepts: {', '.join(rule.agents)}.")
        elif element == "nerve_target" and rule.targets:
            parts.append(f"This code covers: {', '.join(rule.targets)}.")
        elif element == "muscles" and rule.muscles:
            m = rule.muscles
            count = f"{m.min} to {m.max}" if m.max else f"at least {m.min}"
            parts.append(f"This code needs {count} muscles" + (f" ({m.region})." if m.region else "."))
        accepted = set(rule.agents if element == "agent" else rule.targets if element == "nerve_target" else ())
        terms = [t for t in spec.terms if t.value in accepted] or spec.terms  # what this code takes, first
        examples = [f"\u201c{t.phrases[0]}\u201d" for t in terms[:3]]
        if spec.labels:
            examples.append(f"a filled-in \u201c{spec.labels[0].capitalize()}:\u201d line")
        if examples:
            parts.append("For example: " + ", ".join(examples) + ".")
        for cond in rule.conditional:
            if cond.element == element:
                parts.append(f"Required here because {cond.why}.")
        return " ".join(parts)


# --------------------------------------------------------------------------- templates


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("notecheck", "templates"), autoescape=True, undefined=StrictUndefined)
    env.filters["css"] = _css_name
    return env


def _asset(name: str) -> str:
    return resources.files("notecheck").joinpath("templates", name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- note text with highlights


def _spans(result: NoteResult, length: int) -> list[tuple[int, int, str, Evidence]]:
    spans = []
    for name, finding in result.elements.items():
        for ev in finding.evidence + finding.excluded:
            start, end = max(0, ev.start), min(length, ev.end)
            if start < end:
                spans.append((start, end, name, ev))
    return spans


def _span_title(name: str, ev: Evidence) -> str:
    label = name + (f" = {ev.value}" if ev.value else "")
    return label + (f" (excluded: {ev.reason})" if ev.reason else "")


def highlight(text: str, result: NoteResult) -> Markup:
    """The note text, escaped, with every evidence span marked.

    The text is cut at every span boundary, so overlapping and nested spans render correctly: each
    piece is marked once, coloured by the innermost counted span over it, and its title names them all.
    Pieces covered only by excluded mentions are struck through and muted.
    """
    spans = _spans(result, len(text))
    opens, closes = defaultdict(list), defaultdict(list)
    for n, (start, end, _, _) in enumerate(spans):
        opens[start].append(n)
        closes[end].append(n)
    bounds = sorted({0, len(text), *opens, *closes})
    active: dict[int, tuple] = {}
    pieces = []
    for a, b in pairwise(bounds):
        for n in closes.get(a, ()):
            active.pop(n, None)
        for n in opens.get(a, ()):
            active[n] = spans[n]
        if not active:
            pieces.append({"text": text[a:b], "classes": ""})
            continue
        over = sorted(active.values(), key=lambda s: (s[1] - s[0], s[0]))  # innermost first
        counted = [s for s in over if s[3].reason is None]
        top = counted[0] if counted else over[0]
        classes = ["ev", f"e-{_css_name(top[2])}"]
        if not counted:
            classes.append("x")
        if len({s[2] for s in over}) > 1:
            classes.append("multi")
        title = "; ".join(dict.fromkeys(_span_title(s[2], s[3]) for s in over))
        pieces.append({"text": text[a:b], "classes": " ".join(classes), "title": title})
    return Markup(_env().get_template("highlight.html.j2").render(pieces=pieces))


def offsets(result: NoteResult) -> list[dict]:
    """Evidence without note text: per element the values with their offsets, and the excluded ones with the reason."""
    return [{"name": name, "counted": finding.evidence, "excluded": finding.excluded}
            for name, finding in result.elements.items() if finding.evidence or finding.excluded]


# --------------------------------------------------------------------------- one card per note


def _reasons(result: NoteResult, element: str) -> list[str]:
    finding = result.elements.get(element)
    return list(dict.fromkeys(ev.reason for ev in finding.excluded if ev.reason)) if finding else []


def _missing(result: NoteResult, hints: Hints) -> list[dict]:
    items = []
    for c in result.codes:
        for el in c.missing:
            reasons = _reasons(result, el)
            finding = result.elements.get(el)
            why = hints.why(result, c, el)
            if reasons and (finding is None or not finding.present):
                why = "the mentions found do not count"
            items.append({"code": c.code, "element": el, "css": _css_name(el), "reasons": ", ".join(reasons),
                          "why": why, "hint": hints.satisfy(result, c, el)})
    return items


def _date_line(result: NoteResult) -> str:
    if result.error is not None:
        return ""
    if result.service_date_source == "column":
        return f"date of service {result.service_date}"
    if result.service_date_source == "unreadable":
        return "date of service unreadable (see warnings): newest rules used"
    return "no date of service: newest rules used"


def flagged(result: NoteResult) -> bool:
    return bool(any(c.flags for c in result.codes) or result.unsupported_codes or result.warnings)


def card_context(result: NoteResult, include_text: bool, hints: Hints, kept: dict[str, int]) -> dict:
    """What one card shows; ``kept`` maps each pass-through column name to its index (``data-k0``...)."""
    flag_kinds = [f.kind for c in result.codes for f in c.flags]
    flag_kinds += [NO_RULE_FLAG] * bool(result.unsupported_codes) + [w.kind for w in result.warnings]
    attrs = [
        ("data-status", result.status),
        ("data-score", "" if result.score is None else str(result.score)),
        ("data-id", result.id),
        ("data-codes", " ".join(c.code for c in result.codes)),
        ("data-missing", " ".join(dict.fromkeys(el for c in result.codes for el in c.missing))),
        ("data-flags", " ".join(dict.fromkeys(flag_kinds))),
        *((f"data-k{kept[name]}", value or "") for name, value in result.columns),
    ]
    show = result.error is None and bool(result.elements)
    return {
        "status": result.status, "status_class": _css_name(result.status), "attrs": attrs, "score": result.score,
        "id": result.id, "source": result.source, "error": result.error, "date_line": _date_line(result),
        "columns": result.columns,
        "codes": [{"label": _codes_label(c), "title": c.title, "source": c.source, "reason": c.reason,
                   "status": c.status, "score": c.score} for c in result.codes],
        "unsupported": result.unsupported_codes,
        "missing": _missing(result, hints),
        "flags": [{"kind": f.kind, "message": f.message, "suggested": ", ".join(f.suggested_codes)}
                  for c in result.codes for f in c.flags],
        "warnings": result.warnings,
        "found": [(n, ", ".join(f.values)) for n, f in result.elements.items() if f.present],
        "text": highlight(result.text, result) if show and include_text and result.text is not None else None,
        "offsets": offsets(result) if show and not (include_text and result.text is not None) else None,
    }


def card(result: NoteResult, include_text: bool, hints: Hints, kept: dict[str, int] | None = None) -> str:
    """One note: header, codes, what is missing and what would satisfy it, flags, and the evidence."""
    if kept is None:
        kept = {name: i for i, (name, _) in enumerate(result.columns)}
    return _env().get_template("card.html.j2").render(c=card_context(result, include_text, hints, kept))


def card_order(result: NoteResult) -> tuple:
    """Worst first: errors, incomplete, flagged (a complete code with a finding, a code without rules, a warning),
    no code, complete; flagged notes and lower scores first within each."""
    is_flagged = flagged(result)
    return (review_tier(result.status, is_flagged), 0 if is_flagged else 1,
            -1 if result.score is None else result.score, result.id)


# --------------------------------------------------------------------------- summary


def bar_chart(missing: dict[str, Counter], notes_per_code: Counter) -> dict | None:
    """Geometry of the inline SVG: per code, its most often missing elements as horizontal bars (count of notes)."""
    if not any(missing.values()):
        return None
    row, label_w, bar_w = 20, 170, 260
    most = max(n for counts in missing.values() for n in counts.values())
    items, y = [], 0
    for code in sorted(missing):
        counts = missing[code]
        if not counts:
            continue
        y += row
        items.append({"heading": True, "code": code, "notes": notes_per_code[code], "y": y - 5})
        for element, n in counts.most_common(TOP_MISSING):
            items.append({"heading": False, "code": code, "element": element, "n": n, "y": y,
                          "width": max(2, round(bar_w * n / most)), "colour": COLOURS.get(element, OTHER_COLOUR)})
            y += row
        y += 6
    return {"items": items, "width": label_w + bar_w + 50, "height": y, "label_w": label_w, "bar_h": row - 6}


# --------------------------------------------------------------------------- the renderer


class HtmlRenderer:
    """``inputs`` names what was scanned, for the report's header."""

    def __init__(self, stream: TextIO, include_text: bool = True, inputs: Sequence[str] = ()):
        self.stream = stream
        self.include_text = include_text
        self.inputs = [str(i) for i in inputs]
        self.hints = Hints.load()
        self.cards: list[tuple[tuple, str]] = []
        self.by_status: Counter = Counter()
        self.by_code: dict[str, Counter] = defaultdict(Counter)  # code -> status -> notes
        self.titles: dict[str, str] = {}
        self.missing: dict[str, Counter] = defaultdict(Counter)  # code -> element -> notes
        self.missing_any: Counter = Counter()  # element -> notes missing it for some code
        self.flags: Counter = Counter()  # kind -> notes
        self.rules_versions: set[str] = set()
        self.profiles: set[str] = set()  # payer profiles the notes were scored with
        self.kept: dict[str, int] = {}  # pass-through column -> index, in the order first met
        self.service_dates: set[str] = set()

    def write(self, result: NoteResult) -> None:
        for name, _ in result.columns:
            self.kept.setdefault(name, len(self.kept))
        self.cards.append((card_order(result), card(result, self.include_text, self.hints, self.kept)))
        self.by_status[result.status] += 1
        if result.rules_version:
            self.rules_versions.add(result.rules_version)
        if result.service_date:
            self.service_dates.add(result.service_date)
        if result.profile:
            self.profiles.add(result.profile)
        for c in result.codes:
            self.by_code[c.code][c.status] += 1
            self.titles.setdefault(c.code, c.title)
            self.missing[c.code].update(set(c.missing))
        self.missing_any.update({el for c in result.codes for el in c.missing})
        kinds = {f.kind for c in result.codes for f in c.flags} | {w.kind for w in result.warnings}
        self.flags.update(kinds | ({NO_RULE_FLAG} if result.unsupported_codes else set()))

    def close(self) -> None:
        self.cards.sort(key=lambda item: item[0])
        script = _asset("report.js")
        style = _asset("report.css") + _env().get_template("colours.css.j2").render(colours=COLOURS)
        csp = (f"default-src 'none'; style-src 'sha256-{_sha256(style)}'; script-src 'sha256-{_sha256(script)}'; "
               "img-src data:; base-uri 'none'; form-action 'none'")
        notes_per_code = Counter({code: sum(c.values()) for code, c in self.by_code.items()})
        dates = sorted(self.service_dates)
        page = _env().get_template("report.html.j2").render(
            csp=csp, style=Markup(style), script=Markup(script),
            total=len(self.cards),
            inputs=", ".join(self.inputs) or "the notes given",
            text_note="with note text (folded: open a note, or unfold them all)" if self.include_text
            else "without note text (values, offsets and reasons only)",
            checked_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            service_dates=(dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}") if dates else "",
            notecheck_version=__version__,
            rules=", ".join(sorted(self.rules_versions)) or "unknown",
            profiles=", ".join(sorted(self.profiles)) or "unknown",
            statuses=STATUSES, by_status=self.by_status,
            flags=self.flags.most_common(), flag_counts=self.flags, flag_order=sorted(self.flags),
            elements=ELEMENTS,
            codes=[{"code": code, "title": self.titles[code], "notes": notes_per_code[code],
                    "complete": self.by_code[code]["complete"], "incomplete": self.by_code[code]["incomplete"]}
                   for code in sorted(self.by_code)],
            chart=bar_chart(self.missing, notes_per_code),
            code_counts=notes_per_code, code_order=sorted(self.by_code),
            missing_any=self.missing_any,
            element_order=list(ELEMENTS) + sorted(set(self.missing_any) - set(ELEMENTS)),
            kept=list(self.kept), show_text=self.include_text,
            cards=[Markup(html) for _, html in self.cards],
        )
        self.stream.write(page)
        self.stream.flush()


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
