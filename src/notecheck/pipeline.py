"""The one place that builds the spaCy pipeline and registers notecheck's components.

    spacy.blank("en") tokenizer
    -> notecheck_sentences  (line structure, `Label:` headers, comma-joined exports; no PyRuSH)
    -> notecheck_spelling   (misspelled domain words get a corrected NORM; rapidfuzz, cached)
    -> notecheck_terms      (phrase matchers and regexes; mentions go to doc.spans["notecheck"])
    -> notecheck_context    (medspaCy ConText, sentence by sentence, with its default rules plus ours)

Nothing but plain values is stored on the Doc (headers as tuples in ``doc.user_data``).
"""

# no `from __future__ import annotations`: spaCy reads the factories' type hints at run time

import bisect
import re
from pathlib import Path

from . import quiet  # noqa: F401  (silences loguru before medspaCy is imported)

import numpy as np
import spacy
from spacy.attrs import IDX, SENT_START
from medspacy.context import ConText, ConTextRule
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from rapidfuzz import fuzz, process
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from .errors import RuleFileError
from .rules import RulePack, load_rules

SPAN_GROUP = "notecheck"
HEADERS_KEY = "notecheck_headers"

# A label followed by a colon at the start of a line, or after a comma/period (comma-joined exports).
_HEADER_RE = re.compile(
    r"(?:^|(?<=\n)|(?<=,)|(?<=\.)|(?<=;))[ \t]*([A-Za-z][A-Za-z0-9 /&'\-\(\)]{0,60}?)[ \t]*:(?![0-9])",
    re.MULTILINE,
)


