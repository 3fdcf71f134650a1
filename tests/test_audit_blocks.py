"""Injection families (issue 16): nerve blocks, epidurals, facet, sacroiliac, joint and trigger-point codes are
inferred from the documentation, counted per level, joint or muscle, and told from destruction codes."""

from __future__ import annotations

import pytest

from notecheck import Checker
from notecheck.audit.sites import levels_in
from notecheck.rules import load_rules

PRE = "Indication: chronic pain. Consent obtained. "
PACK = load_rules()


@pytest.fixture(scope="module")
def checker():
    return Checker()


def inferred(checker, note):
    return [(c.code, c.modifiers, c.units) for c in checker.check(PRE + note).codes]


def flags(checker, note, codes):
    return {f.kind: f for c in checker.check(PRE + note, codes=codes).codes for f in c.flags}


def _code_examples():
    for code, versions in PACK.codes.items():
        rule = versions[-1]
        for kind in ("match", "no_match"):
            for i, text in enumerate(getattr(rule, kind)):
                yield pytest.param(code, text, kind == "match", id=f"{code}:{kind}[{i}]")


CODE_EXAMPLES = list(_code_examples())


def test_audit_blocks_every_injection_code_carries_examples():
    for code, versions in PACK.codes.items():
        rule = versions[-1]
        if rule.family in ("block", "epidural", "injection"):
            assert rule.match or rule.same_as, code
            assert rule.no_match, code


@pytest.mark.parametrize("code, text, should_match", CODE_EXAMPLES)
def test_audit_blocks_code_example(checker, code, text, should_match):
    got = {c.code for c in checker.check(text).codes}
    assert (code in got) is should_match, f"{code} in {text!r}: inferred {sorted(got)}"


@pytest.mark.parametrize("note, expected", [
    ("Left L4-5 and L5-S1 transforaminal epidural steroid injections under fluoroscopy, 40 mg Kenalog at each level.",
     [("64483", ("LT",), 1), ("64484", ("LT",), 1)]),
    ("Left L3-4, L4-5 and L5-S1 transforaminal epidural steroid injections under fluoroscopy, 40 mg Kenalog at each level.",
     [("64483", ("LT",), 1), ("64484", ("LT",), 2)]),
    # facet levels: the third add-on is one unit for the third and any further level
    ("Right L2-3, L3-4, L4-5 and L5-S1 facet joint injections under fluoroscopy with 1 mL of 0.5% bupivacaine at each.",
     [("64493", ("RT",), 1), ("64494", ("RT",), 1), ("64495", ("RT",), 1)]),
    # run-together levels as dictated (L34, L45, L5S1)
    ("Left facet injections at L34, L45, L5S1 under fluoroscopy with 1 mL of 0.5% bupivacaine and 10 mg Kenalog each.",
     [("64493", ("LT",), 1), ("64494", ("LT",), 1), ("64495", ("LT",), 1)]),
    # intercostal levels from interspace ranges
    ("Left intercostal block of the fourth to the eighth intercostal spaces with 20 mL of 0.25% bupivacaine.",
     [("64420", ("LT",), 1), ("64421", ("LT",), 4)]),
])
def test_audit_blocks_counts_levels(checker, note, expected):
    assert inferred(checker, note) == expected


def test_audit_blocks_levels_parse_run_together():
    assert levels_in("L34, L45, L5S1") == [(22, 23), (23, 24), (24, 25)]
    assert levels_in("C56") == [(5, 6)]


def test_audit_blocks_medial_branch_block_billed_as_ablation_suggests_the_block_code(checker):
    note = ("Under fluoroscopy the left L3 and L4 medial branches and the left L5 dorsal ramus were each injected "
            "with 0.5 mL of 0.5% bupivacaine.")
    found = flags(checker, note, "64635-LT, 64636-LT")
    assert found["non_destructive_modality"].suggested_codes[0] == "64493"
    assert "report 64493" in found["non_destructive_modality"].message
    assert "code_mismatch" not in found  # one flag says it, with the block code


def test_audit_blocks_destruction_outranks_a_block_only_with_a_destructive_agent(checker):
    rf = ("Left L3 and L4 medial branch radiofrequency ablation at 80 degrees for 90 seconds under fluoroscopy, "
          "after 1 mL of 2% lidocaine through each cannula.")
    assert {c for c, _m, _u in inferred(checker, rf)} == {"64635"}  # L3 and L4 branches: the L4-5 joint
    block = "Left L3 and L4 medial branch blocks under fluoroscopy with 0.5 mL of 0.5% bupivacaine at each."
    assert {c for c, _m, _u in inferred(checker, block)} == {"64493"}


