"""Code audit: which codes a note is scored against, and what an auditor should know about them.

A pure function of the claim lines, the element findings, the note text (read only for spinal levels,
interspaces and lesion temperatures) and the rule pack. No spaCy here.

Everything that tells one code from another is read from the code files, never written here per code:

- ``targets`` and ``agents``: which nerve and which agent a code covers. A code with no ``targets`` is the
  catch-all for nerves that no code with matching agents names (64640).
- ``muscles`` (min, max, region): how many muscles in which region, counted per extremity for limbs.
- ``spine_regions``: cervical/thoracic versus lumbar/sacral facet codes, told apart by the levels written
  near the target ("L4 medial branch", "C3-4").
- ``image_guidance``: codes that differ only by documented imaging (64605 without, 64610 with).
- ``unit``: what one unit counts (nerve, joint, knee, extremity, procedure); ``addon``/``primary_codes``
  tie a primary and its add-ons into one series whose units are counted together.
- ``includes_guidance``, ``laterality_modifiers``, ``min_lesion_celsius``.

From the findings the audit builds *sites* (each documented nerve target or injected muscle, with its side
and levels), fits each site to the codes whose rules it satisfies, and so gets the codes the documentation
supports with their documented units. Billed claim lines are compared with that: a billed code the
documentation does not support is a ``code_mismatch``; a series billed with other units than documented is a
``units_mismatch``; and so on. With no billed code the supported codes are the inferred ones.

The package has three parts: ``sites`` (documented targets and muscles with sides and levels), ``fitting``
(which codes those sites satisfy, with units) and ``flags`` (what is wrong with the billed lines).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..edits import Edits, edit_flags
from ..models import ClaimLine, CodeResult, ElementFinding
from ..rules import RulePack
from ..scoring import score_code
from .fitting import Plan, codes_in_force
from .flags import audit_claims, deleted_code
from .sites import Documentation

__all__ = ["audit"]


def audit(
    claims: tuple[ClaimLine, ...],
    findings: dict[str, ElementFinding],
    pack: RulePack,
    service_date: dt.date | None = None,
    text: str | None = None,
    edits: Edits | None = None,
) -> tuple[tuple[CodeResult, ...], tuple[str, ...]]:
    """Score the billed codes (or, with none billed, the codes the documentation supports) and flag what an
    auditor should know. Returns the code results and the billed codes that have no rule file."""
    unsupported = tuple(dict.fromkeys(c.code for c in claims if c.code not in pack.codes and c.code not in pack.deleted))
    known = [c for c in claims if c.code in pack.codes]
    doc = Documentation(findings, pack, text or "")
    plan = Plan(doc, *codes_in_force(pack, service_date))
    deleted = tuple(deleted_code(c, pack.deleted[c.code], plan) for c in claims if c.code in pack.deleted)
    if not claims:
        results = [
            score_code(line.rule, findings, pack, ClaimLine(line.rule.code, line.modifiers, line.units),
                       source="inferred", reason=line.reason)
            for line in plan.lines
        ]
        return tuple(results), ()
    results = audit_claims(known, findings, pack, service_date, plan) + deleted
    if edits is not None:  # CMS's MUE and PTP tables: flags on the billed codes they concern
        extra = edit_flags(claims, edits, service_date)
        out = [replace(r, flags=r.flags + tuple(extra.pop(r.code, ()))) for r in results]
        for flags in extra.values():  # a code with no result of its own (a deleted or unsupported code)
            for flag in flags:
                k = next((i for i, r in enumerate(out) if r.code in flag.suggested_codes), 0)
                if out:
                    out[k] = replace(out[k], flags=out[k].flags + (flag,))
        results = tuple(out)
    return results, unsupported
