"""code_mismatch: the documentation fits another code better, and suggested_codes names it."""

from __future__ import annotations

import pytest

from notecheck import Checker

PRE = "Indication: chronic pain. Consent obtained. "


@pytest.fixture(scope="module")
def checker():
    return Checker()


def mismatch(checker, note, codes):
    result = checker.check(PRE + note, codes=codes)
    return [f for c in result.codes for f in c.flags if f.kind == "code_mismatch"]


@pytest.mark.parametrize(
    "note,codes,better",
    [
        ("Left T7 intercostal nerve neurolysis with 4 mL of 6% phenol under ultrasound.", "64640-LT", "64620"),
        ("Celiac plexus neurolysis with 20 mL of dehydrated alcohol under fluoroscopy.", "64681", "64680"),
        ("Superior hypogastric plexus neurolysis with 8 mL of 10% phenol under fluoroscopy.", "64680", "64681"),
        ("Botox 300 units was injected into the left biceps, brachialis, brachioradialis, pronator teres and "
         "flexor carpi radialis under EMG guidance.", "64642-LT", "64644"),
        ("Right genicular nerves (superomedial, superolateral and inferomedial) were lesioned with "
         "radiofrequency at 80 degrees for 90 seconds under fluoroscopy.", "64640-RT", "64624"),
        ("Cryoneurolysis of the left genicular nerves under ultrasound.", "64624-LT", "0441T"),
        ("Cryoneurolysis of the left genicular nerves under ultrasound.", "64640-LT", "0441T"),
        ("Cryoneurolysis of the left median nerve under ultrasound.", "64640-LT", "0440T"),
        ("Cryoneurolysis of the left T6 intercostal nerve under ultrasound.", "64620-LT", "0442T"),
        ("Left pudendal nerve neurolysis with 4 mL of 6% phenol under fluoroscopy.", "64640-LT", "64630"),
        ("Alcohol neurolysis of the left third interspace Morton's neuroma with 0.5 mL of 4% dehydrated alcohol.",
         "64640-LT", "64632"),
        ("Under fluoroscopy, radiofrequency lesion of the right mandibular nerve at the foramen ovale at 75 degrees.",
         "64605-RT", "64610"),
        ("Radiofrequency lesion of the right mandibular nerve at the foramen ovale at 75 degrees.", "64610-RT", "64605"),
        ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 80 degrees under "
         "fluoroscopy.", "64633-RT, 64634-RT", "64635"),
        ("Right C3, C4 and C5 medial branches were lesioned with radiofrequency at 80 degrees under fluoroscopy.",
         "64635-RT, 64636-RT", "64633"),
        ("Left L5 dorsal ramus and S1, S2 and S3 lateral branches were lesioned with radiofrequency at 80 degrees "
         "under fluoroscopy.", "64635-LT", "64625"),
        ("Botox 400 units was injected into the left rectus abdominis, external oblique, quadratus lumborum, "
         "multifidus, paraspinals and rhomboids under EMG guidance.", "64646", "64647"),
        ("Botox 100 units was injected into the left biceps and brachialis under EMG guidance.", "64640-LT", "64642"),
    ],
)
def test_audit_code_mismatch_flags_the_better_code(checker, note, codes, better):
    flags = mismatch(checker, note, codes)
    assert len(flags) == 1, flags
    assert better in flags[0].suggested_codes
    assert better in flags[0].message and codes.split("-")[0].split(",")[0] in flags[0].message


