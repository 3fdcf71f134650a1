"""The date of service picks the rules in force, is written into every record and CSV row, and an
unreadable one is a warning in the record, never a silent default. --code only fills in for notes without codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notecheck import Checker
from notecheck.cli import app
from notecheck.models import NoteInput, to_record

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo" / "demo_09_sural_alcohol_complete.txt"
NOTE = DEMO.read_text(encoding="utf-8")  # bills 64640-LT on its CPT: line
OLD, NEW = "64640@2000-01-01", "64640@2026-01-01"  # patterns/codes/64640.yml and 64640-2026.yml


def rule_version(result) -> str:
    [code] = [c for c in result.codes if c.code == "64640"]
    return code.rule_version


@pytest.mark.parametrize(
    "written, used, version",
    [
        ("06/01/2025", "2025-06-01", OLD),
        ("6/1/25", "2025-06-01", OLD),
        ("2025-06-01T09:30:00Z", "2025-06-01", OLD),
        ("20250601", "2025-06-01", OLD),
        ("12/31/2025 23:59", "2025-12-31", OLD),
        ("01/02/2026", "2026-01-02", NEW),
    ],
)
def test_check_service_date_picks_rules_in_force(checker, written, used, version):
    result = checker.check(NoteInput("n", "n.csv:1", NOTE, service_date=written))
    assert rule_version(result) == version
    assert (result.service_date, result.service_date_source, result.warnings) == (used, "column", ())


def test_check_service_date_missing_is_said(checker):
    rec = to_record(checker.check(NoteInput("n", "n.csv:1", NOTE)))
    assert (rec["service_date"], rec["service_date_source"], rec["warnings"]) == (None, "none", [])


def test_check_service_date_unreadable_is_a_warning(checker):
    result = checker.check(NoteInput("n", "n.csv:1", NOTE, service_date="13/06/2025"))
    rec = to_record(result)
    assert rec["service_date"] is None and rec["service_date_source"] == "unreadable"
    [warning] = rec["warnings"]
    assert warning["kind"] == "bad_service_date"
    assert "n.csv:1" in warning["message"] and "--date-format" in warning["message"]
    assert rule_version(result) == NEW  # said, not silent: the newest rules, as for a note without a date


def test_check_service_date_warning_never_quotes_text(checker):
    result = checker.check(NoteInput("n", "n.csv:1", NOTE, service_date="sural neuroma pain"))
    assert "neuroma" not in result.warnings[0].message


def test_check_service_date_format_option():
    checker = Checker(date_format="%d/%m/%Y")
    result = checker.check(NoteInput("n", "n.csv:1", NOTE, service_date="01/06/2025"))
    assert result.service_date == "2025-06-01" and rule_version(result) == OLD


def export(tmp_path: Path, dates: list[str]) -> Path:
    path = tmp_path / "e.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["note_id", "note_text", "dos"])
        for i, day in enumerate(dates):
            w.writerow([f"r{i}", NOTE, day])
    return path


def scan(*args) -> str:
    result = runner.invoke(app, ["scan", "-j", "1", "-q", *map(str, args)])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_check_service_date_reaches_jsonl_and_csv(tmp_path):
    path = export(tmp_path, ["06/01/2025", "garbage", ""])
    recs = {r["id"]: r for r in map(json.loads, scan(path, "-f", "jsonl").splitlines())}
    assert [recs[i]["service_date"] for i in ("r0", "r1", "r2")] == ["2025-06-01", None, None]
    assert recs["r0"]["codes"][0]["rule_version"] == OLD
    assert recs["r1"]["warnings"][0]["kind"] == "bad_service_date"
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(scan(path, "-f", "csv")))}
    assert rows["r0"]["service_date"] == "2025-06-01" and rows["r0"]["service_date_source"] == "column"
    assert rows["r1"]["service_date_source"] == "unreadable" and "bad_service_date" in rows["r1"]["warnings"]
    assert rows["r2"]["service_date_source"] == "none"


def test_check_service_date_cli_date_format(tmp_path):
    path = export(tmp_path, ["01/06/2025"])
    [rec] = map(json.loads, scan(path, "--date-format", "%d/%m/%Y").splitlines())
    assert rec["service_date"] == "2025-06-01" and rec["warnings"] == []


def test_check_service_date_cli_bad_date_format_is_usage_error(tmp_path):
    result = runner.invoke(app, ["scan", "-j", "1", "-q", str(export(tmp_path, ["06/01/2025"])), "--date-format", "%Q"])
    assert result.exit_code == 2 and "date-format" in result.output


@pytest.mark.parametrize("text, billed", [(NOTE, "64640"), (NOTE.replace("CPT: 64640-LT", "Sural nerve."), "64681")])
def test_check_default_code_only_for_notes_without_codes(tmp_path, text, billed):
    path = tmp_path / "note.txt"
    path.write_text(text, encoding="utf-8")
    [rec] = map(json.loads, scan(path, "--code", "64681").splitlines())
    assert [c["code"] for c in rec["codes"] if c["source"] == "billed"] == [billed]
