"""Policy checks of the medicare profile on the gold series (corpora/gold/policy.jsonl): within a note and
across a patient's notes, the same with --jobs and after --resume."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notecheck import Checker
from notecheck.cli import app
from notecheck.models import NoteInput
from notecheck.patients import KEEP, Ledger

GOLD = Path(__file__).resolve().parents[1] / "corpora" / "gold" / "policy.jsonl"
ITEMS = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
runner = CliRunner()


def _note(item: dict, patient: bool = True) -> NoteInput:
    return NoteInput(id=item["id"], source=item["id"], text=item["text"], codes=item["codes"],
                     service_date=item["service_date"], patient=item["patient"] if patient else None)


def _checks(codes, kind: str) -> list[str]:
    return sorted(f["check"] if isinstance(f, dict) else f.check
                  for c in codes for f in (c["flags"] if isinstance(c, dict) else c.flags)
                  if (f["kind"] if isinstance(f, dict) else f.kind) == kind)


@pytest.fixture(scope="module")
def medicare():
    return Checker(profile="medicare")


@pytest.fixture(scope="module")
def results(medicare):
    return {r.id: r for r in medicare.check_many([_note(it) for it in ITEMS])}


@pytest.mark.parametrize("item", ITEMS, ids=[it["id"] for it in ITEMS])
def test_policy_checks_gold_flags(results, item):
    r = results[item["id"]]
    assert _checks(r.codes, "policy") == item["policy"]["flags"]
    assert _checks(r.codes, "policy_note") == item["policy"]["notes"]


@pytest.mark.parametrize("note_id, earlier", [
    ("pol_p100_3", ["pol_p100_1", "pol_p100_2"]),  # the RF read its diagnostic blocks from the block notes
    ("pol_p100_5", ["pol_p100_3", "pol_p100_4"]),  # the third session names the two before it
    ("pol_p400_2", ["pol_p400_1"]),  # the toxin session 8 weeks after the last
])
def test_policy_checks_name_the_earlier_notes(results, note_id, earlier):
    messages = " ".join(f.message for c in results[note_id].codes for f in c.flags if f.kind.startswith("policy"))
    for other in earlier:
        assert f"note {other} (" in messages


def test_policy_checks_strict_profile_has_none(checker):
    for r in checker.check_many([_note(it) for it in ITEMS]):
        assert not [f for c in r.codes for f in c.flags if f.kind.startswith("policy")]


def test_policy_checks_without_patients_stay_within_the_note(medicare):
    got = {r.id: r for r in medicare.check_many([_note(it, patient=False) for it in ITEMS])}
    assert _checks(got["pol_p400_2"].codes, "policy") == []  # no earlier session known
    blocks = [f for c in got["pol_p100_3"].codes for f in c.flags if f.check == "diagnostic_blocks"]
    assert blocks and blocks[0].kind == "policy" and "patient column" in blocks[0].message


def test_policy_checks_out_of_date_order(medicare):
    """An export sorted newest first still finds the session 8 weeks away (dates compared as distances)."""
    tox = [it for it in ITEMS if it["patient"] == "P400"][:2][::-1]
    got = list(medicare.check_many([_note(it) for it in tox]))
    assert _checks(got[1].codes, "policy") == ["min_interval"]


def test_policy_checks_ledger_keeps_a_small_state(medicare):
    ledger = Ledger(medicare.profile)
    item = next(it for it in ITEMS if it["id"] == "pol_p400_1")
    result = medicare.check(_note(item))
    for _ in range(3 * KEEP):
        ledger.apply(result)
    assert len(ledger.patients["P400"]) == KEEP


def _export(tmp_path: Path, items, name="notes.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps({k: it[k] for k in ("id", "text", "codes", "service_date", "patient")}) + "\n"
                            for it in items))
    return path


def _scan(*args) -> list[dict]:
    result = runner.invoke(app, ["scan", *args, "--profile", "medicare", "-f", "jsonl", "-q"])
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_policy_checks_same_answers_with_jobs(tmp_path):
    path = _export(tmp_path, ITEMS)
    one, two = _scan(str(path), "-j", "1"), _scan(str(path), "-j", "2")
    assert one == two
    by_id = {r["id"]: r for r in one}
    assert _checks(by_id["pol_p100_5"]["codes"], "policy") == ["repeat_relief", "sessions_per_year"]
    assert by_id["pol_p100_5"]["patient"] == "P100" and by_id["pol_p100_5"]["profile"] == "medicare"


def test_policy_checks_same_answers_after_resume(tmp_path):
    path = _export(tmp_path, ITEMS)
    full = _scan(str(path), "-j", "1")
    out = tmp_path / "out.jsonl"
    _export(tmp_path, ITEMS[:4], "first.jsonl")
    first = runner.invoke(app, ["scan", str(tmp_path / "first.jsonl"), "--profile", "medicare", "-o", str(out), "-q"])
    assert first.exit_code in (0, 1)
    # the records of the first part say notes.jsonl's sources, as a killed run over the whole file would have
    out.write_text(out.read_text().replace("first.jsonl", "notes.jsonl"))
    resumed = runner.invoke(app, ["scan", str(path), "--profile", "medicare", "--resume", str(out), "-q"])
    assert resumed.exit_code in (0, 1)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [r["id"] for r in full]
    assert [r["codes"] for r in records] == [r["codes"] for r in full]


def test_policy_checks_patient_column_detected_in_csv(tmp_path):
    path = tmp_path / "notes.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Note ID", "MRN", "Date of Service", "CPT", "Note Text"])
        for it in ITEMS:
            if it["patient"] == "P400":
                w.writerow([it["id"], it["patient"], it["service_date"], it["codes"], it["text"]])
    got = {r["id"]: r for r in _scan(str(path))}
    assert got["pol_p400_2"]["patient"] == "P400"
    assert _checks(got["pol_p400_2"]["codes"], "policy") == ["min_interval"]
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(path.read_text().replace("MRN", "Person"))
    got = {r["id"]: r for r in _scan(str(renamed), "--patient-col", "Person")}
    assert _checks(got["pol_p400_2"]["codes"], "policy") == ["min_interval"]


def test_policy_checks_coverage_note_is_no_failure(tmp_path):
    path = _export(tmp_path, [it for it in ITEMS if it["id"] == "pol_p500_1"])
    result = runner.invoke(app, ["scan", str(path), "--profile", "medicare", "-f", "jsonl"])
    record = json.loads(result.output.splitlines()[0])
    assert _checks(record["codes"], "policy_note") == ["coverage_note"] and record["status"] == "complete"
    assert result.exit_code == 0 and "0 flagged" in result.output  # the summary line (stderr, mixed in)


def test_policy_checks_csv_queue_and_html_show_them(tmp_path):
    path = _export(tmp_path, ITEMS)
    out = runner.invoke(app, ["scan", str(path), "--profile", "medicare", "-f", "csv", "-q"]).output
    rows = list(csv.DictReader(out.splitlines()))
    assert {r["profile"] for r in rows} == {"medicare"}
    row = next(r for r in rows if r["id"] == "pol_p400_2")
    assert row["policy_findings"].startswith("min_interval: LCD L35170")
    html = runner.invoke(app, ["scan", str(path), "--profile", "medicare", "-f", "html", "-q"]).output
    assert "profile medicare" in html and "L35170" in html


def test_policy_checks_two_blocks_in_one_sentence_are_two_blocks(medicare):
    """'two MBBs ... gave 90% and 85% relief' was read as one block, and the facet RF flagged 1 of 2."""
    text = ("Left L4-L5 and L5-S1 lumbar facet radiofrequency ablation of the medial branches for facet pain. Two prior "
            "medial branch blocks on 06/01/2025 and 06/20/2025 gave 90% and 85% relief. Consent obtained. Under "
            "fluoroscopy, lesions at 80 C for 90 seconds after sensory and motor stimulation. Tolerated well. "
            "Pain 7/10 before, 2/10 after. Follow up 6 weeks.")
    r = medicare.check(NoteInput("rf1", "rf1", text, "64635-LT, 64636-LT", service_date="07/15/2025"))
    assert r.elements["prior_block_relief"].values == ("mbb 90% 2025-06-01", "mbb 85% 2025-06-20")
    blocks = [f.message for c in r.codes for f in c.flags if getattr(f, "check", None) == "diagnostic_blocks"]
    assert not [m for m in blocks if "1 of 2" in m], blocks


def test_policy_checks_migraine_toxin_total_and_no_guidance(medicare):
    """64615 (chronic-migraine protocol): the product's dose is the total given, and no EMG or ultrasound
    guidance is asked of landmark injections; both were once flagged as missing."""
    text = ("Chronic migraine. Consent obtained. OnabotulinumtoxinA 155 units diluted in 3.1 mL saline was injected into "
            "31 sites per the PREEMPT protocol: frontalis, corrugator, procerus, temporalis, occipitalis, cervical "
            "paraspinals and trapezius, both sides. No waste. Tolerated well. Follow up 12 weeks.")
    r = medicare.check(NoteInput("m1", "m1", text, "64615", service_date="06/01/2025"))
    assert r.elements["toxin_units"].values == ("total 155 units",)
    [record] = [f.message for c in r.codes for f in c.flags if getattr(f, "check", None) == "toxin_record"]
    assert "total units" not in record and "guidance" not in record
    limb = medicare.check(NoteInput("m2", "m2", "Spasticity. Consent obtained. Botox 100 units into the left biceps. "
                                    "Tolerated well. Follow up 12 weeks.", "64642-LT", service_date="06/01/2025"))
    assert any("guidance" in f.message for c in limb.codes for f in c.flags if getattr(f, "check", None) == "toxin_record")
