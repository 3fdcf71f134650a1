"""bundled_guidance: image guidance billed with a code that includes it, or 95873 and 95874 together."""

from __future__ import annotations

import pytest

from notecheck import Checker
from notecheck.models import NoteInput

PRE = "Indication: chronic pain. Consent obtained. "
FACETS = ("Right L3, L4 medial branches and L5 dorsal ramus were lesioned with radiofrequency at 80 degrees "
          "under fluoroscopy.")
KNEE = "Right genicular nerves were lesioned with radiofrequency at 80 degrees under fluoroscopy."
OBTURATOR = "Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound."
INTERCOSTAL = "Left T7 intercostal nerve neurolysis with 4 mL of 6% phenol under ultrasound."
CELIAC = "Celiac plexus neurolysis with 20 mL of dehydrated alcohol under CT guidance."
ARM = "Botox 100 units was injected into the left biceps and brachialis under EMG guidance."


@pytest.fixture(scope="module")
def checker():
    return Checker()


def check(checker, note, codes, date=None):
    return checker.check(NoteInput(id="n", source="<test>", text=PRE + note, codes=codes, service_date=date))


def bundled(result):
    return [(c.code, f) for c in result.codes for f in c.flags if f.kind == "bundled_guidance"]


@pytest.mark.parametrize(
    "note,codes,host,guidance",
    [
        (FACETS, "64635-RT, 64636-RT, 77003", "64635", "77003"),
        (KNEE, "64624-RT, 77002", "64624", "77002"),
        (OBTURATOR, "64640-LT, 76942", "64640", "76942"),  # no date: the newest (2026) rules
        (CELIAC, "64680, 77012", "64680", "77012"),
        (ARM, "64642-LT, 95873, 95874", "64642", "95874"),
    ],
)
def test_audit_bundled_guidance_flags(checker, note, codes, host, guidance):
    flags = bundled(check(checker, note, codes))
    assert len(flags) == 1, flags
    code, flag = flags[0]
    assert code == host and guidance in flag.message


def test_audit_bundled_guidance_follows_the_date_of_service(checker):
    before = check(checker, OBTURATOR, "64640-LT, 76942", date="2025-06-30")
    after = check(checker, OBTURATOR, "64640-LT, 76942", date="2026-01-15")
    assert bundled(before) == []
    assert [c for c, _f in bundled(after)] == ["64640"]
    assert before.codes[0].rule_version == "64640@2000-01-01"
    assert after.codes[0].rule_version == "64640@2026-01-01"


@pytest.mark.parametrize(
    "note,codes",
    [
        (INTERCOSTAL, "64620-LT, 76942"),  # 64620 does not include guidance
        (ARM, "64642-LT, 95874"),  # one kind of chemodenervation guidance is fine
        (ARM, "64642-LT, 95873"),
        (FACETS, "64635-RT, 64636-RT"),
    ],
)
def test_audit_bundled_guidance_near_misses(checker, note, codes):
    assert bundled(check(checker, note, codes)) == []


@pytest.mark.parametrize("codes", ["64640-LT, 76942", "64642-LT, 95874", "64620-LT, 77002, 77003"])
def test_audit_guidance_codes_billed_with_others_have_results_of_their_own(checker, codes):
    """A guidance code billed beside its procedure once had no result: it vanished from the record and the
    review queue. Every billed line has one, scored on the guidance code's own rule."""
    note = ARM if "64642" in codes else INTERCOSTAL if "64620" in codes else OBTURATOR
    result = check(checker, note, codes)
    assert [c.code for c in result.codes] == [line.strip().split("-")[0] for line in codes.split(",")]
    assert all(c.source == "billed" for c in result.codes)
    assert result.unsupported_codes == ()


def test_audit_guidance_code_beside_its_procedure_without_imaging_is_incomplete(checker):
    result = check(checker, "Left obturator nerve neurolysis with 5 mL of 6% phenol.", "64640-LT, 77002")
    guidance = next(c for c in result.codes if c.code == "77002")
    assert guidance.status == "incomplete" and "imaging" in guidance.missing


@pytest.mark.parametrize("code", ["76942", "77002", "77003", "77012"])
def test_audit_guidance_code_billed_alone_is_scored(checker, code):
    result = check(checker, OBTURATOR, code)
    assert [c.code for c in result.codes] == [code]
    assert result.codes[0].source == "billed"
    assert result.codes[0].status == "complete"  # the note documents ultrasound


def test_audit_guidance_code_billed_alone_without_imaging_is_incomplete(checker):
    result = check(checker, "Left obturator nerve neurolysis with 5 mL of 6% phenol.", "77002")
    assert result.codes[0].missing == ("imaging",)
