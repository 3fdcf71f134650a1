"""The audit is a pure function of claim lines, findings, rules and text: no spaCy, testable on plain data."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from notecheck.audit import audit
from notecheck.models import ELEMENTS, ClaimLine, ElementFinding, Evidence
from notecheck.rules import load_rules

TEXT = "Left obturator nerve neurolysis with 5 mL phenol."


@pytest.fixture(scope="module")
def pack():
    return load_rules()


def findings(**present: list[tuple[int, int, str | None]]) -> dict[str, ElementFinding]:
    out = {}
    for el in ELEMENTS:
        evs = tuple(Evidence(s, e, TEXT[s:e], "procedure", v) for s, e, v in present.get(el, []))
        out[el] = ElementFinding(el, bool(evs), tuple(dict.fromkeys(v for _s, _e, v in present.get(el, []) if v)), evs)
    return out


FOUND = findings(
    laterality=[(0, 4, "left")], nerve_target=[(5, 20, "obturator_nerve")], agent=[(44, 50, "phenol")],
    volume=[(37, 41, "5 mL")], consent=[(0, 1, None)], indication=[(0, 1, None)],
    imaging=[(0, 1, "ultrasound")], placement_confirmation=[(0, 1, "stimulation")], response=[(0, 1, None)],
    follow_up=[(0, 1, None)],
)


@pytest.mark.parametrize("module", ["audit", "scoring", "rules", "models"])
def test_audit_pure_does_not_import_spacy(module):
    """The audit and everything it imports stay free of spaCy (the package __init__ loads the Checker)."""
    import notecheck

    root = Path(notecheck.__file__).parent
    files = sorted((root / module).glob("*.py")) if (root / module).is_dir() else [root / f"{module}.py"]
    assert files
    names: set[str] = set()
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").lstrip(".") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in names if m.split(".")[0] in ("spacy", "medspacy")}
    assert {m for m in names if m in ("pipeline", "extract", "check")} == set()


def test_audit_pure_on_plain_findings(pack):
    results, unsupported = audit((ClaimLine("64640", ("RT",)), ClaimLine("99213")), FOUND, pack, None, TEXT)
    assert unsupported == ("99213",)
    (result,) = results
    assert result.status == "complete"
    assert [f.kind for f in result.flags] == ["laterality_conflict"]


def test_audit_pure_infers_without_claims(pack):
    results, unsupported = audit((), FOUND, pack, dt.date(2025, 3, 1), TEXT)
    assert [(r.code, r.source, r.modifiers, r.rule_version) for r in results] == [
        ("64640", "inferred", ("LT",), "64640@2000-01-01")
    ]
    assert unsupported == ()


def test_audit_pure_text_is_optional(pack):
    results, _ = audit((ClaimLine("64640", ("LT",)),), FOUND, pack)
    assert results[0].flags == ()


def test_audit_pure_never_infers_codes_not_in_force(pack):
    genicular = findings(laterality=[(0, 4, "left")], nerve_target=[(5, 20, "genicular_nerve")],
                         agent=[(44, 50, "radiofrequency")])
    assert [r.code for r in audit((), genicular, pack, dt.date(2026, 5, 1), TEXT)[0]] == ["64624"]
    assert [r.code for r in audit((), genicular, pack, dt.date(2019, 5, 1), TEXT)[0]] == ["64640"]
