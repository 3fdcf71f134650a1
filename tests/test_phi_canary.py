"""Note text never reaches stderr (nor stdout when the report goes to a file), at any verbosity,
in process or in worker processes, for good notes and broken inputs alike; and the libraries
underneath (loguru via PyRuSH/medspaCy) print nothing. Runs the installed `notecheck` script."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

CANARY = "QUOKKA5519"
NOTECHECK = Path(sys.executable).parent / "notecheck"

NOTE = (
    f"Patient {CANARY} has left hip adductor spasticity. Informed consent was obtained from {CANARY}.\n"
    f"Left obturator nerve phenol neurolysis. Under ultrasound guidance 5 mL of 6% phenol was injected near {CANARY}.\n"
    "The patient tolerated the procedure well. Follow up in 4 weeks.\n"
)
# notecheck's own log lines, and the run summary
OWN_LINE = re.compile(r"^(notecheck: .*|\d+ notes? read: .*)$")
LOGURU_LINE = re.compile(r"\|\s*(TRACE|DEBUG|INFO|SUCCESS|WARNING|ERROR|CRITICAL)\s*\|")


def build_inputs(folder: Path) -> int:
    """Good and broken inputs that all hold the canary; returns how many records the scan must give."""
    folder.mkdir()
    (folder / "good.txt").write_text(NOTE, encoding="utf-8")
    (folder / "good_no_code.txt").write_text(NOTE.replace("phenol", "").replace("obturator", ""), encoding="utf-8")
    (folder / "binary.txt").write_bytes(NOTE.encode() + b"\x00\x01\x02\x00")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "undecodable.txt").write_bytes(b"\xff\xfe\x00" + NOTE.encode("utf-16-le")[:51] + b"\x81\x8d\xfe\xff" * 8)
    (folder / "too_large.txt").write_text(NOTE * 200, encoding="utf-8")
    with open(folder / "export.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["note_id", "note_text", "cpt"])
        w.writerow(["c1", NOTE, "64640-LT"])
        w.writerow(["c2", NOTE, f"{CANARY} 64640"])  # note text in the code column: a bad code
        w.writerow(["c3", "   ", "64640"])
    (folder / "export.jsonl").write_text(
        json.dumps({"id": "j1", "text": NOTE, "codes": "64640-LT"}) + "\n"
        + '{"id": "j2", "text": "' + NOTE.replace("\n", " ") + '\n'  # a torn JSON line
        + json.dumps({"id": "j3", "text": NOTE}) + "\n",
        encoding="utf-8",
    )
    return 6 + 3 + 3


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(NOTECHECK), *args], capture_output=True, text=True, timeout=300)


def assert_clean_stderr(stderr: str) -> None:
    assert CANARY not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert not [line for line in lines if LOGURU_LINE.search(line)], stderr
    assert all(OWN_LINE.match(line) for line in lines), stderr


def test_phi_canary_script_installed():
    assert NOTECHECK.is_file(), f"no notecheck script next to {sys.executable}"


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("verbosity", ["-v", "-vv"])
def test_phi_canary_not_in_stderr_or_stdout_with_output_file(tmp_path, jobs, verbosity):
    folder = tmp_path / "notes"
    expected = build_inputs(folder)
    out = tmp_path / "report.jsonl"
    proc = run("scan", str(folder), verbosity, "-j", jobs, "--max-note-bytes", "20000", "-o", str(out))
    assert proc.returncode == 1, proc.stderr  # broken inputs make some records errors
    assert CANARY not in proc.stdout
    assert_clean_stderr(proc.stderr)
    assert re.search(r"notes? read", proc.stderr)  # the summary is printed; it was the stream being checked
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == expected
    kinds = {r["error"]["kind"] for r in recs if r["error"]}
    assert {"binary", "empty", "too_large", "bad_code"} <= kinds, kinds


@pytest.mark.parametrize("fmt", ["jsonl", "table", "csv"])
def test_phi_canary_not_in_stderr_with_stdout_report(tmp_path, fmt):
    folder = tmp_path / "notes"
    build_inputs(folder)
    proc = run("scan", str(folder), "-vv", "-j", "1", "--max-note-bytes", "20000", "--format", fmt)
    assert proc.returncode == 1
    assert proc.stdout.strip()
    assert_clean_stderr(proc.stderr)


def test_phi_canary_no_text_report_holds_no_note_text(tmp_path):
    folder = tmp_path / "notes"
    build_inputs(folder)
    (folder / "export.csv").unlink()  # its bad code cell is quoted in the error record by design
    proc = run("scan", str(folder), "-vv", "-j", "1", "--max-note-bytes", "20000", "--no-text", "--format", "jsonl")
    assert proc.returncode == 1
    assert CANARY not in proc.stdout
    assert_clean_stderr(proc.stderr)


def test_phi_canary_bad_rules_error_holds_no_note_text(tmp_path):
    folder = tmp_path / "notes"
    build_inputs(folder)
    proc = run("scan", str(folder), "-vv", "--rules", str(tmp_path / "no_rules_here"))
    assert proc.returncode == 2
    assert CANARY not in proc.stderr + proc.stdout
    assert "pack.yml" in proc.stderr
