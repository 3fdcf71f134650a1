"""The one place that builds the spaCy pipeline and registers notecheck's components.

    spacy.blank("en") tokenizer (comma infixes; without spaCy's whitespace special cases; keeps the text)
    -> notecheck_sentences  (line structure, `Label:` headers, comma-joined exports; no PyRuSH)
    -> notecheck_spelling   (misspelled domain words get a corrected NORM; rapidfuzz, cached)
    -> notecheck_terms      (phrase matchers and regexes; mentions go to doc.spans["notecheck"])
    -> notecheck_context    (the context engine of context.py: medspaCy ConText rules and semantics, plus ours)

Besides ``doc.spans["notecheck"]``, what the components leave for the extractor is plain values in
``doc.user_data`` (so a Doc still pickles): the note's text, its headers and the ConText cues of each mention.
"""

# no `from __future__ import annotations`: spaCy reads the factories' type hints at run time

import bisect
import re

from . import quiet  # noqa: F401  (silences loguru before medspaCy is imported)

# isort: split

import numpy as np
from rapidfuzz import fuzz, process
from spacy.attrs import IDX, LOWER, SENT_START
from spacy.lang.en import English
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex

from .caseless import Caseless, lowered, sre_parse
from .context import ContextEngine
from .errors import RuleFileError
from .rules import RulePack, load_rules

SPAN_GROUP = "notecheck"
HEADERS_KEY = "notecheck_headers"
TEXT_KEY = "notecheck_text"
MODIFIERS_KEY = "notecheck_modifiers"
MENTIONS_KEY = "notecheck_mentions"  # (start, end, element, value) of each mention, as plain tuples
SENTS_KEY = "notecheck_sentence_starts"  # the first token of each sentence, as a list


class _KeepText:
    """The tokenizer, keeping the note's text on the Doc: ``doc.text`` would rebuild it token by token."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data[TEXT_KEY] = text
        return doc


def doc_text(doc: Doc) -> str:
    return doc.user_data.get(TEXT_KEY) or doc.text


def mentions_of(doc: Doc) -> list[tuple[int, int, str, str]]:
    """``(start, end, element, value)`` of each mention in token order: ``doc.spans["notecheck"]`` as plain values."""
    found = doc.user_data.get(MENTIONS_KEY)
    if found is None:
        found = [(s.start, s.end, s.label_, s.kb_id_) for s in doc.spans[SPAN_GROUP]]
    return found


def sentence_starts(doc: Doc) -> list[int]:
    """The first token of each sentence, as SentenceSplitter set them (read from the Doc if it did not run)."""
    found = doc.user_data.get(SENTS_KEY)
    if found is None:
        found = np.flatnonzero(doc.to_array([SENT_START]).reshape(-1).astype(np.int64) == 1).tolist() or [0]
    return found


def modifiers_of(doc: Doc, span: Span) -> tuple[tuple[str, int], ...]:
    """``(category, first token)`` of each context cue that modifies a mention, as SentenceContext linked them."""
    return doc.user_data.get(MODIFIERS_KEY, {}).get((span.start, span.end, span.label_), ())


# A header is a label then a colon (not a time such as 10:30), at the start of a line or after a comma,
# period or semicolon (comma-joined exports). Found from the colons back, as a colon is rare.
_LABEL_RE = re.compile(r"[ \t]*([A-Za-z][A-Za-z0-9 /&'\-\(\)]{0,60}?)[ \t]*")
_BEFORE_LABEL = re.compile(r"[\n,.;]")
_DIGITS = frozenset("0123456789")


def normalize_label(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


_LABELS: dict[tuple[str, frozenset[str]], str | None] = {}  # (label as written, known labels) -> its label or None


def find_headers(text: str, known: frozenset[str]) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` for every header: an ALL-CAPS label, or a known label, then a colon."""
    found = []
    colon = text.find(":")
    if colon == -1:
        return found
    cuts = [m.start() for m in _BEFORE_LABEL.finditer(text)]
    while colon != -1:
        after = colon + 1
        if text[after:after + 1] not in _DIGITS:
            k = bisect.bisect_left(cuts, colon)
            m = _LABEL_RE.fullmatch(text, cuts[k - 1] + 1 if k else 0, colon)
            if m is not None:
                label = _label(m.group(1), known)
                if label is not None:
                    found.append((m.start(1), after, label))
        colon = text.find(":", after)
    return found


