"""`notecheck codes` lists every code; `notecheck explain CODE` works for each."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from notecheck.audit.wording import plural
from notecheck.cli import app
from notecheck.rules import load_rules

runner = CliRunner()
CODES = sorted(load_rules().codes)


def test_codes_cli_lists_every_code():
    result = runner.invoke(app, ["codes"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    listed = sorted(line.split()[0] for line in lines if line.startswith("  "))
    assert listed == CODES
    # grouped by family, the injection families among them (issue 16)
    families = [line.rstrip(":") for line in lines if not line.startswith(" ")]
    assert {"destruction", "chemodenervation", "block", "epidural", "injection", "guidance"} <= set(families)
    assert "64636 (add-on)" in result.output and "64635 (add-on)" not in result.output


@pytest.mark.parametrize("code", CODES)
def test_codes_cli_explain(code):
    result = runner.invoke(app, ["explain", code])
    assert result.exit_code == 0, result.output
    rule = load_rules().code_rule(code)
    assert result.output.startswith(f"{code}: {rule.title}")
    assert "Required:" in result.output and "Source:" in result.output


def test_codes_cli_explain_accepts_plus_prefix():
    result = runner.invoke(app, ["explain", "+64636"])
    assert result.exit_code == 0 and "Add-on: bill with one of 64635" in result.output


def test_codes_cli_explain_unknown_code_exits_2():
    result = runner.invoke(app, ["explain", "99213"])
    assert result.exit_code == 2
    assert "E004" in result.output


@pytest.mark.parametrize("code", sorted(load_rules().deleted))
def test_codes_cli_explain_a_deleted_code_names_what_replaced_it(code):
    """`explain 64614` once said "no rule file", as for a code notecheck never knew."""
    gone = load_rules().deleted[code]
    result = runner.invoke(app, ["explain", code])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{code}: deleted from CPT") and gone.deleted.isoformat() in result.output
    assert f"Bill instead: {', '.join(gone.replaced_by)}." in result.output and "Source:" in result.output


@pytest.mark.parametrize("unit, many", [("extremity", "extremities"), ("level", "levels"), ("joint", "joints")])
def test_codes_cli_units_in_plain_words(unit, many):
    """Messages once said "further extremitys"."""
    assert plural(unit) == many
