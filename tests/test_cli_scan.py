"""The command line through typer's CliRunner: formats, -o, exit codes, --help, options and the output contract.

Scans run with ``-j 1`` (in process) and ``-q``; each invocation builds its own pipeline (about a second).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.models import ELEMENTS
from notecheck.renderers import RENDERERS
from notecheck.rules import default_rules_dir

runner = CliRunner()

COMPLETE = (
    "Indication: left hip adductor spasticity after stroke.\n"
    "Informed consent was obtained from the patient.\n"
    "Left obturator nerve phenol neurolysis. Under ultrasound guidance, nerve stimulation localized the left "
    "obturator nerve. Negative aspiration. 5 mL of 6% phenol was injected.\n"
    "The patient tolerated the procedure well. Follow up in clinic in 4 weeks.\n"
)
INCOMPLETE = (  # no consent, no indication
    "Left obturator nerve phenol neurolysis. Under ultrasound guidance 5 mL of 6% phenol was injected.\n"
    "The patient tolerated the procedure well.\n"
)
NO_CODE = "Patient seen in clinic today. Knee pain discussed, exercises reviewed.\n"
CODE = "64640-LT"

CONTRACT_KEYS = {"id", "source", "status", "score", "elements", "codes", "rules_version", "error"}
REALNOTES = Path(__file__).resolve().parents[2] / "shared" / "realnotes" / "csv"


def scan(*args: str):
    return runner.invoke(app, ["scan", "-j", "1", "-q", *map(str, args)])


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def notes(tmp_path) -> Path:
    """A folder with one complete and one incomplete note (codes given with --code)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    write(folder, "a_complete.txt", COMPLETE)
    write(folder, "b_incomplete.txt", INCOMPLETE)
    return folder


# --------------------------------------------------------------------------- formats and -o


def check_output(fmt: str, out: str, expect_ids: list[str]) -> None:
    if fmt == "jsonl":
        recs = records(out)
        assert sorted(r["id"] for r in recs) == sorted(expect_ids)
    elif fmt == "json":
        recs = json.loads(out)
        assert isinstance(recs, list) and sorted(r["id"] for r in recs) == sorted(expect_ids)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert {"id", "source", "code", "status", "score", "missing"} <= set(rows[0])
        assert sorted({r["id"] for r in rows}) == sorted(expect_ids)
        assert {r["code"] for r in rows} == {"64640"}
    elif fmt == "table":
        for note_id in expect_ids:
            assert note_id in out
        assert "incomplete" in out and "complete" in out
    elif fmt == "html":
        assert out.lstrip().lower().startswith("<!doctype html")
        assert out.rstrip().lower().endswith("</html>")
        for note_id in expect_ids:
            assert note_id in out
    else:  # pragma: no cover - a new format needs its check here
        raise AssertionError(f"no check for format {fmt}")


FORMATS = sorted(RENDERERS)