def _label(raw: str, known: frozenset[str]) -> str | None:
    """The label of a header written ``raw``, or None when it is no header (cached: templates repeat them)."""
    key = (raw, known)
    label = _LABELS.get(key, False)
    if label is False:
        label = normalize_label(raw)
        letters = [c for c in raw if c.isalpha()]
        is_caps = len(letters) >= 2 and all(c.isupper() for c in letters)
        if not (label in known or (is_caps and len(raw.split()) <= 7)):
            label = None
        if len(_LABELS) > 20_000:
            _LABELS.clear()
        _LABELS[key] = label
    return label


_NOT_START = np.uint64(2**64 - 1)  # SENT_START -1 (not a sentence start) as the uint64 that from_array takes


class SentenceSplitter:
    """Sentence starts at line breaks, at headers, and after . ! ? before a capital, digit or bracket.

    Boundaries are found with regular expressions on the text and set in one array operation,
    so the cost per note does not grow with a Python loop over its tokens.
    """

    _BREAKS = re.compile(r"\n[\s]*|[.!?][\"')\]]*[ \t]+(?=[A-Z0-9(\"\[])")

    def __init__(self, known_labels: frozenset[str]):
        self.known_labels = known_labels

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        headers = find_headers(text, self.known_labels)
        doc.user_data[HEADERS_KEY] = headers
        n = len(doc)
        if n == 0:
            doc.user_data[SENTS_KEY] = []
            return doc
        cuts = [h[0] for h in headers] + [m.end() for m in self._BREAKS.finditer(text)]
        starts = sorted({0, *np.searchsorted(doc.to_array(IDX), cuts).tolist()} - {n}) if cuts else [0]
        flags = np.full((n, 1), _NOT_START, dtype=np.uint64)
        flags[starts, 0] = 1
        doc.from_array([SENT_START], flags)
        doc.user_data[SENTS_KEY] = starts
        return doc


class Speller:
    """Gives misspelled domain words the NORM of the term they misspell (flouroscopy -> fluoroscopy).

    Only alphabetic words that are not known words are looked at, each distinct word of a note once,
    and each spelling is scored once per pipeline (cached), so ordinary text costs a dictionary lookup per word.
    """

    def __init__(self, domain_words: frozenset[str], never: frozenset[str], min_length: int, cutoff: float):
        self.domain_words = domain_words
        self.choices = sorted(w for w in domain_words if len(w) >= min_length - 1)
        self.never = never
        self.min_length = min_length
        self.cutoff = cutoff
        self.fixes: dict[int, str | None] = {}  # by the hash of a lower-cased word
        self._by_length: dict[int, list[str]] = {}  # word length -> the choices it can match (_choices_for)

    def correct(self, word: str) -> str | None:
        """The domain word ``word`` misspells, or None."""
        if len(word) < self.min_length or word in self.domain_words or word in self.never or not word.isalpha():
            return None
        best = process.extractOne(word, self._choices_for(len(word)), scorer=fuzz.ratio, score_cutoff=self.cutoff)
        return best[0] if best and best[0][0] == word[0] else None

    def _choices_for(self, length: int) -> list[str]:
        """The domain words a word of ``length`` letters can reach the cutoff with (in their order): a ratio is
        at most ``200 * shorter / (sum of lengths)``, so the others cannot be the answer (half the choices)."""
        found = self._by_length.get(length)
        if found is None:
            found = self._by_length[length] = [
                w for w in self.choices if 200 * min(length, len(w)) / (length + len(w)) >= self.cutoff - 1e-6]
        return found

    def __call__(self, doc: Doc) -> Doc:
        lows = doc.to_array(LOWER).tolist()
        strings = doc.vocab.strings
        fixes = self.fixes
        wrong = []
        for key in set(lows):
            fix = fixes.get(key, False)
            if fix is False:
                if len(fixes) > 100_000:
                    fixes.clear()
                fix = fixes[key] = self.correct(strings[key])
            if fix is not None:
                wrong.append(key)
        for key in wrong:
            for i, low in enumerate(lows):
                if low == key:
                    doc[i].norm_ = fixes[key]
        return doc


