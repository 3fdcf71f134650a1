"""`notecheck explain CODE`: a code's requirements in plain words, from its rule file."""

from __future__ import annotations

from pathlib import Path

from .audit.wording import plural
from .profiles import load_profile
from .rules import load_rules


def explain_code(code: str, rules_dir: str | Path | None = None, profile: str | None = None) -> str:
    """With ``profile``, the code's lists as that profile reads them, and its policy checks."""
    prof = load_profile(load_rules(rules_dir), profile)
    pack = prof.scoring
    code = code.strip().lstrip("+")
    if code in pack.deleted:
        gone = pack.deleted[code]
        return (f"{code}: deleted from CPT (not valid for dates of service from {gone.deleted.isoformat()})"
                f"{': ' + gone.note if gone.note else ''}.\n  Bill instead: {', '.join(gone.replaced_by)}.\n  Source: {' '.join(gone.source.split())}\n")
    rule = pack.code_rule(code)
    elements = pack.elements
    lines = [f"{rule.code}: {rule.title}" + ("  (add-on)" if rule.addon else ""),
             f"  family: {rule.family}; unit: one per {rule.unit}; rules in force from {rule.effective_from}"
             + (f" to {rule.effective_to}" if rule.effective_to else ""),
             ""]
    if rule.guidance:
        lines += ["  " + rule.guidance.strip(), ""]
    lines.append("  Required:")
    for el in rule.required:
        lines.append(f"    - {el}: {elements[el].description}{_satisfied_by(el, rule)}")
    for cond in rule.conditional:
        lines.append(f"    - {cond.element} (when {cond.why}): {elements[cond.element].description}")
    if rule.recommended:
        lines.append("  Recommended (raise the score):")
        for el, w in rule.recommended.items():
            lines.append(f"    - {el} (weight {w}): {elements[el].description}")
    if rule.muscles:
        m = rule.muscles
        lines.append(f"  Muscles: {m.min} to {m.max or 'any number'}" + (f" ({m.region})" if m.region else ""))
    if rule.primary_codes:
        lines.append(f"  Add-on: bill with one of {', '.join(rule.primary_codes)} on the same claim.")
    if rule.includes_guidance:
        lines.append(f"  Includes guidance; do not bill {', '.join(rule.includes_guidance)} with it.")
    if rule.targets and set(rule.targets) & pack.injection_sites:
        sites = ", ".join(t for t in rule.targets if t in pack.injection_sites)
        lines.append(f"  Fits a note that documents {sites} (a joint, space or trigger point, not a nerve target).")
    if rule.unless_targets:
        lines.append(f"  Does not fit a note that also documents {', '.join(rule.unless_targets)}.")
    if rule.requires_targets:
        lines.append(f"  Fits only a note that also documents {', '.join(rule.requires_targets)}.")
    if rule.image_guidance != "any":
        lines.append(f"  Only {rule.image_guidance} {' or '.join(rule.guided_by) or 'image'} guidance.")
    if rule.session_limit:
        lines.append(f"  At most {rule.session_limit} {plural(rule.unit)} per side in one session.")
    if rule.same_as:
        lines.append(f"  Billed instead of {rule.same_as} in some settings; judged as {rule.same_as}; never inferred.")
    lines += _billing_rules(rule)
    lines += ["", f"  Source: {' '.join(rule.source.split())}"]
    lines += _profile_lines(prof, rule.code)
    return "\n".join(lines)


def _profile_lines(prof, code: str) -> list[str]:
    f = prof.file
    lines = ["", f"  Profile: {f.profile} ({f.title}), in force from {f.effective_from}"
             + (f" to {f.effective_to}" if f.effective_to else "")]
    for pr in prof.rules_for(code):
        changes = []
        if pr.required:
            changes.append("requires " + ", ".join(pr.required))
        if pr.recommended:
            changes.append("recommends " + ", ".join(pr.recommended))
        if pr.not_asked:
            changes.append("does not ask " + ", ".join(pr.not_asked))
        if changes:
            lines.append(f"    - {'; '.join(changes)}" + (f" ({' '.join(pr.why.split())})" if pr.why else ""))
    checks = prof.checks_for(code)
    if checks:
        lines.append("  Policy checks:")
        for chk in checks:
            limits = [f"{k}={v}" for k in ("min_blocks", "min_relief_percent", "min_days_between", "min_months",
                                          "max_sessions", "window_days", "min_days") if (v := getattr(chk, k)) is not None]
            if chk.allowed:
                limits.append("allowed=" + "/".join(chk.allowed))
            lines.append(f"    - {chk.check}" + (f" ({', '.join(limits)})" if limits else "") + f": {chk.policy}"
                         + ("" if chk.verified else "  [not fully verified: see the profile file]"))
            lines.append(f"      source: {' '.join(chk.source.split())}")
    elif not f.rules:
        lines.append("    (no changes to the code file and no policy checks)")
    return lines


def _satisfied_by(element: str, rule) -> str:
    if element == "agent" and rule.agents:
        return f" Satisfied by: {', '.join(rule.agents)}."
    if element == "nerve_target" and rule.targets:
        return f" Satisfied by: {', '.join(rule.targets)}."
    return ""


def _billing_rules(rule) -> list[str]:
    """The coding rules the audit applies from the code file, in plain words."""
    out = []
    if rule.imaging_values:
        out.append(f"  Imaging: only {' or '.join(rule.imaging_values)} satisfies it; other guidance alone is the unlisted code 64999.")
    if rule.min_lesion_celsius:
        out.append(f"  Lesions: thermal at {rule.min_lesion_celsius} °C or more; cooler or pulsed lesions are 64999.")
    if rule.muscles and rule.muscles.values:
        out.append(f"  Muscles it covers: {', '.join(rule.muscles.values)}.")
    if rule.spine_levels:
        out.append(f"  Spinal levels of its nerves: {', '.join(rule.spine_levels)}.")
    if rule.once_per:
        out.append(f"  Billed once per {rule.once_per}; further {plural(rule.unit)} go on its add-on.")
    if rule.max_units:
        out.append(f"  At most {rule.max_units} unit(s) in one session.")
    if rule.laterality_modifiers and not rule.bilateral_modifier:
        out.append("  Sides: one line per side with RT or LT; never modifier 50.")
    if rule.requires_terms:
        out.append(f"  Fits notes that name: {', '.join(rule.requires_terms)}.")
    if rule.unless_terms:
        out.append(f"  Not for notes that name: {', '.join(rule.unless_terms)}.")
    if rule.unlisted:
        out.append("  Unlisted: inferred or suggested, with the reason, for destruction that no code describes.")
    return out
