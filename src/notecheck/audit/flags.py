"""Flags on billed claim lines: what an auditor should know about each billed code, given the fitted plan."""

from __future__ import annotations

import datetime as dt

from ..models import ClaimLine, CodeResult, ElementFinding, Flag
from ..rules import CodeFile, DeletedCode, RulePack
from ..scoring import score_code
from .fitting import Documented, Plan
from .sites import MODIFIER_OF_SIDE, NON_DESTRUCTIVE_KINDS, SIDE_OF_MODIFIER, UNLISTED
from .wording import and_join, or_join, plural, side_words, value_words


def audit_claims(
    claims: list[ClaimLine],
    findings: dict[str, ElementFinding],
    pack: RulePack,
    service_date: dt.date | None,
    plan: Plan,
) -> tuple[CodeResult, ...]:
    rules = [pack.code_rule(c.code, service_date) for c in claims]
    guidance = [(c, r) for c, r in zip(claims, rules) if r.family == "guidance"]
    # every billed line has a result: a guidance code is scored on its own rule (the imaging it needs),
    # and what it means beside its procedure (bundled, an add-on without its primary) is flagged
    scored = list(zip(claims, rules))
    billed = {c.code for c in claims}
    flags: list[list[Flag]] = [[] for _ in scored]
    first: dict[str, int] = {}
    for i, (c, _r) in enumerate(scored):
        first.setdefault(c.code, i)

    for i in first.values():
        rule = scored[i][1]
        if rule.family == "guidance" or (rule.addon and set(rule.primary_codes) & billed):
            continue  # an add-on billed with its primary is judged with the primary
        flags[i] += filter(None, [
            _code_mismatch(rule, plan, billed),
            _addon_without_primary(rule, billed),
            _bundled(rule, {c.code for c, _r in guidance}),
            _non_destructive(rule, plan),
        ])

    series: dict[frozenset[str], list[int]] = {}
    for i, (c, r) in enumerate(scored):
        if r.family != "guidance":
            series.setdefault(plan.series.get(c.code, frozenset({c.code})), []).append(i)
    for codes, idxs in series.items():
        head = next((i for i in idxs if not scored[i][1].addon), idxs[0])
        lines = [scored[i] for i in idxs]
        documented = plan.by_series.get(codes)
        flags[head] += filter(None, [_units(lines, documented), *_primary_once(lines, plan),
                                     _session_limit(lines, documented),
                                     _laterality(lines, plan, codes)])

    for i, flag in _guidance_flags(guidance, scored, plan):
        flags[i].append(flag)

    order = {"code_mismatch": 0, "addon_without_primary": 1, "units_mismatch": 2, "over_session_limit": 3,
             "laterality_conflict": 4, "bundled_guidance": 5, "non_destructive_modality": 6}
    return tuple(
        score_code(r, findings, pack, c, flags=tuple(sorted(flags[i], key=lambda f: order.get(f.kind, 9))))
        for i, (c, r) in enumerate(scored)
    )


def _claim_text(claim: ClaimLine) -> str:
    mods = "".join(f"-{m}" for m in claim.modifiers)
    return f"{claim.code}{mods}" + (f" x{claim.units}" if claim.units != 1 else "")


def _code_mismatch(rule: CodeFile, plan: Plan, billed: set[str]) -> Flag | None:
    supported = plan.supported
    agentless = not supported and not plan.doc.agents
    if agentless:  # no agent written at all: judge by the target alone
        targets = [s for s in plan.doc.sites if s.element == "nerve_target"]
        if not rule.targets or any(s.value in rule.targets for s in targets):
            return None  # the target fits: without an agent nothing tells a block from a neurolysis or cryoablation
        supported = frozenset(c for s in targets for c in plan.fits(s, any_agent=True))
    if not supported or rule.code in supported or (rule.addon and plan.kind_fits(rule)):
        return None
    if rule.same_as and rule.same_as in supported:
        return None  # G0260 billed for what fits 27096: the same service on a facility claim
    if _blocks_instead(rule, plan):
        return None  # a destruction code for a block: non_destructive_modality says so and names the block code
    better = sorted(supported - billed) or sorted(supported)
    why = "; ".join(dict.fromkeys(line.reason for line in plan.lines if line.rule.code in better))
    if not why and agentless:
        named = or_join(sorted({s.value.replace("_", " ") for s in targets}))
        why = f"the {named}, which {rule.code} does not cover (no agent is written)"
    if not why:
        why = "a target that another code names"
    return Flag(
        "code_mismatch",
        f"{rule.code} ({rule.title}) does not fit what the note documents: {why}. "
        f"That documentation fits {or_join(better)}.",
        tuple(better),
    )


