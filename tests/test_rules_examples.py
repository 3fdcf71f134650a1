"""Every `match:` / `no_match:` example carried by the rule pack in patterns/ is run here.

- elements/*.yml, element level: the element is present / absent in the note;
- elements/*.yml, term and token-pattern level: the term's value is / is not among the element's
  values (for elements without values, and for amounts, whose values are the amounts: present / absent);
- context.yml rules: some mention is / no mention is excluded with the reason of the rule's category;
- sections.yml: a mention right after the header sits in that section;
- spelling.yml: a misspelling is corrected to its intended term; `no_match` words are left alone.
"""

from __future__ import annotations

import re

import pytest

from notecheck.pipeline import SPAN_GROUP
from notecheck.rules import load_rules

PACK = load_rules()


def _short(text: str, n: int = 40) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= n else text[: n - 1] + "~"


def _element_examples():
    for name, ef in PACK.elements.items():
        for kind in ("match", "no_match"):
            for i, text in enumerate(getattr(ef, kind)):
                yield pytest.param(name, text, kind == "match", id=f"{name}.yml:{kind}[{i}]:{_short(text)}")


def _term_examples():
    for name, ef in PACK.elements.items():
        for source, items in (("term", ef.terms), ("pattern", ef.patterns)):
            for item in items:
                for kind in ("match", "no_match"):
                    for i, text in enumerate(getattr(item, kind)):
                        yield pytest.param(
                            name, item.value, text, kind == "match",
                            id=f"{name}.yml:{source}={item.value}:{kind}[{i}]:{_short(text)}",
                        )


def _context_examples():
    for n, rule in enumerate(PACK.context.rules):
        for kind in ("match", "no_match"):
            for i, text in enumerate(getattr(rule, kind)):
                yield pytest.param(
                    rule.literal, rule.category, text, kind == "match",
                    id=f"context.yml:rules[{n}]={rule.literal}:{kind}[{i}]:{_short(text)}",
                )


def _section_examples():
    for spec in PACK.sections.sections:
        for i, header in enumerate(spec.match):
            yield pytest.param(spec.name, spec.category, header, id=f"sections.yml:{spec.name}:match[{i}]={header}")


def _spelling_pairs():
    for i, pair in enumerate(PACK.spelling.match):
        yield pytest.param(pair, id=f"spelling.yml:match[{i}]={'->'.join(map(str, pair))}")


def _spelling_left_alone():
    for i, word in enumerate(PACK.spelling.no_match):
        yield pytest.param(word, id=f"spelling.yml:no_match[{i}]={word}")


ELEMENT_EXAMPLES = list(_element_examples())
TERM_EXAMPLES = list(_term_examples())
CONTEXT_EXAMPLES = list(_context_examples())
SECTION_EXAMPLES = list(_section_examples())
SPELLING_PAIRS = list(_spelling_pairs())
SPELLING_LEFT_ALONE = list(_spelling_left_alone())


def _describe(finding) -> str:
    return (f"present={finding.present} values={finding.values} "
            f"excluded={[(e.text, e.reason) for e in finding.excluded]}")


@pytest.mark.parametrize(
    "examples, at_least",
    [
        pytest.param(ELEMENT_EXAMPLES, 10, id="elements"),
        pytest.param(TERM_EXAMPLES, 10, id="terms"),
        pytest.param(CONTEXT_EXAMPLES, 10, id="context"),
        pytest.param(SECTION_EXAMPLES, 5, id="sections"),
        pytest.param(SPELLING_PAIRS, 5, id="spelling-pairs"),
        pytest.param(SPELLING_LEFT_ALONE, 3, id="spelling-left-alone"),
    ],
)
def test_rules_examples_are_collected(examples, at_least):
    """The examples below are read from the pack; an empty collection would make them vacuous."""
    assert len(examples) >= at_least


@pytest.mark.parametrize("element, text, should_match", ELEMENT_EXAMPLES)
def test_rules_element_example(checker, element, text, should_match):
    finding = checker.check(text).elements[element]
    assert finding.present is should_match, f"{element} in {text!r}: {_describe(finding)}"


