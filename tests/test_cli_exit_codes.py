"""Exit codes a script can trust (0 complete, 1 findings, 2 usage/rules/input path, 3 notecheck failed), one-line
errors without tracebacks or note text, and outputs that never destroy an input or a previous report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.rules import default_rules_dir

runner = CliRunner()
NOTE = ("Indication: left hip adductor spasticity.\nInformed consent was obtained.\n"
        "Left obturator nerve phenol neurolysis under ultrasound guidance. 5 mL of 6% phenol was injected.\n")
CANARY = "QUOKKA-CANARY-2113"


def scan(*args) -> object:
    return runner.invoke(app, ["scan", "-j", "1", "-q", *map(str, args)])


@pytest.fixture
def notes(tmp_path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text(NOTE + CANARY + "\n", encoding="utf-8")
    return folder


def one_line_error(result, *needles: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and CANARY not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


# --------------------------------------------------------------------------- 3: notecheck failed


def test_cli_exit_unwritable_output_is_3(notes):
    result = scan(notes, "--code", "64640-LT", "-f", "csv", "-o", "/nope/out.csv")
    assert result.exit_code == 3, result.output
    one_line_error(result, "/nope/out.csv", "E005")
    assert result.stdout == ""


def test_cli_exit_internal_error_is_3_without_traceback_or_text(notes, monkeypatch):
    from notecheck.renderers import jsonl

    def broken(self, result):
        raise ValueError(f"bad value near {CANARY}")

    monkeypatch.setattr(jsonl.JsonLinesRenderer, "write", broken)
    result = scan(notes, "--code", "64640-LT")
    assert result.exit_code == 3, result.output
    one_line_error(result, "ValueError", "a.txt", "--debug")


def test_cli_exit_internal_error_with_debug_raises(notes, monkeypatch):
    from notecheck.renderers import jsonl

    monkeypatch.setattr(jsonl.JsonLinesRenderer, "write", lambda self, r: 1 / 0)
    result = scan(notes, "--code", "64640-LT", "--debug")
    assert result.exit_code != 0 and isinstance(result.exception.__cause__ or result.exception, ZeroDivisionError)


def test_cli_exit_failed_run_keeps_the_previous_report(notes, tmp_path, monkeypatch):
    from notecheck.renderers import csv_queue

    out = tmp_path / "queue.csv"
    out.write_text("the previous report\n", encoding="utf-8")
    monkeypatch.setattr(csv_queue.CsvRenderer, "close", lambda self: 1 / 0)
    result = scan(notes, "--code", "64640-LT", "-f", "csv", "-o", out)
    assert result.exit_code == 3
    assert out.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "queue.csv"]  # no temporary file left


def test_cli_exit_rule_error_keeps_the_previous_report(notes, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    (rules / "spelling.yml").write_text("min_length: many\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("kept\n", encoding="utf-8")
    result = scan(notes, "--code", "64640-LT", "-o", out, "--rules", rules)
    assert result.exit_code == 2
    one_line_error(result, "spelling.yml", "E001")
    assert out.read_text(encoding="utf-8") == "kept\n"


def test_cli_exit_output_written_whole_and_replaced(notes, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    os.chmod(out, 0o640)
    result = scan(notes, "--code", "64640-LT", "-o", out)
    assert result.exit_code in (0, 1), result.output
    [record] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["id"] == "a.txt"
    assert out.stat().st_mode & 0o777 == 0o640  # the replaced file keeps its mode


# --------------------------------------------------------------------------- 2: usage and input paths


@pytest.mark.parametrize("args", [["-f", "pdf"], ["--jobs", "0"], ["--code", "64640 times two"], ["--no-such-option"]],
                         ids=["format", "jobs", "code", "option"])
def test_cli_exit_usage_errors_are_2(notes, args):
    assert scan(notes, *args).exit_code == 2


def test_cli_exit_eval_unknown_format_is_2(tmp_path):
    assert runner.invoke(app, ["eval", str(tmp_path), "-f", "xml"]).exit_code == 2


def test_cli_exit_eval_missed_target_is_1(tmp_path):
    elements = {e: {"present": False, "values": []} for e in ("nerve_target", "agent", "volume", "imaging", "laterality",
                "consent", "indication", "placement_confirmation", "response", "follow_up", "muscles")}
    line = {"id": "g1", "text": "Informed consent was obtained.", "codes": None, "elements": elements}
    (tmp_path / "g.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 1, result.output  # consent F1 is 0: below its target
    assert "targets NOT met" in result.stdout


def test_cli_exit_output_that_is_the_input_is_refused(tmp_path):
    export = tmp_path / "in.jsonl"
    content = json.dumps({"id": "n1", "text": NOTE, "codes": "64640-LT"}) + "\n"
    export.write_text(content, encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(export)
    for out in (export, link):
        result = scan(export, "-o", out)
        assert result.exit_code == 2, result.output
        one_line_error(result, "also an input")
        assert export.read_text(encoding="utf-8") == content
    result = scan(link, "--resume", export)
    assert result.exit_code == 2 and export.read_text(encoding="utf-8") == content


@pytest.mark.parametrize("name, refused", [("out.jsonl", True), ("sub/queue.csv", True), ("report.txt", True),
                                           ("report.html", False)])
def test_cli_exit_output_inside_scanned_folder(notes, name, refused):
    out = notes / name
    out.parent.mkdir(exist_ok=True)
    result = scan(notes, "--code", "64640-LT", "-o", out, "-f", "html" if name.endswith("html") else "jsonl")
    if refused:
        assert result.exit_code == 2, result.output
        one_line_error(result, "inside the scanned folder")
        assert not out.exists()
    else:  # a scan of the folder skips .html files: no harm
        assert result.exit_code in (0, 1) and out.exists()


# --------------------------------------------------------------------------- --resume on a file that is not ours


@pytest.mark.parametrize("content", [
    b'{"a": 1}\n{"b": 2}\n',
    b'{"a": 1}\n{"b": 2',
    b"id,text\nn1,some text\n",
    b"a line of a note with no newline",
    b'{"id": 1}',
    b"\x00\x01\x02\xff" * 100,
    b'{"id": "x", "source": "x", "status": "complete", "rules_version": "r"}\nnot json\n',
], ids=["foreign-jsonl", "foreign-torn", "csv", "garbage", "id-no-newline", "binary", "bad-second-line"])
def test_cli_exit_resume_refuses_a_foreign_file_untouched(notes, tmp_path, content):
    out = tmp_path / "out.jsonl"
    out.write_bytes(content)
    result = scan(notes, "--code", "64640-LT", "--resume", out)
    assert result.exit_code == 2, result.output
    one_line_error(result, "E006", "left untouched")
    assert out.read_bytes() == content


def test_cli_exit_resume_refuses_a_fifo_without_reading_it(notes, tmp_path):
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "notecheck", "scan", "-q", "-j", "1", str(notes), "--code", "64640-LT",
                           "--resume", str(fifo)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr and "Traceback" not in proc.stderr
