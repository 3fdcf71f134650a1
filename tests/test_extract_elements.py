"""Element extraction, one parametrized table per element of the spec (/work/shared/spec/elements.md).

Each row is a short note and what the element must be in it: ``ABSENT``, ``PRESENT`` (valueless
elements: consent, indication, response, follow_up) or the exact set of normalized values.
Affirmed rows cover prose, templates, abbreviations, misspellings and comma-joined exports;
the rows that must be absent are negated, planned, hypothetical, historical, about someone else,
or template placeholders (unfilled blanks and unticked checkboxes).
"""

from __future__ import annotations

import pytest

from notecheck.models import CORE_ELEMENTS, ELEMENTS

ABSENT = None
PRESENT = frozenset()  # present, with no normalized values (valueless elements)


def case(text: str, expected, id: str):
    """One table row; ``expected`` is ABSENT, PRESENT or an iterable of values."""
    if expected is not ABSENT and not isinstance(expected, frozenset):
        expected = frozenset([expected] if isinstance(expected, str) else expected)
    return pytest.param(text, expected, id=id)


def assert_element(checker, element: str, text: str, expected) -> None:
    finding = checker.check(text).elements[element]
    shown = f"{element} in {text!r}: present={finding.present} values={finding.values} " + (
        f"excluded={[(e.text, e.reason) for e in finding.excluded]}"
    )
    if expected is ABSENT:
        assert not finding.present, shown
        assert finding.values == (), shown
    else:
        assert finding.present, shown
        assert set(finding.values) == set(expected), shown
        assert finding.evidence, shown
        for ev in finding.evidence:  # evidence points at the note
            assert text[ev.start:ev.end] == ev.text and ev.reason is None, shown


COMMA_EXPORT = "PROCEDURE: , Left obturator nerve phenol neurolysis.,CONSENT: , Signed.,"

# --------------------------------------------------------------------------- nerve_target

NERVE_TARGET = [
    case("Left obturator nerve phenol neurolysis with 5 mL of 6% phenol.", "obturator_nerve", "prose"),
    case("Superior hypogastric plexus neurolysis was performed with 8 mL of 10% phenol.", "superior_hypogastric_plexus", "plexus"),
    case("Hypogastric plexus block with 10 mL of dehydrated alcohol.", "superior_hypogastric_plexus", "plain-hypogastric"),
    case("SHP neurolysis with 10 mL of dehydrated alcohol under fluoro.", "superior_hypogastric_plexus", "abbrev-SHP"),
    case("Superior hypogastic plexus neurolysis with 8 mL of 10% phenol.", "superior_hypogastric_plexus", "misspelled-hypogastic"),
    case("Left obturater nerve neurolysis with 5 mL of 6% phenol.", "obturator_nerve", "misspelled-obturater"),
    case("Radiofrequency ablation of the left L4 and L5 medial branches at 80 degrees.", "medial_branch", "medial-branch"),
    case("Right knee genicular nerve radiofrequency ablation at 80 degrees.", "genicular_nerve", "genicular"),
    case("Right stellate ganglion block with 10 mL of 0.25% bupivacaine.", "stellate_ganglion", "ganglion"),
    case("A left intercostal nerve block was performed at T6 with 5 mL of 0.5% bupivacaine.", "intercostal_nerve", "intercostal"),
    case("Phenol 6% 3 mL was injected at the left obturator nerve and 2 mL at the left tibial nerve.",
         {"obturator_nerve", "tibial_nerve"}, "two-targets"),
    case(COMMA_EXPORT, "obturator_nerve", "comma-export"),
    case("No obturator nerve block was performed today.", ABSENT, "negated"),
    case("Plan: left obturator nerve phenol neurolysis next week.", ABSENT, "planned"),
    case("If spasticity persists, consider obturator nerve phenol neurolysis.", ABSENT, "hypothetical"),
    case("Prior celiac plexus neurolysis in 2021 gave relief.", ABSENT, "historical"),
    case("Her mother had a celiac plexus block.", ABSENT, "other-experiencer"),
    case("Target: [ ] obturator nerve [ ] tibial nerve", ABSENT, "placeholder-unticked"),
    case("An epidural steroid injection was placed at L5-S1 into the epidural space.", ABSENT, "epidural-not-a-target"),
    case("Trigger point injections into the trapezius muscle.", ABSENT, "muscle-not-a-target"),
    case("If landmarks are unclear, consider nerve stimulation.", ABSENT, "stimulation-is-not-a-target"),
]


