"""Payer profiles: who reads the note decides what "complete" means.

A profile is a YAML file in ``patterns/profiles/`` that says, per code or code series, which elements are
required, recommended or not asked, and which policy checks apply (``policy.py``), with the policy each
check comes from. Rule maintainers add a payer's profile as a new file; no Python.

The profile changes a code's required and recommended lists *before* scoring (``adjust``): scoring stays
the same pure function of findings and one code's rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .errors import RuleFileError
from .rules import CodeFile, ElementName, RulePack, _Strict, load_yaml_model

DEFAULT_PROFILE = "strict"  # today's full checklist: scans without --profile score as before profiles existed

CheckName = Literal[
    "diagnostic_blocks",  # prior diagnostic blocks with enough relief, far enough apart (this note or earlier notes)
    "repeat_relief",  # a repeat procedure needs relief of the earlier one, lasting long enough
    "sessions_per_year",  # at most N sessions of a code series in a rolling window (earlier notes)
    "min_interval",  # at least N days since the last session of the code series (earlier notes)
    "imaging_modality",  # the image guidance must be one of the allowed kinds
    "levels_and_sides",  # the spinal levels and the side are written
    "toxin_record",  # product, units per muscle and in total, dilution, the guidance used
    "wastage_record",  # the units discarded (or that none were), consistent with JW/JZ when written
    "coverage_note",  # the payer's coverage stance, reported as a note, never a failure
]


class PolicyCheck(_Strict):
    """One check a payer applies, with its thresholds and where they come from."""

    check: CheckName
    policy: str  # the policy as named in the flag message: "LCD L38803 (Facet Joint Interventions)"
    source: str  # where the rule is written, and how sure we are of it
    verified: bool = False  # False: the threshold could not be checked against the policy text (say why in source)
    min_blocks: int | None = Field(default=None, ge=1)
    min_relief_percent: int | None = Field(default=None, ge=0, le=100)
    min_days_between: int | None = Field(default=None, ge=0)
    min_months: int | None = Field(default=None, ge=0)
    max_sessions: int | None = Field(default=None, ge=1)
    window_days: int | None = Field(default=None, ge=1)
    min_days: int | None = Field(default=None, ge=1)
    block_codes: list[str] = []  # billed codes (or ranges) of earlier notes that are diagnostic blocks
    blocks: list[str] = []  # block kinds that count (prior_block_relief's block: mbb, genicular, si, block)
    allowed: list[str] = []  # imaging values allowed
    products: list[str] = []  # toxin product names (the written agent); a generic "botulinum toxin" is not one
    dilution: list[str] = []  # regexes: the note says how the toxin was diluted
    no_guidance_codes: list[str] = []  # toxin codes injected by landmarks (chronic migraine): no guidance asked
    message: str | None = None  # coverage_note: the payer's stance

    @model_validator(mode="after")
    def _needs(self):
        needed = {
            "diagnostic_blocks": ("min_blocks", "min_relief_percent"),
            "repeat_relief": ("min_relief_percent", "min_months"),
            "sessions_per_year": ("max_sessions", "window_days"),
            "min_interval": ("min_days",),
            "imaging_modality": ("allowed",),
            "toxin_record": ("products", "dilution"),
            "coverage_note": ("message",),
        }.get(self.check, ())
        missing = [f for f in needed if not getattr(self, f)]
        if missing:
            raise ValueError(f"check '{self.check}' needs {', '.join(missing)}")
        return self


class ProfileRule(_Strict):
    """What the profile says about some codes. Rules apply in file order; a later rule wins."""

    codes: list[str] = Field(min_length=1)  # codes, ranges ("64633-64636") or "*" for every code
    required: list[ElementName] = []  # required (taken off the recommended list)
    recommended: dict[ElementName, int] = {}  # recommended with this weight (taken off the required list)
    not_asked: list[ElementName] = []  # neither required nor recommended
    checks: list[PolicyCheck] = []
    # a name for these codes' sessions when checks count them across a patient's notes ("lumbar_facet_rf")
    series: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    why: str = ""

    @field_validator("codes")
    @classmethod
    def _code_syntax(cls, v: list[str]) -> list[str]:
        for c in v:
            if c != "*" and not _is_code_or_range(c):
                raise ValueError(f"'{c}' is not a code, a range like 64633-64636, or *")
        return v

    def covers(self, code: str) -> bool:
        return any(_matches(spec, code) for spec in self.codes)


class ProfileFile(_Strict):
    profile: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    description: str = ""
    source: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    rules: list[ProfileRule] = []


@lru_cache(maxsize=256)
def expand_codes(specs: tuple[str, ...]) -> frozenset[str]:
    """Codes and numeric ranges ("64490-64495") as a set of codes."""
    out = set()
    for spec in specs:
        if "-" in spec:
            lo, hi = spec.split("-")
            if lo[4].isdigit() and hi[4].isdigit():
                out.update(f"{n:05d}" for n in range(int(lo), int(hi) + 1))
            else:
                out.update((lo, hi))
        else:
            out.add(spec)
    return frozenset(out)


def _is_code_or_range(spec: str) -> bool:
    parts = spec.split("-")
    return len(parts) in (1, 2) and all(len(p) == 5 and p[:4].isdigit() for p in parts)


def _matches(spec: str, code: str) -> bool:
    if spec == "*":
        return True
    if "-" in spec:
        lo, hi = spec.split("-")
        return len(code) == 5 and lo <= code <= hi and code[4].isdigit() == lo[4].isdigit()
    return spec == code


@dataclasses.dataclass(frozen=True, eq=False)
class Profile:
    """A loaded profile and the rule pack whose code rules it has adjusted (``scoring``)."""

    file: ProfileFile
    scoring: RulePack

    @property
    def name(self) -> str:
        return self.file.profile

    def rules_for(self, code: str) -> list[ProfileRule]:
        return [r for r in self.file.rules if r.covers(code)]

    def series_codes(self, code: str) -> frozenset[str]:
        """The codes counted together with ``code`` across notes: those of the rules naming its series."""
        names = {r.series for r in self.rules_for(code) if r.series}
        if not names:
            return frozenset({code})
        return expand_codes(tuple(c for r in self.file.rules if r.series in names for c in r.codes if c != "*"))

    def checks_for(self, code: str) -> list[PolicyCheck]:
        """The checks for a code; a later rule's check of the same kind replaces an earlier one."""
        out: dict[str, PolicyCheck] = {}
        for rule in self.rules_for(code):
            for chk in rule.checks:
                out[chk.check] = chk
        return list(out.values())


