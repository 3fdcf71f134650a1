"""The context engine keeps medspaCy's ConText semantics: on sentences none of our additions touch (no clause
boundary, parentheses, header or pseudo-negation; no cue inside a mention), it links each mention to the same
cue categories as medspaCy's own ConText component, run through its public API with the same rules."""

from __future__ import annotations

import pytest
import spacy

SENTENCES = [
    "No phenol was injected at the left obturator nerve.",
    "Fluoroscopy was not used for the right genicular nerve.",
    "Her mother had a celiac plexus block with alcohol.",
    "We will inject 5 mL of phenol at the obturator nerve next month.",
    "If pain persists, consider alcohol neurolysis of the celiac plexus.",
    "Prior alcohol neurolysis of the superior hypogastric plexus in 2021 gave relief.",
    "The patient denies numbness after the lidocaine injection at the medial branch.",
    "Consent was not obtained and ultrasound was not available.",
    "There was no evidence of contrast spread along the left intercostal nerve.",
    "Phenol 5 mL was injected under ultrasound at the left obturator nerve.",
]


@pytest.fixture(scope="module")
def medspacy_context(checker):
    from medspacy.context import ConText

    from notecheck.context import context_rules

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    context = ConText(nlp, rules=None, input_span_type="group", span_group_name="notecheck")
    context.add(context_rules(checker.rules))
    return nlp, context


@pytest.mark.parametrize("text", SENTENCES)
def test_context_parity_same_links_as_medspacys_context(checker, medspacy_context, text):
    from notecheck.pipeline import SPAN_GROUP, modifiers_of

    ours = checker.nlp(text)
    nlp, context = medspacy_context
    theirs = nlp(text)
    theirs.spans[SPAN_GROUP] = [theirs[s.start:s.end] for s in ours.spans[SPAN_GROUP]]
    for span, mine in zip(theirs.spans[SPAN_GROUP], ours.spans[SPAN_GROUP]):
        span.label_ = mine.label_
    theirs = context(theirs)
    for span, mine in zip(theirs.spans[SPAN_GROUP], ours.spans[SPAN_GROUP]):
        expected = sorted(m.category for m in span._.modifiers)
        got = sorted(cat for cat, _ in modifiers_of(ours, mine))
        assert got == expected, f"{mine.text!r} ({mine.label_}) in {text!r}: {got} != {expected}"