@pytest.mark.parametrize("text, expected", NERVE_TARGET)
def test_extract_nerve_target(checker, text, expected):
    assert_element(checker, "nerve_target", text, expected)


# --------------------------------------------------------------------------- agent

AGENT = [
    case("Five mL of 6% phenol was injected at the right obturator nerve.", "phenol", "phenol"),
    case("Ten mL of dehydrated alcohol was injected into the celiac plexus.", "alcohol", "alcohol"),
    case("Botox 100 units was injected into the left biceps under EMG guidance.", "botulinum_toxin", "botox"),
    case("Radiofrequency lesions were made at 80 degrees for 90 seconds at the left L4 medial branch.", "radiofrequency", "rf"),
    case("Pulsed radiofrequency of the right suprascapular nerve at 42 degrees for 120 seconds.", "pulsed_radiofrequency", "pulsed-rf"),
    case("Cryoneurolysis of the right infrapatellar branch of the saphenous nerve.", "cryoablation", "cryo"),
    case("The left genitofemoral nerve was blocked with 5 mL of 0.25% bupivacaine.", "local_anesthetic", "local-at-target"),
    case("Depo-Medrol 40 mg was injected at the right greater occipital nerve.", "steroid", "steroid-brand"),
    case("Left obturator nerve neurolysis with 5 mL of 6% phenoll.", "phenol", "misspelled-phenoll"),
    case("The skin was anesthetized with 1% lidocaine. Then 5 mL of 6% phenol was injected at the left obturator nerve.",
         "phenol", "skin-local-not-counted"),
    case(COMMA_EXPORT, "phenol", "comma-export"),
    case("Phenol was not used for this block.", ABSENT, "negated"),
    case("Plan: phenol neurolysis of the left obturator nerve next week.", ABSENT, "planned"),
    case("If pain persists, consider alcohol neurolysis.", ABSENT, "hypothetical"),
    case("The risks of phenol were discussed.", ABSENT, "hypothetical-risks"),
    case("Prior alcohol neurolysis in 2021 gave relief.", ABSENT, "historical"),
    case("Her mother had alcohol neurolysis of the celiac plexus.", ABSENT, "other-experiencer"),
    case("Agent: [ ] phenol [ ] alcohol", ABSENT, "placeholder-unticked"),
    case("The skin was anesthetized with 1% lidocaine.", ABSENT, "skin-local"),
]


@pytest.mark.parametrize("text, expected", AGENT)
def test_extract_agent(checker, text, expected):
    assert_element(checker, "agent", text, expected)


# --------------------------------------------------------------------------- volume

VOLUME = [
    case("Injected 4 cc of 6% phenol at the left tibial nerve.", "4 mL", "cc-is-mL"),
    case("Five mL of 6% phenol was injected at the right obturator nerve.", "5 mL", "word-number"),
    case("Ten cc of dehydrated alcohol was injected into the celiac plexus.", "10 mL", "word-number-cc"),
    case("Injected 5.0 mL of 6% phenol at the left obturator nerve.", "5 mL", "trailing-zero"),
    case("Injected 0.5 mL of dehydrated alcohol at the right L4 medial branch.", "0.5 mL", "decimal"),
    case("Botox 200 units was injected into the right gastrocnemius.", "200 units", "toxin-units"),
    case("Depo-Medrol 40 mg was injected at the right greater occipital nerve.", "40 mg", "mg"),
    case("Botox 50 units into the left flexor carpi radialis and 75 units into the left biceps.",
         {"50 units", "75 units"}, "two-doses"),
    case("PROCEDURE: , Right tibial nerve phenol neurolysis with 3 cc of 6% phenol.,COMPLICATIONS: , None.,",
         "3 mL", "comma-export"),
    case("The skin was anesthetized with 2 mL of 1% lidocaine, then 5 mL of 6% phenol was injected at the left obturator nerve.",
         "5 mL", "skin-local-amount-not-counted"),
    case("Phenol 5 mL was not given because of hypotension.", ABSENT, "negated"),
    case("Plan: inject 5 mL of 6% phenol at the left obturator nerve next week.", ABSENT, "planned"),
    case("If spasticity persists, consider 200 units of Botox.", ABSENT, "hypothetical"),
    case("Prior alcohol neurolysis with 10 mL in 2021.", ABSENT, "historical"),
    case("Her mother received 10 mL of alcohol for a celiac plexus block.", ABSENT, "other-experiencer"),
    case("Volume: ___ mL", ABSENT, "placeholder"),
    case("5 mL of Omnipaque contrast confirmed spread.", ABSENT, "contrast"),
    case("The skin was anesthetized with 3 mL of 1% lidocaine.", ABSENT, "skin-local"),
]


