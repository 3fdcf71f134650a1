"""The HTML report: one self-contained file for auditors (inline CSS, JS and SVG; nothing is fetched).

``write`` turns each result into a compact card at once and keeps only that card and the summary
counts; ``close`` writes the summary, the cards worst first, and a little script that filters and
sorts them. Everything taken from a note or a rule file goes through ``html.escape``, and a
Content-Security-Policy lets only this file's own script and style run.

With ``include_text=False`` the report holds no note text at all: values, offsets and reasons only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter, defaultdict
from html import escape
from itertools import pairwise
from typing import TextIO

from ..errors import NotecheckError
from ..models import ELEMENTS, STATUS_RANK, CodeResult, Evidence, NoteResult
from ..rules import RulePack, load_rules
from ..scoring import unmet

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
NONE_FLAGGED = '<p class="muted">No flags.</p>'


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
        examples = [f"\u201c{t.phrases[0]}\u201d" for t in spec.terms[:3]]
        if spec.labels:
            examples.append(f"a filled-in \u201c{spec.labels[0].capitalize()}:\u201d line")
        if examples:
            parts.append("For example: " + ", ".join(examples) + ".")
        for cond in rule.conditional:
            if cond.element == element:
                parts.append(f"Required here because {cond.why}.")
        return " ".join(parts)


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


def highlight(text: str, result: NoteResult) -> str:
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
    out = []
    for a, b in pairwise(bounds):
        for n in closes.get(a, ()):
            active.pop(n, None)
        for n in opens.get(a, ()):
            active[n] = spans[n]
        piece = escape(text[a:b])
        if not active:
            out.append(piece)
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
        out.append(f'<mark class="{" ".join(classes)}" title="{escape(title)}">{piece}</mark>')
    return "".join(out)


def offsets_table(result: NoteResult) -> str:
    """Evidence without note text: per element the values with their offsets, excluded ones struck with the reason."""
    rows = []
    for name, finding in result.elements.items():
        if not finding.evidence and not finding.excluded:
            continue
        counted = ", ".join(f"{ev.start}\u2013{ev.end} {escape(ev.value or '')}".rstrip() for ev in finding.evidence)
        excluded = ", ".join(
            f'<s title="{escape(ev.reason or "")}">{ev.start}\u2013{ev.end} {escape(ev.value or "")}'.rstrip()
            + f"</s> ({escape(ev.reason or '')})"
            for ev in finding.excluded
        )
        rows.append(f'<tr><th><i class="sw e-{_css_name(name)}"></i>{escape(name)}</th><td>{counted}</td><td class="muted">{excluded}</td></tr>')
    if not rows:
        return '<p class="muted">no evidence found</p>'
    return '<table class="spans"><tr><th>element</th><th>counted (offsets, value)</th><th>excluded</th></tr>' + "".join(rows) + "</table>"


# --------------------------------------------------------------------------- one card per note


def _badge(status: str) -> str:
    return f'<span class="badge st-{_css_name(status)}">{escape(status.replace("_", " "))}</span>'


def _codes_table(result: NoteResult) -> str:
    rows = "".join(
        f"<tr><td><b>{escape(_codes_label(c))}</b></td><td>{escape(c.title)}</td><td>{escape(c.source)}"
        + (f' <span class="muted">({escape(c.reason)})</span>' if c.reason else "")
        + f'</td><td>{_badge(c.status)}</td><td class="num">{c.score}</td></tr>'
        for c in result.codes
    )
    return f'<table class="codes">{rows}</table>'


def _missing_list(result: NoteResult, hints: Hints) -> str:
    items = []
    for c in result.codes:
        for el in c.missing:
            hint = hints.satisfy(result, c, el)
            items.append(f'<li><i class="sw e-{_css_name(el)}"></i><b>{escape(c.code)}</b> is missing <b>{escape(el)}</b>: '
                         f"{escape(hints.why(result, c, el))}."
                         + (f' <span class="hint">{escape(hint)}</span>' if hint else "") + "</li>")
    return f'<ul class="missing">{"".join(items)}</ul>' if items else ""


def _flags_list(result: NoteResult) -> str:
    items = [
        f"<li><b>{escape(f.kind)}</b>: {escape(f.message)}"
        + (f' <span class="muted">suggested: {escape(", ".join(f.suggested_codes))}</span>' if f.suggested_codes else "")
        + "</li>"
        for c in result.codes
        for f in c.flags
    ]
    return f'<ul class="flags">{"".join(items)}</ul>' if items else ""


def _found_chips(result: NoteResult) -> str:
    chips = [f'<span class="chip e-{_css_name(n)}">{escape(n)}' + (f": {escape(', '.join(f.values))}" if f.values else "")
             + "</span>" for n, f in result.elements.items() if f.present]
    return f'<p class="found">{"".join(chips)}</p>' if chips else ""


def card(result: NoteResult, include_text: bool, hints: Hints) -> str:
    """One note: header, codes, what is missing and what would satisfy it, flags, and the evidence."""
    attrs = {
        "data-status": result.status,
        "data-score": "" if result.score is None else str(result.score),
        "data-id": result.id,
        "data-codes": " ".join(c.code for c in result.codes),
        "data-missing": " ".join(dict.fromkeys(el for c in result.codes for el in c.missing)),
        "data-flags": " ".join(dict.fromkeys(f.kind for c in result.codes for f in c.flags)),
    }
    data = "".join(f' {name}="{escape(value)}"' for name, value in attrs.items())
    score = "" if result.score is None else f'<b class="score">{result.score}</b>'
    parts = [f'<article class="card c-{_css_name(result.status)}"{data}>',
             f'<header>{_badge(result.status)}{score}<h2>{escape(result.id)}</h2>'
             f'<span class="src">{escape(result.source)}</span>'
             + (f'<span class="src">profile {escape(result.profile)}</span>' if result.profile else "") + '</header>']
    if result.error is not None:
        parts.append(f'<p class="error"><b>{escape(result.error.kind)}</b>: {escape(result.error.message)}</p>')
    elif result.codes:
        parts.append(_codes_table(result))
    else:
        parts.append('<p class="muted">No billed code with rules was found for this note.</p>')
    if result.unsupported_codes:
        parts.append(f'<p class="muted">Billed codes without a rule file: {escape(", ".join(result.unsupported_codes))}</p>')
    parts += [_missing_list(result, hints), _flags_list(result), _found_chips(result)]
    if result.error is None and result.elements:
        if include_text and result.text is not None:
            parts.append(f'<details open><summary>note text</summary><pre class="text">{highlight(result.text, result)}</pre></details>')
        else:
            parts.append(f"<details><summary>evidence offsets</summary>{offsets_table(result)}</details>")
    parts.append("</article>")
    return "".join(parts)


def card_order(result: NoteResult) -> tuple:
    """Worst first: errors, incomplete, no code, complete; flagged notes and lower scores first within each."""
    flagged = 0 if any(c.flags for c in result.codes) else 1
    return (-STATUS_RANK.get(result.status, 0), flagged, -1 if result.score is None else result.score, result.id)


# --------------------------------------------------------------------------- summary


def bar_chart(missing: dict[str, Counter], notes_per_code: Counter) -> str:
    """Inline SVG: per code, its most often missing elements as horizontal bars (count of notes)."""
    if not any(missing.values()):
        return '<p class="muted">No code is missing any element.</p>'
    row, label_w, bar_w = 20, 170, 260
    most = max(n for counts in missing.values() for n in counts.values())
    shapes, y = [], 0
    for code in sorted(missing):
        counts = missing[code]
        if not counts:
            continue
        y += row
        shapes.append(f'<text x="0" y="{y - 5}" class="code">{escape(code)} ({notes_per_code[code]} notes)</text>')
        for element, n in counts.most_common(TOP_MISSING):
            width = max(2, round(bar_w * n / most))
            colour = COLOURS.get(element, OTHER_COLOUR)
            shapes.append(
                f'<g class="bar" data-f-code="{escape(code)}" data-f-element="{escape(element)}">'
                f"<title>{escape(code)}: {escape(element)} missing in {n} notes</title>"
                f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(element)}</text>'
                f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row - 6}" rx="2" fill="{colour}"></rect>'
                f'<text x="{label_w + width + 5}" y="{y + 14}">{n}</text></g>'
            )
            y += row
        y += 6
    total_w = label_w + bar_w + 50
    return (f'<svg class="chart" role="img" aria-label="most often missing elements per code" '
            f'width="{total_w}" height="{y}" viewBox="0 0 {total_w} {y}">{"".join(shapes)}</svg>')


def _options(label: str, name: str, counts: Counter, order: list[str]) -> str:
    opts = "".join(f'<option value="{escape(v)}">{escape(v)} ({counts[v]})</option>' for v in order if counts[v])
    return f'<label>{label} <select id="f-{name}"><option value="">all</option>{opts}</select></label>'


def _clickable(label: str, n: int, **filters: str) -> str:
    attrs = "".join(f' data-f-{k}="{escape(v)}"' for k, v in filters.items())
    return f'<button type="button" class="pick"{attrs}>{label} <b>{n}</b></button>'


# --------------------------------------------------------------------------- the renderer


class HtmlRenderer:
    def __init__(self, stream: TextIO, include_text: bool = True):
        self.stream = stream
        self.include_text = include_text
        self.hints = Hints.load()
        self.cards: list[tuple[tuple, str]] = []
        self.by_status: Counter = Counter()
        self.by_code: dict[str, Counter] = defaultdict(Counter)  # code -> status -> notes
        self.titles: dict[str, str] = {}
        self.missing: dict[str, Counter] = defaultdict(Counter)  # code -> element -> notes
        self.missing_any: Counter = Counter()  # element -> notes missing it for some code
        self.flags: Counter = Counter()  # kind -> notes
        self.rules_versions: set[str] = set()
        self.profiles: set[str] = set()

    def write(self, result: NoteResult) -> None:
        self.cards.append((card_order(result), card(result, self.include_text, self.hints)))
        self.by_status[result.status] += 1
        if result.rules_version:
            self.rules_versions.add(result.rules_version)
        if result.profile:
            self.profiles.add(result.profile)
        for c in result.codes:
            self.by_code[c.code][c.status] += 1
            self.titles.setdefault(c.code, c.title)
            self.missing[c.code].update(set(c.missing))
        self.missing_any.update({el for c in result.codes for el in c.missing})
        self.flags.update({f.kind for c in result.codes for f in c.flags})

    def close(self) -> None:
        self.cards.sort(key=lambda item: item[0])
        script, style = _SCRIPT, _style()
        csp = (f"default-src 'none'; style-src 'sha256-{_sha256(style)}'; script-src 'sha256-{_sha256(script)}'; "
               "img-src data:; base-uri 'none'; form-action 'none'")
        w = self.stream.write
        w(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
          f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
          f'<meta name="viewport" content="width=device-width, initial-scale=1">'
          f"<title>notecheck report: {len(self.cards)} notes</title><style>{style}</style></head><body>\n")
        w(self._summary())
        w('<main id="cards">\n')
        for _, html in self.cards:
            w(html)
            w("\n")
        w(f"</main><script>{script}</script></body></html>\n")
        self.stream.flush()

    def _summary(self) -> str:
        total = len(self.cards)
        text_note = "with note text" if self.include_text else "without note text (values, offsets and reasons only)"
        rules = escape(", ".join(sorted(self.rules_versions)) or "unknown")
        boxes = [self._status_box(), self._flags_box(), self._legend_box(), self._codes_box(), self._chart_box()]
        profiles = escape(", ".join(sorted(self.profiles)) or "unknown")
        return (f'<header class="top"><h1>notecheck report</h1><p>{total} notes, {text_note}; rules {rules}; '
                f'profile {profiles}</p></header>'
                f'<section class="summary">{"".join(boxes)}</section>' + self._filters())

    def _filters(self) -> str:
        total = len(self.cards)
        controls = [
            _options("status", "status", self.by_status, STATUSES),
            _options("code", "code", Counter({k: sum(v.values()) for k, v in self.by_code.items()}), sorted(self.by_code)),
            _options("missing element", "element", self.missing_any, list(ELEMENTS) + sorted(set(self.missing_any) - set(ELEMENTS))),
            _options("flag", "flag", self.flags, sorted(self.flags)),
            '<label>sort <select id="f-sort"><option value="worst">worst first</option>'
            '<option value="low">score, low to high</option><option value="high">score, high to low</option>'
            '<option value="id">note id</option></select></label>',
            '<button type="button" id="f-reset">show all</button>',
            f'<span id="shown">{total} of {total} notes</span>',
        ]
        return f'<nav class="filters">{"".join(controls)}</nav>\n'

    def _status_box(self) -> str:
        picks = "".join(_clickable(_badge(s), self.by_status[s], status=s) for s in STATUSES if self.by_status[s])
        return f'<div class="box"><h3>Notes by status</h3>{picks}</div>'

    def _flags_box(self) -> str:
        picks = "".join(_clickable(escape(k), n, flag=k) for k, n in self.flags.most_common())
        return f'<div class="box"><h3>Flags by kind</h3>{picks or NONE_FLAGGED}</div>'

    def _legend_box(self) -> str:
        chips = "".join(f'<span class="chip e-{_css_name(e)}">{escape(e)}</span>' for e in ELEMENTS)
        return (f'<div class="box grow"><h3>Evidence colours</h3>{chips}<p class="muted">Struck-through, muted text is a '
                "mention that does not count (negated, historical, planned, placeholder...); hover it for the reason.</p></div>")

    def _codes_box(self) -> str:
        rows = "".join(
            f"<tr><td>{_clickable(escape(code), sum(self.by_code[code].values()), code=code)}</td>"
            f"<td>{escape(self.titles[code])}</td>"
            + "".join(f'<td class="num">{self.by_code[code][s]}</td>' for s in ("complete", "incomplete"))
            + "</tr>"
            for code in sorted(self.by_code)
        )
        table = (f"<table><tr><th>code</th><th>title</th><th>complete</th><th>incomplete</th></tr>{rows}</table>"
                 if rows else '<p class="muted">No note has a billed code with rules.</p>')
        return f'<div class="box grow"><h3>Notes by code</h3>{table}</div>'

    def _chart_box(self) -> str:
        notes_per_code = Counter({code: sum(c.values()) for code, c in self.by_code.items()})
        return f'<div class="box"><h3>Most often missing, per code</h3>{bar_chart(self.missing, notes_per_code)}</div>'


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _style() -> str:
    colours = "".join(
        f".sw.e-{e}{{background:{c}}}.chip.e-{e}{{border-color:{c};background:{c}22}}"
        f"mark.e-{e}{{background:{c}44;border-bottom:2px solid {c}}}"
        for e, c in COLOURS.items()
    )
    return _CSS + colours


_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529;background:#f1f3f5}
[hidden]{display:none!important}
header.top{padding:12px 20px;background:#212529;color:#f8f9fa}
header.top h1{margin:0;font-size:20px}header.top p{margin:2px 0 0;color:#ced4da}
.summary{display:flex;flex-wrap:wrap;gap:12px;padding:12px 20px}
.box{background:#fff;border:1px solid #dee2e6;border-radius:6px;padding:10px 14px;min-width:220px}
.box.grow{flex:1 1 340px}.box h3{margin:0 0 8px;font-size:14px}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}
th{font-weight:600;color:#495057}.num{text-align:right}
.pick{font:inherit;white-space:nowrap;border:1px solid #dee2e6;background:#f8f9fa;border-radius:4px;padding:2px 8px;margin:2px;cursor:pointer}
.pick:hover{background:#e7f5ff}
.chart text{font-size:12px;fill:#343a40}.chart text.code{font-weight:600}.chart .bar{cursor:pointer}
.chart .bar:hover rect{opacity:.75}
.filters{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:10px;align-items:center;
 padding:8px 20px;background:#e9ecef;border-bottom:1px solid #ced4da}
.filters select,.filters button{font:inherit}#shown{color:#495057}
main{padding:12px 20px;display:flex;flex-direction:column;gap:10px}
.card{background:#fff;border:1px solid #dee2e6;border-left:5px solid #adb5bd;border-radius:6px;padding:8px 14px;
 content-visibility:auto;contain-intrinsic-size:auto 300px}
.card header{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
.card h2{font-size:15px;margin:0;word-break:break-all}.src{color:#868e96;font-size:12px;word-break:break-all}
.score{font-size:18px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;background:#868e96}
.st-complete{background:#2f9e44}.st-incomplete{background:#e67700}.st-no_code{background:#1971c2}.st-error{background:#c92a2a}
.c-complete{border-left-color:#2f9e44}.c-incomplete{border-left-color:#e67700}
.c-no_code{border-left-color:#1971c2}.c-error{border-left-color:#c92a2a}
.codes{margin:6px 0}.muted{color:#868e96}.hint{color:#495057;font-size:13px}
ul.missing,ul.flags{margin:4px 0;padding-left:18px}ul.flags li{color:#862e9c}
.error{color:#c92a2a}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;background:#868e96}
.chip{display:inline-block;border:1px solid #adb5bd;border-radius:4px;padding:0 6px;margin:2px 4px 2px 0;font-size:12px}
details summary{cursor:pointer;color:#495057;font-size:12px}
pre.text{white-space:pre-wrap;word-wrap:break-word;font:13px/1.5 ui-monospace,Menlo,Consolas,monospace;
 background:#f8f9fa;border:1px solid #e9ecef;padding:8px;margin:4px 0;max-height:480px;overflow:auto}
mark.ev{color:inherit;border-radius:2px;padding:0}
mark.x{background:none!important;border-bottom:none!important;color:#adb5bd;text-decoration:line-through}
mark.multi{outline:1px dashed #495057}
table.spans{font-size:12px}table.spans td{font-family:ui-monospace,Menlo,Consolas,monospace}
"""

