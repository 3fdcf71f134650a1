"""score_code on hand-built findings: a pure function of findings and one code's rules (no pipeline)."""

from __future__ import annotations

import pytest

from notecheck.models import ELEMENTS, ClaimLine, ElementFinding
from notecheck.rules import CodeFile, load_rules
from notecheck.scoring import applicable_required, score_code, unmet

PACK = load_rules()  # for agent kinds and which targets have a side; no spaCy involved

DESTRUCTION = {
    "code": "64640",
    "title": "Test destruction code",
    "family": "destruction",
    "effective_from": "2026-01-01",
    "source": "test",
    "required": ["consent", "indication", "nerve_target", "agent"],
    "conditional": [
        {"element": "volume", "when": {"agent_kind": ["neurolytic", "toxin"]}, "why": "chemical agents need an amount"},
        {"element": "laterality", "when": {"sided_target": True}, "why": "the target has a side"},
    ],
    "recommended": {"imaging": 2, "placement_confirmation": 2, "response": 1, "follow_up": 1},
    "required_weight": 3,
    "agents": ["phenol", "alcohol", "radiofrequency"],
}


def rule(**changes) -> CodeFile:
    return CodeFile.model_validate({**DESTRUCTION, **changes})


VALUES = {
    "nerve_target": ("obturator_nerve",),
    "agent": ("phenol",),
    "volume": ("5 mL",),
    "imaging": ("fluoroscopy",),
    "laterality": ("left",),
    "placement_confirmation": ("stimulation",),
    "muscles": ("biceps",),
}


def findings(*absent: str, **values: tuple[str, ...]) -> dict[str, ElementFinding]:
    """Every element present with typical values, except those named ``absent``; ``values`` overrides."""
    out = {}
    for el in ELEMENTS:
        vals = values.get(el, VALUES.get(el, ()))
        present = el not in absent
        out[el] = ElementFinding(el, present, tuple(vals) if present else ())
    return out


CLAIM = ClaimLine("64640", ("LT",), 1)

# required weight 3 x (4 required + volume + laterality) = 18, recommended 6: 24 in all.
CASES = [
    pytest.param(findings("muscles"), "complete", 100, (), id="all-documented"),
    pytest.param(findings("muscles", "consent"), "incomplete", 88, ("consent",), id="required-missing"),
    pytest.param(findings("muscles", "consent", "indication"), "incomplete", 75, ("consent", "indication"),
                 id="two-required-missing"),
    pytest.param(findings("muscles", "volume"), "incomplete", 88, ("volume",), id="conditional-volume-for-neurolytic"),
    pytest.param(findings("muscles", "volume", agent=("radiofrequency",)), "complete", 100, (),
                 id="conditional-volume-not-for-thermal"),
    pytest.param(findings("muscles", "laterality"), "incomplete", 88, ("laterality",), id="conditional-side-for-sided-target"),
    pytest.param(findings("muscles", "laterality", nerve_target=("superior_hypogastric_plexus",)), "complete", 100, (),
                 id="conditional-side-not-for-midline-target"),
    pytest.param(findings("muscles", "imaging"), "complete", 92, (), id="recommended-missing"),
    pytest.param(findings("muscles", "imaging", "placement_confirmation", "response", "follow_up"), "complete", 75, (),
                 id="all-recommended-missing"),
    pytest.param(findings("muscles", agent=("local_anesthetic",)), "incomplete", 86, ("agent",),
                 id="agent-does-not-satisfy-code"),
    pytest.param(findings(*ELEMENTS), "incomplete", 0, ("consent", "indication", "nerve_target", "agent"),
                 id="nothing-documented"),
]


@pytest.mark.parametrize("found, status, score, missing", CASES)
def test_scoring_status_score_missing(found, status, score, missing):
    result = score_code(rule(), found, PACK, CLAIM)
    assert (result.status, result.score, result.missing) == (status, score, missing)


def test_scoring_agent_not_satisfying_code_says_why():
    found = findings("muscles", agent=("local_anesthetic",))
    why = unmet("agent", rule(), found)
    assert why is not None and "local_anesthetic" in why and "phenol" in why
    # the same agent satisfies a code that accepts any agent
    assert unmet("agent", rule(agents=[]), found) is None
    assert score_code(rule(agents=[]), found, PACK, CLAIM).status == "complete"


@pytest.mark.parametrize(
    "targets, documented, ok",
    [
        pytest.param(["superior_hypogastric_plexus"], ("superior_hypogastric_plexus",), True, id="covered"),
        pytest.param(["superior_hypogastric_plexus"], ("obturator_nerve",), False, id="not-covered"),
        pytest.param(["superior_hypogastric_plexus"], ("obturator_nerve", "superior_hypogastric_plexus"), True,
                     id="one-of-several-covered"),
        pytest.param([], ("obturator_nerve",), True, id="any-target"),
    ],
)
def test_scoring_target_coverage(targets, documented, ok):
    found = findings("muscles", nerve_target=documented)
    result = score_code(rule(targets=targets), found, PACK, CLAIM)
    assert ("nerve_target" not in result.missing) is ok
    assert (result.status == "complete") is ok
    why = unmet("nerve_target", rule(targets=targets), found)
    assert (why is None) is ok
    if not ok:
        assert "obturator_nerve" in why and "superior_hypogastric_plexus" in why


def test_scoring_conditional_not_duplicated_when_already_required():
    r = rule(required=["consent", "indication", "nerve_target", "agent", "volume"])
    assert applicable_required(r, findings("muscles"), PACK).count("volume") == 1
    result = score_code(r, findings("muscles", "volume"), PACK, CLAIM)
    assert result.missing == ("volume",)
    assert result.score == 88  # volume weighs once: (24 - 3) / 24


def test_scoring_required_weight_and_recommended_weights_from_rule():
    r = rule(required_weight=1, recommended={"imaging": 5})
    # required: 6 x 1; recommended imaging 5 -> 11 in all; imaging missing -> 6/11
    result = score_code(r, findings("muscles", "imaging"), PACK, CLAIM)
    assert result.score == round(100 * 6 / 11)
    assert result.status == "complete"


def test_scoring_no_weights_scores_full():
    r = rule(required=[], conditional=[], recommended={})
    result = score_code(r, findings(*ELEMENTS), PACK, CLAIM)
    assert (result.status, result.score, result.missing) == ("complete", 100, ())


def test_scoring_result_carries_claim_and_rule_version():
    claim = ClaimLine("64640", ("LT", "59"), 3)
    result = score_code(rule(), findings("muscles"), PACK, claim, source="inferred", reason="documented")
    assert result.code == "64640" and result.title == "Test destruction code"
    assert result.modifiers == ("LT", "59") and result.units == 3
    assert result.source == "inferred" and result.reason == "documented"
    assert result.rule_version == "64640@2026-01-01"