@pytest.mark.parametrize("text, expected", VOLUME)
def test_extract_volume(checker, text, expected):
    assert_element(checker, "volume", text, expected)


AMOUNTS = [
    pytest.param("5 cc", "5 mL", id="cc"),
    pytest.param("5 ccs", "5 mL", id="ccs"),
    pytest.param("Five mL", "5 mL", id="Five-mL"),
    pytest.param("five milliliters", "5 mL", id="five-milliliters"),
    pytest.param("5.0 ml", "5 mL", id="5.0-ml"),
    pytest.param("0.5 cc", "0.5 mL", id="0.5-cc"),
    pytest.param("100 units", "100 units", id="units"),
    pytest.param("100 U", "100 units", id="U"),
    pytest.param("40 mg", "40 mg", id="mg"),
    pytest.param("500 mcg", "500 mcg", id="mcg"),
    pytest.param("2-3 mL", "2-3 mL", id="range"),
]


@pytest.mark.parametrize("amount, value", AMOUNTS)
def test_extract_volume_normalizes_amounts(checker, amount, value):
    text = f"At the left obturator nerve {amount} of the agent was injected."
    assert checker.check(text).elements["volume"].values == (value,)


# --------------------------------------------------------------------------- imaging

IMAGING = [
    case("Under fluoroscopic guidance the needle was placed.", "fluoroscopy", "fluoroscopic"),
    case("Using fluoro, the needle was advanced to the obturator nerve.", "fluoroscopy", "abbrev-fluoro"),
    case("Flouroscopy was used to guide needle placement.", "fluoroscopy", "misspelled-flouroscopy"),
    case("The C-arm was brought in and AP and lateral views were obtained.", "fluoroscopy", "c-arm"),
    case("Using US guidance the obturator nerve was identified.", "ultrasound", "abbrev-US"),
    case("Under ultrasond guidance the obturator nerve was identified.", "ultrasound", "misspelled-ultrasond"),
    case("CT guided celiac plexus neurolysis with 20 mL of alcohol.", "ct", "ct"),
    case("PROCEDURE: , Left obturator nerve phenol neurolysis under fluoroscopy.,CONSENT: , Signed.,",
         "fluoroscopy", "comma-export"),
    case("No fluoroscopy was used for this landmark-based procedure.", ABSENT, "negated"),
    case("The block was done without fluoroscopy.", ABSENT, "negated-without"),
    case("Will use fluoroscopy at the next visit.", ABSENT, "planned"),
    case("If landmarks are unclear, consider ultrasound guidance.", ABSENT, "hypothetical"),
    case("Her prior block in 2021 was done under fluoroscopy.", ABSENT, "historical"),
    case("Her mother had an ultrasound-guided block.", ABSENT, "other-experiencer"),
    case("Imaging: [ ] fluoroscopy [ ] ultrasound", ABSENT, "placeholder-unticked"),
    case("EMG guidance was used to localize the muscles.", ABSENT, "emg-is-not-imaging"),
    case("Let us proceed with the block.", ABSENT, "us-pronoun"),
]


@pytest.mark.parametrize("text, expected", IMAGING)
def test_extract_imaging(checker, text, expected):
    assert_element(checker, "imaging", text, expected)


# --------------------------------------------------------------------------- laterality

