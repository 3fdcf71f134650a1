"""The context engine: which cues (negated, planned, hypothetical, historical, someone else's ...) reach a mention.

It keeps medspaCy's ConText: its rule format (``ConTextRule``), its default rules
(``resources/en/context_rules.json``), its matcher (``MedspacyMatcher``, public) and its semantics
(a cue reaches its sentence in its direction, at most ``max_scope`` tokens; two cues of one category, a
``TERMINATE`` cue or a category named in ``terminated_by`` cut each other's scope; a cue never modifies a
mention it overlaps; ``allowed_types`` / ``excluded_types`` filter by the mention's label). It owns the graph
over plain tuples, one sentence at a time and only where a sentence holds a target, and adds what the
measured errors asked for:

- pseudo-negations (``pseudo_negations`` in context.yml: "no blood on aspiration", "without contrast") are
  phrases of their own: they negate only what they hold after their first word ("without contrast" negates
  "contrast"), nothing outside them but the next item of a list they start ("no paresthesia or paralysis",
  ``pseudo_list_words``, a few tokens), and they cut no other cue's scope;
- scope ends at clause boundaries: the ``TERMINATE`` rules of context.yml (";", "but", "however",
  "positive for", "presents" ...), a header flattened onto the line ("... CLINICAL HISTORY: ..."), a list
  marker ``2)``, and the parentheses around a cue ("(no contrast)" reaches nothing outside them);
- cues are matched with in-line runs of spaces removed, so "negative   for" is "negative for".

Public use: ``notecheck.context_of(text, spans)``.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import numpy as np
from medspacy.common.medspacy_matcher import MedspacyMatcher
from medspacy.context import ConTextRule
from spacy.attrs import IS_SPACE, ORTH
from spacy.tokens import Doc

from . import quiet  # noqa: F401  (silences loguru before medspaCy is imported)
from .rules import RulePack

# (category, direction, start, end, lo, hi, allowed, excluded, terminated_by, ends): one matched cue and its scope
_CAT, _DIR, _START, _END, _LO, _HI, _ALLOWED, _EXCLUDED, _TERMINATED_BY, _ENDS = range(10)

_PSEUDO_NEGATION = "PSEUDO_NEGATION"
NEGATED = "NEGATED_EXISTENCE"
REASONS = ("negated", "historical", "hypothetical", "planned", "other_experiencer")


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
                    excluded_types=rule.excluded_types, max_scope=rule.max_scope, terminated_by=rule.terminated_by,
                    metadata=rule.metadata)
        for f in forms
    ]


def context_rules(rules: RulePack) -> list[ConTextRule]:
    """medspaCy's default rules (less those context.yml drops) and ours, as medspaCy ConTextRules."""
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
                metadata={"ends": [c.upper() for c in spec.ends]} if spec.ends else None,
            )
        )
    return [p for r in out for p in _as_phrase_rules(r)]


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    """Whether two token ranges share a token. (medspaCy's ``tuple_overlaps`` misses a range that holds the
    other: the "no" inside "Neck supple, no lymphadenopathy" negated the whole finding.)"""
    return a0 < b1 and b0 < a1