def test_cli_scan_formats_cover_the_required_ones():
    assert {"table", "jsonl", "json", "csv"} <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_scan_format_to_stdout(notes, fmt):
    result = scan(notes, "--code", CODE, "--format", fmt)
    assert result.exit_code == 1, result.output  # one note is incomplete
    check_output(fmt, result.stdout, ["a_complete.txt", "b_incomplete.txt"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_scan_format_to_output_file(notes, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    result = scan(notes, "--code", CODE, "--format", fmt, "-o", out)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    check_output(fmt, out.read_text(encoding="utf-8"), ["a_complete.txt", "b_incomplete.txt"])


def test_cli_scan_default_format_off_terminal_is_jsonl(notes):
    result = scan(notes, "--code", CODE)
    assert len(records(result.stdout)) == 2


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    "texts, extra, code",
    [
        pytest.param([COMPLETE], ["--code", CODE], 0, id="all-complete"),
        pytest.param([COMPLETE, COMPLETE], ["--code", CODE], 0, id="all-complete-two"),
        pytest.param([COMPLETE, INCOMPLETE], ["--code", CODE], 1, id="one-incomplete"),
        pytest.param([NO_CODE], [], 1, id="no-code"),
        pytest.param([COMPLETE, b"\x00\x01\x02binary\x00"], ["--code", CODE], 1, id="one-unreadable"),
        pytest.param([COMPLETE, ""], ["--code", CODE], 1, id="one-empty"),
        pytest.param([COMPLETE], ["--code", "64640 times two"], 2, id="bad-code-option"),
        pytest.param([COMPLETE], ["--format", "pdf"], 2, id="unknown-format"),
        pytest.param([COMPLETE], ["--jobs", "0"], 2, id="bad-jobs"),
    ],
)
def test_cli_scan_exit_codes(tmp_path, texts, extra, code):
    for i, text in enumerate(texts):
        path = tmp_path / f"n{i}.txt"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = scan(tmp_path, *extra)
    assert result.exit_code == code, result.output


def test_cli_scan_bad_code_option_says_why(notes):
    result = scan(notes, "--code", "64640 times two")
    assert result.exit_code == 2
    assert "64640 times two" in result.stderr and "E002" in result.stderr


def test_cli_scan_missing_path_is_an_input_path_error(tmp_path):
    write(tmp_path, "a.txt", COMPLETE)
    result = scan(tmp_path / "a.txt", tmp_path / "nope.txt", "--code", CODE)
    assert result.exit_code == 2, result.output
    assert "nope.txt" in result.stderr and "E003" in result.stderr
    assert result.stdout == ""  # refused before anything is read


def test_cli_scan_broken_rules_folder_exits_2(notes, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    (rules / "elements" / "agent.yml").write_text("element: agent\ncolour: red\n", encoding="utf-8")
    result = scan(notes, "--code", CODE, "--rules", rules)
    assert result.exit_code == 2, result.output
    assert "agent.yml" in result.stderr and "E001" in result.stderr
    assert result.stdout == ""


def test_cli_scan_rules_folder_without_pack_exits_2(notes, tmp_path):
    result = scan(notes, "--code", CODE, "--rules", tmp_path)
    assert result.exit_code == 2
    assert "pack.yml" in result.stderr


def test_cli_scan_no_paths_is_usage_error():
    result = runner.invoke(app, ["scan"])
    assert result.exit_code == 2


# --------------------------------------------------------------------------- --help


COMMANDS = sorted(typer.main.get_command(app).commands)


def test_cli_commands_listed():
    assert {"scan", "codes", "explain", "eval"} <= set(COMMANDS)


@pytest.mark.parametrize("command", [[]] + [[c] for c in COMMANDS], ids=["app"] + COMMANDS)
def test_cli_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    if command:
        assert command[0] in result.stdout


def test_cli_scan_help_lists_options():
    result = runner.invoke(app, ["scan", "--help"])
    for option in ("--format", "--output", "--code", "--id-col", "--text-col", "--code-col", "--resume", "--no-text",
                   "--rules", "--verbose"):
        assert option in result.stdout


# --------------------------------------------------------------------------- --code and export columns


def billed(rec: dict) -> list[tuple[str, tuple[str, ...], int]]:
    return [(c["code"], tuple(c["modifiers"]), c["units"]) for c in rec["codes"] if c["source"] == "billed"]


def test_cli_scan_code_option_applied(notes):
    result = scan(notes / "a_complete.txt", "--code", "64640-LT x2")
    [rec] = records(result.stdout)
    assert billed(rec) == [("64640", ("LT",), 2)]


def test_cli_scan_code_option_does_not_override_export_codes(tmp_path):
    path = tmp_path / "e.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["note_id", "note_text", "cpt"])
        w.writerow(["r1", COMPLETE, "64681"])
        w.writerow(["r2", COMPLETE, ""])
    result = scan(path, "--code", CODE)
    recs = {r["id"]: r for r in records(result.stdout)}
    assert billed(recs["r1"]) == [("64681", (), 1)]
    assert billed(recs["r2"]) == [("64640", ("LT",), 1)]


def write_export(tmp_path: Path, kind: str) -> Path:
    rows = [
        {"enc": "E-1", "narr": COMPLETE, "billing": "64640-LT", "other": "x"},
        {"enc": "E-2", "narr": INCOMPLETE, "billing": "64640-RT x2", "other": "y"},
    ]
    path = tmp_path / f"export.{kind}"
    if kind == "csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_cli_scan_column_options(tmp_path, kind):
    path = write_export(tmp_path, kind)
    result = scan(path, "--id-col", "enc", "--text-col", "narr", "--code-col", "billing")
    recs = records(result.stdout)
    assert [r["id"] for r in recs] == ["E-1", "E-2"]
    assert billed(recs[0]) == [("64640", ("LT",), 1)]
    assert billed(recs[1]) == [("64640", ("RT",), 2)]
    assert recs[0]["elements"]["nerve_target"]["values"] == ["obturator_nerve"]
    assert recs[0]["status"] == "complete" and recs[1]["status"] == "incomplete"


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_cli_scan_text_column_not_found_without_option(tmp_path, kind):
    path = write_export(tmp_path, kind)
    result = scan(path)
    [rec] = records(result.stdout)
    assert rec["status"] == "error" and rec["error"]["kind"] == "missing_column"
    assert result.exit_code == 1


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_cli_scan_column_option_naming_missing_column(tmp_path, kind):
    path = write_export(tmp_path, kind)
    result = scan(path, "--text-col", "narrative_body")
    [rec] = records(result.stdout)
    assert rec["status"] == "error" and "narrative_body" in rec["error"]["message"]


# --------------------------------------------------------------------------- output contract


def test_cli_scan_output_contract(notes):
    result = scan(notes, "--code", CODE)
    recs = records(result.stdout)
    assert len(recs) == 2
    for rec in recs:
        assert CONTRACT_KEYS <= set(rec), CONTRACT_KEYS - set(rec)
        assert list(rec["elements"]) == list(ELEMENTS)
        for name, el in rec["elements"].items():
            assert {"present", "values", "evidence"} <= set(el), name
            assert isinstance(el["present"], bool) and isinstance(el["values"], list)
            assert el["present"] == bool(el["evidence"]), name
            for ev in el["evidence"]:
                assert {"start", "end", "section", "value", "text"} <= set(ev)
        assert rec["error"] is None
        assert rec["rules_version"] and "@" in rec["rules_version"]
        assert rec["status"] in {"complete", "incomplete"} and isinstance(rec["score"], int)
        for code in rec["codes"]:
            assert {"code", "modifiers", "units", "status", "score", "missing"} <= set(code)


def test_cli_scan_evidence_offsets_point_into_note(notes):
    [rec] = records(scan(notes / "a_complete.txt", "--code", CODE).stdout)
    for el in rec["elements"].values():
        for ev in el["evidence"]:
            assert COMPLETE[ev["start"]:ev["end"]] == ev["text"]


def test_cli_scan_error_record_keeps_the_contract(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02\x03")
    [rec] = records(scan(tmp_path, "--code", CODE).stdout)
    assert CONTRACT_KEYS <= set(rec)
    assert rec["status"] == "error" and rec["score"] is None
    assert rec["error"]["kind"] and rec["error"]["message"]


def test_cli_scan_every_note_exactly_once(tmp_path):
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    for i in range(5):
        write(folder, f"t{i}.txt", COMPLETE if i % 2 else INCOMPLETE)
    write(folder / "sub", "deep.txt", COMPLETE)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\xff\x00binary")
    with open(folder / "rows.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["note_id", "note_text", "cpt"])
        for i in range(7):
            w.writerow([f"row{i}", COMPLETE, CODE])
    write(folder, "rows.jsonl", "".join(json.dumps({"id": f"j{i}", "text": INCOMPLETE}) + "\n" for i in range(3)))
    result = scan(folder, "--code", CODE)
    recs = records(result.stdout)
    sources = [r["source"] for r in recs]
    assert len(recs) == 5 + 1 + 2 + 7 + 3
    assert len(set(sources)) == len(sources)
    assert sum(r["status"] == "error" for r in recs) == 2


@pytest.mark.skipif(not REALNOTES.is_dir(), reason="shared realnotes folder missing")
def test_cli_scan_realnotes_one_record_per_note():
    files = sorted(p for p in REALNOTES.iterdir() if p.is_file() and not p.name.startswith("."))
    result = runner.invoke(app, ["scan", str(REALNOTES), "--format", "jsonl", "-q"])
    assert result.exit_code in (0, 1), result.output
    recs = records(result.stdout)
    assert len(recs) == len(files)
    assert sorted(r["id"] for r in recs) == sorted(p.name for p in files)
    for rec in recs:
        assert CONTRACT_KEYS <= set(rec)
        assert set(rec["elements"]) == set(ELEMENTS) or rec["status"] == "error"


# --------------------------------------------------------------------------- --no-text


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_cli_scan_no_text_leaves_evidence_text_out(notes, fmt):
    with_text = scan(notes / "a_complete.txt", "--code", CODE, "--format", fmt).stdout
    without = scan(notes / "a_complete.txt", "--code", CODE, "--format", fmt, "--no-text").stdout
    assert "obturator nerve" in with_text
    assert "obturator nerve" not in without and "phenol was injected" not in without
    [rec] = records(without) if fmt == "jsonl" else json.loads(without)
    evidence = [ev for el in rec["elements"].values() for ev in el["evidence"] + el.get("excluded", [])]
    assert evidence and all("text" not in ev for ev in evidence)
    assert rec["elements"]["nerve_target"]["values"] == ["obturator_nerve"]  # values stay


@pytest.mark.skipif("html" not in RENDERERS, reason="no html renderer")
def test_cli_scan_no_text_html_holds_no_note_text(notes):
    out = scan(notes / "a_complete.txt", "--code", CODE, "--format", "html", "--no-text").stdout
    assert "<html" in out.lower()
    assert "obturator nerve" not in out and "hip adductor spasticity" not in out


# --------------------------------------------------------------------------- --resume


def test_cli_scan_resume_appends_and_skips_done(notes, tmp_path):
    out = tmp_path / "out.jsonl"
    first = scan(notes, "--code", CODE, "--resume", out)
    assert first.exit_code == 1
    assert len(records(out.read_text())) == 2
    write(notes, "c_new.txt", COMPLETE)
    second = runner.invoke(app, ["scan", "-j", "1", str(notes), "--code", CODE, "--resume", str(out)])
    recs = records(out.read_text())
    assert [r["id"] for r in recs] == ["a_complete.txt", "b_incomplete.txt", "c_new.txt"]
    assert "skipped" in second.stderr  # the summary says what was skipped


def test_cli_scan_resume_cuts_torn_line_and_redoes_note(notes, tmp_path):
    out = tmp_path / "out.jsonl"
    scan(notes, "--code", CODE, "--resume", out)
    lines = out.read_text().splitlines(keepends=True)
    assert len(lines) == 2
    out.write_text(lines[0] + lines[1][: len(lines[1]) // 2])  # a run killed half-way through line 2
    scan(notes, "--code", CODE, "--resume", out)
    text = out.read_text()
    assert text.endswith("\n")
    recs = records(text)  # every line is well-formed JSON again
    assert [r["id"] for r in recs] == ["a_complete.txt", "b_incomplete.txt"]
    assert recs[1]["status"] == "incomplete"


def test_cli_scan_resume_on_missing_file_starts_it(notes, tmp_path):
    out = tmp_path / "new.jsonl"
    scan(notes, "--code", CODE, "--resume", out)
    assert len(records(out.read_text())) == 2


@pytest.mark.parametrize("extra", [["--format", "csv"], ["-o", "{tmp}/other.jsonl"]], ids=["csv", "other-output"])
def test_cli_scan_resume_usage_errors(notes, tmp_path, extra):
    out = tmp_path / "out.jsonl"
    extra = [x.format(tmp=tmp_path) for x in extra]
    result = scan(notes, "--code", CODE, "--resume", out, *extra)
    assert result.exit_code == 2
    assert not out.exists() or out.read_text() == ""
