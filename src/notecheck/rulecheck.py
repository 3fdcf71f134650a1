"""`notecheck rules check DIR`: validate a rule pack and run every example its files carry.

A rule file's ``match:`` / ``no_match:`` examples say what it must and must not find. ``examples`` lists
them; ``run_example`` checks one with a Checker built on the pack and says what went wrong, if anything.
The test suite runs the shipped pack's examples through the same two functions.

* elements/*.yml: ``match`` notes document the element, ``no_match`` notes do not; a term's or pattern's
  examples say whether its value is found.
* context.yml: a cue's ``match`` notes have a mention excluded for the cue's reason; ``no_match`` do not.
* sections.yml: each ``match`` header opens its section (and rules its mentions out, given a category).
* spelling.yml: each ``match`` misspelling is corrected to its intended term; ``no_match`` words are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .rules import RulePack, load_rules

SECTION_BODY = "Left obturator nerve neurolysis with 5 mL of 6% phenol."


@dataclass(frozen=True)
class Example:
    """One example of a rule file. ``kind`` is element, term, context, section, spelling or left_alone."""

    kind: str
    where: str  # file and position, e.g. "consent.yml:match[0]"
    text: str
    should_match: bool = True
    element: str | None = None
    value: str | None = None  # a term's or pattern's value
    category: str | None = None  # a context cue's or section's ConText category
    section: str | None = None
    intended: str | None = None  # spelling: the term a misspelling stands for

    @property
    def label(self) -> str:
        short = re.sub(r"\s+", " ", self.text)
        return f"{self.where}:{short if len(short) <= 40 else short[:39] + '~'}"


@dataclass(frozen=True)
class PackCheck:
    examples: int
    failures: list[tuple[str, str]]  # (example label, what went wrong)

    @property
    def ok(self) -> bool:
        return not self.failures


def examples(pack: RulePack) -> list[Example]:
    out: list[Example] = []
    for name, ef in pack.elements.items():
        for kind in ("match", "no_match"):
            for i, text in enumerate(getattr(ef, kind)):
                out.append(Example("element", f"{name}.yml:{kind}[{i}]", text, kind == "match", element=name))
    for name, ef in pack.elements.items():
        for source, items in (("term", ef.terms), ("pattern", ef.patterns)):
            for item in items:
                for kind in ("match", "no_match"):
                    for i, text in enumerate(getattr(item, kind)):
                        out.append(Example("term", f"{name}.yml:{source}={item.value}:{kind}[{i}]", text, kind == "match",
                                           element=name, value=item.value))
    for n, rule in enumerate(pack.context.rules):
        for kind in ("match", "no_match"):
            for i, text in enumerate(getattr(rule, kind)):
                out.append(Example("context", f"context.yml:rules[{n}]={rule.literal}:{kind}[{i}]", text, kind == "match",
                                   category=rule.category))
    for spec in pack.sections.sections:
        for i, header in enumerate(spec.match):
            out.append(Example("section", f"sections.yml:{spec.name}:match[{i}]", header, section=spec.name,
                               category=spec.category))
    for i, pair in enumerate(pack.spelling.match):
        out.append(Example("spelling", f"spelling.yml:match[{i}]", str(pair[0]) if pair else "",
                           intended=str(pair[1]) if len(pair) == 2 else None))
    for i, word in enumerate(pack.spelling.no_match):
        out.append(Example("left_alone", f"spelling.yml:no_match[{i}]", word))
    return out


def _describe(finding) -> str:
    return f"present={finding.present} values={list(finding.values)} excluded={[(e.text, e.reason) for e in finding.excluded]}"


def run_example(checker, ex: Example) -> str | None:
    """None when the pack behaves as the example says; else a sentence saying what it did instead."""
    pack = checker.rules
    if ex.kind == "element":
        finding = checker.check(ex.text).elements[ex.element]
        if finding.present is not ex.should_match:
            return f"{ex.element} {'not ' if ex.should_match else ''}found in {ex.text!r}: {_describe(finding)}"
    elif ex.kind == "term":
        finding = checker.check(ex.text).elements[ex.element]
        term = pack.terms[ex.element].get(ex.value)
        if not pack.elements[ex.element].reports_values or ex.element == "volume":
            found = finding.present  # no values to look at: the term's element is what it documents
        elif term is not None and term.injection_site:
            # a joint, space or trigger point: kept out of the values, found as an injection site
            found = any(e.value == ex.value and e.reason == "injection_site" for e in finding.excluded)
        else:
            found = ex.value in finding.values
        if found is not ex.should_match:
            return f"{ex.element}={ex.value} {'not ' if ex.should_match else ''}found in {ex.text!r}: {_describe(finding)}"
    elif ex.kind == "context":
        reason = pack.context.reasons.get(ex.category, ex.category.lower())
        result = checker.check(ex.text)
        excluded = [(name, e.text, e.reason) for name, f in result.elements.items() for e in f.excluded]
        if any(r == reason for _, _, r in excluded) is not ex.should_match:
            return f"cue ({ex.category} -> {reason}) {'did not exclude' if ex.should_match else 'excluded'} a mention in {ex.text!r}: excluded={excluded}"
    elif ex.kind == "section":
        return _run_section(checker, ex)
    elif ex.kind == "spelling":
        return _run_spelling(checker, ex)
    elif ex.kind == "left_alone":
        doc = checker.nlp(f"The {ex.text} was noted.")
        tokens = [t for t in doc if t.text == ex.text]
        if len(tokens) != 1:
            return f"{ex.text!r} is not one word"
        token = tokens[0]
        if token.norm_ != ex.text.lower():
            return f"{ex.text!r} was corrected to {token.norm_!r}"
        if any(s.start <= token.i < s.end for s in doc.spans[_span_group()]):
            return f"{ex.text!r} became part of a mention"
    return None


def _span_group() -> str:
    from .pipeline import SPAN_GROUP

    return SPAN_GROUP


def _run_section(checker, ex: Example) -> str | None:
    pack = checker.rules
    text = f"{ex.text} {SECTION_BODY}"
    finding = checker.check(text).elements["nerve_target"]
    mentions = finding.evidence + finding.excluded
    if not mentions:
        return f"no nerve_target mention in {text!r}"
    sections = {e.section for e in mentions}
    if sections != {ex.section}:
        return f"header {ex.text!r} opened {sorted(map(str, sections))}, not {ex.section}"
    spec = next(sp for sp in pack.sections.sections if sp.name == ex.section)
    if ex.category is not None and (spec.elements is None or "nerve_target" in spec.elements):
        reason = pack.context.reasons.get(ex.category)  # a section with a ConText category rules its mentions out
        if finding.present or {e.reason for e in finding.excluded} != {reason}:
            return f"section {ex.section} did not rule its mentions out as {reason}: {_describe(finding)}"
    return None


def _term_with_word(pack: RulePack, word: str):
    """(element, value, phrase) of the shortest phrase in the pack that has ``word`` as a word, or None."""
    found = []
    for name, ef in pack.elements.items():
        for term in ef.terms:
            for phrase in term.phrases:
                if word.lower() in re.split(r"[^a-z]+", phrase.lower()):
                    found.append((len(phrase), name, term.value, phrase))
    return min(found)[1:] if found else None


def _run_spelling(checker, ex: Example) -> str | None:
    if ex.intended is None:
        return "spelling.yml match entries are [misspelling, intended]"
    hit = _term_with_word(checker.rules, ex.intended)
    if hit is None:
        return f"spelling.yml: '{ex.intended}' is in no phrase of elements/"
    element, value, phrase = hit
    misspelled = re.sub(rf"\b{re.escape(ex.intended)}\b", ex.text, phrase, flags=re.I)
    text = f"{misspelled[0].upper()}{misspelled[1:]} for the procedure performed today."
    finding = checker.check(text).elements[element]
    if not finding.present or (checker.rules.elements[element].reports_values and value not in finding.values):
        return f"{ex.text!r} was not read as {ex.intended!r} in {text!r}: {element} {_describe(finding)}"
    return None


def check_pack(root: str | Path | None = None) -> PackCheck:
    """Load (and so validate) the pack at ``root``, then run all its examples. Raises RuleFileError."""
    from .check import Checker

    pack = load_rules(root)
    uncovered = ({r.category for r in pack.context.rules} | {s.category for s in pack.sections.sections if s.category}) \
        - set(pack.context.reasons)
    failures = [("context.yml:reasons", f"no reason given for the categories {', '.join(sorted(uncovered))}")] if uncovered else []
    checker = Checker(pack.root)
    found = examples(pack)
    for ex in found:
        problem = run_example(checker, ex)
        if problem is not None:
            failures.append((ex.label, problem))
    return PackCheck(examples=len(found), failures=failures)
