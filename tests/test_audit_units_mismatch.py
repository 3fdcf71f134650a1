"""units_mismatch: billed units differ from the documented count of nerves, joints, knees or extremities."""

from __future__ import annotations

import pytest

from notecheck import Checker

PRE = "Indication: chronic pain. Consent obtained. "
BILATERAL_OBTURATOR = "Phenol 6% 5 mL was injected at the bilateral obturator nerves under ultrasound."
THREE_INTERCOSTALS = "Left T6, T7 and T8 intercostal nerves were injected with 3 mL of 6% phenol each under ultrasound."
TWO_FACET_JOINTS = ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 80 degrees "
                    "under fluoroscopy.")
TWO_JOINTS_WRITTEN = ("Left L4-5 and L5-S1 facet joints: the medial branches were lesioned with radiofrequency at "
                      "80 degrees under fluoroscopy.")
BOTH_KNEES = "Bilateral genicular nerves were lesioned with radiofrequency at 80 degrees under fluoroscopy."
ONE_ARM = "Botox 100 units was injected into the left biceps and brachialis under EMG guidance."
TWO_INTERSPACES = ("Alcohol neurolysis of the left second and third interspace Morton's neuromas with 0.5 mL of "
                   "4% dehydrated alcohol each.")
CELIAC = "Celiac plexus neurolysis with 20 mL of dehydrated alcohol under fluoroscopy."


@pytest.fixture(scope="module")
def checker():
    return Checker()


def units_flags(checker, note, codes):
    result = checker.check(PRE + note, codes=codes)
    return [f for c in result.codes for f in c.flags if f.kind == "units_mismatch"]


@pytest.mark.parametrize(
    "note,codes,billed,documented",
    [
        (BILATERAL_OBTURATOR, "64640-LT", 1, 2),
        (BILATERAL_OBTURATOR, "64640 x3", 3, 2),
        (THREE_INTERCOSTALS, "64620-LT", 1, 3),
        (TWO_FACET_JOINTS, "64635-RT", 1, 2),
        (TWO_FACET_JOINTS, "64635-RT, 64636-RT x2", 3, 2),
        (TWO_JOINTS_WRITTEN, "64635-LT, 64636-LT x2", 3, 2),
        (BOTH_KNEES, "64624-RT", 1, 2),
        (ONE_ARM, "64642-LT, 64643-LT", 2, 1),
        (TWO_INTERSPACES, "64632-LT", 1, 2),
        (CELIAC, "64680 x2", 2, 1),
    ],
)
def test_audit_units_mismatch_flags(checker, note, codes, billed, documented):
    flags = units_flags(checker, note, codes)
    assert len(flags) == 1, flags
    assert flags[0].message.startswith(f"{billed} ")
    assert f"documents {documented}:" in flags[0].message


@pytest.mark.parametrize(
    "note,codes",
    [
        (BILATERAL_OBTURATOR, "64640-50"),  # modifier 50 counts both sides
        (BILATERAL_OBTURATOR, "64640-LT, 64640-RT"),
        (BILATERAL_OBTURATOR, "64640 x2"),
        (THREE_INTERCOSTALS, "64620-LT x3"),
        (TWO_FACET_JOINTS, "64635-RT, 64636-RT"),
        (TWO_JOINTS_WRITTEN, "64635-LT, 64636-LT"),
        (BOTH_KNEES, "64624-50"),
        (ONE_ARM, "64642-LT"),
        (TWO_INTERSPACES, "64632-LT x2"),
        (CELIAC, "64680"),
        # how many nerves is not written: no count to compare with
        ("Left intercostal nerves were injected with 3 mL of 6% phenol under ultrasound.", "64620-LT x4"),
        ("Right medial branches were lesioned with radiofrequency at 80 degrees under fluoroscopy.",
         "64635-RT, 64636-RT x3"),
    ],
)
def test_audit_units_mismatch_near_misses(checker, note, codes):
    assert units_flags(checker, note, codes) == []


def test_audit_units_flag_sits_on_the_primary_line(checker):
    result = checker.check(PRE + TWO_FACET_JOINTS, codes="64636-RT x3, 64635-RT")
    assert [c.code for c in result.codes if any(f.kind == "units_mismatch" for f in c.flags)] == ["64635"]


@pytest.mark.parametrize(
    "note,codes",
    [
        # the joints written in one sentence and the nerves in the next name the same two joints
        ("Bilateral L4-L5 and L5-S1 medial branch RFA. Under fluoroscopy the L3 and L4 medial branches and the L5 "
         "dorsal rami were lesioned on both sides at 80 degrees for 90 seconds.", "64635-50, 64636-50"),
        ("Left L4-5, L5-S1 medial branch RFA. Fluoro-guided needles to the L3 and L4 medial branches and L5 dorsal "
         "ramus, lesioned at 80 C for 90 s.", "64635-LT, 64636-LT"),
        # in the neck the C3 and C4 medial branches supply C3-4
        ("Right C3-4 and C4-5 facet joints. The right C3, C4 and C5 medial branches were lesioned with "
         "radiofrequency at 80 degrees under fluoroscopy.", "64633-RT, 64634-RT"),
    ],
)
def test_audit_units_joints_written_two_ways_agree(checker, note, codes):
    assert units_flags(checker, note, codes) == []