class TermMatcher:
    """One pass of compiled matchers; every mention becomes a Span labelled with its element,
    with the normalized value in ``span.kb_id_``."""

    def __init__(self, nlp: Language, rules: RulePack):
        self.phrases = PhraseMatcher(nlp.vocab, attr="NORM")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.tokens = Matcher(nlp.vocab)
        self.regexes: list[tuple[str, str, re.Pattern, str | None]] = []
        self.strings = nlp.vocab.strings
        self.keys: dict[int, tuple[str, str]] = {}  # match id -> (element, value)
        self.ids: dict[str, int] = {}  # each element and value as a string id, for the Spans
        by_phrase: dict[str, str] = {}
        for element, ef in rules.elements.items():
            for term in ef.terms:
                key = self._key(element, term.value)
                self.phrases.add(key, [nlp.make_doc(p) for p in term.phrases])
                for p in term.phrases:
                    by_phrase[p.lower()] = key
                if term.case_sensitive:
                    self.exact.add(key, [nlp.make_doc(p) for p in term.case_sensitive])
            for tp in ef.patterns:
                key = self._key(element, tp.value)
                if tp.regex is not None:
                    anchor = tp.anchor.lower() if tp.anchor else None
                    self.regexes.append((element, tp.value, Caseless(tp.regex), anchor))
                else:
                    self.tokens.add(key, [tp.pattern])
        for ab in rules.abbreviations.abbreviations:
            key = by_phrase.get(ab.expands_to.lower())
            if key is None:
                raise RuleFileError(
                    f"{rules.root / 'abbreviations.yml'}: '{ab.abbr}' expands to '{ab.expands_to}', which is no "
                    "element's phrase. Expand it to a phrase listed in patterns/elements/."
                )
            (self.exact if ab.case_sensitive else self.phrases).add(key, [nlp.make_doc(ab.abbr)])

    def _key(self, element: str, value: str) -> str:
        """The matcher key of a term or pattern, ``element|value``, kept with its string ids."""
        key = f"{element}|{value}"
        self.keys[self.strings.add(key)] = (element, value)
        self.ids.update((name, self.strings.add(name)) for name in (element, value))
        return key

    def __call__(self, doc: Doc) -> Doc:
        found: dict[str, list[tuple[int, int, str]]] = {}
        for matcher in (self.phrases, self.exact, self.tokens) if len(self.tokens) else (self.phrases, self.exact):
            for match_id, start, end in matcher(doc):
                element, value = self.keys[match_id]
                found.setdefault(element, []).append((start, end, value))
        if self.regexes:
            text = doc_text(doc)
            lower = lowered(text)
            seen: dict[str, bool] = {}
            for element, value, rx, anchor in self.regexes:
                for m in rx.finditer(text, lower, anchor, seen):
                    span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                    if span is not None and len(span):
                        found.setdefault(element, []).append((span.start, span.end, value))
        spans = []
        for element, matches in found.items():
            # within an element the longest match wins; different elements may overlap
            taken: set[int] = set()
            for start, end, value in sorted(matches, key=lambda m: (m[0] - m[1], m[0])):
                if taken.isdisjoint(range(start, end)):
                    taken.update(range(start, end))
                    spans.append((start, end, element, value))
        spans.sort()
        ids = self.ids
        doc.spans[SPAN_GROUP] = [Span(doc, s, e, label=ids[el], kb_id=ids[v]) for s, e, el, v in spans]
        doc.user_data[MENTIONS_KEY] = spans
        return doc


class SentenceContext:
    """The context engine (notecheck/context.py) over the Doc's mentions. The links are kept in
    ``doc.user_data`` as plain values (read them with ``modifiers_of``) so that a Doc still pickles."""

    def __init__(self, nlp: Language, rules: RulePack):
        self.engine = ContextEngine(nlp, rules)

    def __call__(self, doc: Doc) -> Doc:
        mentions = [(s, e, el) for s, e, el, _v in mentions_of(doc)]
        if mentions:
            doc.user_data[MODIFIERS_KEY] = self.engine.link(doc, mentions, sentence_starts(doc))
        return doc


def known_labels(rules: RulePack) -> frozenset[str]:
    labels = {normalize_label(h) for s in rules.sections.sections for h in s.headers}
    labels |= {normalize_label(lb) for ef in rules.elements.values() for lb in ef.labels}
    return frozenset(labels)


def domain_words(rules: RulePack) -> frozenset[str]:
    words = set()
    for ef in rules.elements.values():
        for term in ef.terms:
            for p in term.phrases:
                words.update(w for w in re.split(r"[^a-z]+", p.lower()) if w)
    return frozenset(words)


@Language.factory("notecheck_sentences")
def _make_sentences(nlp: Language, name: str, rules_dir: str):
    return SentenceSplitter(known_labels(load_rules(rules_dir)))


@Language.factory("notecheck_spelling")
def _make_spelling(nlp: Language, name: str, rules_dir: str):
    rules = load_rules(rules_dir)
    sp = rules.spelling
    return Speller(domain_words(rules), frozenset(sp.never_correct), sp.min_length, sp.score_cutoff)


