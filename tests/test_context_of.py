"""notecheck.context_of and the context engine behind it (notecheck/context.py), one table per class of error.

Each row is a sentence, the finding in it (its first occurrence, or the ``nth``) and the reasons that must
apply to it as a clinical finding. The procedure-note rows at the end check the same engine through
extraction: what a cue does to our own mentions.
"""

from __future__ import annotations

import pytest

import notecheck
from notecheck.errors import NotecheckError

N, H, Y, P, X = "negated", "historical", "hypothetical", "planned", "other_experiencer"


def row(text: str, finding: str, reasons: set[str], id: str, nth: int = 0):
    return pytest.param(text, finding, frozenset(reasons), nth, id=id)


def reasons_of(text: str, finding: str, nth: int = 0) -> frozenset[str]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(finding, start + 1)
    return notecheck.context_of(text, [(start, start + len(finding))])[0]


def check(text, finding, expected, nth):
    got = reasons_of(text, finding, nth)
    assert got == expected, f"{finding!r} in {text!r}: {sorted(got)} != {sorted(expected)}"


AFFIRMED_AND_NEGATED = [
    row("The patient has a cough.", "cough", set(), "affirmed"),
    row("No fever or chills.", "chills", {N}, "negated-list"),
    row("She denies any diaphoresis.", "diaphoresis", {N}, "denies"),
    row("SKIN:  No rashes.", "rashes", {N}, "no-after-a-header-colon"),
    row("Fever: no.", "Fever", {N}, "colon-no-looks-back"),
    row("Culture negative   for MRSA.", "MRSA", {N}, "negative-for-across-spaces"),
    row("Smear -ve for malaria.", "malaria", {N}, "minus-ve-for"),
    row("Her headache resolved.", "headache", {N}, "resolved-looks-back"),
    row("CT of the chest to evaluate for pneumonia.", "pneumonia", set(), "evaluate-for-not-negation"),
    row("CT of the head without contrast showed a small bleed.", "small bleed", set(), "without-contrast-not-negation"),
    row("CT of the head without contrast showed a small bleed.", "contrast", {N}, "without-contrast-negates-contrast"),
    row("The nodule is stable without change in size.", "nodule", set(), "without-change-not-negation"),
    row("He refused the vaccine in clinic and today reports a productive cough.", "productive cough", set(),
        "refused-bounded"),
    row("He refused the vaccine.", "vaccine", {N}, "refused-near"),
    row("No paresthesia or paralysis.", "paralysis", {N}, "pseudo-negation-starts-a-list"),
    row("No blood or paresthesia on aspiration and the mass was biopsied.", "mass", set(),
        "pseudo-negation-list-is-bounded"),
]

CLAUSE_BOUNDARIES = [
    row("No cough; wheezing on exam.", "wheezing", set(), "semicolon"),
    row("No cough, but wheezing on exam.", "wheezing", set(), "but"),
    row("No rash, however there is itching.", "itching", set(), "however"),
    row("No fever although the cough persists.", "cough", set(), "although"),
    row("Urinalysis with no nitrites, positive for leukocytes.", "leukocytes", set(), "positive-for"),
    row("Family history positive for stroke.", "stroke", {X}, "positive-for-ends-negation-only"),
    row("Abdomen benign (no tenderness) with a palpable mass.", "palpable mass", set(), "closing-paren"),
    row("Abdomen benign (no tenderness) with a palpable mass.", "tenderness", {N}, "inside-paren"),
    row("Findings: 1) no effusion 2) mild mitral regurgitation.", "regurgitation", set(), "list-marker"),
    row("Denies chest pain CLINICAL HISTORY: dyspnea on exertion.", "dyspnea", set(), "flattened-header"),
    row("Denies chest pain CLINICAL HISTORY: dyspnea on exertion.", "chest pain", {N}, "before-flattened-header"),
    row("No clear etiology of the anemia was found.", "anemia", set(), "etiology-of"),
    row("No trauma, presents with hip fracture.", "hip fracture", set(), "presents"),
    row("no vascular uptake period mild swelling of the foot", "swelling", set(), "dictated-period"),
    row("No change in vision, diplopia or change in hearing.", "diplopia", {N}, "no-change-is-a-negation-of-findings"),
    row("There were no further episodes of hematemesis.", "hematemesis", {N}, "no-further-negates"),
    # a "without" phrase ends at its comma (comma_bounded_cues in context.yml)
    row("Without sedation, 3 mL of 6% phenol was injected.", "phenol", set(), "fronted-without"),
    row("Without sedation, 3 mL of 6% phenol was injected.", "sedation", {N}, "fronted-without-negates-its-phrase"),
    row("With no complications, 5 mL of ropivacaine was injected.", "ropivacaine", set(), "fronted-with-no"),
    row("The knee was injected without ultrasound, with 40 mg of triamcinolone.", "ultrasound", {N}, "mid-sentence-without"),
    row("Under sterile technique and without imaging guidance, 40 mg triamcinolone was injected.", "triamcinolone", set(),
        "mid-sentence-without-ends-at-comma"),
]