LATERALITY = [
    case("Left obturator nerve phenol neurolysis.", "left", "left"),
    case("Right stellate ganglion block with 10 mL of 0.25% bupivacaine.", "right", "right"),
    case("Bilateral obturator nerve phenol neurolysis.", "bilateral", "bilateral"),
    case("Bilat obturator nerve blocks with 6% phenol.", "bilateral", "abbrev-bilat"),
    case("Phenol was injected at the obturator nerve on each side.", "bilateral", "each-side"),
    case("Botox 100 units was injected into the LUE biceps.", "left", "abbrev-LUE"),
    case("Botox was injected into the RUE biceps.", "right", "abbrev-RUE"),
    case("Phenol was injected at the left obturator nerve and the right tibial nerve.", {"left", "right"}, "two-sides"),
    case(COMMA_EXPORT, "left", "comma-export"),
    case("No left obturator nerve block was performed.", ABSENT, "negated"),
    case("Plan: right obturator nerve phenol neurolysis next week.", ABSENT, "planned"),
    case("If spasticity persists, consider left obturator nerve phenol neurolysis.", ABSENT, "hypothetical"),
    case("Prior left obturator nerve neurolysis in 2021.", ABSENT, "historical"),
    case("Her mother had a left stellate ganglion block.", ABSENT, "other-experiencer"),
    case("Side: [ ] left [ ] right", ABSENT, "placeholder-unticked"),
    case("An IV was placed in the left arm. Celiac plexus neurolysis was performed.", ABSENT, "left-arm-iv"),
    case("The needle was left in place for 5 minutes.", ABSENT, "verb-left"),
]


@pytest.mark.parametrize("text, expected", LATERALITY)
def test_extract_laterality(checker, text, expected):
    assert_element(checker, "laterality", text, expected)


# --------------------------------------------------------------------------- consent

CONSENT = [
    case("Informed consent was obtained from the patient.", PRESENT, "obtained"),
    case("Risks and benefits were discussed and the patient agreed to proceed.", PRESENT, "agreed-to-proceed"),
    case("Written concent was signed by the patient.", PRESENT, "misspelled-concent"),
    case("Informed consent was obtained from her mother.", PRESENT, "surrogate"),
    case("Consent: signed", PRESENT, "template"),
    case(COMMA_EXPORT, PRESENT, "comma-export"),
    case("Consent not obtained.", ABSENT, "negated"),
    case("The patient refused consent.", ABSENT, "negated-refused"),
    case("Consent will be obtained at the next visit.", ABSENT, "planned"),
    case("If the patient wishes to proceed, consent will be obtained.", ABSENT, "hypothetical"),
    case("Previously she consented to alcohol neurolysis.", ABSENT, "historical"),
    case("Consent: [ ]", ABSENT, "placeholder-box"),
    case("Consent: ___", ABSENT, "placeholder-blank"),
    case("Risks and benefits were explained.", ABSENT, "explained-only"),
]


@pytest.mark.parametrize("text, expected", CONSENT)
def test_extract_consent(checker, text, expected):
    assert_element(checker, "consent", text, expected)


# --------------------------------------------------------------------------- indication

INDICATION = [
    case("INDICATION: Pelvic cancer pain.", PRESENT, "header"),
    case("Phenol neurolysis was performed for lower-limb spasticity.", PRESENT, "prose-for"),
    case("The block was done for chronic pelvic cancer pain.", PRESENT, "prose-pain"),
    case("Diagnosis: hip adductor spasticity", PRESENT, "template"),
    case("Right knee injection for OA. Consent obtained.", PRESENT, "abbreviation-oa"),
    case("Left tibial nerve neurolysis for ankle clonus.", PRESENT, "clonus"),
    case("PREOPERATIVE DIAGNOSIS: , Spasticity of the left lower extremity.,PROCEDURE: , Left obturator nerve phenol neurolysis.,",
         PRESENT, "comma-export"),
    case("Indication: none", ABSENT, "negated"),
    case("Plan: repeat neurolysis for spasticity next week.", ABSENT, "planned"),
    case("Consider alcohol neurolysis for cancer pain if opioids fail.", ABSENT, "hypothetical"),
    case("Prior alcohol neurolysis in 2021 was done for pelvic cancer pain.", ABSENT, "historical"),
    case("Her mother had a celiac plexus block for pancreatic cancer pain.", ABSENT, "other-experiencer"),
    case("Indication: ___", ABSENT, "placeholder-blank"),
    case("Indication: [ ] spasticity [ ] pain", ABSENT, "placeholder-unticked"),
]


@pytest.mark.parametrize("text, expected", INDICATION)
def test_extract_indication(checker, text, expected):
    assert_element(checker, "indication", text, expected)


# --------------------------------------------------------------------------- placement_confirmation