def adjust(rule: CodeFile, profile_rules: list[ProfileRule]) -> CodeFile:
    """A code's rules as the profile reads them: elements moved between required, recommended and not asked."""
    required = list(rule.required)
    conditional = list(rule.conditional)
    recommended = dict(rule.recommended)
    for pr in profile_rules:
        for el in pr.required:
            if el not in required:
                required.append(el)
            recommended.pop(el, None)
        for el, weight in pr.recommended.items():
            if el in required:
                required.remove(el)
            conditional = [c for c in conditional if c.element != el]
            recommended[el] = weight
        for el in pr.not_asked:
            if el in required:
                required.remove(el)
            conditional = [c for c in conditional if c.element != el]
            recommended.pop(el, None)
    if (required, conditional, recommended) == (list(rule.required), list(rule.conditional), dict(rule.recommended)):
        return rule
    return rule.model_copy(update={"required": required, "conditional": conditional, "recommended": recommended})


def profile_names(pack: RulePack) -> list[str]:
    if pack.profiles_dir is None:
        return []
    return sorted(p.stem for p in pack.profiles_dir.glob("*.yml"))


def load_profile(pack: RulePack, name: str | None = None) -> Profile:
    return _load_profile(pack, name or DEFAULT_PROFILE)


@lru_cache(maxsize=16)
def _load_profile(pack: RulePack, name: str) -> Profile:
    path = profile_path(pack, name)
    if path is None or not path.is_file():
        if name == DEFAULT_PROFILE and path is None:
            # a rule pack without profiles (an older one, or a test's): its code files as they are
            file = ProfileFile(profile=name, title="the code files as written", source="the rule pack",
                               effective_from=dt.date(2000, 1, 1))
            return Profile(file, pack)
        known = ", ".join(profile_names(pack)) or "none"
        raise RuleFileError(f"no profile '{name}' in {pack.root / 'profiles'}. Profiles there: {known}.")
    file = load_yaml_model(path, ProfileFile)
    if file.profile != name:
        raise RuleFileError(f"{path}: field 'profile' says '{file.profile}'; name the file {file.profile}.yml or fix the field.")
    codes = {c: tuple(adjust(r, [pr for pr in file.rules if pr.covers(c)]) for r in versions)
             for c, versions in pack.codes.items()}
    return Profile(file, dataclasses.replace(pack, codes=codes))


def profile_path(pack: RulePack, name: str) -> Path | None:
    return pack.profiles_dir / f"{name}.yml" if pack.profiles_dir is not None else None
