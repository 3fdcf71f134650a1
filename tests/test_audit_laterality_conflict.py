"""laterality_conflict: the side modifier disagrees with the documented side, or is missing."""

from __future__ import annotations

import pytest

from notecheck import Checker

PRE = "Indication: chronic pain. Consent obtained. "
LEFT_OBTURATOR = "Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound."
BILATERAL_OBTURATOR = "Phenol 6% 5 mL was injected at the bilateral obturator nerves under ultrasound."
LEFT_KNEE = "Left genicular nerves were lesioned with radiofrequency at 80 degrees under fluoroscopy."
LEFT_ARM = "Botox 100 units was injected into the left biceps and brachialis under EMG guidance."
ARM_AND_LEG = ("Botox 200 units was injected into the left biceps and brachialis and the right gastrocnemius "
               "and soleus under EMG guidance.")


@pytest.fixture(scope="module")
def checker():
    return Checker()


def side_flags(checker, note, codes):
    result = checker.check(PRE + note, codes=codes)
    return [f for c in result.codes for f in c.flags if f.kind == "laterality_conflict"]


@pytest.mark.parametrize(
    "note,codes,words",
    [
        (LEFT_OBTURATOR, "64640-RT", ["right", "left"]),
        (LEFT_OBTURATOR, "64640-50", ["both sides", "left"]),
        (BILATERAL_OBTURATOR, "64640-LT x2", ["left", "both sides"]),
        (LEFT_KNEE, "64624", ["no side modifier", "LT"]),
        (BILATERAL_OBTURATOR, "64640 x2", ["no side modifier", "50"]),
        (LEFT_ARM, "64642-RT", ["right", "left"]),
        (ARM_AND_LEG, "64642-LT, 64643-LT", ["left", "both sides"]),
        ("Obturator nerve neurolysis on the right with 5 mL of 6% phenol.", "64640-LT", ["left", "right"]),
    ],
)
def test_audit_laterality_conflict_flags(checker, note, codes, words):
    flags = side_flags(checker, note, codes)
    assert len(flags) == 1, flags
    for w in words:
        assert w in flags[0].message


@pytest.mark.parametrize(
    "note,codes",
    [
        (LEFT_OBTURATOR, "64640-LT"),
        (BILATERAL_OBTURATOR, "64640-50"),
        (BILATERAL_OBTURATOR, "64640-LT, 64640-RT"),
        (LEFT_KNEE, "64624-LT"),
        (LEFT_ARM, "64642-LT"),
        (ARM_AND_LEG, "64642-LT, 64643-RT"),
        # no side documented: nothing to disagree with (the laterality element is reported missing instead)
        ("Obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound.", "64640-LT"),
        # unsided targets and codes whose file says laterality_modifiers: false
        ("Celiac plexus neurolysis with 20 mL of dehydrated alcohol under fluoroscopy.", "64680"),
        ("Botox 200 units was injected into the left lumbar paraspinals and quadratus lumborum.", "64646"),
        # a left arm IV is not the side of the target
        ("An IV was placed in the left arm. Celiac plexus neurolysis with 20 mL of dehydrated alcohol.", "64680"),
    ],
)
def test_audit_laterality_conflict_near_misses(checker, note, codes):
    assert side_flags(checker, note, codes) == []