def normalize_label(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


def find_headers(text: str, known: frozenset[str]) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` for every header: an ALL-CAPS label, or a known label, then a colon."""
    found = []
    for m in _HEADER_RE.finditer(text):
        raw = m.group(1).strip()
        label = normalize_label(raw)
        letters = [c for c in raw if c.isalpha()]
        is_caps = len(letters) >= 2 and all(c.isupper() for c in letters)
        if label in known or (is_caps and len(raw.split()) <= 7):
            found.append((m.start(1), m.end(), label))
    return found


class SentenceSplitter:
    """Sentence starts at line breaks, at headers, and after . ! ? before a capital, digit or bracket.

    Boundaries are found with regular expressions on the text and set in one array operation,
    so the cost per note does not grow with a Python loop over its tokens.
    """

    _BREAKS = re.compile(r"\n[\s]*|[.!?][\"')\]]*[ \t]+(?=[A-Z0-9(\"\[])")

    def __init__(self, known_labels: frozenset[str]):
        self.known_labels = known_labels

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        headers = find_headers(text, self.known_labels)
        doc.user_data[HEADERS_KEY] = headers
        n = len(doc)
        if n == 0:
            return doc
        token_starts = doc.to_array([IDX]).reshape(-1).astype(np.int64)
        cuts = [h[0] for h in headers] + [m.end() for m in self._BREAKS.finditer(text)]
        flags = np.full((n, 1), -1, dtype=np.int64)
        flags[0, 0] = 1
        at = np.searchsorted(token_starts, np.asarray(cuts, dtype=np.int64))
        flags[at[at < n], 0] = 1
        doc.from_array([SENT_START], flags.astype(np.uint64))
        return doc


class Speller:
    """Gives misspelled domain words the NORM of the term they misspell (flouroscopy -> fluoroscopy).

    Only alphabetic tokens that are not known words are looked at, and each distinct spelling is
    scored once per process (cached), so ordinary text costs a set lookup per token.
    """

    def __init__(self, domain_words: frozenset[str], never: frozenset[str], min_length: int, cutoff: float):
        self.domain_words = domain_words
        self.choices = sorted(w for w in domain_words if len(w) >= min_length - 1)
        self.never = never
        self.min_length = min_length
        self.cutoff = cutoff
        self.cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        if word in self.cache:
            return self.cache[word]
        best = process.extractOne(word, self.choices, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        fixed = best[0] if best and best[0][0] == word[0] else None
        if len(self.cache) > 100_000:
            self.cache.clear()
        self.cache[word] = fixed
        return fixed

    def __call__(self, doc: Doc) -> Doc:
        for tok in doc:
            low = tok.lower_
            if len(low) < self.min_length or low in self.domain_words or low in self.never or not tok.is_alpha:
                continue
            fixed = self.correct(low)
            if fixed:
                tok.norm_ = fixed
        return doc


class TermMatcher:
    """One pass of compiled matchers; every mention becomes a Span labelled with its element,
    with the normalized value in ``span.kb_id_``."""

    def __init__(self, nlp: Language, rules: RulePack):
        self.phrases = PhraseMatcher(nlp.vocab, attr="NORM")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.tokens = Matcher(nlp.vocab)
        self.regexes: list[tuple[str, str, re.Pattern, str | None]] = []
        by_phrase: dict[str, str] = {}
        for element, ef in rules.elements.items():
            for term in ef.terms:
                key = f"{element}|{term.value}"
                self.phrases.add(key, [nlp.make_doc(p) for p in term.phrases])
                for p in term.phrases:
                    by_phrase[p.lower()] = key
                if term.case_sensitive:
                    self.exact.add(key, [nlp.make_doc(p) for p in term.case_sensitive])
            for tp in ef.patterns:
                if tp.regex is not None:
                    self.regexes.append((element, tp.value, re.compile(tp.regex, re.IGNORECASE), tp.anchor))
                else:
                    self.tokens.add(f"{element}|{tp.value}", [tp.pattern])
        for ab in rules.abbreviations.abbreviations:
            key = by_phrase.get(ab.expands_to.lower())
            if key is None:
                raise RuleFileError(
                    f"{rules.root / 'abbreviations.yml'}: '{ab.abbr}' expands to '{ab.expands_to}', which is no "
                    "element's phrase. Expand it to a phrase listed in patterns/elements/."
                )
            (self.exact if ab.case_sensitive else self.phrases).add(key, [nlp.make_doc(ab.abbr)])
        self.strings = nlp.vocab.strings

    def __call__(self, doc: Doc) -> Doc:
        found: dict[str, list[tuple[int, int, str]]] = {}
        for matcher in (self.phrases, self.exact, self.tokens) if len(self.tokens) else (self.phrases, self.exact):
            for match_id, start, end in matcher(doc):
                element, value = self.strings[match_id].split("|", 1)
                found.setdefault(element, []).append((start, end, value))
        if self.regexes:
            text = doc.text
            lower = text.lower()
            for element, value, rx, anchor in self.regexes:
                for m in _regex_matches(rx, text, lower, anchor):
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
        doc.spans[SPAN_GROUP] = [Span(doc, s, e, label=el, kb_id=v) for s, e, el, v in spans]
        return doc


def sentence_starts(doc: Doc) -> np.ndarray:
    """Token indices where sentences start, from one array read (``doc.sents`` builds Spans)."""
    return np.flatnonzero(doc.to_array([SENT_START]).reshape(-1).astype(np.int64) == 1)


class SentenceConText(ConText):
    """medspaCy's ConText, applied one sentence at a time and only where a sentence holds a target.

    A cue's scope never leaves its sentence, so this gives the same links as ConText over the whole
    Doc while comparing each cue only with the targets beside it. Nothing but the links
    (``span._.modifiers``) is kept on the Doc.
    """

    def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
        found = doc.spans[self.span_group_name]
        if not len(found):
            return doc
        starts = sentence_starts(doc).tolist()
        by_sentence: dict[int, tuple[list, list]] = {}
        for target in found:
            by_sentence.setdefault(bisect.bisect_right(starts, target.start) - 1, ([], []))[0].append(target)
        matcher = self._ConText__matcher  # medspaCy keeps its matcher private; see medspacy/context/context.py
        for match_id, start, end in matcher(doc):
            group = by_sentence.get(bisect.bisect_right(starts, start) - 1)
            if group is not None:
                rule = matcher.rule_map[self.nlp.vocab[match_id].text]
                group[1].append(ConTextModifier(rule, start, end, doc, max_scope=self.max_scope))
        for sentence_targets, modifiers in by_sentence.values():
            if not modifiers:
                continue
            graph = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
            graph.targets, graph.modifiers = sentence_targets, modifiers
            graph.update_scopes()
            graph.apply_modifiers()
            for target, modifier in graph.edges:
                target._.modifiers += (modifier,)
        return doc


def _phrase_forms(pattern, limit: int = 100) -> list[str] | None:
    """The phrases a token pattern of plain lower-case words matches, or None if it is more than that.

    ``[{"LOWER": {"IN": ["no", "without"]}}, {"LOWER": "evidence", "OP": "?"}]`` ->
    ``["no", "no evidence", "without", "without evidence"]``. A phrase rule costs a hash lookup per token;
    a token pattern costs predicate checks on every token of every note.
    """
    if not isinstance(pattern, list):
        return None
    forms = [""]
    for tok in pattern:
        if set(tok) - {"LOWER", "OP"} or tok.get("OP", "?") != "?":
            return None
        low = tok["LOWER"]
        words = [low] if isinstance(low, str) else low.get("IN") if isinstance(low, dict) and set(low) == {"IN"} else None
        if not words:
            return None
        options = [f"{f} {w}".strip() for f in forms for w in words]
        forms = forms + options if tok.get("OP") == "?" else options
        if len(forms) > limit:
            return None
    return [f for f in forms if f]


def _as_phrase_rules(rule: ConTextRule) -> list[ConTextRule]:
    forms = _phrase_forms(rule.pattern) if rule.pattern is not None else None
    if forms is None:
        return [rule]
    return [
        ConTextRule(literal=f, category=rule.category, direction=rule.direction, allowed_types=rule.allowed_types,
                    excluded_types=rule.excluded_types, max_scope=rule.max_scope, terminated_by=rule.terminated_by)
        for f in forms
    ]


def _regex_matches(rx: re.Pattern, text: str, lower: str, anchor: str | None):
    """Matches of ``rx`` in ``text``; with an anchor word, only in a short window ending at each anchor."""
    if anchor is None:
        yield from rx.finditer(text)
        return
    seen_end = -1
    at = lower.find(anchor)
    while at != -1:
        stop = at + len(anchor) + 1
        start = lower.rfind(" ", 0, max(0, at - 60)) + 1  # from a word start, about 60 characters back
        if start <= seen_end:
            start = seen_end
        for m in rx.finditer(text, start, min(stop, len(text))):
            yield m
            seen_end = m.end()
        seen_end = max(seen_end, stop - 1)
        at = lower.find(anchor, at + len(anchor))


def _context_rules(rules: RulePack) -> list[ConTextRule]:
    out = []
    if rules.context.use_medspacy_defaults:
        import medspacy

        defaults = Path(medspacy.__file__).resolve().parents[1] / "resources" / "en" / "context_rules.json"
        drop = set(rules.context.drop_default_rules)
        out += [r for r in ConTextRule.from_json(str(defaults)) if r.literal not in drop]
    for spec in rules.context.rules:
        out.append(
            ConTextRule(
                literal=spec.literal,
                category=spec.category,
                pattern=spec.pattern,
                direction=spec.direction,
                allowed_types=set(spec.allowed_types) if spec.allowed_types else None,
                excluded_types=set(spec.excluded_types) if spec.excluded_types else None,
                max_scope=spec.max_scope,
            )
        )
    return [p for r in out for p in _as_phrase_rules(r)]


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


@Language.factory("notecheck_context", default_config={"rules": None, "input_span_type": "group",
                   "span_group_name": SPAN_GROUP, "prune_on_target_overlap": False, "span_attrs": None})
def _make_context(nlp: Language, name: str, rules, input_span_type: str, span_group_name: str,
                  prune_on_target_overlap: bool, span_attrs):
    return SentenceConText(nlp, name=name, rules=rules, input_span_type=input_span_type,
                           span_group_name=span_group_name, prune_on_target_overlap=prune_on_target_overlap,
                           span_attrs=span_attrs)


@Language.factory("notecheck_terms")
def _make_terms(nlp: Language, name: str, rules_dir: str):
    return TermMatcher(nlp, load_rules(rules_dir))


def build_pipeline(rules: RulePack) -> Language:
    """A blank English pipeline with notecheck's components and medspaCy's ConText."""
    nlp = spacy.blank("en")
    # comma-joined exports glue fields together ("None.,DESCRIPTION:"): split a comma before a letter
    infixes = list(nlp.Defaults.infixes) + [r",(?=[A-Za-z])", r"(?<=[.:;]),"]
    nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
    cfg = {"rules_dir": str(rules.root)}
    nlp.add_pipe("notecheck_sentences", config=cfg)
    nlp.add_pipe("notecheck_spelling", config=cfg)
    nlp.add_pipe("notecheck_terms", config=cfg)
    context = nlp.add_pipe(
        "notecheck_context",
        config={
            "rules": None,  # medspaCy's defaults are added by _context_rules, less the ones we replace
            "input_span_type": "group",
            "span_group_name": SPAN_GROUP,
            # a cue inside a term ("no" in "no complications") is handled in extract.py, by category
            "prune_on_target_overlap": False,
            "span_attrs": None,
        },
    )
    context.add(_context_rules(rules))
    return nlp