class ContextEngine:
    """Links each target ``(start, end, label)`` of a Doc to the ``(category, cue start)`` of the cues reaching it."""

    def __init__(self, nlp, rules: RulePack):
        self.matcher = MedspacyMatcher(nlp, phrase_matcher_attr="LOWER", prune=True)
        # pseudo-negations are matched with the cues, so the longest match wins as for any cue ("no blood
        # return" over "no" and "return"); the graph then leaves them out: they cut no other cue's scope
        self.matcher.add(context_rules(rules) + [ConTextRule(literal=p, category=_PSEUDO_NEGATION, direction="PSEUDO")
                                                 for p in rules.context.pseudo_negations])
        self.strings = nlp.vocab.strings
        self.list_words = frozenset(self.strings.add(w.lower()) for w in rules.context.pseudo_list_words)
        self.list_scope = rules.context.pseudo_list_scope
        self.list_excluded = frozenset(t.upper() for t in rules.context.pseudo_list_excluded_types) or None
        comma_bounded = frozenset(c.lower() for c in rules.context.comma_bounded_cues)
        self.comma_bounded_scope = rules.context.comma_bounded_scope
        self.comma = self.strings.add(",")
        self._inline: dict[int, bool] = {}
        self.colon = self.strings.add(":")
        self.open, self.close = self.strings.add("("), self.strings.add(")")
        # a rule as the plain values the graph reads
        self.cue_of: dict[str, tuple] = {}
        for rule_id, rule in self.matcher.rule_map.items():
            if getattr(rule, "max_targets", None) is not None or getattr(rule, "on_modifies", None) is not None:
                raise ValueError(f"context rule '{rule.literal}': max_targets and on_modifies are not supported")
            ends = (rule.metadata or {}).get("ends")
            self.cue_of[rule_id] = (rule.category, rule.direction.upper(), rule.max_scope, rule.allowed_types,
                                    rule.excluded_types, frozenset(t.upper() for t in (rule.terminated_by or ())),
                                    frozenset(ends) if ends else None)
        # the FORWARD cues whose scope a comma soon after ends ("Without sedation, ...")
        self.comma_bounded = frozenset(rule_id for rule_id, rule in self.matcher.rule_map.items()
                                       if rule.direction.upper() == "FORWARD" and rule.literal.lower() in comma_bounded)

    # ------------------------------------------------------------------ matching

    def _matches(self, doc: Doc, matcher: MedspacyMatcher, orth: np.ndarray, space: np.ndarray) -> list[tuple[str, int, int]]:
        """``(rule id, start, end)`` of each match, with in-line runs of spaces taken out of the Doc first
        (``orth``: the ORTH of each token; ``space``: the positions of the whitespace tokens)."""
        if not len(space):
            return [(self.strings[m], s, e) for m, s, e in matcher(doc)]
        inline = [i for i, o in zip(space.tolist(), orth[space].tolist()) if self._inline_space(o)]
        if not inline:
            return [(self.strings[m], s, e) for m, s, e in matcher(doc)]
        keep = np.ones(len(doc), dtype=bool)
        keep[inline] = False
        index = np.flatnonzero(keep)
        words = [self.strings[o] for o in orth[index].tolist()]
        squeezed = Doc(doc.vocab, words=words)
        index = index.tolist()
        return [(self.strings[m], index[s], index[e - 1] + 1) for m, s, e in matcher(squeezed)]

    def _inline_space(self, orth: int) -> bool:
        """Whether a whitespace token holds no line break (cached by its string id)."""
        found = self._inline.get(orth)
        if found is None:
            found = self._inline[orth] = "\n" not in self.strings[orth]
        return found

    # ------------------------------------------------------------------ boundaries

    def _comma(self, doc: Doc, lo: int, hi: int) -> int | None:
        return next((i for i in range(lo, min(hi, len(doc))) if doc[i].orth == self.comma), None)

    def _marks(self, orth: np.ndarray) -> tuple[list[int], list[tuple[int, int]], list[tuple[int, int]]]:
        """Token positions that bound a cue's scope, found once per Doc from the ORTH of its tokens: colons,
        matched ``( )`` pairs, and list markers (a ``)`` with no open ``(`` before it, as in "2) No effusion")."""
        colons = np.flatnonzero(orth == self.colon).tolist()
        pairs, markers, stack = [], [], []
        for i in np.flatnonzero((orth == self.open) | (orth == self.close)).tolist():
            if orth[i] == self.open:
                stack.append(i)
            elif stack:
                pairs.append((stack.pop(), i))
            else:
                markers.append((i, i + 1))
        return colons, pairs, markers

    @staticmethod
    def _header(doc: Doc, colon: int, lo: int) -> tuple[int, int] | None:
        """The ALL-CAPS label before a colon ("CLINICAL HISTORY:"), as a token span with its colon, or None."""
        j = colon
        while j - 1 >= lo and colon - j < 6:
            t = doc[j - 1]
            if t.is_space or (t.is_alpha and t.is_upper) or t.text in ("/", "&", "-"):
                j -= 1
            else:
                break
        if j < colon and any(doc[k].is_alpha and len(doc[k]) > 1 for k in range(j, colon)):
            return j, colon + 1
        return None

    # ------------------------------------------------------------------ the graph

    def link(self, doc: Doc, targets: list[tuple[int, int, str]],
             starts: list[int]) -> dict[tuple[int, int, str], tuple[tuple[str, int], ...]]:
        """``starts``: the first token of each sentence (``pipeline.sentence_starts``)."""
        if not targets:
            return {}
        ends = starts[1:] + [len(doc)]
        by_sentence: dict[int, tuple[list, list, list]] = {}  # targets, cues, pseudo-negations
        for target in targets:
            by_sentence.setdefault(bisect.bisect_right(starts, target[0]) - 1, ([], [], []))[0].append(target)
        arr = doc.to_array([ORTH, IS_SPACE])
        orth = arr[:, 0]
        matches = self._matches(doc, self.matcher, orth, np.flatnonzero(arr[:, 1]))
        if not matches:
            return {}
        for rule_id, start, end in matches:
            k = bisect.bisect_right(starts, start) - 1
            group = by_sentence.get(k)
            if group is None or end > ends[k]:
                continue
            cat, direction, max_scope, allowed, excluded, terminated_by, cut = self.cue_of[rule_id]
            if cat == _PSEUDO_NEGATION:  # "no blood on aspiration": its words are no cue for anything outside it
                group[2].append((start, end))
                # ... except the next item of a list it starts: "no paresthesia or paralysis"
                if end < ends[k] and doc[end].lower in self.list_words:
                    group[1].append([NEGATED, "FORWARD", start, end + 1, end + 1, min(ends[k], end + 1 + self.list_scope),
                                     None, self.list_excluded, frozenset(), None])
                continue
            lo = end if direction == "FORWARD" else starts[k]
            hi = start if direction == "BACKWARD" else ends[k]
            if max_scope is not None:
                lo, hi = max(lo, start - max_scope), min(hi, end + max_scope)
            if rule_id in self.comma_bounded:
                comma = self._comma(doc, end, min(hi, end + self.comma_bounded_scope + 1))
                if comma is not None:
                    hi = comma  # "Without sedation, ...": the phrase before the comma
            group[1].append([cat, direction, start, end, lo, hi, allowed, excluded, terminated_by, cut])
        links: dict[tuple[int, int, str], tuple[tuple[str, int], ...]] = {}
        marks = None
        for k, (sentence_targets, cues, pseudo) in by_sentence.items():
            for p0, p1 in pseudo:  # what a pseudo-negation holds after its first word is what it negates
                for t in sentence_targets:
                    if p0 < t[0] < p1:
                        links[t] = links.get(t, ()) + ((NEGATED, p0),)
            if not cues:
                continue
            if marks is None:
                marks = self._marks(orth)
            colons, pairs, markers = marks
            lo, hi = starts[k], ends[k]
            bounds = [b for i in colons[bisect.bisect_left(colons, lo): bisect.bisect_left(colons, hi)]
                      if (b := self._header(doc, i, lo)) is not None]
            bounds += [m for m in markers if lo <= m[0] < hi]
            for b0, b1 in bounds:
                for c in cues:
                    if b0 >= c[_END]:
                        c[_HI] = min(c[_HI], b0)
                    elif b1 <= c[_START]:
                        c[_LO] = max(c[_LO], b1)
                    else:  # "HISTORY" in "CLINICAL HISTORY:" is a label, no cue (sections.yml says what it opens)
                        c[_HI] = c[_LO]
            for p0, p1 in pairs:
                if lo <= p0 < hi:
                    for c in cues:
                        if p0 < c[_START] and c[_END] <= p1:  # a cue inside parentheses stays inside them
                            c[_LO], c[_HI] = max(c[_LO], p0 + 1), min(c[_HI], p1)
            _limit_scopes(cues)
            for t_start, t_end, label in sentence_targets:
                up = label.upper()
                for c in cues:
                    if c[_DIR] in ("TERMINATE", "PSEUDO") or _overlaps(c[_START], c[_END], t_start, t_end):
                        continue
                    if c[_ALLOWED] is not None:
                        if up not in c[_ALLOWED]:
                            continue
                    elif c[_EXCLUDED] is not None and up in c[_EXCLUDED]:
                        continue
                    if _overlaps(c[_LO], c[_HI], t_start, t_end):
                        key = (t_start, t_end, label)
                        links[key] = links.get(key, ()) + ((c[_CAT], c[_START]),)
        return links


