"""The corrected coding rules (issue 13): each case is a note that the rule pack coded wrongly before."""

from __future__ import annotations

import pytest

from notecheck import Checker
from notecheck.models import NoteInput

PRE = "Indication: chronic pain. Consent obtained. "
FACET = "Right L3, L4 medial branches and L5 dorsal ramus were "
BICEPS = (PRE + "Botox 100 units was injected into the right biceps and 100 units into the left biceps under EMG "
          "guidance. Tolerated well. Follow up in 3 months.")


@pytest.fixture(scope="module")
def checker():
    return Checker()


def run(checker, text, codes=None, date=None):
    return next(checker.check_many([NoteInput(id="n", source="n", text=text, codes=codes, service_date=date)]))


def inferred(result):
    return sorted({c.code for c in result.codes if c.source == "inferred"})


def flags(result, kind):
    return [f for c in result.codes for f in c.flags if f.kind == kind]


# ---------------------------------------------------------------- what has no code of its own: 64999


@pytest.mark.parametrize(
    "note, why",
    [
        (FACET + "injected with 1 mL of 6% phenol each under fluoroscopy.", "take only radiofrequency"),
        (FACET + "treated with cryoablation under fluoroscopy.", "take only radiofrequency"),
        (FACET + "lesioned with radiofrequency at 80 degrees under ultrasound guidance.", "need fluoroscopy or ct"),
        (FACET + "treated with pulsed radiofrequency at 42 degrees under fluoroscopy.", "pulsed radiofrequency"),
        (FACET + "lesioned with radiofrequency at 60 degrees under fluoroscopy.", "below the 80 °C"),
        ("For sacroiliac joint pain, the left L5 dorsal ramus and S1, S2 and S3 lateral branches were lesioned with "
         "radiofrequency at 80 degrees under ultrasound.", "need fluoroscopy or ct"),
        ("Radiofrequency thermocoagulation of the left lumbar sympathetic chain at L2, L3 and L4 at 80 degrees "
         "under fluoroscopy.", "no code of its own"),
        ("Radiofrequency lesioning of the left stellate ganglion at 80 degrees for 60 seconds under fluoroscopy.",
         "no code of its own"),
        ("Right genicular nerves were treated with pulsed radiofrequency at 42 degrees under fluoroscopy.",
         "pulsed radiofrequency"),
    ],
)
def test_audit_coding_rules_unlisted_with_reason(checker, note, why):
    result = run(checker, PRE + note)
    assert inferred(result) == ["64999"]
    (code,) = result.codes
    assert why in code.reason and "no code of its own" in code.reason


def test_audit_coding_rules_sympathetic_rf_billed_as_64640_suggests_unlisted(checker):
    result = run(checker, PRE + "Radiofrequency thermocoagulation of the left lumbar sympathetic chain at L2 and L3 "
                 "at 80 degrees under fluoroscopy.", codes="64640-LT")
    (flag,) = flags(result, "code_mismatch")
    assert flag.suggested_codes == ("64999",)


@pytest.mark.parametrize("target, code", [("celiac plexus", "0442T"), ("superior hypogastric plexus", "0442T")])
def test_audit_coding_rules_plexus_cryoablation_is_0442t(checker, target, code):
    assert inferred(run(checker, PRE + f"Cryoablation of the {target} under CT guidance.")) == [code]
    billed = run(checker, PRE + f"Cryoablation of the {target} under CT guidance.", codes="64680")
    assert [f.suggested_codes for f in flags(billed, "code_mismatch")] == [(code,)]


def test_audit_coding_rules_si_joint_takes_no_80_degree_rule_but_fluoroscopy(checker):
    note = ("For sacroiliac joint pain, the left L5 dorsal ramus and S1, S2 and S3 lateral branches were lesioned with "
            "radiofrequency at 70 degrees under fluoroscopy.")
    assert inferred(run(checker, PRE + note)) == ["64625"]


def test_audit_coding_rules_sacral_dorsal_rami_are_not_facet_nerves(checker):
    note = ("Right sacroiliac joint and posterior rami radiofrequency thermocoagulation under fluoroscopy at 90 degrees. "
            "The right S2 and S3 dorsal rami were lesioned.")
    assert inferred(run(checker, PRE + note)) == ["64625"]


# ---------------------------------------------------------------- primary once, add-ons for the rest


def test_audit_coding_rules_facet_primary_with_units_suggests_the_addon(checker):
    result = run(checker, PRE + FACET + "lesioned with radiofrequency at 80 degrees under fluoroscopy.", codes="64635-RT x2")
    (flag,) = flags(result, "units_mismatch")
    assert flag.suggested_codes == ("64636",)