@pytest.mark.parametrize(
    "note,codes",
    [
        ("Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound.", "64640-LT"),
        ("Left T7 intercostal nerve neurolysis with 4 mL of 6% phenol under ultrasound.", "64620-LT"),
        ("Celiac plexus neurolysis with 20 mL of dehydrated alcohol under fluoroscopy.", "64680"),
        ("Botox 100 units was injected into the left biceps, brachialis, brachioradialis and pronator teres under "
         "EMG guidance.", "64642-LT"),
        ("Right genicular nerves were lesioned with radiofrequency at 80 degrees under fluoroscopy.", "64624-RT"),
        ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 80 degrees under "
         "fluoroscopy.", "64635-RT, 64636-RT"),
        # a five-muscle arm and a two-muscle leg: 64644 for the arm, the 1-4 add-on for the leg
        ("Botox 400 units was injected into the left biceps, brachialis, brachioradialis, pronator teres and flexor "
         "carpi radialis, and into the right gastrocnemius and soleus under EMG guidance.", "64644-LT, 64643-RT"),
        # no spinal level written: either facet code may be right, so neither is called wrong
        ("Right medial branches were lesioned with radiofrequency at 80 degrees under fluoroscopy.", "64633-RT"),
        ("Right medial branches were lesioned with radiofrequency at 80 degrees under fluoroscopy.", "64635-RT"),
        # a block, not a destruction: that is non_destructive_modality, not a better code
        ("Left T7 intercostal nerve block with 4 mL of 0.5% bupivacaine.", "64640-LT"),
        ("Radiofrequency lesion of the right mandibular nerve at the foramen ovale at 75 degrees.", "64605-RT"),
        ("Cryoneurolysis of the left genicular nerves under ultrasound.", "0441T-LT"),
        # a planned cryoablation does not make the phenol neurolysis done today a cryo code
        ("Left obturator nerve neurolysis with 5 mL of 6% phenol. If pain persists, consider cryoneurolysis.",
         "64640-LT"),
    ],
)
def test_audit_code_mismatch_near_misses(checker, note, codes):
    assert mismatch(checker, note, codes) == []


@pytest.mark.parametrize(
    "note,codes",
    [
        # "hamstrings" is one vocabulary value for three muscles: 3 to 5 muscles, so 64642 and 64644 both fit
        ("Botox 300 units was injected into the left semitendinosus, semimembranosus, biceps femoris, gracilis "
         "and adductor longus.", "64642-LT"),
        ("Botox 300 units was injected into the left semitendinosus, semimembranosus, biceps femoris, gracilis "
         "and adductor longus.", "64644-LT"),
        # six trunk muscles, two of them paraspinals and two obliques
        ("Botox 300 units was injected into the right thoracic paraspinals, lumbar paraspinals, quadratus "
         "lumborum, external oblique, internal oblique and iliocostalis lumborum.", "64647"),
    ],
)
def test_audit_code_mismatch_not_flagged_when_the_muscle_count_is_uncertain(checker, note, codes):
    assert mismatch(checker, note, codes) == []


def test_audit_code_mismatch_one_name_written_twice_is_one_muscle(checker):
    note = ("Botox 300 units was injected into the left biceps brachii, brachialis, FCR, flexor carpi radialis "
            "(again under EMG), and the biceps.")
    assert mismatch(checker, note, "64642-LT") == []
    assert [f.suggested_codes for f in mismatch(checker, note, "64644-LT")] == [("64642",)]


@pytest.mark.parametrize("note,codes", [
    # no agent written: the target fits the billed code, and nothing tells a neurolysis from a cryoablation
    ("Left tibial nerve neurolysis for ankle clonus. Under ultrasound, 3 mL was injected at the left tibial nerve.",
     "64640-LT"),
    ("Right suprascapular nerve block. Under ultrasound, 5 mL was injected at the right suprascapular nerve.", "64418-RT"),
])
def test_audit_code_mismatch_not_from_a_missing_agent(checker, note, codes):
    """Both once got a code_mismatch suggesting cryoablation (0441T, 0440T); the agent is what is missing."""
    result = checker.check(PRE + note, codes=codes)
    assert mismatch(checker, note, codes) == []
    assert "agent" in result.codes[0].missing


def test_audit_code_mismatch_without_an_agent_names_the_target(checker):
    note = "Right tibial nerve block. Under ultrasound, 5 mL was injected at the right tibial nerve."
    [flag] = mismatch(checker, note, "64418-RT")
    assert "the tibial nerve, which 64418 does not cover (no agent is written)" in flag.message
