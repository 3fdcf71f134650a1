"""Per-code scoring: a pure function of element findings and one code's rules (no spaCy here).

The score is the weighted share of documented elements: every required element (with the conditional
ones that apply) weighs ``required_weight``, recommended elements weigh what the code file says.
A code is complete when every applicable required element is satisfied.
"""

from __future__ import annotations

from .models import ClaimLine, CodeResult, ElementFinding, Flag
from .rules import CodeFile, Condition, RulePack


def applicable_required(rule: CodeFile, findings: dict[str, ElementFinding], pack: RulePack) -> list[str]:
    required = list(rule.required)
    for cond in rule.conditional:
        if cond.element not in required and condition_holds(cond.when, findings, pack):
            required.append(cond.element)
    return required


def condition_holds(when: Condition, findings: dict[str, ElementFinding], pack: RulePack) -> bool:
    if when.agent_kind is not None:
        kinds = pack.agent_kinds
        if not any(kinds.get(v) in when.agent_kind for v in findings["agent"].values):
            return False
    if when.sided_target is not None:
        sided = pack.sided
        has_side = any(sided.get(v, True) for el in ("nerve_target", "muscles") for v in findings[el].values)
        if has_side != when.sided_target:
            return False
    return True


def unmet(element: str, rule: CodeFile, findings: dict[str, ElementFinding]) -> str | None:
    """Why a required element is not satisfied for this code, or None when it is."""
    finding = findings[element]
    if not finding.present:
        return "not documented"
    if element == "agent" and rule.agents and not set(finding.values) & set(rule.agents):
        return f"documented agent ({', '.join(finding.values)}) does not satisfy this code; needs one of: {', '.join(rule.agents)}"
    if element == "imaging" and rule.imaging_values and not set(finding.values) & set(rule.imaging_values):
        return f"documented imaging ({', '.join(finding.values)}) does not satisfy this code; needs {' or '.join(rule.imaging_values)}"
    if element == "nerve_target" and rule.targets and not rule.unlisted and not set(finding.values) & set(rule.targets):
        return f"documented target ({', '.join(finding.values)}) is not one this code covers ({', '.join(rule.targets)})"
    return None


def score_code(
    rule: CodeFile,
    findings: dict[str, ElementFinding],
    pack: RulePack,
    claim: ClaimLine,
    source: str = "billed",
    flags: tuple[Flag, ...] = (),
    reason: str | None = None,
) -> CodeResult:
    required = applicable_required(rule, findings, pack)
    missing = tuple(el for el in required if unmet(el, rule, findings))
    total = rule.required_weight * len(required) + sum(rule.recommended.values())
    got = rule.required_weight * (len(required) - len(missing))
    got += sum(w for el, w in rule.recommended.items() if findings[el].present)
    score = round(100 * got / total) if total else 100
    return CodeResult(
        code=rule.code,
        title=rule.title,
        modifiers=claim.modifiers,
        units=claim.units,
        source=source,
        status="incomplete" if missing else "complete",
        score=score,
        missing=missing,
        flags=flags,
        reason=reason,
        rule_version=f"{rule.code}@{rule.effective_from.isoformat()}",
    )
