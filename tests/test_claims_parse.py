"""Billed codes: strict claim-line syntax, and the lenient reading of codes written in a note."""

from __future__ import annotations

import pytest

from notecheck.claims import claims_in_text, parse_claims
from notecheck.errors import ClaimSyntaxError, NotecheckError
from notecheck.models import ClaimLine as L


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("64640", (L("64640"),), id="bare"),
        pytest.param("64642-RT, 64643-LT", (L("64642", ("RT",)), L("64643", ("LT",))), id="two-lines-modifiers"),
        pytest.param("64640-LT x2", (L("64640", ("LT",), 2),), id="units"),
        pytest.param("64640-LT X2", (L("64640", ("LT",), 2),), id="units-capital-x"),
        pytest.param("64640 x 3", (L("64640", (), 3),), id="units-spaced"),
        pytest.param("64640-LT-59 x2", (L("64640", ("LT", "59"), 2),), id="two-modifiers"),
        pytest.param("64642-rt", (L("64642", ("RT",)),), id="lowercase-modifier"),
        pytest.param("+64643", (L("64643"),), id="addon-plus"),
        pytest.param("64642-RT; +64643-LT", (L("64642", ("RT",)), L("64643", ("LT",))), id="semicolon"),
        pytest.param("64642-RT;64643-LT,95874", (L("64642", ("RT",)), L("64643", ("LT",)), L("95874")), id="mixed-separators"),
        pytest.param(" 64681 , ", (L("64681"),), id="blanks-and-trailing-comma"),
        pytest.param("0440t", (L("0440T"),), id="category-iii-uppercased"),
        pytest.param("", (), id="empty"),
    ],
)
def test_claims_parse_lines(text, expected):
    assert parse_claims(text) == expected


@pytest.mark.parametrize(
    "text, bad",
    [
        pytest.param("6464", "6464", id="four-digits"),
        pytest.param("646400", "646400", id="six-digits"),
        pytest.param("64640-LEFT", "64640-LEFT", id="long-modifier"),
        pytest.param("64640 times two", "64640 times two", id="words"),
        pytest.param("64642-RT, hello", "hello", id="second-line-bad"),
        pytest.param("64640 x", "64640 x", id="units-missing"),
        pytest.param("64640 x0", "64640 x0", id="zero-units"),
        pytest.param("64642-RT 64643-LT", "64642-RT 64643-LT", id="no-separator"),
    ],
)
def test_claims_parse_bad_line_raises(text, bad):
    with pytest.raises(ClaimSyntaxError) as info:
        parse_claims(text)
    err = info.value
    assert isinstance(err, NotecheckError) and err.code == "E002"
    assert f"'{bad}'" in err.message  # names the bad line


@pytest.mark.parametrize("text, meant", [
    ("6464O-LT", "64640"),  # the letter O for a zero
    ("6449l", "64491"),  # a lower-case L for a one
    ("64I93 x2", "64193"),
    ("6464Z", None),  # no CPT code ends in Z; nothing to suggest
])
def test_claims_parse_a_letter_for_a_digit_is_a_bad_code(text, meant):
    """'6464O' once passed as a code shape (four digits and a letter) and became an unsupported code."""
    with pytest.raises(ClaimSyntaxError) as info:
        parse_claims(text)
    assert "is not a CPT or HCPCS code" in info.value.message
    assert (f"did you mean {meant}" in info.value.message) if meant else "did you mean" not in info.value.message


@pytest.mark.parametrize("code", ["0441T", "0213T", "3008F", "0001U", "0002M", "G0260", "J0585", "64640"])
def test_claims_parse_every_code_category(code):
    assert parse_claims(code) == (L(code),)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("PROCEDURE CODES: , 64640 times three, 64614 times four.,NEXT:",
                     (L("64640", (), 3), L("64614", (), 4)), id="comma-export-times-words"),
        pytest.param("CPT: 64681", (L("64681"),), id="cpt-label"),
        pytest.param("CPT codes: 64642-RT, +64643-LT x2", (L("64642", ("RT",)), L("64643", ("LT",), 2)), id="modifiers-units"),
        pytest.param("Procedure code: 64640 x2\nNext line mentions 64999 which is not a code list.",
                     (L("64640", (), 2),), id="list-ends-at-line"),
        pytest.param("PROCEDURE CODES: , 64640.,DESCRIPTION OF PROCEDURE: , 5 mL was injected at 64681 seconds.",
                     (L("64640"),), id="list-ends-at-next-header"),
        pytest.param("Billed codes: 64642-LT 95874", (L("64642", ("LT",)), L("95874")), id="billed-codes"),
        pytest.param("The patient weighs 64640 grams.", (), id="no-label"),
        pytest.param("Left obturator nerve phenol neurolysis.", (), id="no-codes"),
        # "İ" lower-cases to two characters: offsets in the lower-cased text would no longer fit the note
        pytest.param("Dr. İnce.\nCPT: 64640-LT", (L("64640", ("LT",)),), id="text-that-grows-when-lower-cased"),
    ],
)
def test_claims_in_text(text, expected):
    assert claims_in_text(text) == expected


def test_claims_checker_reads_codes_written_in_note(checker):
    text = "Left obturator nerve phenol neurolysis.\nCPT: 64681"
    result = checker.check(text)
    assert [c.code for c in result.codes if c.source == "billed"] == ["64681"]


def test_claims_checker_bad_billed_codes_are_an_error_result(checker):
    result = checker.check("Left obturator nerve phenol neurolysis.", codes="64640 times two")
    assert result.status == "error" and result.error is not None
    assert result.error.kind == "bad_code"
    assert "64640 times two" in result.error.message


def test_claims_parse_each_in_text_label_takes_only_its_own_list():
    """Many labels on one line: each takes the codes up to the next label (was every later code on the line)."""
    text = "CPT: 64640-LT " * 2000
    claims = claims_in_text(text)
    assert len(claims) == 2000
    assert set(claims) == {L("64640", ("LT",), 1)}
    assert claims_in_text("CPT: 64640 x2, CPT codes: 64642-RT") == (
        L("64640", (), 2), L("64642", ("RT",), 1))