def _addon_without_primary(rule: CodeFile, billed: set[str]) -> Flag | None:
    if not rule.addon or set(rule.primary_codes) & billed:
        return None
    return Flag(
        "addon_without_primary",
        f"{rule.code} is an add-on code and needs {or_join(rule.primary_codes)} on the same claim; none is billed.",
        tuple(rule.primary_codes),
    )


def _bundled(rule: CodeFile, guidance: set[str]) -> Flag | None:
    both = sorted(guidance & set(rule.includes_guidance))
    if not both:
        return None
    return Flag(
        "bundled_guidance",
        f"{', '.join(both)} billed with {rule.code}, whose rules include image guidance "
        f"(in force from {rule.effective_from}); the guidance is not reported separately.",
    )


def _blocks_instead(rule: CodeFile, plan: Plan) -> list[str]:
    """The block or injection codes the note supports when a destruction code is billed with only a local
    anesthetic or steroid documented (a medial branch block billed as 64635: 64493)."""
    doc = plan.doc
    if rule.family not in ("destruction", "chemodenervation") or doc.treatment:
        return []
    if not any(doc.agent_kind[a] in NON_DESTRUCTIVE_KINDS for a in doc.agents):
        return []
    return sorted(c for c in plan.supported if plan.rules[c].family not in ("destruction", "chemodenervation"))


def _non_destructive(rule: CodeFile, plan: Plan) -> Flag | None:
    doc = plan.doc
    if rule.family not in ("destruction", "chemodenervation"):
        return None
    if not doc.treatment:
        passive = [a for a in doc.agents if doc.agent_kind[a] in NON_DESTRUCTIVE_KINDS]
        if not passive:
            return None  # no agent at all: scoring reports the agent as missing
        needs = ", ".join(value_words(rule.agents)) or "a neurolytic agent or destructive energy"
        if any(doc.agent_kind[a] == "nondestructive_energy" for a in passive):
            return Flag(
                "non_destructive_modality",
                f"{rule.code} is for destroying the target, but the note documents only {and_join(value_words(passive))}; "
                f"pulsed radiofrequency does not destroy the nerve and is reported with the unlisted code {UNLISTED}. "
                f"{rule.code} needs {needs}.",
                (UNLISTED,),
            )
        blocks = _blocks_instead(rule, plan)
        primaries = [c for c in blocks if not plan.rules[c].addon] or blocks
        instead = (f"report {or_join(primaries)}" + (" with its add-on codes" if len(primaries) < len(blocks) else "")
                   + " instead") if blocks else "report the injection code instead"
        return Flag(
            "non_destructive_modality",
            f"{rule.code} is for destroying the target, but the note documents only {and_join(value_words(passive))}, "
            f"which block the nerve without destroying it; {instead}, or document the "
            f"agent that was used ({rule.code} needs {needs}).",
            tuple(blocks),
        )
    if plan.low_temperature(rule):
        temps = ", ".join(f"{t} °C" for t in sorted(set(doc.temperatures)))
        return Flag(
            "non_destructive_modality",
            f"the radiofrequency lesions are documented at {temps}, below the {rule.min_lesion_celsius} °C that "
            f"{rule.code}'s rules take as destructive; such lesions are reported with the unlisted code {UNLISTED}.",
            (UNLISTED,),
        )
    return None