PLACEMENT = [
    case("Negative aspiration was confirmed before each injection.", "aspiration", "aspiration"),
    case("Sensory stimulation at 50 Hz reproduced the pain.", "stimulation", "stimulation"),
    case("Contrast spread along the obturator nerve was seen.", "contrast", "contrast"),
    case("EMG guidance was used to localize the muscles.", "emg", "emg"),
    case("Needle position was confirmed in the final image.", "imaging_views", "imaging-views"),
    case("Loss of resistance was felt as the needle entered the space.", "loss_of_resistance", "loss-of-resistance"),
    case("The needle was advanced until LOR was felt.", "loss_of_resistance", "abbrev-LOR"),
    case("PROCEDURE: , Left obturator nerve phenol neurolysis.,TECHNIQUE: , Nerve stimulation localized the nerve. Negative aspiration.,",
         {"stimulation", "aspiration"}, "comma-export"),
    case("No contrast was used.", ABSENT, "negated"),
    case("Will confirm placement with nerve stimulation next time.", ABSENT, "planned"),
    case("If landmarks are unclear, consider nerve stimulation.", ABSENT, "hypothetical"),
    case("Her prior block in 2021 used nerve stimulation.", ABSENT, "historical"),
    case("Her mother had an EMG study.", ABSENT, "other-experiencer"),
    case("Confirmation: [ ] contrast [ ] stimulation", ABSENT, "placeholder-unticked"),
]


@pytest.mark.parametrize("text, expected", PLACEMENT)
def test_extract_placement_confirmation(checker, text, expected):
    assert_element(checker, "placement_confirmation", text, expected)


# --------------------------------------------------------------------------- response

RESPONSE = [
    case("The patient tolerated the procedure well.", PRESENT, "tolerated"),
    case("COMPLICATIONS: None.", PRESENT, "complications-none"),
    case("There were no complications.", PRESENT, "no-complications"),
    case("Pain score after the procedure was 2/10.", PRESENT, "pain-score"),
    case("Vital signs remained stable throughout.", PRESENT, "vitals"),
    case("PROCEDURE: , Left obturator nerve phenol neurolysis.,COMPLICATIONS: , None.,DISPOSITION: , Home.,",
         PRESENT, "comma-export"),
    case("Pain score after the procedure was not obtained.", ABSENT, "negated"),
    case("Pain scores will be recorded at the next visit.", ABSENT, "planned"),
    case("If she has pain relief, we will repeat the block.", ABSENT, "hypothetical"),
    case("Her prior block in 2021 gave pain relief for three months.", ABSENT, "historical"),
    case("Her sister tolerated the procedure well.", ABSENT, "other-experiencer"),
    case("Complications: ___", ABSENT, "placeholder"),
]


@pytest.mark.parametrize("text, expected", RESPONSE)
def test_extract_response(checker, text, expected):
    assert_element(checker, "response", text, expected)


# --------------------------------------------------------------------------- follow_up
# Follow-up is a plan by nature (ANNOTATION.md decision 11), and discharge instructions are
# conditional by nature ("return if fever"), so "planned" and "conditional" rows count here.

FOLLOW_UP = [
    case("She will follow up in clinic in 2 weeks.", PRESENT, "planned-counts"),
    case("Discharged home in stable condition.", PRESENT, "discharged"),
    case("RTC in 4 weeks.", PRESENT, "abbrev-RTC"),
    case("f/u in 2 weeks for reassessment.", PRESENT, "abbrev-f/u"),
    case("Return to clinic if the numbness persists.", PRESENT, "conditional-instruction-counts"),
    case("PROCEDURE: , Left obturator nerve phenol neurolysis.,DISPOSITION: , Home.,", PRESENT, "comma-export"),
    case("No follow-up was arranged.", ABSENT, "negated"),
    case("At her follow-up visit last year she reported relief.", ABSENT, "historical"),
    case("Her husband will follow up with his cardiologist.", ABSENT, "other-experiencer"),
    case("Follow-up: ___", ABSENT, "placeholder"),
]


@pytest.mark.parametrize("text, expected", FOLLOW_UP)
def test_extract_follow_up(checker, text, expected):
    assert_element(checker, "follow_up", text, expected)


# --------------------------------------------------------------------------- muscles

