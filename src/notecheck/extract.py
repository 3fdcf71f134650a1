"""From a processed Doc to one ElementFinding per element of the spec.

A mention counts when nothing rules it out: a ConText cue (negated, planned, hypothetical, historical,
other experiencer, skin-wheal local, contrast amount), the section it sits in (HISTORY, PLAN), a template
placeholder, or an element rule (a side that belongs to nothing treated; muscles without a toxin).
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass

from spacy.attrs import IDX, LENGTH, LOWER, NORM
from spacy.strings import get_string_id
from spacy.tokens import Doc

from .models import ELEMENTS, ElementFinding, Evidence
from .pipeline import (
    HEADERS_KEY,
    MODIFIERS_KEY,
    doc_text,
    known_labels,
    mentions_of,
    normalize_label,
    sentence_starts,
)
from .policy_values import Normalizers
from .rules import RulePack, SectionSpec

FINDING_REASONS = frozenset(("negated", "historical", "hypothetical", "planned", "other_experiencer"))

_UNITS = {
    "ml": "mL", "mls": "mL", "cc": "mL", "ccs": "mL", "milliliter": "mL", "milliliters": "mL", "millilitre": "mL",
    "millilitres": "mL", "cm3": "mL", "unit": "units", "units": "units", "u": "units", "iu": "units",
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "mcg": "mcg", "microgram": "mcg", "micrograms": "mcg",
}
_WORD_NUMBERS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20", "half": "0.5",
}
# Words after a side that make it the side of a treated structure.
_SIDE_ANCHORS = frozenset(
    "side sided sides extremity extremities upper lower leg legs thigh calf knee knees hip hips shoulder ankle "
    "foot feet buttock groin gluteal sacroiliac si facet facets joint joints lumbar cervical thoracic sacral "
    "paravertebral obturator genicular intercostal l1 l2 l3 l4 l5 s1 s2 s3 s4 c2 c3 c4 c5 c6 "
    "c7 t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 lue rue lle rle upper-extremity lower-extremity trigeminal "
    "occipital pelvic medial lateral superior inferior greater lesser common posterior anterior deep superficial "
    "eye hallux toe toes finger fingers digit thumb hand arm forearm elbow wrist neck chest".split()
)
_LIMB_SIDES = frozenset("LUE RUE LLE RLE".split())
_IV_SITES = frozenset("arm hand antecubital forearm wrist".split())
_VERB_BEFORE_LEFT = frozenset("was were is are be been being and then he she they patient needle".split())
_AFTER_LEFT_VERB = frozenset("in the with for at to home without".split())
_TODAY = get_string_id("today")
_DOING = frozenset(("nerve_target", "agent", "volume", "muscles"))  # what a procedure is done to or with
_UNTICKED = re.compile(r"\[\s*\]\s*$")
_NEGATING_VALUE = re.compile(r"^(no|not|none|declined|refused|unable|denied|deferred)\b", re.I)
_PLANNED_VALUE = re.compile(r"^(will|to be|plan|planned|pending)\b", re.I)


@dataclass(frozen=True, slots=True)
class _Section:
    start: int
    name: str
    category: str | None
    unless: tuple[str, ...]
    elements: frozenset[str] | None = None
    findings: bool = True


_LABELS_KEPT = 20_000  # header labels whose meaning is kept (a pack's labels, and what notes write)
_SENTENCE_END = ".!?"
_NEXT_SENTENCE = re.compile(r"[.!?][\"')\]]*[ \t]+(?=[A-Z0-9(\"\[])")  # as the sentence splitter breaks


def _inline_end(text: str, start: int, end: int) -> int | None:
    """Where the section of the header at ``start:end`` ends when its value is on the header's own line:
    the start of the first later line that begins a new statement (after a line ending in . ! or ?, a
    line starting with a capital, or after a blank line). None for a header alone on its line, a header
    inside a line (comma-joined exports) or a value that runs to the end of the note. A header after a
    sentence on its line ("... for clonus. Allergies: none. Consent obtained.") covers its own sentence."""
    line_end = text.find("\n", end)
    before = text[text.rfind("\n", 0, start) + 1:start].rstrip()
    if before:
        if before[-1] not in ".;!?":  # a header after a comma (a comma-joined export) or inside a sentence
            return None
        m = _NEXT_SENTENCE.search(text, end, len(text) if line_end == -1 else line_end)
        if m is not None:
            return m.end()
    if line_end == -1 or not text[end:line_end].strip():
        return None
    while True:
        line = text[end:line_end].rstrip()
        nxt = line_end + 1
        next_end = text.find("\n", nxt)
        following = text[nxt:next_end if next_end != -1 else len(text)]
        first = following.lstrip()[:1]
        if not first:
            return nxt if following.strip() == "" and next_end != -1 else None
        if line.endswith(tuple(_SENTENCE_END)) and (first.isupper() or first in "(\"["):
            return nxt + len(following) - len(following.lstrip())
        if next_end == -1:
            return None
        end, line_end = nxt, next_end


class _Sentences:
    """Sentence bounds and words of a Doc, read once from arrays (``Span.sent`` walks the Doc on every call)."""

    def __init__(self, doc: Doc, text: str):
        self.doc = doc
        self.doc_text = text
        arr = doc.to_array([LOWER, NORM, IDX, LENGTH])  # one read
        self.starts = sentence_starts(doc)
        self.ends = self.starts[1:] + [len(doc)]
        self.keys = arr[:, 0:2]
        self.char_starts = arr[:, 2].tolist()
        self.char_ends = (arr[:, 2] + arr[:, 3]).tolist()
        self._words: dict[int, frozenset[int]] = {}

    def index(self, token_i: int) -> int:
        return bisect.bisect_right(self.starts, token_i) - 1

    def bounds(self, token_i: int) -> tuple[int, int]:
        k = self.index(token_i)
        return self.starts[k], self.ends[k]

    def words(self, k: int) -> frozenset[int]:
        """The string ids of the lower-case forms and NORMs of sentence ``k``'s tokens."""
        if k not in self._words:
            self._words[k] = frozenset(self.keys[self.starts[k]: self.ends[k]].ravel().tolist())
        return self._words[k]

    def text(self, token_i: int) -> str:
        start, end = self.bounds(token_i)
        return self.doc_text[self.char_starts[start]: self.char_ends[end - 1]]


