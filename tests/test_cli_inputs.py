"""`scan --delimiter` and `scan --stdin-format` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from notecheck.cli import app

runner = CliRunner()
NOTE = "Left obturator nerve phenol neurolysis under ultrasound; 5 mL of 6% phenol. Consent signed."


def records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("option", ["|", "pipe"])
def test_cli_inputs_delimiter_option(tmp_path, option):
    path = tmp_path / "x.csv"
    path.write_text(f"id;x|text\n1;y|{NOTE}\n")  # sniffing picks ; (a tie) and finds no text column
    sniffed = runner.invoke(app, ["scan", "-q", "-j", "1", "-f", "jsonl", str(path)])
    assert records(sniffed.output)[0]["error"]["kind"] == "missing_column"
    named = runner.invoke(app, ["scan", "-q", "-j", "1", "-f", "jsonl", "--delimiter", option, str(path)])
    [record] = records(named.output)
    assert record["error"] is None and record["id"] == f"{path}:1"


@pytest.mark.parametrize(
    "stdin, option, expected",
    [(NOTE, [], ["<stdin>"]), (json.dumps({"id": "n1", "text": NOTE}) + "\n", [], ["n1"]),
     ('{"id": "n1"} is what the note says', ["--stdin-format", "text"], ["<stdin>"])],
    ids=["text", "jsonl", "forced-text"],
)
def test_cli_inputs_stdin_format(stdin, option, expected):
    result = runner.invoke(app, ["scan", "-q", "-j", "1", "-f", "jsonl", *option, "-"], input=stdin)
    assert result.exit_code in (0, 1), result.output
    got = records(result.output)
    assert [r["id"] for r in got] == expected
    assert all(r["error"] is None for r in got)


def test_cli_inputs_bad_stdin_format_is_a_usage_error():
    result = runner.invoke(app, ["scan", "-q", "-j", "1", "--stdin-format", "xml", "-"], input="x")
    assert result.exit_code == 2
