"""The review-queue CSV shows the findings: flagged before no_code, codes without rules as rows, each missing
element with its reason, the date used, and pass-through columns."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.models import CodeResult, ElementFinding, Evidence, Flag, NoteInput, NoteResult, NoteWarning
from notecheck.renderers.csv_queue import CsvRenderer

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"


def code(status: str, score: int, missing=(), flags=()) -> CodeResult:
    return CodeResult(code="64640", title="t", modifiers=(), units=1, source="billed", status=status, score=score,
                      missing=missing, flags=flags)


def note(note_id: str, status: str, codes=(), unsupported=(), elements=None, warnings=(), columns=()) -> NoteResult:
    score = min((c.score for c in codes), default=None)
    return NoteResult(id=note_id, source=f"{note_id}.txt", status=status, score=score, codes=tuple(codes),
                      unsupported_codes=tuple(unsupported), elements=elements or {}, warnings=tuple(warnings),
                      columns=tuple(columns))


def rows(results) -> list[dict]:
    out = io.StringIO()
    renderer = CsvRenderer(out)
    for r in results:
        renderer.write(r)
    renderer.close()
    return list(csv.DictReader(io.StringIO(out.getvalue())))


MISMATCH = Flag("code_mismatch", "the note documents a target another code names", ("64624",))


def test_renderers_csv_queue_flagged_complete_ranks_above_no_code():
    order = [r["id"] for r in rows([
        note("plain", "complete", [code("complete", 100)]),
        note("nocode", "no_code"),
        note("flagged", "complete", [code("complete", 100, flags=(MISMATCH,))]),
        note("unsupported", "no_code", unsupported=["64614"]),
        note("warned", "complete", [code("complete", 100)], warnings=[NoteWarning("bad_service_date", "x")]),
        note("missing", "incomplete", [code("incomplete", 60, missing=("consent",))]),
    ])]
    assert order == ["missing", "unsupported", "flagged", "warned", "nocode", "plain"]


def test_renderers_csv_queue_code_without_rules_is_a_row():
    got = rows([note("a", "complete", [code("complete", 100)], unsupported=["64614"])])
    [row] = [r for r in got if r["code"] == "64614"]
    assert row["status"] == "unsupported" and row["flags"] == "no_rule_file" and "no rule file" in row["flag_messages"]
    assert [r["code"] for r in got] == ["64614", "64640"]


def test_renderers_csv_queue_missing_elements_carry_their_reason():
    ev = Evidence(0, 7, "consent", None, reason="placeholder")
    neg = Evidence(10, 20, "ultrasound", None, reason="negated")
    plan = Evidence(30, 40, "ultrasound", None, reason="planned")
    elements = {"consent": ElementFinding("consent", False, excluded=(ev,)),
                "imaging": ElementFinding("imaging", False, excluded=(neg, plan, neg))}
    [row] = rows([note("a", "incomplete", [code("incomplete", 50, missing=("consent", "imaging", "volume"))],
                       elements=elements)])
    assert row["missing"] == "consent (placeholder); imaging (negated, planned); volume"


def test_renderers_csv_queue_says_when_no_procedure_is_documented(checker):
    """A consult billed as a procedure: the queue once listed only the missing elements, not why."""
    consult = checker.check(NoteInput("c1", "export.csv:1", "CONSULTATION\nHISTORY: right knee osteoarthritis. "
                                      "ASSESSMENT: candidate for genicular nerve radiofrequency ablation. PLAN: "
                                      "schedule genicular RFA next month.", "64624-RT", patient="p1"))
    assert consult.procedure_documented is False
    [row] = rows([consult])
    assert row["missing"].startswith("no procedure documented in this note; ")
    assert (row["patient"], row["procedure_documented"]) == ("p1", "false")
    [done] = rows([note("a", "incomplete", [code("incomplete", 50, missing=("consent",))])])
    assert done["missing"] == "consent" and done["procedure_documented"] == "true"


def test_renderers_csv_queue_pass_through_columns_follow_source():
    got = rows([note("a", "complete", [code("complete", 100)], columns=[("provider", "Dr B"), ("status", "paid")]),
                note("b", "no_code", columns=[("provider", None), ("status", "open")])])
    assert list(got[0])[:5] == ["id", "source", "provider", "input_status", "note_status"]
    assert [(r["id"], r["provider"], r["input_status"]) for r in got] == [("b", "", "open"), ("a", "Dr B", "paid")]


def export(tmp_path: Path) -> Path:
    path = tmp_path / "e.csv"
    text = (DEMO / "demo_09_sural_alcohol_complete.txt").read_text(encoding="utf-8")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["note_id", "note_text", "Provider", "payer"])
        w.writerow(["r1", text, "Dr Avery", "Medicare"])
        w.writerow(["r2", text, "Dr Brook", "Aetna"])
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "html"])
def test_renderers_csv_queue_keep_col_reaches_every_format(tmp_path, fmt):
    result = runner.invoke(app, ["scan", "-j", "1", "-q", str(export(tmp_path)), "-f", fmt,
                                 "--keep-col", "provider", "--keep-col", "payer"])
    assert result.exit_code in (0, 1), result.output
    if fmt == "csv":
        got = {r["id"]: (r["provider"], r["payer"]) for r in csv.DictReader(io.StringIO(result.stdout))}
    elif fmt == "jsonl":
        got = {r["id"]: (r["columns"]["provider"], r["columns"]["payer"]) for r in map(json.loads, result.stdout.splitlines())}
    else:
        assert "Dr Avery" in result.stdout and "Medicare" in result.stdout and 'data-sort="provider"' in result.stdout
        return
    assert got == {"r1": ("Dr Avery", "Medicare"), "r2": ("Dr Brook", "Aetna")}


def test_renderers_csv_queue_keep_col_missing_is_named(tmp_path):
    result = runner.invoke(app, ["scan", "-j", "1", "-q", str(export(tmp_path)), "--keep-col", "region"])
    [rec] = map(json.loads, result.stdout.splitlines())
    assert rec["error"]["kind"] == "missing_column" and "'region'" in rec["error"]["message"]


def test_renderers_csv_queue_table_rows_show_codes_without_rules_and_reasons():
    from notecheck.renderers.table import TableRenderer

    ev = Evidence(0, 7, "consent", None, reason="placeholder")
    result = note("a", "incomplete", [code("incomplete", 50, missing=("consent",))], unsupported=["64614"],
                  elements={"consent": ElementFinding("consent", False, excluded=(ev,))})
    out = io.StringIO()
    renderer = TableRenderer(out)
    renderer.console.width = 200
    renderer.write(result)
    renderer.close()
    text = out.getvalue()
    assert "64640, 64614" in text and "64614 no_rule_file" in text and "consent (placeholder)" in text