_AMOUNT = re.compile(
    r"([0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+|[a-z]+)(?:\s*(?:-|to)\s*([0-9]+(?:\.[0-9]+)?))?\s*([a-z0-9]+)$", re.I
)


def normalize_amount(written: str) -> str | None:
    """"5 cc" -> "5 mL"; "5cc" -> "5 mL"; "Five mL" -> "5 mL"; "150 units"; "2-3 mL" -> "2-3 mL"."""
    m = _AMOUNT.match(written.strip())
    if m is None or _UNITS.get(m.group(3).lower()) is None:
        return None
    numbers = [_number(g.lower()) for g in m.groups()[:2] if g]
    if not numbers or None in numbers:
        return None
    return f"{'-'.join(numbers)} {_UNITS[m.group(3).lower()]}"


def _number(word: str) -> str | None:
    word = word.replace(",", "")
    if word in _WORD_NUMBERS:
        return _WORD_NUMBERS[word]
    try:
        value = float(word)
    except ValueError:
        return None
    return f"{value:g}" if value < 1e6 else None


class Extractor:
    """Built once per rule pack; ``__call__`` is a pure function of the Doc."""

    def __init__(self, rules: RulePack):
        ctx = rules.context
        self.rules = rules
        self.reasons = dict(ctx.reasons)
        self.ignore = frozenset(ctx.ignore_categories)
        self.never = {cat: frozenset(els) for cat, els in ctx.never_excluded_by.items()}
        self.value_filter = {cat: {el: frozenset(v) for el, v in m.items()} for cat, m in ctx.value_filter.items()}
        self.placeholder = re.compile(r"^\s*(?:" + "|".join(ctx.placeholders) + r")\s*(?:ml|cc|units|mg)?\s*$", re.I)
        self.section_of_header: dict[str, SectionSpec] = {}
        for spec in rules.sections.sections:
            for h in spec.headers:
                self.section_of_header.setdefault(normalize_label(h), spec)
        self.element_of_label: dict[str, str] = {}
        for name, ef in rules.elements.items():
            for lb in ef.labels:
                self.element_of_label.setdefault(normalize_label(lb), name)
        # a label that several elements list ("Levels: right L4 medial branch") is a field of each of them
        self.also_of_label: dict[str, tuple[str, ...]] = {}
        for name, ef in rules.elements.items():
            for lb in ef.labels:
                key = normalize_label(lb)
                if self.element_of_label[key] != name and ef.reports_values:
                    self.also_of_label[key] = (*self.also_of_label.get(key, ()), name)
        self.label_contains = [(w.lower(), n) for n, ef in rules.elements.items() for w in ef.label_contains]
        self.header_contains = [(w.lower(), spec) for spec in rules.sections.sections for w in spec.header_contains]
        self.cues = {  # as string ids, compared with _Sentences.words
            n: frozenset(get_string_id(w.lower()) for w in ef.requires_cue) for n, ef in rules.elements.items() if ef.requires_cue
        }
        self.known_labels = known_labels(rules)
        self.agent_kinds = rules.agent_kinds
        self.injection_sites = rules.injection_sites
        self.sided = rules.sided
        self.valueless = frozenset(n for n, ef in rules.elements.items() if not ef.reports_values)
        self.allowed_label_values = {
            n: frozenset(v.lower() for v in ef.label_values_allowed) for n, ef in rules.elements.items()
        }
        scope = ctx.procedure_scope
        self.not_performed = (re.compile(r"\b(?:" + "|".join(re.escape(p) for p in scope.not_performed) + r")\b", re.I)
                              if scope.not_performed else None)
        self.not_performed_phrases = tuple(p.lower() for p in scope.not_performed)
        self.performed = frozenset(get_string_id(w.lower()) for w in scope.performed)
        self.scope_sections = frozenset(scope.sections)
        self.scope_kept = frozenset(scope.kept_elements)
        self.visit_headers = frozenset(normalize_label(h) for h in scope.visit_headers)
        self.visit_titles = (re.compile(r"\b(?:" + "|".join(re.escape(t) for t in scope.visit_titles) + r")\b", re.I)
                             if scope.visit_titles else None)
        by_name = Normalizers(rules).by_name  # `normalize:` of a pattern: its matched text -> the value
        self.normalize = {(n, tp.value): by_name[tp.normalize] for n, ef in rules.elements.items()
                          for tp in ef.patterns if tp.normalize}
        self.requires_agent_kind = {
            n: frozenset(ef.requires_agent_kind) for n, ef in rules.elements.items() if ef.requires_agent_kind
        }
        # what each header label means, worked out the first time it is met (templates repeat their labels)
        self._opens: dict[str, tuple | None] = {}
        self._label_elements: dict[str, str | None] = {}

    # ------------------------------------------------------------------ sections

    def sections(self, doc: Doc) -> tuple[list[int], list[_Section]]:
        """Where each section starts. A section runs to the next header, but for a section that changes
        what its mentions mean (a ``category`` such as HISTORICAL or PLANNED) whose header has its value
        on the same line ("Allergies: NKDA."): it covers that line and the lines that continue it, then
        the text returns to the section around it. A narrative after an "Allergies:" or "Plan:" line is
        not an allergy or a plan."""
        text = doc_text(doc)
        starts: list[int] = []
        secs: list[_Section] = []
        block: _Section | None = None  # the section the last header alone on its line opened
        for start, end, label in doc.user_data.get(HEADERS_KEY, ()):
            opens = self._opens.get(label, False)
            if opens is False:
                opens = self._section_opened(label)
                if len(self._opens) > _LABELS_KEPT:
                    self._opens.clear()
                self._opens[label] = opens
            if opens is None:
                continue  # a template field such as "Volume:" stays in the section around it
            sec = _Section(start, *opens)
            if starts and starts[-1] >= start:  # the return of an earlier inline header lands on or past this one
                del starts[-1], secs[-1]
            starts.append(start)
            secs.append(sec)
            back = _inline_end(text, start, end) if sec.category is not None else None
            if back is None:
                block = sec
            else:
                starts.append(back)
                secs.append(dataclasses.replace(block, start=back) if block else _Section(back, "other", None, ()))
        return starts, secs

    def _section_opened(self, label: str) -> tuple | None:
        """``(name, category, unless, elements, findings)`` of the section a header opens, or None for a template field."""
        spec = self.section_of_header.get(label) or next((sp for w, sp in self.header_contains if w in label), None)
        if spec is None and self.label_element(label):
            return None
        if spec is None:
            return "other", None, ()
        return (spec.name, spec.category, tuple(w.lower() for w in spec.unless),
                frozenset(spec.elements) if spec.elements is not None else None, spec.findings)

    def label_element(self, label: str) -> str | None:
        found = self._label_elements.get(label, False)
        if found is False:
            found = self.element_of_label.get(label)
            if found is None:
                found = next((el for w, el in self.label_contains if w in label), None)
            if len(self._label_elements) > _LABELS_KEPT:
                self._label_elements.clear()
            self._label_elements[label] = found
        return found

    # ------------------------------------------------------------------ mentions

    @staticmethod
    def _has_cue(start: int, cues: frozenset[int], agent_sents: set[int], sents: _Sentences) -> bool:
        k = sents.index(start)
        return k in agent_sents or not cues.isdisjoint(sents.words(k))

    def _context_reason(self, modifiers: tuple[tuple[str, int], ...], element: str, value: str) -> str | None:
        """Why a cue (``modifiers``: those that reach the mention) rules the mention out. A cue inside the mention
        (the "no" of "no complications") never reaches it (context.py); for the sentence's other mentions it
        is a cue like any other."""
        for cat, _cue_start in modifiers:
            if cat in self.ignore or element in self.never.get(cat, ()):
                continue
            only = self.value_filter.get(cat, {}).get(element)
            if only is not None and value not in only:
                continue
            return self.reasons.get(cat, cat.lower())
        return None

    def _section_reason(self, start: int, element: str, value: str, sec: _Section | None, sents: _Sentences) -> str | None:
        if sec is None or sec.category is None or sec.category in self.ignore:
            return None
        if element in self.never.get(sec.category, ()) or (sec.elements is not None and element not in sec.elements):
            return None
        only = self.value_filter.get(sec.category, {}).get(element)
        if only is not None and value not in only:
            return None
        sent = sents.text(start).lower()
        if any(w in sent for w in sec.unless):
            return None
        return self.reasons.get(sec.category, sec.category.lower())

    def finding_reasons(self, doc: Doc, targets: list[tuple[int, int, str] | None],
                        links: dict) -> list[frozenset[str]]:
        """``context_of``: the reasons that apply to each target as a clinical finding, from the cues that
        reach it and the section it sits in (HISTORY, FAMILY HISTORY, PLAN), unless its sentence lifts it."""
        text = doc_text(doc)
        sec_starts, secs = self.sections(doc)
        sents = _Sentences(doc, text)
        out = []
        for target in targets:
            if target is None:
                out.append(frozenset())
                continue
            found = {self.reasons.get(cat, cat.lower()) for cat, _ in links.get(target, ()) if cat not in self.ignore}
            i = bisect.bisect_right(sec_starts, doc[target[0]].idx) - 1
            sec = secs[i] if i >= 0 else None
            if sec is not None and sec.category is not None and sec.findings and sec.category not in self.ignore:
                sentence = sents.text(target[0]).lower()
                if not any(w in sentence for w in sec.unless):
                    found.add(self.reasons.get(sec.category, sec.category.lower()))
            out.append(frozenset(found & FINDING_REASONS))
        return out

    @staticmethod
    def _side_reason(doc: Doc, mention: tuple[int, int, str, str], written: str, anchors: list[tuple[int, int]],
                     treated: bool, sents: _Sentences) -> str | None:
        """A side counts when it belongs to a treated structure: a target or muscle near it in the sentence,
        or an anatomical word right after it in a sentence that says something was done; not "left arm IV",
        "the needle was left in place" or "right knee pain" in a history."""
        start, end, _element, value = mention
        if written in _LIMB_SIDES:
            return None  # LUE, RLE ... name a limb's side
        nxt = doc[end].lower_ if end < len(doc) else ""
        if written in ("L", "R"):  # "R tibial nerve", "L gastrocnemius", "R knee": only right before what is treated
            if any(a_start in (end, end + 1) for a_start, _ in anchors) or (treated and nxt in _SIDE_ANCHORS):
                return None
            return "no_target_nearby"
        nxt2 = doc[end + 1].lower_ if end + 1 < len(doc) else ""
        prev = doc[start - 1].lower_ if start > 0 else ""
        if doc[start].lower_ == "left" and (prev in _VERB_BEFORE_LEFT or nxt in _AFTER_LEFT_VERB):
            return "not_a_side"
        if nxt in ("iv", "room") or (nxt in _IV_SITES and nxt2 in ("iv", "line", "intravenous", "peripheral")):
            return "other_structure"
        sent_start, sent_end = sents.bounds(start)
        for a_start, a_end in anchors:
            if sent_start <= a_start < sent_end and (0 <= a_start - end <= 6 or 0 <= start - a_end <= 4):
                return None
        if not treated:
            return "no_target_nearby"
        if nxt in _SIDE_ANCHORS or nxt2 in _SIDE_ANCHORS or (value == "bilateral" and written.lower() != "both"):
            return None  # "right L4", "left knee", "injected on each side", "bilateral blocks"; not "both verbally"
        if prev in ("the", "on") and nxt in ("", ".", ",", ";", "\n"):
            return None  # "on the left."
        return "no_target_nearby"

    def _label_findings(self, text: str, headers, evidence: dict[str, list[Evidence]], section_at,
                        fields: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
        """Template fields: `Consent: signed` documents consent; `Consent: [ ]` is a placeholder.
        Adds ``(value_start, value_end)`` of every filled field to ``fields``, under each element it is a field of."""
        label_spans = []
        for i, (start, end, label) in enumerate(headers):
            label_spans.append((start, end))
            element = self.label_element(label)
            if element is None:
                continue
            stop = headers[i + 1][0] if i + 1 < len(headers) else len(text)
            nl = text.find("\n", end, stop)
            stop = nl if nl != -1 else stop
            raw = text[end:stop]
            value = raw.strip(" \t,.;")
            v_start = end + (len(raw) - len(raw.lstrip(" \t,.;")))
            v_end = v_start + len(value)
            low = value.lower()
            section = section_at(start)
            if (not value or self.placeholder.match(value)) and low not in self.allowed_label_values[element]:
                evidence[element].append(Evidence(start, max(end, v_end), text[start:max(end, v_end)], section, None, "placeholder"))
                continue
            for el in (element, *self.also_of_label.get(label, ())):
                fields.setdefault(el, []).append((v_start, v_end))
            if element not in self.valueless:
                continue  # vocabulary elements are found by their terms inside the value
            reason = None
            if low not in self.allowed_label_values[element]:
                if _NEGATING_VALUE.match(value):
                    reason = "negated"
                elif _PLANNED_VALUE.match(value):
                    reason = "planned"
            evidence[element].append(Evidence(v_start, v_end, value, section, None, reason))
        return label_spans

    # ------------------------------------------------------------------ the whole note

    def __call__(self, doc: Doc) -> tuple[dict[str, ElementFinding], bool]:
        """One ElementFinding per element, and whether the note documents a procedure done in this encounter
        (when it does not, only ``procedure_scope.kept_elements`` can be present)."""
        text = doc_text(doc)
        headers = doc.user_data.get(HEADERS_KEY, [])
        sec_starts, secs = self.sections(doc)

        def section_at(char: int) -> str | None:
            i = bisect.bisect_right(sec_starts, char) - 1
            return secs[i].name if i >= 0 else None

        def section_obj(char: int) -> _Section | None:
            i = bisect.bisect_right(sec_starts, char) - 1
            return secs[i] if i >= 0 else None

        evidence: dict[str, list[Evidence]] = {e: [] for e in ELEMENTS}
        fields: dict[str, list[tuple[int, int]]] = {}
        label_spans = self._label_findings(text, headers, evidence, section_at, fields)
        label_starts = [s for s, _ in label_spans]

        mentions = mentions_of(doc)  # (start, end, element, value)
        links = doc.user_data.get(MODIFIERS_KEY, {})  # (start, end, element) -> the cues that reach it
        sents = _Sentences(doc, text)
        counted_sents: set[int] = set()
        agent_sents = {sents.index(s) for s, e, el, v in mentions
                       if el == "agent" and not self._context_reason(links.get((s, e, el), ()), "agent", v)}
        # a side belongs to a nerve or muscle named near it; a joint or space anchors a side only where it has
        # one and something was done to it ("right shoulder pain from glenohumeral OA" has no treated side)
        site_cues = self.cues.get("nerve_target", frozenset())
        anchors = [(s, e) for s, e, el, v in mentions if el in ("nerve_target", "muscles") and (
            el == "muscles" or v not in self.injection_sites
            or (self.sided.get(v, True) and self._has_cue(s, site_cues, agent_sents, sents)))]
        char_starts, char_ends = sents.char_starts, sents.char_ends
        for mention in mentions:
            more: list[str] | tuple = ()  # the further values of a mention of several blocks
            start, end, element, value = mention
            start_char, end_char = char_starts[start], char_ends[end - 1]
            written = text[start_char:end_char]
            i = bisect.bisect_right(label_starts, start_char) - 1
            if i >= 0 and end_char <= label_spans[i][1]:
                continue  # a word inside a `Label:` is judged by the label's value, above
            if element == "volume":
                value = normalize_amount(written)
                if value is None:
                    continue
            elif (element, value) in self.normalize:
                value = self.normalize[element, value](written)
                if value is None:
                    continue
                if isinstance(value, tuple):  # one mention of several blocks: a value each
                    value, *more = value
            sec = section_obj(start_char)
            reason = (self._context_reason(links.get((start, end, element), ()), element, value)
                      or self._section_reason(start, element, value, sec, sents))
            if _UNTICKED.search(text, max(0, start_char - 8), start_char):
                reason = "placeholder"  # "[ ] tibial nerve": an option left unticked
            in_field = element in fields and any(s <= start_char and end_char <= e for s, e in fields[element])
            if in_field:
                pass  # "Side: right", "Target: left obturator nerve": the template says what it is
            elif reason is None and element in self.cues and not self._has_cue(start, self.cues[element], agent_sents, sents):
                reason = "nothing_done"
            elif reason is None and element == "laterality":
                treated = self._has_cue(start, self.cues["nerve_target"], agent_sents, sents)
                reason = self._side_reason(doc, mention, written, anchors, treated, sents)
            if reason is None and element == "nerve_target" and value in self.injection_sites:
                reason = "injection_site"  # a joint, space or trigger point: not a nerve, but the audit's site
            evidence[element].append(
                Evidence(start_char, end_char, written, sec.name if sec else None,
                         None if element in self.valueless else value, reason)
            )
            if more:
                evidence[element].extend(Evidence(start_char, end_char, written, sec.name if sec else None, v, reason)
                                         for v in more)
            if reason is None and element in _DOING:
                counted_sents.add(sents.index(start))

        for element, kinds in self.requires_agent_kind.items():
            if not any(e.reason is None and self.agent_kinds.get(e.value) in kinds for e in evidence["agent"]):
                evidence[element] = [e if e.reason else _with_reason(e, "no_chemodenervation_agent") for e in evidence[element]]

        documented = self._documents_procedure(text, headers, secs, counted_sents, sents)
        if not documented:
            for element in ELEMENTS:
                if element not in self.scope_kept:
                    evidence[element] = [e if e.reason else _with_reason(e, "no_procedure_documented")
                                         for e in evidence[element]]
        return {el: _finding(el, evs) for el, evs in evidence.items()}, documented

    def _documents_procedure(self, text: str, headers, secs: list[_Section], counted_sents: set[int],
                             sents: _Sentences) -> bool:
        """False when the note says no procedure was done ("no procedure performed"), or when it is a visit
        note (a consult's or progress note's headers, a "Follow-up visit" title) with no procedure section and
        no sentence saying something was done to a counted target, agent, amount or muscle, or done today."""
        if self.not_performed is not None:
            lower = text.lower()  # a substring test first: the regex alone costs more than the rest of the scope
            if any(p in lower for p in self.not_performed_phrases) and self.not_performed.search(text):
                return False
        first_line = text.lstrip()[:120].split("\n", 1)[0].lower()
        visit = any(label in self.visit_headers for _s, _e, label in headers) or (
            self.visit_titles is not None and self.visit_titles.search(first_line) is not None)
        if not visit or any(sec.name in self.scope_sections for sec in secs):
            return True
        for k in range(len(sents.starts)):
            words = sents.words(k)
            if not self.performed.isdisjoint(words) and (k in counted_sents or _TODAY in words):
                return True
        return False


def _with_reason(ev: Evidence, reason: str) -> Evidence:
    return Evidence(ev.start, ev.end, ev.text, ev.section, ev.value, reason)


_NOT_FOUND: dict[str, ElementFinding] = {}  # element -> its finding in a note that never mentions it (shared)


def _finding(element: str, evs: list[Evidence]) -> ElementFinding:
    if not evs:
        found = _NOT_FOUND.get(element)
        if found is None:
            found = _NOT_FOUND[element] = ElementFinding(element=element, present=False)
        return found
    evs.sort(key=lambda e: e.start)
    kept = tuple(e for e in evs if e.reason is None)
    values: dict[str, None] = {}
    for e in kept:
        if e.value:
            values.setdefault(e.value)
    return ElementFinding(
        element=element,
        present=bool(kept),
        values=tuple(values),
        evidence=kept,
        excluded=tuple(e for e in evs if e.reason is not None),
    )
