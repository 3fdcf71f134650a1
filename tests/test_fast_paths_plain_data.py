"""The back end reads plain data built once (issue 18): each fast path gives what the plain way it replaces
gives, on the gold and demo notes.

- the extractor reads mentions as ``(start, end, element, value)`` tuples and character offsets from one
  array, where it read the Spans of ``doc.spans["notecheck"]``;
- the codes a site may fit come from tables built once per rule set (``fitting.Candidates``), where each
  site filtered every code's rules;
- a Site is copied with ``Site.evolve``, where it was ``dataclasses.replace``;
- a regex that matches nowhere in a note is not run on each of its sentences.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from notecheck.audit.fitting import Candidates, codes_in_force
from notecheck.audit.sites import Documentation
from notecheck.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
PACK = load_rules()


def _texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpora" / "demo").glob("*.txt"))]
    for path in sorted((ROOT / "corpora" / "gold").rglob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            row = json.loads(line) if line.strip() else {}
            if isinstance(row.get("text"), str):
                texts.append(row["text"])
    return texts


TEXTS = _texts()


@pytest.fixture(scope="module")
def docs(checker):
    return list(checker.nlp.pipe(TEXTS))


def test_fast_paths_mentions_and_offsets_are_the_spans(docs):
    from notecheck.extract import _Sentences
    from notecheck.pipeline import MENTIONS_KEY, SPAN_GROUP, doc_text, mentions_of

    seen = 0
    for doc in docs:
        spans = list(doc.spans[SPAN_GROUP])
        plain = [(s.start, s.end, s.label_, s.kb_id_) for s in spans]
        assert doc.user_data[MENTIONS_KEY] == plain
        sents = _Sentences(doc, doc_text(doc))
        assert [(sents.char_starts[s.start], sents.char_ends[s.end - 1]) for s in spans] == \
               [(s.start_char, s.end_char) for s in spans]
        assert [sents.text(s.start) for s in spans] == [s.sent.text for s in spans]
        del doc.user_data[MENTIONS_KEY]  # a Doc without them (built elsewhere) falls back to its Spans
        assert mentions_of(doc) == plain
        doc.user_data[MENTIONS_KEY] = plain
        seen += len(spans)
    assert seen > 1000


def test_fast_paths_candidate_codes_are_the_plain_filter():
    rules, _series, candidates = codes_in_force(PACK, None)
    primary = [r for r in rules.values() if (r.muscles is None or r.targets) and not r.addon
               and r.family != "chemodenervation" and r.same_as is None]
    assert list(candidates.primary) == primary
    values = {v for r in rules.values() for v in r.targets} | set(PACK.terms["nerve_target"])
    for value in values:
        assert list(candidates.naming.get(value, ())) == [r for r in primary if value in r.targets], value
    assert list(candidates.catch_all) == [r for r in primary if not r.targets and not r.unlisted]
    assert candidates.unlisted is next((r for r in rules.values() if r.unlisted), None)
    assert Candidates(rules).catch_all == candidates.catch_all
    assert list(candidates.listed_muscles) == [r for r in rules.values() if r.muscles is not None and r.muscles.values]
    assert list(candidates.counted_muscles) == [r for r in rules.values() if r.muscles is not None
                                                and not r.muscles.values and not r.targets]
    assert candidates.listed_muscles and candidates.counted_muscles


def test_fast_paths_sites_skip_no_search_that_could_match(checker, monkeypatch):
    """A regex that matches nowhere in the note is not run on its sentences: the sites come out as when
    every sentence is searched."""
    docs = [Documentation(checker.extractor(checker.nlp(t))[0], PACK, t) for t in TEXTS]
    monkeypatch.setattr(Documentation, "_anywhere", lambda self, rx: True)
    plain = [Documentation(checker.extractor(checker.nlp(t))[0], PACK, t) for t in TEXTS]
    assert [[vars(s) for s in d.sites] for d in docs] == [[vars(s) for s in d.sites] for d in plain]
    assert any(s.near_levels for d in docs for s in d.sites) and any(s.region_words for d in docs for s in d.sites)
    assert any(not d._found.get(rx, True) for d in docs for rx in d._found)


def test_fast_paths_site_evolve_is_dataclasses_replace(checker):
    sites = []
    for text in TEXTS:
        findings, _documented = checker.extractor(checker.nlp(text))
        sites += Documentation(findings, PACK, text).sites
    assert len(sites) > 100
    for site in sites:
        for name, value in [("sides", frozenset({"left"})), ("note_regions", frozenset({"lumbar"})), ("value", "x")]:
            fast, plain = site.evolve(**{name: value}), dataclasses.replace(site, **{name: value})
            assert fast == plain and vars(fast) == vars(plain) and getattr(fast, name) == value
        assert vars(site) == vars(dataclasses.replace(site))  # the original is left as it was


def test_fast_paths_site_hints_hold_for_every_match():
    """What ``Documentation._anywhere`` tests on a lower-cased ASCII note is in every match of its regex."""
    from notecheck.audit.sites import _HINTS

    matched = 0
    for rx, hint in _HINTS.items():
        for text in TEXTS + ["L4-5", "C3 to C6", "Web space", "INTERMETATARSAL", "LumboSacral", "zygapophyseal"]:
            for m in rx.finditer(text):
                assert hint(m.group().lower()), (rx.pattern, m.group())
                matched += 1
    assert matched > 100