HISTORICAL = [
    row("History of diabetes who presents with chest pain.", "diabetes", {H}, "history-of"),
    row("History of diabetes who presents with chest pain.", "chest pain", set(), "presents-ends-history"),
    row("She is status post multiple back surgeries.", "back surgeries", {H}, "status-post-finding"),
    row("He is a former smoker.", "smoker", {H}, "former"),
    row("Fibrosis near an old rib fracture.", "rib fracture", {H}, "old"),
    row("She quit smoking.", "smoking", {H}, "quit"),
    row("PAST MEDICAL HISTORY: Hypertension and gout.", "gout", {H}, "history-section"),
    row("HISTORY OF PRESENT ILLNESS: She presents with left-sided weakness and confusion.", "confusion", set(),
        "hpi-is-current"),
    row("BRIEF HISTORY OF PRESENT ILLNESS: Admitted for lethargy.", "lethargy", set(), "brief-hpi-is-current"),
    row("HPI: A woman with a two-day history of fever and vomiting.", "fever", set(), "days-history-is-recent"),
    row("He has a one-week history of cough.", "cough", set(), "week-history-is-recent"),
    row("She has a 10-year history of diabetes.", "diabetes", {H}, "years-history-is-history"),
    row("History of coronary disease who presented with stabbing chest pain.", "chest pain", set(),
        "presented-ends-history"),
    row("A history of lupus who was initially admitted with mental status changes.", "mental status changes", set(),
        "who-was-admitted-ends-history"),
    row("Family history of diabetes.", "diabetes", {X}, "family-history-is-other-not-historical"),
]

HYPOTHETICAL_AND_PLANNED = [
    row("If chest pain recurs, return to the emergency room.", "chest pain", {Y}, "if"),
    row("Fluoroscopy was considered but not available.", "Fluoroscopy", {Y}, "considered-but-not-available"),
    row("Fluoroscopy was considered but not available. Ultrasound was used.", "Ultrasound", set(),
        "considered-not-next-sentence"),
    row("We will start aspirin.", "aspirin", {P}, "will"),
]

OTHER_EXPERIENCER = [
    row("Her mother had breast cancer.", "breast cancer", {X}, "mother"),
    row("His father has coronary disease.", "coronary disease", {X}, "father"),
    row("Sister with lupus.", "lupus", {X}, "sister"),
    row("His brother has asthma.", "asthma", {X}, "brother"),
    row("Family history of colon cancer.", "colon cancer", {X}, "family-history-of"),
    row("Her husband has a cold.", "cold", {X}, "husband"),
    row("His wife has the flu.", "flu", {X}, "wife"),
]


@pytest.mark.parametrize("text, finding, expected, nth", AFFIRMED_AND_NEGATED)
def test_context_of_negation(text, finding, expected, nth):
    check(text, finding, expected, nth)


@pytest.mark.parametrize("text, finding, expected, nth", CLAUSE_BOUNDARIES)
def test_context_of_scope_ends_at_clause_boundaries(text, finding, expected, nth):
    check(text, finding, expected, nth)