@pytest.mark.parametrize("note, code", [
    ("The right knee joint was injected with 40 mg of triamcinolone and 4 mL of 1% lidocaine.", "20610"),
    ("The right knee joint was injected under ultrasound guidance with 40 mg of triamcinolone and 4 mL of 1% lidocaine.", "20611"),
    ("Lumbar epidural steroid injection at L4-5 without fluoroscopy, 80 mg Depo-Medrol in 6 mL of saline injected.", "62322"),
    ("Lumbar epidural steroid injection at L4-5 under fluoroscopy with 80 mg Depo-Medrol in 6 mL of saline.", "62323"),
    ("Cervical epidural steroid injection at C7-T1 under fluoroscopy with 80 mg Depo-Medrol in 5 mL of saline.", "62321"),
])
def test_audit_blocks_imaging_decides_between_codes(checker, note, code):
    assert [c for c, _m, _u in inferred(checker, note)] == [code]


def test_audit_blocks_transforaminal_over_two_levels_is_flagged(checker):
    note = ("Left L3-4, L4-5 and L5-S1 transforaminal epidural steroid injections under fluoroscopy, 40 mg Kenalog "
            "at each level.")
    found = flags(checker, note, "64483-LT, 64484-LT x2")
    assert "over_session_limit" in found and "units_mismatch" not in found
    assert "at most 2" in found["over_session_limit"].message


def test_audit_blocks_bilateral_levels_with_modifier_50(checker):
    note = ("Bilateral L4-5 and L5-S1 facet joint injections under fluoroscopy with 1 mL of 0.5% bupivacaine "
            "and 10 mg Kenalog at each joint.")
    assert "units_mismatch" not in flags(checker, note, "64493-50, 64494-50")
    assert "units_mismatch" in flags(checker, note, "64493-50")


def test_audit_blocks_g0260_is_judged_as_27096(checker):
    note = "Right sacroiliac joint injection under fluoroscopy with 40 mg Kenalog and 2 mL of 0.25% bupivacaine."
    assert flags(checker, note, "G0260-RT") == {}
    assert "bundled_guidance" in flags(checker, note, "G0260-RT, 77003")
    assert "G0260" not in {c for c, _m, _u in inferred(checker, note)}  # never inferred: the setting is not in the note


def test_audit_blocks_joints_and_spaces_are_sites_not_nerve_targets(checker):
    result = checker.check("Right sacroiliac joint injection under fluoroscopy with 40 mg Kenalog.")
    nt = result.elements["nerve_target"]
    assert not nt.present and nt.values == ()
    assert [(e.value, e.reason) for e in nt.excluded] == [("sacroiliac_joint", "injection_site")]
    assert [c.code for c in result.codes] == ["27096"]


def test_audit_blocks_sacroiliac_pain_as_reason_is_no_joint_injection(checker):
    note = ("Under fluoroscopy, right L5 dorsal ramus and S1, S2 and S3 lateral branch blocks were performed for "
            "sacroiliac joint pain with 0.5 mL of 0.5% bupivacaine at each site.")
    assert [c for c, _m, _u in inferred(checker, note)] == ["64451"]


def test_audit_blocks_trigger_points_counted_by_muscle(checker):
    two = "Trigger point injections in the left trapezius and left rhomboids with 2 mL of 1% lidocaine each."
    four = "Trigger point injections in the bilateral trapezius and bilateral rhomboids with 1 mL of 1% lidocaine each."
    assert [c for c, _m, _u in inferred(checker, two)] == ["20552"]
    assert [c for c, _m, _u in inferred(checker, four)] == ["20553"]


def test_audit_blocks_one_interlaminar_code_per_session(checker):
    # one mention sits far from the levels, in a sentence that says "lumbar" (a dictation slip): the region
    # most mentions name stands for the session
    note = ("Cervical epidural steroid injection at C5-6 under fluoroscopy. The epidural space at C5-6 was entered "
            "and 80 mg Depo-Medrol in 4 mL saline was injected. The patient was prone. Monitors were applied. "
            "Sedation was light. An AP view of the lumbar spine was taken and contrast outlined the epidural space.")
    assert [c for c, _m, _u in inferred(checker, note)] == ["62321"]


def test_audit_blocks_continuous_catheter_needs_the_catheter(checker):
    single = "Right femoral nerve block with 20 mL of 0.25% bupivacaine under ultrasound guidance."
    cath = ("Right femoral nerve block under ultrasound; an indwelling catheter was left in place and a continuous "
            "infusion of 0.2% ropivacaine 8 mL/h started.")
    assert [c for c, _m, _u in inferred(checker, single)] == ["64447"]
    assert [c for c, _m, _u in inferred(checker, cath)] == ["64448"]