def _units(lines: list[tuple[ClaimLine, CodeFile]], documented: Documented | None) -> Flag | None:
    if documented is None or documented.count is None:
        return None
    billed = sum(c.units * (2 if "50" in c.modifiers else 1) for c, _r in lines)
    if billed == documented.count:
        return None
    unit = lines[0][1].unit
    what = "; ".join(dict.fromkeys(line.reason for line in documented.lines))
    return Flag(
        "units_mismatch",
        f"{billed} {unit}(s) billed ({', '.join(_claim_text(c) for c, _r in lines)}"
        f"{'; modifier 50 counts both sides' if any('50' in c.modifiers for c, _r in lines) else ''}) "
        f"but the note documents {documented.count}: {what}.",
    )


def _session_limit(lines: list[tuple[ClaimLine, CodeFile]], documented: Documented | None) -> Flag | None:
    """More levels or joints on one side than the code's payers take in one session (``session_limit``)."""
    primary = next((r for _c, r in lines if not r.addon), None)
    if primary is None or not primary.session_limit or documented is None:
        return None
    over = {side: n for side, n in documented.per_side.items() if n and n > primary.session_limit}
    if not over:
        return None
    where = "; ".join(f"{n} on {'an unstated side' if side is None else 'the ' + side + ' side'}" for side, n in over.items())
    return Flag(
        "over_session_limit",
        f"the note documents {where} ({plural(documented.unit)}); {primary.code}'s rules take at most "
        f"{primary.session_limit} per side in one session, so the levels beyond that are not payable.",
    )


def _addons_of(code: str, plan: Plan) -> list[str]:
    return sorted(r.code for r in plan.rules.values() if r.addon and code in r.primary_codes)


def _primary_once(lines: list[tuple[ClaimLine, CodeFile]], plan: Plan) -> list[Flag]:
    """A primary code is billed once (per side or per session, its ``once_per``) and the rest on its add-on;
    an add-on with ``max_units`` is billed at most that many units in a session."""
    out: list[Flag] = []
    for c, r in lines:
        if r.once_per == "side" and c.units > 1:
            addons = _addons_of(r.code, plan)
            out.append(Flag(
                "units_mismatch",
                f"{_claim_text(c)}: {r.code} is the first {r.unit} on a side and is billed once per side "
                f"(or once with modifier 50); the other {c.units - 1} {r.unit}(s) go on {or_join(addons)}.",
                tuple(addons),
            ))
    session = [(c, r) for c, r in lines if r.once_per == "session"]
    if sum(c.units for c, _r in session) > 1:
        addons = sorted({a for _c, r in session for a in _addons_of(r.code, plan)})
        out.append(Flag(
            "units_mismatch",
            f"{', '.join(_claim_text(c) for c, _r in session)}: the primary code is billed once per session, for "
            f"the first {session[0][1].unit}; each further {session[0][1].unit} goes on {or_join(addons)}.",
            tuple(addons),
        ))
    capped = [(c, r) for c, r in lines if r.max_units]
    if capped:
        most = max(r.max_units for _c, r in capped)
        total = sum(c.units for c, _r in capped)
        if total > most:
            out.append(Flag(
                "units_mismatch",
                f"{total} add-on unit(s) billed ({', '.join(_claim_text(c) for c, _r in capped)}); at most {most} "
                f"are reported in one session.",
            ))
    return out


def _billed_sides(lines: list[tuple[ClaimLine, CodeFile]]) -> frozenset[str] | None:
    sides: set[str] = set()
    any_side = False
    for c, _r in lines:
        for m in c.modifiers:
            if m in SIDE_OF_MODIFIER:
                any_side = True
                sides |= SIDE_OF_MODIFIER[m]
    return frozenset(sides) if any_side else None


