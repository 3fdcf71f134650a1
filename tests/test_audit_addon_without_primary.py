"""addon_without_primary: an add-on code billed without one of its primary codes on the same claim."""

from __future__ import annotations

import pytest

from notecheck import Checker

PRE = "Indication: chronic pain. Consent obtained. "
ARM_AND_LEG = ("Botox 200 units was injected into the left biceps and brachialis and the right gastrocnemius "
               "and soleus under EMG guidance.")
FACETS = ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 80 degrees "
          "under fluoroscopy.")
CERVICAL = "Right C3, C4 and C5 medial branches were lesioned with radiofrequency at 80 degrees under fluoroscopy."
OBTURATOR = "Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound."


@pytest.fixture(scope="module")
def checker():
    return Checker()


def addon_flags(checker, note, codes):
    result = checker.check(PRE + note, codes=codes)
    return [(c.code, f) for c in result.codes for f in c.flags if f.kind == "addon_without_primary"]


@pytest.mark.parametrize(
    "note,codes,addon,primaries",
    [
        (ARM_AND_LEG, "64643-RT", "64643", {"64642", "64644"}),
        (ARM_AND_LEG, "64645-RT, 64642-LT", "64645", {"64644"}),
        (FACETS, "64636-RT", "64636", {"64635"}),
        (FACETS, "64636-RT, 64633-RT", "64636", {"64635"}),
        (CERVICAL, "64634-RT", "64634", {"64633"}),
        (OBTURATOR, "64640-LT, 95873", "95873", {"64642"}),
    ],
)
def test_audit_addon_without_primary_flags(checker, note, codes, addon, primaries):
    flags = addon_flags(checker, note, codes)
    assert len(flags) == 1, flags
    _code, flag = flags[0]
    assert addon in flag.message
    assert primaries <= set(flag.suggested_codes)


@pytest.mark.parametrize(
    "note,codes",
    [
        (ARM_AND_LEG, "64642-LT, 64643-RT"),
        (ARM_AND_LEG, "64643-RT, 64642-LT"),  # order on the claim does not matter
        (FACETS, "64635-RT, 64636-RT"),
        (CERVICAL, "64633-RT, 64634-RT"),
        (ARM_AND_LEG, "64642-LT, 64643-RT, 95874"),
        (OBTURATOR, "64640-LT"),
    ],
)
def test_audit_addon_without_primary_near_misses(checker, note, codes):
    assert addon_flags(checker, note, codes) == []


def test_audit_addon_flag_sits_on_the_addon_line(checker):
    result = checker.check(PRE + FACETS, codes="64636-RT")
    assert [c.code for c in result.codes if any(f.kind == "addon_without_primary" for f in c.flags)] == ["64636"]