@pytest.mark.parametrize("text, finding, expected, nth", HISTORICAL)
def test_context_of_historical(text, finding, expected, nth):
    check(text, finding, expected, nth)


@pytest.mark.parametrize("text, finding, expected, nth", HYPOTHETICAL_AND_PLANNED)
def test_context_of_hypothetical_and_planned(text, finding, expected, nth):
    check(text, finding, expected, nth)


@pytest.mark.parametrize("text, finding, expected, nth", OTHER_EXPERIENCER)
def test_context_of_other_experiencer(text, finding, expected, nth):
    check(text, finding, expected, nth)


def test_context_of_one_answer_per_span_in_order():
    text = "No fever. Her mother had breast cancer. Cough."
    spans = [(text.index("Cough"), len(text) - 1), (3, 8), (text.index("breast"), text.index(" cancer") + 7)]
    assert notecheck.context_of(text, spans) == [frozenset(), frozenset({N}), frozenset({X})]
    assert notecheck.context_of(text, []) == []


@pytest.mark.parametrize("span", [(5, 5), (-1, 3), (0, 999), ("a", 3)])
def test_context_of_a_span_outside_the_text_is_a_clear_error(span):
    text = "No fever."
    with pytest.raises(NotecheckError) as exc:
        notecheck.context_of(text, [span])
    assert "fever" not in str(exc.value)  # no note text in the message
    assert "start < end" in str(exc.value)


def test_context_of_uses_no_private_medspacy_attribute():
    import inspect

    import notecheck.context
    import notecheck.pipeline

    for module in (notecheck.context, notecheck.pipeline):
        assert "_ConText__" not in inspect.getsource(module)


# ---------------------------------------------------------------------- our own mentions


EXTRACTION = [
    # (text, element, present?) ; the clause boundary keeps what follows it
    ("No imaging was used; 15 mL of 50% alcohol was injected at the left obturator nerve.", "agent", {"alcohol"}),
    ("No imaging was used; 15 mL of 50% alcohol was injected at the left obturator nerve.", "volume", {"15 mL"}),
    ("No imaging was used; 15 mL of 50% alcohol was injected at the left obturator nerve.", "imaging", None),
    # a negation inside one of our terms is no cue for that term, but is one for the others of its clause
    ("No complications or phenol.", "response", set()),
    ("No complications or phenol.", "agent", None),
    # a pseudo-negation is a phrase of its own: it swallows no real negation of another mention
    ("Aspiration showed no blood and no fluoroscopy was used.", "imaging", None),
    ("After aspiration with no blood return, 0.5 mL of 1% lidocaine was injected at the medial branch.", "agent",
     {"local_anesthetic"}),
    # ... and the list a pseudo-negation starts negates findings, not the aspiration it confirms
    ("No paresthesia or blood on aspiration; 5 mL of 6% phenol at the left obturator nerve.",
     "placement_confirmation", {"aspiration"}),
    # a surrogate giving consent is still the patient's consent
    ("His wife signed the consent as his healthcare proxy. Left obturator nerve 5 mL 6% phenol.", "consent", set()),
    ("Her daughter (POA) gave written consent.", "consent", set()),
    ("His wife has signed consent for the procedure.", "consent", set()),
    # HPI findings are current (context_of), but a procedure it tells of is still history
    ("HISTORY OF PRESENT ILLNESS: She had a left obturator nerve phenol block in May with good relief.",
     "nerve_target", None),
    # status post: not historical for today's procedure
    ("Status post left obturator nerve phenol neurolysis today with 5 mL 6% phenol.", "nerve_target",
     {"obturator_nerve"}),
]


@pytest.mark.parametrize("text, element, expected", EXTRACTION, ids=[f"{e}-{i}" for i, (_, e, _) in enumerate(EXTRACTION)])
def test_context_of_our_mentions(checker, text, element, expected):
    finding = checker.check(text).elements[element]
    shown = f"{element} in {text!r}: {finding.values} excluded={[(e.text, e.reason) for e in finding.excluded]}"
    if expected is None:
        assert not finding.present, shown
    else:
        assert finding.present, shown
        assert set(finding.values) == expected, shown