def _limit_scopes(cues: list[list]) -> None:
    """medspaCy's ``ConTextGraph.update_scopes``: every pair of cues, each limiting the other."""
    for i in range(len(cues) - 1):
        a = cues[i]
        for j in range(i + 1, len(cues)):
            b = cues[j]
            _limit(a, b)
            _limit(b, a)


def _limit(c: list, other: list) -> None:
    """medspaCy's ``ConTextModifier.limit_scope``: ``other`` cuts ``c``'s scope when it terminates, names a
    category that ``c`` is terminated by, or shares ``c``'s category (and its type filters)."""
    if not _overlaps(c[_LO], c[_HI], other[_LO], other[_HI]) or c[_DIR] == "TERMINATE":
        return
    if other[_DIR] != "TERMINATE" and other[_CAT] not in c[_TERMINATED_BY] and other[_CAT] != c[_CAT]:
        return
    if other[_DIR] == "TERMINATE" and other[_ENDS] is not None and c[_CAT] not in other[_ENDS]:
        return  # "positive for" ends a negation, not "family history"
    if c[_CAT] == other[_CAT] and (c[_ALLOWED] != other[_ALLOWED] or c[_EXCLUDED] != other[_EXCLUDED]):
        return
    if c[_DIR] in ("FORWARD", "BIDIRECTIONAL") and other[_START] > c[_START]:
        c[_HI] = min(c[_HI], other[_START])
    if c[_DIR] in ("BACKWARD", "BIDIRECTIONAL") and other[_END] < c[_END]:
        c[_LO] = max(c[_LO], other[_END])
