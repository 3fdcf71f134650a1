"""Code audit: which codes a note is scored against, and what an auditor should know about them.

A pure function of the claim lines, the element findings and the rule pack (no spaCy here).
"""

from __future__ import annotations

import datetime as dt

from .models import ClaimLine, CodeResult, ElementFinding
from .rules import RulePack
from .scoring import score_code


def audit(
    claims: tuple[ClaimLine, ...],
    findings: dict[str, ElementFinding],
    pack: RulePack,
    service_date: dt.date | None = None,
) -> tuple[tuple[CodeResult, ...], tuple[str, ...]]:
    """Score every billed code that has rules; return the results and the billed codes without rules."""
    results = []
    unsupported = []
    for claim in claims:
        if claim.code not in pack.codes:
            unsupported.append(claim.code)
            continue
        rule = pack.code_rule(claim.code, service_date)
        results.append(score_code(rule, findings, pack, claim))
    return tuple(results), tuple(dict.fromkeys(unsupported))