@Language.factory("notecheck_context")
def _make_context(nlp: Language, name: str, rules_dir: str):
    return SentenceContext(nlp, load_rules(rules_dir))


@Language.factory("notecheck_terms")
def _make_terms(nlp: Language, name: str, rules_dir: str):
    return TermMatcher(nlp, load_rules(rules_dir))


class _Defaults(English.Defaults):
    """spaCy's English tokenizer settings, with two more infixes and without the whitespace special cases."""

    # comma-joined exports glue fields together ("None.,DESCRIPTION:"): split a comma before a letter
    infixes = list(English.Defaults.infixes) + [r",(?=[A-Za-z])", r"(?<=[.:;]),"]
    # a sentence's period after a word ending in a capital ("... 60 units onabotulinumtoxinA.") is its own token
    suffixes = list(English.Defaults.suffixes) + [r"(?<=[a-z][A-Z])\."]
    # spaCy's special cases for whitespace ("\n", "\t", " ", "\xa0") stop its tokenizer from caching words for the
    # rest of a text once one is met (has_special in spacy/tokenizer.pyx): after a note's first line break every
    # word went through the affix rules again, ten times slower. Whitespace tokens come out the same without them.
    tokenizer_exceptions = {k: v for k, v in English.Defaults.tokenizer_exceptions.items() if k.strip()}


class SuffixSearch:
    """The tokenizer's ``suffix_search``: the match of spaCy's suffix regex, found without trying every start.

    spaCy searches its suffix regex (every suffix rule, each ending in ``$``) from a word's first character, and
    runs it again after each suffix it strips: on every word it has not cached (record numbers, dates, times),
    about a third of that word's cost. A suffix ends the word, so a match starts no further back than the
    longest rule reaches (one more: ``$`` also matches before a final line break); the search starts there.
    The rules of unbounded width (spaCy's ``..+``) are searched alone first, and where one starts further back,
    the whole regex is searched as spaCy would. Same match every time; should a rule not end the word (an
    alternation of its own, whose ``$`` ends only its last part), every search is spaCy's."""

    def __init__(self, suffixes: list[str]):
        pieces = [p for p in suffixes if p.strip()]  # as spacy.util.compile_suffix_regex joins them
        self.__self__ = re.compile("|".join(p + "$" for p in pieces))  # spaCy serializes `.__self__.pattern`
        self._search = self.__self__.search
        self._reach: int | None = 0
        self._unbounded: list = []
        for piece in pieces:
            parsed = sre_parse.parse(piece + "$")
            if not len(parsed) or parsed[-1] != (sre_parse.AT, sre_parse.AT_END):
                self._reach = None  # "a|b" + "$": the rule's first alternative need not end the word
                break
            width = parsed.getwidth()[1]
            if width >= sre_parse.MAXREPEAT:
                self._unbounded.append(re.compile(piece + "$").search)
            else:
                self._reach = max(self._reach, width + 1)

    def __call__(self, word: str) -> re.Match | None:
        start = len(word) - self._reach if self._reach is not None else 0
        if start <= 0:
            return self._search(word)
        for search in self._unbounded:
            m = search(word)
            if m is not None and m.start() < start:
                return self._search(word)
        return self._search(word, start)


def _tokenizer(nlp: Language) -> Tokenizer:
    """spaCy's ``spacy.Tokenizer.v1``, with the suffix search above."""
    d = nlp.Defaults
    return Tokenizer(nlp.vocab, rules=d.tokenizer_exceptions, prefix_search=compile_prefix_regex(d.prefixes).search,
                     suffix_search=SuffixSearch(d.suffixes), infix_finditer=compile_infix_regex(d.infixes).finditer,
                     token_match=d.token_match, url_match=d.url_match)


class _English(English):
    """spacy.blank("en") with the settings above, given at construction: set afterwards, each one makes spaCy
    load its four thousand special cases again (a quarter of the start-up)."""

    Defaults = _Defaults


def build_pipeline(rules: RulePack) -> Language:
    """A blank English pipeline with notecheck's components and medspaCy's ConText."""
    nlp = _English(create_tokenizer=_tokenizer)
    nlp.tokenizer = _KeepText(nlp.tokenizer)
    cfg = {"rules_dir": str(rules.root)}
    nlp.add_pipe("notecheck_sentences", config=cfg)
    nlp.add_pipe("notecheck_spelling", config=cfg)
    nlp.add_pipe("notecheck_terms", config=cfg)
    nlp.add_pipe("notecheck_context", config=cfg)
    return nlp