def test_audit_coding_rules_chemodenervation_primary_once_per_session(checker):
    result = run(checker, BICEPS, codes="64642-RT, 64642-LT")
    (flag,) = flags(result, "units_mismatch")
    assert flag.suggested_codes == ("64643",)


def test_audit_coding_rules_at_most_three_addon_extremities(checker):
    note = (PRE + "Botox 50 units each into the right biceps, left biceps, right gastrocnemius and left gastrocnemius "
            "under EMG guidance. Tolerated well. Follow up in 3 months.")
    result = run(checker, note, codes="64642-RT, 64643-LT x4")
    assert any("at most 3" in f.message for f in flags(result, "units_mismatch"))


def test_audit_coding_rules_chemodenervation_never_modifier_50(checker):
    (flag,) = flags(run(checker, BICEPS, codes="64642-50"), "laterality_conflict")
    assert "does not take" in flag.message
    (flag,) = flags(run(checker, BICEPS, codes="64642, 64643"), "laterality_conflict")
    assert "RT and LT" in flag.message and "50 (or" not in flag.message
    assert all(c.modifiers in (("RT",), ("LT",)) for c in run(checker, BICEPS).codes)


# ---------------------------------------------------------------- facet region by joint


def test_audit_coding_rules_t12_to_l5_nerves_are_lumbar_joints_only(checker):
    result = run(checker, PRE + "Right T12-L5 medial branches were lesioned with radiofrequency at 85 degrees under "
                 "fluoroscopy.")
    assert inferred(result) == ["64635", "64636"]
    assert sum(c.units for c in result.codes) == 5


def test_audit_coding_rules_t12_l1_joint_is_thoracic(checker):
    result = run(checker, PRE + "Right T11 and T12 medial branches (T12-L1 facet joint) were lesioned with "
                 "radiofrequency at 85 degrees under fluoroscopy.")
    assert inferred(result) == ["64633"]


# ---------------------------------------------------------------- 64640 before and after 2026

OBTURATOR = (PRE + "Left obturator nerve neurolysis with 5 mL of 6% phenol under fluoroscopy. Stimulation confirmed "
             "placement. Tolerated well. Discharged home.")


def test_audit_coding_rules_64640_imaging_not_required_before_2026(checker):
    result = run(checker, OBTURATOR.replace(" under fluoroscopy", ""), date="2025-03-01")
    (code,) = result.codes
    assert code.code == "64640" and "imaging" not in code.missing


@pytest.mark.parametrize("date, bundled", [("2025-03-01", False), ("2026-03-01", True)])
def test_audit_coding_rules_64640_guidance_bundled_from_2026(checker, date, bundled):
    result = run(checker, OBTURATOR, codes="64640-LT, 77002", date=date)
    assert bool(flags(result, "bundled_guidance")) is bundled


def test_audit_coding_rules_64640_radiofrequency_is_unlisted_from_2026(checker):
    note = PRE + "The left lateral femoral cutaneous nerve was lesioned with radiofrequency at 80 degrees under ultrasound."
    assert inferred(run(checker, note, date="2025-03-01")) == ["64640"]
    assert inferred(run(checker, note, date="2026-03-01")) == ["64999"]


# ---------------------------------------------------------------- head and neck chemodenervation


@pytest.mark.parametrize(
    "note, codes",
    [
        ("Indication: blepharospasm. Consent obtained. Botox 25 units was injected into the right orbicularis oculi.",
         ["64612"]),
        ("Indication: chronic migraine. Consent obtained. Botox 155 units was injected into the frontalis, corrugator, "
         "procerus, temporalis, occipitalis, cervical paraspinals and trapezius on both sides.", ["64615"]),
        ("Indication: cervical dystonia. Consent obtained. Botox 100 units into the left sternocleidomastoid under EMG "
         "guidance.", ["64616"]),
        ("Indication: spasmodic dysphonia. Consent obtained. Under EMG guidance Botox 2.5 units was injected into the "
         "left thyroarytenoid.", ["64617"]),
        ("Indication: cervical dystonia and myofascial pain. Consent obtained. Trigger point injections with Botox into "
         "the trapezius bilaterally.", []),
    ],
)
def test_audit_coding_rules_head_and_neck_chemodenervation(checker, note, codes):
    assert inferred(run(checker, note)) == codes


