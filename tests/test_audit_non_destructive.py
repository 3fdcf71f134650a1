"""non_destructive_modality: a destruction code billed for a block, pulsed radiofrequency or a cool lesion."""

from __future__ import annotations

import pytest

from notecheck import Checker

PRE = "Indication: chronic pain. Consent obtained. "


@pytest.fixture(scope="module")
def checker():
    return Checker()


def nd_flags(checker, note, codes):
    result = checker.check(PRE + note, codes=codes)
    return [f for c in result.codes for f in c.flags if f.kind == "non_destructive_modality"]


@pytest.mark.parametrize(
    "note,codes,words,suggested",
    [
        ("Left T7 intercostal nerve block with 4 mL of 0.5% bupivacaine and 40 mg of triamcinolone.", "64620-LT",
         ["local anesthetic", "steroid", "report 64420"], ("64420",)),
        ("Left obturator nerve block with 5 mL of 0.25% bupivacaine under ultrasound.", "64640-LT",
         ["local anesthetic", "report 64450"], ("64450",)),
        ("Right genicular nerves were treated with pulsed radiofrequency at 42 degrees under fluoroscopy.",
         "64624-RT", ["pulsed radiofrequency", "64999"], ("64999",)),
        ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 60 degrees "
         "under fluoroscopy.", "64635-RT, 64636-RT", ["60 °C", "80 °C"], ("64999",)),
        ("Celiac plexus block with 20 mL of 0.25% bupivacaine under fluoroscopy.", "64680", ["local anesthetic", "report 64530"], ("64530",)),
    ],
)
def test_audit_non_destructive_modality_flags(checker, note, codes, words, suggested):
    flags = nd_flags(checker, note, codes)
    assert len(flags) == 1, flags
    for w in words:
        assert w in flags[0].message
    assert flags[0].suggested_codes == suggested


@pytest.mark.parametrize(
    "note,codes",
    [
        # a local anesthetic test dose before the phenol does not make it a block
        ("Left obturator nerve: test dose of 2 mL of 2% lidocaine, then 5 mL of 6% phenol under ultrasound.",
         "64640-LT"),
        ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 80 degrees "
         "under fluoroscopy.", "64635-RT, 64636-RT"),
        # cooled radiofrequency runs a cool probe tip but makes a destructive lesion
        ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with cooled radiofrequency at 60 "
         "degrees under fluoroscopy.", "64635-RT, 64636-RT"),
        # no agent at all: the agent is reported missing, there is nothing to call non-destructive
        ("Left obturator nerve neurolysis under ultrasound.", "64640-LT"),
        # skin local only (not an agent at the target)
        ("The skin was anesthetized with 1% lidocaine. Left obturator nerve neurolysis with 5 mL of 6% phenol.",
         "64640-LT"),
    ],
)
def test_audit_non_destructive_modality_near_misses(checker, note, codes):
    assert nd_flags(checker, note, codes) == []