def _laterality(lines: list[tuple[ClaimLine, CodeFile]], plan: Plan, codes: frozenset[str]) -> Flag | None:
    rule = lines[0][1]
    if not rule.laterality_modifiers:
        return None
    documented = plan.by_series.get(codes)
    element = "muscles" if rule.muscles is not None else "nerve_target"
    sites = documented.sites if documented and documented.sites else [s for s in plan.doc.sites if s.element == element]
    doc_sides = frozenset(side for s in sites if s.sided for side in s.sides)
    if not doc_sides:
        return None
    billed = _billed_sides(lines)
    names = and_join(value_words(dict.fromkeys(s.value for s in sites if s.sides)))
    written = ", ".join(_claim_text(c) for c, _r in lines)
    if not rule.bilateral_modifier and any("50" in c.modifiers for c, _r in lines):
        return Flag(
            "laterality_conflict",
            f"{written} carries modifier 50, which {rule.code} does not take: each side is its own claim line "
            f"with RT or LT (one extremity per line).",
        )
    if billed is None:
        if len(doc_sides) != 2:
            need = MODIFIER_OF_SIDE[next(iter(doc_sides))]
        elif rule.bilateral_modifier:
            need = "50 (or RT and LT)"
        else:
            need = "RT and LT, one line per side (modifier 50 does not apply)"
        return Flag(
            "laterality_conflict",
            f"the note documents {side_words(doc_sides)} ({names}) but {written} carries no side "
            f"modifier; payers expect {need}.",
        )
    if billed != doc_sides:
        return Flag(
            "laterality_conflict",
            f"{written} is billed for {side_words(billed)} but the note documents {side_words(doc_sides)} "
            f"({names}).",
        )
    return None


def _guidance_flags(guidance, scored, plan: Plan) -> list[tuple[int, Flag]]:
    """Guidance add-ons (95873, 95874): one per session, and only with a code they are an add-on to."""
    out: list[tuple[int, Flag]] = []
    billed = {c.code for c, _r in scored}

    def host(rule: CodeFile) -> int:
        return next((i for i, (c, _r) in enumerate(scored) if c.code in rule.primary_codes), 0)

    addons = [r for _c, r in guidance if r.addon]
    for k, a in enumerate(addons):
        for b in addons[k + 1:]:
            if a.code != b.code and set(a.primary_codes) & set(b.primary_codes):
                out.append((host(a), Flag(
                    "bundled_guidance",
                    f"{a.code} and {b.code} are both billed; only one kind of chemodenervation guidance is "
                    f"reported per session.",
                )))
    for r in addons:
        if not set(r.primary_codes) & billed:
            out.append((next(i for i, (c, _r) in enumerate(scored) if c.code == r.code), Flag(
                "addon_without_primary",
                f"{r.code} is an add-on code for {or_join([c for c in r.primary_codes if c in plan.rules] or r.primary_codes)}; "
                f"none is billed with it.",
                tuple(c for c in r.primary_codes if c in plan.supported)
                or tuple(c for c in r.primary_codes if c in plan.rules),
            )))
    return out


def deleted_code(claim: ClaimLine, deleted: DeletedCode, plan: Plan) -> CodeResult:
    """A billed code that is no longer in CPT: a result of its own with a ``deleted_code`` flag naming the year
    and the replacements the documentation supports (all of them when it supports none)."""
    fitting = [c for c in deleted.replaced_by if c in plan.supported]
    suggested = fitting or list(deleted.replaced_by)
    why = f" ({deleted.note})" if deleted.note else ""
    which = "the documentation fits" if fitting else "it was replaced by"
    return CodeResult(
        code=claim.code, title=f"deleted code (no longer valid from {deleted.deleted.isoformat()})",
        modifiers=claim.modifiers, units=claim.units, source="billed", status="incomplete", score=0, missing=(),
        flags=(Flag(
            "deleted_code",
            f"{claim.code} was deleted from CPT in {deleted.deleted.year}{why}; {which} {or_join(suggested)}.",
            tuple(suggested),
        ),),
        rule_version=f"deleted@{deleted.deleted.isoformat()}",
    )