MUSCLES = [
    case("Botox 50 units was injected into the left flexor carpi radialis and 50 units into the left biceps.",
         {"flexor_carpi_radialis", "biceps"}, "two-muscles"),
    case("Botox 200 units was injected into the right gastrocnemius.", "gastrocnemius", "one-muscle"),
    case("Dysport 500 units to the RLE gastroc and soleus.", {"gastrocnemius", "soleus"}, "abbrev-gastroc"),
    case("BTX 100 units into the LLE medial hamstrings.", "hamstrings", "abbrev-BTX"),
    case("Botulinim toxin 100 units into the left biceps.", "biceps", "misspelled-botulinim"),
    case("Botox 100 units into the left biceps. No triceps injection was done.", "biceps", "negated-one-of-two"),
    case("PROCEDURE: , Botox injection, 150 units.,MUSCLES INJECTED: , Left biceps 100 units, left brachialis 50 units.,",
         {"biceps", "brachialis"}, "comma-export"),
    case("Botox 100 units was injected into the left biceps. The brachialis was not injected.", "biceps", "negated-not-injected"),
    case("Plan: Botox 200 units to the right gastrocnemius at the next visit.", ABSENT, "planned"),
    case("If tone persists, consider Botox to the biceps.", ABSENT, "hypothetical"),
    case("Prior Botox to the left biceps in 2021 helped.", ABSENT, "historical"),
    case("Her mother gets Botox in the trapezius.", ABSENT, "other-experiencer"),
    case("Botox 100 units was injected. Muscles: [ ] biceps [ ] brachialis", ABSENT, "placeholder-unticked"),
    case("Trigger point injections with lidocaine into the trapezius.", ABSENT, "trigger-points"),
]


@pytest.mark.parametrize("text, expected", MUSCLES)
def test_extract_muscles(checker, text, expected):
    assert_element(checker, "muscles", text, expected)


# --------------------------------------------------------------------------- a whole comma-joined export

FULL_EXPORT = (
    "PREOPERATIVE DIAGNOSIS: , Spasticity of the left lower extremity.,"
    "PROCEDURE: , Left obturator nerve phenol neurolysis.,"
    "CONSENT: , Signed.,"
    "DESCRIPTION OF TECHNIQUE: , Under fluoroscopic guidance, nerve stimulation was used to localize the left "
    "obturator nerve. Negative aspiration. 5 cc of 6% phenol was injected.,"
    "COMPLICATIONS: , None. The patient tolerated the procedure well.,"
    "DISPOSITION: , Discharged home. Follow up in 2 weeks.,"
)
FULL_EXPORT_EXPECTED = {
    "nerve_target": {"obturator_nerve"},
    "agent": {"phenol"},
    "volume": {"5 mL"},
    "imaging": {"fluoroscopy"},
    "laterality": {"left"},
    "consent": PRESENT,
    "indication": PRESENT,
    "placement_confirmation": {"stimulation", "aspiration"},
    "response": PRESENT,
    "follow_up": PRESENT,
    "muscles": ABSENT,
}


def test_extract_comma_export_table_covers_every_element():
    assert set(FULL_EXPORT_EXPECTED) == set(CORE_ELEMENTS)  # the policy elements: tests/test_policy_elements.py


@pytest.mark.parametrize("element", CORE_ELEMENTS)
def test_extract_comma_export_whole_note(checker, element):
    expected = FULL_EXPORT_EXPECTED[element]
    assert_element(checker, element, FULL_EXPORT, None if expected is ABSENT else frozenset(expected))


def test_extract_every_element_reported(checker):
    elements = checker.check("Left obturator nerve phenol neurolysis.").elements
    assert list(elements) == list(ELEMENTS)
    assert all(f.element == name for name, f in elements.items())


@pytest.mark.parametrize(
    "text, element, reason",
    [
        pytest.param("No fluoroscopy was used.", "imaging", "negated", id="negated"),
        pytest.param("Plan: phenol neurolysis of the left obturator nerve next week.", "agent", "planned", id="planned"),
        pytest.param("If pain persists, consider alcohol neurolysis.", "agent", "hypothetical", id="hypothetical"),
        pytest.param("Prior alcohol neurolysis in 2021 gave relief.", "agent", "historical", id="historical"),
        pytest.param("Her mother had a celiac plexus block.", "nerve_target", "other_experiencer", id="other"),
        pytest.param("Consent: [ ]", "consent", "placeholder", id="placeholder"),
    ],
)
def test_extract_excluded_mention_records_reason(checker, text, element, reason):
    finding = checker.check(text).elements[element]
    assert not finding.present
    assert reason in {e.reason for e in finding.excluded}, finding.excluded