_SCRIPT = """
(function () {
  var list = document.getElementById('cards');
  var cards = Array.prototype.slice.call(list.querySelectorAll('article.card'));
  var names = ['status', 'code', 'element', 'flag'];
  var keys = {status: 'status', code: 'codes', element: 'missing', flag: 'flags'};
  var select = {};
  names.concat(['sort']).forEach(function (n) { select[n] = document.getElementById('f-' + n); });
  cards.forEach(function (c, i) { c.dataset.order = i; });

  function matches(card, name) {
    var want = select[name].value;
    return !want || card.dataset[keys[name]].split(' ').indexOf(want) >= 0;
  }
  function filter() {
    var shown = 0;
    cards.forEach(function (c) {
      var ok = names.every(function (n) { return matches(c, n); });
      c.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown + ' of ' + cards.length + ' notes';
  }
  function score(c, missing) { return c.dataset.score === '' ? missing : Number(c.dataset.score); }
  var orders = {
    worst: function (a, b) { return a.dataset.order - b.dataset.order; },
    low: function (a, b) { return score(a, Infinity) - score(b, Infinity) || a.dataset.order - b.dataset.order; },
    high: function (a, b) { return score(b, -Infinity) - score(a, -Infinity) || a.dataset.order - b.dataset.order; },
    id: function (a, b) { return a.dataset.id.localeCompare(b.dataset.id); }
  };
  function sort() { cards.slice().sort(orders[select.sort.value]).forEach(function (c) { list.appendChild(c); }); }

  names.forEach(function (n) { select[n].addEventListener('change', filter); });
  select.sort.addEventListener('change', sort);
  document.getElementById('f-reset').addEventListener('click', function () {
    names.forEach(function (n) { select[n].value = ''; });
    filter();
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-f-status],[data-f-code],[data-f-element],[data-f-flag]'), function (el) {
    el.addEventListener('click', function () {
      names.forEach(function (n) {
        var want = el.getAttribute('data-f-' + n) || '';
        var known = Array.prototype.some.call(select[n].options, function (o) { return o.value === want; });
        select[n].value = known ? want : '';
      });
      filter();
      list.scrollIntoView();
    });
  });
})();
"""