def test_audit_coding_rules_64617_includes_emg_guidance(checker):
    note = ("Indication: spasmodic dysphonia. Consent obtained. Under EMG guidance Botox 2.5 units was injected into "
            "the left thyroarytenoid.")
    assert flags(run(checker, note, codes="64617-LT, 95874"), "bundled_guidance")
    assert not flags(run(checker, note.replace("dysphonia", "dystonia").replace("thyroarytenoid", "sternocleidomastoid"),
                         codes="64616-LT, 95874"), "addon_without_primary")


def test_audit_coding_rules_64600_names_four_branches_only(checker):
    note = PRE + "The right auriculotemporal nerve was lesioned with radiofrequency at 80 degrees."
    assert inferred(run(checker, note, date="2025-01-01")) == ["64640"]
    note = PRE + "The right supratrochlear nerve was injected with 1 mL of dehydrated alcohol."
    assert inferred(run(checker, note, date="2025-01-01")) == ["64640"]


def test_audit_coding_rules_phenol_in_a_muscle_is_nerve_destruction(checker):
    note = PRE + "Phenol 6%, 3 mL, was injected at the left musculocutaneous nerve motor branch to the biceps."
    result = run(checker, note, codes="64642-LT", date="2025-01-01")
    assert [f.suggested_codes for f in flags(result, "code_mismatch")] == [("64640",)]


# ---------------------------------------------------------------- a prep or incidental agent is no procedure


@pytest.mark.parametrize(
    "note",
    [
        "PROCEDURE: Dorsal penile nerve block.\nINDICATION: Circumcision; acute alcohol intoxication earlier this week.\n"
        "Consent was obtained. 10 mL of 0.25% bupivacaine was injected at the base of the penis to block the dorsal "
        "penile nerves.",
        "PROCEDURE: Dorsal penile nerve block.\nINDICATION: Circumcision.\nConsent was obtained. The skin was given a "
        "Betadine and alcohol cleanse. 10 mL of 0.25% bupivacaine was injected to block the dorsal penile nerves.",
    ],
)
def test_audit_coding_rules_incidental_agent_infers_nothing(checker, note):
    # the incidental alcohol makes no destruction code; the block documented is the block code (issue 16)
    assert [c.code for c in run(checker, note).codes] == ["64450"]


# ---------------------------------------------------------------- deleted codes


@pytest.mark.parametrize(
    "codes, deleted, suggested",
    [("64614", "64614", ("64642",)), ("64635-RT x2, 76005", "76005", ("77003",))],
)
def test_audit_coding_rules_deleted_code_named_with_year_and_replacement(checker, codes, deleted, suggested):
    note = (PRE + "Botox 100 units was injected into the left biceps and 50 units into the left brachialis under EMG "
            "guidance." if deleted == "64614" else PRE + FACET + "lesioned with radiofrequency at 80 degrees under fluoroscopy.")
    result = run(checker, note, codes=codes)
    assert deleted not in result.unsupported_codes
    (flag,) = flags(result, "deleted_code")
    assert flag.suggested_codes == suggested
    assert "2014" in flag.message if deleted == "64614" else "2007" in flag.message


def test_audit_coding_rules_unsupported_is_only_outside_the_pack(checker):
    result = run(checker, OBTURATOR, codes="64640-LT, 29405, 64999")
    assert result.unsupported_codes == ("29405",)


def test_audit_coding_rules_muscle_codes_take_only_agents_that_find_muscles():
    """Muscles are found only with the agent kinds elements/muscles.yml names; a muscle code listing any other
    agent could never be satisfied (a phenol motor-point note is nerve destruction, 64640)."""
    from notecheck.rules import load_rules

    pack = load_rules()
    kinds = set(pack.elements["muscles"].requires_agent_kind)
    for versions in pack.codes.values():
        for rule in versions:
            if rule.muscles is not None and not rule.targets:  # trigger points count muscles through their target
                assert {pack.agent_kinds[a] for a in rule.agents} <= kinds, rule.code


@pytest.mark.parametrize(
    "code, shown",
    [
        ("64635", ["only fluoroscopy or ct", "Billed once per side", "T12-L5"]),
        ("64625", ["only fluoroscopy or ct"]),
        ("64642", ["never modifier 50", "once per session", "agent"]),
        ("64643", ["At most 3 unit(s)"]),
        ("64999", ["Unlisted"]),
        ("64615", ["chronic migraine"]),
    ],
)
def test_audit_coding_rules_explain_shows_them(code, shown):
    from notecheck.explain import explain_code

    text = explain_code(code)
    for words in shown:
        assert words in text
    if code == "64642":
        assert "Satisfied by: botulinum_toxin." in text
    if code == "64625":
        assert "Lesions: thermal at" not in text
