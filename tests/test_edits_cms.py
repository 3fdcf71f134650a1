"""CMS edit files (--edits): the practitioner MUE table and the NCCI PTP tables, in CMS's layouts.

The fixtures in tests/fixtures/cms_edits are small files written in those layouts with made-up values."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.edits import edit_flags, load_edits
from notecheck.errors import NotecheckError
from notecheck.models import ClaimLine

EDITS = Path(__file__).parent / "fixtures" / "cms_edits"
FACET = ("Indication: low back pain. Consent obtained. Right L3, L4 medial branches and L5 dorsal ramus were lesioned "
         "with radiofrequency at 80 degrees under fluoroscopy.")
runner = CliRunner()


@pytest.fixture(scope="module")
def edits():
    return load_edits(EDITS)


def test_edits_cms_reads_both_layouts(edits):
    assert edits.files == ("mue_practitioner.csv", "ptp_practitioner.txt")
    assert edits.mue["64636"].value == 4 and edits.mue["64636"].indicator == "3"
    (ptp,) = edits.ptp[("64635", "77003")]
    assert ptp.effective == dt.date(2012, 1, 1) and ptp.deletion is None and ptp.modifier == "0"


@pytest.mark.parametrize(
    "claims, code",
    [
        ((ClaimLine("64636", ("RT",), 3), ClaimLine("64636", ("LT",), 2)), "64636"),  # date-of-service edit: 5 > 4
        ((ClaimLine("77003", (), 2),), "77003"),  # line edit: 2 > 1
    ],
)
def test_edits_cms_mue_exceeded(edits, claims, code):
    flags = edit_flags(claims, edits, None)
    (flag,) = flags[code]
    assert flag.kind == "mue_exceeded"


def test_edits_cms_mue_line_edit_counts_each_line(edits):
    assert edit_flags((ClaimLine("77003"), ClaimLine("77003")), edits, None) == {}


@pytest.mark.parametrize(
    "claims, day, conflict",
    [
        ((ClaimLine("64635", ("RT",)), ClaimLine("77003")), None, True),  # indicator 0: no modifier helps
        ((ClaimLine("64635", ("RT",)), ClaimLine("77003", ("59",))), None, True),
        ((ClaimLine("64640", ("LT",)), ClaimLine("64450")), None, True),  # indicator 1 without a modifier
        ((ClaimLine("64640", ("LT",)), ClaimLine("64450", ("XS",))), None, False),  # indicator 1, modifier allowed
        ((ClaimLine("64642", ("RT",)), ClaimLine("95874")), dt.date(2014, 6, 1), True),  # in force on that date
        ((ClaimLine("64642", ("RT",)), ClaimLine("95874")), dt.date(2016, 6, 1), False),  # deleted by then
        ((ClaimLine("64642", ("RT",)), ClaimLine("95873")), None, False),  # indicator 9: not applicable
        ((ClaimLine("64635", ("RT",)), ClaimLine("77003")), dt.date(2011, 6, 1), False),  # not yet in force
    ],
)
def test_edits_cms_ptp_conflict(edits, claims, day, conflict):
    flags = edit_flags(claims, edits, day)
    got = [f for fs in flags.values() for f in fs if f.kind == "ptp_conflict"]
    assert bool(got) is conflict
    if conflict:
        assert got[0].suggested_codes == (claims[0].code,)


def _scan(tmp_path, *extra, env=None):
    note = tmp_path / "notes.jsonl"
    note.write_text(json.dumps({"id": "n1", "text": FACET, "codes": "64635-RT x2, 77003"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(note), "-f", "jsonl", "-q", "-j", "1", *extra], env=env or {})
    rec = json.loads(result.output.strip().splitlines()[-1])
    return [f["kind"] for c in rec["codes"] for f in c["flags"]]


def test_edits_cms_scan_option_and_environment(tmp_path):
    without = _scan(tmp_path)
    assert "mue_exceeded" not in without and "ptp_conflict" not in without  # without --edits nothing changes
    assert {"mue_exceeded", "ptp_conflict"} <= set(_scan(tmp_path, "--edits", str(EDITS)))
    assert {"mue_exceeded", "ptp_conflict"} <= set(_scan(tmp_path, env={"NOTECHECK_EDITS": str(EDITS)}))


def test_edits_cms_bad_folder_is_a_clear_error(tmp_path):
    with pytest.raises(NotecheckError, match="does not exist"):
        load_edits(tmp_path / "missing")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(NotecheckError, match="no MUE or PTP table"):
        load_edits(tmp_path)
    shutil.copy(EDITS / "mue_practitioner.csv", tmp_path / "mue.csv")
    with (tmp_path / "mue.csv").open("a", encoding="utf-8") as f:
        f.write('"6463","x","2","bad"\n')
    with pytest.raises(NotecheckError, match=r"mue.csv line 9"):
        load_edits(tmp_path)