# --------------------------------------------------------------------------- sections

SECTIONS = [
    pytest.param("HISTORY OF PRESENT ILLNESS: She had alcohol neurolysis of the left obturator nerve.\n"
                 "PROCEDURE: Left obturator nerve phenol neurolysis.", "agent", {"phenol"}, id="history-lines"),
    pytest.param("HISTORY OF PRESENT ILLNESS: , She had alcohol neurolysis of the left obturator nerve.,"
                 "PROCEDURE: , Left obturator nerve phenol neurolysis.,", "agent", {"phenol"}, id="history-comma-export"),
    pytest.param("PAST MEDICAL HISTORY: , Celiac plexus block.,PROCEDURE: , Superior hypogastric plexus neurolysis "
                 "with 10 mL of 10% phenol.,", "nerve_target", {"superior_hypogastric_plexus"}, id="pmh-comma-export"),
    pytest.param("FAMILY HISTORY: Mother had a stellate ganglion block.", "nerve_target", ABSENT, id="family-history"),
    pytest.param("PLAN: Repeat phenol neurolysis of the left obturator nerve in 3 months.", "agent", ABSENT, id="plan"),
    pytest.param("PLAN: , Repeat phenol neurolysis of the left obturator nerve in 3 months.,", "agent", ABSENT,
                 id="plan-comma-export"),
    pytest.param("PLAN: Left obturator nerve phenol neurolysis was performed today.", "agent", {"phenol"},
                 id="plan-unless-performed-today"),
    pytest.param("PLAN: Follow up in clinic in 2 weeks.", "follow_up", PRESENT, id="plan-follow-up-counts"),
    pytest.param("ASSESSMENT: Spasticity.\nPROCEDURE: Left obturator nerve phenol neurolysis.", "agent", {"phenol"},
                 id="assessment-does-not-exclude"),
    # a header with its value on its own line covers that line; the narrative after it is not part of it
    pytest.param("Allergies: NKDA.\nThe left obturator nerve was injected with 5 mL of 6% phenol.", "agent", {"phenol"},
                 id="inline-allergies-then-narrative"),
    pytest.param("HPI: prior botox gave relief.\n\nthe left obturator nerve was injected with phenol today.", "agent",
                 {"phenol"}, id="inline-history-then-blank-line"),
    pytest.param("Plan: repeat in 3 months if needed.\nUnder ultrasound the left obturator nerve was injected with phenol.",
                 "agent", {"phenol"}, id="inline-plan-then-narrative"),
    pytest.param("PROCEDURE:\nLeft obturator nerve block.\nHistory: alcohol neurolysis in 2024.\nToday 5 mL of 6% phenol "
                 "was injected.", "agent", {"phenol"}, id="inline-history-returns-to-procedure"),
    # ... but a value that wraps onto the next line is still that section's, and a header alone on its line runs on
    pytest.param("Past history: alcohol neurolysis of the left obturator\nnerve in 2024.\nPROCEDURE: Left obturator nerve "
                 "block with bupivacaine.", "agent", {"local_anesthetic"}, id="inline-history-wrapped-value"),
    pytest.param("PLAN:\nRepeat phenol neurolysis of the left obturator nerve.\nConsider alcohol next time.", "agent", ABSENT,
                 id="plan-header-alone-runs-on"),
    # a header after a sentence on its line covers its own sentence
    pytest.param("Left tibial nerve neurolysis for clonus. Allergies: none. Consent obtained. Under ultrasound, 3 mL of "
                 "6% phenol was injected.", "agent", {"phenol"}, id="mid-line-allergies"),
    pytest.param("Left tibial nerve neurolysis for clonus. Family history: mother had a hip replacement. Written consent "
                 "was obtained.", "consent", PRESENT, id="mid-line-family-history"),
    pytest.param("Left tibial nerve neurolysis. Past medical history: alcohol neurolysis in 2024. Phenol was injected today.",
                 "agent", {"phenol"}, id="mid-line-history-own-sentence"),
]


@pytest.mark.parametrize("text, element, expected", SECTIONS)
def test_extract_section_context(checker, text, element, expected):
    assert_element(checker, element, text, None if expected is ABSENT else frozenset(expected))
