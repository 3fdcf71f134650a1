"""Code inference: with no billed code, the codes the documentation supports are named and scored."""

from __future__ import annotations

import pytest

from notecheck import Checker

PRE = "Indication: chronic pain. Consent obtained. "

# one short note per code the documentation can point to; add-ons come with their primary
NOTES = {
    "64600": "Right infraorbital nerve neurolysis with 1 mL of dehydrated alcohol.",
    "64605": "Radiofrequency lesion of the right mandibular nerve at the foramen ovale at 75 degrees for 60 seconds.",
    "64610": "Under fluoroscopy, radiofrequency lesion of the right mandibular nerve at the foramen ovale at 75 degrees.",
    "64620": "Left T6, T7 and T8 intercostal nerves were injected with 3 mL of 6% phenol each under ultrasound.",
    "64624": "Right genicular nerves (superomedial, superolateral and inferomedial) were lesioned with radiofrequency "
             "at 80 degrees for 90 seconds under fluoroscopy.",
    "64625": "Left L5 dorsal ramus and S1, S2 and S3 lateral branches were lesioned with radiofrequency at 80 degrees "
             "under fluoroscopy.",
    "64630": "Left pudendal nerve neurolysis with 4 mL of 6% phenol under fluoroscopy.",
    "64632": "Alcohol neurolysis of the left third interspace Morton's neuroma with 0.5 mL of 4% dehydrated alcohol.",
    "64633": "Right C3, C4 and C5 medial branches were lesioned with radiofrequency at 80 degrees under fluoroscopy.",
    "64635": "Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 80 degrees under "
             "fluoroscopy.",
    "64640": "Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound.",
    "64642": "Botox 100 units was injected into the left biceps and brachialis under EMG guidance.",
    "64643": "Botox 200 units was injected into the left biceps and brachialis and the right gastrocnemius and soleus "
             "under EMG guidance.",
    "64644": "Botox 300 units was injected into the left biceps, brachialis, brachioradialis, pronator teres and "
             "flexor carpi radialis under EMG guidance.",
    "64645": "Botox 500 units was injected into the left biceps, brachialis, brachioradialis, pronator teres and flexor "
             "carpi radialis, and the right biceps, brachialis, brachioradialis, pronator teres and flexor carpi "
             "radialis under EMG guidance.",
    "64646": "Botox 200 units was injected into the bilateral lumbar paraspinals under EMG guidance.",
    "64647": "Botox 400 units was injected into the left rectus abdominis, external oblique, quadratus lumborum, "
             "multifidus, paraspinals and rhomboids under EMG guidance.",
    "64680": "Celiac plexus neurolysis with 20 mL of dehydrated alcohol under fluoroscopy.",
    "64681": "Superior hypogastric plexus neurolysis with 8 mL of 10% phenol under fluoroscopy.",
    "0440T": "Cryoneurolysis of the left median nerve under ultrasound.",
    "0441T": "Cryoneurolysis of the left genicular nerves under ultrasound.",
    "0442T": "Cryoneurolysis of the left T6 intercostal nerve under ultrasound.",
}
EXPECTED = {
    "64620": [("64620", ("LT",), 3)],
    "64633": [("64633", ("RT",), 1), ("64634", ("RT",), 1)],
    "64635": [("64635", ("RT",), 1), ("64636", ("RT",), 1)],
    "64643": [("64642", ("LT",), 1), ("64643", ("RT",), 1)],
    "64645": [("64644", ("LT",), 1), ("64645", ("RT",), 1)],
    "64646": [("64646", (), 1)],
    "64680": [("64680", (), 1)],
}


@pytest.fixture(scope="module")
def checker():
    return Checker()


@pytest.mark.parametrize("code", sorted(NOTES))
def test_audit_inference_names_the_code(checker, code):
    result = checker.check(PRE + NOTES[code])
    lines = [(c.code, c.modifiers, c.units) for c in result.codes]
    assert all(c.source == "inferred" and c.reason for c in result.codes)
    if code in EXPECTED:
        assert lines == EXPECTED[code]
    else:
        assert [c for c, _m, _u in lines] == [code]
    assert result.status in ("complete", "incomplete") and result.score is not None


def test_audit_inference_reason_says_what_was_documented(checker):
    result = checker.check(PRE + NOTES["64620"])
    reason = result.codes[0].reason
    assert "intercostal nerve" in reason and "T6, T7, T8" in reason and "phenol" in reason


def test_audit_inference_bilateral_gives_a_line_per_side(checker):
    result = checker.check(PRE + "Phenol 6% 5 mL was injected at the bilateral obturator nerves under ultrasound.")
    assert [(c.code, c.modifiers, c.units) for c in result.codes] == [("64640", ("LT",), 1), ("64640", ("RT",), 1)]


def test_audit_inference_without_spinal_level_names_both_facet_codes(checker):
    result = checker.check(PRE + "Right medial branches were lesioned with radiofrequency at 80 degrees under fluoroscopy.")
    assert {c.code for c in result.codes} == {"64633", "64635"}
    assert all("64633 or 64635" in c.reason for c in result.codes)


def test_audit_inference_scores_against_the_inferred_code(checker):
    result = checker.check("Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound.")
    (code,) = result.codes
    assert code.code == "64640" and code.status == "incomplete"
    assert set(code.missing) == {"consent", "indication", "placement_confirmation", "response", "follow_up"}
    assert result.status == "incomplete"


@pytest.mark.parametrize(
    "note",
    [
        # a block is inferred as a block code (tests/test_audit_blocks.py)
        "Plan: phenol neurolysis of the left obturator nerve next week.",
        "History: prior radiofrequency ablation of the right L4 and L5 medial branches in 2021.",
        "Epidural steroid injections were discussed and will be considered at the next visit.",
    ],
)
def test_audit_inference_near_misses_name_no_code(checker, note):
    result = checker.check(PRE + note)
    assert result.codes == () and result.status == "no_code"


def test_audit_inference_not_used_when_a_code_is_billed(checker):
    result = checker.check(PRE + NOTES["64620"], codes="64640-LT")
    assert [(c.code, c.source) for c in result.codes] == [("64640", "billed")]