@pytest.mark.parametrize("element, value, text, should_match", TERM_EXAMPLES)
def test_rules_term_example(checker, element, value, text, should_match):
    finding = checker.check(text).elements[element]
    if not PACK.elements[element].reports_values or element == "volume":
        found = finding.present  # no values to look at: the term's element is what it documents
    elif PACK.terms[element][value].injection_site if value in PACK.terms[element] else False:
        # a joint, space or trigger point: kept out of the values, found as an injection site
        found = any(e.value == value and e.reason == "injection_site" for e in finding.excluded)
    else:
        found = value in finding.values
    assert found is should_match, f"{element}={value} in {text!r}: {_describe(finding)}"


@pytest.mark.parametrize("literal, category, text, should_match", CONTEXT_EXAMPLES)
def test_rules_context_example(checker, literal, category, text, should_match):
    reason = PACK.context.reasons.get(category, category.lower())
    result = checker.check(text)
    excluded = [(name, e.text, e.reason) for name, f in result.elements.items() for e in f.excluded]
    hit = any(r == reason for _, _, r in excluded)
    assert hit is should_match, f"cue {literal!r} ({category} -> {reason}) in {text!r}: excluded={excluded}"


def test_rules_context_reasons_cover_every_category():
    categories = {r.category for r in PACK.context.rules} | {s.category for s in PACK.sections.sections if s.category}
    assert categories <= set(PACK.context.reasons), categories - set(PACK.context.reasons)


SECTION_BODY = "Left obturator nerve neurolysis with 5 mL of 6% phenol."


@pytest.mark.parametrize("name, category, header", SECTION_EXAMPLES)
def test_rules_section_header_opens_section(checker, name, category, header):
    text = f"{header} {SECTION_BODY}"
    finding = checker.check(text).elements["nerve_target"]
    mentions = finding.evidence + finding.excluded
    assert mentions, f"no nerve_target mention in {text!r}"
    assert {e.section for e in mentions} == {name}, [(e.text, e.section) for e in mentions]
    spec = next(sp for sp in PACK.sections.sections if sp.name == name)
    if category is not None and (spec.elements is None or "nerve_target" in spec.elements):
        # a section with a ConText category rules its mentions out
        reason = PACK.context.reasons[category]
        assert not finding.present and {e.reason for e in finding.excluded} == {reason}, _describe(finding)


def _term_with_word(word: str):
    """(element, value, phrase) of the shortest phrase in the pack that has ``word`` as a word."""
    found = []
    for name, ef in PACK.elements.items():
        for term in ef.terms:
            for phrase in term.phrases:
                if word.lower() in re.split(r"[^a-z]+", phrase.lower()):
                    found.append((len(phrase), name, term.value, phrase))
    assert found, f"spelling.yml: '{word}' is in no phrase of patterns/elements/"
    _, name, value, phrase = min(found)
    return name, value, phrase


@pytest.mark.parametrize("pair", SPELLING_PAIRS)
def test_rules_spelling_misspelling_corrected(checker, pair):
    assert len(pair) == 2, f"spelling.yml match entries are [misspelling, intended]: {pair}"
    wrong, intended = pair
    element, value, phrase = _term_with_word(intended)
    misspelled = re.sub(rf"\b{re.escape(intended)}\b", wrong, phrase, flags=re.I)
    text = f"{misspelled[0].upper()}{misspelled[1:]} for the procedure performed today."
    finding = checker.check(text).elements[element]
    assert finding.present, f"{text!r} -> {element}: {_describe(finding)}"
    if PACK.elements[element].reports_values:
        assert value in finding.values, f"{text!r} -> {element}: {_describe(finding)}"


@pytest.mark.parametrize("word", SPELLING_LEFT_ALONE)
def test_rules_spelling_word_left_alone(checker, word):
    text = f"The {word} was noted."
    doc = checker.nlp(text)
    [token] = [t for t in doc if t.text == word]
    assert token.norm_ == word.lower(), f"{word!r} was corrected to {token.norm_!r}"
    assert not any(s.start <= token.i < s.end for s in doc.spans[SPAN_GROUP]), list(doc.spans[SPAN_GROUP])
