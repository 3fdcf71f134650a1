"""Command-line conventions: python -m notecheck, --version, -h, honest --help with the exit codes, the published
record schema (every output format's records validate against it), py.typed and the licence."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import typer
from typer.testing import CliRunner

import notecheck
from notecheck.cli import app
from notecheck.schema import record_schema

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"
SCHEMA = record_schema()
COMMANDS = [[]] + [[c] for c in sorted(typer.main.get_command(app).commands) if c != "rules"] + [["rules", "check"]]


def test_cli_python_dash_m_and_version():
    proc = subprocess.run([sys.executable, "-m", "notecheck", "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    from notecheck.rules import load_rules

    assert proc.stdout.strip() == f"notecheck {notecheck.__version__} (rules {load_rules().version})"


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "app" for c in COMMANDS])
def test_cli_help_short_flag_and_no_type_noise(command):
    long = runner.invoke(app, [*command, "--help"])
    short = runner.invoke(app, [*command, "-h"])
    assert long.exit_code == short.exit_code == 0, long.output
    assert short.stdout == long.stdout
    assert "<bool>" not in long.stdout  # a flag takes no value


@pytest.mark.parametrize("command", [[], ["scan"], ["eval"], ["rules", "check"]], ids=["app", "scan", "eval", "rules-check"])
def test_cli_help_lists_exit_codes(command):
    out = runner.invoke(app, [*command, "--help"]).stdout
    assert "Exit codes" in out
    for code in ("0 ", "1 ", "2 ", "3 "):
        assert f"\n    {code}" in out, out


def test_cli_schema_command_prints_the_shipped_schema():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_cli_package_is_typed_and_licensed():
    assert (Path(notecheck.__file__).parent / "py.typed").is_file()
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")


# --------------------------------------------------------------------------- records against the schema


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """The demo, plus notes that give error, no-code, inferred-code and flagged records."""
    extra = tmp_path_factory.mktemp("schema")
    (extra / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (extra / "empty.txt").write_text("", encoding="utf-8")
    (extra / "clinic.txt").write_text("Knee pain discussed, exercises reviewed.\n", encoding="utf-8")
    (extra / "uncoded.txt").write_text("Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound.\n", encoding="utf-8")
    (extra / "export.jsonl").write_text(json.dumps({
        "id": "flagged", "codes": "64640-RT, 76942, 99999",
        "text": "Left T6-T8 intercostal nerve phenol neurolysis under ultrasound guidance. 3 mL of 6% phenol at each level.",
    }) + "\n" + '{"id": "bad codes", "text": "Left obturator phenol.", "codes": "64640 times two"}\n', encoding="utf-8")
    return [str(DEMO), str(extra)]


def _validate(record: dict) -> None:
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(record), key=str)
    assert not errors, f"{record.get('id')}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def _scan(inputs: list[str], *args: str) -> str:
    result = runner.invoke(app, ["scan", "-j", "1", "-q", *inputs, *args])
    assert result.exit_code == 1, result.output
    return result.stdout


@pytest.mark.parametrize("extra", [[], ["--no-text"]], ids=["text", "no-text"])
def test_cli_schema_jsonl_records_validate(inputs, extra):
    records = [json.loads(line) for line in _scan(inputs, "-f", "jsonl", *extra).splitlines()]
    statuses = {r["status"] for r in records}
    assert {"complete", "incomplete", "no_code", "error"} <= statuses  # every kind of record is covered
    assert any(c["flags"] for r in records for c in r["codes"]) and any(r["unsupported_codes"] for r in records)
    assert any(c["source"] == "inferred" for r in records for c in r["codes"])
    for record in records:
        _validate(record)


def test_cli_schema_json_records_validate(inputs):
    records = json.loads(_scan(inputs, "-f", "json"))
    assert records
    for record in records:
        _validate(record)


def _sub(fragment: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], **fragment})


def test_cli_schema_csv_rows_validate(inputs):
    """A CSV row flattens a record and one of its codes: each cell validates against that field's schema."""
    rows = list(csv.DictReader(io.StringIO(_scan(inputs, "-f", "csv"))))
    code_props = SCHEMA["$defs"]["code"]["properties"]
    cells = {
        "id": _sub(SCHEMA["properties"]["id"]),
        "source": _sub(SCHEMA["properties"]["source"]),
        "note_status": _sub(SCHEMA["properties"]["status"]),
        # the code's status, the note's when it has none, or "unsupported" for a billed code with no rule file
        "status": _sub({"anyOf": [SCHEMA["properties"]["status"], {"const": "unsupported"}]}),
        "code": _sub(code_props["code"]),
        "code_source": _sub(code_props["source"]),
        "units": _sub(code_props["units"]),
        "score": _sub(code_props["score"]),
    }
    assert rows
    for row in rows:
        for column, validator in cells.items():
            value = row[column]
            if value == "" and column in ("code", "code_source", "units", "score"):
                continue  # a note without codes, or an error row
            if column in ("units", "score"):
                value = int(value)
            errors = list(validator.iter_errors(value))
            assert not errors, f"{row['id']} {column}={value!r}: {errors[0].message}"
        for name in filter(None, row["missing"].split("; ")):
            assert name.split(" ")[0] in SCHEMA["properties"]["elements"]["properties"], row["missing"]
