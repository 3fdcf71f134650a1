"""The fast paths of the pipeline give the answers of the plain ones they replace.

Headers are found from the colons back, not by a regex tried at every character; rule regexes run on
the lower-cased text and, with an anchor, only around it; the tokenizer goes without spaCy's special cases
for whitespace, and its suffix search starts where the longest suffix rule reaches. Each is checked here against the plain way on the demo notes and on generated text, and
what the components leave on the Doc is checked to be plain values (a Doc still pickles).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import spacy

from notecheck.caseless import Caseless
from notecheck.pipeline import find_headers, known_labels, normalize_label
from notecheck.rules import load_rules

DEMO = sorted((Path(__file__).resolve().parents[1] / "corpora" / "demo").glob("*.txt"))
PACK = load_rules()
KNOWN = known_labels(PACK)

# The plain definition of a header: a label then a colon, at a line start or after , . ;
_HEADER = re.compile(
    r"(?:^|(?<=\n)|(?<=,)|(?<=\.)|(?<=;))[ \t]*([A-Za-z][A-Za-z0-9 /&'\-\(\)]{0,60}?)[ \t]*:(?![0-9])", re.MULTILINE
)


def plain_headers(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _HEADER.finditer(text):
        raw = m.group(1)
        letters = [c for c in raw if c.isalpha()]
        is_caps = len(letters) >= 2 and all(c.isupper() for c in letters)
        if normalize_label(raw) in KNOWN or (is_caps and len(raw.split()) <= 7):
            found.append((m.start(1), m.end(), normalize_label(raw)))
    return found


def random_texts(n: int, pieces: list[str], seed: int = 3, longest: int = 40) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, longest))) for _ in range(n)]


HEADER_PIECES = list("ABab \t\n,.;:0123-/()&'") + ["CONSENT", "Consent", "Indication", "PROCEDURE", "x" * 30, "  "]


def test_fast_paths_headers_match_the_plain_definition():
    for text in [p.read_text(encoding="utf-8") for p in DEMO] + random_texts(5000, HEADER_PIECES):
        assert find_headers(text, KNOWN) == plain_headers(text), text


REGEXES = [(tp.regex, tp.anchor) for ef in PACK.elements.values() for tp in ef.patterns if tp.regex]
REGEX_PIECES = [" ", "\n", ".", ",", "5", "10", "/10", "2/10", "3/10 ", " mL", " cc", "units", "five", "nerve", "nerves",
                "Post", "after", "down to", "from", "->", " to ", "sural", "Sural", "SURAL NERVE", "the", "x" * 70, "İ"]


@pytest.mark.parametrize("regex, anchor", REGEXES, ids=[f"{a or 'no-anchor'}-{i}" for i, (_, a) in enumerate(REGEXES)])
def test_fast_paths_rule_regexes_find_what_a_full_scan_finds(regex, anchor):
    assert anchor is None or anchor == anchor.lower()
    fast, plain = Caseless(regex), re.compile(regex, re.IGNORECASE)
    texts = [p.read_text(encoding="utf-8") for p in DEMO] + random_texts(2000, REGEX_PIECES, longest=60)
    for text in texts:
        lower = text.lower() if len(text.lower()) == len(text) else None
        got = [m.span() for m in fast.finditer(text, lower, anchor)]
        assert got == [m.span() for m in plain.finditer(text)], text


def test_fast_paths_a_regex_with_capitals_still_ignores_case():
    rx = Caseless(r"\b[A-Z]\d\b")  # [A-Z] would miss lower-case letters in the lower-cased text
    assert rx.lower_case is None
    text = "Levels L4 and l5."
    assert [m.group() for m in rx.finditer(text, text.lower(), None)] == ["L4", "l5"]


def test_fast_paths_tokens_are_spacys_without_its_whitespace_special_cases(checker):
    tokenizer = checker.nlp.tokenizer.tokenizer
    assert not [k for k in tokenizer.rules if not k.strip()]
    stock = spacy.blank("en")
    stock.tokenizer.infix_finditer = tokenizer.infix_finditer  # notecheck's comma infixes, to compare like with like
    # and its period after a final capital ("toxinA."), searched as spaCy searches (not SuffixSearch's way)
    stock.tokenizer.suffix_search = tokenizer.suffix_search.__self__.search
    texts = [p.read_text(encoding="utf-8") for p in DEMO] + ["a\n\n b\t\tc  d\r\n e   \n\t g\n", "\n", " \t", "x\n"]
    for text in texts:
        ours = [(t.text, t.whitespace_) for t in checker.nlp.make_doc(text)]
        assert ours == [(t.text, t.whitespace_) for t in stock.make_doc(text)]


def test_fast_paths_suffix_search_finds_what_spacys_search_finds(checker):
    """SuffixSearch starts where the longest suffix rule can reach (and searches the unbounded "..+" alone):
    the same match as spaCy's search from the first character, on every word of the demo notes, every ending
    of those words (spaCy searches again after each suffix it strips), and random strings of word endings."""
    search = checker.nlp.tokenizer.tokenizer.suffix_search
    assert search._reach is not None and search._reach < 20 and len(search._unbounded) == 1
    plain = search.__self__.search
    words = {w for p in DEMO for w in re.split(r" +", p.read_text(encoding="utf-8"))}
    endings = {w[k:] for w in words for k in range(len(w))}
    rnd = random.Random(11)
    pieces = list(".,;:!?)]}\"'%$°…\n-/") + ["mL", "cc", "mg", "5", "10", "L4", "x", "'s", "km", "..."]
    fuzz = {"".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 25))) for _ in range(20000)}
    fuzz |= {"x" + "." * k for k in range(1, 40)} | {"5" + "." * k + "\n" for k in range(40)}
    for word in words | endings | fuzz:
        got, want = search(word), plain(word)
        assert (got and got.span()) == (want and want.span()), word


def test_fast_paths_a_tokenizer_with_suffix_search_still_serializes(checker):
    tokenizer = checker.nlp.tokenizer.tokenizer
    again = spacy.blank("en").tokenizer.from_bytes(tokenizer.to_bytes())
    assert again.suffix_search.__self__.pattern == tokenizer.suffix_search.__self__.pattern


@pytest.mark.parametrize("text", [
    "The nerve" + " was then treated" * 2 + " with phenol.",  # the match runs about 40 characters past the anchor
    "Phenol" + " was then placed" * 2 + " at the nerve.",  # and about 40 before it
    "No anchor here at all, phenol only.",
])
def test_fast_paths_an_anchor_window_reaches_60_characters_each_way(text):
    regex = r"\bnerve\b[^.]{0,50}\bphenol|\bphenol\b[^.]{0,50}\bnerve\b"
    got = [m.span() for m in Caseless(regex).finditer(text, text.lower(), "nerve")]
    assert got == [m.span() for m in re.finditer(regex, text, re.I)]


def test_fast_paths_what_they_leave_on_the_doc_is_plain_and_pickles(checker):
    import pickle

    from notecheck.pipeline import MODIFIERS_KEY, modifiers_of

    doc = checker.nlp("Left obturator nerve block.\nNo phenol was injected; fluoroscopy was not used.")
    phenol = next(s for s in doc.spans["notecheck"] if s.kb_id_ == "phenol")
    assert modifiers_of(doc, phenol) and modifiers_of(doc, phenol)[0][0] == "NEGATED_EXISTENCE"
    again = pickle.loads(pickle.dumps(doc))
    assert again.user_data[MODIFIERS_KEY] == doc.user_data[MODIFIERS_KEY]
    assert [(s.start, s.end, s.label_) for s in again.spans["notecheck"]] == [(s.start, s.end, s.label_) for s in doc.spans["notecheck"]]


def _gold_texts() -> list[str]:
    import json

    gold = Path(__file__).resolve().parents[1] / "corpora" / "gold"
    return [json.loads(line)["text"] for p in sorted(gold.rglob("*.jsonl")) for line in p.open(encoding="utf-8")
            if line.strip() and "text" in json.loads(line)]


def test_fast_paths_needed_words_are_in_every_match_of_the_pack_regexes():
    """A regex is skipped on a note lacking every word of one of its sets of needed words: each match on the
    gold and demo notes holds a word of each set (and some regexes do name some, or the skip would do nothing)."""
    from notecheck.caseless import needed_words

    texts = [p.read_text(encoding="utf-8") for p in DEMO] + _gold_texts()
    named = 0
    for regex, _anchor in REGEXES:
        needs = needed_words(regex)
        if needs is None:
            continue
        named += 1
        plain = re.compile(regex, re.IGNORECASE)
        for text in texts:
            for m in plain.finditer(text):
                assert all(any(w in m.group().lower() for w in option) for option in needs), (regex, needs)
    assert named >= len(REGEXES) // 3


@pytest.mark.parametrize("regex, needs", [
    (r"\bentire vial (?:was )?(?:used|administered)\b", (("entire vial ",), ("administered", "used"))),
    (r"\d+\s*(?:units?|iu)\b[^.]{0,30}?\b(?:wasted|discarded)\b", (("discarded", "wasted"), ("iu", "unit"))),
    (r"(?:no\s+)?contrast", (("contrast",),)),
    (r"(?:vas|nrs)(?:before|after)\d+", (("after", "before"), ("nrs", "vas"))),  # every set, not only one
    (r"(?<=phenol )\d+", None),  # a lookbehind's words are not in the match
    (r"(?i:phenol)\d", None),  # nor words under an inline flag
    (r"\d+|mL", None),  # a branch that needs no word
])
def test_fast_paths_needed_words_of_a_regex(regex, needs):
    from notecheck.caseless import needed_words

    assert needed_words(regex) == needs


def test_fast_paths_speller_scores_only_words_of_a_reachable_length(checker):
    """The speller scores a word against the domain words whose length lets the ratio reach the cutoff: the
    same corrections as scoring all of them, on misspellings of every domain word and on ordinary words."""
    from rapidfuzz import fuzz, process

    speller = checker.nlp.get_pipe("notecheck_spelling")
    assert len(speller._choices_for(7)) < len(speller.choices) and len(speller._choices_for(16)) < len(speller.choices) / 2
    rnd = random.Random(4)
    words = {"johnson", "appointment", "tolerating", "hemorrhage", "gabapentin", "wheelchair", "fluorosopy"}
    for w in speller.domain_words:
        k = rnd.randrange(len(w))
        words |= {w[:k] + rnd.choice("aeioulrstn") + w[k + 1:], w[:k] + w[k + 1:], w[:k] + "e" + w[k:]}
    for word in words:
        want = None
        if not (len(word) < speller.min_length or word in speller.domain_words or word in speller.never):
            best = process.extractOne(word, speller.choices, scorer=fuzz.ratio, score_cutoff=speller.cutoff)
            want = best[0] if best and best[0][0] == word[0] else None
        assert speller.correct(word) == want, word
